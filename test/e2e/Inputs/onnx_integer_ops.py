"""ONNX's integer and boolean ops and the shape ops of real exports, compiled
and run by Neurona, match onnxruntime: Cast, comparisons, And/Or/Xor/Not,
Where, ArgMax/ArgMin, integer Add/Sub/Mul/Div/Mod/Neg/Abs/Sign/Max/Min,
Gather (run-time and known indices, negative ones, the embedding form),
Split (opset 13 input, opset 18 num_outputs), Pad (constant, reflect, edge),
Expand, Tile, Shape/Size/ConstantOfShape/Range chains folded at import, and
a PyTorch export of `x.view(x.size(0), -1)` with a dynamic batch.

Integer and bool inputs are run-time inputs (int64, int32 and bool .npy
files) and outputs; inputs with a batch run at batch 1 and 5. Integer and
bool results must be equal; float results within 1e-6 * |ref| + 1e-6.
"""

import argparse
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from nrtest import check_graph, close, run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

rng = np.random.default_rng(11)
ONNX_TYPE = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE,
             np.int32: TensorProto.INT32, np.int64: TensorProto.INT64,
             np.bool_: TensorProto.BOOL}


def make(name, dtype, shape):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype in (np.int32, np.int64):
        return rng.integers(-9, 10, shape).astype(dtype)
    x = rng.standard_normal(shape) * 3
    # Exact halves and integers exercise Cast's truncation.
    x[..., :1] = np.round(x[..., :1] * 2) / 2
    return x.astype(dtype)


def onnxruntime_outputs(path, feeds):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, feeds), "onnxruntime"


def check(name, nodes, inputs, outputs, inits=None, opset=18, feed=make):
    check_graph(args.neurona, args.workdir, name, nodes, inputs, outputs,
                onnx_type=ONNX_TYPE, feed=feed, reference=onnxruntime_outputs,
                inits=inits, opset=opset, rtol=1e-6, atol=1e-6)


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


F, D, I32, I64, B = np.float32, np.float64, np.int32, np.int64, np.bool_
N = "N"

# Cast: float -> int truncates toward zero; anything -> bool is x != 0.
for label, src, dst in [("f32_i64", F, I64), ("f32_i32", F, I32),
                        ("i64_f32", I64, F), ("f32_bool", F, B),
                        ("bool_f32", B, F), ("i32_i64", I32, I64),
                        ("f32_f64", F, D), ("f64_f32", D, F),
                        ("bool_i64", B, I64), ("i64_bool", I64, B)]:
    check("cast_" + label, [node("Cast", ["x"], ["y"], to=ONNX_TYPE[dst])],
          [("x", src, [N, 3, 4])], [("y", dst, None)])

# Comparisons (broadcasting), logic, Where.
for op in ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"]:
    for t in (F, I64, I32):
        check(f"{op.lower()}_{np.dtype(t).name}", [node(op, ["a", "b"], ["y"])],
              [("a", t, [N, 3, 4]), ("b", t, [4])], [("y", B, None)])
for op in ["And", "Or", "Xor"]:
    check(op.lower(), [node(op, ["a", "b"], ["y"])],
          [("a", B, [N, 3, 4]), ("b", B, [4])], [("y", B, None)])
check("not", [node("Not", ["a"], ["y"])], [("a", B, [N, 5])], [("y", B, None)])
check("where", [node("Where", ["c", "a", "b"], ["y"])],
      [("c", B, [N, 3, 4]), ("a", F, [N, 3, 4]), ("b", F, [4])],
      [("y", F, None)])
check("where_int", [node("Where", ["c", "a", "b"], ["y"])],
      [("c", B, [4]), ("a", I64, [3, 4]), ("b", I64, [3, 1])],
      [("y", I64, None)])
check("mask_fill", [node("Less", ["x", "zero"], ["m"]),
                    node("Where", ["m", "zero", "x"], ["y"])],
      [("x", F, [N, 6])], [("y", F, None)], inits={"zero": np.float32(0)})

# ArgMax/ArgMin with ties (integers from a small range repeat often).
for op in ["ArgMax", "ArgMin"]:
    for keep, last in [(1, 0), (0, 0), (1, 1), (0, 1)]:
        check(f"{op.lower()}_k{keep}_l{last}",
              [node(op, ["x"], ["y"], axis=-1, keepdims=keep,
                    select_last_index=last)],
              [("x", I64, [N, 3, 5])], [("y", I64, None)])
    check(f"{op.lower()}_float_axis1", [node(op, ["x"], ["y"], axis=1)],
          [("x", F, [N, 4, 3])], [("y", I64, None)])


# Integer arithmetic: C's truncating division (ONNX's reference on
# integers), Python's % for Mod fmod=0, C's fmod for fmod=1.
def nonzero(n, t, shape):
    v = make(n, t, shape)
    return np.where(v == 0, 3, v).astype(t) if n == "b" else v


for op in ["Add", "Sub", "Mul", "Div", "Max", "Min"]:
    for t in (I64, I32):
        check(f"{op.lower()}_{np.dtype(t).name}", [node(op, ["a", "b"], ["y"])],
              [("a", t, [N, 3, 4]), ("b", t, [4])], [("y", t, None)],
              feed=nonzero)
for fm in (0, 1):
    check(f"mod_fmod{fm}", [node("Mod", ["a", "b"], ["y"], fmod=fm)],
          [("a", I64, [N, 3, 4]), ("b", I64, [4])], [("y", I64, None)],
          feed=nonzero)
for op in ["Neg", "Abs", "Sign"]:
    check(f"{op.lower()}_int64", [node(op, ["a"], ["y"])],
          [("a", I64, [N, 7])], [("y", I64, None)])


# Gather: run-time indices (negative ones count from the end) along a
# non-batch axis, known indices (slices), and rows of a table (embedding).
def ids(n, t, shape):
    if n == "i":
        return rng.integers(-5, 5, shape).astype(t)
    return make(n, t, shape)


check("gather_runtime_axis1", [node("Gather", ["x", "i"], ["y"], axis=1)],
      [("x", F, [4, 5, 2]), ("i", I64, [3])], [("y", F, None)], feed=ids)
check("gather_known", [node("Gather", ["x", "i"], ["y"], axis=2)],
      [("x", F, [N, 3, 5])], [("y", F, None)],
      inits={"i": np.array([[0, -1], [4, 2]], np.int64)})
table = rng.standard_normal((5, 3)).astype(np.float32)
check("gather_rows", [node("Gather", ["w", "i"], ["y"])],
      [("i", I64, [N, 4])], [("y", F, None)], inits={"w": table}, feed=ids)
check("gather_int_data", [node("Gather", ["x", "i"], ["y"], axis=1)],
      [("x", I64, [N, 6])], [("y", I64, None)],
      inits={"i": np.array([-1, 3], np.int64)})

# Split, Pad, Expand, Tile on run-time tensors.
check("split13", [node("Split", ["x", "s"], ["a", "b"], axis=1)],
      [("x", F, [N, 5, 2])], [("a", F, None), ("b", F, None)],
      inits={"s": np.array([2, 3], np.int64)}, opset=13)
check("split18", [node("Split", ["x"], ["a", "b", "c"], axis=-1, num_outputs=3)],
      [("x", I64, [N, 7])], [("a", I64, None), ("b", I64, None),
                             ("c", I64, None)])
for mode in ["constant", "reflect", "edge"]:
    check(f"pad_{mode}", [node("Pad", ["x", "p", "v"], ["y"], mode=mode)],
          [("x", F, [N, 3, 4])], [("y", F, None)],
          inits={"p": np.array([0, 2, 0, 0, 1, 1], np.int64),
                 "v": np.float32(1.5)})
check("pad_axes_negative", [node("Pad", ["x", "p", "", "a"], ["y"])],
      [("x", F, [N, 3, 4])], [("y", F, None)],
      inits={"p": np.array([-1, 3], np.int64), "a": np.array([2], np.int64)})
check("expand", [node("Expand", ["x", "s"], ["y"])],
      [("x", F, [N, 3, 1])], [("y", F, None)],
      inits={"s": np.array([3, 4], np.int64)})
check("expand_int", [node("Expand", ["x", "s"], ["y"])],
      [("x", I64, [1])], [("y", I64, None)],
      inits={"s": np.array([2, 3], np.int64)})
check("tile", [node("Tile", ["x", "r"], ["y"])],
      [("x", F, [N, 2, 3])], [("y", F, None)],
      inits={"r": np.array([1, 2, 2], np.int64)})

# Shape arithmetic folded at import: the shape of a batched input feeding a
# Reshape through Gather/Unsqueeze/Concat; Size, ConstantOfShape, Range.
check("shape_chain",
      [node("Shape", ["x"], ["s"]),
       node("Gather", ["s", "zero"], ["n"], axis=0),
       node("Unsqueeze", ["n", "zero1"], ["n1"]),
       node("Slice", ["s", "two", "big"], ["last"]),
       node("Concat", ["n1", "minus1", "last"], ["target"], axis=0),
       node("Reshape", ["x", "target"], ["y"])],
      [("x", F, [N, 3, 2, 4])], [("y", F, None)],
      inits={"zero": np.int64(0), "two": np.array([3], np.int64),
             "big": np.array([100], np.int64),
             "zero1": np.array([0], np.int64),
             "minus1": np.array([-1], np.int64)})
check("constant_of_shape_range",
      [node("Shape", ["x"], ["s"], start=1),
       node("ConstantOfShape", ["s"], ["c"],
            value=helper.make_tensor("v", TensorProto.INT64, [1], [2])),
       node("Size", ["x"], ["z"]),
       node("Range", ["zero", "four", "one"], ["r"]),
       node("Mul", ["c", "r"], ["cr"]),
       node("Add", ["cr", "z"], ["k"]),
       node("Cast", ["k"], ["kf"], to=TensorProto.FLOAT),
       node("Add", ["x", "kf"], ["y"])],
      [("x", F, [3, 4])], [("y", F, None)],
      inits={"zero": np.int64(0), "four": np.int64(4), "one": np.int64(1)})

# A PyTorch export (Debian's torch 1.13): x.view(x.size(0), -1) with a
# dynamic batch becomes Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3)
        self.fc = torch.nn.Linear(3 * 4 * 4, 5)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.view(h.size(0), -1))


torch.manual_seed(0)
path = os.path.join(args.workdir, "torch_view.onnx")
torch.onnx.export(Net(), torch.randn(2, 2, 6, 6), path, input_names=["x"],
                  output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
                  opset_version=13)
ops = {n.op_type for n in onnx.load(path).graph.node}
assert {"Shape", "Gather", "Concat", "Reshape"} <= ops, ops
session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
for batch in (1, 6):
    x = rng.standard_normal((batch, 2, 6, 6)).astype(np.float32)
    xp = os.path.join(args.workdir, f"torch_view_x{batch}.npy")
    yp = os.path.join(args.workdir, f"torch_view_y{batch}.npy")
    np.save(xp, x)
    run([args.neurona, "run", path, "--input", xp, "--output", yp])
    close(f"torch view batch {batch}", np.load(yp),
          session.run(None, {"x": x})[0], rtol=1e-4, atol=1e-5)
