"""Single ONNX ops (activations, math, Min/Max/Sum/Mean, Pow, Clip,
Transpose, Concat, Slice, ReduceMin) compiled and run by Neurona match
onnxruntime, at batch 1 and 7, with ONNX's attribute defaults and with
non-default values.

Inputs mix standard normal values with large ones (|x| up to 40, where
softplus and elu must neither overflow nor lose their tails) and tiny ones
(|x| ~ 1e-5, where e^x - 1 and log(1 + x) must not cancel). Tolerance:
|neurona - onnxruntime| <= 1e-5 * |onnxruntime| + 1e-6.
"""

import argparse
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from nrtest import run, close

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

rng = np.random.default_rng(5)
INT64_MAX = np.iinfo(np.int64).max


def sample(shape):
    """Normal values with a share of large and of tiny ones."""
    x = rng.standard_normal(shape)
    pick = rng.random(shape)
    x = np.where(pick < 0.15, x * 40 / 3, x)
    x = np.where(pick > 0.85, x * 1e-5, x)
    return x.astype(np.float32)


def check(name, nodes, in_shape, out_shape, inits=None, opset=13,
          make_input=sample):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"] + in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"] + out_shape)],
        [numpy_helper.from_array(np.asarray(v), k)
         for k, v in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(args.workdir, name + ".onnx")
    onnx.save(model, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (1, 7):
        x = make_input([batch] + in_shape)
        xp = os.path.join(args.workdir, f"{name}_x{batch}.npy")
        yp = os.path.join(args.workdir, f"{name}_y{batch}.npy")
        np.save(xp, x)
        run([args.neurona, "run", path, "--input", xp, "--output", yp])
        ref = session.run(None, {"x": x})[0]
        close(f"{name} batch {batch}", np.load(yp), ref, rtol=1e-5, atol=1e-6)


def unary(op, shape=(6,), **attrs):
    return [helper.make_node(op, ["x"], ["y"], **attrs)], list(shape), list(shape)


# Activations and unary math, defaults and non-default attributes.
for label, op, attrs in [
    ("leaky_relu", "LeakyRelu", {}), ("leaky_relu_alpha", "LeakyRelu", {"alpha": 0.3}),
    ("elu", "Elu", {}), ("elu_alpha", "Elu", {"alpha": 0.7}),
    ("selu", "Selu", {}), ("selu_attrs", "Selu", {"alpha": 1.5, "gamma": 2.0}),
    ("softplus", "Softplus", {}), ("softsign", "Softsign", {}),
    ("hard_sigmoid", "HardSigmoid", {}),
    ("hard_sigmoid_attrs", "HardSigmoid", {"alpha": 1 / 6, "beta": 0.4}),
    ("abs", "Abs", {}), ("sign", "Sign", {}), ("ceil", "Ceil", {}),
    ("floor", "Floor", {}), ("reciprocal", "Reciprocal", {}), ("erf", "Erf", {}),
]:
    nodes, i, o = unary(op, (3, 4), **attrs)
    check(label, nodes, i, o)

# Sign of exact zeros; Ceil and Floor on values near integers.
check("sign_zeros", *unary("Sign", (5,)),
      make_input=lambda s: np.round(rng.standard_normal(s)).astype(np.float32))
check("floor_near_integers", *unary("Floor", (5,)),
      make_input=lambda s: (np.round(rng.standard_normal(s) * 3) +
                            rng.choice([-1e-3, 0, 1e-3], s)).astype(np.float32))

# Clip: opset 13 inputs (both, min only, max only), opset 10 attributes,
# and min > max, which ONNX defines as max everywhere.
f = lambda v: np.array(v, np.float32)
check("clip", [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [6], [6],
      {"lo": f(-0.5), "hi": f(0.8)})
check("clip_min", [helper.make_node("Clip", ["x", "lo"], ["y"])], [6], [6],
      {"lo": f(0.1)})
check("clip_max", [helper.make_node("Clip", ["x", "", "hi"], ["y"])], [6], [6],
      {"hi": f(0.2)})
check("clip_none", [helper.make_node("Clip", ["x"], ["y"])], [6], [6])
check("clip_opset10", [helper.make_node("Clip", ["x"], ["y"], min=-1.0, max=0.5)],
      [6], [6], opset=10)
check("clip_crossed", [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [6], [6],
      {"lo": f(0.5), "hi": f(-0.5)})

# Pow: a tensor exponent broadcast over the batch, an INT64 exponent on
# negative bases, a float exponent.
check("pow_tensor", [helper.make_node("Abs", ["x"], ["a"]),
                     helper.make_node("Pow", ["a", "e"], ["y"])], [4], [4],
      {"e": rng.uniform(-1.5, 2.5, 4).astype(np.float32)},
      make_input=lambda s: rng.standard_normal(s).astype(np.float32))
check("pow_int", [helper.make_node("Pow", ["x", "e"], ["y"])], [4], [4],
      {"e": np.array(3, np.int64)},
      make_input=lambda s: rng.standard_normal(s).astype(np.float32))
check("pow_float", [helper.make_node("Pow", ["x", "e"], ["y"])], [4], [4],
      {"e": f(2.0)})

# Variadic Min, Max, Sum, Mean with one to three inputs and broadcasting.
for op in ("Min", "Max", "Sum", "Mean"):
    row = rng.standard_normal(5).astype(np.float32)
    col = rng.standard_normal((3, 1)).astype(np.float32)
    check(f"{op.lower()}_3", [helper.make_node(op, ["x", "row", "col"], ["y"])],
          [3, 5], [3, 5], {"row": row, "col": col})
    check(f"{op.lower()}_1", [helper.make_node(op, ["x"], ["y"])], [3, 5], [3, 5])

# Transpose, Concat, Slice.
check("transpose", [helper.make_node("Transpose", ["x"], ["y"], perm=[0, 3, 1, 2])],
      [2, 3, 4], [4, 2, 3])
check("concat", [helper.make_node("Neg", ["x"], ["n"]),
                 helper.make_node("Concat", ["x", "n", "x"], ["y"], axis=-1)],
      [2, 3], [2, 9])
check("concat_axis1", [helper.make_node("Concat", ["x", "x"], ["y"], axis=1)],
      [2, 3], [4, 3])
i64 = lambda *v: np.array(v, np.int64)
check("slice_steps", [helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"])],
      [5, 7], [2, 3],
      {"s": i64(-1, 0), "e": i64(-INT64_MAX, INT64_MAX), "a": i64(1, 2),
       "t": i64(-3, 3)})
check("slice_clamped", [helper.make_node("Slice", ["x", "s", "e"], ["y"])],
      [6], [4], {"s": i64(0, 2), "e": i64(INT64_MAX, 100)})
check("slice_int32", [helper.make_node("Slice", ["x", "s", "e", "a"], ["y"])],
      [6], [3], {"s": np.array([-4], np.int32), "e": np.array([-1], np.int32),
                 "a": np.array([-1], np.int32)})
check("slice_opset9", [helper.make_node("Slice", ["x"], ["y"], starts=[1], ends=[4],
                                        axes=[1])], [6], [3], opset=9)

# ReduceMin: axes attribute (opset 13) and input (opset 18), keepdims 0/1.
check("reduce_min", [helper.make_node("ReduceMin", ["x"], ["y"], axes=[1],
                                      keepdims=0)], [3, 4], [4])
check("reduce_min18", [helper.make_node("ReduceMin", ["x", "a"], ["y"])],
      [3, 4], [1, 1], {"a": i64(-1, 1)}, opset=18)
