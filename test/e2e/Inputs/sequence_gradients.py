"""Gradients of the sequence layers: embedding (with and without a padding
id), rnn, lstm and gru (masked by the padding id or not, last state or whole
sequence; gru with linear_before_reset 1 and 0) match central finite differences of a float64 NumPy reference
and PyTorch autograd (float64) at batch 1 and a larger batch.

Each case is a DSL model `ids -> embedding -> rnn|lstm -> [flatten] ->
dense` with random sizes and random parameters loaded from an .npz; the
MSE loss against a random target and the gradient of every parameter come
from `neurona run --entry gradients`. The references implement ONNX's
RNN/LSTM/GRU equations (gate orders i, o, f, c and z, r, h; W [G*H, F],
R [G*H, H], B = Wb ++ Rb) and Keras masking (a padded step keeps the state and outputs
zeros) independently of Neurona. Tolerances are those of gradients.py:
|ours - ref| <= 1e-4 * |ref| + 1e-5.
"""

import argparse
import os

import numpy as np
import torch

from nrtest import central_differences, close, close_gradients, run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)
rng = np.random.default_rng(7)


def sigmoid(z, lib):
    return 1 / (1 + lib.exp(-z))


def forward(P, ids, cell, padding, seqs, lib):
    """The model in NumPy or PyTorch (float64)."""
    table = P["emb.weight"]
    x = table[ids if lib is np else torch.as_tensor(ids)]   # [N, T, D]
    n, steps = ids.shape
    m = (ids != padding).astype(np.float64) if padding >= 0 else np.ones(ids.shape)
    if lib is torch:
        m = torch.tensor(m)
    W, R, B = P["rec.W"], P["rec.R"], P["rec.B"]
    G = {"lstm": 4, "rnn": 1}.get(cell, 3)
    H = R.shape[1]
    bias = B[:G * H] + B[G * H:]
    h = lib.zeros((n, H), dtype=lib.float64)
    c = lib.zeros((n, H), dtype=lib.float64)
    ys = []
    for t in range(steps):
        mt = m[:, t][:, None]
        if cell.startswith("gru"):
            # ONNX's GRU, gates z, r, h; "gru" has linear_before_reset=1.
            Wb, Rb = B[:3 * H], B[3 * H:]
            xw = x[:, t] @ W.T + Wb
            hr = h @ R[:2 * H].T + Rb[:2 * H]
            zg = sigmoid(xw[:, :H] + hr[:, :H], lib)
            rg = sigmoid(xw[:, H:2 * H] + hr[:, H:], lib)
            if cell == "gru":
                cand = lib.tanh(xw[:, 2 * H:] + rg * (h @ R[2 * H:].T + Rb[2 * H:]))
            else:
                cand = lib.tanh(xw[:, 2 * H:] + (rg * h) @ R[2 * H:].T + Rb[2 * H:])
            hn = (1 - zg) * cand + zg * h
            h = mt * hn + (1 - mt) * h
            ys.append(mt * hn)
            continue
        z = x[:, t] @ W.T + h @ R.T + bias
        if cell == "rnn":
            hn = lib.tanh(z)
        else:
            i, o, f = (sigmoid(z[:, k * H:(k + 1) * H], lib) for k in range(3))
            cc = lib.tanh(z[:, 3 * H:])
            cn = f * c + i * cc
            hn = o * lib.tanh(cn)
            c = mt * cn + (1 - mt) * c
        h = mt * hn + (1 - mt) * h
        ys.append(mt * hn)
    if seqs:
        feats = lib.stack(ys, 1).reshape(n, steps * H)
    else:
        feats = h
    return feats @ P["out.weight"] + P["out.bias"]


def check(name, cell, padding, seqs):
    V, D, H = int(rng.integers(4, 9)), int(rng.integers(2, 5)), int(rng.integers(2, 5))
    T, C = int(rng.integers(3, 6)), int(rng.integers(2, 4))
    G = {"lstm": 4, "rnn": 1}.get(cell, 3)
    layer = "gru" if cell.startswith("gru") else cell
    extra = ", linear_before_reset=false" if cell == "gru0" else ""
    layers = [f"emb = embedding({V}, {D}, padding_idx={padding})",
              f"rec = {layer}({H}, return_sequences={'true' if seqs else 'false'}{extra})"]
    if seqs:
        layers.append("flatten()")
    layers.append(f"out = dense({C})")
    src = "model seq {\n  input words: ids[%d]\n  %s\n  output y\n}\n" % (
        T, "\n  ".join(layers))
    path = os.path.join(args.workdir, name + ".nn")
    with open(path, "w") as f:
        f.write(src)
    P = {"emb.weight": rng.standard_normal((V, D)) * 0.7,
         "rec.W": rng.standard_normal((G * H, D)) * 0.6,
         "rec.R": rng.standard_normal((G * H, H)) * 0.6,
         "rec.B": rng.standard_normal(2 * G * H) * 0.3,
         "out.weight": rng.standard_normal(((T if seqs else 1) * H, C)) * 0.5,
         "out.bias": rng.standard_normal(C) * 0.3}
    P = {k: v.astype(np.float32) for k, v in P.items()}
    npz = os.path.join(args.workdir, name + ".npz")
    np.savez(npz, **P)
    names = list(P)
    for batch in (1, int(rng.integers(3, 7))):
        tag = f"{name} batch {batch}"
        ids = rng.integers(0 if padding < 0 else 1, V, (batch, T)).astype(np.int64)
        if padding >= 0:
            # Post-padding of random length, and one padded step inside.
            for r in range(batch):
                k = int(rng.integers(1, T + 1))
                ids[r, k:] = padding
            if T > 2:
                ids[0, 1] = padding
        tgt = rng.standard_normal((batch, C)).astype(np.float32)
        base = os.path.join(args.workdir, f"{name}_{batch}")
        np.save(base + "_x.npy", ids)
        np.save(base + "_t.npy", tgt)
        outs = [base + "_loss.npy"] + [f"{base}_g{i}.npy" for i in range(len(names))]
        cmd = [args.neurona, "run", path, "--entry", "gradients", "--loss", "mse",
               "--optimizer", "sgd", "--params", npz, "--input", base + "_x.npy",
               "--input", base + "_t.npy"]
        for o in outs:
            cmd += ["--output", o]
        run(cmd)
        ours = {n: np.load(o) for n, o in zip(names, outs[1:])}
        p64 = {n: v.astype(np.float64) for n, v in P.items()}
        t64 = tgt.astype(np.float64)
        f = lambda Q: ((forward(Q, ids, cell, padding, seqs, np) - t64) ** 2).mean()
        close(f"{tag} loss", np.load(outs[0]), f(p64), rtol=1e-5, atol=1e-6)
        fd = central_differences(f, p64)
        tp = {n: torch.tensor(v, requires_grad=True) for n, v in p64.items()}
        loss = ((forward(tp, ids, cell, padding, seqs, torch) -
                 torch.tensor(t64)) ** 2).mean()
        loss.backward()
        close_gradients(tag, ours, fd, {n: tp[n].grad.numpy() for n in names})
        if padding >= 0:
            row = ours["emb.weight"][padding]
            if np.any(row != 0):
                raise SystemExit(f"{tag}: the padding row got a gradient")


check("lstm_masked_last", "lstm", 0, False)
check("lstm_unmasked_seq", "lstm", -1, True)
check("lstm_masked_seq", "lstm", 0, True)
check("rnn_masked_last", "rnn", 0, False)
check("rnn_unmasked_seq", "rnn", -1, True)
check("gru_masked_last", "gru", 0, False)
check("gru_unmasked_seq", "gru", -1, True)
check("gru_reset_first_masked_seq", "gru0", 0, True)
print("sequence gradients ok")
