"""Helpers shared by Neurona's end-to-end tests (run under lit).

Everything here builds inputs with public tools (onnx's helper API, numpy) or
runs `neurona`; the references the tests compare against (onnxruntime,
float64 finite differences, PyTorch autograd) never go through Neurona.
"""

import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def run(cmd, **kwargs):
    """Runs a command, failing the test with its output when it fails."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                          text=True, **kwargs)
    if proc.returncode != 0:
        sys.stderr.write("command failed: %s\n%s%s" %
                         (" ".join(map(str, cmd)), proc.stdout, proc.stderr))
        sys.exit(1)
    return proc


def mlp_onnx(path, layers, activations, *, gemm=False, out_act=None,
             seed=0, name="mlp", input_shape=None, flatten=False):
    """An MLP as an ONNX file. `layers` are widths [in, h1, ..., out];
    `activations` names the hidden activations (ONNX op types). With `gemm`,
    dense layers are Gemm with transB=1 (PyTorch's export: W is [out, in]);
    otherwise MatMul + Add with W [in, out]. Returns the weights by name."""
    rng = np.random.default_rng(seed)
    nodes, inits, weights = [], [], {}
    cur = "x"
    if input_shape is None:
        input_shape = ["N", layers[0]]
    if flatten:
        nodes.append(helper.make_node("Flatten", ["x"], ["flat"], axis=1))
        cur = "flat"
    for i in range(len(layers) - 1):
        fan_in, fan_out = layers[i], layers[i + 1]
        w = rng.uniform(-1, 1, (fan_in, fan_out)).astype(np.float32) / np.sqrt(fan_in)
        b = rng.uniform(-0.1, 0.1, fan_out).astype(np.float32)
        wn, bn = "dense%d.weight" % i, "dense%d.bias" % i
        out = "h%d" % i
        if gemm:
            w = np.ascontiguousarray(w.T)
            nodes.append(helper.make_node("Gemm", [cur, wn, bn], [out], transB=1))
        else:
            nodes.append(helper.make_node("MatMul", [cur, wn], [out + "_mm"]))
            nodes.append(helper.make_node("Add", [out + "_mm", bn], [out]))
        inits += [numpy_helper.from_array(w, wn), numpy_helper.from_array(b, bn)]
        weights[wn], weights[bn] = w, b
        cur = out
        act = activations[i] if i < len(layers) - 2 else out_act
        if act:
            nodes.append(helper.make_node(act, [cur], [out + "_a"]))
            cur = out + "_a"
    nodes.append(helper.make_node("Identity", [cur], ["y"]))
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", layers[-1]])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return weights


def close(name, got, want, rtol, atol):
    """Asserts |got - want| <= atol + rtol * |want| elementwise."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        sys.exit("%s: shape %s, expected %s" % (name, got.shape, want.shape))
    err = np.abs(got - want)
    bound = atol + rtol * np.abs(want)
    worst = np.max(err - bound) if err.size else -1
    if worst > 0:
        i = np.unravel_index(np.argmax(err - bound), err.shape)
        sys.exit("%s: mismatch at %s: got %.9g, expected %.9g (rtol %g, atol %g)"
                 % (name, i, got[i], want[i], rtol, atol))
    print("%-40s ok  max abs err %.3g" % (name, err.max() if err.size else 0))


def save_graph(path, name, nodes, inputs, outputs, *, onnx_type, inits=None,
               opset=18, ir_version=8):
    """Saves a one-graph ONNX model of `nodes` at `path`. `inputs`/`outputs`
    are (name, numpy dtype, shape), outputs without a declared shape;
    `onnx_type[dtype]` is ONNX's element type; `inits` maps initializer
    names to arrays."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, onnx_type[t], list(s))
         for n, t, s in inputs],
        [helper.make_tensor_value_info(n, onnx_type[t], None)
         for n, t, s in outputs],
        [numpy_helper.from_array(np.asarray(v), k)
         for k, v in (inits or {}).items()])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    onnx.save(model, path)


def check_graph(neurona, workdir, name, nodes, inputs, outputs, *,
                onnx_type, feed, reference, inits=None, opset=18, rtol=1e-6,
                atol=1e-6):
    """Builds a one-graph ONNX model of `nodes`, runs it with `neurona run`
    and compares every output with `reference(path, feeds)`, which returns
    (outputs, the reference's name). `inputs`/`outputs` are (name, numpy
    dtype, shape); `onnx_type` maps the dtypes to ONNX's. An input shape
    starting with "N" has the batch dimension and runs at batch 1 and 5,
    else the model runs once; `feed(name, dtype, shape)` makes the inputs.
    Outputs must have the reference's and the declared dtype; floats must
    lie within atol + rtol * |ref|, everything else must be equal."""
    path = os.path.join(workdir, name + ".onnx")
    save_graph(path, name, nodes, inputs, outputs, onnx_type=onnx_type,
               inits=inits, opset=opset)
    batched = any(s and s[0] == "N" for _, _, s in inputs)
    for batch in ((1, 5) if batched else (0,)):
        feeds = {n: feed(n, t, [batch if d == "N" else d for d in s])
                 for n, t, s in inputs}
        cmd = [neurona, "run", path]
        for n, _, _ in inputs:
            xp = os.path.join(workdir, f"{name}_{n}_{batch}.npy")
            np.save(xp, feeds[n])
            cmd += ["--input", xp]
        outs = [os.path.join(workdir, f"{name}_out{i}_{batch}.npy")
                for i in range(len(outputs))]
        for o in outs:
            cmd += ["--output", o]
        run(cmd)
        refs, source = reference(path, feeds)
        for (n, t, _), o, ref in zip(outputs, outs, refs):
            got = np.load(o)
            ref = np.asarray(ref)
            tag = f"{name} {n} batch {batch}"
            if got.dtype != ref.dtype or got.dtype != np.dtype(t):
                raise SystemExit(f"{tag}: dtype {got.dtype}, expected "
                                 f"{ref.dtype} ({np.dtype(t)})")
            if np.issubdtype(ref.dtype, np.floating):
                close(tag, got, ref, rtol=rtol, atol=atol)
            elif got.shape != ref.shape or not np.array_equal(got, ref):
                raise SystemExit(f"{tag}: got {got}, expected {ref}")
            else:
                print("%-44s ok  (exact, %s)" % (tag, source))


def neurona_gradients(neurona, model, xp, tp, prefix, names, loss="mse"):
    """Runs `neurona run --entry gradients` on `model` with the input and
    target files `xp` and `tp`; returns the loss and the gradients by
    parameter name (`names`, in the model's order), written to
    `prefix`_loss.npy and `prefix`_g<i>.npy."""
    outs = [prefix + "_loss.npy"] + [
        f"{prefix}_g{i}.npy" for i in range(len(names))]
    cmd = [neurona, "run", model, "--entry", "gradients", "--loss", loss,
           "--optimizer", "sgd", "--input", xp, "--input", tp]
    for o in outs:
        cmd += ["--output", o]
    run(cmd)
    return np.load(outs[0]), {n: np.load(o) for n, o in zip(names, outs[1:])}


def central_differences(f, params, h=1e-6):
    """Central finite differences of the scalar `f(params)` with respect to
    every entry of every parameter; `params` maps names to float64 NumPy
    arrays or PyTorch tensors, which f must accept. Float64 with h = 1e-6
    keeps the truncation error (~h^2) far below the tests' tolerances."""
    def copy(v):
        return v.copy() if isinstance(v, np.ndarray) else v.clone()

    fd = {}
    for n in params:
        g = np.zeros(tuple(params[n].shape))
        for idx in np.ndindex(g.shape):
            plus = {k: copy(v) for k, v in params.items()}
            minus = {k: copy(v) for k, v in params.items()}
            plus[n][idx] += h
            minus[n][idx] -= h
            g[idx] = (f(plus) - f(minus)) / (2 * h)
        fd[n] = g
    return fd


def close_gradients(tag, ours, fd, auto, cross_check=True):
    """Compares our float32 gradients (by name) with the float64 finite
    differences `fd` and autograd gradients `auto`, at 1e-4 * |ref| + 1e-5;
    with `cross_check`, the two references also with each other at 1e-6."""
    for n in ours:
        close(f"{tag} d{n} (finite differences)", ours[n], fd[n],
              rtol=1e-4, atol=1e-5)
        close(f"{tag} d{n} (torch autograd)", ours[n], auto[n],
              rtol=1e-4, atol=1e-5)
        if cross_check:
            close(f"{tag} d{n} (fd vs autograd)", fd[n], auto[n],
                  rtol=1e-6, atol=1e-7)


# --- Philox-4x32-10 as the compiled random ops draw it (docs/design.md) ---

M32 = np.uint64(0xFFFFFFFF)


def philox4x32_10(ctr, key):
    """Vectorised Philox-4x32-10: ctr is 4 uint64 arrays of 32-bit words,
    key 2 such words; returns the 4 output words."""
    c = [np.asarray(w, np.uint64) & M32 for w in ctr]
    k0, k1 = np.uint64(key[0]) & M32, np.uint64(key[1]) & M32
    for r in range(10):
        if r:
            k0 = (k0 + np.uint64(0x9E3779B9)) & M32
            k1 = (k1 + np.uint64(0xBB67AE85)) & M32
        p0 = np.uint64(0xD2511F53) * c[0]
        p1 = np.uint64(0xCD9E8D57) * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & M32,
             (p0 >> np.uint64(32)) ^ c[3] ^ k1, p0 & M32]
    return c


def blocks(seed, step, stream, shape):
    """Neurona's draw: key = seed words, counter = (index lo, index hi,
    stream, step lo) for the row-major index of each element."""
    idx = np.arange(int(np.prod(shape)), dtype=np.uint64)
    w = philox4x32_10([idx & M32, idx >> np.uint64(32),
                       np.full_like(idx, stream), np.full_like(idx, step & 0xFFFFFFFF)],
                      (seed & 0xFFFFFFFF, seed >> 32))
    return [x.reshape(shape) for x in w]


def normals(seed, step, stream, shape):
    w = blocks(seed, step, stream, shape)
    u1 = (w[0] >> np.uint64(8)).astype(np.float64) * 2.0 ** -24 + 2.0 ** -24
    u2 = (w[1] >> np.uint64(8)).astype(np.float64) * 2.0 ** -24
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)


def read_png(path):
    """An 8-bit greyscale PNG as a uint8 array, decoded by the spec."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 0), (depth, color)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    img = np.zeros((height, width), np.int32)
    prev = np.zeros(width, np.int32)
    for y in range(height):
        f = raw[y * (width + 1)]
        line = np.frombuffer(raw, np.uint8, width, y * (width + 1) + 1).astype(np.int32)
        out = np.zeros(width, np.int32)
        for x in range(width):
            a = out[x - 1] if x else 0
            b, c = prev[x], (prev[x - 1] if x else 0)
            if f == 0:
                pred = 0
            elif f == 1:
                pred = a
            elif f == 2:
                pred = b
            elif f == 3:
                pred = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[x] = (line[x] + pred) & 0xFF
        img[y], prev = out, out
    return img.astype(np.uint8)


def write_digits(shared, folder, train, test):
    """An IDX folder of the first `train` MNIST test digits as the training
    set and the next `test` as the test set (labels all 0), for short
    end-to-end runs."""
    import gzip
    os.makedirs(folder, exist_ok=True)
    mnist = os.path.join(os.path.abspath(shared), "data", "mnist")
    with gzip.open(os.path.join(mnist, "t10k-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    for split, part in (("train", images[:train]),
                        ("t10k", images[train:train + test])):
        with open(os.path.join(folder, f"{split}-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 2051, len(part), 28, 28) + part.tobytes())
        with open(os.path.join(folder, f"{split}-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 2049, len(part)) + bytes(len(part)))
