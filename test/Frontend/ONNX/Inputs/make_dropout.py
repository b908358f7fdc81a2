"""ONNX models with Dropout for dropout.test: `ok` (opset 13, ratio input;
opset 13 without ratio; opset 10 ratio attribute), `training_false`
(training_mode false), `training_zero` (training_mode true, ratio 0), and the
refused forms `training` (training_mode true, ratio 0.25), `training_computed`
(training_mode an input) and `ratio` (ratio 1.5); `mask` (the mask output
used) and `computed` (a ratio the graph computes: Abs of an input)."""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

kind, path = sys.argv[1], sys.argv[2]
opset = 10 if kind == "opset10" else 13
inits = [numpy_helper.from_array(np.array(0.25, np.float32), "ratio"),
         numpy_helper.from_array(np.array(1.5, np.float32), "big"),
         numpy_helper.from_array(np.ones((8, 4), np.float32), "w")]
outputs = ["h"]
if kind == "ok":
    nodes = [helper.make_node("Dropout", ["x", "ratio"], ["d0"]),
             helper.make_node("Dropout", ["d0"], ["h"])]
elif kind == "opset10":
    nodes = [helper.make_node("Dropout", ["x"], ["h"], ratio=0.125)]
elif kind in ("training", "training_false", "training_zero"):
    inits.append(helper.make_tensor("tm", TensorProto.BOOL, [],
                                    [kind != "training_false"]))
    inits.append(numpy_helper.from_array(np.array(0.0, np.float32), "zero"))
    ratio = "zero" if kind == "training_zero" else "ratio"
    nodes = [helper.make_node("Dropout", ["x", ratio, "tm"], ["h"])]
elif kind == "training_computed":
    nodes = [helper.make_node("Not", ["t"], ["tm"]),
             helper.make_node("Dropout", ["x", "ratio", "tm"], ["h"])]
elif kind == "mask":
    nodes = [helper.make_node("Dropout", ["x", "ratio"], ["h", "m"])]
    outputs.append("m")
elif kind == "computed":
    nodes = [helper.make_node("Abs", ["r"], ["ra"]),
             helper.make_node("Dropout", ["x", "ra"], ["h"])]
else:
    nodes = [helper.make_node("Dropout", ["x", "big"], ["h"])]
nodes.append(helper.make_node("MatMul", ["h", "w"], ["y"]))
graph_outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])]
if kind == "mask":
    graph_outputs.append(helper.make_tensor_value_info("m", TensorProto.BOOL, ["N", 8]))
graph_inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])]
if kind == "computed":
    graph_inputs.append(helper.make_tensor_value_info("r", TensorProto.FLOAT, []))
if kind == "training_computed":
    graph_inputs.append(helper.make_tensor_value_info("t", TensorProto.BOOL, []))
graph = helper.make_graph(nodes, "dropout", graph_inputs, graph_outputs, inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
model.ir_version = 8
onnx.save(model, path)
