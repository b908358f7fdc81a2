"""The variational autoencoder (models/vae.nn, the DSL's `gaussian` layer and
the train section's `kl` and `reduction=sum`).

* Gradients: on a small VAE with the rng fixed, `gradients` returns the
  objective BCE (summed per sample, averaged over the batch) + KL of
  N(mu, exp(logvar)) from N(0, I) (Kingma & Welling 2014, appendix B) with
  z = mu + exp(0.5 logvar) * eps, eps the Philox normals of (seed, step,
  stream 0) re-implemented in NumPy; loss and every parameter's gradient
  match a float64 NumPy reference and its central differences and PyTorch
  autograd (float64) at 1e-4 * |ref| + 1e-5 (float32 against float64, as
  gradients.py; the compiled exp, log and Box-Muller are polynomials).
* Training: models/vae.nn on 512 MNIST digits for three epochs: the loss per
  image is finite and falls every epoch; `eval --reconstructions` and
  `--samples` write PNGs of the right size, the samples grid is the
  `decode` entry of `neurona run` on the codes eval drew (to one grey
  level), and the compiled executable's `decode` gives the same arrays.
"""

import argparse
import csv
import os
import re

import numpy as np
import torch

from nrtest import (central_differences, close, close_gradients, normals,
                    read_png, run, write_digits)

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--models", required=True)
p.add_argument("--shared", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
W = args.workdir
os.makedirs(W, exist_ok=True)


def path(name):
    return os.path.join(W, name)


# --- gradients of the reparameterisation and the KL term -------------------
small = path("small.nn")
with open(small, "w") as f:
    f.write("""model small {
  input x: [6]
  dense(5, activation=tanh)
  z = gaussian(3)
  dense(6, activation=sigmoid)
  output y
}
train {
  loss = binary_cross_entropy(reduction=sum)
  kl = z
  kl_weight = 0.75
  optimizer = sgd(lr=0.1)
}
""")
rs = np.random.default_rng(5)
shapes = [("dense0.weight", (6, 5)), ("dense0.bias", (5,)),
          ("z.mu.weight", (5, 3)), ("z.mu.bias", (3,)),
          ("z.logvar.weight", (5, 3)), ("z.logvar.bias", (3,)),
          ("dense1.weight", (3, 6)), ("dense1.bias", (6,))]
P = {n: rs.uniform(-0.8, 0.8, s).astype(np.float32) for n, s in shapes}
np.savez(path("small.npz"), **P)
N, SEED, STEP = 4, 11, 3
x = rs.uniform(0.05, 0.95, (N, 6)).astype(np.float32)
t = rs.uniform(0.0, 1.0, (N, 6)).astype(np.float32)
eps = normals(SEED, STEP, 0, (N, 3))
np.save(path("x.npy"), x)
np.save(path("t.npy"), t)
np.save(path("rng.npy"), np.array([SEED, STEP], np.int64))


def objective(P, lib):
    """BCE summed over each sample's pixels plus 0.75 KL, mean over the
    batch; `lib` is np or torch (float64)."""
    X = lib.tanh(xs @ P["dense0.weight"] + P["dense0.bias"])
    mu = X @ P["z.mu.weight"] + P["z.mu.bias"]
    lv = X @ P["z.logvar.weight"] + P["z.logvar.bias"]
    z = mu + lib.exp(0.5 * lv) * es
    y = 1 / (1 + lib.exp(-(z @ P["dense1.weight"] + P["dense1.bias"])))
    bce = -(ts * lib.log(y) + (1 - ts) * lib.log(1 - y)).sum() / N
    kl = -0.5 * (1 + lv - mu ** 2 - lib.exp(lv)).sum() / N
    return bce + 0.75 * kl


outs = [path("loss.npy")] + [path(f"g{i}.npy") for i in range(len(shapes))]
cmd = [args.neurona, "run", small, "--entry", "gradients", "--params",
       path("small.npz"), "--input", path("x.npy"), "--input", path("t.npy"),
       "--input", path("rng.npy")]
for o in outs:
    cmd += ["--output", o]
run(cmd)
xs, ts, es = x.astype(np.float64), t.astype(np.float64), eps
P64 = {n: v.astype(np.float64) for n, v in P.items()}
close("VAE loss (rng fixed)", np.load(outs[0]), objective(P64, np), rtol=1e-5,
      atol=1e-5)
ours = {n: np.load(o) for (n, _), o in zip(shapes, outs[1:])}
fd = central_differences(lambda Q: objective(Q, np), P64)
xs, ts, es = (torch.from_numpy(a) for a in (xs, ts, es))
T = {n: torch.tensor(v, requires_grad=True) for n, v in P64.items()}
objective(T, torch).backward()
close_gradients("VAE", ours, fd, {n: v.grad.numpy() for n, v in T.items()})
print("VAE gradients (BCE summed per sample + KL, reparameterised) match "
      "finite differences and autograd")

# --- training models/vae.nn on 512 digits ----------------------------------
digits = path("digits")
write_digits(args.shared, digits, 512, 256)

# Compiled once with its training entries and used from the library (each
# `neurona` command on a .nn file compiles it again).
source = os.path.join(args.models, "vae.nn")
run([args.neurona, "compile", source, "--training", "--emit=lib", "-o",
     path("vae.so")])
header = open(path("vae.so.h")).read()
assert "vae_decode" in header and "vae_train_step" in header, header
model = path("vae.so")
run([args.neurona, "train", model, "--data-dir", digits, "--epochs", "3",
     "--batch-size", "32", "--quiet", "--save", path("vae.npz"), "--curves",
     path("vae.csv")])
losses = [float(r["loss"]) for r in csv.DictReader(open(path("vae.csv")))]
print("VAE loss per image by epoch:", ", ".join(f"{v:.1f}" for v in losses))
assert len(losses) == 3 and all(np.isfinite(losses)), losses
assert losses[0] > losses[1] > losses[2], losses
assert losses[-1] < 0.75 * 543.4, losses  # 784 ln 2: a uniform guess

out = run([args.neurona, "eval", model, "--data-dir", digits, "--params",
           path("vae.npz"), "--reconstructions", path("r.png"), "--samples",
           path("s.png"), "--samples-codes", path("z.npy"), "--seed",
           "7"]).stdout
test_loss = float(re.search(r"loss ([0-9.e+-]+)", out).group(1))
assert np.isfinite(test_loss) and test_loss < 543.4, out
assert read_png(path("r.png")).shape == (4 * 30 + 2, 8 * 30 + 2)
grid = read_png(path("s.png"))
assert grid.shape == (8 * 30 + 2, 8 * 30 + 2), grid.shape
z = np.load(path("z.npy"))
assert z.shape == (64, 16) and z.dtype == np.float32
close("eval's codes are Philox normals of seed 7", z, normals(7, 0, 0, z.shape),
      rtol=1e-5, atol=1e-5)
run([args.neurona, "run", model, "--entry", "decode", "--params",
     path("vae.npz"), "--input", path("z.npy"), "--output", path("d.npy")])
d = np.load(path("d.npy"))
assert d.shape == (64, 784), d.shape
for i in range(64):
    r, c = divmod(i, 8)
    tile = grid[2 + r * 30:30 + r * 30, 2 + c * 30:30 + c * 30].astype(int)
    want = np.rint(np.clip(d[i], 0, 1).reshape(28, 28) * 255)
    assert np.abs(tile - want).max() <= 1, i

# The deployable executable exposes decode and gives the same images.
exe = path("vae")
run([args.neurona, "compile", source, "--params", path("vae.npz"),
     "--emit=exe", "-o", exe])
info = run([exe, "--info"]).stdout
assert "entry decode" in info, info
run([exe, "--entry", "decode", "-i", path("z.npy"), "-o", path("e.npy")])
close("executable's decode", np.load(path("e.npy")), d, rtol=1e-6, atol=1e-6)
print(f"VAE: test loss {test_loss:.1f} per image; samples and decode agree")
