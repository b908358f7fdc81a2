#!/usr/bin/env python3
"""Writes the small ONNX models of the integer/bool and shape-op importer
tests.

Usage: make_typed_onnx.py KIND OUT
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

T = {"f32": TensorProto.FLOAT, "i64": TensorProto.INT64,
     "i32": TensorProto.INT32, "bool": TensorProto.BOOL,
     "u8": TensorProto.UINT8, "i8": TensorProto.INT8,
     "u64": TensorProto.UINT64, "string": TensorProto.STRING,
     "f16": TensorProto.FLOAT16, "bf16": TensorProto.BFLOAT16,
     "f64": TensorProto.DOUBLE}


def vi(name, kind, shape):
    return helper.make_tensor_value_info(name, T[kind], shape)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, inits=(), opset=18):
    graph = helper.make_graph(nodes, "test", inputs, outputs,
                              initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def one(op, ins, inputs, inits=(), opset=18, out="f32", **attrs):
    """A single node named 'bad'."""
    return model([helper.make_node(op, ins, ["y"], name="bad", **attrs)],
                 inputs, [vi("y", out, None)], inits, opset)


X = vi("x", "f32", ["N", 4])


def half_bits_tensor(name, bits):
    """A FLOAT16 tensor whose int32_data holds `bits` as they are (the
    helper API would convert them as float values)."""
    t = TensorProto(name=name, data_type=TensorProto.FLOAT16,
                    dims=[len(bits)])
    t.int32_data.extend(bits)
    return t


def half_ops():
    """FLOAT16 and BFLOAT16 inputs, outputs, initializers and casts: each op
    on them computes in f32 and rounds its result; Pow's exponent does not
    decide its result type."""
    nodes = [
        helper.make_node("Add", ["h", "c"], ["s"]),
        helper.make_node("Sqrt", ["s"], ["r"]),
        helper.make_node("Cast", ["r"], ["wide"], to=TensorProto.FLOAT),
        helper.make_node("Pow", ["wide", "c"], ["p"]),
        helper.make_node("Cast", ["p"], ["b"], to=TensorProto.BFLOAT16),
        helper.make_node("Max", ["b", "bb"], ["m"]),
    ]
    return model(nodes, [vi("h", "f16", ["N", 3]), vi("bb", "bf16", ["N", 3])],
                 [vi("r", "f16", None), vi("p", "f32", None),
                  vi("m", "bf16", None)],
                 [init("c", np.array([0.5, 2, -1], np.float16))])


def shape_chain():
    """torch's x.view(x.size(0), -1) on a batched [N, 2, 3] input, plus
    Shape -> Gather -> Mul arithmetic that folds to a constant."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"]),
        helper.make_node("Gather", ["s", "two"], ["w"], axis=0),
        helper.make_node("Mul", ["w", "w"], ["w2"]),
        helper.make_node("Cast", ["w2"], ["w2f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["flat", "w2f"], ["y"]),
    ]
    return model(nodes, [vi("x", "f32", ["N", 2, 3])], [vi("y", "f32", None)],
                 [init("zero", np.int64(0)), init("two", np.int64(2)),
                  init("axes", np.array([0], np.int64)),
                  init("minus1", np.array([-1], np.int64))], opset=13)


def typed_io():
    """int64 and bool inputs and outputs; Gather of a FLOAT table by ids is
    an embedding (trainable), Where selects."""
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["rows"]),
        helper.make_node("Greater", ["ids", "one"], ["big"]),
        helper.make_node("And", ["big", "keep"], ["m"]),
        helper.make_node("Unsqueeze", ["m", "axes"], ["m3"]),
        helper.make_node("Where", ["m3", "rows", "zero"], ["y"]),
        helper.make_node("ArgMax", ["y"], ["best"], axis=2, keepdims=0),
    ]
    return model(nodes, [vi("ids", "i64", ["N", 5]), vi("keep", "bool", ["N", 5])],
                 [vi("y", "f32", None), vi("best", "i64", None),
                  vi("m", "bool", None)],
                 [init("table", np.ones((7, 3), np.float32)),
                  init("one", np.int64(1)), init("zero", np.float32(0)),
                  init("axes", np.array([2], np.int64))], opset=13)


CASES = {
    "half_ops": half_ops,
    "shape_chain": shape_chain,
    # An integer exponent must be known at import, and exact in f32.
    "pow_int_computed": lambda: one(
        "Pow", ["x", "e"], [X, vi("e", "i64", [4])], opset=15),
    "pow_int_large": lambda: one(
        "Pow", ["x", "e"], [X], [init("e", np.array(1 << 25, np.int64))],
        opset=15),
    # 2^64 - 1 as UINT64: its bit pattern read as INT64 is -1, which must not
    # pass as the exponent -1.
    "pow_uint64_large": lambda: one(
        "Pow", ["x", "e"], [X],
        [init("e", np.array(np.iinfo(np.uint64).max, np.uint64))], opset=15),
    # ReduceProd over 5: the odd element folds into the first, then halves.
    "reduce_prod": lambda: one(
        "ReduceProd", ["x"], [vi("x", "f32", ["N", 5])], axes=[1],
        keepdims=0, opset=13),
    # A Split part of size 0 only feeds a Concat, which drops it (rotary
    # embeddings that rotate every channel); computing on it is refused.
    "split_empty_concat": lambda: model(
        [helper.make_node("Split", ["x", "s"], ["a", "e"], axis=1),
         helper.make_node("Concat", ["e", "a"], ["y"], axis=1)],
        [vi("x", "f32", [2, 4])], [vi("y", "f32", [2, 4])],
        [init("s", np.array([4, 0], np.int64))], opset=13),
    "split_empty_relu": lambda: model(
        [helper.make_node("Split", ["x", "s"], ["a", "e"], axis=1),
         helper.make_node("Relu", ["e"], ["y"], name="bad")],
        [vi("x", "f32", [2, 4])], [vi("y", "f32", None)],
        [init("s", np.array([4, 0], np.int64))], opset=13),
    # No inputs: an entry that only computes from constants.
    "constant_only": lambda: model(
        [helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(
            np.array([[1.5, -2.0], [3.0, 0.25]], np.float32))),
         helper.make_node("Add", ["c", "c"], ["y"])],
        [], [vi("y", "f32", [2, 2])]),
    # Pad's value computed by the graph (a scalar input) fills the pads
    # through `where`.
    "pad_value_input": lambda: one(
        "Pad", ["x", "p", "v"], [X, vi("v", "f32", [])],
        [init("p", np.array([0, 1, 0, 2], np.int64))]),
    # ReduceMax of BOOL (any) runs through f32.
    "reduce_max_bool": lambda: one(
        "ReduceMax", ["b", "a"], [vi("b", "bool", ["N", 4])],
        [init("a", np.array([1], np.int64))], out="bool", keepdims=0),
    "typed_io": typed_io,
    "cast_complex": lambda: one("Cast", ["x"], [X],
                                to=TensorProto.COMPLEX64),
    # A type newer than Debian's ONNX schema is still named.
    "cast_float8": lambda: one("Cast", ["x"], [X],
                               to=TensorProto.FLOAT8E5M2),
    "cast_string": lambda: one("Cast", ["x"], [vi("x", "u8", ["N", 4])],
                               out="u8", to=TensorProto.STRING),
    "input_string": lambda: one("Identity", ["s"],
                                [vi("s", "string", ["N", 4])], out="string"),
    "init_complex": lambda: one(
        "Add", ["x", "h"], [X],
        [init("h", np.array([1, 2, 3, 4], np.complex64))]),
    "half_bits": lambda: one(
        "Add", ["x", "h"], [vi("x", "f16", ["N", 2])],
        [half_bits_tensor("h", [15360, 70000])],
        out="f16"),
    "cast_range_u8": lambda: one(
        "Cast", ["k"], [], [init("k", np.array([1.5, 300], np.float32))],
        out="u8", to=TensorProto.UINT8),
    "cast_range_i8": lambda: one(
        "Cast", ["k"], [], [init("k", np.array([-129.5], np.float32))],
        out="i8", to=TensorProto.INT8),
    "mixed_sign": lambda: one("Add", ["a", "b"],
                              [vi("a", "u8", [4]), vi("b", "i8", [4])],
                              out="u8"),
    "abs_u64_mlir": lambda: model(
        [helper.make_node("Abs", ["a"], ["y"]),
         helper.make_node("Greater", ["a", "k"], ["g"]),
         helper.make_node("Cast", ["a"], ["f"], to=TensorProto.FLOAT)],
        [vi("a", "u64", ["N", 2])],
        [vi("y", "u64", None), vi("g", "bool", None), vi("f", "f32", None)],
        [init("k", np.array([2**64 - 1, 7], np.uint64))]),
    "add_mixed": lambda: one("Add", ["x", "k"], [X],
                             [init("k", np.array([1, 2, 3, 4], np.int64))]),
    "exp_int": lambda: one("Exp", ["i"], [vi("i", "i64", ["N", 4])]),
    "and_float": lambda: one("And", ["x", "x"], [X], out="bool"),
    "where_cond": lambda: one("Where", ["x", "x", "x"], [X]),
    "gather_batch": lambda: one("Gather", ["x", "i"], [X],
                                [init("i", np.array([0], np.int64))]),
    "gather_range": lambda: one("Gather", ["x", "i"], [X],
                                [init("i", np.array([4], np.int64))], axis=1),
    "pad_mode": lambda: one("Pad", ["x", "p"], [X],
                            [init("p", np.array([0, 1, 0, 1], np.int64))],
                            mode="wrap", opset=18),
    "pad_reflect": lambda: one("Pad", ["x", "p"], [X],
                               [init("p", np.array([0, 4, 0, 0], np.int64))],
                               mode="reflect"),
    "expand_shape": lambda: one("Expand", ["x", "s"], [X],
                                [init("s", np.array([3, 5], np.int64))]),
    "split_parts": lambda: model(
        [helper.make_node("Split", ["x", "s"], ["a", "b"], name="bad", axis=1)],
        [X], [vi("a", "f32", None), vi("b", "f32", None)],
        [init("s", np.array([1, 2], np.int64))]),
    "reshape_batch_late": lambda: model(
        [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
         helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
         helper.make_node("Concat", ["four", "n1"], ["t"], axis=0),
         helper.make_node("Reshape", ["x", "t"], ["y"], name="bad")],
        [X], [vi("y", "f32", None)],
        [init("zero", np.int64(0)), init("axes", np.array([0], np.int64)),
         init("four", np.array([4], np.int64))]),
    "batch_arithmetic": lambda: model(
        [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Mul", ["s", "s"], ["y"], name="bad")],
        [X], [vi("y", "i64", None)]),
    "constant_of_shape_zero": lambda: one(
        "ConstantOfShape", ["s"], [X], [init("s", np.array([2, 0], np.int64))]),
    "mod_float": lambda: one("Mod", ["x", "x"], [X], opset=13),
    "output_type": lambda: model(
        [helper.make_node("Cast", ["x"], ["y"], name="bad", to=TensorProto.INT64)],
        [X], [vi("y", "f32", None)]),
}


def main():
    kind, out = sys.argv[1], sys.argv[2]
    onnx.save(CASES[kind](), out)


if __name__ == "__main__":
    main()
