"""Gradients of the activations (LeakyRelu, Elu, Selu, Softplus, Softsign,
HardSigmoid, Clip), the math ops (Abs, Sign, Ceil, Floor, Reciprocal, Erf,
Pow, Min, Max, Sum, Mean) and the data-movement ops (Transpose, Concat,
Slice, ReduceMin, ReduceProd, maxout as Reshape + ReduceMax, and batched
MatMul with broadcasting) match central finite differences of a float64
NumPy reference and PyTorch autograd (float64).

Each case is an ONNX graph on an input x [N, F] with random F, whose
parameters (initializers) all reach the output; Neurona computes the MSE
loss against a random target and its gradient for every parameter, at batch
1 and at a larger batch. Tolerances are those of gradients.py: float32
against float64, |ours - ref| <= 1e-4 * |ref| + 1e-5. Random data puts no
value exactly on a kink (clip bounds, 0 for leaky_relu, integers for floor),
where the finite differences would straddle two pieces.
"""

import argparse
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

from nrtest import (central_differences, close, close_gradients,
                    neurona_gradients)

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

rng = np.random.default_rng(23)
INT64_MAX = np.iinfo(np.int64).max


def mse(y, t):
    return ((y - t) ** 2).mean()


def check(name, nodes, features, params, forward, consts=None, opset=13):
    """`nodes` map x [N, features] (and the initializers `params`, trainable,
    and `consts`, fixed) to y; `forward(P, x, lib)` is the same function in
    NumPy (float64) or PyTorch, with P the parameters by name."""
    consts = consts or {}
    probe = forward({k: v.astype(np.float64) for k, v in params.items()},
                    np.zeros((2, features)), np)
    out_shape = ["N"] + list(probe.shape[1:])
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(v, k) for k, v in params.items()] +
        [numpy_helper.from_array(v, k) for k, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(args.workdir, name + ".onnx")
    onnx.save(model, path)
    names = list(params)

    for batch in (1, int(rng.integers(3, 8))):
        tag = f"{name} batch {batch}"
        x = rng.standard_normal((batch, features)).astype(np.float32)
        t = rng.standard_normal((batch,) + probe.shape[1:]).astype(np.float32)
        xp, tp = [os.path.join(args.workdir, f"{name}_{batch}_{s}.npy") for s in "xt"]
        np.save(xp, x)
        np.save(tp, t)
        ours_loss, ours = neurona_gradients(
            args.neurona, path, xp, tp,
            os.path.join(args.workdir, f"{name}_{batch}"), names)

        p64 = {n: v.astype(np.float64) for n, v in params.items()}
        x64, t64 = x.astype(np.float64), t.astype(np.float64)
        f = lambda P: mse(forward(P, x64, np), t64)
        close(f"{tag} loss", ours_loss, f(p64), rtol=1e-5, atol=1e-6)
        fd = central_differences(f, p64)

        tp_ = {n: torch.tensor(v, requires_grad=True) for n, v in p64.items()}
        mse(forward(tp_, torch.tensor(x64), torch), torch.tensor(t64)).backward()
        close_gradients(tag, ours, fd,
                        {n: tp_[n].grad.numpy() for n in names})


def dense_nodes():
    return [helper.make_node("MatMul", ["x", "W"], ["zm"]),
            helper.make_node("Add", ["zm", "B"], ["z"])]


def dense_params(features, units, scale=1.0):
    return {"W": (rng.standard_normal((features, units)) * scale /
                  np.sqrt(features)).astype(np.float32),
            "B": (rng.standard_normal(units) * 0.3).astype(np.float32)}


def dense(P, x):
    return x @ P["W"] + P["B"]


def where(lib, cond, a, b):
    return np.where(cond, a, b) if lib is np else torch.where(cond, a, b)


def sigmoid(z, lib):
    return 1 / (1 + lib.exp(-z))


def expm1(z, lib):
    return np.expm1(z) if lib is np else torch.expm1(z)


SELU_ALPHA, SELU_GAMMA = 1.67326319217681884765625, 1.05070102214813232421875


def F_():
    return int(rng.integers(2, 6))


# leaky_relu at two slopes (ONNX's default 0.01 and 0.1), elu at two alphas,
# selu with ONNX's defaults.
fe, units = F_(), int(rng.integers(3, 7))


def piecewise(P, x, lib):
    z = dense(P, x)
    if lib is np:
        lr = lambda a: np.where(z > 0, z, a * z)
        elu = lambda a: np.where(z > 0, z, a * np.expm1(z))
        return (lr(0.01) + lr(0.1) + elu(1.0) + elu(0.5) +
                SELU_GAMMA * np.where(z > 0, z, SELU_ALPHA * np.expm1(z)))
    return (F.leaky_relu(z) + F.leaky_relu(z, 0.1) + F.elu(z) + F.elu(z, 0.5) +
            F.selu(z))


check("piecewise_activations", dense_nodes() + [
    helper.make_node("LeakyRelu", ["z"], ["l1"]),
    helper.make_node("LeakyRelu", ["z"], ["l2"], alpha=0.1),
    helper.make_node("Elu", ["z"], ["e1"]),
    helper.make_node("Elu", ["z"], ["e2"], alpha=0.5),
    helper.make_node("Selu", ["z"], ["s"]),
    helper.make_node("Sum", ["l1", "l2", "e1", "e2", "s"], ["y"]),
], fe, dense_params(fe, units), piecewise)


# softplus, softsign and hard_sigmoid (ONNX's alpha 0.2 and a steeper 0.6,
# which clips a good share of the values at 0 and 1).
fe, units = F_(), int(rng.integers(3, 7))


def smooth(P, x, lib):
    z = dense(P, x)
    hs = lambda a, b: (np.clip if lib is np else torch.clamp)(a * z + b, 0, 1)
    if lib is np:
        sp = np.logaddexp(0, z)
        ss = z / (1 + np.abs(z))
    else:
        sp, ss = F.softplus(z), F.softsign(z)
    return sp * ss + hs(0.2, 0.5) + hs(0.6, 0.3)


check("smooth_activations", dense_nodes() + [
    helper.make_node("Softplus", ["z"], ["sp"]),
    helper.make_node("Softsign", ["z"], ["ss"]),
    helper.make_node("Mul", ["sp", "ss"], ["m"]),
    helper.make_node("HardSigmoid", ["z"], ["h1"]),
    helper.make_node("HardSigmoid", ["z"], ["h2"], alpha=0.6, beta=0.3),
    helper.make_node("Sum", ["m", "h1", "h2"], ["y"]),
], fe, dense_params(fe, units, scale=2.0), smooth)


# clip with both bounds (opset 13 inputs), with only a minimum (max omitted)
# and with only a maximum (min given as "").
fe, units = F_(), int(rng.integers(3, 7))


def clipped(P, x, lib):
    z = dense(P, x)
    clamp = np.clip if lib is np else torch.clamp
    inf = np.inf
    return (clamp(z, -0.5, 0.7) * 2 + clamp(z, -0.2, inf) * z +
            clamp(z, -inf, 0.1))


check("clip", dense_nodes() + [
    helper.make_node("Clip", ["z", "lo", "hi"], ["c1"]),
    helper.make_node("Add", ["c1", "c1"], ["c2"]),
    helper.make_node("Clip", ["z", "lo2"], ["c3"]),
    helper.make_node("Mul", ["c3", "z"], ["c4"]),
    helper.make_node("Clip", ["z", "", "hi2"], ["c5"]),
    helper.make_node("Sum", ["c2", "c4", "c5"], ["y"]),
], fe, dense_params(fe, units), clipped,
    consts={"lo": np.array(-0.5, np.float32), "hi": np.array(0.7, np.float32),
            "lo2": np.array(-0.2, np.float32), "hi2": np.array(0.1, np.float32)})


# abs, sign, ceil, floor (zero gradients of their own), reciprocal and erf.
fe, units = F_(), int(rng.integers(3, 7))


def unary_math(P, x, lib):
    z = dense(P, x) * 2
    a = sigmoid(z, lib) + 0.5
    if lib is np:
        from math import erf
        e = np.vectorize(erf)(z)
        return (np.abs(z) + z * np.floor(z) + z * np.ceil(z) * np.sign(z) +
                1 / a + e)
    return (torch.abs(z) + z * torch.floor(z) + z * torch.ceil(z) * torch.sign(z)
            + torch.reciprocal(a) + torch.erf(z))


check("unary_math", dense_nodes() + [
    helper.make_node("Add", ["z", "z"], ["z2"]),
    helper.make_node("Abs", ["z2"], ["ab"]),
    helper.make_node("Floor", ["z2"], ["fl"]),
    helper.make_node("Mul", ["z2", "fl"], ["zf"]),
    helper.make_node("Ceil", ["z2"], ["ce"]),
    helper.make_node("Sign", ["z2"], ["sg"]),
    helper.make_node("Mul", ["z2", "ce"], ["zc"]),
    helper.make_node("Mul", ["zc", "sg"], ["zcs"]),
    helper.make_node("Sigmoid", ["z2"], ["sgm"]),
    helper.make_node("Add", ["sgm", "half"], ["a"]),
    helper.make_node("Reciprocal", ["a"], ["ra"]),
    helper.make_node("Erf", ["z2"], ["er"]),
    helper.make_node("Sum", ["ab", "zf", "zcs", "ra", "er"], ["y"]),
], fe, dense_params(fe, units), unary_math,
    consts={"half": np.array(0.5, np.float32)})


# pow: a positive base to a trainable exponent E (both gradients), a
# negative-capable base to a constant integer exponent (INT64 in the file)
# and to a float one.
fe, units = F_(), int(rng.integers(3, 7))
pow_params = dense_params(fe, units)
pow_params["E"] = rng.uniform(0.5, 2.0, units).astype(np.float32)


def powers(P, x, lib):
    z = dense(P, x)
    a = sigmoid(z, lib) + 0.5
    return a ** P["E"] + z ** 3 + lib.abs(z) ** 1.5


check("pow", dense_nodes() + [
    helper.make_node("Sigmoid", ["z"], ["s"]),
    helper.make_node("Add", ["s", "half"], ["a"]),
    helper.make_node("Pow", ["a", "E"], ["p1"]),
    helper.make_node("Pow", ["z", "three"], ["p2"]),
    helper.make_node("Abs", ["z"], ["az"]),
    helper.make_node("Pow", ["az", "onehalf"], ["p3"]),
    helper.make_node("Sum", ["p1", "p2", "p3"], ["y"]),
], fe, pow_params, powers,
    consts={"half": np.array(0.5, np.float32), "three": np.array(3, np.int64),
            "onehalf": np.array(1.5, np.float32)})


# Min and Max (variadic, broadcasting a trainable row C), Sum and Mean.
fe, units = F_(), int(rng.integers(3, 7))
mm_params = dense_params(fe, units)
mm_params["C"] = (rng.standard_normal(units) * 0.5).astype(np.float32)


def min_max(P, x, lib):
    z = dense(P, x)
    if lib is np:
        mn = np.minimum(np.minimum(z, -z), P["C"])
        mx = np.maximum(z * 0.5, P["C"])
    else:
        mn = torch.minimum(torch.minimum(z, -z), P["C"])
        mx = torch.maximum(z * 0.5, P["C"])
    return mn * 2 + mx + (z + mx + P["C"]) / 3


check("min_max_sum_mean", dense_nodes() + [
    helper.make_node("Neg", ["z"], ["nz"]),
    helper.make_node("Min", ["z", "nz", "C"], ["mn"]),
    helper.make_node("Mul", ["z", "half"], ["zh"]),
    helper.make_node("Max", ["zh", "C"], ["mx"]),
    helper.make_node("Sum", ["mn", "mn", "mx"], ["s"]),
    helper.make_node("Mean", ["z", "mx", "C"], ["me"]),
    helper.make_node("Add", ["s", "me"], ["y"]),
], fe, mm_params, min_max, consts={"half": np.array(0.5, np.float32)})


# transpose of [N, r, c] to [N, c, r], scaled by a trainable [c, r] so that
# every position is told apart.
fe, r, c = F_(), int(rng.integers(2, 4)), int(rng.integers(2, 4))
tr_params = dense_params(fe, r * c)
tr_params["S"] = rng.standard_normal((c, r)).astype(np.float32)


def transposed(P, x, lib):
    z = dense(P, x).reshape(-1, r, c)
    zt = z.transpose(0, 2, 1) if lib is np else z.permute(0, 2, 1)
    return zt * P["S"]


check("transpose", dense_nodes() + [
    helper.make_node("Reshape", ["z", "shape"], ["z3"]),
    helper.make_node("Transpose", ["z3"], ["zt"], perm=[0, 2, 1]),
    helper.make_node("Mul", ["zt", "S"], ["y"]),
], fe, tr_params, transposed, consts={"shape": np.array([0, r, c], np.int64)})


# concat of the layer, the input and its tanh along the features (axis -1),
# then of two [N, 2, k] views along axis 1.
fe, units = F_(), 2 * int(rng.integers(1, 4))
cc_params = dense_params(fe, units)
cc_params["S"] = rng.standard_normal(units + 2 * fe).astype(np.float32)


def concatenated(P, x, lib):
    z = dense(P, x)
    cat = np.concatenate if lib is np else torch.cat
    h = cat([z, x, lib.tanh(x @ P["W"][:, :1] + z[:, :1])[:, :1] * x], -1) * P["S"]
    k = h.shape[1] // 2
    v = h.reshape(-1, 2, k)
    return cat([v, v * 2, v[:, :1] * 3], 1)


check("concat", dense_nodes() + [
    helper.make_node("Slice", ["W", "s0", "s1", "a1"], ["w0"]),
    helper.make_node("MatMul", ["x", "w0"], ["xw"]),
    helper.make_node("Slice", ["z", "s0", "s1", "a1"], ["z0"]),
    helper.make_node("Add", ["xw", "z0"], ["pre"]),
    helper.make_node("Tanh", ["pre"], ["tn"]),
    helper.make_node("Mul", ["tn", "x"], ["tx"]),
    helper.make_node("Concat", ["z", "x", "tx"], ["h0"], axis=-1),
    helper.make_node("Mul", ["h0", "S"], ["h"]),
    helper.make_node("Reshape", ["h", "shape"], ["v"]),
    helper.make_node("Add", ["v", "v"], ["v2"]),
    helper.make_node("Slice", ["v", "s0", "s1", "a1"], ["v0"]),
    helper.make_node("Mul", ["v0", "three"], ["v3"]),
    helper.make_node("Concat", ["v", "v2", "v3"], ["y"], axis=1),
], fe, cc_params, concatenated,
    consts={"s0": np.array([0], np.int64), "s1": np.array([1], np.int64),
            "a1": np.array([1], np.int64), "three": np.array(3.0, np.float32),
            "shape": np.array([0, 2, (units + 2 * fe) // 2], np.int64)})


# slices: a strided one, a reversed strided one (negative step, clamped end),
# one with negative indices and one over two axes of a 3-D view, one of them
# the batch dimension over its full range.
fe, units = F_(), int(rng.integers(6, 9))
sl_params = dense_params(fe, units)
rows = 2


def sliced(P, x, lib):
    z = dense(P, x)
    n = units
    fwd = list(range(1, n, 2))[:3]
    back = list(range(n - 1, -1, -2))[:3]
    last = list(range(n - 4, n - 1))
    take = (lambda a, i: a[:, i]) if lib is np else (
        lambda a, i: a[:, torch.tensor(i)])
    v = z[:, : (n // rows) * rows].reshape(-1, rows, n // rows)
    w = v[:, ::-1, 1:] if lib is np else torch.flip(v, [1])[:, :, 1:]
    ws = w.reshape(w.shape[0], -1)[:, :3]
    return take(z, fwd) * take(z, back) + take(z, last) + ws


check("slice", dense_nodes() + [
    helper.make_node("Slice", ["z", "st1", "en1", "ax1", "sp1"], ["a"]),
    helper.make_node("Slice", ["z", "st2", "en2", "ax1", "sp2"], ["b"]),
    helper.make_node("Slice", ["z", "st3", "en3", "ax1"], ["c"]),
    helper.make_node("Mul", ["a", "b"], ["ab"]),
    helper.make_node("Add", ["ab", "c"], ["abc"]),
    helper.make_node("Slice", ["z", "st4", "en4", "ax1"], ["zr"]),
    helper.make_node("Reshape", ["zr", "shape"], ["v"]),
    helper.make_node("Slice", ["v", "st5", "en5", "ax5", "sp5"], ["w"]),
    helper.make_node("Flatten", ["w"], ["wf"], axis=1),
    helper.make_node("Slice", ["wf", "st6", "en6"], ["ws"]),
    helper.make_node("Add", ["abc", "ws"], ["y"]),
], fe, sl_params, sliced, consts={
    "ax1": np.array([1], np.int64),
    "st1": np.array([1], np.int64), "en1": np.array([6], np.int64),
    "sp1": np.array([2], np.int64),
    "st2": np.array([-1], np.int64), "en2": np.array([-7], np.int64),
    "sp2": np.array([-2], np.int64),
    "st3": np.array([-4], np.int64), "en3": np.array([-1], np.int64),
    "st4": np.array([0], np.int64),
    "en4": np.array([(units // rows) * rows], np.int64),
    "shape": np.array([0, rows, units // rows], np.int64),
    "st5": np.array([0, -1, 1], np.int64),
    "en5": np.array([INT64_MAX, -INT64_MAX, INT64_MAX], np.int64),
    "ax5": np.array([0, 1, 2], np.int64), "sp5": np.array([1, -1, 1], np.int64),
    "st6": np.array([0, 0], np.int64), "en6": np.array([INT64_MAX, 3], np.int64),
})


# reduce_min over the features (kept) and over two axes of a 3-D view
# (dropped), beside reduce_max: y = z - min(z) + max(v) * min(v).
fe, r, c = F_(), int(rng.integers(2, 4)), int(rng.integers(2, 4))
rm_params = dense_params(fe, r * c)


def reduce_min(P, x, lib):
    z = dense(P, x)
    v = z.reshape(-1, r, c)
    if lib is np:
        return (z - z.min(1, keepdims=True)) + (v.max((1, 2)) * v.min((1, 2)))[:, None]
    return (z - torch.amin(z, 1, keepdim=True) +
            (torch.amax(v, (1, 2)) * torch.amin(v, (1, 2)))[:, None])


check("reduce_min", dense_nodes() + [
    helper.make_node("ReduceMin", ["z"], ["m"], axes=[1], keepdims=1),
    helper.make_node("Sub", ["z", "m"], ["d"]),
    helper.make_node("Reshape", ["z", "shape"], ["v"]),
    helper.make_node("ReduceMax", ["v"], ["vmax"], axes=[1, 2], keepdims=0),
    helper.make_node("ReduceMin", ["v"], ["vmin"], axes=[-1, -2], keepdims=1),
    helper.make_node("Reshape", ["vmin", "column"], ["vmin2"]),
    helper.make_node("Reshape", ["vmax", "column"], ["vmax2"]),
    helper.make_node("Mul", ["vmax2", "vmin2"], ["p"]),
    helper.make_node("Add", ["d", "p"], ["y"]),
], fe, rm_params, reduce_min,
    consts={"shape": np.array([0, r, c], np.int64),
            "column": np.array([0, 1], np.int64)})


# maxout(units, k), as the DSL builds it: dense to units * k, reshape to
# [N, units, k], max over the last axis.
fe, units, k = F_(), int(rng.integers(2, 5)), int(rng.integers(2, 4))


def maxout(P, x, lib):
    z = dense(P, x).reshape(-1, units, k)
    return z.max(-1) if lib is np else torch.amax(z, -1)


check("maxout", dense_nodes() + [
    helper.make_node("Reshape", ["z", "shape"], ["g"]),
    helper.make_node("ReduceMax", ["g"], ["y"], axes=[-1], keepdims=0),
], fe, dense_params(fe, units * k), maxout,
    consts={"shape": np.array([0, units, k], np.int64)})


# ReduceProd over 7 features (odd: the tree folds one element) and over the
# two axes of a 3-D view of 6, dropped: y = z * prod(z) + prod(v).
fe = F_()
rp_params = dense_params(fe, 7, scale=2.0)
rq_params = {"W2": (rng.standard_normal((fe, 6)) * 2 / np.sqrt(fe)).astype(np.float32),
             "B2": (rng.standard_normal(6) * 0.3).astype(np.float32)}


def reduce_prod(P, x, lib):
    z = dense(P, x)
    v = (x @ P["W2"] + P["B2"]).reshape(-1, 2, 3)
    if lib is np:
        return z * z.prod(1, keepdims=True) + v.prod((1, 2))[:, None]
    return z * torch.prod(z, 1, keepdim=True) + \
        torch.prod(v.reshape(-1, 6), 1)[:, None]


check("reduce_prod", dense_nodes() + [
    helper.make_node("MatMul", ["x", "W2"], ["wm"]),
    helper.make_node("Add", ["wm", "B2"], ["w"]),
    helper.make_node("Reshape", ["w", "shape"], ["v"]),
    helper.make_node("ReduceProd", ["z"], ["p"], axes=[1], keepdims=1),
    helper.make_node("Mul", ["z", "p"], ["zp"]),
    helper.make_node("ReduceProd", ["v"], ["q"], axes=[1, 2], keepdims=0),
    helper.make_node("Reshape", ["q", "column"], ["q2"]),
    helper.make_node("Add", ["zp", "q2"], ["y"]),
], fe, {**rp_params, **rq_params}, reduce_prod,
    consts={"shape": np.array([0, 2, 3], np.int64),
            "column": np.array([0, 1], np.int64)})


# Batched MatMul (numpy semantics) on a 4-D view x [N, 3, 1, f]: a weight
# applied at every row (4-D x 2-D, one product over N * 3 rows, its weight
# gradient batch-reduced), a weight per row broadcast over N (batch [N, 3]
# against [3]), a weight on the left (2-D x 4-D, its gradient batch-reduced
# with the other operand transposed), and a size-1 batch broadcast.
fb = F_()
bm_params = {
    "W1": (rng.standard_normal((fb, 4)) / np.sqrt(fb)).astype(np.float32),
    "W2": (rng.standard_normal((3, 4, 5)) / 2).astype(np.float32),
    "W3": (rng.standard_normal((2, 1)) * 0.8).astype(np.float32),
    "W4": (rng.standard_normal((1, 5, 2)) / np.sqrt(5)).astype(np.float32),
}


def batched(P, x, lib):
    s = x.reshape(-1, 3, 1, fb)
    w = (P["W3"] @ ((s @ P["W1"]) @ P["W2"])) @ P["W4"]
    return w.reshape(-1, 12)


check("batched_matmul", [
    helper.make_node("Reshape", ["x", "rows"], ["s"]),
    helper.make_node("MatMul", ["s", "W1"], ["h"]),
    helper.make_node("MatMul", ["h", "W2"], ["u"]),
    helper.make_node("MatMul", ["W3", "u"], ["v"]),
    helper.make_node("MatMul", ["v", "W4"], ["w"]),
    helper.make_node("Reshape", ["w", "flat"], ["y"]),
], 3 * fb, bm_params, batched,
    consts={"rows": np.array([0, 3, 1, fb], np.int64),
            "flat": np.array([0, 12], np.int64)})
