#!/usr/bin/env python3
"""Benchmarks Neurona against what users install, on the same models.

Every case (a model at a batch, a training step, or a GEMM) is compiled from
one ONNX file with static shapes, and each system runs it at the same thread
count:
  * neurona        the compiled shared library through the runtime
                   (build/bin/neurona-bench, timed in-process);
  * onnxruntime    all graph optimisations, intra-op threads = --threads;
  * iree           iree-import-onnx, iree-compile for llvm-cpu on the host
                   CPU, timed by iree-benchmark-module (local-sync at one
                   thread, local-task with that many workers otherwise);
  * torch          PyTorch eager (PyPI's torch 2.x), torch.set_num_threads;
  * torch.compile  the same module through torch.compile (inductor);
  * openblas       cblas_sgemm (GEMM cases only; bench/sgemm_openblas.c).
Training steps (forward, backward, Adam) run for Neurona and PyTorch.

For each it reports the median time, the peer's time divided by Neurona's
(> 1: Neurona is faster), GFLOP/s, the share of the machine's FP32 peak
(bench/fma_peak.c, one core's figure times the thread count) and the peak
resident memory of the process that ran it. The table is printed and written
as JSON to bench/results/<date>.json.

  bench/.venv/bin/python bench/run.py [--threads 1,2] [--cases mlp,gemm]
      [--systems neurona,onnxruntime] [--seconds 0.5] [--json PATH]
  .venv/bin/python bench/run.py --smoke     # one tiny case, Neurona + onnxruntime

bench/setup.sh creates bench/.venv; scripts/bench.sh does everything.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import models  # noqa: E402

DEFAULT_PEAK = 217.7  # GFLOP/s, one core; used when the FMA probe cannot run
INFER_SYSTEMS = ("neurona", "onnxruntime", "iree", "torch", "torch.compile")
TRAIN_SYSTEMS = ("neurona", "torch", "torch.compile")
GEMM_SYSTEMS = ("neurona", "openblas", "onnxruntime", "iree", "torch", "torch.compile")
ALL_SYSTEMS = ("neurona", "openblas", "onnxruntime", "iree", "torch", "torch.compile")


@dataclass(frozen=True)
class Case:
    """One row group of the table. `kind` is forward | train | gemm; `spec`
    the model (forward, train) or `gemm` = (M, K, N)."""
    name: str
    kind: str
    batches: tuple = ()
    spec: models.Spec = None
    gemm: tuple = None
    groups: tuple = ()

    def systems(self):
        return {"forward": INFER_SYSTEMS, "train": TRAIN_SYSTEMS,
                "gemm": GEMM_SYSTEMS}[self.kind]

    def points(self):
        return [(1, self.gemm)] if self.kind == "gemm" else [(b, None) for b in self.batches]


def _gemm(m, k, n, *groups):
    return Case("gemm-%dx%dx%d" % (m, k, n), "gemm", gemm=(m, k, n),
                groups=("gemm",) + groups)


# The case table. A new model family is a Spec in models.py and a row here;
# systems that cannot compile it report "unsupported" and the run goes on.
CASES = (
    Case("mlp", "forward", (1, 64), models.MLP, groups=("infer", "mlp")),
    Case("autoencoder", "forward", (1, 64), models.AUTOENCODER, groups=("infer",)),
    Case("linreg", "forward", (1, 64), models.LINREG, groups=("infer",)),
    Case("lenet", "forward", (64,), models.LENET, groups=("infer", "cnn")),
    Case("mlp-train", "train", (64,), models.MLP, groups=("train", "mlp")),
    Case("autoencoder-train", "train", (64,), models.AUTOENCODER, groups=("train",)),
    Case("linreg-train", "train", (64,), models.LINREG, groups=("train",)),
    _gemm(128, 128, 128), _gemm(256, 256, 256), _gemm(512, 512, 512),
    _gemm(1024, 1024, 1024), _gemm(2048, 2048, 2048),
    # The course's shapes, M x K x N: a 784->128 layer at batch 64 and 1,
    # a 128->10 layer at batch 64.
    _gemm(64, 784, 128, "small"), _gemm(1, 784, 128, "small"),
    _gemm(64, 128, 10, "small"),
)


# ---------------------------------------------------------------- processes

def vm_hwm_mb(pid):
    """A process's peak resident set (VmHWM) in MB, or 0 once it is gone.
    Not wait4's ru_maxrss: on Linux a child inherits its parent's peak at
    fork and keeps it across exec, so every child of this Python process
    would read at least this process's size."""
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        return int(m.group(1)) / 1024.0 if m else 0.0
    except OSError:
        return 0.0


def run_measured(cmd, timeout, env=None, cwd=None):
    """Runs `cmd`; returns (returncode, stdout, stderr, peak RSS in MB, the
    last VmHWM seen while polling every 5 ms). The return code is None when
    it ran past `timeout` seconds, minus the signal number when killed."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err,
                                env=env, cwd=cwd, start_new_session=True)
        deadline = time.monotonic() + timeout
        rc, rss = None, 0.0
        while True:
            # Read before reaping: a zombie has no memory left to read.
            rss = max(rss, vm_hwm_mb(proc.pid))
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            if pid:
                rc = os.waitstatus_to_exitcode(status)
                proc.returncode = rc
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                os.waitpid(proc.pid, 0)
                proc.returncode = -9
                break
            time.sleep(0.005)
        out.seek(0)
        err.seek(0)
        return rc, out.read(), err.read(), rss


def last_error(text, limit=300):
    """The line of a failed command's output that says why: its first error
    line, or for a crash the first frame of the stack dump past the signal
    handlers."""
    if "Stack dump:" in text:
        for frame in re.findall(r"#\d+ 0x[0-9a-f]+ (.+?)(?: \(/| [\w.]+:\d)", text):
            if not re.search(r"llvm::sys::|libc\.so|^\(|RunSignalHandlers", frame):
                return ("crashed in " + frame)[:limit]
        return "crashed"
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    for l in lines:
        if "error" in l.lower():
            return l[:limit]
    return (lines[-1] if lines else "(no output)")[:limit]


def thread_env(threads):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "NEURONA_NUM_THREADS"):
        env[k] = str(threads)
    return env


# ---------------------------------------------------------------- probes

def build_probe(name, args, sources):
    """Builds bench/bin/<name> from bench sources when missing or stale."""
    exe = os.path.join(HERE, "bin", name)
    srcs = [os.path.join(HERE, s) for s in sources]
    if os.path.exists(exe) and all(os.path.getmtime(exe) >= os.path.getmtime(s) for s in srcs):
        return exe
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    cc = os.environ.get("CC", "gcc")
    proc = subprocess.run([cc, *args[0], *srcs, "-o", exe, *args[1]],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print("  (cannot build %s: %s)" % (name, last_error(proc.stderr)))
        return None
    return exe


def measure_peak():
    """One core's FP32 FMA peak in GFLOP/s (bench/fma_peak.c), or None."""
    exe = build_probe("fma_peak", (["-O3", "-march=native"], []), ["fma_peak.c"])
    if not exe:
        return None, None
    best, isa = None, None
    for _ in range(3):  # the clock moves with the machine's load: best of 3
        rc, out, err, _ = run_measured([exe, "0.5"], 30)
        m = re.search(r"gflops ([\d.]+) isa (\S+)", out)
        if rc == 0 and m and (best is None or float(m.group(1)) > best):
            best, isa = float(m.group(1)), m.group(2)
    return best, isa


OPENBLAS_INCLUDES = ("/usr/include/x86_64-linux-gnu/openblas-pthread",
                     "/usr/include/x86_64-linux-gnu/openblas-openmp",
                     "/usr/include/openblas")
OPENBLAS_LIBS = ("/usr/lib/x86_64-linux-gnu/openblas-pthread",
                 "/usr/lib/x86_64-linux-gnu/openblas-openmp",
                 "/usr/lib/x86_64-linux-gnu")


def openblas_exe():
    inc = next((d for d in OPENBLAS_INCLUDES if os.path.exists(os.path.join(d, "cblas.h"))), None)
    lib = next((d for d in OPENBLAS_LIBS if os.path.exists(os.path.join(d, "libopenblas.so"))), None)
    if not inc or not lib:
        return None
    return build_probe("sgemm_openblas",
                       (["-O2", "-I" + inc], ["-L" + lib, "-Wl,-rpath," + lib, "-lopenblas", "-lm"]),
                       ["sgemm_openblas.c"])


# ---------------------------------------------------------------- systems

class Runner:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.build_bin = os.path.join(args.build, "bin")
        self.iree_bin = os.path.dirname(sys.executable)
        # The benchmark binary itself, not the venv's Python wrapper around it
        # (its peak memory would be the wrapper's).
        self.iree_benchmark = os.path.join(self.iree_bin, "iree-benchmark-module")
        try:
            import importlib.util
            spec = importlib.util.find_spec("iree._runtime_libs")
            exe = os.path.join(list(spec.submodule_search_locations)[0], "iree-benchmark-module")
            if os.access(exe, os.X_OK):
                self.iree_benchmark = exe
        except (ImportError, AttributeError, TypeError, IndexError):
            pass
        self.cache = {}  # compiled artifacts by (system, model file, mode)
        self.openblas = None
        self.openblas_core = None

    # ---- model files
    def model_file(self, case, batch):
        key = ("onnx", case.name if case.kind == "gemm" else case.spec.name, batch)
        if key not in self.cache:
            if case.kind == "gemm":
                m, k, n = case.gemm
                path = os.path.join(self.work, "gemm_%dx%dx%d.onnx" % (m, k, n))
                models.build_gemm_onnx(m, k, n, path)
            else:
                path = os.path.join(self.work, "%s_b%d.onnx" % (case.spec.name, batch))
                models.build_onnx(case.spec, batch, path)
            self.cache[key] = path
        return self.cache[key]

    # ---- neurona
    def neurona(self, case, batch, onnx_path, threads):
        train = case.kind == "train"
        key = ("neurona", onnx_path, train)
        if key not in self.cache:
            lib = onnx_path[:-5] + ("_train" if train else "") + ".so"
            cmd = [os.path.join(self.build_bin, "neurona"), "compile", onnx_path,
                   "--emit=lib", "-o", lib]
            if train:
                cmd += ["--training", "--loss", case.spec.loss, "--optimizer", "adam",
                        "--lr", "0.001"]
            t0 = time.perf_counter()
            rc, out, err, rss = run_measured(cmd, self.args.timeout)
            error = None
            if rc is None:
                error = "compile timeout"
            elif rc != 0:
                error = last_error(err + out)
                if rc < 0 and not error.startswith("crashed"):
                    error = "crashed (signal %d)" % -rc
            self.cache[key] = (lib if rc == 0 else None, time.perf_counter() - t0, error)
        lib, compile_s, error = self.cache[key]
        if not lib:
            # A diagnosed compile error means the model is not supported yet;
            # a crash or a timeout is a failure.
            status = "failed" if error.startswith(("crashed", "compile timeout")) else "unsupported"
            return {"status": status, "error": error}
        classes = case.spec.classes if case.spec and case.spec.classes else 10
        entry = "train_step" if train else "forward"
        rc, out, err, rss = run_measured(
            [os.path.join(self.build_bin, "neurona-bench"), lib, batch, classes,
             self.args.seconds, entry], self.args.timeout, env=thread_env(threads))
        m = re.search(r"median_ms ([\d.]+)(?: calls (\d+))?", out)
        if rc != 0 or not m:
            return {"status": "failed", "error": "timeout" if rc is None else last_error(err + out)}
        return {"status": "ok", "median_ms": float(m.group(1)), "rss_mb": rss,
                "compile_s": compile_s, "calls": int(m.group(2) or 0)}

    # ---- python peers (onnxruntime, torch, torch.compile)
    def python_peer(self, system, case, batch, onnx_path, threads):
        cmd = [sys.executable, os.path.join(HERE, "peers.py"), system, "--onnx", onnx_path,
               "--case", case.spec.name if case.spec else "gemm",
               "--mode", "train" if case.kind == "train" else "forward",
               "--batch", batch, "--threads", threads, "--seconds", self.args.seconds]
        rc, out, err, rss = run_measured(cmd, self.args.timeout, env=thread_env(threads))
        line = next((l for l in reversed(out.splitlines()) if l.startswith("{")), None)
        if rc is None:
            return {"status": "failed", "error": "timeout after %ds" % self.args.timeout}
        if not line:
            return {"status": "failed", "error": last_error(err + out)}
        res = json.loads(line)
        if "error" in res:
            return {"status": "failed", "error": res["error"]}
        res.update(status="ok", rss_mb=res.get("rss_mb") or rss)
        return res

    # ---- iree
    def iree(self, case, batch, onnx_path, threads):
        key = ("iree", onnx_path)
        if key not in self.cache:
            mlir, vmfb = onnx_path[:-5] + ".mlir", onnx_path[:-5] + ".vmfb"
            t0 = time.perf_counter()
            rc, out, err, _ = run_measured(
                [os.path.join(self.iree_bin, "iree-import-onnx"), onnx_path, "-o", mlir],
                self.args.timeout)
            error = None
            if rc != 0:
                error = "iree-import-onnx: " + ("timeout" if rc is None else last_error(err + out))
            else:
                rc, out, err, _ = run_measured(
                    [os.path.join(self.iree_bin, "iree-compile"), mlir,
                     "--iree-hal-target-device=local",
                     "--iree-hal-local-target-device-backends=llvm-cpu",
                     "--iree-llvmcpu-target-cpu=host", "-o", vmfb], self.args.timeout)
                if rc != 0:
                    error = "iree-compile: " + ("timeout" if rc is None else last_error(err + out))
            fn = "main_graph"
            if not error:
                with open(mlir) as f:
                    m = re.search(r"func\.func @([\w$.]+)", f.read(4096))
                fn = m.group(1) if m else fn
            self.cache[key] = (vmfb if not error else None, fn, time.perf_counter() - t0, error)
        vmfb, fn, compile_s, error = self.cache[key]
        if not vmfb:
            return {"status": "failed", "error": error}
        import onnx
        dims = [d.dim_value for d in onnx.load(onnx_path, load_external_data=False)
                .graph.input[0].type.tensor_type.shape.dim]
        device = (["--device=local-sync"] if threads == 1 else
                  ["--device=local-task", "--task_topology_group_count=%d" % threads])
        # Repetitions so that the run lasts about --seconds, from a rough
        # guess of 20 GFLOP/s and the benchmark's own iteration count.
        est_ms = self.flops(case, batch) / 20e6
        reps = int(max(3, min(20, self.args.seconds * 1e3 / max(est_ms * 10, 1e-3))))
        cmd = [self.iree_benchmark, "--module=" + vmfb,
               "--function=" + fn, "--input=%sxf32=0.5" % "x".join(map(str, dims)),
               *device, "--benchmark_repetitions=%d" % reps, "--benchmark_format=json"]
        rc, out, err, rss = run_measured(cmd, self.args.timeout, env=thread_env(threads))
        if rc != 0:
            return {"status": "failed", "error": "iree-benchmark-module: " +
                    ("timeout" if rc is None else last_error(err + out))}
        try:
            bench = json.loads(out[out.index("{"):])["benchmarks"]
            med = next(b for b in bench if b.get("aggregate_name") == "median")
        except (ValueError, StopIteration, KeyError):
            return {"status": "failed", "error": "cannot parse iree-benchmark-module's output"}
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[med.get("time_unit", "ns")]
        return {"status": "ok", "median_ms": med["real_time"] * scale, "rss_mb": rss,
                "compile_s": compile_s, "calls": reps * med.get("iterations", 1)}

    # ---- openblas
    def openblas_gemm(self, case, threads):
        if self.openblas is None:
            self.openblas = openblas_exe() or ""
        if not self.openblas:
            return {"status": "failed", "error": "no OpenBLAS (bench/setup.sh installs libopenblas-dev)"}
        m, k, n = case.gemm
        env = thread_env(threads)
        # OpenBLAS picks its kernel for the CPU it detects: no overrides.
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            env.pop(var, None)
        rc, out, err, rss = run_measured(
            [self.openblas, "--seconds", self.args.seconds, "--threads", threads, m, n, k],
            self.args.timeout, env=env)
        r = re.search(r"median_ms ([\d.]+) gflops [\d.]+ core (\S+)", out)
        if rc != 0 or not r:
            return {"status": "failed", "error": last_error(err + out)}
        self.openblas_core = r.group(2)
        return {"status": "ok", "median_ms": float(r.group(1)), "rss_mb": rss,
                "kernel": r.group(2)}

    def flops(self, case, batch):
        if case.kind == "gemm":
            m, k, n = case.gemm
            return 2 * m * k * n
        if case.kind == "train":
            return models.train_flops(case.spec, batch)
        return models.forward_flops(case.spec, batch)

    def run(self, system, case, batch, threads):
        onnx_path = self.model_file(case, batch if case.kind != "gemm" else 0)
        if system == "neurona":
            return self.neurona(case, batch, onnx_path, threads)
        if system == "iree":
            return self.iree(case, batch, onnx_path, threads)
        if system == "openblas":
            return self.openblas_gemm(case, threads)
        return self.python_peer(system, case, batch, onnx_path, threads)


# ---------------------------------------------------------------- reporting

def shape_label(case, batch):
    if case.kind == "gemm":
        return "%dx%dx%d" % case.gemm
    return "b%d" % batch


def print_header(peak, threads):
    print("\nthreads %d, peak %.1f GFLOP/s (%d x one core)" % (threads, peak * threads, threads))
    print("%-18s %-13s %-13s %11s %9s %10s %7s %9s  %s" %
          ("case", "shape", "system", "median ms", "x neurona", "GFLOP/s", "%peak",
           "peak MB", "note"))
    print("-" * 110)


def print_row(row, first):
    res = row["result"]
    case = row["case"] if first else ""
    shape = row["shape"] if first else ""
    if res["status"] != "ok":
        print("%-18s %-13s %-13s %11s %9s %10s %7s %9s  %s" %
              (case, shape, row["system"], res["status"], "", "", "", "",
               res.get("error", "")[:120]), flush=True)
        return
    ratio = row.get("ratio")
    note = []
    if res.get("kernel"):
        note.append("kernel " + res["kernel"])
    if res.get("compile_s"):
        note.append("compile %.1fs" % res["compile_s"])
    print("%-18s %-13s %-13s %11.4f %9s %10.2f %6.1f%% %9.0f  %s" %
          (case, shape, row["system"], res["median_ms"],
           "%.2f" % ratio if ratio else ("1" if row["system"] == "neurona" else "-"),
           row["gflops"], row["peak_pct"], res.get("rss_mb", 0), ", ".join(note)), flush=True)


def select_cases(names):
    if not names or names == "all":
        return list(CASES)
    want = set(names.split(","))
    chosen = [c for c in CASES if c.name in want or want & set(c.groups) or c.kind in want]
    unknown = want - {c.name for c in CASES} - {g for c in CASES for g in c.groups} \
        - {c.kind for c in CASES}
    if unknown:
        sys.exit("run.py: unknown case or group: %s (cases: %s)" %
                 (", ".join(sorted(unknown)), ", ".join(c.name for c in CASES)))
    return chosen


def versions():
    """The peers' package versions in this Python environment."""
    from importlib.metadata import PackageNotFoundError, version
    v = {}
    for name in ("onnxruntime", "torch", "iree-base-compiler", "iree-base-runtime",
                 "onnx", "numpy"):
        try:
            v[name] = version(name)
        except PackageNotFoundError:
            pass
    return v


def markdown(path):
    """Prints a results JSON as Markdown tables, one per thread count: each
    system's median ms with, for a peer, its ratio to Neurona's (> 1:
    Neurona is faster) and, for Neurona, its GFLOP/s, in brackets."""
    with open(path) as f:
        data = json.load(f)
    print("%s, %d CPUs, one core's peak %.1f GFLOP/s (%s), OpenBLAS kernel %s; %s"
          % (data["cpu"], data["cpus"], data["peak_gflops_one_core"], data["peak_source"],
             data.get("openblas_kernel") or "-",
             ", ".join("%s %s" % kv for kv in sorted(data["versions"].items()))))
    for threads in data["threads"]:
        rows = [r for r in data["rows"] if r["threads"] == threads]
        print("\n**%d thread%s** (median ms; in brackets peer / Neurona, > 1: Neurona "
              "faster; Neurona's GFLOP/s after its time)\n" % (threads, "s" * (threads > 1)))
        print("| case | shape | " + " | ".join(ALL_SYSTEMS) + " |")
        print("|---|---|" + "---:|" * len(ALL_SYSTEMS))
        points = []
        for r in rows:
            if (r["case"], r["shape"]) not in points:
                points.append((r["case"], r["shape"]))
        for case, shape in points:
            by = {r["system"]: r for r in rows if (r["case"], r["shape"]) == (case, shape)}
            ours = by.get("neurona", {}).get("result", {}).get("median_ms")
            cells = []
            for system in ALL_SYSTEMS:
                r = by.get(system)
                res = r["result"] if r else {}
                ms = res.get("median_ms")
                if r is None:
                    cells.append("")
                elif ms is None:
                    cells.append(res.get("status", "failed"))
                elif system == "neurona":
                    cells.append("%.4g (%.1f)" % (ms, r.get("gflops") or 0.0))
                else:
                    cells.append("%.4g (%.2f)" % (ms, ms / ours) if ours else "%.4g" % ms)
            print("| %s | %s | %s |" % (case, shape, " | ".join(cells)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--threads", default="1", help="comma list, e.g. 1,2")
    p.add_argument("--cases", default="all",
                   help="case names or groups (infer, train, gemm, small, mlp, cnn), comma list")
    p.add_argument("--systems", default=",".join(ALL_SYSTEMS))
    p.add_argument("--batches", default="", help="override the batch sizes of model cases")
    p.add_argument("--seconds", type=float, default=0.3, help="timing per measurement")
    p.add_argument("--timeout", type=int, default=180, help="per command, seconds")
    p.add_argument("--peak", type=float, default=0.0,
                   help="one core's GFLOP/s (default: measured by bench/fma_peak.c)")
    p.add_argument("--json", default="", help="where to write the results "
                   "(default bench/results/<date>.json; '-' for none)")
    p.add_argument("--smoke", action="store_true",
                   help="one tiny case, Neurona and onnxruntime only (the test venv suffices)")
    p.add_argument("--markdown", metavar="JSON",
                   help="print the results file JSON as Markdown tables and exit")
    args = p.parse_args()

    if args.markdown:
        markdown(args.markdown)
        return
    if args.smoke:
        cases = [Case("linreg", "forward", (4,), models.LINREG)]
        systems = ["neurona", "onnxruntime"]
        args.seconds = min(args.seconds, 0.05)
        args.json = args.json or "-"
        peak, isa = args.peak or DEFAULT_PEAK, "default"
    else:
        cases = select_cases(args.cases)
        systems = [s for s in args.systems.split(",") if s]
        bad = set(systems) - set(ALL_SYSTEMS)
        if bad:
            sys.exit("run.py: unknown system(s) %s (known: %s)" % (bad, ", ".join(ALL_SYSTEMS)))
        if args.batches:
            bs = tuple(int(b) for b in args.batches.split(","))
            cases = [Case(c.name, c.kind, bs, c.spec, c.gemm, c.groups) if c.kind != "gemm" else c
                     for c in cases]
        if args.peak:
            peak, isa = args.peak, "given"
        else:
            peak, isa = measure_peak()
            if not peak:
                print("fma_peak unavailable: using %.1f GFLOP/s" % DEFAULT_PEAK)
                peak, isa = DEFAULT_PEAK, "default"
    threads_list = [int(t) for t in args.threads.split(",")]
    for tool in ("neurona", "neurona-bench"):
        if "neurona" in systems and not os.path.exists(os.path.join(args.build, "bin", tool)):
            sys.exit("run.py: %s/bin/%s is missing: cmake --build %s --target neurona neurona-bench"
                     % (args.build, tool, args.build))

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except (OSError, AttributeError):
        pass
    print("Neurona benchmark: %s, %d CPUs; one core's FP32 peak %.1f GFLOP/s (%s)"
          % (cpu, os.cpu_count(), peak, isa))
    print("ratio = peer median / Neurona median (> 1: Neurona is faster); "
          "training steps are forward + backward + Adam")

    work = tempfile.mkdtemp(prefix="neurona-bench-")
    runner = Runner(args, work)
    rows, started = [], time.time()
    try:
        for threads in threads_list:
            print_header(peak, threads)
            for case in cases:
                for batch, _ in case.points():
                    group, ours = [], None
                    for system in case.systems():
                        if system not in systems:
                            continue
                        t0 = time.perf_counter()
                        res = runner.run(system, case, batch, threads)
                        res["wall_s"] = time.perf_counter() - t0
                        flops = runner.flops(case, batch)
                        row = {"case": case.name, "kind": case.kind,
                               "shape": shape_label(case, batch), "batch": batch,
                               "gemm_mkn": list(case.gemm) if case.gemm else None,
                               "threads": threads, "system": system, "flops": flops,
                               "result": res}
                        if res["status"] == "ok":
                            row["gflops"] = flops / (res["median_ms"] * 1e6)
                            row["peak_pct"] = 100 * row["gflops"] / (peak * threads)
                            if system == "neurona":
                                ours = res["median_ms"]
                            elif ours:
                                row["ratio"] = res["median_ms"] / ours
                        print_row(row, not group)
                        group.append(row)
                    rows += group
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # The clock (and, on SMT siblings, the FMA units) move with the machine's
    # load: probe again and keep the best reading for the JSON.
    if isa not in ("given", "default"):
        again, _ = measure_peak()
        if again and again > peak * 1.03:
            print("\npeak re-measured at the end: %.1f GFLOP/s (the table used %.1f); "
                  "the JSON's %%peak uses %.1f" % (again, peak, again))
            peak = again
            for r in rows:
                if "gflops" in r:
                    r["peak_pct"] = 100 * r["gflops"] / (peak * r["threads"])

    failed = [r for r in rows if r["result"]["status"] != "ok"]
    print("\n%d measurements in %.0f s; %d not run (unsupported or failed)"
          % (len(rows), time.time() - started, len(failed)))
    if runner.openblas_core:
        print("OpenBLAS picked the '%s' kernel (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)"
              % runner.openblas_core)
    if args.json != "-":
        path = args.json or os.path.join(
            HERE, "results", datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S") + ".json")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"),
                       "cpu": cpu, "cpus": os.cpu_count(),
                       "peak_gflops_one_core": peak, "peak_source": isa,
                       "openblas_kernel": runner.openblas_core,
                       "versions": versions(), "seconds": args.seconds,
                       "threads": threads_list, "rows": rows}, f, indent=1)
        print("results: %s" % os.path.relpath(path))
    if args.smoke:
        bad = [r for r in rows if r["result"]["status"] != "ok"]
        for r in bad:
            print("smoke: %s %s: %s" % (r["system"], r["case"], r["result"].get("error")),
                  file=sys.stderr)
        return 1 if bad or not rows else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
