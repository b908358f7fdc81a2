"""Row reductions in vector code keep the documented order.

`neurona-cpu-vectorize-elementwise` reduces a row of n elements in L = 16
lanes: lane j adds the elements j, j + L, j + 2L, ... in order, starting
from -0 (the sum's identity), the last partial vector padded with -0; then
lanes j and j + 8 are added, then j and j + 4, j + 2, j + 1; the init (0
for ReduceSum) is added last. `lane_sum` emulates that in NumPy float32, and
the compiled sums must equal it bit for bit at one and two threads. The
emulation must also differ from a plain left-to-right float32 sum on some
rows, so that the comparison could tell the orders apart. Row maxima must
equal NumPy's (NaN propagating, -inf kept); a log-softmax over the same rows
must match float64 at 1e-6 * |ref| + 1e-6.
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from nrtest import run, close

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

LANES = 16
ROWS, COLS = 64, 1003  # 62 whole vectors and 11 elements per row


def lane_sum(row):
    """The compiled row sum's order, in float32."""
    row = np.asarray(row, np.float32)
    n = -(-row.size // LANES) * LANES
    padded = np.full(n, -0.0, np.float32)
    padded[:row.size] = row
    acc = np.full(LANES, -0.0, np.float32)
    for k in range(0, n, LANES):
        acc = acc + padded[k:k + LANES]
    half = LANES // 2
    while half >= 1:
        acc = acc[:half] + acc[half:2 * half]
        half //= 2
    return np.float32(0.0) + acc[0]


def sequential_sum(row):
    acc = np.float32(0.0)
    for v in np.asarray(row, np.float32):
        acc = np.float32(acc + v)
    return acc


def model(path, nodes, out_shape, inits=(), in_shape=(COLS,)):
    graph = helper.make_graph(
        nodes, os.path.basename(path)[:-5],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["N"] + list(in_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def run_threads(name, x):
    """The outputs of model `name` on `x` at one and two threads, which must
    be bit-identical; returns the first."""
    path = os.path.join(args.workdir, name + ".onnx")
    xp = os.path.join(args.workdir, name + "_x.npy")
    np.save(xp, x)
    outs = []
    for threads in ("1", "2"):
        yp = os.path.join(args.workdir, "%s_y%s.npy" % (name, threads))
        env = dict(os.environ, NEURONA_NUM_THREADS=threads,
                   OMP_NUM_THREADS=threads)
        run([args.neurona, "run", path, "--input", xp, "--output", yp],
            env=env)
        outs.append(np.load(yp))
    if outs[0].tobytes() != outs[1].tobytes():
        raise SystemExit("%s: one and two threads differ" % name)
    return outs[0]


rng = np.random.default_rng(11)
# Values of mixed magnitude, so that the order of the additions shows in the
# last bits.
x = (rng.standard_normal((ROWS, COLS)) *
     np.exp(rng.uniform(-4, 4, (ROWS, COLS)))).astype(np.float32)

# Row sums over the last axis; 64 rows of 1003 are four chunks of 17 rows
# for the threads (chunks of about 16K elements).
axes = numpy_helper.from_array(np.array([1], np.int64), "axes")
model(os.path.join(args.workdir, "row_sum.onnx"),
      [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
      ["N"], [axes])
got = run_threads("row_sum", x)
want = np.array([lane_sum(r) for r in x], np.float32)
if got.shape != want.shape or got.tobytes() != want.tobytes():
    i = int(np.argmax(got != want)) if got.shape == want.shape else 0
    raise SystemExit("row_sum: row %d is %.9g, the lane order gives %.9g"
                     % (i, got.flat[i], want.flat[i]))
differs = sum(lane_sum(r) != sequential_sum(r) for r in x)
if differs == 0:
    raise SystemExit("row_sum: the lane order never differs from the "
                     "sequential one; the check cannot tell them apart")
close("row_sum vs float64", got, x.astype(np.float64).sum(axis=1),
      rtol=1e-5, atol=1e-5 * np.abs(x).sum(axis=1).max())
print("row_sum: lane order bit for bit on 1 and 2 threads "
      "(%d of %d rows differ from the sequential order)" % (differs, ROWS))

# A sum over every element is one row of N * 37 (dynamic length).
model(os.path.join(args.workdir, "total.onnx"),
      [helper.make_node("ReduceSum", ["x"], ["y"], keepdims=0)], [],
      in_shape=(37,))
small = x[:, :37].copy()
got = run_threads("total", small)
want = lane_sum(small.reshape(-1))
if got.tobytes() != np.float32(want).tobytes():
    raise SystemExit("total: %.9g, the lane order gives %.9g" % (got, want))
print("total: one row of %d in lane order, bit for bit" % small.size)

# Row maxima: NaN propagates from any position (a whole vector, the padded
# tail), -inf rows stay -inf.
xm = x.copy()
xm[3, 5] = np.nan
xm[7, COLS - 2] = np.nan
xm[9, :] = -np.inf
xm[11, 1000] = np.inf
model(os.path.join(args.workdir, "row_max.onnx"),
      [helper.make_node("ReduceMax", ["x"], ["y"], axes=[1], keepdims=0)],
      ["N"])
got = run_threads("row_max", xm)
want = np.max(xm, axis=1)
if got.tobytes() != want.tobytes():
    i = int(np.argmax(~((got == want) | (np.isnan(got) & np.isnan(want)))))
    raise SystemExit("row_max: row %d is %.9g, expected %.9g"
                     % (i, got[i], want[i]))
print("row_max: NumPy's maxima bit for bit, NaN and infinities included")

# Log-softmax: the row maximum, the sum of exponentials and its log.
model(os.path.join(args.workdir, "log_softmax.onnx"),
      [helper.make_node("LogSoftmax", ["x"], ["y"], axis=1)], ["N", COLS])
xs = rng.standard_normal((ROWS, COLS)).astype(np.float32) * 4
got = run_threads("log_softmax", xs)
x64 = xs.astype(np.float64)
shifted = x64 - x64.max(axis=1, keepdims=True)
want = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
close("log_softmax vs float64", got, want, rtol=1e-6, atol=1e-6)
