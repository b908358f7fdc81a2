"""The convolutional autoencoder (models/conv_autoencoder.nn: conv + pool
encoder, conv2d_transpose decoder, sigmoid output, MSE against the input)
trains on a few hundred Fashion-MNIST images and `neurona eval
--reconstructions` draws a PNG.

The data is an IDX folder holding the first 512 training and 128 test
images of Debian's dataset-fashion-mnist. Four epochs (32 Adam steps) must
bring the test reconstruction MSE per pixel below 90% of the untrained
model's (0.1705 -> 0.1352 here: the sigmoid decoder starts at grey 0.5 and
32 steps only begin to learn the shapes); the PNG must be a 242 x 122 8-bit greyscale image (the grid of
eight inputs over their reconstructions)."""

import argparse
import gzip
import os
import re
import struct

import numpy as np

from nrtest import run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--models", required=True)
p.add_argument("--fashion", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, 0x08, array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.astype(np.uint8).tobytes())


subset = os.path.join(w, "fashion")
os.makedirs(subset, exist_ok=True)
for split, count in (("train", 512), ("t10k", 128)):
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        src = os.path.join(args.fashion, f"{split}-{kind}.gz")
        write_idx(os.path.join(subset, f"{split}-{kind}"), read_idx(src)[:count])


def loss_of(out):
    return float(re.search(r"loss ([0-9.e+-]+)", out).group(1))


model = os.path.join(args.models, "conv_autoencoder.nn")
before = loss_of(run([args.neurona, "eval", model, "--data", subset]).stdout)
run([args.neurona, "train", model, "--data", subset, "--epochs", "4",
     "--quiet", "--save", f"{w}/cae.npz"])
after = loss_of(run([args.neurona, "eval", model, "--data", subset, "--params",
                     f"{w}/cae.npz", "--reconstructions", f"{w}/r.png"]).stdout)
print(f"conv autoencoder: MSE per pixel {before:.4f} untrained, "
      f"{after:.4f} after 4 epochs of 512 images")
assert after < 0.9 * before, (before, after)

png = open(f"{w}/r.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", png[:8]
length, kind = struct.unpack(">I4s", png[8:16])
width, height, depth, color = struct.unpack(">IIBB", png[16:26])
assert kind == b"IHDR" and (width, height, depth, color) == (242, 122, 8, 0), \
    (kind, width, height, depth, color)
print("reconstructions: a 242 x 122 greyscale PNG")
