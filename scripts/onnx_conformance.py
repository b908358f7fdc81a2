#!/usr/bin/env python3
"""ONNX conformance: ONNX's own node tests, compiled and run by Neurona.

PyPI's onnx wheel ships no node-test data, but its case generators
(`onnx.backend.test.case.node.collect_testcases()`) build each test's model,
inputs and reference outputs in seconds. Every node test whose ops all lie in
OPS (below) is written out, run with `neurona run` (one process per test;
the importer refuses a model before any compilation, so refusals cost
milliseconds), and compared with the test's own tolerances (ONNX's
defaults, rtol 1e-3 and atol 1e-7, for every test in onnx 1.23; NaNs must
match NaNs, shapes must match exactly).

Every test first runs as written: integer and bool inputs are run-time
inputs like float ones. When the importer refuses it because an operand must
be known at import time (axes, shapes, pads, repeats: what Neurona resolves
while importing), the test runs again with its integer and bool inputs and
its float scalars (Dropout's ratio and training_mode) baked into the model as
initializers holding the test's own values, which checks the op's semantics
with those constant operands. Every data set of such a test has the same
values there (checked), so this loses nothing but the "operand computed at
run time" case, which Neurona refuses.

Each test ends as one of
  passed         ran and matched the reference;
  failed         ran and gave a wrong answer, crashed, or failed after the
                 importer accepted it (a compile error, a bad exit);
  not supported  refused by the importer with an error that names the model
                 file (an op, attribute, dtype or shape it does not handle).
A wrong answer is never counted as "not supported": only an importer
refusal (a message starting with the model's path, exit status 1) is.

Expected failures live in test/onnx-conformance/expected-failures.txt, one
`test_name  reason` per line. The run fails when a test not on the list
fails, and when a listed test does not fail (it passes, or is refused now):
the list only shrinks.

Prints a table per op (the op a test is named after) and a closing
`N passed, N failed, N not supported` line.
"""

import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import onnx

OPS = set("""Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast Ceil
Clip Concat Constant ConstantOfShape Conv ConvTranspose Div Dropout Elu Equal
Erf Exp Expand Flatten Floor GRU Gather Gemm GlobalAveragePool GlobalMaxPool
Greater HardSigmoid Identity LSTM LeakyRelu Less Log LogSoftmax MatMul Max
MaxPool Mean Min Mul Neg Not Or Pad Pow RNN Reciprocal ReduceL1 ReduceL2
ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum
ReduceSumSquare Relu Reshape Selu Shape Sigmoid Sign Slice Softmax Softplus
Softsign Split Sqrt Squeeze Sub Sum Tanh Tile Transpose Unsqueeze
Where""".split())

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_XFAIL = os.path.join(HERE, "..", "test", "onnx-conformance",
                             "expected-failures.txt")


def snake(op):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", op).lower()


SNAKE = sorted(((snake(op), op) for op in OPS), key=lambda s: -len(s[0]))


def op_of(case):
    """The op a test is named after (test_reduce_sum_... -> ReduceSum)."""
    name = case.name[len("test_"):]
    for s, op in SNAKE:
        if name == s or name.startswith(s + "_"):
            return op
    return case.model.graph.node[0].op_type


def selected_cases():
    import onnx.backend.test.case.node as node_cases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            cases = node_cases.collect_testcases(None)
    out = []
    for c in cases:
        if c.kind != "node" or not c.data_sets:
            continue
        nodes = c.model.graph.node
        if nodes and all(n.domain in ("", "ai.onnx") and n.op_type in OPS
                         for n in nodes):
            out.append(c)
    return sorted(out, key=lambda c: c.name)


def read_xfail(path):
    xfail = {}
    if not os.path.exists(path):
        return xfail
    for line in open(path):
        line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") \
            else line.strip()
        if not line:
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit("%s: %s has no reason" % (path, name))
        xfail[name] = reason.strip()
    return xfail


def compare(got, want, rtol, atol):
    """None when `got` matches `want`, else what differs."""
    if got.shape != want.shape:
        return "shape %s, expected %s" % (got.shape, want.shape)
    g, w = got.astype(np.float64), want.astype(np.float64)
    gnan, wnan = np.isnan(g), np.isnan(w)
    if (gnan != wnan).any():
        return "NaN positions differ"
    g, w = np.where(gnan, 0, g), np.where(wnan, 0, w)
    inf = np.isinf(w) | np.isinf(g)
    if (g[inf] != w[inf]).any():
        return "infinities differ"
    g, w = np.where(inf, 0, g), np.where(inf, 0, w)
    bad = np.abs(g - w) > atol + rtol * np.abs(w)
    if bad.any():
        i = np.unravel_index(np.argmax(np.abs(g - w) - rtol * np.abs(w)),
                             g.shape)
        return "mismatch at %s: got %.9g, expected %.9g (%d of %d elements)" % (
            tuple(int(k) for k in i), g[i], w[i], int(bad.sum()), bad.size)
    return None


def as_array(x):
    """A data set's value as an array: Cast's generators give some inputs
    and outputs as TensorProtos."""
    x = np.asarray(x)
    if x.dtype == object and x.ndim == 0 and \
            isinstance(x.item(), onnx.TensorProto):
        return onnx.numpy_helper.to_array(x.item())
    return x


def run_case(case, neurona, workdir, timeout):
    """(status, detail) with status in passed / failed / unsupported."""
    status, detail = run_variant(case, neurona, workdir, timeout, False)
    if status == "unsupported" and "must be a constant" in detail:
        return run_variant(case, neurona, workdir, timeout, True)
    return status, detail


def run_variant(case, neurona, workdir, timeout, freeze):
    """Runs `case`, with its integer and bool inputs and float scalars as
    initializers if `freeze`."""
    folder = os.path.join(workdir, case.name + ("-frozen" if freeze else ""))
    os.makedirs(folder, exist_ok=True)
    model_path = os.path.join(folder, "model.onnx")
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    init_names = {t.name for t in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in init_names]
    n_inputs = len(case.data_sets[0][0])
    if any(len(ins) != n_inputs for ins, _ in case.data_sets) or \
            n_inputs > len(graph_inputs):
        return "unsupported", "data sets give different inputs"
    # Integer and bool inputs and float scalars become initializers with the
    # test's values.
    frozen = []
    for i in range(n_inputs):
        values = [np.asarray(ins[i]) for ins, _ in case.data_sets]
        if freeze and (values[0].dtype.kind in "iub" or
                       (values[0].dtype.kind == "f" and values[0].ndim == 0)):
            if any(not np.array_equal(v, values[0]) for v in values):
                return "unsupported", "input %s varies between data " \
                    "sets" % graph_inputs[i].name
            frozen.append(i)
            model.graph.initializer.append(
                onnx.numpy_helper.from_array(values[0], graph_inputs[i].name))
    for i in reversed(frozen):
        model.graph.input.remove(graph_inputs[i])
    kept = [x for i, x in enumerate(graph_inputs[:n_inputs]) if i not in frozen]
    onnx.save(model, model_path)
    for d, (inputs, outputs) in enumerate(case.data_sets):
        cmd = [neurona, "run", model_path]
        inputs = [x for i, x in enumerate(inputs) if i not in frozen]
        for i, x in enumerate(inputs):
            x = as_array(x)
            if x.dtype == object and kept[i].type.HasField("tensor_type"):
                # Some generators (Cast's) hold the data as Python objects;
                # the model declares the element type.
                try:
                    x = x.astype(onnx.helper.tensor_dtype_to_np_dtype(
                        kept[i].type.tensor_type.elem_type))
                except (TypeError, ValueError, KeyError):
                    pass
            p = os.path.join(folder, "in%d_%d.npy" % (d, i))
            np.save(p, x)
            cmd += ["--input", p]
        outs = [os.path.join(folder, "out%d_%d.npy" % (d, i))
                for i in range(len(outputs))]
        for p in outs:
            cmd += ["--output", p]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return "failed", "timed out after %ds" % timeout
        err = proc.stderr.strip()
        if proc.returncode != 0:
            first = err.splitlines()[0] if err else ""
            # The importer's refusals, and nothing else, name the model file
            # first; anything later (a verifier, the pipeline, the runtime)
            # or a crash is a failure.
            if proc.returncode == 1 and first.startswith(
                    "neurona: error: " + model_path + ":"):
                return "unsupported", err[len("neurona: error: " +
                                              model_path + ": "):]
            return "failed", "exit %d: %s" % (proc.returncode,
                                               err[-400:] or "no message")
        for i, (p, want) in enumerate(zip(outs, outputs)):
            want = as_array(want)
            got = np.load(p)
            if got.dtype == np.dtype("V2") and want.dtype.name == "bfloat16":
                # bfloat16: numpy saves ml_dtypes' bfloat16 as '<V2', and
                # Neurona writes it the same way.
                got = got.view(want.dtype)
            why = compare(got, want, case.rtol, case.atol)
            if why:
                return "failed", "output %d: %s" % (i, why)
    return "passed", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurona", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--xfail", default=DEFAULT_XFAIL)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--filter", default="",
                    help="regular expression on test names (a subset)")
    ap.add_argument("--every", type=int, default=1,
                    help="run every N-th selected test (a representative "
                         "subset spread over all ops)")
    ap.add_argument("--verbose", action="store_true",
                    help="print every test's result and detail")
    args = ap.parse_args()

    cases = selected_cases()
    if args.filter:
        cases = [c for c in cases if re.search(args.filter, c.name)]
    cases = cases[::args.every]
    xfail = read_xfail(args.xfail)
    os.makedirs(args.workdir, exist_ok=True)

    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_case, c, args.neurona, args.workdir,
                               args.timeout): c for c in cases}
        for f in concurrent.futures.as_completed(futures):
            results[futures[f].name] = f.result()

    table = collections.defaultdict(collections.Counter)
    problems = []
    for c in cases:
        status, detail = results[c.name]
        table[op_of(c)][status] += 1
        if args.verbose:
            print("%-60s %-11s %s" % (c.name, status, detail.splitlines()[0]
                                      if detail else ""))
        if c.name in xfail:
            if status != "failed":
                problems.append("%s is listed as an expected failure (%s) "
                                "but is %s now: remove it from the list"
                                % (c.name, xfail[c.name], status))
        elif status == "failed":
            problems.append("%s FAILED: %s" % (c.name, detail))

    print("%-26s %7s %7s %14s" % ("op", "passed", "failed", "not supported"))
    totals = collections.Counter()
    for op in sorted(table):
        t = table[op]
        totals.update(t)
        print("%-26s %7d %7d %14d" % (op, t["passed"], t["failed"],
                                      t["unsupported"]))
    names = {c.name for c in cases}
    if not args.filter and args.every == 1:
        for name in sorted(set(xfail) - names):
            problems.append("%s is listed as an expected failure but is not "
                            "a selected test" % name)
    for p in problems:
        print("error: " + p)
    print("%d passed, %d failed, %d not supported" % (
        totals["passed"], totals["failed"], totals["unsupported"]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
