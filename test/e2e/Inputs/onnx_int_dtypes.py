"""ONNX's narrow and unsigned integer types (INT8, INT16, UINT8, UINT16,
UINT32, UINT64), compiled and run by Neurona, match onnxruntime exactly: as
graph inputs and outputs (.npy files of numpy's int8 ... uint64), as
initializers and Constant values, and through the ops whose results depend
on signedness: Div, Mod (both rules), Max, Min, Clip, the comparisons,
ArgMax/ArgMin, Abs, Sign, Cast (widening, narrowing, to and from FLOAT and
between signed and unsigned), plus Add/Sub/Mul wrapping, Neg, Where, Gather
and data movement, and MaxPool/ReduceMax/ReduceMin of INT8 and UINT8.

Inputs span each type's whole range (so unsigned values above the signed
maximum appear), with batch 1 and 5 where a shape has one. Where the
installed onnxruntime has no CPU kernel for an op on a type, ONNX's own
reference implementation (onnx.reference) is the reference instead; the
output says which one each case used. Every result must be equal (integers
and bools) or, for casts to FLOAT, within 1e-6 relative.
"""

import argparse
import os

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from nrtest import check_graph

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

rng = np.random.default_rng(5)
I8, I16, U8, U16, U32, U64 = (np.int8, np.int16, np.uint8, np.uint16,
                              np.uint32, np.uint64)
NEW = (I8, I16, U8, U16, U32, U64)
F, I64, B = np.float32, np.int64, np.bool_
ONNX_TYPE = {F: TensorProto.FLOAT, I64: TensorProto.INT64,
             B: TensorProto.BOOL, np.int32: TensorProto.INT32,
             I8: TensorProto.INT8, I16: TensorProto.INT16,
             U8: TensorProto.UINT8, U16: TensorProto.UINT16,
             U32: TensorProto.UINT32, U64: TensorProto.UINT64}
N = "N"
used = {"onnxruntime": 0, "onnx.reference": 0}


def full_range(t, shape):
    info = np.iinfo(t)
    return rng.integers(info.min, info.max, shape, dtype=t, endpoint=True)


def make(name, t, shape):
    if t == B:
        return rng.random(shape) < 0.5
    if t == F:
        return (rng.standard_normal(shape) * 3).astype(F)
    return full_range(t, shape)


def reference(path, feeds):
    try:
        session = ort.InferenceSession(path,
                                       providers=["CPUExecutionProvider"])
        used["onnxruntime"] += 1
        return session.run(None, feeds), "onnxruntime"
    except Exception as e:  # NOT_IMPLEMENTED: no kernel for this type
        if "NOT_IMPLEMENTED" not in str(e) and "Could not find an " \
                "implementation" not in str(e):
            raise
    used["onnx.reference"] += 1
    return ReferenceEvaluator(path).run(None, feeds), "onnx.reference"


def check(name, nodes, inputs, outputs, inits=None, opset=18, feed=make):
    check_graph(args.neurona, args.workdir, name, nodes, inputs, outputs,
                onnx_type=ONNX_TYPE, feed=feed, reference=reference,
                inits=inits, opset=opset, rtol=1e-6, atol=0)


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


def name_of(t):
    return np.dtype(t).name


def nonzero_divisor(n, t, shape):
    v = make(n, t, shape)
    if n != "b":
        return v
    # No division by zero (undefined in ONNX), and no MIN / -1 (it
    # overflows); small divisors make remainders of every sign.
    small = rng.integers(1, 9, shape).astype(t)
    if np.issubdtype(t, np.signedinteger):
        small = np.where(rng.random(shape) < 0.5, small, -small).astype(t)
        small = np.where(small == -1, 3, small).astype(t)
    return np.where(rng.random(shape) < 0.5, small,
                    np.where(v == 0, 7, v)).astype(t)


def no_min(n, t, shape):
    """Values without the type's minimum, whose negation overflows."""
    v = make(n, t, shape)
    if np.issubdtype(t, np.signedinteger):
        v = np.where(v == np.iinfo(t).min, 0, v).astype(t)
    return v


for t in NEW:
    s = name_of(t)
    # Wrapping arithmetic, and the signedness-dependent ops.
    for op in ["Add", "Sub", "Mul", "Div", "Max", "Min"]:
        check(f"{op.lower()}_{s}", [node(op, ["a", "b"], ["y"])],
              [("a", t, [N, 3, 4]), ("b", t, [4])], [("y", t, None)],
              feed=nonzero_divisor)
    for fm in (0, 1):
        check(f"mod_fmod{fm}_{s}", [node("Mod", ["a", "b"], ["y"], fmod=fm)],
              [("a", t, [N, 3, 4]), ("b", t, [3, 4])], [("y", t, None)],
              feed=nonzero_divisor)
    for op in ["Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual"]:
        check(f"{op.lower()}_{s}", [node(op, ["a", "b"], ["y"])],
              [("a", t, [N, 3, 4]), ("b", t, [4])], [("y", B, None)])
    for op in ["ArgMax", "ArgMin"]:
        check(f"{op.lower()}_{s}",
              [node(op, ["x"], ["y"], axis=-1, keepdims=0)],
              [("x", t, [N, 3, 7])], [("y", I64, None)])
    unary = ["Abs", "Sign"] + (["Neg"] if np.issubdtype(t, np.signedinteger)
                               else [])
    for op in unary:
        check(f"{op.lower()}_{s}", [node(op, ["x"], ["y"])],
              [("x", t, [N, 9])], [("y", t, None)], feed=no_min)
    # Clip with bounds of the type: given as inputs, and as initializers.
    info = np.iinfo(t)
    lo, hi = np.array(info.min // 3, t), np.array(info.max // 3, t)
    check(f"clip_inputs_{s}", [node("Clip", ["x", "lo", "hi"], ["y"])],
          [("x", t, [N, 6]), ("lo", t, []), ("hi", t, [])],
          [("y", t, None)],
          feed=lambda n, t_, sh: {"lo": lo, "hi": hi}.get(n, make(n, t_, sh)))
    check(f"clip_known_{s}", [node("Clip", ["x", "lo", "hi"], ["y"])],
          [("x", t, [N, 6])], [("y", t, None)], inits={"lo": lo, "hi": hi})
    # Casts: to and from FLOAT, INT64 and another new type of the other
    # signedness (sign or zero extension, truncation, reinterpretation).
    check(f"cast_{s}_f32", [node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)],
          [("x", t, [N, 5])], [("y", F, None)])
    check(f"cast_{s}_i64", [node("Cast", ["x"], ["y"], to=TensorProto.INT64)],
          [("x", t, [N, 5])], [("y", I64, None)])
    check(f"cast_i64_{s}", [node("Cast", ["x"], ["y"], to=ONNX_TYPE[t])],
          [("x", I64, [N, 5])], [("y", t, None)])
    other = {I8: U16, I16: U8, U8: I16, U16: I8, U32: I8, U64: I16}[t]
    check(f"cast_{s}_{name_of(other)}",
          [node("Cast", ["x"], ["y"], to=ONNX_TYPE[other])],
          [("x", t, [N, 5])], [("y", other, None)])
    in_range = lambda n, t_, sh: (rng.random(sh) * min(info.max, 1000) * 0.99
                                  * (1 if info.min == 0 else
                                     np.where(rng.random(sh) < .5, 1, -1))
                                  ).astype(F)
    check(f"cast_f32_{s}", [node("Cast", ["x"], ["y"], to=ONNX_TYPE[t])],
          [("x", F, [N, 5])], [("y", t, None)], feed=in_range)
    # An initializer and a Constant of the type, Where, Gather and data
    # movement (Concat, Transpose, Reshape) on it.
    w = full_range(t, (3, 4))
    check(f"init_const_{s}",
          [node("Constant", [], ["k"],
                value=numpy_helper.from_array(full_range(t, (4,)), "k")),
           node("Add", ["x", "w"], ["s"]),
           node("Max", ["s", "k"], ["y"])],
          [("x", t, [N, 3, 4])], [("y", t, None)], inits={"w": w})
    check(f"where_gather_{s}",
          [node("Where", ["c", "a", "b"], ["m"]),
           node("Gather", ["m", "i"], ["g"], axis=1),
           node("Transpose", ["g"], ["y"], perm=[0, 2, 1]),
           node("Concat", ["a", "b"], ["z"], axis=1)],
          [("c", B, [N, 3, 4]), ("a", t, [N, 3, 4]), ("b", t, [N, 3, 4])],
          [("y", t, None), ("z", t, None)],
          inits={"i": np.array([2, 0, -1], np.int64)})

# MaxPool, ReduceMax and ReduceMin of INT8 and UINT8 (ONNX defines them on
# no other narrow type; the importer takes them through f32, which holds
# every value exactly).
for t in (I8, U8):
    check(f"maxpool_{name_of(t)}",
          [node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                pads=[1, 1, 1, 1])],
          [("x", t, [N, 2, 7, 7])], [("y", t, None)])
for t in (I8, U8):
    for op in ("ReduceMax", "ReduceMin"):
        check(f"{op.lower()}_{name_of(t)}",
              [node(op, ["x", "axes"], ["y"], keepdims=0)],
              [("x", t, [N, 3, 6])], [("y", t, None)],
              inits={"axes": np.array([-1], np.int64)})

print("references: %d onnxruntime, %d onnx.reference" %
      (used["onnxruntime"], used["onnx.reference"]))
