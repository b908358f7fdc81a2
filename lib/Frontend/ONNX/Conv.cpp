//===- Conv.cpp - ONNX Conv, ConvTranspose and the pools ------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// 1-D and 2-D convolutions and pools on NCL / NCHW tensors. ONNX's
// attributes map one to one onto the 2-D `nn` ops' (`pads` is [top, left,
// bottom, right] in both); a 1-D node runs as the 2-D op on a unit-height
// image, its attributes lifted ([s] -> [1, s], pads [b, e] -> [0, b, 0, e]),
// which adds no cost and no op of its own (the reshapes are free). auto_pad
// SAME_UPPER / SAME_LOWER / VALID become explicit pads at import, by ONNX's
// formula, since shapes are static there; ConvTranspose's SAME_* and
// `output_shape` fix its output size, from which the pads follow. Dilated
// pools, pools over 3 or more spatial axes and MaxPool's Indices output are
// built from strided slices (poolBySlices, maxPoolWithIndices).
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "TensorBlocks.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

/// INTS attribute `name` with `size` entries, or `defaultValue` when absent.
/// `spatial` (1 or 2) is the window's rank, for messages.
static Expected<SmallVector<int64_t>>
intsAttribute(const NodeContext &node, llvm::StringRef name, size_t size,
              ArrayRef<int64_t> defaultValue, int64_t spatial = 2) {
  const onnx::AttributeProto *attr = node.findAttribute(name);
  if (!attr)
    return SmallVector<int64_t>(defaultValue);
  if (attr->type() != onnx::AttributeProto::INTS)
    return node.error("attribute '" + name + "' must be INTS");
  if (static_cast<size_t>(attr->ints_size()) != size)
    return node.error(llvm::formatv("attribute '{0}' must have {1} values for "
                                    "a {2}-D window, got {3}",
                                    name, size, spatial, attr->ints_size()));
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

/// The number of spatial axes of input 0 (N x C x D1 ...): 1 or 2. A 1-D
/// node runs as the 2-D op on a unit-height image (NCL -> NC1L), with its
/// attributes lifted by `lift` / `liftPads`.
static Expected<int64_t> spatialRank(NodeContext &node) {
  auto shape = node.inputShape(0);
  if (!shape)
    return shape.takeError();
  if (shape->size() != 3 && shape->size() != 4)
    return node.error("only 1-D and 2-D images (NCL or NCHW, rank 3 or 4) are "
                      "supported; X is " +
                      formatShape(*shape));
  return static_cast<int64_t>(shape->size()) - 2;
}

/// A per-axis list of a 1-D window ([v]) as the 2-D one ([unit, v]).
static SmallVector<int64_t> lift(ArrayRef<int64_t> values, int64_t spatial,
                                 int64_t unit) {
  SmallVector<int64_t> out(values);
  if (spatial == 1)
    out.insert(out.begin(), unit);
  return out;
}

/// 1-D pads [begin, end] as 2-D [top, left, bottom, right] = [0, b, 0, e].
static SmallVector<int64_t> liftPads(ArrayRef<int64_t> pads, int64_t spatial) {
  if (spatial != 1)
    return SmallVector<int64_t>(pads);
  return {0, pads[0], 0, pads[1]};
}

/// `value` (N x C x L) as N x C x 1 x L when the node is 1-D.
static Value toImage(NodeContext &node, Value value, int64_t spatial) {
  if (spatial != 1)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + 2, 1);
  return nn::ReshapeOp::create(
      node.builder(), node.loc(),
      RankedTensorType::get(shape, type.getElementType()), value);
}

/// The 2-D result of a 1-D node back as N x C x L.
static Value fromImage(NodeContext &node, Value value, int64_t spatial) {
  if (spatial != 1)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + 2);
  return nn::ReshapeOp::create(
      node.builder(), node.loc(),
      RankedTensorType::get(shape, type.getElementType()), value);
}

/// The window attributes Conv and the pools share, with ONNX's defaults,
/// lifted to 2-D.
struct WindowAttrs {
  SmallVector<int64_t> strides, pads, dilations;
};

/// The window attributes as written, for a `spatial`-D window.
static Expected<WindowAttrs> rawWindowAttributes(const NodeContext &node,
                                                 int64_t spatial) {
  SmallVector<int64_t> ones(spatial, 1), zeros(2 * spatial, 0);
  auto strides = intsAttribute(node, "strides", spatial, ones, spatial);
  if (!strides)
    return strides.takeError();
  auto pads = intsAttribute(node, "pads", 2 * spatial, zeros, spatial);
  if (!pads)
    return pads.takeError();
  auto dilations = intsAttribute(node, "dilations", spatial, ones, spatial);
  if (!dilations)
    return dilations.takeError();
  for (int64_t v : llvm::concat<const int64_t>(*strides, *dilations))
    if (v <= 0)
      return node.error("strides and dilations must be positive");
  for (int64_t v : *pads)
    if (v < 0)
      return node.error("pads must not be negative");
  return WindowAttrs{std::move(*strides), std::move(*pads),
                     std::move(*dilations)};
}

static Expected<WindowAttrs> windowAttributes(const NodeContext &node,
                                              int64_t spatial) {
  auto raw = rawWindowAttributes(node, spatial);
  if (!raw)
    return raw.takeError();
  return WindowAttrs{lift(raw->strides, spatial, 1),
                     liftPads(raw->pads, spatial),
                     lift(raw->dilations, spatial, 1)};
}

/// `auto_pad`: NOTSET (absent), VALID, SAME_UPPER or SAME_LOWER.
static Expected<std::string> autoPadAttribute(const NodeContext &node) {
  const onnx::AttributeProto *attr = node.findAttribute("auto_pad");
  if (!attr)
    return std::string("NOTSET");
  if (attr->type() != onnx::AttributeProto::STRING)
    return node.error("attribute 'auto_pad' must be a STRING");
  std::string mode = attr->s();
  if (mode != "NOTSET" && mode != "VALID" && mode != "SAME_UPPER" &&
      mode != "SAME_LOWER")
    return node.error("unsupported attribute value: auto_pad '" + mode +
                      "' (expected NOTSET, VALID, SAME_UPPER or SAME_LOWER)");
  if (mode != "NOTSET" && node.findAttribute("pads"))
    return node.error("attributes 'pads' and auto_pad '" + mode +
                      "' exclude each other");
  return mode;
}

/// Conv's and the pools' pads for auto_pad `mode` on the spatial `size`
/// (pads: all begins, then all ends), as ONNX defines them: VALID pads nothing; SAME_* pads so that the
/// output is ceil(size / stride), total = max(0, (out - 1) * stride +
/// (kernel - 1) * dilation + 1 - size), split with the odd one at the end
/// for SAME_UPPER and at the start for SAME_LOWER. NOTSET keeps `pads`.
static void resolveAutoPad(llvm::StringRef mode, ArrayRef<int64_t> size,
                           ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> dilations,
                           SmallVectorImpl<int64_t> &pads) {
  if (mode == "NOTSET")
    return;
  int64_t n = size.size();
  pads.assign(2 * n, 0);
  if (mode == "VALID")
    return;
  for (int64_t d = 0; d < n; ++d) {
    int64_t out = (size[d] + strides[d] - 1) / strides[d];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 -
               size[d]);
    int64_t small = total / 2;
    pads[d] = mode == "SAME_UPPER" ? small : total - small;
    pads[d + n] = total - pads[d];
  }
}

/// X, W and the optional B of Conv and ConvTranspose, X and W as 2-D images
/// (a 1-D node's with a unit height), and `kernel_shape`, redundant with
/// W's shape, checked against it (a mismatch is a broken model).
static Expected<std::tuple<Value, Value, Value>>
convOperands(NodeContext &node, int64_t spatial) {
  auto xw = node.inputs<2>();
  if (!xw)
    return xw.takeError();
  auto [x, w] = *xw;
  Value bias;
  if (node.hasInput(2)) {
    auto value = node.input(2);
    if (!value)
      return value.takeError();
    bias = *value;
  }
  auto wType = cast<RankedTensorType>(w.getType());
  if (wType.getRank() != spatial + 2)
    return node.error(llvm::formatv("W is {0}; a {1}-D convolution needs a "
                                    "rank-{2} W",
                                    formatShape(wType), spatial, spatial + 2));
  if (node.findAttribute("kernel_shape")) {
    auto kernel = intsAttribute(node, "kernel_shape", spatial, {}, spatial);
    if (!kernel)
      return kernel.takeError();
    if (!llvm::equal(*kernel, wType.getShape().drop_front(2)))
      return node.error("kernel_shape " + formatShape(*kernel) +
                        " does not match W of shape " + formatShape(wType));
  }
  return std::make_tuple(toImage(node, x, spatial), toImage(node, w, spatial),
                         bias);
}

static Error importConv(NodeContext &node) {
  if (Error err = node.checkSignature(
          {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
          2, 3))
    return err;
  auto spatial = spatialRank(node);
  if (!spatial)
    return spatial.takeError();
  auto autoPad = autoPadAttribute(node);
  if (!autoPad)
    return autoPad.takeError();
  auto window = windowAttributes(node, *spatial);
  if (!window)
    return window.takeError();
  auto group = node.intAttribute("group", 1);
  if (!group)
    return group.takeError();

  auto operands = convOperands(node, *spatial);
  if (!operands)
    return operands.takeError();
  auto [x, w, bias] = *operands;
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  resolveAutoPad(*autoPad, xType.getShape().drop_front(2),
                 wType.getShape().drop_front(2), window->strides,
                 window->dilations, window->pads);
  ArrayRef<int64_t> strides = window->strides, pads = window->pads,
                    dilations = window->dilations;
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferConv2d(loc, x.getType(), w.getType(),
                                   bias ? bias.getType() : Type(), strides,
                                   pads, dilations, *group, types);
          }))
    return err;
  OpBuilder &b = node.builder();
  Value y = nn::Conv2dOp::create(
      b, node.loc(), x, w, bias, b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(dilations),
      b.getI64IntegerAttr(*group));
  return node.setOutput(0, fromImage(node, y, *spatial));
}

/// ConvTranspose: `nn.conv_transpose2d`. With `output_shape` or auto_pad
/// SAME_UPPER / SAME_LOWER (output = input * stride) the pads come from
/// ONNX's formula: total = stride * (in - 1) + output_padding + (kernel - 1)
/// * dilation + 1 - out, split with the odd one at the end for SAME_UPPER
/// and at the start otherwise. A negative end pad (an output larger than
/// the windows reach) becomes output padding.
static Error importConvTranspose(NodeContext &node) {
  if (Error err = node.checkSignature(
          {"auto_pad", "dilations", "group", "kernel_shape", "output_padding",
           "output_shape", "pads", "strides"},
          2, 3))
    return err;
  auto spatial = spatialRank(node);
  if (!spatial)
    return spatial.takeError();
  auto window = windowAttributes(node, *spatial);
  if (!window)
    return window.takeError();
  SmallVector<int64_t> strides = window->strides, pads = window->pads,
                       dilations = window->dilations;
  auto outputPadding = intsAttribute(node, "output_padding", *spatial,
                                     SmallVector<int64_t>(*spatial, 0),
                                     *spatial);
  if (!outputPadding)
    return outputPadding.takeError();
  *outputPadding = lift(*outputPadding, *spatial, 0);
  auto group = node.intAttribute("group", 1);
  if (!group)
    return group.takeError();
  auto autoPadMode = autoPadAttribute(node);
  if (!autoPadMode)
    return autoPadMode.takeError();
  std::string autoPad = *autoPadMode;
  bool explicitPads = node.findAttribute("pads") != nullptr;
  if (autoPad == "VALID")
    pads.assign(4, 0);

  auto operands = convOperands(node, *spatial);
  if (!operands)
    return operands.takeError();
  auto [x, w, bias] = *operands;
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());

  // The output size the pads must produce, when the node fixes it.
  SmallVector<int64_t> outShape;
  if (const onnx::AttributeProto *attr = node.findAttribute("output_shape")) {
    if (attr->type() != onnx::AttributeProto::INTS)
      return node.error("attribute 'output_shape' must be INTS");
    if (explicitPads)
      return node.error("attributes 'output_shape' and 'pads' exclude each "
                        "other (output_shape determines the pads)");
    // ONNX allows the full [N, C, H, W] as well as [H, W].
    outShape.assign(attr->ints().begin(), attr->ints().end());
    if (static_cast<int64_t>(outShape.size()) == *spatial + 2)
      outShape.erase(outShape.begin(), outShape.begin() + 2);
    if (static_cast<int64_t>(outShape.size()) != *spatial)
      return node.error(llvm::formatv("attribute 'output_shape' must have {0} "
                                      "values for a {0}-D image, got {1}",
                                      *spatial, attr->ints_size()));
    outShape = lift(outShape, *spatial, 1);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int64_t d = 0; d < 2; ++d)
      outShape.push_back(xType.getDimSize(2 + d) * strides[d]);
  }
  for (int64_t d = 0; d < 2 && !outShape.empty(); ++d) {
    int64_t total = strides[d] * (xType.getDimSize(2 + d) - 1) +
                    (*outputPadding)[d] +
                    (wType.getDimSize(2 + d) - 1) * dilations[d] + 1 -
                    outShape[d];
    // Python's floor division, as ONNX's reference.
    int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
    int64_t before = autoPad == "SAME_UPPER" ? half : total - half;
    int64_t after = total - before;
    if (before < 0)
      return node.error(llvm::formatv(
          "an output of {0} along axis {1} would need negative leading "
          "padding ({2}); only extra trailing rows are supported",
          outShape[d], d + 2, before));
    if (after < 0) {
      (*outputPadding)[d] -= after;
      after = 0;
    }
    pads[d] = before;
    pads[d + 2] = after;
  }
  for (int64_t d = 0; d < 2; ++d)
    if ((*outputPadding)[d] >= strides[d])
      return node.error(llvm::formatv(
          "unsupported attribute value: output padding {0} along axis {1} "
          "(from 'output_padding' or 'output_shape') must be smaller than "
          "the stride {2}",
          (*outputPadding)[d], d + 2, strides[d]));
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferConvTranspose2d(
                loc, x.getType(), w.getType(), bias ? bias.getType() : Type(),
                strides, pads, *outputPadding, dilations, *group, types);
          }))
    return err;
  OpBuilder &b = node.builder();
  Value y = nn::ConvTranspose2dOp::create(
      b, node.loc(), x, w, bias, b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(*outputPadding),
      b.getDenseI64ArrayAttr(dilations), b.getI64IntegerAttr(*group));
  return node.setOutput(0, fromImage(node, y, *spatial));
}

/// MaxPool or AveragePool of `x` (N x C x D1 ... Dn) as n one-axis pools,
/// each the maximum or the sum of `kernel` strided slices of the input
/// padded along that axis (with -inf for max, 0 for average), the sum then
/// divided by its per-position count of taps (inside the input, or inside
/// the padded input with count_include_pad). Max is separable over a box
/// window, and so is the average: its count is the product of the per-axis
/// counts. Used for dilated and 3-D and higher pools, which have no `nn`
/// op; the slices, concatenations and arithmetic are differentiable `nn`
/// ops, so such a pool trains. ceil_mode follows ONNX's output size (the
/// last window starts inside the input or its leading padding) with the
/// windows where a floor-mode pool puts them (onnxruntime's and PyTorch's
/// reading).
static Expected<Value> poolBySlices(NodeContext &node, Value x, bool isMax,
                                    ArrayRef<int64_t> kernel,
                                    const WindowAttrs &window, bool ceilMode,
                                    bool countIncludePad) {
  int64_t n = kernel.size();
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value y = x;
  for (int64_t a = 0; a < n; ++a) {
    int64_t axis = a + 2;
    auto type = cast<RankedTensorType>(y.getType());
    int64_t size = type.getDimSize(axis);
    int64_t k = kernel[a], s = window.strides[a], d = window.dilations[a];
    int64_t p0 = window.pads[a], p1 = window.pads[a + n];
    if (k <= 0)
      return node.error("kernel_shape must be positive");
    if (k == 1 && s == 1 && p0 == 0 && p1 == 0)
      continue; // The identity along this axis.
    int64_t span = (k - 1) * d + 1;
    int64_t padded = size + p0 + p1;
    if (span > padded)
      return node.error(llvm::formatv(
          "a window spanning {0} along axis {1} is larger than the padded "
          "input ({2})",
          span, axis, padded));
    if (p0 >= span || p1 >= span)
      return node.error(llvm::formatv("pads {0}/{1} along axis {2} reach a "
                                      "whole window ({3}) into the padding",
                                      p0, p1, axis, span));
    int64_t out = (padded - span) / s + 1;
    if (ceilMode) {
      int64_t up = (padded - span + s - 1) / s + 1;
      if ((up - 1) * s >= size + p0)
        --up;
      out = up;
    }
    int64_t extra = std::max<int64_t>(0, (out - 1) * s + span - padded);

    TensorValue fill;
    fill.dataType = onnx::TensorProto::FLOAT;
    fill.floats.push_back(isMax ? -std::numeric_limits<float>::infinity()
                                : 0.0f);
    auto block = [&](int64_t length) {
      SmallVector<int64_t> shape(type.getShape());
      shape[axis] = length;
      return filled(node, y, shape, fill);
    };
    SmallVector<Value> parts;
    if (p0)
      parts.push_back(block(p0));
    parts.push_back(y);
    if (p1 + extra)
      parts.push_back(block(p1 + extra));
    Value source = concatAxis(node, parts, axis);

    Value acc;
    for (int64_t j = 0; j < k; ++j) {
      Value tap = sliceAxis(node, source, axis, j * d, j * d + (out - 1) * s + 1,
                            s);
      if (!acc)
        acc = tap;
      else if (isMax)
        acc = nn::MaximumOp::create(b, loc, acc, tap);
      else
        acc = nn::AddOp::create(b, loc, acc, tap);
    }
    if (!isMax) {
      TensorValue counts;
      counts.dataType = onnx::TensorProto::FLOAT;
      counts.dims.assign(type.getRank(), 1);
      counts.dims[axis] = out;
      for (int64_t o = 0; o < out; ++o) {
        int64_t count = 0;
        for (int64_t j = 0; j < k; ++j) {
          int64_t pos = o * s + j * d;
          count += pos < padded &&
                   (countIncludePad || (pos >= p0 && pos < p0 + size));
        }
        if (count == 0)
          return node.error(llvm::formatv("output {0} along axis {1} has a "
                                          "window wholly in the padding",
                                          o, axis));
        counts.floats.push_back(static_cast<float>(count));
      }
      Value divisor = nn::ConstantOp::create(
          b, loc, toAttribute(b.getContext(), counts));
      acc = nn::DivOp::create(b, loc, acc, divisor);
    }
    y = acc;
  }
  return y;
}

/// MaxPool with its Indices output: the maximum over every tap of the window
/// (in the window's row-major order, the first maximum winning, as ONNX's
/// reference) with `where` carrying the tap's position along. Indices are
/// flat positions in X, row-major (storage_order 0) or with the spatial
/// axes column-major (1): ((n * C + c) * D1 + d1) * D2 + d2 ..., the n and
/// c part added once at the end, so X's batch must be static.
static Error maxPoolWithIndices(NodeContext &node, Value x,
                                ArrayRef<int64_t> kernel,
                                const WindowAttrs &window, bool ceilMode,
                                bool columnMajor) {
  auto type = cast<RankedTensorType>(x.getType());
  if (!type.hasStaticShape())
    return node.error("the Indices output needs a static batch size; X is " +
                      formatShape(type));
  int64_t n = kernel.size();
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  ArrayRef<int64_t> shape = type.getShape();

  // Per axis: the output size, and X padded with -inf so that every tap of
  // every window is in range.
  SmallVector<int64_t> outs;
  Value source = x;
  TensorValue lowest;
  lowest.dataType = onnx::TensorProto::FLOAT;
  lowest.floats.push_back(-std::numeric_limits<float>::infinity());
  for (int64_t a = 0; a < n; ++a) {
    int64_t axis = a + 2, size = shape[axis];
    int64_t k = kernel[a], s = window.strides[a], d = window.dilations[a];
    int64_t p0 = window.pads[a], p1 = window.pads[a + n];
    int64_t span = (k - 1) * d + 1, padded = size + p0 + p1;
    if (k <= 0 || span > padded || p0 >= span || p1 >= span)
      return node.error(llvm::formatv(
          "kernel {0} (dilation {1}) and pads {2}/{3} do not fit axis {4} "
          "of size {5}",
          k, d, p0, p1, axis, size));
    int64_t out = (padded - span) / s + 1;
    if (ceilMode) {
      int64_t up = (padded - span + s - 1) / s + 1;
      if ((up - 1) * s >= size + p0)
        --up;
      out = up;
    }
    outs.push_back(out);
    int64_t extra = std::max<int64_t>(0, (out - 1) * s + span - padded);
    auto sourceType = cast<RankedTensorType>(source.getType());
    SmallVector<Value> parts;
    auto block = [&](int64_t length) {
      SmallVector<int64_t> blockShape(sourceType.getShape());
      blockShape[axis] = length;
      return filled(node, source, blockShape, lowest);
    };
    if (p0)
      parts.push_back(block(p0));
    parts.push_back(source);
    if (p1 + extra)
      parts.push_back(block(p1 + extra));
    source = concatAxis(node, parts, axis);
  }

  // Strides of the spatial axes in the flat index.
  SmallVector<int64_t> spatialStride(n, 1);
  int64_t plane = 1;
  for (int64_t i = 0; i < n; ++i) {
    int64_t a = columnMajor ? i : n - 1 - i;
    spatialStride[a] = plane;
    plane *= shape[a + 2];
  }
  int64_t taps = 1, positions = 1;
  for (int64_t a = 0; a < n; ++a) {
    taps *= kernel[a];
    positions *= outs[a];
  }
  Value best, where;
  SmallVector<int64_t> tap(n, 0);
  for (int64_t t = 0; t < taps; ++t) {
    // `tap` counts through the window row-major.
    for (int64_t a = n - 1, rest = t; a >= 0; --a) {
      tap[a] = rest % kernel[a];
      rest /= kernel[a];
    }
    Value value = source;
    for (int64_t a = 0; a < n; ++a) {
      int64_t start = tap[a] * window.dilations[a];
      value = sliceAxis(node, value, a + 2, start,
                        start + (outs[a] - 1) * window.strides[a] + 1,
                        window.strides[a]);
    }
    // The tap's position in X for every output position (pads can put it
    // outside; such a tap holds -inf and never wins).
    TensorValue index;
    index.dataType = onnx::TensorProto::INT64;
    index.dims.assign({1, 1});
    index.dims.append(outs.begin(), outs.end());
    SmallVector<int64_t> o(n, 0);
    for (int64_t p = 0; p < positions; ++p) {
      for (int64_t a = n - 1, rest = p; a >= 0; --a) {
        o[a] = rest % outs[a];
        rest /= outs[a];
      }
      int64_t flat = 0;
      for (int64_t a = 0; a < n; ++a)
        flat += (o[a] * window.strides[a] + tap[a] * window.dilations[a] -
                 window.pads[a]) *
                spatialStride[a];
      index.ints.push_back(flat);
    }
    Value indexValue =
        nn::ConstantOp::create(b, loc, toAttribute(b.getContext(), index));
    if (!best) {
      best = value;
      where = indexValue;
      continue;
    }
    Value take = nn::GreaterOp::create(b, loc, value, best);
    best = nn::WhereOp::create(b, loc, take, value, best);
    where = nn::WhereOp::create(b, loc, take, indexValue, where);
  }
  // The batch and channel part of the flat index.
  TensorValue base;
  base.dataType = onnx::TensorProto::INT64;
  base.dims.assign({shape[0], shape[1]});
  base.dims.append(n, 1);
  for (int64_t i = 0; i < shape[0] * shape[1]; ++i)
    base.ints.push_back(i * plane);
  Value indices = nn::AddOp::create(
      b, loc, where,
      nn::ConstantOp::create(b, loc, toAttribute(b.getContext(), base)));
  if (Error err = node.setOutput(0, best))
    return err;
  return node.setOutput(1, indices);
}

/// MaxPool and AveragePool: the 2-D `nn` ops for undilated 1-D and 2-D
/// windows (1-D with a unit height), strided slices otherwise.
static Error importPool(NodeContext &node) {
  bool isMax = node.opType() == "MaxPool";
  SmallVector<llvm::StringRef> known = {
      "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides"};
  known.push_back(isMax ? "storage_order" : "count_include_pad");
  if (Error err = node.checkSignature(known, 1, 1))
    return err;
  bool withIndices = isMax && node.node().output_size() > 1 &&
                     !node.node().output(1).empty();
  auto shape = node.inputShape(0);
  if (!shape)
    return shape.takeError();
  if (shape->size() < 3)
    return node.error("expects an N x C x D1 x ... input, got " +
                      formatShape(*shape));
  int64_t spatial = static_cast<int64_t>(shape->size()) - 2;
  auto autoPad = autoPadAttribute(node);
  if (!autoPad)
    return autoPad.takeError();
  auto kernel = intsAttribute(node, "kernel_shape", spatial, {}, spatial);
  if (!kernel)
    return kernel.takeError();
  if (kernel->empty())
    return node.error("attribute 'kernel_shape' is required");
  auto window = rawWindowAttributes(node, spatial);
  if (!window)
    return window.takeError();
  auto ceilMode = node.intAttribute("ceil_mode", 0);
  if (!ceilMode)
    return ceilMode.takeError();
  auto countIncludePad = node.intAttribute("count_include_pad", 0);
  if (!countIncludePad)
    return countIncludePad.takeError();
  auto storageOrder = node.intAttribute("storage_order", 0);
  if (!storageOrder)
    return storageOrder.takeError();
  for (int64_t d = 2; d < static_cast<int64_t>(shape->size()); ++d)
    if (ShapedType::isDynamic((*shape)[d]))
      return node.error("pooling over a dynamic dimension is not supported");
  resolveAutoPad(*autoPad, ArrayRef<int64_t>(*shape).drop_front(2), *kernel,
                 window->strides, window->dilations, window->pads);

  if (*storageOrder != 0 && *storageOrder != 1)
    return node.error(llvm::formatv("storage_order must be 0 or 1, got {0}",
                                    *storageOrder));
  // MaxPool of INT8 and UINT8 (ONNX's integer MaxPool types; INT16 and
  // UINT16 too) pools the values as f32, which holds every one exactly, and
  // casts the maxima back.
  auto dataType = node.inputDataType(0);
  if (!dataType)
    return dataType.takeError();
  Type integer = elementTypeOf(node.builder().getContext(), *dataType);
  bool viaFloat = isMax && isIntegerDataType(*dataType) &&
                  integer.getIntOrFloatBitWidth() <= 16;
  if (viaFloat && withIndices)
    return node.error("the Indices output of a MaxPool of " +
                      dataTypeName(*dataType) + " is not supported");
  auto input = viaFloat ? node.anyInput(0) : node.input(0);
  if (!input)
    return input.takeError();
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  auto retype = [&](Value v, Type element) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    return nn::CastOp::create(b, loc, type.clone(element), v);
  };
  if (viaFloat)
    *input = retype(*input, b.getF32Type());
  auto setResult = [&](Value y) {
    return node.setOutput(0, viaFloat ? retype(y, integer) : y);
  };
  if (withIndices)
    return maxPoolWithIndices(node, *input, *kernel, *window, *ceilMode != 0,
                              *storageOrder == 1);
  bool dilated = llvm::any_of(window->dilations, [](int64_t d) {
    return d != 1;
  });
  if (spatial > 2 || dilated) {
    auto y = poolBySlices(node, *input, isMax, *kernel, *window,
                          *ceilMode != 0, *countIncludePad != 0);
    if (!y)
      return y.takeError();
    return setResult(*y);
  }

  Value x = toImage(node, *input, spatial);
  SmallVector<int64_t> kernel2d = lift(*kernel, spatial, 1);
  SmallVector<int64_t> strides = lift(window->strides, spatial, 1);
  SmallVector<int64_t> pads = liftPads(window->pads, spatial);
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferPool2d(loc, x.getType(), kernel2d, strides, pads,
                                   *ceilMode != 0, types);
          }))
    return err;
  auto kernelAttr = b.getDenseI64ArrayAttr(kernel2d);
  auto stridesAttr = b.getDenseI64ArrayAttr(strides);
  auto padsAttr = b.getDenseI64ArrayAttr(pads);
  UnitAttr ceil = *ceilMode ? b.getUnitAttr() : UnitAttr();
  Value y;
  if (isMax)
    y = nn::MaxPool2dOp::create(b, loc, x, kernelAttr, stridesAttr, padsAttr,
                                ceil, UnitAttr());
  else
    y = nn::AvgPool2dOp::create(
        b, loc, x, kernelAttr, stridesAttr, padsAttr, ceil,
        *countIncludePad ? b.getUnitAttr() : UnitAttr());
  return setResult(fromImage(node, y, spatial));
}

/// Fails unless `value` is a 4-D NCHW tensor.
static Error checkImage(const NodeContext &node, Value value,
                        llvm::StringRef what) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() != 4)
    return node.error("only 2-D images (NCHW, rank 4) are supported; " + what +
                      " is " + formatShape(type));
  return Error::success();
}

static Error importGlobalAveragePool(NodeContext &node) {
  if (Error err = node.checkSignature({}, 1, 1))
    return err;
  auto x = node.input(0);
  if (!x)
    return x.takeError();
  if (Error err = checkImage(node, *x, "X"))
    return err;
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferGlobalPool2d(loc, x->getType(), types);
          }))
    return err;
  return node.setOutput(
      0, nn::GlobalAvgPool2dOp::create(node.builder(), node.loc(), *x));
}

void registerConvOps(OpTable &table) {
  table["Conv"] = importConv;
  table["ConvTranspose"] = importConvTranspose;
  table["MaxPool"] = importPool;
  table["AveragePool"] = importPool;
  table["GlobalAveragePool"] = importGlobalAveragePool;
}

} // namespace neurona::onnx_import
