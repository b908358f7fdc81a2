"""train_step with SGD (plain and with momentum) and Adam matches PyTorch's
optimizers over several steps: the loss of each step and the parameters
after the last. Tolerance |ours - torch| <= 1e-5 * |torch| + 1e-6 (float32
on both sides; PyTorch here runs in float32 too)."""

import argparse
import os

import numpy as np
import torch

from nrtest import mlp_onnx, run, close

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)

model = os.path.join(w, "opt_mlp.onnx")
weights = mlp_onnx(model, [6, 8, 4], ["Tanh"], gemm=False, name="opt_mlp", seed=5)
names = list(weights)
rng = np.random.default_rng(11)
x = rng.standard_normal((10, 6)).astype(np.float32)
y = rng.integers(0, 4, 10).astype(np.int64)
np.save(f"{w}/x.npy", x)
np.save(f"{w}/y.npy", y)
lr = np.float32(0.05)
np.save(f"{w}/lr.npy", np.array(lr, np.float32))
steps = 3

for opt, extra in (("sgd", []), ("sgd", ["--momentum", "0.9"]), ("adam", [])):
    tag = opt + ("_momentum" if extra else "")
    run([args.neurona, "run", model, "--entry", "train_step", "--loss",
         "cross_entropy", "--optimizer", opt] + extra +
        ["--input", f"{w}/x.npy", "--input", f"{w}/y.npy", "--input", f"{w}/lr.npy",
         "--output", f"{w}/{tag}_loss.npy", "--output", f"{w}/{tag}_pred.npy",
         "--repeat", str(steps), "--save-params", f"{w}/{tag}.npz"])
    ours = np.load(f"{w}/{tag}.npz")

    params = [torch.tensor(weights[n], requires_grad=True) for n in names]
    if opt == "adam":
        optim = torch.optim.Adam(params, lr=float(lr))
    else:
        optim = torch.optim.SGD(params, lr=float(lr), momentum=0.9 if extra else 0.0)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(steps):
        optim.zero_grad()
        h = torch.tanh(xt @ params[0] + params[1])
        logits = h @ params[2] + params[3]
        loss = torch.nn.functional.cross_entropy(logits, yt)
        loss.backward()
        optim.step()
    # The last step's reported loss is computed before its update.
    close(f"{tag} loss of step {steps}", np.load(f"{w}/{tag}_loss.npy"),
          loss.detach().numpy(), rtol=1e-5, atol=1e-6)
    for n, t in zip(names, params):
        close(f"{tag} {n} after {steps} steps", ours[n], t.detach().numpy(),
              rtol=1e-5, atol=1e-6)
