"""ONNX's FLOAT16 and BFLOAT16 tensors, compiled and run by Neurona, against
ONNX's reference implementation (onnx.reference: numpy, whose float16 ops
and ml_dtypes' bfloat16 casts are correctly rounded; onnxruntime's Python
binding has no bfloat16, and its float16 arithmetic differs from numpy's in
the last place of some subnormal results): as graph inputs and outputs
(.npy files of numpy's float16 and ml_dtypes' bfloat16, which numpy saves
as '<V2'), as initializers, and through Cast from and to FLOAT, DOUBLE and
INT64 and the ops that compute on them in f32 and round each result.

Casts and single correctly rounded ops (Add, Sub, Mul, Div, Sqrt,
Reciprocal, Neg, Abs, Max, Min, Where and data movement) must equal the
reference exactly, NaN where it has NaN: rounding an f32 result of f16 or
bf16 operands once is the correctly rounded result. The inputs hold values
that round to a tie, overflow to infinity, become subnormal, and NaN and
infinities. Ops made of several steps (Softmax, ReduceSum, ReduceMean,
MatMul) and transcendental ones (Exp, Tanh), where numpy rounds along the
way and Neurona only at the end, are compared with the exact result
computed in float64 instead: they must lie within one unit in the last
place of the type (2^-10 relative for FLOAT16, 2^-7 for BFLOAT16, plus
1e-6 absolute), the bound docs/design.md states.
"""

import argparse
import os

import ml_dtypes
import numpy as np
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from nrtest import run, save_graph

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

rng = np.random.default_rng(11)
F, D, I64 = np.float32, np.float64, np.int64
H, BF = np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)
ONNX_TYPE = {np.dtype(F): TensorProto.FLOAT, np.dtype(D): TensorProto.DOUBLE,
             np.dtype(I64): TensorProto.INT64, H: TensorProto.FLOAT16,
             BF: TensorProto.BFLOAT16, np.dtype(np.bool_): TensorProto.BOOL}
ULPS = {H: 2.0 ** -10, BF: 2.0 ** -7, np.dtype(F): 2.0 ** -20}


def special(t, n):
    """`n` values of type `t` with the cases that rounding must get right."""
    x = (rng.standard_normal(n) * 4).astype(F)
    if t == H:
        edge = [65504, 65519.99, 65520, -70000, 6e-8, 3e-5, 1e-7,
                1 + 2 ** -11, 1 + 3 * 2 ** -11, np.inf, -np.inf, np.nan]
    else:
        edge = [3.3e38, 3.4e38, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1e-39, -2.5e-40,
                np.inf, -np.inf, np.nan]
    k = min(n, len(edge))
    x[:k] = edge[:k]
    return x


def make(t, shape):
    n = int(np.prod(shape))
    if np.dtype(t) == np.dtype(I64):
        return rng.integers(-70000, 70000, shape, dtype=I64)
    if np.dtype(t) in (np.dtype(F), np.dtype(D)):
        return special(H, n).astype(t).reshape(shape)
    return special(t, n).astype(t).reshape(shape)


def positive(t, shape):
    return np.abs(make(t, shape))


def reference(path):
    return ReferenceEvaluator(path)


def check(name, nodes, inputs, outputs, inits=None, f64=None,
          feed=make, opset=21):
    """`inputs`/`outputs`: (name, dtype, shape); a leading "N" is the batch,
    run at 1 and 5. Without `f64`, every output must equal onnx.reference's
    exactly (NaN where it has NaN); with it, `f64(inputs)` computes the outputs in float64 from
    the inputs (widened exactly), and every output must lie within one unit
    in the last place of its type of that (the correctly rounded result is
    within half of one)."""
    path = os.path.join(args.workdir, name + ".onnx")
    save_graph(path, name, nodes,
               [(n, np.dtype(t), s) for n, t, s in inputs],
               [(n, np.dtype(t), s) for n, t, s in outputs],
               onnx_type=ONNX_TYPE, inits=inits, opset=opset, ir_version=10)
    for batch in (1, 5):
        feeds = {n: feed(t, [batch if d == "N" else d for d in s])
                 for n, t, s in inputs}
        cmd = [args.neurona, "run", path]
        for n in feeds:
            xp = os.path.join(args.workdir, f"{name}_{n}_{batch}.npy")
            np.save(xp, feeds[n])
            cmd += ["--input", xp]
        outs = [os.path.join(args.workdir, f"{name}_out{i}_{batch}.npy")
                for i in range(len(outputs))]
        for o in outs:
            cmd += ["--output", o]
        run(cmd)
        if f64:
            refs = f64({n: v.astype(D) for n, v in feeds.items()})
            source = "float64"
        else:
            refs = reference(path).run(None, feeds)
            source = "onnx.reference"
        for (n, t, _), o, ref in zip(outputs, outs, refs):
            tag = f"{name} {n} batch {batch}"
            got = np.load(o)
            if got.dtype == np.dtype("V2"):
                got = got.view(BF)
            ref = np.asarray(ref)
            if got.dtype != np.dtype(t) or (not f64 and got.dtype != ref.dtype):
                raise SystemExit(f"{tag}: dtype {got.dtype}, expected "
                                 f"{ref.dtype} ({np.dtype(t)})")
            g, w = got.astype(D), ref.astype(D)
            if got.shape != ref.shape or \
                    (np.isnan(g) != np.isnan(w)).any():
                raise SystemExit(f"{tag}: shape or NaNs differ: got {got}, "
                                 f"expected {ref}")
            g, w = g[~np.isnan(g)], w[~np.isnan(w)]
            if not f64:
                bad = g != w
                what = "exact"
            else:
                ulp = ULPS[np.dtype(t)]
                bad = ~(np.abs(g - w) <= ulp * np.abs(w) + 1e-6) & \
                    ~((g == w) & np.isinf(w))
                what = "within 1 ulp of float64"
            if bad.any():
                i = np.argmax(bad)
                raise SystemExit(f"{tag}: got {g[i]!r}, expected {w[i]!r} "
                                 f"({int(bad.sum())} of {bad.size} differ; "
                                 f"{what}, {source})")
            print("%-44s ok  (%s, %s)" % (tag, what, source))


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


# Casts between FLOAT16/BFLOAT16 and FLOAT, DOUBLE and INT64, both ways, and
# between the two 16-bit types.
for t, tn in ((H, "f16"), (BF, "bf16")):
    edges = lambda s, n, t=t: special(t, int(np.prod(s))).astype(n).reshape(s)
    for src, sn in ((F, "f32"), (D, "f64"), (I64, "i64")):
        check(f"cast_{sn}_to_{tn}",
              [node("Cast", ["x"], ["y"], to=ONNX_TYPE[t])],
              [("x", src, ["N", 16])], [("y", t, None)],
              feed=make if src == I64 else lambda n, s: edges(s, n))
    for dst, dn in ((F, "f32"), (D, "f64"), (I64, "i64")):
        feed = make if dst != I64 else \
            (lambda t, s: np.trunc(rng.uniform(-3e4, 3e4, s)).astype(t))
        check(f"cast_{tn}_to_{dn}",
              [node("Cast", ["x"], ["y"], to=ONNX_TYPE[np.dtype(dst)])],
              [("x", t, ["N", 16])], [("y", dst, None)], feed=feed)
check("cast_f16_to_bf16", [node("Cast", ["x"], ["y"], to=TensorProto.BFLOAT16)],
      [("x", H, ["N", 16])], [("y", BF, None)])
check("cast_bf16_to_f16", [node("Cast", ["x"], ["y"], to=TensorProto.FLOAT16)],
      [("x", BF, ["N", 16])], [("y", H, None)])

# Single correctly rounded ops: exact. Chained ops round after each one.
for t, tn in ((H, "f16"), (BF, "bf16")):
    for op in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
        check(f"{op.lower()}_{tn}", [node(op, ["a", "b"], ["y"])],
              [("a", t, ["N", 12]), ("b", t, [12])], [("y", t, None)])
    for op in ("Neg", "Abs", "Reciprocal"):
        check(f"{op.lower()}_{tn}", [node(op, ["a"], ["y"])],
              [("a", t, ["N", 12])], [("y", t, None)])
    check(f"sqrt_{tn}", [node("Sqrt", ["a"], ["y"])],
          [("a", t, ["N", 12])], [("y", t, None)], feed=positive)
    check(f"chain_{tn}",
          [node("Mul", ["a", "w"], ["m"]), node("Add", ["m", "a"], ["s"]),
           node("Greater", ["s", "a"], ["g"]),
           node("Where", ["g", "s", "m"], ["y"]),
           node("Transpose", ["y"], ["yt"], perm=[1, 0]),
           node("Concat", ["yt", "yt"], ["c"], axis=1)],
          [("a", t, [3, 4])], [("y", t, None), ("c", t, None)],
          inits={"w": np.array([1.5, -3, 0.1, 7], t)})
    e = np.array([2, 0.5, -1, 3], t)
    check(f"pow_f32_base_{tn}_exponent", [node("Pow", ["x", "e"], ["y"])],
          [("x", F, ["N", 4])], [("y", F, None)],
          f64=lambda v, e=e: [v["x"] ** e.astype(D)],
          feed=lambda t, s: rng.uniform(0.5, 4, s).astype(t), inits={"e": e})

# Several steps or transcendental functions: within one ulp of float64.
def softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


for t, tn in ((H, "f16"), (BF, "bf16")):
    small = lambda t, s: rng.uniform(-2, 2, s).astype(t)
    for op, attrs, fn in (("Softmax", {"axis": -1}, softmax),
                          ("Exp", {}, np.exp), ("Tanh", {}, np.tanh),
                          ("ReduceSum", {"keepdims": 0}, np.sum),
                          ("ReduceMean", {"keepdims": 0}, np.mean)):
        check(f"{op.lower()}_{tn}", [node(op, ["a"], ["y"], **attrs)],
              [("a", t, ["N", 8, 6])], [("y", t, None)], feed=small,
              f64=lambda v, fn=fn: [fn(v["a"])])
    w = rng.uniform(-1, 1, (16, 3)).astype(t)
    check(f"matmul_{tn}", [node("MatMul", ["a", "w"], ["y"])],
          [("a", t, ["N", 16])], [("y", t, None)], feed=small,
          f64=lambda v, w=w: [v["a"] @ w.astype(D)], inits={"w": w})

# `neurona run` takes an f16/bf16 input only as a .npy of that type, and
# refuses another with a message naming the input and both types.
import subprocess  # noqa: E402

for t, tn, other, on in ((H, "f16", BF, "bf16"), (BF, "bf16", H, "f16")):
    path = os.path.join(args.workdir, f"cast_{tn}_to_f32.onnx")
    for wrong, name in ((F, "f32"), (D, "f64"), (other, on)):
        xp = os.path.join(args.workdir, f"feed_{tn}_{name}.npy")
        np.save(xp, special(t, 16).reshape(1, 16).astype(wrong))
        proc = subprocess.run([args.neurona, "run", path, "--input", xp,
                               "--output", xp + ".out.npy"],
                              capture_output=True, text=True)
        expected = f"input 'x' must be {tn} [?, 16], got {name} [1, 16]"
        if proc.returncode == 0 or expected not in proc.stderr:
            raise SystemExit(f"{name} .npy into a {tn} input: exit "
                             f"{proc.returncode}, {proc.stderr!r}")
        print("%-44s ok  (refused)" % f"{name} .npy into {tn}")
