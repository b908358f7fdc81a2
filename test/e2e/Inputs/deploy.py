"""The deployable artifacts agree with `neurona run`:

* `--emit=exe`: the standalone program reads .npy inputs and writes .npy
  outputs that are bit-identical to `neurona run` (same compiled code);
* `--emit=obj` + header: a C program that includes only the generated header,
  builds the memref descriptors by hand and links the object alone (no
  runtime) computes the same outputs, and so does one that calls the
  header's `<model>_forward_embedded` wrapper on plain arrays;
* `--emit=lib`: `neurona run` on the shared library gives the same outputs.
Trained parameters embedded with --params replace the initial values.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

from nrtest import mlp_onnx, run, close

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
w = args.workdir
os.makedirs(w, exist_ok=True)
nr = args.neurona

model = os.path.join(w, "deploy_mlp.onnx")
weights = mlp_onnx(model, [12, 16, 5], ["Relu"], gemm=True, name="deploy_mlp")
rng = np.random.default_rng(1)
x = rng.standard_normal((6, 12)).astype(np.float32)
np.save(os.path.join(w, "x.npy"), x)

# Reference: neurona run on the .onnx file.
run([nr, "run", model, "--input", f"{w}/x.npy", "--output", f"{w}/ref.npy"])
ref = np.load(f"{w}/ref.npy")

# Standalone executable.
run([nr, "compile", model, "--emit=exe", "-o", f"{w}/deploy_exe"])
run([f"{w}/deploy_exe", "--input", f"{w}/x.npy", "--output", f"{w}/exe.npy"])
exe = np.load(f"{w}/exe.npy")
if not np.array_equal(exe, ref):
    sys.exit("executable output differs from neurona run")
print("exe output identical to neurona run")

# Shared library through the runtime.
run([nr, "compile", model, "--emit=lib", "-o", f"{w}/libdeploy.so"])
if not os.path.exists(f"{w}/libdeploy.so.h"):
    sys.exit("no header next to the shared library")
run([nr, "run", f"{w}/libdeploy.so", "--input", f"{w}/x.npy", "--output", f"{w}/lib.npy"])
if not np.array_equal(np.load(f"{w}/lib.npy"), ref):
    sys.exit("shared library output differs from neurona run")
print("lib output identical to neurona run")

# Object + header, linked into a C program with no runtime.
run([nr, "compile", model, "--emit=obj", "-o", f"{w}/deploy.o"])
csrc = f"""
#include "deploy.o.h"
#include <stdio.h>
#include <string.h>
static float xs[6 * 12];
static float ys[6 * 5];
int main(void) {{
  if (fread(xs, sizeof xs, 1, stdin) != 1) return 2;
  /* Parameters come from the embedded blob, 64-byte aligned, in order. */
  const unsigned char *blob = deploy_mlp_params;
  const float *w0 = (const float *)(blob + 0);
  const float *b0 = (const float *)(blob + 768);
  const float *w1 = (const float *)(blob + 832);
  const float *b1 = (const float *)(blob + 1152);
  int64_t dx[7] = {{(int64_t)xs, (int64_t)xs, 0, 6, 12, 12, 1}};
  int64_t dw0[7] = {{(int64_t)w0, (int64_t)w0, 0, 16, 12, 12, 1}};
  int64_t db0[5] = {{(int64_t)b0, (int64_t)b0, 0, 16, 1}};
  int64_t dw1[7] = {{(int64_t)w1, (int64_t)w1, 0, 5, 16, 16, 1}};
  int64_t db1[5] = {{(int64_t)b1, (int64_t)b1, 0, 5, 1}};
  int64_t dy[7] = {{(int64_t)ys, (int64_t)ys, 0, 6, 5, 5, 1}};
  void *argv_[6] = {{dx, dw0, db0, dw1, db1, dy}};
  if (deploy_mlp_params_size != 1172) return 3;
  deploy_mlp_forward(argv_);
  fwrite(ys, sizeof ys, 1, stdout);
  return 0;
}}
"""
with open(f"{w}/main.c", "w") as f:
    f.write(csrc)
run(["cc", "-std=c99", "-Wall", "-Werror", "-I", w, "-o", f"{w}/cprog",
     f"{w}/main.c", f"{w}/deploy.o", "-lm"])
proc = subprocess.run([f"{w}/cprog"], input=x.tobytes(), capture_output=True)
if proc.returncode != 0:
    sys.exit("C program failed with %d" % proc.returncode)
cout = np.frombuffer(proc.stdout, np.float32).reshape(6, 5)
if not np.array_equal(cout, ref):
    sys.exit("object + header output differs from neurona run")
print("obj + header output identical to neurona run")

# The header's inline wrapper over the embedded parameters: plain arrays only.
with open(f"{w}/wrapper.c", "w") as f:
    f.write("""
#include "deploy.o.h"
#include <stdio.h>
static float xs[6 * 12], ys[6 * 5];
int main(void) {
  if (fread(xs, sizeof xs, 1, stdin) != 1) return 2;
  deploy_mlp_forward_embedded(6, xs, ys);
  fwrite(ys, sizeof ys, 1, stdout);
  return 0;
}
""")
run(["cc", "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-I", w,
     "-o", f"{w}/wrapper", f"{w}/wrapper.c", f"{w}/deploy.o", "-lm"])
run(["c++", "-fsyntax-only", "-Wall", "-Werror", "-x", "c++", f"{w}/deploy.o.h"])
proc = subprocess.run([f"{w}/wrapper"], input=x.tobytes(), capture_output=True)
wout = np.frombuffer(proc.stdout, np.float32).reshape(6, 5)
if proc.returncode != 0 or not np.array_equal(wout, ref):
    sys.exit("the header's embedded-parameter wrapper differs from neurona run")
print("header wrapper output identical to neurona run")

# Embedding other parameters: scale the last bias, expect the logits to move.
params = {k: v for k, v in weights.items()}
params["dense1.bias"] = params["dense1.bias"] + 1.0
np.savez(f"{w}/shifted.npz", **params)
run([nr, "compile", model, "--params", f"{w}/shifted.npz", "--emit=exe", "-o",
     f"{w}/shifted_exe"])
run([f"{w}/shifted_exe", "--input", f"{w}/x.npy", "--output", f"{w}/shifted.npy"])
close("embedded trained parameters", np.load(f"{w}/shifted.npy"), ref + 1.0,
      rtol=1e-6, atol=1e-6)
