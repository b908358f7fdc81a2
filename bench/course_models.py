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
import csv
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


class VAE(nn.Module):
    """models/vae.nn: 784-400-(mu, logvar: 16)-400-784, PyTorch's VAE
    example with a 16-number code."""

    def __init__(self):
        super().__init__()
        self.enc = dense([784, 400, 400])[:2]
        self.mu, self.logvar = dense([400, 16]), dense([400, 16])
        self.dec = dense([16, 400, 784], out=nn.Sigmoid)

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) \
            if self.training else mu
        return self.dec(z), mu, logvar


def vae_loss(x, recon, mu, logvar):
    """Summed over the batch: BCE over the pixels + KL (Kingma & Welling,
    appendix B), as the PyTorch example; divided by the samples it is the
    per-image figure."""
    bce = nn.functional.binary_cross_entropy(recon, x, reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def torch_vae(d, seed, epochs=10, batch=128):
    torch.manual_seed(seed)
    net = VAE()
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
    x, xt = torch.from_numpy(d["train_x"]), torch.from_numpy(d["test_x"])
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        total = 0.0
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            xb = x[order[i:i + batch]]
            opt.zero_grad()
            loss = vae_loss(xb, *net(xb))
            loss.backward()
            opt.step()
            total += loss.item()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        recon = net(xt)[0]
        test = float(nn.functional.binary_cross_entropy(
            recon, xt, reduction="sum")) / len(xt)
    return total / len(x), test, seconds


def torch_gan(d, seed, epochs=3, batch=64):
    """models/gan.nn: G 64-256-784 (leaky_relu 0.2, sigmoid), D 784-256-1
    (leaky_relu 0.2, logits); Adam(2e-4, betas=(0.5, 0.999)); per batch
    one D step on real and generated samples, then one G step on fresh
    noise (non-saturating loss). Returns each epoch's mean D and G loss."""
    torch.manual_seed(seed)
    G = dense([64, 256, 784], act=lambda: nn.LeakyReLU(0.2), out=nn.Sigmoid)
    D = dense([784, 256, 1], act=lambda: nn.LeakyReLU(0.2))
    og = torch.optim.Adam(G.parameters(), lr=0.0002, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), lr=0.0002, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    x = torch.from_numpy(d["train_x"])
    gen = torch.Generator().manual_seed(seed)
    history = []
    start = time.perf_counter()
    for _ in range(epochs):
        dsum = gsum = 0.0
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            xb = x[order[i:i + batch]]
            n = len(xb)
            od.zero_grad()
            real, fake = D(xb), D(G(torch.randn(n, 64)).detach())
            errd = bce(real, torch.ones_like(real)) + \
                bce(fake, torch.zeros_like(fake))
            errd.backward()
            od.step()
            og.zero_grad()
            score = D(G(torch.randn(n, 64)))
            errg = bce(score, torch.ones_like(score))
            errg.backward()
            og.step()
            dsum += float(errd) * n
            gsum += float(errg) * n
        history.append((dsum / len(x), gsum / len(x)))
    return history, time.perf_counter() - start


def generative_row(name, neurona, threads, seed):
    """The rows of the VAE (train loss per image, last epoch; test
    reconstruction BCE per image) and the GAN (D and G losses, first and
    last epoch): one seed, both systems."""
    model = os.path.join(ROOT, "models", name + ".nn")
    env = dict(os.environ, NEURONA_NUM_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as work:
        run([neurona, "data", model, "--out", work])
        d = {f[:-4]: np.load(os.path.join(work, f))
             for f in os.listdir(work) if f.endswith(".npy")}
        params, curves = (os.path.join(work, f) for f in ("p.npz", "c.csv"))
        start = time.perf_counter()
        run([neurona, "train", model, "--seed", str(seed), "--quiet", "--save",
             params, "--curves", curves], env)
        seconds = time.perf_counter() - start
        rows = list(csv.DictReader(open(curves)))
        if name == "vae":
            out = run([neurona, "eval", model, "--params", params], env)
            test = float(re.search(r"loss ([0-9.e+-]+)", out).group(1))
            ours = "%.1f (test %.1f)" % (float(rows[-1]["loss"]), test)
            loss, test, tseconds = torch_vae(d, seed)
            theirs = "%.1f (test %.1f)" % (loss, test)
            metric = "loss per image, last epoch"
        else:
            ours = "D %.2f -> %.2f, G %.2f -> %.2f" % (
                float(rows[0]["d_loss"]), float(rows[-1]["d_loss"]),
                float(rows[0]["g_loss"]), float(rows[-1]["g_loss"]))
            history, tseconds = torch_gan(d, seed)
            theirs = "D %.2f -> %.2f, G %.2f -> %.2f" % (
                history[0][0], history[-1][0], history[0][1], history[-1][1])
            metric = "losses, epoch 1 -> last"
    print("| %s | %s (seed %d) | %s | %.1f | %s | %.1f |" % (
        name, metric, seed, ours, seconds, theirs, tseconds))
    sys.stdout.flush()


class Translate(nn.Module):
    """models/translate_lstm.nn: embeddings U(-0.05, 0.05), LSTMs with
    Glorot input weights, orthogonal recurrent weights and a forget bias of
    1 (PyTorch orders the gates i, f, g, o), a Glorot dense layer. The
    encoder reads packed sequences, so its state is the one after the last
    word, as the masked nn.lstm's; the decoder's padded steps only reach
    ignored labels."""

    def __init__(self, vs=4000, vt=5000, emb=128, hidden=256):
        super().__init__()
        self.src_emb = nn.Embedding(vs, emb)
        self.tgt_emb = nn.Embedding(vt, emb)
        self.enc = nn.LSTM(emb, hidden, batch_first=True)
        self.dec = nn.LSTM(emb, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vt)
        for e in (self.src_emb, self.tgt_emb):
            nn.init.uniform_(e.weight, -0.05, 0.05)
        for lstm in (self.enc, self.dec):
            nn.init.xavier_uniform_(lstm.weight_ih_l0)
            nn.init.orthogonal_(lstm.weight_hh_l0)
            nn.init.zeros_(lstm.bias_ih_l0)
            nn.init.zeros_(lstm.bias_hh_l0)
            with torch.no_grad():
                lstm.bias_ih_l0[hidden:2 * hidden] = 1.0
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, src, tgt_in):
        lengths = (src != 0).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(
            self.src_emb(src), lengths, batch_first=True, enforce_sorted=False)
        _, state = self.enc(packed)
        seq, _ = self.dec(self.tgt_emb(tgt_in), state)
        return self.out(seq)


def translation_row(neurona, threads, seed, epochs=8, batch=64):
    """models/translate_lstm.nn against Translate on the exported arrays:
    test token cross-entropy (padding ignored) and token accuracy."""
    model = os.path.join(ROOT, "models", "translate_lstm.nn")
    with tempfile.TemporaryDirectory() as work:
        run([neurona, "data", model, "--out", work])
        d = {f[:-4]: torch.from_numpy(np.load(os.path.join(work, f)))
             for f in os.listdir(work) if f.endswith(".npy")}
        loss, acc, seconds = neurona_run(neurona, model, seed, threads, work)
    ours = "%.4f / %.4f" % (loss, acc)
    torch.manual_seed(seed)
    net = Translate()
    opt = torch.optim.Adam(net.parameters(), lr=0.002)
    lossf = nn.CrossEntropyLoss(ignore_index=0)
    gen = torch.Generator().manual_seed(seed)
    x, x1, y = d["train_x"], d["train_x1"], d["train_y"]
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            logits = net(x[idx], x1[idx])
            lossf(logits.reshape(-1, logits.shape[-1]),
                  y[idx].reshape(-1)).backward()
            opt.step()
    tseconds = time.perf_counter() - start
    with torch.no_grad():
        logits = net(d["test_x"], d["test_x1"])
        yt = d["test_y"]
        tloss = float(lossf(logits.reshape(-1, logits.shape[-1]),
                            yt.reshape(-1)))
        keep = yt != 0
        tacc = float((logits.argmax(-1) == yt)[keep].float().mean())
    theirs = "%.4f / %.4f" % (tloss, tacc)
    print("| translate_lstm | test token loss / token accuracy (seed %d) | "
          "%s | %.1f | %s | %.1f |" % (seed, ours, seconds, theirs, tseconds))
    sys.stdout.flush()


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
    p.add_argument("--models", default=",".join(
        list(RECIPES) + ["vae", "gan", "translate_lstm"]))
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
        if name in ("vae", "gan"):
            generative_row(name, args.neurona, args.threads, seeds[0])
            continue
        if name == "translate_lstm":
            translation_row(args.neurona, args.threads, seeds[0])
            continue
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
