"""Training converges on real data: the default Fashion-MNIST MLP
(models/fashion_mlp.nn) trained for 2 epochs on 8,000 MNIST test digits from
../shared reaches at least 90% accuracy on the 2,000 held-out digits, the
curves file records every epoch, the checkpoint is a valid .npz, and the
executable compiled with the trained parameters predicts what `neurona run`
predicts."""

import argparse
import csv
import gzip
import os
import sys

import numpy as np

from nrtest import run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--model", required=True)
p.add_argument("--shared", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)

with gzip.open(os.path.join(args.shared, "data/mnist/t10k-images-idx3-ubyte.gz")) as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
with gzip.open(os.path.join(args.shared, "data/mnist/t10k-labels-idx1-ubyte.gz")) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
perm = np.random.default_rng(0).permutation(len(images))
train, test = perm[:8000], perm[8000:]
for name, idx in (("train", train), ("test", test)):
    np.save(f"{w}/{name}_x.npy", images[idx])
    np.save(f"{w}/{name}_y.npy", labels[idx])

run([args.neurona, "train", args.model, "--epochs", "2",
     "--train-data", f"{w}/train_x.npy", "--train-labels", f"{w}/train_y.npy",
     "--test-data", f"{w}/test_x.npy", "--test-labels", f"{w}/test_y.npy",
     "--save", f"{w}/params.npz", "--checkpoint", f"{w}/ckpt.npz",
     "--curves", f"{w}/curves.csv"])

rows = list(csv.DictReader(open(f"{w}/curves.csv")))
if len(rows) != 2:
    sys.exit("expected 2 epochs in the curves file, got %d" % len(rows))
acc = float(rows[-1]["test_acc"])
print("held-out accuracy after 2 epochs: %.4f" % acc)
if not acc >= 0.90:
    sys.exit("accuracy %.4f below 0.90" % acc)
if float(rows[1]["loss"]) >= float(rows[0]["loss"]):
    sys.exit("training loss did not decrease")
ckpt = np.load(f"{w}/ckpt.npz")
final = np.load(f"{w}/params.npz")
for k in final.files:
    if not np.array_equal(ckpt[k], final[k]):
        sys.exit("checkpoint differs from the saved parameters: " + k)

# The deployable executable with trained weights agrees with neurona run.
x = (test_x := np.load(f"{w}/test_x.npy")).astype(np.float32) / 255.0
np.save(f"{w}/x.npy", x)
run([args.neurona, "compile", args.model, "--params", f"{w}/params.npz",
     "--emit=exe", "-o", f"{w}/mlp"])
run([f"{w}/mlp", "--input", f"{w}/x.npy", "--output", f"{w}/exe_logits.npy"])
run([args.neurona, "run", args.model, "--params", f"{w}/params.npz",
     "--input", f"{w}/x.npy", "--output", f"{w}/run_logits.npy"])
a, b = np.load(f"{w}/exe_logits.npy"), np.load(f"{w}/run_logits.npy")
if not np.array_equal(a.argmax(1), b.argmax(1)) or not np.allclose(a, b, rtol=0, atol=0):
    sys.exit("executable and neurona run disagree")
exe_acc = (a.argmax(1) == np.load(f"{w}/test_y.npy")).mean()
print("executable accuracy: %.4f (same predictions as neurona run)" % exe_acc)
if abs(exe_acc - acc) > 1e-9:
    sys.exit("executable accuracy %.4f differs from training report %.4f" % (exe_acc, acc))
