#!/usr/bin/env python3
"""Main-job check: the deployable executable and `neurona run` give the same
predictions on the Fashion-MNIST test set, and their accuracy."""

import argparse
import gzip
import os
import subprocess
import sys

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--out", required=True)
p.add_argument("--neurona", required=True)
p.add_argument("--model", required=True)
args = p.parse_args()

with gzip.open(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")) as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
with gzip.open(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")) as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8)
xs = os.path.join(args.out, "test_x.npy")
np.save(xs, (x.astype(np.float32) / 255.0))

exe_out = os.path.join(args.out, "exe_logits.npy")
run_out = os.path.join(args.out, "run_logits.npy")
subprocess.run([os.path.join(args.out, "fashion_mlp"), "--input", xs,
                "--output", exe_out], check=True)
subprocess.run([args.neurona, "run", args.model, "--params",
                os.path.join(args.out, "fashion_mlp.npz"), "--input", xs,
                "--output", run_out], check=True)
a, b = np.load(exe_out), np.load(run_out)
same = np.array_equal(a.argmax(1), b.argmax(1))
print("executable vs neurona run: %s predictions (max |diff| %.3g)"
      % ("identical" if same else "DIFFERENT", np.abs(a - b).max()))
print("executable test accuracy: %.4f" % (a.argmax(1) == y).mean())
sys.exit(0 if same else 1)
