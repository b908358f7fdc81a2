#!/usr/bin/env python3
"""Trains the course's models with Neurona and with PyTorch on the same
recipe, the same data split and the same thread count, and prints the table
rows of models/README.md.

The data is what `neurona data MODEL --out DIR` writes from the model's
`data` section, so both systems see the same arrays; PyTorch standardizes
with the exported statistics, as the Neurona model does inside itself. The
PyTorch networks mirror the `.nn` files (Glorot-uniform weights and zero
biases, as the DSL's defaults), with the same optimizer, batch, epochs and
shuffling each epoch. Figures are means and population standard deviations
over the seeds; times are wall-clock seconds per run (training only for
PyTorch; Neurona's include compiling the model).

  bench/.venv/bin/python bench/course_models.py [--models houses,...]
      [--seeds 0,1,2] [--threads 1]

Use PyPI's torch (bench/.venv, from bench/setup.sh): Debian's python3-torch
is linked to the reference BLAS and its times mean nothing.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dense(sizes, act=nn.ReLU, out=None):
    layers = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        nn.init.xavier_uniform_(lin.weight)
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(act())
    if out:
        layers.append(out())
    return nn.Sequential(*layers)


class DropoutMLP(nn.Module):
    """dense(hidden, relu), dropout(rate), dense(1, sigmoid)."""

    def __init__(self, inputs, hidden, rate):
        super().__init__()
        self.net = dense([inputs, hidden, 1], out=nn.Sigmoid)
        self.net.insert(2, nn.Dropout(rate))

    def forward(self, x):
        return self.net(x)


def autoencoder(noise=0.0):
    net = dense([784, 128, 32, 128, 784], out=nn.Sigmoid)
    if not noise:
        return net

    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x):
            if self.training:
                x = x + noise * torch.randn_like(x)
            return self.net(x)

    return Noisy()


def conv(cin, cout, k, padding=0):
    c = nn.Conv2d(cin, cout, k, padding=padding)
    nn.init.xavier_uniform_(c.weight)
    nn.init.zeros_(c.bias)
    return c


def lenet():
    return nn.Sequential(conv(1, 6, 5, 2), nn.ReLU(), nn.MaxPool2d(2),
                         conv(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), dense([400, 120, 84, 10]))


def fashion_cnn():
    head = dense([2304, 128, 10])
    head.insert(2, nn.Dropout(0.5))
    return nn.Sequential(conv(1, 32, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
                         conv(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), head)


class SameConvTranspose(nn.Module):
    """conv2d_transpose(cout, k, stride=2, padding="same") of the DSL: the
    full transposed convolution with its last row and column cropped
    (PyTorch's own padding crops both sides alike)."""

    def __init__(self, cin, cout, k):
        super().__init__()
        self.c = nn.ConvTranspose2d(cin, cout, k, stride=2)
        nn.init.xavier_uniform_(self.c.weight)
        nn.init.zeros_(self.c.bias)
        self.crop = k - 2

    def forward(self, x):
        y = self.c(x)
        return y[:, :, :y.shape[2] - self.crop, :y.shape[3] - self.crop]


def conv_autoencoder():
    return nn.Sequential(conv(1, 16, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
                         conv(16, 8, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
                         SameConvTranspose(8, 8, 3), nn.ReLU(),
                         SameConvTranspose(8, 16, 3), nn.ReLU(),
                         conv(16, 1, 3, 1), nn.Sigmoid())


adam = lambda lr: (lambda p: torch.optim.Adam(p, lr=lr))
# name -> (torch network, loss, optimizer, batch, epochs, metric); the
# metric is what the table reports on the test set.
RECIPES = {
    "houses": (lambda: dense([18, 1]), "mse",
               lambda p: torch.optim.SGD(p, lr=0.001), 64, 10, "rmse"),
    "sentiment_logreg": (lambda: dense([2000, 1], out=nn.Sigmoid), "bce",
                         adam(0.001), 32, 20, "accuracy"),
    "sentiment_mlp": (lambda: DropoutMLP(2000, 64, 0.5), "bce", adam(0.001),
                      32, 10, "accuracy"),
    "fashion_mlp": (lambda: dense([784, 128, 10]), "ce", adam(0.001), 64, 5,
                    "accuracy"),
    "fashion_mlp_deep": (lambda: dense([784, 256, 128, 10]), "ce",
                         adam(0.001), 64, 10, "accuracy"),
    "fashion_dense10": (lambda: dense([784, 10, 10, 10]), "ce", adam(0.001),
                        64, 10, "accuracy"),
    "lenet": (lenet, "ce", adam(0.001), 64, 3, "accuracy"),
    "fashion_cnn": (fashion_cnn, "ce", adam(0.001), 64, 5, "accuracy"),
    "autoencoder": (autoencoder, "mse-input", adam(0.001), 64, 5, "mse"),
    "denoising_autoencoder": (lambda: autoencoder(0.3), "mse-input",
                              adam(0.001), 64, 5, "mse"),
    "conv_autoencoder": (conv_autoencoder, "mse-input", adam(0.001), 64, 3,
                         "mse"),
}


def run(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), proc.stdout,
                                               proc.stderr))
    return proc.stdout


def figure(metric, loss, acc):
    return {"rmse": np.sqrt(loss), "mse": loss}.get(metric, acc)


def neurona_run(neurona, model, seed, threads, work):
    env = dict(os.environ, NEURONA_NUM_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads))
    params = os.path.join(work, "p%d.npz" % seed)
    start = time.perf_counter()
    run([neurona, "train", model, "--seed", str(seed), "--quiet", "--save",
         params], env)
    seconds = time.perf_counter() - start
    out = run([neurona, "eval", model, "--params", params], env)
    loss = float(re.search(r"loss ([0-9.e+-]+)", out).group(1))
    acc = re.search(r"accuracy ([0-9.e+-]+)", out)
    return loss, float(acc.group(1)) if acc else float("nan"), seconds


def torch_run(recipe, d, seed):
    make, loss_kind, opt, batch, epochs, _ = recipe
    torch.manual_seed(seed)
    net = make()
    optimizer = opt(net.parameters())
    x, y = torch.from_numpy(d["train_x"]), torch.from_numpy(d["train_y"])
    xt, yt = torch.from_numpy(d["test_x"]), torch.from_numpy(d["test_y"])
    if x.dim() == 3:  # IDX images [N, H, W] for a model taking [N, 1, H, W]
        x, xt = x.unsqueeze(1), xt.unsqueeze(1)
    if "mean" in d:
        mean, std = torch.from_numpy(d["mean"]), torch.from_numpy(d["std"])
        x, xt = (x - mean) / std, (xt - mean) / std
    if loss_kind == "ce":
        lossf = nn.CrossEntropyLoss()
    elif loss_kind == "bce":
        lossf = nn.BCELoss()
        y, yt = y.float().reshape(-1, 1), yt.float().reshape(-1, 1)
    else:
        lossf = nn.MSELoss()
        if loss_kind == "mse-input":
            y, yt = x, xt
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            optimizer.zero_grad()
            lossf(net(x[idx]), y[idx]).backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        pred = net(xt)
        loss = float(lossf(pred, yt))
        if loss_kind == "ce":
            acc = float((pred.argmax(1) == yt).float().mean())
        elif loss_kind == "bce":
            acc = float(((pred > 0.5).float() == yt).float().mean())
        else:
            acc = float("nan")
    return loss, acc, seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--neurona", default=os.path.join(ROOT, "build/bin/neurona"))
    p.add_argument("--models", default=",".join(RECIPES))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    print("torch %s, %d thread(s), seeds %s" % (torch.__version__,
                                                args.threads, seeds))
    print("| model | metric | Neurona | s/run | PyTorch | s/run |")
    print("|---|---|---|---|---|---|")
    for name in args.models.split(","):
        recipe = RECIPES[name]
        metric = recipe[5]
        model = os.path.join(ROOT, "models", name + ".nn")
        with tempfile.TemporaryDirectory() as work:
            run([args.neurona, "data", model, "--out", work])
            d = {f[:-4]: np.load(os.path.join(work, f))
                 for f in os.listdir(work) if f.endswith(".npy")}
            ours, theirs = [], []
            for seed in seeds:
                loss, acc, s = neurona_run(args.neurona, model, seed,
                                           args.threads, work)
                ours.append((figure(metric, loss, acc), s))
                loss, acc, s = torch_run(recipe, d, seed)
                theirs.append((figure(metric, loss, acc), s))
        fmt = {"rmse": "%.0f", "mse": "%.5f"}.get(metric, "%.4f")
        def cell(rows):
            v = np.array([r[0] for r in rows])
            return (fmt + " ± " + fmt) % (v.mean(), v.std())
        print("| %s | test %s | %s | %.1f | %s | %.1f |" % (
            name, metric, cell(ours), np.mean([r[1] for r in ours]),
            cell(theirs), np.mean([r[1] for r in theirs])))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
