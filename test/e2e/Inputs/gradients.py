"""Every gradient of an MLP, and of a model built on reductions (max, mean,
sum), matches central finite differences of a float64 NumPy reference and
PyTorch autograd (float64).

Our gradients are computed in float32, so the comparison allows
|ours - ref| <= 1e-4 * |ref| + 1e-5 (float32 has ~6e-8 relative rounding; the
sums over a batch and a layer accumulate a few hundred such roundings).
The finite differences use h = 1e-6 on the float64 reference, whose own
truncation error (~h^2) is far below that bound; they are cross-checked
against autograd at 1e-6.
"""

import argparse
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from nrtest import (central_differences, close, close_gradients, mlp_onnx,
                    neurona_gradients)

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

ACT = {
    "Relu": lambda z: np.maximum(z, 0),
    "Sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "Tanh": np.tanh,
    None: lambda z: z,
}
TACT = {"Relu": torch.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh,
        None: lambda z: z}


def forward(params, x, names, acts, out_act, gemm, lib):
    h = x
    n = len(names) // 2
    for i in range(n):
        w, b = params[names[2 * i]], params[names[2 * i + 1]]
        h = (h @ (w.T if gemm else w)) + b
        act = acts[i] if i < n - 1 else out_act
        h = (ACT if lib is np else TACT)[act](h)
    return h


def loss_fn(kind, pred, target, lib):
    if kind == "mse":
        return ((pred - target) ** 2).mean()
    if kind == "binary_cross_entropy":
        log = lib.log
        return -(target * log(pred) + (1 - target) * log(1 - pred)).mean()
    # cross_entropy from logits with integer labels
    if lib is np:
        m = pred.max(axis=1, keepdims=True)
        lse = np.log(np.exp(pred - m).sum(axis=1)) + m[:, 0]
        return (lse - pred[np.arange(len(target)), target]).mean()
    return torch.nn.functional.cross_entropy(pred, target)


cases = [
    ("ce_relu", [6, 5, 4], ["Relu"], None, "cross_entropy", False),
    ("ce_tanh_gemm", [6, 5, 4], ["Tanh"], None, "cross_entropy", True),
    ("mse_sigmoid", [5, 7, 3], ["Sigmoid"], None, "mse", False),
    ("bce_tanh", [4, 6, 1], ["Tanh"], "Sigmoid", "binary_cross_entropy", True),
    ("ce_deep", [8, 6, 6, 5], ["Relu", "Sigmoid"], None, "cross_entropy", False),
]
rng = np.random.default_rng(7)
batch = 9
for name, layers, acts, out_act, kind, gemm in cases:
    path = os.path.join(args.workdir, name + ".onnx")
    weights = mlp_onnx(path, layers, acts, gemm=gemm, out_act=out_act,
                       name=name, seed=3)
    names = list(weights)
    x = rng.standard_normal((batch, layers[0])).astype(np.float32)
    if kind == "cross_entropy":
        t = rng.integers(0, layers[-1], batch).astype(np.int64)
    elif kind == "binary_cross_entropy":
        t = rng.integers(0, 2, (batch, 1)).astype(np.float32)
    else:
        t = rng.standard_normal((batch, layers[-1])).astype(np.float32)
    xp, tp = [os.path.join(args.workdir, f"{name}_{s}.npy") for s in "xt"]
    np.save(xp, x)
    np.save(tp, t)
    ours_loss, ours = neurona_gradients(
        args.neurona, path, xp, tp, os.path.join(args.workdir, name), names,
        loss=kind)

    # float64 NumPy reference and central finite differences.
    p64 = {n: w.astype(np.float64) for n, w in weights.items()}
    x64 = x.astype(np.float64)
    t64 = t if kind == "cross_entropy" else t.astype(np.float64)
    f = lambda P: loss_fn(kind, forward(P, x64, names, acts, out_act, gemm, np), t64, np)
    ref_loss = f(p64)
    close(f"{name} loss", ours_loss, ref_loss, rtol=1e-5, atol=1e-6)
    fd = central_differences(f, p64)

    # PyTorch autograd, float64.
    tp_ = {n: torch.tensor(w, dtype=torch.float64, requires_grad=True)
           for n, w in p64.items()}
    tt = torch.tensor(t64)
    loss_t = loss_fn(kind, forward(tp_, torch.tensor(x64), names, acts,
                                   out_act, gemm, torch), tt, torch)
    loss_t.backward()
    close_gradients(name, ours, fd, {n: tp_[n].grad.numpy() for n in names})



def check_graph_model(name, nodes, constants, loss_of):
    """Builds an ONNX graph x [N, 5] -> y [N, 6] from `nodes` over the
    parameters W [5, 6] and B [6] (plus `constants`), asks Neurona for the
    MSE loss and its gradients, and checks them against central finite
    differences of `loss_of(W, B, x, t, lib)` in float64 and against PyTorch
    autograd of the same function."""
    path = os.path.join(args.workdir, name + ".onnx")
    w = (rng.standard_normal((5, 6)) / 3).astype(np.float32)
    b = (rng.standard_normal(6) / 10).astype(np.float32)
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")] +
        [numpy_helper.from_array(v, k) for k, v in constants.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)

    x = rng.standard_normal((batch, 5)).astype(np.float32)
    t = rng.standard_normal((batch, 6)).astype(np.float32)
    xp, tp = [os.path.join(args.workdir, f"{name}_{s}.npy") for s in "xt"]
    np.save(xp, x)
    np.save(tp, t)
    ours_loss, ours = neurona_gradients(
        args.neurona, path, xp, tp, os.path.join(args.workdir, name),
        ["W", "B"])

    x64, t64 = x.astype(np.float64), t.astype(np.float64)
    f = lambda P: loss_of(P["W"], P["B"], x64, t64, np)
    p64 = {"W": w.astype(np.float64), "B": b.astype(np.float64)}
    close(f"{name} loss", ours_loss, f(p64), rtol=1e-5, atol=1e-6)
    fd = central_differences(f, p64)
    tW = torch.tensor(p64["W"], requires_grad=True)
    tB = torch.tensor(p64["B"], requires_grad=True)
    loss_of(tW, tB, torch.tensor(x64), torch.tensor(t64), torch).backward()
    close_gradients(name, ours, fd, {"W": tW.grad.numpy(), "B": tB.grad.numpy()},
                    cross_check=False)


# Reductions: ReduceMax (its gradient goes to the row maximum), ReduceMean and
# ReduceSum (opset 13: axes attribute for the first two, an input for Sum):
# y = z - max(z) + mean(z) * sum(z) with z = x W + b. Random data has no ties.
def reductions_loss(W, B, x, t, lib):
    z = x @ W + B
    if lib is np:
        m = z.max(1, keepdims=True)
        y = z - m + z.mean(1, keepdims=True) * z.sum(1, keepdims=True)
    else:
        m = torch.amax(z, 1, keepdim=True)
        y = z - m + z.mean(1, keepdim=True) * z.sum(1, keepdim=True)
    return ((y - t) ** 2).mean()


check_graph_model("reductions", [
    helper.make_node("MatMul", ["x", "W"], ["zm"]),
    helper.make_node("Add", ["zm", "B"], ["z"]),
    helper.make_node("ReduceMax", ["z"], ["m"], axes=[1], keepdims=1),
    helper.make_node("ReduceMean", ["z"], ["s"], axes=[1], keepdims=1),
    helper.make_node("ReduceSum", ["z", "axes"], ["t"], keepdims=1),
    helper.make_node("Sub", ["z", "m"], ["d"]),
    helper.make_node("Mul", ["s", "t"], ["st"]),
    helper.make_node("Add", ["d", "st"], ["y"]),
], {"axes": np.array([1], np.int64)}, reductions_loss)


# The remaining elementwise and normalisation rules: Exp, Log, Sqrt, Div, Neg,
# Max, Softmax and LogSoftmax:
#   z = x W + b, a = sigmoid(z) + 0.5 (positive, so log and sqrt are smooth)
#   y = log_softmax(log(a) + sqrt(a)) + softmax(exp(-z) / a) + max(z, -z)
# (random data puts no z exactly at 0, where max has a kink)
def elementwise_loss(W, B, x, t, lib):
    z = x @ W + B
    if lib is np:
        a = 1 / (1 + np.exp(-z)) + 0.5
        u = np.log(a) + np.sqrt(a)
        lsm = u - u.max(1, keepdims=True)
        lsm = lsm - np.log(np.exp(lsm).sum(1, keepdims=True))
        q = np.exp(-z) / a
        sm = np.exp(q - q.max(1, keepdims=True))
        sm = sm / sm.sum(1, keepdims=True)
        y = lsm + sm + np.maximum(z, -z)
    else:
        a = torch.sigmoid(z) + 0.5
        y = (torch.log_softmax(torch.log(a) + torch.sqrt(a), 1) +
             torch.softmax(torch.exp(-z) / a, 1) + torch.maximum(z, -z))
    return ((y - t) ** 2).mean()


check_graph_model("elementwise", [
    helper.make_node("MatMul", ["x", "W"], ["zm"]),
    helper.make_node("Add", ["zm", "B"], ["z"]),
    helper.make_node("Sigmoid", ["z"], ["sg"]),
    helper.make_node("Add", ["sg", "half"], ["a"]),
    helper.make_node("Log", ["a"], ["la"]),
    helper.make_node("Sqrt", ["a"], ["ra"]),
    helper.make_node("Add", ["la", "ra"], ["u"]),
    helper.make_node("LogSoftmax", ["u"], ["lsm"], axis=1),
    helper.make_node("Neg", ["z"], ["nz"]),
    helper.make_node("Exp", ["nz"], ["e"]),
    helper.make_node("Div", ["e", "a"], ["q"]),
    helper.make_node("Softmax", ["q"], ["sm"], axis=1),
    helper.make_node("Add", ["lsm", "sm"], ["v"]),
    helper.make_node("Max", ["z", "nz"], ["mx"]),
    helper.make_node("Add", ["v", "mx"], ["y"]),
], {"half": np.array(0.5, np.float32)}, elementwise_loss)
