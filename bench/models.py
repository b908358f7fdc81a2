"""The benchmark's models, built the same way for every system.

A model is a `Spec`: a per-sample input shape and a list of layers. From it
come the ONNX file that Neurona, onnxruntime and IREE compile (static shapes,
batch included), the equivalent PyTorch module with the same weights (read
back from that ONNX file), the training target and the FLOP count. New model
families (CNNs, LSTMs, ...) are new layer kinds here and rows in run.py's
case table; a system that cannot compile one reports "unsupported".
"""

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


@dataclass(frozen=True)
class Layer:
    kind: str                 # dense | conv | maxpool | flatten
    size: int = 0             # dense: outputs; conv: output channels; maxpool: window
    kernel: int = 0           # conv
    pad: int = 0              # conv
    act: str = ""             # "" | Relu | Sigmoid | Tanh


def dense(n, act=""):
    return Layer("dense", n, act=act)


def conv(channels, kernel, act="", pad=0):
    return Layer("conv", channels, kernel, pad, act)


def maxpool(k):
    return Layer("maxpool", k)


def flatten():
    return Layer("flatten")


@dataclass(frozen=True)
class Spec:
    name: str
    input: tuple              # per-sample shape
    layers: tuple
    loss: str                 # cross_entropy | mse (for training)
    classes: int = 0          # cross_entropy: number of classes
    extra: dict = field(default_factory=dict, hash=False, compare=False)


MLP = Spec("mlp", (784,), (dense(128, "Relu"), dense(64, "Relu"), dense(10)),
           "cross_entropy", 10)
AUTOENCODER = Spec("autoencoder", (784,),
                   (dense(128, "Relu"), dense(32, "Relu"), dense(128, "Relu"),
                    dense(784, "Sigmoid")), "mse")
LINREG = Spec("linreg", (18,), (dense(1),), "mse")
LENET = Spec("lenet", (1, 28, 28),
             (conv(6, 5, "Relu", pad=2), maxpool(2), conv(16, 5, "Relu"),
              maxpool(2), flatten(), dense(120, "Relu"), dense(84, "Relu"),
              dense(10)), "cross_entropy", 10)


def _shapes(spec):
    """Per-sample output shape of every layer."""
    shape, out = tuple(spec.input), []
    for l in spec.layers:
        if l.kind == "dense":
            assert len(shape) == 1, "dense needs a flat input (add flatten())"
            shape = (l.size,)
        elif l.kind == "conv":
            c, h, w = shape
            k, p = l.kernel, l.pad
            shape = (l.size, h + 2 * p - k + 1, w + 2 * p - k + 1)
        elif l.kind == "maxpool":
            c, h, w = shape
            shape = (c, h // l.size, w // l.size)
        elif l.kind == "flatten":
            shape = (int(np.prod(shape)),)
        out.append(shape)
    return out


def output_shape(spec):
    return _shapes(spec)[-1]


def forward_flops(spec, batch):
    """Multiply-adds x 2 of the dense and conv layers (bias, activations and
    pooling are not counted)."""
    flops, shape = 0, tuple(spec.input)
    for l, out in zip(spec.layers, _shapes(spec)):
        if l.kind == "dense":
            flops += 2 * shape[0] * l.size
        elif l.kind == "conv":
            flops += 2 * shape[0] * l.kernel * l.kernel * int(np.prod(out))
        shape = out
    return flops * batch


def train_flops(spec, batch):
    """A training step as 3x the forward (forward, input and weight
    gradients); the optimizer update is not counted."""
    return 3 * forward_flops(spec, batch)


def build_onnx(spec, batch, path, seed=0):
    """Writes `spec` at a static batch as an ONNX file with input "x" and
    output "y"; dense layers are Gemm(transB=1) (PyTorch's export)."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    cur, shape = "x", tuple(spec.input)
    for i, (l, out) in enumerate(zip(spec.layers, _shapes(spec))):
        name = "l%d" % i
        if l.kind == "dense":
            w = (rng.uniform(-1, 1, (l.size, shape[0])) / np.sqrt(shape[0])).astype(np.float32)
            b = rng.uniform(-0.1, 0.1, l.size).astype(np.float32)
            inits += [numpy_helper.from_array(w, name + ".weight"),
                      numpy_helper.from_array(b, name + ".bias")]
            nodes.append(helper.make_node("Gemm", [cur, name + ".weight", name + ".bias"],
                                          [name], transB=1))
        elif l.kind == "conv":
            fan_in = shape[0] * l.kernel * l.kernel
            w = (rng.uniform(-1, 1, (l.size, shape[0], l.kernel, l.kernel))
                 / np.sqrt(fan_in)).astype(np.float32)
            b = rng.uniform(-0.1, 0.1, l.size).astype(np.float32)
            inits += [numpy_helper.from_array(w, name + ".weight"),
                      numpy_helper.from_array(b, name + ".bias")]
            nodes.append(helper.make_node(
                "Conv", [cur, name + ".weight", name + ".bias"], [name],
                kernel_shape=[l.kernel, l.kernel], pads=[l.pad] * 4))
        elif l.kind == "maxpool":
            nodes.append(helper.make_node("MaxPool", [cur], [name],
                                          kernel_shape=[l.size] * 2, strides=[l.size] * 2))
        elif l.kind == "flatten":
            nodes.append(helper.make_node("Flatten", [cur], [name], axis=1))
        cur = name
        if l.act:
            nodes.append(helper.make_node(l.act, [cur], [name + "_" + l.act.lower()]))
            cur = name + "_" + l.act.lower()
        shape = out
    nodes.append(helper.make_node("Identity", [cur], ["y"]))
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, *spec.input])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, *shape])],
        inits)
    _save(graph, path)


def build_gemm_onnx(m, k, n, path, seed=0):
    """One MatMul node: y[m,n] = x[m,k] @ w[k,n], w an initializer (the
    layer's weight), all shapes static."""
    w = np.random.default_rng(seed).uniform(-1, 1, (k, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "main_graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "w")])
    _save(graph, path)


def _save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def initializers(path):
    """The ONNX file's initializers by name, as numpy arrays."""
    return {t.name: np.array(numpy_helper.to_array(t)) for t in onnx.load(path).graph.initializer}


def torch_module(spec, path):
    """The PyTorch equivalent of `spec`, with the weights of the ONNX file."""
    import torch
    weights = initializers(path)
    mods, shape = [], tuple(spec.input)
    acts = {"Relu": torch.nn.ReLU, "Sigmoid": torch.nn.Sigmoid, "Tanh": torch.nn.Tanh}
    for i, (l, out) in enumerate(zip(spec.layers, _shapes(spec))):
        name = "l%d" % i
        if l.kind == "dense":
            m = torch.nn.Linear(shape[0], l.size)
        elif l.kind == "conv":
            m = torch.nn.Conv2d(shape[0], l.size, l.kernel, padding=l.pad)
        elif l.kind == "maxpool":
            m = torch.nn.MaxPool2d(l.size)
        else:
            m = torch.nn.Flatten()
        if l.kind in ("dense", "conv"):
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(weights[name + ".weight"]))
                m.bias.copy_(torch.from_numpy(weights[name + ".bias"]))
        mods.append(m)
        if l.act:
            mods.append(acts[l.act]())
        shape = out
    return torch.nn.Sequential(*mods)
