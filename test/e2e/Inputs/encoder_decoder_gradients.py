"""Gradients of encoder-decoder LSTMs, RNNs and GRUs: the decoder starts
from the encoder's last state (an LSTM's h and c, an RNN's or GRU's h;
`initial_state`), so the encoder's parameters get their gradients only
through the recurrent op's initial states (and an LSTM's last cell state)
and the BPTT carries dh_{t-1} (dc_{t-1}) left at t = 0. They match central
finite differences of a float64 NumPy reference and PyTorch autograd
(float64), masked (padding id 0 in both sequences, one padded step inside)
and unmasked, with a time-distributed dense on the decoder's outputs or on
its last state, at batch 1 and larger batches.

Each case is a two-input DSL model, KIND one of lstm, rnn and gru

    src -> embedding -> KIND(return_state=true)                  (enc)
    tgt -> embedding -> KIND(initial_state=enc) -> dense         (output)

with random sizes and parameters from an .npz; the loss against a random
target and every parameter's gradient come from `neurona run --entry
gradients`. The loss is MSE, or the translator's: cross-entropy of the
scores [N, T, C] against words [N, T], word 0 (padding) ignored, averaged
over the other words (PyTorch's CrossEntropyLoss with ignore_index=0).
The references implement ONNX's LSTM (gates i, o, f, c; W [4H, F], R
[4H, H], B = Wb ++ Rb), RNN (tanh) and GRU (gates z, r, h; with and
without linear_before_reset) and Keras masking (a padded step keeps the
state and outputs zeros) independently of Neurona; the PyTorch reference
steps the RNN and the linear_before_reset GRU with PyTorch's own cells
(torch.rnn_tanh_cell, torch.gru_cell on the weights reordered to r, z, n),
which nn.RNN and nn.GRU run. Tolerances are those of gradients.py:
|ours - ref| <= 1e-4 * |ref| + 1e-5.
"""

import argparse
import os

import numpy as np
import torch

from nrtest import central_differences, close, close_gradients, run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
p.add_argument("--kinds", default="lstm",
               help="lstm, or rnn,gru: which layers' cases to run (two lit "
                    "tests, so that they run in parallel)")
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)
rng = np.random.default_rng(11)


def lstm(x, m, W, R, B, h, c, lib):
    """ONNX's LSTM over [N, T, F] from (h, c) with mask m [N, T]."""
    H = R.shape[1]
    bias = B[:4 * H] + B[4 * H:]
    ys = []
    for t in range(x.shape[1]):
        mt = m[:, t][:, None]
        z = x[:, t] @ W.T + h @ R.T + bias
        i, o, f = (1 / (1 + lib.exp(-z[:, k * H:(k + 1) * H])) for k in range(3))
        cn = f * c + i * lib.tanh(z[:, 3 * H:])
        hn = o * lib.tanh(cn)
        c = mt * cn + (1 - mt) * c
        h = mt * hn + (1 - mt) * h
        ys.append(mt * hn)
    return lib.stack(ys, 1), h, c


def sigmoid(z, lib):
    return 1 / (1 + lib.exp(-z))


def rnn(x, m, W, R, B, h, lib):
    """ONNX's RNN (tanh) over [N, T, F] from h with mask m [N, T]."""
    H = R.shape[1]
    ys = []
    for t in range(x.shape[1]):
        mt = m[:, t][:, None]
        if lib is torch:
            hn = torch.rnn_tanh_cell(x[:, t], h, W, R, B[:H], B[H:])
        else:
            hn = np.tanh(x[:, t] @ W.T + h @ R.T + B[:H] + B[H:])
        h = mt * hn + (1 - mt) * h
        ys.append(mt * hn)
    return lib.stack(ys, 1), h


def gru(x, m, W, R, B, h, lbr, lib):
    """ONNX's GRU (gates z, r, h) over [N, T, F] from h with mask m."""
    H = R.shape[1]
    Wb, Rb = B[:3 * H], B[3 * H:]
    blk = lambda v, k: v[k * H:(k + 1) * H]
    ys = []
    for t in range(x.shape[1]):
        mt, xt = m[:, t][:, None], x[:, t]
        if lib is torch and lbr:
            # PyTorch's GRU cell is ONNX's with linear_before_reset, its
            # gates ordered r, z, n.
            order = lambda v: torch.cat([blk(v, 1), blk(v, 0), blk(v, 2)])
            hn = torch.gru_cell(xt, h, order(W), order(R), order(Wb), order(Rb))
        else:
            z = sigmoid(xt @ blk(W, 0).T + h @ blk(R, 0).T + blk(Wb, 0) + blk(Rb, 0), lib)
            r = sigmoid(xt @ blk(W, 1).T + h @ blk(R, 1).T + blk(Wb, 1) + blk(Rb, 1), lib)
            if lbr:
                rec = r * (h @ blk(R, 2).T + blk(Rb, 2))
            else:
                rec = (r * h) @ blk(R, 2).T + blk(Rb, 2)
            cand = lib.tanh(xt @ blk(W, 2).T + blk(Wb, 2) + rec)
            hn = (1 - z) * cand + z * h
        h = mt * hn + (1 - mt) * h
        ys.append(mt * hn)
    return lib.stack(ys, 1), h


def forward(P, src, tgt, padding, seqs, lib, kind="lstm", lbr=True):
    def prep(ids, table):
        x = table[ids if lib is np else torch.as_tensor(ids)]
        m = (ids != padding).astype(np.float64) if padding >= 0 else np.ones(ids.shape)
        return x, (torch.tensor(m) if lib is torch else m)
    n, H = src.shape[0], P["enc.R"].shape[1]
    zeros = lib.zeros((n, H), dtype=lib.float64)
    enc = [P["enc.W"], P["enc.R"], P["enc.B"]]
    dec = [P["dec.W"], P["dec.R"], P["dec.B"]]
    x, m = prep(src, P["src_emb.weight"])
    sx, sm = x, m
    x, m = prep(tgt, P["tgt_emb.weight"])
    if kind == "lstm":
        _, h, c = lstm(sx, sm, *enc, zeros, zeros, lib)
        ys, h, _ = lstm(x, m, *dec, h, c, lib)
    elif kind == "rnn":
        _, h = rnn(sx, sm, *enc, zeros, lib)
        ys, h = rnn(x, m, *dec, h, lib)
    else:
        _, h = gru(sx, sm, *enc, zeros, lbr, lib)
        ys, h = gru(x, m, *dec, h, lbr, lib)
    feats = ys if seqs else h
    return feats @ P["out.weight"] + P["out.bias"]


def token_cross_entropy(z, words, lib):
    """Mean over the non-zero words of logsumexp(z) - z[word]."""
    if lib is torch:
        return torch.nn.functional.cross_entropy(
            z.reshape(-1, z.shape[-1]), torch.as_tensor(words).reshape(-1),
            ignore_index=0)
    top = z.max(-1, keepdims=True)
    lse = np.log(np.exp(z - top).sum(-1)) + top[..., 0]
    picked = np.take_along_axis(z, words[..., None], -1)[..., 0]
    kept = words != 0
    return ((lse - picked) * kept).sum() / kept.sum()


def check(name, padding, seqs, batches, loss="mse", kind="lstm", lbr=True):
    V, D, H = int(rng.integers(4, 9)), int(rng.integers(2, 5)), int(rng.integers(2, 5))
    Ts, Tt, C = int(rng.integers(3, 6)), int(rng.integers(2, 5)), int(rng.integers(2, 4))
    if loss == "cross_entropy":
        C = int(rng.integers(3, 6))
    G = {"lstm": 4, "rnn": 1, "gru": 3}[kind]
    extra = ", linear_before_reset=false" if kind == "gru" and not lbr else ""
    src = f"""model seq2seq {{
  input src: ids[{Ts}]
  input tgt: ids[{Tt}]
  src_emb = embedding({V}, {D}, padding_idx={padding})(src)
  enc = {kind}({H}, return_state=true{extra})(src_emb)
  tgt_emb = embedding({V}, {D}, padding_idx={padding})(tgt)
  dec = {kind}({H}, return_sequences={'true' if seqs else 'false'}, initial_state=enc{extra})(tgt_emb)
  out = dense({C})(dec)
  output y
}}
"""
    path = os.path.join(args.workdir, name + ".nn")
    with open(path, "w") as f:
        f.write(src)
    P = {"src_emb.weight": rng.standard_normal((V, D)) * 0.7,
         "enc.W": rng.standard_normal((G * H, D)) * 0.6,
         "enc.R": rng.standard_normal((G * H, H)) * 0.6,
         "enc.B": rng.standard_normal(2 * G * H) * 0.3,
         "tgt_emb.weight": rng.standard_normal((V, D)) * 0.7,
         "dec.W": rng.standard_normal((G * H, D)) * 0.6,
         "dec.R": rng.standard_normal((G * H, H)) * 0.6,
         "dec.B": rng.standard_normal(2 * G * H) * 0.3,
         "out.weight": rng.standard_normal((H, C)) * 0.5,
         "out.bias": rng.standard_normal(C) * 0.3}
    P = {k: v.astype(np.float32) for k, v in P.items()}
    npz = os.path.join(args.workdir, name + ".npz")
    np.savez(npz, **P)
    names = list(P)
    for batch in batches:
        tag = f"{name} batch {batch}"
        low = 0 if padding < 0 else 1
        s_ids = rng.integers(low, V, (batch, Ts)).astype(np.int64)
        t_ids = rng.integers(low, V, (batch, Tt)).astype(np.int64)
        if padding >= 0:
            for ids, T in ((s_ids, Ts), (t_ids, Tt)):
                for r in range(batch):
                    ids[r, int(rng.integers(1, T + 1)):] = padding
                if T > 2:
                    ids[0, 1] = padding
        shape = (batch, Tt, C) if seqs else (batch, C)
        if loss == "cross_entropy":
            tgt = rng.integers(0, C, (batch, Tt)).astype(np.int64)
            tgt[0, -1] = 0  # at least one ignored word
            tgt[-1, 0] = 1  # and at least one counted
        else:
            tgt = rng.standard_normal(shape).astype(np.float32)
        base = os.path.join(args.workdir, f"{name}_{batch}")
        np.save(base + "_s.npy", s_ids)
        np.save(base + "_t.npy", t_ids)
        np.save(base + "_y.npy", tgt)
        outs = [base + "_loss.npy"] + [f"{base}_g{i}.npy" for i in range(len(names))]
        cmd = [args.neurona, "run", path, "--entry", "gradients", "--loss", loss,
               "--optimizer", "sgd", "--params", npz, "--input", base + "_s.npy",
               "--input", base + "_t.npy", "--input", base + "_y.npy"]
        for o in outs:
            cmd += ["--output", o]
        run(cmd)
        ours = {n: np.load(o) for n, o in zip(names, outs[1:])}
        p64 = {n: v.astype(np.float64) for n, v in P.items()}
        if loss == "cross_entropy":
            def objective(Q, lib):
                return token_cross_entropy(
                    forward(Q, s_ids, t_ids, padding, seqs, lib, kind, lbr),
                    tgt, lib)
        else:
            def objective(Q, lib):
                t64 = tgt.astype(np.float64)
                return ((forward(Q, s_ids, t_ids, padding, seqs, lib, kind,
                                 lbr) -
                         (t64 if lib is np else torch.tensor(t64))) ** 2).mean()
        f = lambda Q: objective(Q, np)
        close(f"{tag} loss", np.load(outs[0]), f(p64), rtol=1e-5, atol=1e-6)
        tp = {n: torch.tensor(v, requires_grad=True) for n, v in p64.items()}
        torch_loss = objective(tp, torch)
        close(f"{tag} loss (torch)", np.load(outs[0]), torch_loss.item(),
              rtol=1e-5, atol=1e-6)
        fd = central_differences(f, p64)
        torch_loss.backward()
        close_gradients(tag, ours, fd, {n: tp[n].grad.numpy() for n in names})
        if np.all(ours["enc.W"] == 0):
            raise SystemExit(f"{tag}: no gradient reached the encoder")


# Each run compiles the model (about 4 s), so the cases are few: the
# masked sequence at batch 1 and 4, the unmasked last state at batch 3,
# and the translator's loss at batch 1 and 5.
kinds = args.kinds.split(",")
if "lstm" in kinds:
    check("masked_seq", 0, True, (1, 4))
    check("unmasked_last", -1, False, (3,))
    check("masked_tokens", 0, True, (1, 5), loss="cross_entropy")
# The same through an rnn's and a gru's h alone: the translator's loss on
# masked sequences at batch 1 and 4 (an rnn), masked sequences under MSE
# (a gru, PyTorch's cell), and the masked last state of a gru without
# linear_before_reset.
if "rnn" in kinds:
    check("rnn_masked_tokens", 0, True, (1, 4), loss="cross_entropy",
          kind="rnn")
if "gru" in kinds:
    check("gru_masked_seq", 0, True, (3,), kind="gru")
    check("gru_reset_first_last", 0, False, (1,), kind="gru", lbr=False)
print("encoder-decoder gradients ok")
