"""The training recipes' optimizers and schedules match PyTorch over several
steps: SGD with momentum, Nesterov and (coupled) weight decay
(torch.optim.SGD), Adam with coupled weight decay (torch.optim.Adam), AdamW
(torch.optim.AdamW, decoupled), each through `neurona run --entry
train_step --repeat 4` on a DSL model, and the step and cosine schedules
(StepLR, CosineAnnealingLR stepped once per epoch) through `neurona train`
with one full batch per epoch for 6 epochs. Compared: the parameters after
the last step and the last step's loss. Tolerance |ours - torch| <= 2e-5 *
|torch| + 2e-6 (float32 on both sides; the trainer's batch order changes
the order of the sums)."""

import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F

from nrtest import run, close

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)
rng = np.random.default_rng(21)

N, IN, H, C = 10, 6, 8, 4
init = {
    "dense0.weight": rng.uniform(-0.6, 0.6, (IN, H)).astype(np.float32),
    "dense0.bias": rng.uniform(-0.1, 0.1, H).astype(np.float32),
    "dense1.weight": rng.uniform(-0.6, 0.6, (H, C)).astype(np.float32),
    "dense1.bias": rng.uniform(-0.1, 0.1, C).astype(np.float32),
}
names = list(init)
np.savez(f"{w}/init.npz", **init)
x = rng.standard_normal((N, IN)).astype(np.float32)
y = rng.integers(0, C, N).astype(np.int64)
np.save(f"{w}/x.npy", x)
np.save(f"{w}/y.npy", y)
RTOL, ATOL = 2e-5, 2e-6


def write_model(tag, optimizer, extra=""):
    path = f"{w}/{tag}.nn"
    with open(path, "w") as f:
        f.write(f"""model {tag} {{
  input x: [{IN}]
  dense({H}, activation=tanh)
  dense({C})
  output logits
}}
train {{
  loss = cross_entropy
  optimizer = {optimizer}
  batch = {N}
{extra}
}}
""")
    return path


def torch_run(make_optim, steps, schedule=None):
    params = [torch.tensor(init[n], requires_grad=True) for n in names]
    optim = make_optim(params)
    sched = schedule(optim) if schedule else None
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(steps):
        optim.zero_grad()
        h = torch.tanh(xt @ params[0] + params[1])
        loss = F.cross_entropy(h @ params[2] + params[3], yt)
        loss.backward()
        optim.step()
        if sched:
            sched.step()
    return loss.detach().numpy(), {n: t.detach().numpy()
                                   for n, t in zip(names, params)}


steps = 4
lr = 0.05
np.save(f"{w}/lr.npy", np.array(lr, np.float32))
cases = [
    ("sgd_momentum_decay", "sgd(lr=0.05, momentum=0.9, weight_decay=0.01)",
     lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9, weight_decay=0.01)),
    ("sgd_nesterov", "sgd(lr=0.05, momentum=0.8, nesterov=true, "
     "weight_decay=0.001)",
     lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.8, nesterov=True,
                                weight_decay=0.001)),
    ("sgd_decay", "sgd(lr=0.05, weight_decay=0.1)",
     lambda ps: torch.optim.SGD(ps, lr=lr, weight_decay=0.1)),
    ("adam_decay", "adam(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-7, "
     "weight_decay=0.05)",
     lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.8, 0.99), eps=1e-7,
                                 weight_decay=0.05)),
    ("adamw", "adamw(lr=0.05, weight_decay=0.1)",
     lambda ps: torch.optim.AdamW(ps, lr=lr, weight_decay=0.1)),
]
for tag, spec, make in cases:
    model = write_model(tag, spec)
    run([args.neurona, "run", model, "--entry", "train_step", "--params",
         f"{w}/init.npz", "--input", f"{w}/x.npy", "--input", f"{w}/y.npy",
         "--input", f"{w}/lr.npy", "--output", f"{w}/{tag}_loss.npy",
         "--output", f"{w}/{tag}_pred.npy", "--repeat", str(steps),
         "--save-params", f"{w}/{tag}.npz"])
    ours = np.load(f"{w}/{tag}.npz")
    loss, ref = torch_run(make, steps)
    close(f"{tag} loss of step {steps}", np.load(f"{w}/{tag}_loss.npy"), loss,
          rtol=RTOL, atol=ATOL)
    for n in names:
        close(f"{tag} {n} after {steps} steps", ours[n], ref[n], rtol=RTOL,
              atol=ATOL)

# Schedules, per epoch, through the trainer: one full batch per epoch, so
# epoch e is step e.
epochs = 6
sched_cases = [
    ("step_sgd", "sgd(lr=0.1, momentum=0.9)", "  schedule = step(every=2, "
     "gamma=0.5)",
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)),
    ("cosine_adam", "adam(lr=0.05)", "  schedule = cosine(epochs=4, "
     "min_lr=0.005)",
     lambda ps: torch.optim.Adam(ps, lr=0.05),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4,
                                                          eta_min=0.005)),
]
for tag, spec, extra, make, schedule in sched_cases:
    model = write_model(tag, spec, extra)
    run([args.neurona, "train", model, "--train-data", f"{w}/x.npy",
         "--train-labels", f"{w}/y.npy", "--params", f"{w}/init.npz",
         "--epochs", str(epochs), "--quiet", "--save", f"{w}/{tag}.npz",
         "--curves", f"{w}/{tag}.csv"])
    ours = np.load(f"{w}/{tag}.npz")
    loss, ref = torch_run(make, epochs, schedule)
    # The learning rate of every epoch, as the curves CSV records it.
    rows = np.genfromtxt(f"{w}/{tag}.csv", delimiter=",", names=True)
    params = [torch.zeros(1, requires_grad=True)]
    o = make(params)
    s = schedule(o)
    want = []
    for _ in range(epochs):
        want.append(o.param_groups[0]["lr"])
        o.step()
        s.step()
    close(f"{tag} learning rate per epoch", rows["lr"], want, rtol=1e-5,
          atol=0)
    close(f"{tag} loss of epoch {epochs}", rows["loss"][-1], loss, rtol=RTOL,
          atol=ATOL)
    for n in names:
        close(f"{tag} {n} after {epochs} epochs", ours[n], ref[n], rtol=RTOL,
              atol=ATOL)
