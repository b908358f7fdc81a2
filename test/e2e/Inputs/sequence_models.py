"""The sequence models of models/ train: sentiment_lstm, nextword_rnn and
nextword_lstm run two short epochs each on a subset of their data (the
first lines of each file, through `--data`), and the training loss must
fall from the first epoch to the second; the next-word models must print
perplexity, exp of the mean cross-entropy, on both sets. `neurona data`
writes the id sequences as int64, the compiled classifier takes raw text
and gives what it gives on those ids, and the ids of a compiled model's
input outside its vocabulary are refused with a clear error."""

import argparse
import math
import os
import re

import numpy as np

from nrtest import run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--models", required=True)
p.add_argument("--shared", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)
sent = os.path.join(args.shared, "data", "sentiment")


def subset(name, lines):
    out = os.path.join(args.workdir, name)
    with open(os.path.join(sent, name), encoding="latin-1") as f, \
            open(out, "w", encoding="latin-1") as g:
        for _, line in zip(range(lines), f):
            g.write(line)
    return out


def epochs(text):
    rows = [l for l in text.splitlines() if l.startswith("epoch ")]
    return [{k: float(v) for k, v in re.findall(r"(\w+) ([0-9.]+)", l)
             if k != "epoch"} for l in rows]


def train(model, files, extra=()):
    data = sum((["--data", f] for f in files), [])
    out = run([args.neurona, "train", os.path.join(args.models, model + ".nn"),
               "--epochs", "2", "--save", os.path.join(args.workdir, model + ".npz"),
               *data, *extra])
    stats = epochs(out.stdout + out.stderr)
    if len(stats) != 2 or not stats[1]["loss"] < stats[0]["loss"]:
        raise SystemExit(f"{model}: the loss did not fall: {stats}")
    print(f"{model}: loss {stats[0]['loss']} -> {stats[1]['loss']}")
    return stats


rt = [subset("rt-polarity.neg", 250), subset("rt-polarity.pos", 250)]
s = train("sentiment_lstm", rt)
assert "acc" in s[1] and "test_acc" in s[1], s

uci = [subset(n, 150) for n in ("amazon_cells_labelled.txt",
                                "imdb_labelled.txt", "yelp_labelled.txt")]
for cell in ("nextword_rnn", "nextword_lstm"):
    s = train(cell, uci)
    for e in s:
        if abs(e["ppl"] - math.exp(e["loss"])) > 1e-3 * e["ppl"] or \
                abs(e["test_ppl"] - math.exp(e["test_loss"])) > 1e-3 * e["test_ppl"]:
            raise SystemExit(f"{cell}: perplexity is not exp(loss): {e}")

# neurona data: int64 id sequences, padded with 0 at the end.
d = os.path.join(args.workdir, "data")
run([args.neurona, "data", os.path.join(args.models, "sentiment_lstm.nn"),
     "--out", d, *sum((["--data", f] for f in rt), [])])
x = np.load(os.path.join(d, "train_x.npy"))
assert x.dtype == np.int64 and x.shape[1:] == (40,), (x.dtype, x.shape)
assert x.min() >= 0 and x.max() < 10000
assert (x[:, 0] != 0).all(), "an empty sequence"

# The trained model, compiled with its parameters (and so its vocabulary),
# takes the raw test snippets and gives exactly what it gives on the id
# sequences `neurona data` made of them.
texts = []
for path in rt:
    with open(path, encoding="utf-8", newline="") as f:
        texts += f.read().split("\n")[:-1]
test_index = np.load(os.path.join(d, "test_index.npy"))
exe = os.path.join(args.workdir, "sentiment_lstm")
run([args.neurona, "compile", os.path.join(args.models, "sentiment_lstm.nn"),
     "--params", os.path.join(args.workdir, "sentiment_lstm.npz"),
     "--emit=exe", "-o", exe])
with open(os.path.join(args.workdir, "texts.txt"), "w", encoding="utf-8",
          newline="") as f:
    f.write("".join(texts[i] + "\n" for i in test_index))
run([exe, "--text-file", os.path.join(args.workdir, "texts.txt"),
     "-o", os.path.join(args.workdir, "from_text.npy")])
run([exe, os.path.join(d, "test_x.npy"),
     "-o", os.path.join(args.workdir, "from_ids.npy")])
from_text = np.load(os.path.join(args.workdir, "from_text.npy"))
assert from_text.shape == (len(test_index), 1), from_text.shape
np.testing.assert_array_equal(
    from_text, np.load(os.path.join(args.workdir, "from_ids.npy")))

# A compiled model refuses ids outside [0, vocab).
bad = np.zeros((2, 40), np.int64)
bad[1, 3] = 10000
np.save(os.path.join(args.workdir, "bad.npy"), bad)
import subprocess
proc = subprocess.run([args.neurona, "run",
                       os.path.join(args.models, "sentiment_lstm.nn"),
                       "--params", os.path.join(args.workdir, "sentiment_lstm.npz"),
                       "--input", os.path.join(args.workdir, "bad.npy"),
                       "--output", os.path.join(args.workdir, "y.npy")],
                      capture_output=True, text=True)
msg = proc.stderr + proc.stdout
if proc.returncode == 0 or "id 10000 of sample 1 (position 3) is out of range " \
        "(expected an id in [0, 10000))" not in msg:
    raise SystemExit("out-of-range ids were not refused: " + msg)
# Same seed, 1 or 2 threads: bit-identical parameters (no sum's order
# depends on the thread count).
saved = []
for threads in ("1", "2"):
    path = os.path.join(args.workdir, f"threads{threads}.npz")
    env = dict(os.environ, OMP_NUM_THREADS=threads, NEURONA_NUM_THREADS=threads)
    run([args.neurona, "train", os.path.join(args.models, "sentiment_lstm.nn"),
         "--epochs", "1", "--seed", "3", "--quiet", "--save", path,
         *sum((["--data", f] for f in rt), [])], env=env)
    saved.append(open(path, "rb").read())
if saved[0] != saved[1]:
    raise SystemExit("parameters differ between 1 and 2 threads")
print("sequence models ok")
