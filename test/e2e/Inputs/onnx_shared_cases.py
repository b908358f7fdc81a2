"""The ONNX bug cases in ../shared/cases/onnx, each a kind of fault that
Neurona got wrong or refused, checked against their expected values
(onnxruntime with graph optimizations off, cross-checked by the case's
authors against a float64 numpy reference). Tolerances are the cases' own:
rtol = atol = 1e-5 for the MatMul and initializer cases, exact for Reshape;
shapes must match exactly.

* matmul_1d_operands, matmul_batched_3d: numpy MatMul semantics (1-D
  promotion and removal, rank-0 dot product, broadcast batch dimensions,
  a symbolic batch).
* reshape_zero_minus1_dynamic: Y1 = Reshape(X[N,3,4], [0,-1]) is [N,12];
  Y2 = Reshape(X, [-1,0,2]) is [2N,3,2], a leading dimension that is a
  multiple of the batch, which the nn dialect (one dynamic dimension, the
  batch, kept by every reshape) does not carry. The whole model must be
  refused with that reason, naming the node; the model cut down to Y1 must
  give Y1's expected values.
* initializer_as_graph_input: W is an initializer and a graph input (IR 8),
  i.e. a default the caller may override. Neurona makes it a parameter
  initialised from the initializer: run without overriding it gives the
  default scenario; overriding it through --params (the parameter file the
  first run saved, with W replaced) gives the main scenario; feeding it as
  a positional input is refused, never silently ignored.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx

from nrtest import run, close

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--cases", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)


def case_files(case, prefix):
    folder = os.path.join(args.cases, case)
    files, i = [], 0
    while os.path.exists(os.path.join(folder, "%s_%d.npy" % (prefix, i))):
        files.append(os.path.join(folder, "%s_%d.npy" % (prefix, i)))
        i += 1
    return files


def neurona_run(model, inputs, n_outputs, tag, extra=()):
    outs = [os.path.join(args.workdir, "%s_out%d.npy" % (tag, i))
            for i in range(n_outputs)]
    cmd = [args.neurona, "run", model]
    for f in inputs:
        cmd += ["--input", f]
    for f in outs:
        cmd += ["--output", f]
    run(cmd + list(extra))
    return [np.load(f) for f in outs]


def check_case(case, tol, inputs_prefix="input", expected_prefix="expected",
               model=None, extra=(), tag=None):
    folder = os.path.join(args.cases, case)
    expected = case_files(case, expected_prefix)
    got = neurona_run(model or os.path.join(folder, "model.onnx"),
                      case_files(case, inputs_prefix), len(expected),
                      tag or case, extra)
    for i, (g, e) in enumerate(zip(got, expected)):
        close("%s %s_%d" % (tag or case, expected_prefix, i), g, np.load(e),
              rtol=tol, atol=tol)


def refused(cmd, needle):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode == 0 or needle not in proc.stderr:
        sys.exit("expected a refusal containing %r from %s, got rc %d:\n%s"
                 % (needle, " ".join(cmd), proc.returncode, proc.stderr))
    print("%-40s refused: %s" % (os.path.basename(os.path.dirname(cmd[-1]
                                                                  if "run" not in cmd else cmd[2])),
                                 proc.stderr.strip().splitlines()[0][-110:]))


# numpy MatMul semantics.
check_case("matmul_1d_operands", 1e-5)
check_case("matmul_batched_3d", 1e-5)

# Reshape with 0 and -1 on a symbolic batch.
case = os.path.join(args.cases, "reshape_zero_minus1_dynamic")
refused([args.neurona, "compile", "--emit=mlir", "-o", os.devnull,
         os.path.join(case, "model.onnx")],
        "node 1 (Reshape): cannot reshape [?, 3, 4] to [-1, 0, 2]: the -1 at "
        "index 0 would be 2N (2 times the dynamic batch N)")
m = onnx.load(os.path.join(case, "model.onnx"))
keep = [n for n in m.graph.node if "Y1" in n.output]
del m.graph.node[:]
m.graph.node.extend(keep)
y1 = [o for o in m.graph.output if o.name == "Y1"]
del m.graph.output[:]
m.graph.output.extend(y1)
y1_model = os.path.join(args.workdir, "reshape_y1.onnx")
onnx.save(m, y1_model)
got = neurona_run(y1_model, case_files("reshape_zero_minus1_dynamic", "input"),
                  1, "reshape_y1")
close("reshape_zero_minus1_dynamic Y1", got[0],
      np.load(os.path.join(case, "expected_0.npy")), rtol=0, atol=0)

# An initializer that is also a graph input: an overridable default.
case_name = "initializer_as_graph_input"
case = os.path.join(args.cases, case_name)
model = os.path.join(case, "model.onnx")
saved = os.path.join(args.workdir, "init_params.npz")
check_case(case_name, 1e-5, "default_input", "default_expected",
           extra=["--save-params", saved], tag="initializer default W")
params = dict(np.load(saved))
if "W" not in params:
    sys.exit("W is not a parameter: %s" % sorted(params))
initial = onnx.numpy_helper.to_array(
    [t for t in onnx.load(model).graph.initializer if t.name == "W"][0])
close("W starts as its initializer", params["W"], initial, rtol=0, atol=0)
override = np.load(os.path.join(case, "input_1.npy"))
params["W"] = override
overridden = os.path.join(args.workdir, "init_override.npz")
np.savez(overridden, **params)
got = neurona_run(model, [os.path.join(case, "input_0.npy")], 1,
                  "init_override", ["--params", overridden])
close("initializer overridden W", got[0],
      np.load(os.path.join(case, "expected_0.npy")), rtol=1e-5, atol=1e-5)
# input_1.npy is W: only x is an input, the feed of W is refused.
refused([args.neurona, "run", model,
         "--input", os.path.join(case, "input_0.npy"),
         "--input", os.path.join(case, "input_1.npy"),
         "--output", os.path.join(args.workdir, "unused.npy")],
        "takes 1 inputs, 2 given")
