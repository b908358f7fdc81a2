"""The LeNet model (models/lenet.nn: two convolutions with max pooling and
three dense layers) compiles with its training entries, and train_step
learns: on a fixed random batch of 16 images with random labels, 30 Adam
steps bring the cross-entropy well below its value at the first step (the
network can memorise the batch)."""

import argparse
import os

import numpy as np

from nrtest import run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--model", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)

# A shared library with forward, gradients and train_step.
lib = os.path.join(w, "liblenet.so")
run([args.neurona, "compile", args.model, "--training", "--emit=lib", "-o", lib])
assert os.path.getsize(lib) > 0

rng = np.random.default_rng(3)
np.save(f"{w}/x.npy", rng.standard_normal((16, 1, 28, 28)).astype(np.float32))
np.save(f"{w}/y.npy", rng.integers(0, 10, 16).astype(np.int64))
np.save(f"{w}/lr.npy", np.array(0.002, np.float32))
step = [args.neurona, "run", lib, "--entry", "train_step", "--input", f"{w}/x.npy",
        "--input", f"{w}/y.npy", "--input", f"{w}/lr.npy"]
run(step + ["--output", f"{w}/loss_first.npy", "--output", f"{w}/pred.npy",
            "--save-params", f"{w}/p1.npz"])
run(step + ["--params", f"{w}/p1.npz", "--repeat", "30",
            "--output", f"{w}/loss_last.npy", "--output", f"{w}/pred.npy"])
first = float(np.load(f"{w}/loss_first.npy"))
last = float(np.load(f"{w}/loss_last.npy"))
print(f"lenet train_step: loss {first:.4f} at the first step, {last:.4f} after 30 more")
assert np.isfinite(first) and np.isfinite(last)
assert last < 0.5 * first, (first, last)
