"""ConvTranspose (nn.conv_transpose2d): the forward pass matches onnxruntime
and PyTorch's conv_transpose2d, and the gradients match central finite
differences (float64) and PyTorch autograd (float64), at batch 1 and at a
larger batch.

Each case is an ONNX graph on an NCHW input x [N, C, H, W] with small random
sizes: a 1x1 Conv (so that the transposed convolution's input gradient
reaches a parameter) followed by a ConvTranspose whose stride, pads
(symmetric and not), output_padding, dilation, group and bias vary, or whose
output size comes from output_shape / auto_pad. The PyTorch reference crops
the unpadded transposed convolution explicitly (PyTorch's padding is
symmetric), so it shares no padding arithmetic with the importer.
Tolerances: forward |ours - ref| <= 1e-4 * |ref| + 1e-5; gradients as
gradients.py, 1e-4 * |ref| + 1e-5.
"""

import argparse
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

from nrtest import (central_differences, close, close_gradients,
                    neurona_gradients, run)

p = argparse.ArgumentParser()
p.add_argument("--neurona", required=True)
p.add_argument("--workdir", required=True)
args = p.parse_args()
os.makedirs(args.workdir, exist_ok=True)

rng = np.random.default_rng(31)


def torch_forward(P, x, geo):
    """1x1 conv, then the transposed convolution: PyTorch's with no padding,
    then output_padding zeros appended, the pads cropped and the bias
    added."""
    h = F.conv2d(x, P["W1"])
    s, d, g = geo["strides"], geo["dilations"], geo["group"]
    pt, pl, pb, pr = geo["pads"]
    op = geo["output_padding"]
    full = F.conv_transpose2d(h, P["W"], None, stride=s, dilation=d, groups=g)
    full = F.pad(full, (0, op[1], 0, op[0]))
    y = full[:, :, pt:full.shape[2] - pb, pl:full.shape[3] - pr]
    if "B" in P:
        y = y + P["B"].reshape(1, -1, 1, 1)
    return y


def check(name, in_shape, mid, out_channels, kernel, attrs, geo, bias=True):
    """`attrs` are the ConvTranspose node's attributes; `geo` the explicit
    geometry they mean (strides, pads, output_padding, dilations, group)."""
    c = in_shape[0]
    g = geo["group"]
    params = {
        "W1": (rng.standard_normal((mid, c, 1, 1)) / np.sqrt(c)).astype(np.float32),
        "W": (rng.standard_normal((mid, out_channels // g) + kernel) /
              np.sqrt(mid // g * kernel[0] * kernel[1])).astype(np.float32)}
    if bias:
        params["B"] = (rng.standard_normal(out_channels) * 0.3).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "W1"], ["h"]),
             helper.make_node("ConvTranspose",
                              ["h", "W"] + (["B"] if bias else []), ["y"],
                              **attrs)]
    p64 = {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}
    probe = torch_forward(p64, torch.zeros((1,) + tuple(in_shape),
                                           dtype=torch.float64), geo)
    out_shape = list(probe.shape[1:])
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"] + in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"] + out_shape)],
        [numpy_helper.from_array(v, k) for k, v in params.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(args.workdir, name + ".onnx")
    onnx.save(model, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = list(params)

    for batch in (1, int(rng.integers(2, 5))):
        tag = f"{name} batch {batch}"
        x = rng.standard_normal([batch] + in_shape).astype(np.float32)
        t = rng.standard_normal([batch] + out_shape).astype(np.float32)
        xp, tp, yp = [os.path.join(args.workdir, f"{name}_{batch}_{s}.npy")
                      for s in "xty"]
        np.save(xp, x)
        np.save(tp, t)

        run([args.neurona, "run", path, "--input", xp, "--output", yp])
        ours = np.load(yp)
        close(f"{tag} forward (onnxruntime)", ours,
              session.run(None, {"x": x})[0], rtol=1e-4, atol=1e-5)
        x64 = torch.tensor(x, dtype=torch.float64)
        with torch.no_grad():
            close(f"{tag} forward (torch)", ours,
                  torch_forward(p64, x64, geo).numpy(), rtol=1e-4, atol=1e-5)

        ours_loss, grads = neurona_gradients(
            args.neurona, path, xp, tp,
            os.path.join(args.workdir, f"{name}_{batch}"), names)
        t64 = torch.tensor(t, dtype=torch.float64)

        def f(P):
            with torch.no_grad():
                return float(((torch_forward(P, x64, geo) - t64) ** 2).mean())

        close(f"{tag} loss", ours_loss, f(p64), rtol=1e-5, atol=1e-6)
        fd = central_differences(f, p64)
        tp_ = {n: v.clone().requires_grad_(True) for n, v in p64.items()}
        ((torch_forward(tp_, x64, geo) - t64) ** 2).mean().backward()
        close_gradients(tag, grads, fd, {n: tp_[n].grad.numpy() for n in names},
                        cross_check=False)


def geometry(strides=(1, 1), pads=(0, 0, 0, 0), output_padding=(0, 0),
             dilations=(1, 1), group=1):
    return {"strides": list(strides), "pads": list(pads),
            "output_padding": list(output_padding),
            "dilations": list(dilations), "group": group}


check("convt_plain", [2, 4, 5], 3, 4, (3, 3), {}, geometry())
check("convt_stride_pad_outpad", [2, 5, 4], 4, 3, (3, 3),
      {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]},
      geometry((2, 2), (1, 1, 1, 1), (1, 1)))
check("convt_asymmetric", [3, 4, 5], 2, 3, (3, 2),
      {"strides": [3, 2], "pads": [0, 1, 2, 0], "output_padding": [2, 1]},
      geometry((3, 2), (0, 1, 2, 0), (2, 1)))
check("convt_dilation_groups_nobias", [2, 5, 5], 4, 6, (2, 3),
      {"dilations": [2, 1], "group": 2, "strides": [1, 2]},
      geometry((1, 2), dilations=(2, 1), group=2), bias=False)
# output_shape one larger than the windows reach: a trailing zero row and
# column (ONNX's formula gives pads [0, 0, -1, -1], i.e. output padding).
check("convt_output_shape", [1, 3, 3], 2, 2, (3, 3),
      {"strides": [3, 2], "output_shape": [10, 8]},
      geometry((3, 2), output_padding=(1, 1)))
# SAME_UPPER: output = input * stride, the odd total cropped at the end.
check("convt_same_upper", [2, 4, 3], 3, 2, (3, 3),
      {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
      geometry((2, 2), (0, 0, 1, 1)))
print("conv_transpose: onnxruntime, torch, finite differences and autograd agree")
