"""Gradients through the ops that move float data by index or mask (Where
with a comparison's mask, Pad reflect and edge, Tile, Expand, Gather by a
few known indices as slices, Gather by many as `nn.gather`, Gather of
table rows as `nn.embedding`) match central finite differences of a float64
NumPy reference and PyTorch autograd (float64); the gradient stops at the
comparison and at a Cast to INT64.

As in gradients_ops.py: an ONNX graph on x [N, F] whose initializers all
reach the output, the MSE loss against a random target, batch 1 and a
larger batch, |ours - ref| <= 1e-4 * |ref| + 1e-5.
"""

import argparse
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from nrtest import (central_differences, close, close_gradients,
                    neurona_gradients)

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

rng = np.random.default_rng(31)


def mse(y, t):
    return ((y - t) ** 2).mean()


def check(name, nodes, features, params, forward, consts=None, opset=18):
    consts = consts or {}
    probe = forward({k: v.astype(np.float64) for k, v in params.items()},
                    np.zeros((2, features)), np)
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["N"] + list(probe.shape[1:]))],
        [numpy_helper.from_array(v, k) for k, v in params.items()] +
        [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(args.workdir, name + ".onnx")
    onnx.save(model, path)
    names = list(params)
    for batch in (1, 6):
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
        close_gradients(tag, ours, fd, {n: tp_[n].grad.numpy() for n in names})


def weights(*shape):
    return (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32)


def cat(lib, parts):
    return np.concatenate(parts, 1) if lib is np else torch.cat(parts, 1)


FE, U = 4, 5
dense = [helper.make_node("MatMul", ["x", "W"], ["z"])]

# Where on a mask from Greater; the Cast to INT64 and back only feeds the
# mask, so the gradient flows through the selected branches only.
def masked(P, x, lib):
    z = x @ P["W"]
    sq = z * z
    mask = z > sq * 0.5 if lib is np else z > sq * 0.5
    return np.where(mask, z, sq) if lib is np else torch.where(mask, z, sq)


check("where_mask", dense + [
    helper.make_node("Mul", ["z", "z"], ["sq"]),
    helper.make_node("Mul", ["sq", "half"], ["hs"]),
    helper.make_node("Greater", ["z", "hs"], ["m"]),
    helper.make_node("Cast", ["m"], ["mi"], to=TensorProto.INT64),
    helper.make_node("Cast", ["mi"], ["mb"], to=TensorProto.BOOL),
    helper.make_node("Where", ["mb", "z", "sq"], ["y"]),
], FE, {"W": weights(FE, U)}, masked, consts={"half": np.float32(0.5)})

# Pad reflect and edge, Tile, Expand of a parameter, and Gather by two known
# indices (a negative one among them), concatenated.
REFLECT = [1] + list(range(U)) + [U - 2, U - 3]
EDGE = [0, 0] + list(range(U)) + [U - 1]


def moved(P, x, lib):
    z = x @ P["W"]
    s = z * P["S"][None, :]
    return cat(lib, [s[:, REFLECT], s[:, EDGE], s[:, list(range(U)) * 2],
                     s[:, [0, U - 1]]])


check("pad_tile_expand_gather", dense + [
    helper.make_node("Expand", ["S", "shape"], ["se"]),
    helper.make_node("Mul", ["z", "se"], ["s"]),
    helper.make_node("Pad", ["s", "pr"], ["a"], mode="reflect"),
    helper.make_node("Pad", ["s", "pe"], ["b"], mode="edge"),
    helper.make_node("Tile", ["s", "reps"], ["c"]),
    helper.make_node("Gather", ["s", "idx"], ["d"], axis=1),
    helper.make_node("Concat", ["a", "b", "c", "d"], ["y"], axis=1),
], FE, {"W": weights(FE, U), "S": weights(U)}, moved,
    consts={"shape": np.array([1, U], np.int64),
            "pr": np.array([0, 1, 0, 2], np.int64),
            "pe": np.array([0, 2, 0, 1], np.int64),
            "reps": np.array([1, 2], np.int64),
            "idx": np.array([0, -1], np.int64)})

# Gather by many known indices along axis 1 (nn.gather; repeats add up)
# and rows of a table by indices computed from the input (nn.embedding).
IDX = rng.integers(-12, 12, 18)


def gathered(P, x, lib):
    return x @ P["G"][:, IDX]


check("gather_many", [
    helper.make_node("Gather", ["G", "idx"], ["g"], axis=1),
    helper.make_node("MatMul", ["x", "g"], ["y"]),
], 3, {"G": weights(3, 12)}, gathered, consts={"idx": IDX.astype(np.int64)})


def rows(P, x, lib):
    k = (np.abs(x) * 2).astype(np.int64) % 7 if lib is np else \
        (x.abs() * 2).long() % 7
    return P["T"][k].reshape(x.shape[0], -1)


check("gather_rows", [
    helper.make_node("Abs", ["x"], ["ax"]),
    helper.make_node("Mul", ["ax", "two"], ["ax2"]),
    helper.make_node("Cast", ["ax2"], ["k0"], to=TensorProto.INT64),
    helper.make_node("Mod", ["k0", "seven"], ["k"]),
    helper.make_node("Gather", ["T", "k"], ["r"]),
    helper.make_node("Reshape", ["r", "flat"], ["y"]),
], 3, {"T": weights(7, 2)}, rows,
    consts={"two": np.float32(2), "seven": np.int64(7),
            "flat": np.array([0, -1], np.int64)})
