#!/usr/bin/env python3
"""Times one Python peer on one case, in a process of its own so that its peak
resident memory is its own. bench/run.py starts it; it prints one JSON line:
  {"median_ms": ..., "calls": ..., "rss_base_mb": ..., "compile_s": ...}
or {"error": "..."} (exit status 3) when the peer cannot run the case.

  peers.py onnxruntime|torch|torch.compile --onnx M.onnx --mode forward|train
           [--case NAME] --batch B --threads T --seconds S

Every peer gets the same input the others get (uniform [0, 1), seed 0),
times whole calls (no per-call allocation excluded) after a warm-up call,
and reports the median.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models  # noqa: E402


def status_mb(field):
    """VmRSS or VmHWM of this process in MB (not ru_maxrss, which on Linux
    starts from the parent's peak)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def rss_mb():
    return status_mb("VmRSS")


def median_ms(fn, seconds, min_calls=5):
    fn()  # warm-up (and, for torch.compile, the compile)
    times = []
    start = time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times)), len(times)


def run_onnxruntime(args, x):
    import onnxruntime as ort
    base = rss_mb()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    t0 = time.perf_counter()
    sess = ort.InferenceSession(args.onnx, opts, providers=["CPUExecutionProvider"])
    compile_s = time.perf_counter() - t0
    ms, calls = median_ms(lambda: sess.run(None, {"x": x}), args.seconds)
    return {"median_ms": ms, "calls": calls, "rss_base_mb": base,
            "compile_s": compile_s, "version": ort.__version__}


def torch_model(args):
    import torch
    if args.case.startswith("gemm"):
        w = torch.from_numpy(models.initializers(args.onnx)["w"])

        class Gemm(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = torch.nn.Parameter(w, requires_grad=False)

            def forward(self, x):
                return x @ self.w
        return Gemm(), None
    spec = SPECS[args.case]
    return models.torch_module(spec, args.onnx), spec


def run_torch(args, x, compiled):
    import torch
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    base = rss_mb()
    model, spec = torch_model(args)
    fn = model
    compile_s = 0.0
    if compiled:
        fn = torch.compile(model)
    xt = torch.from_numpy(x)
    if args.mode == "forward":
        model.eval()

        def step():
            with torch.no_grad():
                return fn(xt)
    else:
        rng = np.random.default_rng(1)
        if spec.loss == "cross_entropy":
            target = torch.from_numpy(rng.integers(0, spec.classes, x.shape[0]))
            loss_fn = torch.nn.functional.cross_entropy
        else:
            target = torch.from_numpy(
                rng.random((x.shape[0], *models.output_shape(spec)), np.float32))
            loss_fn = torch.nn.functional.mse_loss
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(fn(xt), target)
            loss.backward()
            opt.step()
            return loss
    if compiled:
        t0 = time.perf_counter()
        step()
        compile_s = time.perf_counter() - t0
    ms, calls = median_ms(step, args.seconds)
    return {"median_ms": ms, "calls": calls, "rss_base_mb": base,
            "compile_s": compile_s, "version": torch.__version__}


SPECS = {"mlp": models.MLP, "autoencoder": models.AUTOENCODER,
         "linreg": models.LINREG, "lenet": models.LENET}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("system", choices=["onnxruntime", "torch", "torch.compile"])
    p.add_argument("--onnx", required=True)
    p.add_argument("--case", default="")
    p.add_argument("--mode", choices=["forward", "train"], default="forward")
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=0.5)
    args = p.parse_args()
    import onnx
    shape = [d.dim_value for d in
             onnx.load(args.onnx, load_external_data=False).graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(0).random(shape, np.float32)
    try:
        if args.system == "onnxruntime":
            result = run_onnxruntime(args, x)
        else:
            result = run_torch(args, x, args.system == "torch.compile")
    except Exception as e:  # a peer that cannot run the case says why
        msg = "%s: %s" % (type(e).__name__, str(e).strip())
        print(json.dumps({"error": msg[:2000]}), flush=True)
        sys.exit(3)
    result["rss_mb"] = status_mb("VmHWM")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
