"""The gradients entry of the new losses and penalties matches PyTorch
autograd (float64) and central finite differences (float64): mae (L1Loss),
binary_cross_entropy(from_logits=true) (BCEWithLogitsLoss),
cross_entropy(targets=probabilities) (CrossEntropyLoss with probability
targets), L2/L1 parameter penalties and an L1 activity penalty on a named
layer. The loss it returns is the objective (data loss + penalties).
`neurona eval`, which computes the loss on the host (lib/Train/Losses.cpp),
prints the same data loss as PyTorch to its 4 decimals (5.1e-5).
Tolerances: 1e-4 * |ref| + 1e-5 for gradients (float32 against float64),
1e-5 * |ref| + 1e-6 for the loss."""

import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F

from nrtest import run, close, central_differences, close_gradients

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)
rng = np.random.default_rng(3)

HIDDEN, IN = 5, 4


def model_text(name, out, loss, extra):
    return f"""model {name} {{
  input x: [{IN}]
  h = dense({HIDDEN}, activation=tanh)
  dense({out})
  output y
}}
train {{
  loss = {loss}
  optimizer = sgd(lr=0.1)
{extra}
}}
"""


def forward(p, x):
    h = torch.tanh(x @ p["h.weight"] + p["h.bias"])
    return h, h @ p["dense1.weight"] + p["dense1.bias"]


def check(tag, out, loss, extra, target, objective, data_loss, params=None):
    path = f"{w}/{tag}.nn"
    with open(path, "w") as f:
        f.write(model_text(tag, out, loss, extra))
    if params is None:
        params = {
            "h.weight": rng.uniform(-1, 1, (IN, HIDDEN)),
            "h.bias": rng.uniform(-0.5, 0.5, HIDDEN),
            "dense1.weight": rng.uniform(-1, 1, (HIDDEN, out)),
            "dense1.bias": rng.uniform(-0.5, 0.5, out),
        }
    params = {k: np.asarray(v, np.float32) for k, v in params.items()}
    names = list(params)
    x = rng.standard_normal((7, IN)).astype(np.float32)
    np.savez(f"{w}/{tag}_p.npz", **params)
    np.save(f"{w}/{tag}_x.npy", x)
    np.save(f"{w}/{tag}_t.npy", target)
    outs = [f"{w}/{tag}_loss.npy"] + [f"{w}/{tag}_g{i}.npy" for i in range(4)]
    cmd = [args.neurona, "run", path, "--entry", "gradients", "--params",
           f"{w}/{tag}_p.npz", "--input", f"{w}/{tag}_x.npy", "--input",
           f"{w}/{tag}_t.npy"]
    for o in outs:
        cmd += ["--output", o]
    run(cmd)
    ours = {n: np.load(o) for n, o in zip(names, outs[1:])}

    xt = torch.tensor(x, dtype=torch.float64)
    tt = torch.tensor(target, dtype=torch.float64)

    def f(p):
        h, y = forward(p, xt)
        return float(objective(p, h, y, tt))

    leaves = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for n, v in params.items()}
    h, y = forward(leaves, xt)
    total = objective(leaves, h, y, tt)
    total.backward()
    close(f"{tag} loss", np.load(outs[0]), total.detach().numpy(),
          rtol=1e-5, atol=1e-6)
    auto = {n: leaves[n].grad.numpy() for n in names}
    fd = central_differences(
        f, {n: torch.tensor(v, dtype=torch.float64) for n, v in params.items()})
    close_gradients(tag, ours, fd, auto)

    # The trainer's host-side evaluation (lib/Train/Losses.cpp) uses the same
    # definition: `neurona eval` prints the data loss (no penalties) to 4
    # decimals.
    out = run([args.neurona, "eval", path, "--params", f"{w}/{tag}_p.npz",
               "--test-data", f"{w}/{tag}_x.npy", "--test-labels",
               f"{w}/{tag}_t.npy"]).stdout
    printed = float(out.split("loss")[1].split()[0])
    with torch.no_grad():
        _, y = forward({n: torch.tensor(v, dtype=torch.float64)
                        for n, v in params.items()}, xt)
        want = float(data_loss(y, tt))
    close(f"{tag} host-side eval loss", printed, want, rtol=0, atol=5.1e-5)
    return ours, auto


# MAE with penalties: l2(0.01) on every weight (not biases), l1(0.02) on
# h.bias, and an activity penalty 0.05 * mean |h|.
t = rng.standard_normal((7, 3)).astype(np.float32)


def mae_objective(p, h, y, t):
    return (F.l1_loss(y, t) + 0.01 * ((p["h.weight"] ** 2).sum() +
                                      (p["dense1.weight"] ** 2).sum()) +
            0.02 * p["h.bias"].abs().sum() + 0.05 * h.abs().mean())


check("mae_penalties", 3, "mae",
      '  penalties = [l2(0.01), l1(0.02, ["h.bias"])]\n'
      '  activity = l1(0.05, "h")', t, mae_objective, F.l1_loss)

# MAE's subgradient at 0 is 0 (PyTorch's sign): with a zero last layer the
# prediction is exactly 0, and the zero targets add nothing to the bias
# gradient. (Finite differences are not defined at the kink: only autograd.)
t0 = np.zeros((7, 2), np.float32)
t0[::2, 0] = 1.5
params0 = {"h.weight": rng.uniform(-1, 1, (IN, HIDDEN)),
           "h.bias": np.zeros(HIDDEN), "dense1.weight": np.zeros((HIDDEN, 2)),
           "dense1.bias": np.zeros(2)}
path = f"{w}/mae_zero.nn"
with open(path, "w") as f:
    f.write(model_text("mae_zero", 2, "mae", ""))
np.savez(f"{w}/mae_zero_p.npz",
         **{k: np.asarray(v, np.float32) for k, v in params0.items()})
np.save(f"{w}/mae_zero_x.npy", rng.standard_normal((7, IN)).astype(np.float32))
np.save(f"{w}/mae_zero_t.npy", t0)
run([args.neurona, "run", path, "--entry", "gradients", "--params",
     f"{w}/mae_zero_p.npz", "--input", f"{w}/mae_zero_x.npy", "--input",
     f"{w}/mae_zero_t.npy", "--output", f"{w}/mae_zero_loss.npy"] +
    sum([["--output", f"{w}/mae_zero_g{i}.npy"] for i in range(4)], []))
leaves = {n: torch.tensor(np.asarray(v, np.float32), requires_grad=True)
          for n, v in params0.items()}
_, y0 = forward(leaves, torch.tensor(np.load(f"{w}/mae_zero_x.npy")))
F.l1_loss(y0, torch.tensor(t0)).backward()
close("mae subgradient at 0 (dense1.bias)", np.load(f"{w}/mae_zero_g3.npy"),
      leaves["dense1.bias"].grad.numpy(), rtol=1e-6, atol=1e-7)
assert np.load(f"{w}/mae_zero_g3.npy")[1] == 0.0, "sign(0) must be 0"

# Binary cross-entropy from logits, soft targets in [0, 1], and logits
# large enough that a naive log(sigmoid) would lose precision.
tb = rng.uniform(0, 1, (7, 2)).astype(np.float32)
big = {"h.weight": rng.uniform(-1, 1, (IN, HIDDEN)),
       "h.bias": rng.uniform(-0.5, 0.5, HIDDEN),
       "dense1.weight": rng.uniform(-8, 8, (HIDDEN, 2)),
       "dense1.bias": np.array([20.0, -20.0])}
check("bce_logits", 2, "binary_cross_entropy(from_logits=true)",
      '  penalties = l2(0.001, ["dense1.weight"])', tb,
      lambda p, h, y, t: F.binary_cross_entropy_with_logits(y, t) +
      0.001 * (p["dense1.weight"] ** 2).sum(),
      F.binary_cross_entropy_with_logits, params=big)

# Cross-entropy against class probabilities; the last row does not sum to
# one, which the exact gradient (softmax * sum t - t) handles.
ts = rng.uniform(0, 1, (7, 3)).astype(np.float32)
ts[:-1] /= ts[:-1].sum(axis=1, keepdims=True)
check("soft_cross_entropy", 3, "cross_entropy(targets=probabilities)", "",
      ts, lambda p, h, y, t: F.cross_entropy(y, t), F.cross_entropy)
