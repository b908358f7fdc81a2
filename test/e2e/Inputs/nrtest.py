"""Helpers shared by Neurona's end-to-end tests (run under lit).

Everything here builds inputs with public tools (onnx's helper API, numpy) or
runs `neurona`; the references the tests compare against (onnxruntime,
float64 finite differences, PyTorch autograd) never go through Neurona.
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def run(cmd, **kwargs):
    """Runs a command, failing the test with its output when it fails."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                          text=True, **kwargs)
    if proc.returncode != 0:
        sys.stderr.write("command failed: %s\n%s%s" %
                         (" ".join(map(str, cmd)), proc.stdout, proc.stderr))
        sys.exit(1)
    return proc


def mlp_onnx(path, layers, activations, *, gemm=False, out_act=None,
             seed=0, name="mlp", input_shape=None, flatten=False):
    """An MLP as an ONNX file. `layers` are widths [in, h1, ..., out];
    `activations` names the hidden activations (ONNX op types). With `gemm`,
    dense layers are Gemm with transB=1 (PyTorch's export: W is [out, in]);
    otherwise MatMul + Add with W [in, out]. Returns the weights by name."""
    rng = np.random.default_rng(seed)
    nodes, inits, weights = [], [], {}
    cur = "x"
    if input_shape is None:
        input_shape = ["N", layers[0]]
    if flatten:
        nodes.append(helper.make_node("Flatten", ["x"], ["flat"], axis=1))
        cur = "flat"
    for i in range(len(layers) - 1):
        fan_in, fan_out = layers[i], layers[i + 1]
        w = rng.uniform(-1, 1, (fan_in, fan_out)).astype(np.float32) / np.sqrt(fan_in)
        b = rng.uniform(-0.1, 0.1, fan_out).astype(np.float32)
        wn, bn = "dense%d.weight" % i, "dense%d.bias" % i
        out = "h%d" % i
        if gemm:
            w = np.ascontiguousarray(w.T)
            nodes.append(helper.make_node("Gemm", [cur, wn, bn], [out], transB=1))
        else:
            nodes.append(helper.make_node("MatMul", [cur, wn], [out + "_mm"]))
            nodes.append(helper.make_node("Add", [out + "_mm", bn], [out]))
        inits += [numpy_helper.from_array(w, wn), numpy_helper.from_array(b, bn)]
        weights[wn], weights[bn] = w, b
        cur = out
        act = activations[i] if i < len(layers) - 2 else out_act
        if act:
            nodes.append(helper.make_node(act, [cur], [out + "_a"]))
            cur = out + "_a"
    nodes.append(helper.make_node("Identity", [cur], ["y"]))
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", layers[-1]])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return weights


def close(name, got, want, rtol, atol):
    """Asserts |got - want| <= atol + rtol * |want| elementwise."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        sys.exit("%s: shape %s, expected %s" % (name, got.shape, want.shape))
    err = np.abs(got - want)
    bound = atol + rtol * np.abs(want)
    worst = np.max(err - bound) if err.size else -1
    if worst > 0:
        i = np.unravel_index(np.argmax(err - bound), err.shape)
        sys.exit("%s: mismatch at %s: got %.9g, expected %.9g (rtol %g, atol %g)"
                 % (name, i, got[i], want[i], rtol, atol))
    print("%-40s ok  max abs err %.3g" % (name, err.max() if err.size else 0))
