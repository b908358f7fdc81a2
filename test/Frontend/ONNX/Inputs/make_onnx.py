#!/usr/bin/env python3
"""Writes the small ONNX models the importer tests run on.

Usage: make_onnx.py KIND OUT

OUT is the .onnx file to write, except for the external-data kinds, where it
is a folder the script creates (holding model/model.onnx and, for the escape
tests, a file outside model/). Models are built with onnx.helper so each test
states exactly the graph it checks; weights are seeded, so files are
reproducible.
"""

import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
RNG = np.random.default_rng(0)


def weights(*shape):
    return RNG.standard_normal(shape).astype(np.float32) * 0.1


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, initializers=(), name="test",
          opset=OPSET, opsets=None):
    graph = helper.make_graph(nodes, name, inputs, outputs,
                              initializer=list(initializers))
    imports = opsets if opsets is not None else [helper.make_opsetid("", opset)]
    m = helper.make_model(graph, opset_imports=imports,
                          producer_name="neurona-tests")
    m.ir_version = IR_VERSION
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def dense_mlp(use_gemm, name="fashion_mlp", sizes=(784, 128, 10),
              output="logits"):
    """The DSL's `dense` stack: dense{i}.weight is [in, out], bias [out]."""
    nodes, inits = [], []
    x = "x"
    last = len(sizes) - 2
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        w, b = f"dense{i}.weight", f"dense{i}.bias"
        inits += [init(w, weights(n_in, n_out)), init(b, np.zeros(n_out, np.float32))]
        y = output if i == last else f"h{i}"
        pre = y if i == last else f"pre{i}"
        if use_gemm:
            nodes.append(helper.make_node("Gemm", [x, w, b], [pre], name=f"fc{i}"))
        else:
            nodes.append(helper.make_node("MatMul", [x, w], [f"mm{i}"], name=f"mm{i}"))
            nodes.append(helper.make_node("Add", [f"mm{i}", b], [pre], name=f"bias{i}"))
        if i != last:
            nodes.append(helper.make_node("Relu", [pre], [y], name=f"relu{i}"))
        x = y
    return model(nodes, [f32("x", ["N", sizes[0]])], [f32(output, ["N", sizes[-1]])],
                 inits, name=name)


def torch_mlp(path):
    """A PyTorch nn.Sequential exported by torch.onnx (Gemm with transB=1)."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 10))
    torch.onnx.export(net, torch.zeros(1, 784), path, input_names=["x"],
                      output_names=["logits"], opset_version=13,
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})


def gemm_flags():
    a = f32("a", [3, 4])  # transA: A^T is 4x3
    nodes = [helper.make_node("Gemm", ["a", "w", "c"], ["y"], name="gemm",
                              alpha=0.5, beta=2.0, transA=1, transB=1)]
    return model(nodes, [a], [f32("y", [4, 5])],
                 [init("w", weights(5, 3)), init("c", weights(5))])


def elementwise():
    nodes = [
        helper.make_node("Constant", [], ["two"], value_float=2.0),
        helper.make_node("Mul", ["x", "two"], ["m"]),
        helper.make_node("Sub", ["m", "shift"], ["s"]),
        helper.make_node("Div", ["s", "scale"], ["d"]),
        helper.make_node("Exp", ["d"], ["e"]),
        helper.make_node("Log", ["e"], ["l"]),
        helper.make_node("Sqrt", ["l"], ["q"]),
        helper.make_node("Neg", ["q"], ["n"]),
        helper.make_node("Sigmoid", ["n"], ["sg"]),
        helper.make_node("Tanh", ["sg"], ["t"]),
        helper.make_node("Identity", ["t"], ["y"]),
    ]
    return model(nodes, [f32("x", ["N", 8])], [f32("y", ["N", 8])],
                 [init("shift", weights(8)), init("scale", weights(1, 8))])


def activations():
    nodes = [
        helper.make_node("LeakyRelu", ["x"], ["a"]),
        helper.make_node("LeakyRelu", ["a"], ["b"], alpha=0.2),
        helper.make_node("Elu", ["b"], ["c"], alpha=0.5),
        helper.make_node("Selu", ["c"], ["d"]),
        helper.make_node("HardSigmoid", ["d"], ["e"]),
        helper.make_node("Softplus", ["e"], ["f"]),
        helper.make_node("Softsign", ["f"], ["g"]),
        helper.make_node("Clip", ["g", "lo", "hi"], ["h"]),
        helper.make_node("Clip", ["h", "", "hi"], ["i"]),
        helper.make_node("Abs", ["i"], ["j"]),
        helper.make_node("Sign", ["j"], ["k"]),
        helper.make_node("Erf", ["k"], ["y"]),
    ]
    return model(nodes, [f32("x", ["N", 8])], [f32("y", ["N", 8])],
                 [init("lo", np.float32(-1)), init("hi", np.float32(6))])


def data_movement():
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
        helper.make_node("Concat", ["t", "t"], ["c"], axis=-1),
        helper.make_node("Slice", ["c", "starts", "ends", "axes", "steps"], ["s"]),
        helper.make_node("ReduceMin", ["s"], ["r"], axes=[1], keepdims=0),
        helper.make_node("Pow", ["r", "two"], ["p"]),
        helper.make_node("Max", ["p", "r", "row"], ["m"]),
        helper.make_node("Mean", ["m", "r"], ["y"]),
    ]
    return model(nodes, [f32("x", ["N", 3, 4])], [f32("y", ["N", 3])], [
        init("starts", np.array([0, -1], np.int64)),
        init("ends", np.array([2**63 - 1, -100], np.int64)),
        init("axes", np.array([0, 2], np.int64)),
        init("steps", np.array([1, -2], np.int64)),
        init("two", np.array(2, np.int64)),
        init("row", weights(3))], opset=13)


def cnn():
    """Conv (bias, stride, pads, group) -> MaxPool -> AveragePool ->
    GlobalAveragePool, with ONNX's attribute names."""
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], strides=[2, 2],
                         pads=[1, 1, 1, 1], group=2, kernel_shape=[3, 3]),
        helper.make_node("MaxPool", ["c"], ["m"], kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("AveragePool", ["m"], ["a"], kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1),
        helper.make_node("GlobalAveragePool", ["a"], ["y"]),
    ]
    return model(nodes, [f32("x", ["N", 4, 16, 16])], [f32("y", ["N", 6, 1, 1])],
                 [init("w", weights(6, 2, 3, 3)), init("b", weights(6))])


def bad_node(op, inputs, shape=("N", 4), inits=(), opset=OPSET, **attrs):
    """One `op` node on x of `shape`, named 'bad', for the error tests."""
    nodes = [helper.make_node(op, ["x"] + list(inputs), ["y"], name="bad",
                              **attrs)]
    return model(nodes, [f32("x", list(shape))], [f32("y", None)], inits,
                 opset=opset)


def softmax(opset, op, axis, shape):
    attrs = {} if axis is None else {"axis": axis}
    nodes = [helper.make_node(op, ["x"], ["y"], name="sm", **attrs)]
    return model(nodes, [f32("x", shape)], [f32("y", shape)], opset=opset)


def flatten_reshape():
    nodes = [
        helper.make_node("Flatten", ["x"], ["flat"], name="flatten", axis=1),
        helper.make_node("Reshape", ["flat", "shape0"], ["img"], name="unflatten"),
        helper.make_node("Constant", [], ["shape1"], name="shape_const",
                         value=init("v", np.array([-1, 784], np.int64))),
        helper.make_node("Reshape", ["img", "shape1"], ["y"], name="reflatten"),
    ]
    return model(nodes, [f32("x", ["N", 1, 28, 28])], [f32("y", ["N", 784])],
                 [init("shape0", np.array([0, 28, -1], np.int64))])


def with_external(folder, location, make_outside=False, offset=None,
                  symlink=False):
    """A dense layer whose weight lives in an external file at `location`."""
    shutil.rmtree(folder, ignore_errors=True)
    model_dir = os.path.join(folder, "model")
    os.makedirs(model_dir)
    w = weights(4, 3)
    data = w.tobytes()
    if make_outside:
        with open(os.path.join(folder, "secret.bin"), "wb") as f:
            f.write(data)
    if symlink:
        os.symlink(os.path.join(folder, "secret.bin"),
                   os.path.join(model_dir, location))
    elif not make_outside:
        with open(os.path.join(model_dir, location), "wb") as f:
            f.write(data)
    tensor = TensorProto(name="dense0.weight", data_type=TensorProto.FLOAT,
                         dims=[4, 3], data_location=TensorProto.EXTERNAL)
    entries = {"location": location, "length": str(len(data))}
    if offset is not None:
        entries["offset"] = str(offset)
    for key, value in entries.items():
        tensor.external_data.add(key=key, value=value)
    nodes = [helper.make_node("MatMul", ["x", "dense0.weight"], ["y"], name="mm")]
    m = model(nodes, [f32("x", ["N", 4])], [f32("y", ["N", 3])], [tensor])
    save(m, os.path.join(model_dir, "model.onnx"))


def save(m, path):
    # Serialized directly: onnx.save would resolve external data itself.
    with open(path, "wb") as f:
        f.write(m.SerializeToString())


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "torch_mlp":
        return torch_mlp(out)
    if kind.startswith("external_"):
        folder = out
        if kind == "external_ok":
            return with_external(folder, "weights.bin")
        if kind == "external_dotdot":
            return with_external(folder, "../secret.bin", make_outside=True)
        if kind == "external_absolute":
            return with_external(folder, os.path.abspath(
                os.path.join(folder, "secret.bin")), make_outside=True)
        if kind == "external_symlink":
            return with_external(folder, "link.bin", make_outside=True,
                                 symlink=True)
        if kind == "external_range":
            return with_external(folder, "weights.bin", offset=40)
        raise SystemExit(f"unknown kind {kind}")

    x = f32("x", ["N", 784])
    simple = {
        "fashion_mlp": lambda: dense_mlp(use_gemm=True),
        "fashion_mlp_matmul": lambda: dense_mlp(use_gemm=False),
        "gemm_flags": gemm_flags,
        "elementwise": elementwise,
        "softmax13": lambda: softmax(13, "Softmax", None, ["N", 10]),
        "log_softmax11": lambda: softmax(11, "LogSoftmax", None, ["N", 10]),
        "softmax11_3d": lambda: softmax(11, "Softmax", 1, ["N", 4, 5]),
        "softmax13_axis1": lambda: softmax(13, "Softmax", 1, ["N", 4, 5]),
        "flatten_reshape": flatten_reshape,
        "activations": activations,
        "data_movement": data_movement,
        "cnn": cnn,
        "conv_auto_pad": lambda: bad_node(
            "Conv", ["w"], ("N", 3, 8, 8), auto_pad="SAME_UPPER",
            inits=[init("w", weights(4, 3, 3, 3))]),
        "conv_channels": lambda: bad_node(
            "Conv", ["w"], ("N", 3, 8, 8), inits=[init("w", weights(4, 2, 3, 3))]),
        "conv_kernel_shape": lambda: bad_node(
            "Conv", ["w"], ("N", 3, 8, 8), kernel_shape=[5, 5],
            inits=[init("w", weights(4, 3, 3, 3))]),
        "pool_too_large": lambda: bad_node(
            "MaxPool", [], ("N", 3, 4, 4), kernel_shape=[5, 5]),
        "pool_auto_pad": lambda: bad_node(
            "AveragePool", [], ("N", 3, 4, 4), kernel_shape=[2, 2],
            auto_pad="VALID"),
        # SAME_LOWER on 7 with kernel 2, stride 2: out 4, total pad 1, first.
        "pool_same_lower": lambda: bad_node(
            "MaxPool", [], ("N", 3, 7, 7), kernel_shape=[2, 2],
            strides=[2, 2], auto_pad="SAME_LOWER"),
        "conv_pads_and_auto_pad": lambda: bad_node(
            "Conv", ["w"], ("N", 3, 8, 8), auto_pad="SAME_UPPER",
            pads=[1, 1, 1, 1], inits=[init("w", weights(4, 3, 3, 3))]),
        "conv1d": lambda: bad_node(
            "Conv", ["w", "b"], ("N", 3, 10), strides=[2], pads=[1, 0],
            dilations=[2], inits=[init("w", weights(4, 3, 3)),
                                  init("b", weights(4))]),
        "conv1d_kernel_shape": lambda: bad_node(
            "Conv", ["w"], ("N", 3, 10), kernel_shape=[3, 3],
            inits=[init("w", weights(4, 3, 3))]),
        "conv3d": lambda: bad_node(
            "Conv", ["w"], ("N", 3, 4, 4, 4),
            inits=[init("w", weights(4, 3, 3, 3, 3))]),
        # Dilated and 3-D pools are strided slices: 1-axis pools in turn.
        "pool_dilated": lambda: bad_node(
            "MaxPool", [], ("N", 1, 5, 5), kernel_shape=[2, 2],
            dilations=[2, 1]),
        "pool3d_avg": lambda: bad_node(
            "AveragePool", [], ("N", 1, 3, 4, 4), kernel_shape=[2, 1, 1],
            pads=[1, 0, 0, 0, 0, 0]),
        # MaxPool's Indices: the first maximum of the window carries its
        # flat position in X; the batch must be static.
        "pool_indices": lambda: model(
            [helper.make_node("MaxPool", ["x"], ["y", "i"], name="bad",
                              kernel_shape=[2, 2], storage_order=1)],
            [f32("x", [2, 1, 3, 3])],
            [f32("y", [2, 1, 2, 2]),
             helper.make_tensor_value_info("i", TensorProto.INT64,
                                           [2, 1, 2, 2])]),
        "pool_indices_batch": lambda: model(
            [helper.make_node("MaxPool", ["x"], ["y", "i"], name="bad",
                              kernel_shape=[2, 2])],
            [f32("x", ["N", 1, 3, 3])],
            [f32("y", None),
             helper.make_tensor_value_info("i", TensorProto.INT64, None)]),
        "pool1d": lambda: bad_node(
            "AveragePool", [], ("N", 3, 9), kernel_shape=[3], strides=[2],
            pads=[1, 1], count_include_pad=1),
        "convtranspose1d": lambda: bad_node(
            "ConvTranspose", ["w"], ("N", 2, 5), strides=[2],
            output_shape=[11], inits=[init("w", weights(2, 3, 3))]),
        "pool_rank": lambda: bad_node("GlobalAveragePool", [], ("N", 3, 4)),
        "bad_perm": lambda: bad_node("Transpose", [], ("N", 3, 4), perm=[0, 2, 2]),
        "moved_batch": lambda: bad_node("Transpose", [], ("N", 3)),
        "bad_concat": lambda: bad_node("Concat", ["w"], ("N", 4), axis=1,
                                       inits=[init("w", weights(2, 4))]),
        "concat_no_axis": lambda: bad_node("Concat", ["x"]),
        "slice_batch": lambda: bad_node(
            "Slice", ["s", "e"], inits=[init("s", np.array([1], np.int64)),
                                        init("e", np.array([3], np.int64))]),
        "slice_computed": lambda: bad_node("Slice", ["x", "x"]),
        "slice_empty": lambda: bad_node(
            "Slice", ["s", "e", "a"], inits=[init("s", np.array([3], np.int64)),
                                             init("e", np.array([1], np.int64)),
                                             init("a", np.array([1], np.int64))]),
        "slice_zero_step": lambda: bad_node(
            "Slice", ["s", "e", "a", "t"],
            inits=[init("s", np.array([0], np.int64)),
                   init("e", np.array([2], np.int64)),
                   init("a", np.array([1], np.int64)),
                   init("t", np.array([0], np.int64))]),
        "clip_computed": lambda: bad_node("Clip", ["x"]),
        # Bounds computed by the graph: a scalar input and the Neg of one.
        "clip_tensor_bounds": lambda: model(
            [helper.make_node("Neg", ["lo"], ["hi"]),
             helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
            [f32("x", ["N", 4]), f32("lo", [])], [f32("y", ["N", 4])]),
        "clip_vector": lambda: bad_node("Clip", ["lo"],
                                        inits=[init("lo", weights(4))]),
        "leaky_nan": lambda: bad_node("LeakyRelu", [], alpha=float("nan")),
        "selu_unknown_attr": lambda: bad_node("Selu", [], lambd=0.5),
        "gemm_mismatch": lambda: model(
            [helper.make_node("Gemm", ["x", "w"], ["y"], name="fc1")],
            [x], [f32("y", ["N", 10])], [init("w", weights(100, 10))]),
        "unsupported": lambda: model(
            [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Relu", ["b"], ["c"]),
             helper.make_node("NonMaxSuppression", ["c", "w"], ["y"], name="foo")],
            [x], [f32("y", None)]),
        "unsupported_many": lambda: model(
            [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("Foo", ["a"], ["b"], name="first"),
             helper.make_node("Relu", ["b"], ["c"]),
             helper.make_node("Bar", ["c"], ["d"]),
             helper.make_node("Fused", ["d"], ["y"], name="ms",
                              domain="com.microsoft")],
            [x], [f32("y", None)],
            opsets=[helper.make_opsetid("", 13),
                    helper.make_opsetid("com.microsoft", 1)]),
        "overridable_shape": lambda: model(
            [helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
            [x, helper.make_tensor_value_info("s", TensorProto.INT64, [2])],
            [f32("y", ["N", 784])], [init("s", np.array([0, -1], np.int64))]),
        "int_input": lambda: model(
            [helper.make_node("Relu", ["x"], ["y"])],
            [helper.make_tensor_value_info("x", TensorProto.INT64, ["N", 4])],
            [f32("y", ["N", 4])]),
        "dangling": lambda: model(
            [helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")],
            [x], [f32("y", ["N", 784])]),
        "missing_output": lambda: model(
            [helper.make_node("Relu", ["x"], ["y"])],
            [x], [f32("z", ["N", 784])]),
        "no_opset": lambda: model(
            [helper.make_node("Relu", ["x"], ["y"])], [x],
            [f32("y", ["N", 784])], opsets=[helper.make_opsetid("com.example", 1)]),
        "old_opset": lambda: model(
            [helper.make_node("Relu", ["x"], ["y"])], [x],
            [f32("y", ["N", 784])], opset=5),
        # Opset 7: And and Not resolve to the versions of opset 9 (And-7,
        # Not-1), so the model is accepted.
        "opset7_logic": lambda: model(
            [helper.make_node("And", ["a", "b"], ["c"]),
             helper.make_node("Not", ["c"], ["y"])],
            [helper.make_tensor_value_info("a", TensorProto.BOOL, ["N", 4]),
             helper.make_tensor_value_info("b", TensorProto.BOOL, [4])],
            [helper.make_tensor_value_info("y", TensorProto.BOOL, ["N", 4])],
            opset=7),
        # Opset 1: And-1 (legacy `broadcast` attribute) is not implemented.
        "opset1_and": lambda: model(
            [helper.make_node("And", ["a", "b"], ["y"], name="and")],
            [helper.make_tensor_value_info("a", TensorProto.BOOL, ["N", 4]),
             helper.make_tensor_value_info("b", TensorProto.BOOL, ["N", 4])],
            [helper.make_tensor_value_info("y", TensorProto.BOOL, ["N", 4])],
            opset=1),
        # Erf exists from opset 9.
        "opset8_erf": lambda: model(
            [helper.make_node("Erf", ["x"], ["y"])], [x],
            [f32("y", ["N", 784])], opset=8),
        "new_opset": lambda: model(
            [helper.make_node("Relu", ["x"], ["y"])], [x],
            [f32("y", ["N", 784])], opset=29),
        "dynamic_dim": lambda: model(
            [helper.make_node("Relu", ["x"], ["y"])], [f32("x", ["N", "features"])],
            [f32("y", ["N", "features"])]),
        # An empty input that a Relu reads as well as a ReduceSum: refused.
        "empty_input": lambda: model(
            [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("ReduceSum", ["x"], ["y"], keepdims=0)],
            [f32("x", ["N", 0])], [f32("y", ["N"]), f32("r", ["N", 0])]),
        "bad_reshape": lambda: model(
            [helper.make_node("Reshape", ["x", "shape"], ["y"], name="rs")],
            [x], [f32("y", None)], [init("shape", np.array([0, 100], np.int64))]),
        "bad_initializer": lambda: model(
            [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
            [x], [f32("y", ["N", 10])],
            [TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[784, 10],
                         raw_data=b"\0" * 12)]),
        "bad_output_shape": lambda: model(
            [helper.make_node("Relu", ["x"], ["y"])], [x], [f32("y", ["N", 10])]),
    }
    if kind in ("truncated", "garbage"):
        data = dense_mlp(use_gemm=True).SerializeToString()
        data = data[: len(data) // 2] if kind == "truncated" else bytes(
            RNG.integers(0, 256, 4096, dtype=np.uint8))
        with open(out, "wb") as f:
            f.write(data)
        return None
    if kind not in simple:
        raise SystemExit(f"unknown kind {kind}")
    save(simple[kind](), out)
    return None


if __name__ == "__main__":
    main()
