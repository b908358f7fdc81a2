"""Writes the small ONNX models of the ConvTranspose, BatchNormalization and
recurrent import tests: `make_onnx_layers.py KIND OUT.onnx`."""

import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(0)


def w(*shape):
    return RNG.standard_normal(shape).astype(np.float32) * 0.1


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def one(op, inputs, x_shape, inits=(), outputs=("y",), opset=17, **attrs):
    node = helper.make_node(op, ["x"] + list(inputs), list(outputs),
                            name="bad" if op != "ConvTranspose" else "up",
                            **attrs)
    graph = helper.make_graph([node], "t", [f32("x", list(x_shape))],
                              [f32(o, None) for o in outputs if o],
                              initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def bn_inits(c):
    return [init("s", w(c) + 1), init("b", w(c)), init("m", w(c)),
            init("v", np.abs(w(c)) + 0.5)]


KINDS = {
    "convtranspose": lambda: one(
        "ConvTranspose", ["w", "b"], ["N", 4, 5, 5],
        [init("w", w(4, 3, 3, 3)), init("b", w(3))], strides=[2, 2],
        pads=[1, 1, 1, 1], output_padding=[1, 1]),
    "convtranspose_same": lambda: one(
        "ConvTranspose", ["w"], ["N", 2, 3, 4], [init("w", w(2, 6, 3, 3))],
        strides=[2, 2], auto_pad="SAME_LOWER", group=2),
    "convtranspose_outpad": lambda: one(
        "ConvTranspose", ["w"], ["N", 2, 3, 3], [init("w", w(2, 2, 3, 3))],
        strides=[2, 2], output_padding=[2, 0]),
    "convtranspose_shape_pads": lambda: one(
        "ConvTranspose", ["w"], ["N", 2, 3, 3], [init("w", w(2, 2, 3, 3))],
        output_shape=[6, 6], pads=[1, 1, 1, 1]),
    "batchnorm": lambda: one(
        "BatchNormalization", ["s", "b", "m", "v"], ["N", 3, 4, 4],
        bn_inits(3), epsilon=1e-3),
    "batchnorm_training": lambda: one(
        "BatchNormalization", ["s", "b", "m", "v"], ["N", 3, 4, 4],
        bn_inits(3), outputs=("y", "rm", "rv"), training_mode=1,
        momentum=0.75),
    "batchnorm_running": lambda: one(
        "BatchNormalization", ["s", "b", "m", "v"], ["N", 3, 4, 4],
        bn_inits(3), outputs=("y", "rm")),
    "batchnorm_scale": lambda: one(
        "BatchNormalization", ["s", "b", "m", "v"], ["N", 3, 4, 4],
        [init("s", w(4))] + bn_inits(3)[1:]),
    "lstm": lambda: one(
        "LSTM", ["W", "R", "B"], [5, 2, 3],
        [init("W", w(1, 16, 3)), init("R", w(1, 16, 4)), init("B", w(1, 32))],
        outputs=("y", "yh", "yc"), hidden_size=4),
    "rnn_clip": lambda: one(
        "RNN", ["W", "R"], [5, 2, 3], [init("W", w(1, 4, 3)), init("R", w(1, 4, 4))],
        clip=2.0),
    "gru_initial_h": lambda: one(
        "GRU", ["W", "R", "", "", "h"], [5, 2, 3],
        [init("W", w(1, 12, 3)), init("R", w(1, 12, 4)), init("h", w(1, 2, 4))]),
    "lstm_input_forget": lambda: one(
        "LSTM", ["W", "R"], [5, 2, 3], [init("W", w(1, 16, 3)), init("R", w(1, 16, 4))],
        input_forget=1),
}

if __name__ == "__main__":
    m = KINDS[sys.argv[1]]()
    with open(sys.argv[2], "wb") as f:
        f.write(m.SerializeToString())
