"""Masked recurrent layers against a float64 numpy reference: `rnn`, `lstm`
and `gru` after an embedding whose padding id masks the steps, with the
padding at the end, at the start and in the middle of rows, and a row of
padding only. A masked step keeps the state and outputs zeros
(docs/dsl.md), so the last state is the state after the row's last word.
Both results are checked: the last state alone (a model whose sequence
output is unused: its step loop once wrote both results into one buffer
and returned the zeroed output as the state) and every step's output."""

import argparse
import os

import numpy as np

from nrtest import close, run

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
W = args.workdir
os.makedirs(W, exist_ok=True)

T, F, H, V = 6, 3, 4, 10
ids = np.array([[3, 4, 5, 0, 0, 0],    # padding at the end
                [0, 0, 7, 8, 9, 2],    # at the start
                [1, 2, 0, 3, 4, 0],    # in the middle
                [0, 0, 0, 0, 0, 0]],   # nothing but padding
               np.int64)
np.save(os.path.join(W, "ids.npy"), ids)
rs = np.random.default_rng(0)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def reference(cell, P, row):
    E, Wx, R, B = (P[k].astype(np.float64) for k in
                   ("embedding0.weight", f"{cell}0.W", f"{cell}0.R",
                    f"{cell}0.B"))
    g = Wx.shape[0] // H
    Wb, Rb = B[:g * H], B[g * H:]
    h, c, ys = np.zeros(H), np.zeros(H), []
    for t in range(T):
        x = E[ids[row, t]]
        zx, zh = x @ Wx.T + Wb, h @ R.T + Rb
        if cell == "rnn":
            hn, cn = np.tanh(zx + zh), c
        elif cell == "lstm":   # ONNX's gate order i, o, f, c
            z = zx + zh
            i, o, f = (sigmoid(z[k * H:(k + 1) * H]) for k in range(3))
            cn = f * c + i * np.tanh(z[3 * H:])
            hn = o * np.tanh(cn)
        else:                  # GRU z, r, h with linear_before_reset
            zz = sigmoid(zx[:H] + zh[:H])
            r = sigmoid(zx[H:2 * H] + zh[H:2 * H])
            hh = np.tanh(zx[2 * H:] + r * zh[2 * H:])
            hn, cn = (1 - zz) * hh + zz * h, c
        if ids[row, t] != 0:
            h, c = hn, cn
            ys.append(hn)
        else:
            ys.append(np.zeros(H))
    return h, np.array(ys)


for cell, gates in (("rnn", 1), ("lstm", 4), ("gru", 3)):
    P = {"embedding0.weight": rs.standard_normal((V, F)),
         f"{cell}0.W": rs.standard_normal((gates * H, F)) * 0.5,
         f"{cell}0.R": rs.standard_normal((gates * H, H)) * 0.5,
         f"{cell}0.B": rs.standard_normal(2 * gates * H) * 0.1}
    P = {k: v.astype(np.float32) for k, v in P.items()}
    params = os.path.join(W, f"{cell}.npz")
    np.savez(params, **P)
    want = [reference(cell, P, n) for n in range(len(ids))]
    for sequences in (False, True):
        model = os.path.join(W, f"{cell}_{sequences}.nn")
        with open(model, "w") as f:
            f.write(f"model m {{\n  input ids: ids[{T}]\n"
                    f"  embedding({V}, {F})\n"
                    f"  {cell}({H}, return_sequences={str(sequences).lower()})\n"
                    f"  output y\n}}\n")
        out = os.path.join(W, f"{cell}_{sequences}.npy")
        run([args.neurona, "run", model, "--params", params, "--input",
             os.path.join(W, "ids.npy"), "--output", out])
        got = np.load(out)
        ref = np.array([w[1] if sequences else w[0] for w in want])
        close(f"{cell} {'sequence' if sequences else 'last state'}", got,
              ref, rtol=1e-5, atol=1e-6)
print("masked recurrent layers ok")
