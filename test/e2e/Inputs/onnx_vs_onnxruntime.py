"""ONNX MLPs compiled and run by Neurona match onnxruntime.

Tolerance: |neurona - onnxruntime| <= 1e-5 * |onnxruntime| + 1e-6, the
absolute term covering outputs near zero, where a different summation order
of the 784-term dot products legitimately changes the last bits.
"""

import argparse
import os

import numpy as np
import onnxruntime as ort

from nrtest import mlp_onnx, run, close

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

cases = [
    # name, layers, hidden activations, output activation, gemm, flatten
    ("gemm_relu_softmax", [784, 64, 32, 10], ["Relu", "Sigmoid"], "Softmax", True, False),
    ("matmul_tanh_logsoftmax", [20, 16, 8], ["Tanh"], "LogSoftmax", False, False),
    ("flatten_relu", [784, 32, 10], ["Relu"], None, True, True),
    ("sigmoid_out", [12, 7, 1], ["Relu"], "Sigmoid", False, False),
]
rng = np.random.default_rng(42)
for name, layers, acts, out_act, gemm, flatten in cases:
    path = os.path.join(args.workdir, name + ".onnx")
    shape = ["N", 1, 28, 28] if flatten else ["N", layers[0]]
    mlp_onnx(path, layers, acts, gemm=gemm, out_act=out_act, name=name,
             input_shape=shape, flatten=flatten)
    for batch in (1, 7, 64):
        x = rng.standard_normal([batch] + [d for d in shape[1:]]).astype(np.float32)
        xp = os.path.join(args.workdir, "%s_x%d.npy" % (name, batch))
        yp = os.path.join(args.workdir, "%s_y%d.npy" % (name, batch))
        np.save(xp, x)
        run([args.neurona, "run", path, "--input", xp, "--output", yp])
        ours = np.load(yp)
        ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
            None, {"x": x})[0]
        close("%s batch %d" % (name, batch), ours, ref, rtol=1e-5, atol=1e-6)
