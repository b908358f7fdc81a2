"""An encoder-decoder LSTM trains on the first English-Spanish pairs of
../shared/data/translation/spa.txt from its data section, in seconds:

* `neurona data` exports exactly what a Python re-implementation of the
  documented preparation gives: the text pipeline (Keras filters, C1
  controls, lowercase, whitespace split), pairs longer than the lengths
  dropped, the split's pair numbers, vocabularies by count then byte order
  from the training pairs only (the target's with <start> and <end>), the
  source ids padded at the end, the decoder input <start> w1 ... wk and the
  labels w1 ... wk <end>, padding 0;
* two epochs of training lower the loss (token cross-entropy, padding
  ignored);
* PyTorch (Debian's torch 1.13, float64) running the documented network
  with the trained parameters on the exported test arrays gives the loss
  and token accuracy `neurona eval` reports;
* an executable compiled with the trained parameters, fed the two input
  arrays, gives logits whose token loss and accuracy are `neurona eval`'s;
* the same executable translates the raw English sentences of the test
  pairs (`--text-file`, greedy decoding) as a float64 PyTorch step-by-step
  greedy decoder does with the same parameters.
Tolerances: 1e-4 relative on the losses, exact token accuracy unless a
logit tie or rounding flips an argmax (at most one token in a thousand)."""

import argparse
import csv
import os
import re
import subprocess

import numpy as np
import torch

from nrtest import run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--shared", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)
pairs_file = os.path.join(args.shared, "data", "translation", "spa.txt")
LIMIT, LS, LT, VS, VT = 400, 5, 7, 300, 350

model = os.path.join(w, "tiny.nn")
with open(model, "w") as f:
    f.write(f"""model tiny {{
  input src: ids[{LS}]
  input tgt_in: ids[{LT}]
  src_emb = embedding({VS}, 16)(src)
  enc = lstm(24, return_state=true)(src_emb)
  tgt_emb = embedding({VT}, 16)(tgt_in)
  dec = lstm(24, return_sequences=true, initial_state=enc)(tgt_emb)
  logits = dense({VT})(dec)
  output logits
}}
train {{
  loss = cross_entropy
  optimizer = adam(lr=0.01)
  batch = 32
  epochs = 2
  metrics = [token_accuracy]
}}
data {{
  source = sentence_pairs("spa.txt", limit={LIMIT})
  text = translation(length={LS}, target_length={LT}, vocab={VS}, target_vocab={VT})
  test_split = 0.1
}}
""")
data_args = ["--data", pairs_file]

# --- The prepared arrays against a re-implementation ------------------------
run([args.neurona, "data", model, *data_args, "--out", f"{w}/d"])
filters = set('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~')


def tokens(text):
    out = []
    for ch in text:
        o = ord(ch)
        if ch in filters or o < 0x20 or o == 0x7F or 0x80 <= o <= 0x9F:
            out.append(" ")
        elif "A" <= ch <= "Z" or (0xC0 <= o <= 0xDE and o != 0xD7):
            out.append(chr(o + 32))
        else:
            out.append(ch)
    return "".join(out).split()


with open(pairs_file, encoding="utf-8", newline="") as f:
    lines = f.read().split("\n")[:LIMIT]
src, tgt, kept = [], [], []
for n, line in enumerate(lines):
    s, t = (tokens(x) for x in line.split("\t")[:2])
    if s and t and len(s) <= LS and len(t) + 1 <= LT:
        src.append(s)
        tgt.append(["<start>"] + t + ["<end>"])
        kept.append(n)
load = lambda name: np.load(f"{w}/d/{name}.npy")
tr, te = load("train_index"), load("test_index")
assert sorted(np.concatenate([tr, te]).tolist()) == kept, "split"
assert len(te) == round(len(kept) * 0.1), len(te)
pos = {n: i for i, n in enumerate(kept)}


def vocabulary(texts, size):
    counts = {}
    for ts in texts:
        for t in ts:
            counts[t] = counts.get(t, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t.encode()))[:size - 2]


vs = vocabulary([src[pos[n]] for n in tr], VS)
vt = vocabulary([tgt[pos[n]] for n in tr], VT)
for name, want in (("vocabulary", vs), ("target_vocabulary", vt)):
    with open(f"{w}/d/{name}.txt", encoding="utf-8") as f:
        assert f.read().split("\n")[:-1] == want, name
ids_s = {t: i + 2 for i, t in enumerate(vs)}
ids_t = {t: i + 2 for i, t in enumerate(vt)}
for split, index in (("train", tr), ("test", te)):
    x = np.zeros((len(index), LS), np.int64)
    x1 = np.zeros((len(index), LT), np.int64)
    y = np.zeros((len(index), LT), np.int64)
    for k, n in enumerate(index):
        s, t = src[pos[n]], tgt[pos[n]]
        x[k, :len(s)] = [ids_s.get(v, 1) for v in s]
        x1[k, :len(t) - 1] = [ids_t.get(v, 1) for v in t[:-1]]
        y[k, :len(t) - 1] = [ids_t.get(v, 1) for v in t[1:]]
    for name, want in (("x", x), ("x1", x1), ("y", y)):
        np.testing.assert_array_equal(load(f"{split}_{name}"), want,
                                      err_msg=f"{split}_{name}")
print(f"data: {len(tr)} training and {len(te)} test pairs, "
      f"{LIMIT - len(kept)} dropped, vocabularies {len(vs)} and {len(vt)}")

# --- Training lowers the loss -----------------------------------------------
out = run([args.neurona, "train", model, *data_args, "--seed", "1", "--save",
           f"{w}/p.npz", "--curves", f"{w}/curves.csv"]).stdout
print(out.strip())
with open(f"{w}/curves.csv") as f:
    rows = list(csv.DictReader(f))
losses = [float(r["loss"]) for r in rows]
assert len(losses) == 2 and losses[1] < losses[0], losses
out = run([args.neurona, "eval", model, *data_args, "--params",
           f"{w}/p.npz"]).stdout
eval_loss = float(re.search(r"loss ([0-9.e+-]+)", out).group(1))
eval_acc = float(re.search(r"accuracy ([0-9.e+-]+)", out).group(1))
print(f"eval: token loss {eval_loss:.4f}, token accuracy {eval_acc:.4f}")


def token_scores(logits, labels):
    logits = np.asarray(logits, np.float64)
    keep = labels != 0
    lse = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + \
        logits.max(-1)
    picked = np.take_along_axis(logits, labels[..., None], -1)[..., 0]
    loss = (lse - picked)[keep].mean()
    hits = (logits.argmax(-1) == labels)[keep]
    return loss, hits.mean(), hits.size


# --- PyTorch on the same parameters -------------------------------------------
P = {k: torch.tensor(v, dtype=torch.float64) for k, v in np.load(f"{w}/p.npz").items()}


def lstm(x, m, W, R, B, h, c):
    H = R.shape[1]
    ys = []
    for t in range(x.shape[1]):
        z = x[:, t] @ W.T + h @ R.T + B[:4 * H] + B[4 * H:]
        i, o, f = (torch.sigmoid(z[:, k * H:(k + 1) * H]) for k in range(3))
        cn = f * c + i * torch.tanh(z[:, 3 * H:])
        hn = o * torch.tanh(cn)
        mt = m[:, t:t + 1]
        c, h = mt * cn + (1 - mt) * c, mt * hn + (1 - mt) * h
        ys.append(mt * hn)
    return torch.stack(ys, 1), h, c


xs, x1s, ys = load("test_x"), load("test_x1"), load("test_y")
with torch.no_grad():
    ms, mt = (torch.tensor((a != 0).astype(np.float64)) for a in (xs, x1s))
    zero = torch.zeros(len(xs), P["enc.R"].shape[1], dtype=torch.float64)
    _, h, c = lstm(P["src_emb.weight"][xs], ms, P["enc.W"], P["enc.R"],
                   P["enc.B"], zero, zero)
    seq, _, _ = lstm(P["tgt_emb.weight"][x1s], mt, P["dec.W"], P["dec.R"],
                     P["dec.B"], h, c)
    ref = (seq @ P["logits.weight"] + P["logits.bias"]).numpy()
ref_loss, ref_acc, count = token_scores(ref, ys)
print(f"torch: token loss {ref_loss:.4f}, token accuracy {ref_acc:.4f} "
      f"over {count} tokens")
assert abs(eval_loss - ref_loss) <= 1e-4 * ref_loss, (eval_loss, ref_loss)
assert abs(eval_acc - ref_acc) <= max(1e-3, 1.0 / count) + 1e-9, (eval_acc, ref_acc)

# --- The deployed executable ----------------------------------------------
run([args.neurona, "compile", model, "--params", f"{w}/p.npz", "--emit=exe",
     "-o", f"{w}/tiny_exe"])
run([f"{w}/tiny_exe", "--input", f"{w}/d/test_x.npy", "--input",
     f"{w}/d/test_x1.npy", "--output", f"{w}/exe_logits.npy"])
exe_loss, exe_acc, _ = token_scores(np.load(f"{w}/exe_logits.npy"), ys)
print(f"executable: token loss {exe_loss:.4f}, token accuracy {exe_acc:.4f}")
assert abs(exe_loss - eval_loss) <= 1e-4 * eval_loss, (exe_loss, eval_loss)
assert abs(exe_acc - eval_acc) <= 1e-9 + 1e-3, (exe_acc, eval_acc)

# --- Greedy translation of raw text by the executable -------------------------
# The reference decodes step by step in float64: one LSTM step per word, the
# arg max fed back, stopping at <end> (or padding) or after LT words; the
# executable runs its whole decoder once per position (nr_model_translate).
# The executable computes in float32, so a translation may differ only where
# the reference's two best scores at the first differing word lie within
# 1e-3 (a near tie), in at most 2% of the sentences. Two epochs on 400 pairs
# teach the model little more than <end>, so the executable also decodes
# with random parameters of a larger scale (loaded with --params, the saved
# vocabularies kept), whose translations are long and varied.
with open(f"{w}/sources.txt", "w", encoding="utf-8") as f:
    sources = [lines[n].split("\t")[0] for n in te]
    f.write("\n".join(sources) + "\n")
words_t = ["<pad>", "<unk>"] + vt
start, end = ids_t["<start>"], ids_t["<end>"]


def greedy(P):
    """Step-by-step float64 greedy decoding of the test sources."""
    with torch.no_grad():
        n = len(xs)
        zero = torch.zeros(n, P["enc.R"].shape[1], dtype=torch.float64)
        _, h, c = lstm(P["src_emb.weight"][torch.tensor(xs)], ms, P["enc.W"],
                       P["enc.R"], P["enc.B"], zero, zero)
        token = torch.full((n,), start, dtype=torch.int64)
        one = torch.ones(n, 1, dtype=torch.float64)
        out, margins = [[] for _ in range(n)], [[] for _ in range(n)]
        done = np.zeros(n, bool)
        for t in range(LT):
            y, h, c = lstm(P["tgt_emb.weight"][token][:, None], one,
                           P["dec.W"], P["dec.R"], P["dec.B"], h, c)
            scores = (y[:, 0] @ P["logits.weight"] + P["logits.bias"]).numpy()
            best = scores.argmax(-1)
            top2 = np.sort(scores, -1)[:, -2:]
            for r in range(n):
                if done[r]:
                    continue
                margins[r].append(top2[r, 1] - top2[r, 0])
                if best[r] in (end, 0):
                    done[r] = True
                    continue
                out[r].append(words_t[best[r]] if best[r] < len(words_t)
                              else "<unk>")
            token = torch.tensor(best)
    return [" ".join(o) for o in out], margins


def check_translations(params, extra=()):
    got = run([f"{w}/tiny_exe", "--text-file", f"{w}/sources.txt",
               *extra]).stdout.split("\n")[:-1]
    assert len(got) == len(sources), (len(got), len(sources))
    reference, margins = greedy(params)
    differ = 0
    for r, (g, want) in enumerate(zip(got, reference)):
        if g == want:
            continue
        gw, ww = g.split(), want.split()
        k = next(i for i in range(max(len(gw), len(ww)) + 1)
                 if i >= len(gw) or i >= len(ww) or gw[i] != ww[i])
        assert margins[r][k] < 1e-3, (sources[r], g, want, margins[r][k])
        differ += 1
    assert differ <= 0.02 * len(got), (differ, len(got))
    return got, differ


got, differ = check_translations(P)
print(f"executable, trained: {len(got)} greedy translations, {differ} differ "
      f"from float64 PyTorch by a near tie; e.g. {sources[0]!r} -> {got[0]!r}")
rng = np.random.default_rng(3)
trained = dict(np.load(f"{w}/p.npz"))
wild = {k: (rng.standard_normal(v.shape) * (0.5 if k.startswith(("enc.", "dec."))
                                             else 1.0)).astype(np.float32)
        if not k.startswith("vocabulary:") else v for k, v in trained.items()}
np.savez(f"{w}/wild.npz", **wild)
Pw = {k: torch.tensor(v, dtype=torch.float64) for k, v in wild.items()
      if not k.startswith("vocabulary:")}
got, differ = check_translations(Pw, ["--params", f"{w}/wild.npz"])
lengths = [len(g.split()) for g in got]
assert sum(l >= 2 for l in lengths) >= len(got) // 2, lengths
assert len({g for g in got}) >= len(got) // 2, got
print(f"executable, random parameters: mean {np.mean(lengths):.1f} words, "
      f"{len(set(got))} distinct of {len(got)}, {differ} near ties; e.g. "
      f"{sources[1]!r} -> {got[1]!r}")

# Without its vocabularies a translation model cannot take text.
run([args.neurona, "compile", model, "--emit=exe", "-o", f"{w}/bare_exe"])
proc = subprocess.run([f"{w}/bare_exe", "--text", "Go."], capture_output=True,
                      text=True)
assert proc.returncode == 1 and "no vocabulary for text input 'src'" in \
    proc.stderr, (proc.returncode, proc.stderr)
info = run([f"{w}/tiny_exe", "--info"]).stdout
assert "translates" in info, info
print("translation ok")
