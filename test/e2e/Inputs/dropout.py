"""Dropout and Gaussian noise, compiled and trained end to end.

* Philox-4x32-10 re-implemented here in NumPy (checked against Random123's
  known answers) predicts the compiled dropout mask bit for bit, for a seed
  with both words set and a step other than 0;
* `forward` is the identity at inference; in training the kept fraction is
  within 5 binomial standard deviations of 1 - rate, and kept values are
  x / (1 - rate) to float32 rounding (rtol 1e-6);
* Gaussian noise is stddev * Box-Muller(Philox) to 1e-5 absolute (the
  compiled log is a polynomial, cos is libm's);
* `gradients` of a dense-tanh-dropout-dense model, with the rng fixed, match
  central finite differences (h = 1e-6) of a float64 NumPy reference that
  applies the NumPy mask, at 1e-4 * |ref| + 1e-5 (float32 gradients);
* training with one seed twice, and on 1 and 2 threads, saves byte-identical
  parameters; another seed saves parameters that differ by far more than
  rounding.
"""

import argparse
import os
import subprocess

import numpy as np

from nrtest import (blocks, central_differences, close, normals,
                    philox4x32_10, run)

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
W = args.workdir
os.makedirs(W, exist_ok=True)
KATS = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2,
         (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
         (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]
for ctr, key, want in KATS:
    got = tuple(int(w) for w in philox4x32_10([np.uint64(x) for x in ctr], key))
    assert got == want, ("numpy Philox KAT", [hex(g) for g in got])
print("numpy Philox-4x32-10 matches Random123's known answers")


def keep_mask(seed, step, stream, shape, rate):
    u = (blocks(seed, step, stream, shape)[0] >> np.uint64(8)).astype(np.float32) \
        * np.float32(2.0 ** -24)
    return u >= np.float32(rate)


def write_model(name, text):
    path = os.path.join(W, name + ".nn")
    with open(path, "w") as f:
        f.write(text)
    return path


def save(name, **arrays):
    path = os.path.join(W, name)
    np.save(path, next(iter(arrays.values()))) if name.endswith(".npy") else \
        np.savez(path, **arrays)
    return path


def npy(name, value):
    path = os.path.join(W, name)
    np.save(path, value)
    return path


def train_step_prediction(model, params, x, rng):
    """The prediction of `train_step` (computed before its update)."""
    out = os.path.join(W, "pred.npy")
    t = np.zeros_like(x)
    run([args.neurona, "run", model, "--entry", "train_step", "--params", params,
         "--input", npy("x.npy", x), "--input", npy("t.npy", t),
         "--input", npy("lr.npy", np.float32(0.0)),
         "--input", npy("rng.npy", np.array(rng, np.int64)),
         "--output", os.path.join(W, "loss.npy"), "--output", out])
    return np.load(out)


# --- dropout through an identity dense layer: the output is dropout(x) ----
B, D, RATE = 256, 64, 0.3
ident = write_model("ident", f"""
model ident {{
  input x: [{D}]
  dropout({RATE})
  dense({D}, bias=false)
  output y
}}
train {{ loss = mse  optimizer = sgd(lr=0.1) }}
""")
eye = os.path.join(W, "eye.npz")
np.savez(eye, **{"dense0.weight": np.eye(D, dtype=np.float32)})
rs = np.random.default_rng(0)
x = rs.uniform(0.5, 1.5, (B, D)).astype(np.float32)  # never 0

fwd = os.path.join(W, "fwd.npy")
run([args.neurona, "run", ident, "--params", eye, "--input", npy("x.npy", x),
     "--output", fwd])
assert np.array_equal(np.load(fwd), x), "forward is not the identity"
print("forward (inference) is the identity")

SEED, STEP = 0x123456789ABCDEF0, 7
y = train_step_prediction(ident, eye, x, (SEED, STEP))
kept = y != 0
want = keep_mask(SEED, STEP, 0, (B, D), RATE)
if not np.array_equal(kept, want):
    bad = np.argwhere(kept != want)
    raise SystemExit(f"mask differs from numpy Philox at {len(bad)} elements, "
                     f"first {tuple(bad[0])}")
print(f"mask equals numpy Philox's bit for bit ({kept.size} elements)")
n = kept.size
sd = np.sqrt(n * RATE * (1 - RATE))
frac = kept.mean()
assert abs(kept.sum() - n * (1 - RATE)) <= 5 * sd, ("kept fraction", frac)
print(f"kept fraction {frac:.4f}, expected {1 - RATE} +- {5 * sd / n:.4f}")
close("kept values = x / (1 - rate)", y[kept], x[kept] / (1 - RATE),
      rtol=1e-6, atol=0)
y2 = train_step_prediction(ident, eye, x, (SEED, STEP + 1))
assert not np.array_equal(y2 != 0, kept), "the next step drew the same mask"
assert np.array_equal(y2 != 0, keep_mask(SEED, STEP + 1, 0, (B, D), RATE))
print("the next step draws a new mask, also Philox's")

# --- Gaussian noise -------------------------------------------------------
STD = 0.5
noisy = write_model("noisy", f"""
model noisy {{
  input x: [{D}]
  gaussian_noise({STD})
  dense({D}, bias=false)
  output y
}}
train {{ loss = mse  optimizer = sgd(lr=0.1) }}
""")
y = train_step_prediction(noisy, eye, x, (SEED, STEP))
close("noise = stddev * Box-Muller(Philox)", y - x,
      STD * normals(SEED, STEP, 0, (B, D)), rtol=0, atol=1e-5)

# --- gradients against finite differences, rng fixed ----------------------
gmodel = write_model("grad", """
model grad {
  input x: [6]
  dense(5, activation=tanh)
  dropout(0.4)
  dense(3)
  output y
}
train { loss = mse  optimizer = sgd(lr=0.1) }
""")
GB = 8
params = {"dense0.weight": rs.uniform(-1, 1, (6, 5)), "dense0.bias": rs.uniform(-.5, .5, 5),
          "dense1.weight": rs.uniform(-1, 1, (5, 3)), "dense1.bias": rs.uniform(-.5, .5, 3)}
params = {k: v.astype(np.float32) for k, v in params.items()}
pfile = os.path.join(W, "grad_params.npz")
np.savez(pfile, **params)
gx = rs.normal(size=(GB, 6)).astype(np.float32)
gt = rs.normal(size=(GB, 3)).astype(np.float32)
GSEED, GSTEP = 42, 3
mask = keep_mask(GSEED, GSTEP, 0, (GB, 5), 0.4)
assert 0 < mask.sum() < mask.size
scale = 1 / (1 - np.float64(np.float32(0.4)))


def loss64(ps):
    h = np.tanh(gx.astype(np.float64) @ ps["dense0.weight"] + ps["dense0.bias"])
    h = h * mask * scale
    out = h @ ps["dense1.weight"] + ps["dense1.bias"]
    return ((out - gt) ** 2).mean()


names = list(params)
outs = [os.path.join(W, "g_loss.npy")] + [os.path.join(W, f"g{i}.npy") for i in range(4)]
cmd = [args.neurona, "run", gmodel, "--entry", "gradients", "--params", pfile,
       "--input", npy("gx.npy", gx), "--input", npy("gt.npy", gt),
       "--input", npy("grng.npy", np.array([GSEED, GSTEP], np.int64))]
for o in outs:
    cmd += ["--output", o]
run(cmd)
p64 = {k: v.astype(np.float64) for k, v in params.items()}
close("loss (rng fixed)", np.load(outs[0]), loss64(p64), rtol=1e-5, atol=1e-6)
fd = central_differences(loss64, p64)
for name, o in zip(names, outs[1:]):
    close(f"d{name} (finite differences)", np.load(o), fd[name], rtol=1e-4, atol=1e-5)

# --- reproducible training -------------------------------------------------
train_model = write_model("train", """
model mlp {
  input x: [8]
  dense(32, activation=relu)
  dropout(0.5)
  dense(1)
  output y
}
train { loss = mse  optimizer = adam(lr=0.01)  batch = 16  epochs = 3 }
""")
tx = rs.normal(size=(512, 8)).astype(np.float32)
ty = (tx[:, :1] * 2 - tx[:, 1:2] + 0.1 * rs.normal(size=(512, 1))).astype(np.float32)
start = os.path.join(W, "start.npz")
run([args.neurona, "train", train_model, "--train-data", npy("tx.npy", tx),
     "--train-labels", npy("ty.npy", ty), "--epochs", "1", "--quiet",
     "--save", start])


def train(seed, out, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    path = os.path.join(W, out)
    run([args.neurona, "train", train_model, "--params", start,
         "--train-data", os.path.join(W, "tx.npy"),
         "--train-labels", os.path.join(W, "ty.npy"), "--quiet",
         "--seed", str(seed), "--save", path], env=env)
    with open(path, "rb") as f:
        return f.read(), np.load(path)


a_bytes, a = train(11, "a.npz", 1)
b_bytes, _ = train(11, "b.npz", 2)
c_bytes, c = train(12, "c.npz", 1)
assert a_bytes == b_bytes, "one seed, 1 and 2 threads: parameters differ"
print("one seed, 1 and 2 threads: byte-identical parameters")
diff = max(np.abs(a[k] - c[k]).max() for k in a.files)
assert a_bytes != c_bytes and diff > 1e-3, ("another seed", diff)
print(f"another seed: parameters differ (max abs difference {diff:.3g})")
