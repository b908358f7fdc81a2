"""The GAN of models/gan.nn: two models composed by the train section,
trained in alternation (d_train_step, g_train_step), deployable.

* Each step's gradients (d_gradients, g_gradients on a trained pair)
  match PyTorch autograd in float64 of the same two MLPs: the
  discriminator's BCE(D(x), 1) + BCE(D(G(z)), 0) with respect to D's
  parameters only, the generator's BCE(D(G(z)), 1) with respect to G's
  only, through D (1e-4 * |ref| + 1e-5, float32 against float64).
* One g_train_step leaves every discriminator parameter bit-identical and
  one d_train_step every generator parameter: the runtime shares one
  buffer per parameter between the entries.
* Training on 320 digits for two epochs reports both losses per epoch
  (finite, in the CSV), writes a samples PNG of the right size that is
  `neurona run --entry generate` on the codes it drew (to one grey level),
  and two runs with one seed (one and two threads) save byte-identical
  parameters, as does a run checkpointed after one epoch and resumed.
* The compiled executable and library expose generate, d_train_step and
  g_train_step; the executable's generate gives run's arrays.
"""

import argparse
import csv
import filecmp
import os

import numpy as np
import torch
import torch.nn.functional as F

from nrtest import close, normals, read_png, run, write_digits

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


digits = path("digits")
write_digits(args.shared, digits, 320, 64)
# Compiled once, with its training entries, and used from the library below
# (each `neurona` command on a .nn file compiles it again).
run([args.neurona, "compile", os.path.join(args.models, "gan.nn"),
     "--training", "--emit=lib", "-o", path("gan.so")])
header = open(path("gan.so.h")).read()
for entry in ("gan_generate", "gan_d_train_step", "gan_g_train_step"):
    assert entry in header, entry
model = path("gan.so")
train = [args.neurona, "train", model, "--data-dir", digits, "--epochs", "2",
         "--batch-size", "32", "--seed", "3", "--quiet"]
run(train + ["--save", path("a.npz"), "--curves", path("a.csv"), "--samples",
             path("s.png"), "--samples-codes", path("z.npy")],
    env=dict(os.environ, NEURONA_NUM_THREADS="1", OMP_NUM_THREADS="1"))
rows = list(csv.DictReader(open(path("a.csv"))))
assert [r["epoch"] for r in rows] == ["1", "2"], rows
for r in rows:
    d, g = float(r["d_loss"]), float(r["g_loss"])
    assert np.isfinite(d) and np.isfinite(g) and d > 0 and g > 0, r
print("GAN losses by epoch:", "; ".join(
    f"d {float(r['d_loss']):.3f} g {float(r['g_loss']):.3f}" for r in rows))

# Bit-reproducible for a seed, whatever the thread count.
run(train + ["--save", path("b.npz")],
    env=dict(os.environ, NEURONA_NUM_THREADS="2", OMP_NUM_THREADS="2"))
assert filecmp.cmp(path("a.npz"), path("b.npz"), shallow=False), \
    "two runs with seed 3 saved different parameters"

# A checkpoint after each epoch; one epoch, then a resume to the second,
# saves exactly the parameters of the uninterrupted run.
run(train + ["--epochs", "1", "--checkpoint", path("ck.npz"),
             "--save", path("half.npz")])
ck = np.load(path("ck.npz"))
assert int(ck["trainer:epoch"]) == 1 and "generator.dense0.weight" in ck
assert any(k.startswith("discriminator.") and k != "discriminator.dense0.weight"
           for k in ck)
run(train + ["--resume", path("ck.npz"), "--save", path("resumed.npz")])
assert filecmp.cmp(path("a.npz"), path("resumed.npz"), shallow=False), \
    "a resumed GAN run saved other parameters than an uninterrupted one"

# The samples are generate's images of the codes drawn.
grid = read_png(path("s.png"))
assert grid.shape == (8 * 30 + 2, 8 * 30 + 2), grid.shape
z = np.load(path("z.npy"))
assert z.shape == (64, 64), z.shape
close("codes are Philox normals of seed 3", z, normals(3, 0, 0, z.shape),
      rtol=1e-5, atol=1e-5)
run([args.neurona, "run", model, "--entry", "generate", "--params",
     path("a.npz"), "--input", path("z.npy"), "--output", path("g.npy")])
gen = np.load(path("g.npy"))
for i in range(64):
    r, c = divmod(i, 8)
    tile = grid[2 + r * 30:30 + r * 30, 2 + c * 30:30 + c * 30].astype(int)
    assert np.abs(tile - np.rint(gen[i].reshape(28, 28) * 255)).max() <= 1, i

# Gradients of both steps against PyTorch autograd (float64).
P = dict(np.load(path("a.npz")))
rs = np.random.default_rng(1)
x = (rs.uniform(0, 1, (16, 784))).astype(np.float32)
zz = rs.standard_normal((16, 64)).astype(np.float32)
np.save(path("x.npy"), x)
np.save(path("zz.npy"), zz)
G = ["generator.dense0.weight", "generator.dense0.bias",
     "generator.dense1.weight", "generator.dense1.bias"]
D = ["discriminator.dense0.weight", "discriminator.dense0.bias",
     "discriminator.dense1.weight", "discriminator.dense1.bias"]
T = {n: torch.tensor(v.astype(np.float64), requires_grad=True)
     for n, v in P.items()}
X, Z = torch.from_numpy(x.astype(np.float64)), torch.from_numpy(zz.astype(np.float64))


def gen_t(z):
    h = F.leaky_relu(z @ T[G[0]] + T[G[1]], 0.2)
    return torch.sigmoid(h @ T[G[2]] + T[G[3]])


def disc_t(v):
    return F.leaky_relu(v @ T[D[0]] + T[D[1]], 0.2) @ T[D[2]] + T[D[3]]


def bce(s, label):
    return F.binary_cross_entropy_with_logits(s, torch.full_like(s, label))


for step, inputs, names, objective in (
        ("d", [path("x.npy"), path("zz.npy")], D,
         lambda: bce(disc_t(X), 1.0) + bce(disc_t(gen_t(Z)), 0.0)),
        ("g", [path("zz.npy")], G, lambda: bce(disc_t(gen_t(Z)), 1.0))):
    outs = [path(f"{step}_loss.npy")] + [path(f"{step}_g{i}.npy")
                                         for i in range(4)]
    cmd = [args.neurona, "run", model, "--entry", f"{step}_gradients",
           "--params", path("a.npz")]
    for i in inputs:
        cmd += ["--input", i]
    for o in outs:
        cmd += ["--output", o]
    run(cmd)
    for v in T.values():
        v.grad = None
    loss = objective()
    loss.backward()
    close(f"{step}_gradients loss", np.load(outs[0]), loss.item(), rtol=1e-5,
          atol=1e-5)
    for n, o in zip(names, outs[1:]):
        close(f"{step}_gradients d{n}", np.load(o), T[n].grad.numpy(),
              rtol=1e-4, atol=1e-5)

# Each step updates its own network only.
np.save(path("lr.npy"), np.array(0.01, np.float32))
for step, inputs, mine, other in (
        ("d", [path("x.npy"), path("zz.npy")], D, G),
        ("g", [path("zz.npy")], G, D)):
    cmd = [args.neurona, "run", model, "--entry", f"{step}_train_step",
           "--params", path("a.npz"), "--save-params", path(f"{step}.npz"),
           "--output", path(f"{step}_l.npy")]
    for i in inputs + [path("lr.npy")]:
        cmd += ["--input", i]
    run(cmd)
    after = dict(np.load(path(f"{step}.npz")))
    for n in other:
        np.testing.assert_array_equal(after[n], P[n], err_msg=f"{step} step changed {n}")
    for n in mine:
        assert not np.array_equal(after[n], P[n]), f"{step} step left {n}"

# Deployable: the executable and the library expose the entries.
exe = path("gan")
run([args.neurona, "compile", os.path.join(args.models, "gan.nn"), "--params",
     path("a.npz"), "--training", "--emit=exe", "-o", exe])
info = run([exe, "--info"]).stdout
for entry in ("generate", "discriminate", "d_train_step", "g_train_step"):
    assert f"entry {entry}" in info, (entry, info)
run([exe, "--entry", "generate", "-i", path("z.npy"), "-o", path("e.npy")])
close("executable's generate", np.load(path("e.npy")), gen, rtol=1e-6,
      atol=1e-6)
print("GAN: reproducible, samples match generate, gradients match autograd")
