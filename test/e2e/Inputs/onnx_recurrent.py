"""ONNX RNN, LSTM and GRU onto nn.rnn / nn.lstm / nn.gru: every output (Y,
Y_h, Y_c) matches onnxruntime on graphs built with onnx.helper (layouts 0
and 1, forward, reverse and bidirectional, with and without B,
sequence_lens, linear_before_reset 0 and 1, and RNNs, LSTMs and GRUs whose
initial states are run-time graph inputs) and on torch.onnx.export of
PyTorch's nn.LSTM and nn.GRU (Debian's torch 1.13), whose GRU is ONNX's
with linear_before_reset=1 (the export's shape arithmetic for the zero
initial states is folded to constants first; see fold_initial_states). onnxruntime has no layout 1 (batch-first), so
those graphs are compared with ONNX's reference evaluator
(onnx.reference). Unsupported attribute values are refused with an error
naming the node and the attribute. Tolerance: |ours - ort| <=
1e-4 * |ort| + 1e-5.
"""

import argparse
import os
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper

from nrtest import close, run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)
rng = np.random.default_rng(5)
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def compare(name, path, x, n_out, reference=False):
    if reference:
        from onnx.reference import ReferenceEvaluator
        evaluator = ReferenceEvaluator(onnx.load(path))
        want = evaluator.run(None, {evaluator.input_names[0]: x})
    else:
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        want = session.run(None, {session.get_inputs()[0].name: x})
    xp = os.path.join(args.workdir, name + "_x.npy")
    np.save(xp, x)
    outs = [os.path.join(args.workdir, f"{name}_y{i}.npy") for i in range(n_out)]
    cmd = [args.neurona, "run", path, "--input", xp]
    for o in outs:
        cmd += ["--output", o]
    run(cmd)
    for i, o in enumerate(outs):
        close(f"{name} output {i}", np.load(o), want[i], rtol=1e-4, atol=1e-5)


def helper_case(name, op, T, N, F, H, direction="forward", layout=0,
                bias=True, lens=None, **attrs):
    dirs = 2 if direction == "bidirectional" else 1
    G = GATES[op]
    inits = [numpy_helper.from_array(
                 (rng.standard_normal((dirs, G * H, F)) * 0.5).astype(np.float32), "W"),
             numpy_helper.from_array(
                 (rng.standard_normal((dirs, G * H, H)) * 0.5).astype(np.float32), "R")]
    inputs = ["X", "W", "R"]
    if bias or lens is not None:
        inputs.append("B" if bias else "")
        if bias:
            inits.append(numpy_helper.from_array(
                (rng.standard_normal((dirs, 2 * G * H)) * 0.3).astype(np.float32), "B"))
    if lens is not None:
        inputs.append("L")
        inits.append(numpy_helper.from_array(np.array(lens, np.int32), "L"))
    outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, inputs, outputs, hidden_size=H,
                            direction=direction, layout=layout, **attrs)
    xs = [T, N, F] if layout == 0 else [N, T, F]
    ys = [T, dirs, N, H] if layout == 0 else [N, T, dirs, H]
    hs = [dirs, N, H] if layout == 0 else [N, dirs, H]
    graph = helper.make_graph(
        [node], name, [helper.make_tensor_value_info("X", TensorProto.FLOAT, xs)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ys)] +
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, hs)
         for o in outputs[1:]], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(args.workdir, name + ".onnx")
    onnx.save(model, path)
    compare(name, path, rng.standard_normal(xs).astype(np.float32), len(outputs),
            reference=layout == 1)
    return path


helper_case("rnn_fwd", "RNN", 5, 3, 4, 6)
helper_case("rnn_reverse_nobias", "RNN", 4, 2, 3, 5, direction="reverse", bias=False)
helper_case("lstm_fwd_lens", "LSTM", 6, 3, 4, 5, lens=[6, 2, 4])
helper_case("lstm_bidirectional_layout1", "LSTM", 4, 2, 3, 4,
            direction="bidirectional", layout=1)
helper_case("gru_lbr1_lens", "GRU", 5, 3, 4, 6, lens=[3, 5, 1], linear_before_reset=1)
helper_case("gru_lbr0_layout1", "GRU", 4, 2, 5, 3, layout=1)
helper_case("gru_bidirectional", "GRU", 3, 2, 4, 3, direction="bidirectional",
            linear_before_reset=1)

def states_case(name, T, N, F, H, direction="forward", layout=0, lens=None,
                op="LSTM", **attrs):
    """An `op` whose initial_h (and an LSTM's initial_c) are graph inputs
    (run-time tensors), fed with random states beside X."""
    dirs = 2 if direction == "bidirectional" else 1
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    lstm = op == "LSTM"
    states = ("h0", "c0") if lstm else ("h0",)
    inits = [numpy_helper.from_array(
                 (rng.standard_normal((dirs, gates * H, s)) * 0.5).astype(np.float32), w)
             for w, s in (("W", F), ("R", H))]
    inits.append(numpy_helper.from_array(
        (rng.standard_normal((dirs, 2 * gates * H)) * 0.3).astype(np.float32), "B"))
    inputs = ["X", "W", "R", "B", "", *states]
    if lens is not None:
        inputs[4] = "L"
        inits.append(numpy_helper.from_array(np.array(lens, np.int32), "L"))
    xs = [T, N, F] if layout == 0 else [N, T, F]
    ys = [T, dirs, N, H] if layout == 0 else [N, T, dirs, H]
    hs = [dirs, N, H] if layout == 0 else [N, dirs, H]
    last = ("Y_h", "Y_c") if lstm else ("Y_h",)
    node = helper.make_node(op, inputs, ["Y", *last], hidden_size=H,
                            direction=direction, layout=layout, **attrs)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info(v, TensorProto.FLOAT, shape)
         for v, shape in (("X", xs),) + tuple((s, hs) for s in states)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ys)] +
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, hs)
         for o in last], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(args.workdir, name + ".onnx")
    onnx.save(model, path)
    feeds = {"X": rng.standard_normal(xs).astype(np.float32)}
    for s in states:
        feeds[s] = rng.standard_normal(hs).astype(np.float32)
    if layout == 1:
        from onnx.reference import ReferenceEvaluator
        want = ReferenceEvaluator(model).run(None, feeds)
    else:
        want = ort.InferenceSession(
            path, providers=["CPUExecutionProvider"]).run(None, feeds)
    cmd = [args.neurona, "run", path]
    for k, v in feeds.items():
        np.save(os.path.join(args.workdir, f"{name}_{k}.npy"), v)
        cmd += ["--input", os.path.join(args.workdir, f"{name}_{k}.npy")]
    outs = [os.path.join(args.workdir, f"{name}_y{i}.npy")
            for i in range(1 + len(last))]
    for o in outs:
        cmd += ["--output", o]
    run(cmd)
    for i, o in enumerate(outs):
        close(f"{name} output {i}", np.load(o), want[i], rtol=1e-4, atol=1e-5)


states_case("lstm_states_fwd_lens", 5, 3, 4, 6, lens=[5, 2, 1])
states_case("lstm_states_bidirectional", 4, 2, 3, 5, direction="bidirectional")
states_case("lstm_states_reverse_layout1", 4, 3, 3, 4, direction="reverse",
            layout=1)
states_case("rnn_states_fwd_lens", 5, 3, 4, 6, lens=[5, 2, 1], op="RNN")
states_case("rnn_states_bidirectional_layout1", 4, 2, 3, 5,
            direction="bidirectional", layout=1, op="RNN")
states_case("gru_states_fwd_lens", 5, 3, 4, 6, lens=[5, 2, 1], op="GRU",
            linear_before_reset=1)
states_case("gru_states_reverse", 4, 3, 3, 4, direction="reverse", op="GRU")

# Refusals name the node and the attribute.
for name, attrs, text in [
        ("refuse_clip", {"clip": 1.0}, "unsupported attribute: 'clip'"),
        ("refuse_activations", {"activations": ["Relu"]},
         "unsupported attribute value: activations [Relu]")]:
    try:
        helper_case(name, "RNN", 3, 2, 3, 4, **attrs)
    except SystemExit:
        pass
    proc = subprocess.run(
        [args.neurona, "run", os.path.join(args.workdir, name + ".onnx"),
         "--input", os.path.join(args.workdir, name + "_x.npy"),
         "--output", os.path.join(args.workdir, name + "_y.npy")],
        capture_output=True, text=True)
    assert proc.returncode == 1 and "(RNN)" in proc.stderr and text in proc.stderr, \
        proc.stderr
    print(f"{name}: refused ({proc.stderr.strip().splitlines()[0][-70:]})")


# torch.onnx.export of PyTorch's recurrent modules.
class Wrap(torch.nn.Module):
    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        y, h = self.rnn(x)
        return (y, h[0], h[1]) if isinstance(h, tuple) else (y, h)


def fold_initial_states(path, x):
    """torch 1.13 builds the zero initial states from x's shape (Shape,
    Gather, Concat, Expand). Folds that subgraph into the constants it
    computes, as a constant-folding pass would, after checking that they
    are zeros; the recurrent node itself stays as exported."""
    from onnx.reference import ReferenceEvaluator
    m = onnx.load(path)
    rnn = next(n for n in m.graph.node if n.op_type in GATES)
    states = [rnn.input[i] for i in (5, 6) if len(rnn.input) > i and rnn.input[i]]
    values = ReferenceEvaluator(m).run(None, {m.graph.input[0].name: x},
                                       intermediate=True)
    for name in states:
        assert not values[name].any(), name
        producer = next(n for n in m.graph.node if name in n.output)
        m.graph.node.remove(producer)
        m.graph.initializer.append(numpy_helper.from_array(values[name], name))
    while True:
        used = {i for n in m.graph.node for i in n.input}
        used |= {o.name for o in m.graph.output}
        dead = [n for n in m.graph.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            m.graph.node.remove(n)
    onnx.checker.check_model(m)
    onnx.save(m, path)


torch.manual_seed(3)
for name, module in [
        ("torch_lstm", torch.nn.LSTM(4, 5, batch_first=True)),
        ("torch_gru", torch.nn.GRU(4, 6, batch_first=True)),
        ("torch_gru_bidirectional", torch.nn.GRU(3, 4, bidirectional=True))]:
    x = torch.randn(3, 5, module.input_size)
    path = os.path.join(args.workdir, name + ".onnx")
    wrapped = Wrap(module).eval()
    with torch.no_grad():
        n_out = len(wrapped(x))
        torch.onnx.export(wrapped, (x,), path, opset_version=14,
                          input_names=["x"])
    fold_initial_states(path, x.numpy())
    compare(name, path, x.numpy(), n_out)
    with torch.no_grad():
        ref = wrapped(x)
    for i, r in enumerate(ref):
        close(f"{name} output {i} (torch)",
              np.load(os.path.join(args.workdir, f"{name}_y{i}.npy")),
              r.numpy(), rtol=1e-4, atol=1e-5)
print("ONNX RNN, LSTM and GRU agree with onnxruntime and PyTorch")
