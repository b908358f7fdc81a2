"""batch_norm against PyTorch's BatchNorm2d and BatchNorm1d.

A conv - batch_norm - dense - batch_norm - dense model from a `.nn` file,
started from parameters drawn here, and the same network written with
torch.nn.functional (F.batch_norm in training mode, which updates the
running statistics in place):

* `gradients` equals PyTorch autograd in float64 (the true gradient through
  the batch mean and variance) at 1e-4 * |ref| + 1e-5, and differs from the
  gradient that treats the batch statistics as constants, so the comparison
  can tell the two apart;
* three `train_step`s with SGD give PyTorch float32's loss of the third step
  and every parameter after it, running means and variances included
  (PyTorch's momentum rule with the unbiased variance), at 1e-4 * |ref| +
  1e-5;
* `forward` on other inputs with the trained parameters uses the running
  statistics: it equals PyTorch in eval mode at 1e-5 * |ref| + 1e-5, and a
  single-row batch (whose own statistics would zero the features) gives
  the eval-mode answer too;
* `neurona export` writes BatchNormalization nodes with ONNX's momentum
  (1 - PyTorch's) that onnx.checker accepts and onnxruntime runs to the
  same outputs at 1e-5;
* `neurona train` keeps the running statistics in its checkpoints: one
  epoch resumed from a checkpoint ends bit for bit where two epochs in one
  run do.
"""

import argparse
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F

from nrtest import close, run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
W = args.workdir
os.makedirs(W, exist_ok=True)

MODEL = """
model bn {
  input x: [2, 6, 6]
  conv2d(3, 3)
  batch_norm()
  relu()
  flatten()
  dense(5)
  batch_norm(eps=1e-3, momentum=0.25)
  tanh()
  dense(3)
  output y
}
train { loss = cross_entropy  optimizer = sgd(lr=0.1) }
"""
model = os.path.join(W, "bn.nn")
with open(model, "w") as f:
    f.write(MODEL)

rng = np.random.default_rng(7)
f32 = np.float32
params = {
    "conv2d0.weight": rng.normal(0, 0.4, (3, 2, 3, 3)).astype(f32),
    "conv2d0.bias": rng.normal(0, 0.1, 3).astype(f32),
    "batch_norm0.weight": rng.uniform(0.5, 1.5, 3).astype(f32),
    "batch_norm0.bias": rng.normal(0, 0.2, 3).astype(f32),
    "batch_norm0.running_mean": np.zeros(3, f32),
    "batch_norm0.running_var": np.ones(3, f32),
    "dense0.weight": rng.normal(0, 0.3, (48, 5)).astype(f32),
    "dense0.bias": rng.normal(0, 0.1, 5).astype(f32),
    "batch_norm1.weight": rng.uniform(0.5, 1.5, 5).astype(f32),
    "batch_norm1.bias": rng.normal(0, 0.2, 5).astype(f32),
    "batch_norm1.running_mean": np.zeros(5, f32),
    "batch_norm1.running_var": np.ones(5, f32),
    "dense1.weight": rng.normal(0, 0.5, (5, 3)).astype(f32),
    "dense1.bias": rng.normal(0, 0.1, 3).astype(f32),
}
STATS = [n for n in params if ".running_" in n]
TRAINED = [n for n in params if n not in STATS]
init = os.path.join(W, "init.npz")
np.savez(init, **params)

x = rng.normal(1.0, 2.0, (8, 2, 6, 6)).astype(f32)
labels = rng.integers(0, 3, 8).astype(np.int64)
lr = f32(0.1)


def npy(name, value):
    path = os.path.join(W, name)
    np.save(path, value)
    return path


def torch_model(t, x, training, detach_stats=False):
    """The network on tensors `t` (name -> tensor); F.batch_norm updates
    the running statistics in `t` in place when training."""
    def bn(h, name, eps, momentum):
        if training and detach_stats:
            axes = [0] + list(range(2, h.dim()))
            mean = h.mean(axes).detach()
            var = h.var(axes, unbiased=False).detach()
            shape = [1, -1] + [1] * (h.dim() - 2)
            return ((h - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
                    * t[name + ".weight"].view(shape) + t[name + ".bias"].view(shape))
        return F.batch_norm(h, t[name + ".running_mean"], t[name + ".running_var"],
                            t[name + ".weight"], t[name + ".bias"],
                            training=training, momentum=momentum, eps=eps)
    h = F.conv2d(x, t["conv2d0.weight"], t["conv2d0.bias"])
    h = torch.relu(bn(h, "batch_norm0", 1e-5, 0.1))
    h = h.flatten(1) @ t["dense0.weight"] + t["dense0.bias"]
    h = torch.tanh(bn(h, "batch_norm1", 1e-3, 0.25))
    return h @ t["dense1.weight"] + t["dense1.bias"]


def torch_params(dtype):
    return {n: torch.tensor(v, dtype=dtype, requires_grad=n in TRAINED)
            for n, v in params.items()}


# The gradient through the batch statistics.
out = [os.path.join(W, "loss.npy")] + [os.path.join(W, "g%d.npy" % i)
                                       for i in range(len(TRAINED))]
run([args.neurona, "run", model, "--entry", "gradients", "--params", init,
     "--input", npy("x.npy", x), "--input", npy("labels.npy", labels)] +
    sum((["--output", o] for o in out), []))
ours = [np.load(o) for o in out]
t64 = torch_params(torch.float64)
loss = F.cross_entropy(torch_model(t64, torch.tensor(x, dtype=torch.float64),
                                   True), torch.tensor(labels))
loss.backward()
close("gradients: loss", ours[0], loss.item(), rtol=1e-5, atol=1e-6)
for name, got in zip(TRAINED, ours[1:]):
    close("gradients: " + name, got, t64[name].grad.numpy(), rtol=1e-4,
          atol=1e-5)
# The constant-statistics gradient of the first layer is far from the true
# one, so the check above tells them apart.
t64c = torch_params(torch.float64)
F.cross_entropy(torch_model(t64c, torch.tensor(x, dtype=torch.float64), True,
                            detach_stats=True),
                torch.tensor(labels)).backward()
gap = np.abs(t64c["conv2d0.weight"].grad.numpy() -
             t64["conv2d0.weight"].grad.numpy()).max()
scale = np.abs(t64["conv2d0.weight"].grad.numpy()).max()
assert gap > 0.1 * scale, ("statistics-as-constants gradient too close", gap,
                           scale)
print("the constant-statistics gradient differs by %.3g (max |grad| %.3g)"
      % (gap, scale))

# Three SGD steps, running statistics included.
steps = 3
trained = os.path.join(W, "trained.npz")
run([args.neurona, "run", model, "--entry", "train_step", "--params", init,
     "--input", npy("x.npy", x), "--input", npy("labels.npy", labels),
     "--input", npy("lr.npy", np.array(lr, f32)),
     "--output", os.path.join(W, "step_loss.npy"),
     "--output", os.path.join(W, "step_pred.npy"),
     "--repeat", str(steps), "--save-params", trained])
got = np.load(trained)
t32 = torch_params(torch.float32)
optim = torch.optim.SGD([t32[n] for n in TRAINED], lr=float(lr))
for _ in range(steps):
    optim.zero_grad()
    loss = F.cross_entropy(torch_model(t32, torch.tensor(x), True),
                           torch.tensor(labels))
    loss.backward()
    optim.step()
close("train_step: loss of step %d" % steps,
      np.load(os.path.join(W, "step_loss.npy")), loss.item(), rtol=1e-4,
      atol=1e-5)
for name in params:
    close("train_step: %s after %d steps" % (name, steps), got[name],
          t32[name].detach().numpy(), rtol=1e-4, atol=1e-5)
for name in STATS:
    assert np.abs(got[name] - params[name]).max() > 1e-2, (
        "running statistic did not move", name)

# Inference uses the running statistics.
x2 = rng.normal(0.5, 1.5, (4, 2, 6, 6)).astype(f32)
with torch.no_grad():
    t_eval = {n: torch.tensor(v) for n, v in got.items()}
    want = torch_model(t_eval, torch.tensor(x2), False).numpy()
    batch_stats = torch_model({n: v.clone() for n, v in t_eval.items()},
                              torch.tensor(x2), True).numpy()
assert np.abs(want - batch_stats).max() > 1e-2, "eval and train modes agree"
y2 = os.path.join(W, "y2.npy")
run([args.neurona, "run", model, "--params", trained, "--input",
     npy("x2.npy", x2), "--output", y2])
close("forward (running statistics)", np.load(y2), want, rtol=1e-5, atol=1e-5)
y1 = os.path.join(W, "y1.npy")
run([args.neurona, "run", model, "--params", trained, "--input",
     npy("x1.npy", x2[:1]), "--output", y1])
close("forward on one row", np.load(y1), want[:1], rtol=1e-5, atol=1e-5)

# ONNX export: BatchNormalization in inference mode.
exported = os.path.join(W, "bn.onnx")
run([args.neurona, "export", model, "--params", trained, "-o", exported])
graph = onnx.load(exported)
onnx.checker.check_model(graph, full_check=True)
norms = [n for n in graph.graph.node if n.op_type == "BatchNormalization"]
assert len(norms) == 2, [n.op_type for n in graph.graph.node]
momenta = sorted(a.f for n in norms for a in n.attribute if a.name == "momentum")
close("exported momenta", momenta, [0.75, 0.9], rtol=0, atol=1e-7)
session = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
(onnx_out,) = session.run(None, {session.get_inputs()[0].name: x2})
close("onnxruntime on the export", onnx_out, np.load(y2), rtol=1e-5, atol=1e-5)
# `neurona train` writes the running statistics into checkpoints: two
# epochs straight and one epoch resumed from the first's checkpoint save the
# same bytes, statistics included.
xs = rng.normal(1.0, 2.0, (96, 2, 6, 6)).astype(f32)
ys = (xs[:, 0].mean((1, 2)) > 1.0).astype(np.int64) + (xs[:, 1].mean((1, 2)) > 1.0)
data = ["--train-data", npy("xs.npy", xs), "--train-labels", npy("ys.npy", ys),
        "--test-data", npy("xt.npy", xs[:16]), "--test-labels",
        npy("yt.npy", ys[:16]), "--seed", "3", "--quiet"]
straight, first, resumed = (os.path.join(W, n + ".npz")
                            for n in ("straight", "first", "resumed"))
checkpoint = os.path.join(W, "checkpoint.npz")
run([args.neurona, "train", model, "--epochs", "2", "--save", straight] + data)
run([args.neurona, "train", model, "--epochs", "1", "--save", first,
     "--checkpoint", checkpoint] + data)
run([args.neurona, "train", model, "--epochs", "2", "--resume", checkpoint,
     "--save", resumed] + data)
a, b, c = np.load(straight), np.load(resumed), np.load(first)
for name in params:
    assert np.array_equal(a[name], b[name]), ("resumed training differs", name)
for name in STATS:
    assert not np.array_equal(a[name], c[name]), ("statistic did not move in "
                                                  "the second epoch", name)
print("checkpoints carry the running statistics: resumed training is "
      "bit-identical")
print("batch_norm matches PyTorch")
