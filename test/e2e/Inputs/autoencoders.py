"""The dense, denoising and sparse autoencoders (models/autoencoder.nn,
models/denoising_autoencoder.nn, models/sparse_autoencoder.nn) train from their data sections with the
input as the target, and `neurona eval --reconstructions` draws a PNG.

On the 10,000 MNIST test digits of ../shared (linked as a training set):
`neurona data` exports targets equal to the features; two epochs bring the
reconstruction MSE per pixel below half of the untrained model's and below
0.035; the PNG, decoded here with zlib and the PNG filter rules (no libpng),
is a 242 x 122 greyscale grid whose tiles hold the first eight inputs and, in
the row below, the model's outputs for them exactly as `neurona run` gives
them (to one grey level)."""

import argparse
import os
import re

import numpy as np

from nrtest import read_png, run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--models", required=True)
p.add_argument("--shared", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)

# An IDX folder whose training and test sets are the MNIST test digits.
digits = os.path.join(w, "digits")
os.makedirs(digits, exist_ok=True)
mnist = os.path.join(os.path.abspath(args.shared), "data", "mnist")
for split in ("train", "t10k"):
    for kind, src in (("images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"),
                      ("labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz")):
        dst = os.path.join(digits, f"{split}-{kind}.gz")
        if not os.path.lexists(dst):
            os.symlink(os.path.join(mnist, src), dst)


def loss_of(out):
    return float(re.search(r"loss ([0-9.e+-]+)", out).group(1))


model = os.path.join(args.models, "autoencoder.nn")
run([args.neurona, "data", model, "--data", digits, "--out", f"{w}/data"])
x = np.load(f"{w}/data/test_x.npy")
np.testing.assert_array_equal(np.load(f"{w}/data/train_y.npy"),
                              np.load(f"{w}/data/train_x.npy"))

# Without --params, eval uses the model's initial parameters.
before = loss_of(run([args.neurona, "eval", model, "--data", digits]).stdout)
run([args.neurona, "train", model, "--data", digits, "--epochs", "2",
     "--quiet", "--save", f"{w}/ae.npz"])
after = loss_of(run([args.neurona, "eval", model, "--data", digits, "--params",
                     f"{w}/ae.npz", "--reconstructions", f"{w}/r.png"]).stdout)
print(f"autoencoder: MSE per pixel {before:.4f} untrained, {after:.4f} after 2 epochs")
assert after < 0.5 * before and after < 0.035, (before, after)

img = read_png(f"{w}/r.png")
assert img.shape == (4 * 30 + 2, 8 * 30 + 2), img.shape
np.save(f"{w}/x8.npy", x[:8])
run([args.neurona, "run", model, "--params", f"{w}/ae.npz", "--input",
     f"{w}/x8.npy", "--output", f"{w}/y8.npy"])
y = np.load(f"{w}/y8.npy")
for i in range(8):
    tile = lambda row: img[2 + row * 30:30 + row * 30, 2 + i * 30:30 + i * 30]
    np.testing.assert_array_equal(tile(0), np.rint(x[i].reshape(28, 28) * 255))
    assert np.abs(tile(1) - np.rint(np.clip(y[i], 0, 1).reshape(28, 28) * 255)).max() <= 1
assert img[0, 0] == 128  # the border

# The denoising autoencoder trains on noisy inputs towards the clean ones.
model = os.path.join(args.models, "denoising_autoencoder.nn")
run([args.neurona, "train", model, "--data", digits, "--epochs", "2",
     "--quiet", "--save", f"{w}/dae.npz"])
after = loss_of(run([args.neurona, "eval", model, "--data", digits,
                     "--params", f"{w}/dae.npz"]).stdout)
print(f"denoising autoencoder: MSE per pixel {after:.4f} on clean digits")
assert after < 0.5 * before, (before, after)

# The sparse autoencoder's objective adds an L1 penalty on its code; the
# reconstruction still learns.
model = os.path.join(args.models, "sparse_autoencoder.nn")
run([args.neurona, "train", model, "--data", digits, "--epochs", "1",
     "--quiet", "--save", f"{w}/sae.npz"])
after = loss_of(run([args.neurona, "eval", model, "--data", digits,
                     "--params", f"{w}/sae.npz"]).stdout)
print(f"sparse autoencoder: MSE per pixel {after:.4f} after 1 epoch")
assert after < 0.5 * before, (before, after)
