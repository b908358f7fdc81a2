"""The course's regression and bag-of-words models train from their data
sections (models/houses.nn, models/sentiment_logreg.nn) on the real files in
../shared/data, against references that do not go through Neurona:

* houses (and its L1 and L2 variants, which must shrink the weights): the
  CSV parsed by Python's csv module gives the same feature rows
  and prices as `neurona data` exports, split 80/20 with every row in one
  set; the exported statistics are numpy's mean and population std of the
  training rows; SGD's test RMSE is within 1% of the closed-form least
  squares solution (numpy lstsq in float64) on the same split; and the
  model compiled to an executable takes the raw columns and gives that RMSE.
* sentiment: a Python re-implementation of the documented text pipeline
  (Keras filters, C1 controls, lowercase, whitespace split; vocabulary by
  count then byte order, from the training split only) gives exactly the
  exported vocabulary and bag-of-words vectors; logistic regression reaches
  at least 78% test accuracy; the saved parameters hold that vocabulary,
  and the model compiled with them takes the raw test sentences and gives
  what its weights give on the reference vectors."""

import argparse
import csv
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
w = args.workdir
os.makedirs(w, exist_ok=True)
data = os.path.join(args.shared, "data")


def metric(text, name):
    return float(re.search(name + r" ([0-9.e+-]+)", text).group(1))


# --- Houses ---------------------------------------------------------------
houses_csv = os.path.join(data, "houses", "kc_house_data.csv")
model = os.path.join(args.models, "houses.nn")
run([args.neurona, "data", model, "--data", houses_csv, "--out", f"{w}/houses"])
load = lambda name: np.load(f"{w}/houses/{name}.npy")
with open(houses_csv, newline="") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
cols = [i for i, c in enumerate(header) if c not in ("id", "date", "price")]
X = np.array([[float(r[i]) for i in cols] for r in rows], np.float32)
y = np.array([float(r[header.index("price")]) for r in rows], np.float32)
tr, te = load("train_index"), load("test_index")
assert len(tr) == 17290 and len(te) == 4323, (len(tr), len(te))
assert sorted(np.concatenate([tr, te]).tolist()) == list(range(len(rows)))
np.testing.assert_array_equal(load("train_x"), X[tr])
np.testing.assert_array_equal(load("test_y")[:, 0], y[te])
Xtr = X[tr].astype(np.float64)
np.testing.assert_allclose(load("mean"), Xtr.mean(0), rtol=1e-6)
np.testing.assert_allclose(load("std"), Xtr.std(0), rtol=1e-5)

A = np.c_[Xtr, np.ones(len(tr))]
coef, *_ = np.linalg.lstsq(A, y[tr].astype(np.float64), rcond=None)
closed = np.sqrt(np.mean((np.c_[X[te], np.ones(len(te))] @ coef - y[te]) ** 2))
run([args.neurona, "train", model, "--data", houses_csv,
     "--quiet", "--save", f"{w}/houses.npz"])
out = run([args.neurona, "eval", model, "--data", houses_csv, "--params",
           f"{w}/houses.npz"]).stdout
rmse = np.sqrt(metric(out, "loss"))
print(f"houses: test RMSE {rmse:.0f} (closed form {closed:.0f})")
assert abs(rmse - closed) / closed < 0.01, (rmse, closed)

# Deployed: an executable compiled with the trained parameters takes the raw
# columns (the statistics are inside it) and gives the RMSE `eval` reports.
np.save(f"{w}/raw_test_x.npy", X[te])
run([args.neurona, "compile", model, "--params", f"{w}/houses.npz", "--emit=exe",
     "-o", f"{w}/houses_exe"])
run([f"{w}/houses_exe", "--input", f"{w}/raw_test_x.npy", "--output",
     f"{w}/exe_y.npy"])
pred = np.load(f"{w}/exe_y.npy")[:, 0].astype(np.float64)
deployed = np.sqrt(np.mean((pred - y[te]) ** 2))
print(f"houses deployed: test RMSE {deployed:.0f}")
assert abs(deployed - rmse) / rmse < 1e-4, (deployed, rmse)

# The L1 and L2 variants shrink the weights (their norm falls below the plain
# model's) and stay within 2% of the closed form.
plain = np.load(f"{w}/houses.npz")["dense0.weight"]
for variant, norm in (("l1", lambda v: np.abs(v).sum()),
                      ("l2", lambda v: np.sqrt((v ** 2).sum()))):
    model = os.path.join(args.models, f"houses_{variant}.nn")
    run([args.neurona, "train", model, "--data", houses_csv, "--quiet",
         "--save", f"{w}/houses_{variant}.npz"])
    out = run([args.neurona, "eval", model, "--data", houses_csv, "--params",
               f"{w}/houses_{variant}.npz"]).stdout
    weights = np.load(f"{w}/houses_{variant}.npz")["dense0.weight"]
    rmse = np.sqrt(metric(out, "loss"))
    print(f"houses {variant}: test RMSE {rmse:.0f}, weight norm "
          f"{norm(weights):.0f} (plain {norm(plain):.0f})")
    assert norm(weights) < 0.97 * norm(plain), (norm(weights), norm(plain))
    assert abs(rmse - closed) / closed < 0.02, (rmse, closed)

# --- Sentiment: the text pipeline and logistic regression -------------------
files = [os.path.join(data, "sentiment", f + "_labelled.txt")
         for f in ("amazon_cells", "imdb", "yelp")]
model = os.path.join(args.models, "sentiment_logreg.nn")
data_args = sum((["--data", f] for f in files), [])
run([args.neurona, "data", model, *data_args, "--out", f"{w}/sent"])

texts, labels = [], []
for path in files:
    with open(path, encoding="utf-8", newline="") as f:
        for line in f.read().split("\n"):
            if line.strip(" \t"):
                text, label = line.rsplit("\t", 1)
                texts.append(text)
                labels.append(int(label))
assert len(texts) == 3000
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
    return "".join(out).split(" ")


toks = [[t for t in tokens(s) if t] for s in texts]
tr, te = np.load(f"{w}/sent/train_index.npy"), np.load(f"{w}/sent/test_index.npy")
assert len(tr) == 2400 and len(te) == 600
counts = {}
for i in tr:
    for t in toks[i]:
        counts[t] = counts.get(t, 0) + 1
vocab = sorted(counts, key=lambda t: (-counts[t], t.encode()))[:1998]
with open(f"{w}/sent/vocabulary.txt", encoding="utf-8") as f:
    exported = f.read().split("\n")[:-1]
assert exported == vocab, "the vocabulary differs from the reference"
ids = {t: i + 2 for i, t in enumerate(vocab)}
bow = np.zeros((len(texts), 2000), np.float32)
for n, ts in enumerate(toks):
    for t in ts:
        bow[n, ids.get(t, 1)] = 1
np.testing.assert_array_equal(np.load(f"{w}/sent/train_x.npy"), bow[tr])
np.testing.assert_array_equal(np.load(f"{w}/sent/test_x.npy"), bow[te])
np.testing.assert_array_equal(np.load(f"{w}/sent/test_y.npy"),
                              np.array(labels)[te])

run([args.neurona, "train", model, *data_args, "--quiet", "--save", f"{w}/s.npz"])
out = run([args.neurona, "eval", model, *data_args, "--params", f"{w}/s.npz"]).stdout
acc = metric(out, "accuracy")
print(f"sentiment logistic regression: test accuracy {acc:.4f}")
assert acc >= 0.78, acc

# The vocabulary travels with the parameters and into the compiled model:
# the executable takes the raw test sentences and gives what the weights
# give on the reference vectors (float32 sums, rtol 1e-5).
saved = np.load(f"{w}/s.npz")
assert bytes(saved["vocabulary:words"]).decode().split("\n")[:-1] == vocab
run([args.neurona, "compile", model, "--params", f"{w}/s.npz", "--emit=exe",
     "-o", f"{w}/sentiment"])
with open(f"{w}/test_texts.txt", "w", encoding="utf-8", newline="") as f:
    f.write("".join(texts[i] + "\n" for i in te))
run([f"{w}/sentiment", "--text-file", f"{w}/test_texts.txt", "-o",
     f"{w}/text_out.npy"])
weight, bias = saved["dense0.weight"], saved["dense0.bias"]
want = 1 / (1 + np.exp(-(bow[te].astype(np.float64) @ weight + bias)))
got = np.load(f"{w}/text_out.npy")
np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
one = run([f"{w}/sentiment", "--text", texts[te[0]]]).stdout
assert abs(float(one.split("\n")[1]) - want[0, 0]) < 1e-5, one
print(f"sentiment executable on {len(te)} raw test sentences: "
      f"max difference {np.abs(got - want).max():.2e}")
