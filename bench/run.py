#!/usr/bin/env python3
"""Benchmarks Neurona against its peers on the same model in the same run.

For an MLP (default 784-256-128-10, the course's Fashion-MNIST shape scaled
up) and each batch size, it times
  * Neurona: the compiled shared library through the runtime (neurona-bench);
  * onnxruntime on the same ONNX file, single-threaded;
  * PyTorch (eager, CPU, single-threaded) on the same weights;
for inference, and a training step (forward, backward, SGD update) for
Neurona and PyTorch. It prints median times, GFLOP/s, the share of the
machine's single-core FP32 peak, and each peer's time divided by ours
(> 1 means Neurona is faster).

Usage: .venv/bin/python bench/run.py [--batches 1,64,256] [--layers 784,256,128,10]
The peak defaults to 217.7 GFLOP/s, the FMA-bound single-core figure measured
on this machine (shared/notes/mlir22-gemm-on-this-cpu.md); override with --peak.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "e2e", "Inputs"))
from nrtest import mlp_onnx  # noqa: E402


def median_ms(fn, seconds):
    times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--layers", default="784,256,128,10")
    p.add_argument("--batches", default="1,64,256")
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--peak", type=float, default=217.7)
    args = p.parse_args()
    layers = [int(v) for v in args.layers.split(",")]
    batches = [int(v) for v in args.batches.split(",")]

    import onnxruntime as ort
    import torch
    torch.set_num_threads(1)

    work = tempfile.mkdtemp(prefix="neurona-bench-")
    model = os.path.join(work, "mlp.onnx")
    weights = mlp_onnx(model, layers, ["Relu"] * (len(layers) - 2), gemm=True,
                       name="bench_mlp")
    nr = os.path.join(args.build, "bin", "neurona")
    lib = os.path.join(work, "libmlp.so")
    print("compiling %s with neurona ..." % args.layers, flush=True)
    subprocess.run([nr, "compile", model, "--emit=lib", "--training",
                    "--loss", "cross_entropy", "--optimizer", "sgd", "-o", lib],
                   check=True)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])

    names = list(weights)
    tparams = [torch.tensor(weights[n], requires_grad=True) for n in names]
    sgd = torch.optim.SGD(tparams, lr=1e-3)

    def torch_forward(x):
        h = x
        for i in range(len(names) // 2):
            h = torch.nn.functional.linear(h, tparams[2 * i], tparams[2 * i + 1])
            if i < len(names) // 2 - 1:
                h = torch.relu(h)
        return h

    flops_fwd = sum(2 * layers[i] * layers[i + 1] for i in range(len(layers) - 1))
    print("\n%-6s %-10s %10s %10s %8s %10s %10s" %
          ("batch", "what", "ms", "GFLOP/s", "%peak", "ort/ours", "torch/ours"))
    for batch in batches:
        x = np.random.default_rng(0).random((batch, layers[0]), np.float32)
        y = torch.randint(0, layers[-1], (batch,))
        out = subprocess.run([os.path.join(args.build, "bin", "neurona-bench"),
                              lib, str(batch), str(layers[-1]),
                              str(args.seconds)],
                             check=True, capture_output=True, text=True).stdout
        ours = {l.split()[1]: float(l.split()[5]) for l in out.splitlines()}
        ort_ms = median_ms(lambda: sess.run(None, {"x": x}), args.seconds)
        xt = torch.tensor(x)
        with torch.no_grad():
            torch_ms = median_ms(lambda: torch_forward(xt), args.seconds)

        def torch_step():
            sgd.zero_grad()
            torch.nn.functional.cross_entropy(torch_forward(xt), y).backward()
            sgd.step()
        torch_train_ms = median_ms(torch_step, args.seconds)

        f = flops_fwd * batch
        for what, ms, peers in (
                ("forward", ours["forward"], (ort_ms, torch_ms)),
                ("train", ours["train_step"], (None, torch_train_ms))):
            flops = f if what == "forward" else 3 * f
            gflops = flops / (ms * 1e6)
            ratio = lambda v: "%10.2f" % (v / ms) if v else "%10s" % "-"
            print("%-6d %-10s %10.4f %10.2f %7.1f%% %s %s" %
                  (batch, what, ms, gflops, 100 * gflops / args.peak,
                   ratio(peers[0]), ratio(peers[1])))
        print("%-6s %-10s ort %.4f ms, torch %.4f ms (forward); torch train %.4f ms"
              % ("", "peers", ort_ms, torch_ms, torch_train_ms))


if __name__ == "__main__":
    main()
