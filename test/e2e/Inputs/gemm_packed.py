"""Products large enough that B is packed into strips (K x N above 512 KiB,
at least 24 static rows) match NumPy in float64, and are bit-identical on
one and two threads.

Shapes cover the packed schedule's edges: a partial last depth block
(K = 640 = 2 x 256 + 128), several column blocks (N = 256), rows in
cache blocks with a short last one (M = 305 = 5 x 60 + 5), leftover rows
split off below the register tile (M = 100 = 16 x 6 + 4), and a B stored
N x K (ONNX Gemm with transB), which is transposed and then packed.

Tolerance: |neurona - numpy| <= 1e-5 * sum_k |a_mk b_kn| + 1e-6, a bound on
float32 rounding of the K-term sums in any order.
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from nrtest import run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)
rng = np.random.default_rng(7)


def product_onnx(path, m, k, n, trans_b):
    w = rng.uniform(-1, 1, (n, k) if trans_b else (k, n)).astype(np.float32)
    node = (helper.make_node("Gemm", ["x", "w"], ["y"], transB=1) if trans_b
            else helper.make_node("MatMul", ["x", "w"], ["y"]))
    graph = helper.make_graph(
        [node], "product",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)
    return w.T if trans_b else w


for name, m, k, n, trans_b in [("matmul_305x640x256", 305, 640, 256, False),
                               ("matmul_100x640x256", 100, 640, 256, False),
                               ("gemm_transb_64x1024x256", 64, 1024, 256, True)]:
    path = os.path.join(args.workdir, name + ".onnx")
    b = product_onnx(path, m, k, n, trans_b).astype(np.float64)
    a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    xp = os.path.join(args.workdir, name + "_x.npy")
    np.save(xp, a)
    outs = []
    for threads in ("1", "2"):
        yp = os.path.join(args.workdir, "%s_y%s.npy" % (name, threads))
        env = dict(os.environ, NEURONA_NUM_THREADS=threads,
                   OMP_NUM_THREADS=threads)
        run([args.neurona, "run", path, "--input", xp, "--output", yp], env=env)
        outs.append(np.load(yp))
    want = a.astype(np.float64) @ b
    bound = 1e-5 * (np.abs(a.astype(np.float64)) @ np.abs(b)) + 1e-6
    err = np.abs(outs[0].astype(np.float64) - want)
    if outs[0].shape != want.shape or np.any(err > bound):
        i = np.unravel_index(np.argmax(err - bound), err.shape)
        raise SystemExit("%s: mismatch at %s: got %.9g, expected %.9g"
                         % (name, i, outs[0][i], want[i]))
    if not np.array_equal(outs[0], outs[1]):
        raise SystemExit("%s: one and two threads differ" % name)
    print("%-28s ok  max abs err %.3g, bit-identical on 1 and 2 threads"
          % (name, err.max()))
