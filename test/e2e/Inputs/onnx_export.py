"""`neurona export`: the course's models, with random parameters of a
trained model's scale, written as ONNX that onnx.checker accepts with full
checks and onnxruntime runs to Neurona's own outputs (`neurona run` on the
.nn file with the same parameters) within 1e-5 of the largest output;
entries other than forward (a VAE's decode, a GAN's generate); masked
recurrent layers on rows padded at the end, at the start and in the middle;
an imported ONNX model exported again gives onnxruntime's outputs of the
original; an op export cannot write is named in the error."""

import argparse
import os
import re
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from nrtest import close, mlp_onnx, run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--models", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
W = args.workdir
os.makedirs(W, exist_ok=True)
rs = np.random.default_rng(0)


def params_of(model):
    """Parameter names and shapes, read from the imported IR."""
    ir = run([args.neurona, "compile", model, "--emit=mlir"]).stdout
    out = {}
    for dims, name in re.findall(
            r"tensor<([0-9x]*)xf32> \{nn.name = \"([^\"]+)\", nn.role = \"param\"",
            ir):
        shape = [int(d) for d in dims.split("x")]
        # Glorot-like scales, as training keeps them: a convolution's fan-in
        # is C x KH x KW, a matrix's its larger side.
        fan = (np.prod(shape[1:]) if len(shape) == 4 else max(shape)
               if len(shape) == 2 else 100)
        scale = 1 / np.sqrt(fan)
        v = rs.standard_normal(shape) * scale
        out[name] = (np.abs(v) + 1 if name.endswith(".std") else v)
    return {k: v.astype(np.float32) for k, v in out.items()}


def check(tag, model, entry="forward", ids=None):
    P = params_of(model)
    npz = os.path.join(W, tag + ".npz")
    np.savez(npz, **P)
    onnx_path = os.path.join(W, tag + ".onnx")
    run([args.neurona, "export", model, "--params", npz, "--entry", entry,
         "-o", onnx_path])
    onnx.checker.check_model(onnx.load(onnx_path), full_check=True)
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    feeds, files = {}, []
    for k, inp in enumerate(sess.get_inputs()):
        shape = [4 if isinstance(d, str) else d for d in inp.shape]
        if inp.type == "tensor(int64)":
            x = rs.integers(2, 50, shape).astype(np.int64)
            x[0, shape[1] // 2:] = 0       # padding at the end,
            x[1, :shape[1] // 3] = 0       # at the start,
            x[2, 1::3] = 0                 # in the middle
        else:
            x = rs.uniform(0, 1, shape).astype(np.float32)
        feeds[inp.name] = x
        files += ["--input", os.path.join(W, f"{tag}_x{k}.npy")]
        np.save(files[-1], x)
    yp = os.path.join(W, tag + "_y.npy")
    run([args.neurona, "run", model, "--params", npz, "--entry", entry,
         *files, "--output", yp])
    want = np.load(yp)
    (got,) = sess.run(None, feeds)
    close(f"{tag} ({entry})", got, want, rtol=1e-5,
          atol=1e-5 * np.abs(want).max())


models = args.models
for name in ("fashion_mlp", "lenet", "fashion_cnn", "houses", "autoencoder",
             "conv_autoencoder", "sentiment_lstm", "nextword_rnn",
             "sentiment_logreg"):
    check(name, os.path.join(models, name + ".nn"))
check("vae", os.path.join(models, "vae.nn"))
check("vae_decode", os.path.join(models, "vae.nn"), entry="decode")
check("gan", os.path.join(models, "gan.nn"), entry="generate")
# Two inputs, an LSTM's last states as another's initial state, a dense
# layer per step.
check("translate_lstm", os.path.join(models, "translate_lstm.nn"))

# A GRU (not among the course's models) with its reset gate after the
# recurrent product, as Keras and PyTorch compute it.
gru = os.path.join(W, "gru.nn")
with open(gru, "w") as f:
    f.write("model g {\n  input words: ids[7]\n  embedding(60, 5)\n"
            "  gru(6)\n  dense(2)\n  output y\n}\n")
check("gru", gru)

# An RNN's and a GRU's last h as another's initial_h (masked sequences).
seq2seq = os.path.join(W, "translate_rnn_gru.nn")
with open(seq2seq, "w") as f:
    f.write("model t {\n  input src: ids[6]\n  input tgt: ids[5]\n"
            "  s = embedding(50, 4)(src)\n  t = embedding(50, 3)(tgt)\n"
            "  e = rnn(5, return_state=true)(s)\n"
            "  d = rnn(5, return_sequences=true, initial_state=e)(t)\n"
            "  ge = gru(3, return_state=true)(s)\n"
            "  gd = gru(3, return_sequences=true, initial_state=ge)(d)\n"
            "  dense(2)(gd)\n  output y\n}\n")
check("translate_rnn_gru", seq2seq)

# An imported ONNX model, exported again, computes what the original does.
src = os.path.join(W, "mlp.onnx")
mlp_onnx(src, [12, 8, 3], ["Tanh"], gemm=True)
again = os.path.join(W, "mlp_again.onnx")
run([args.neurona, "export", src, "-o", again])
onnx.checker.check_model(onnx.load(again), full_check=True)
x = rs.standard_normal((5, 12)).astype(np.float32)
outs = []
for path in (src, again):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    outs.append(s.run(None, {s.get_inputs()[0].name: x})[0])
close("mlp.onnx exported again", outs[1], outs[0], rtol=1e-5, atol=1e-6)

# What export cannot write is named, with where it is.
mod = os.path.join(W, "mod.onnx")
graph = helper.make_graph(
    [helper.make_node("Mod", ["a", "b"], ["c"], fmod=1)], "m",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 3]),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 3])],
    [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["N", 3])])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
          mod)
proc = subprocess.run([args.neurona, "export", mod, "-o",
                       os.path.join(W, "x.onnx")], capture_output=True,
                      text=True)
assert proc.returncode == 1 and "cannot express these ops" in proc.stderr \
    and "nn.mod" in proc.stderr, proc.stderr
assert not os.path.exists(os.path.join(W, "x.onnx"))
proc = subprocess.run([args.neurona, "export", os.path.join(models, "gan.nn"),
                       "-o", os.path.join(W, "x.onnx")], capture_output=True,
                      text=True)
assert proc.returncode == 1 and "no entry 'forward'" in proc.stderr, proc.stderr
print("onnx export ok")
