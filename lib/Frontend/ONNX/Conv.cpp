//===- Conv.cpp - ONNX Conv, ConvTranspose and the pools ------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// 2-D convolutions and pools on NCHW tensors. ONNX's attributes map one to
// one onto the `nn` ops' (`pads` is [top, left, bottom, right] in both);
// Conv and the pools support only explicit padding (`auto_pad` NOTSET),
// since the SAME_* modes depend on the input size in ways an exporter can
// always spell out. ConvTranspose also takes `output_shape` and the SAME_*
// modes, which its node tests use: they fix the output size, from which the
// pads follow by ONNX's formula.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

/// INTS attribute `name` with `size` entries, or `defaultValue` when absent.
static Expected<SmallVector<int64_t>>
intsAttribute(const NodeContext &node, llvm::StringRef name, size_t size,
              ArrayRef<int64_t> defaultValue) {
  const onnx::AttributeProto *attr = node.findAttribute(name);
  if (!attr)
    return SmallVector<int64_t>(defaultValue);
  if (attr->type() != onnx::AttributeProto::INTS)
    return node.error("attribute '" + name + "' must be INTS");
  if (static_cast<size_t>(attr->ints_size()) != size)
    return node.error(llvm::formatv("attribute '{0}' must have {1} values for "
                                    "a 2-D window, got {2}",
                                    name, size, attr->ints_size()));
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

/// The window attributes Conv and the pools share, with ONNX's defaults.
struct WindowAttrs {
  SmallVector<int64_t> strides, pads, dilations;
};

static Expected<WindowAttrs> windowAttributes(const NodeContext &node) {
  auto strides = intsAttribute(node, "strides", 2, {1, 1});
  if (!strides)
    return strides.takeError();
  auto pads = intsAttribute(node, "pads", 4, {0, 0, 0, 0});
  if (!pads)
    return pads.takeError();
  auto dilations = intsAttribute(node, "dilations", 2, {1, 1});
  if (!dilations)
    return dilations.takeError();
  return WindowAttrs{std::move(*strides), std::move(*pads),
                     std::move(*dilations)};
}

/// Fails unless `auto_pad` is absent or NOTSET.
static Error checkAutoPad(const NodeContext &node) {
  const onnx::AttributeProto *attr = node.findAttribute("auto_pad");
  if (!attr)
    return Error::success();
  if (attr->type() != onnx::AttributeProto::STRING)
    return node.error("attribute 'auto_pad' must be a STRING");
  if (attr->s() != "NOTSET")
    return node.error("auto_pad '" + attr->s() +
                      "' is not supported; export the model with explicit "
                      "'pads' (auto_pad NOTSET)");
  return Error::success();
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

/// X, W and the optional B of Conv and ConvTranspose, with X and W checked
/// as images and `kernel_shape`, redundant with W's shape, checked against
/// it (a mismatch is a broken model).
static Expected<std::tuple<Value, Value, Value>>
convOperands(NodeContext &node) {
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
  if (Error err = checkImage(node, x, "X"))
    return std::move(err);
  if (Error err = checkImage(node, w, "W"))
    return std::move(err);
  auto wType = cast<RankedTensorType>(w.getType());
  if (node.findAttribute("kernel_shape")) {
    auto kernel = intsAttribute(node, "kernel_shape", 2, {});
    if (!kernel)
      return kernel.takeError();
    if ((*kernel)[0] != wType.getDimSize(2) ||
        (*kernel)[1] != wType.getDimSize(3))
      return node.error(
          llvm::formatv("kernel_shape [{0}, {1}] does not match W of shape {2}",
                        (*kernel)[0], (*kernel)[1], formatShape(wType)));
  }
  return std::make_tuple(x, w, bias);
}

static Error importConv(NodeContext &node) {
  if (Error err = node.checkSignature(
          {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
          2, 3))
    return err;
  if (Error err = checkAutoPad(node))
    return err;
  auto window = windowAttributes(node);
  if (!window)
    return window.takeError();
  ArrayRef<int64_t> strides = window->strides, pads = window->pads,
                    dilations = window->dilations;
  auto group = node.intAttribute("group", 1);
  if (!group)
    return group.takeError();

  auto operands = convOperands(node);
  if (!operands)
    return operands.takeError();
  auto [x, w, bias] = *operands;
  auto wType = cast<RankedTensorType>(w.getType());
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
  return node.setOutput(0, y);
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
  auto window = windowAttributes(node);
  if (!window)
    return window.takeError();
  SmallVector<int64_t> strides = window->strides, pads = window->pads,
                       dilations = window->dilations;
  auto outputPadding = intsAttribute(node, "output_padding", 2, {0, 0});
  if (!outputPadding)
    return outputPadding.takeError();
  auto group = node.intAttribute("group", 1);
  if (!group)
    return group.takeError();
  std::string autoPad = "NOTSET";
  if (const onnx::AttributeProto *attr = node.findAttribute("auto_pad")) {
    if (attr->type() != onnx::AttributeProto::STRING)
      return node.error("attribute 'auto_pad' must be a STRING");
    autoPad = attr->s();
    if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
        autoPad != "SAME_LOWER")
      return node.error("unsupported attribute value: auto_pad '" + autoPad +
                        "' (expected NOTSET, VALID, SAME_UPPER or "
                        "SAME_LOWER)");
  }
  bool explicitPads = node.findAttribute("pads") != nullptr;
  if (autoPad != "NOTSET" && explicitPads)
    return node.error("attributes 'pads' and auto_pad '" + autoPad +
                      "' exclude each other");
  if (autoPad == "VALID")
    pads.assign(4, 0);

  auto operands = convOperands(node);
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
    if (outShape.size() == 4)
      outShape.erase(outShape.begin(), outShape.begin() + 2);
    if (outShape.size() != 2)
      return node.error(llvm::formatv("attribute 'output_shape' must have 2 "
                                      "values for a 2-D image, got {0}",
                                      attr->ints_size()));
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
  return node.setOutput(0, y);
}

/// MaxPool and AveragePool.
static Error importPool(NodeContext &node) {
  bool isMax = node.opType() == "MaxPool";
  SmallVector<llvm::StringRef> known = {
      "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides"};
  known.push_back(isMax ? "storage_order" : "count_include_pad");
  if (Error err = node.checkSignature(known, 1, 1))
    return err;
  if (Error err = checkAutoPad(node))
    return err;
  if (isMax && node.node().output_size() > 1 && !node.node().output(1).empty())
    return node.error("the Indices output is not supported");
  auto kernel = intsAttribute(node, "kernel_shape", 2, {});
  if (!kernel)
    return kernel.takeError();
  if (kernel->empty())
    return node.error("attribute 'kernel_shape' is required");
  auto window = windowAttributes(node);
  if (!window)
    return window.takeError();
  ArrayRef<int64_t> strides = window->strides, pads = window->pads,
                    dilations = window->dilations;
  if (dilations[0] != 1 || dilations[1] != 1)
    return node.error("dilated pooling is not supported");
  auto ceilMode = node.intAttribute("ceil_mode", 0);
  if (!ceilMode)
    return ceilMode.takeError();
  auto countIncludePad = node.intAttribute("count_include_pad", 0);
  if (!countIncludePad)
    return countIncludePad.takeError();
  auto storageOrder = node.intAttribute("storage_order", 0);
  if (!storageOrder)
    return storageOrder.takeError();

  auto x = node.input(0);
  if (!x)
    return x.takeError();
  if (Error err = checkImage(node, *x, "X"))
    return err;
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferPool2d(loc, x->getType(), *kernel, strides, pads,
                                   *ceilMode != 0, types);
          }))
    return err;
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  auto kernelAttr = b.getDenseI64ArrayAttr(*kernel);
  auto stridesAttr = b.getDenseI64ArrayAttr(strides);
  auto padsAttr = b.getDenseI64ArrayAttr(pads);
  UnitAttr ceil = *ceilMode ? b.getUnitAttr() : UnitAttr();
  Value y;
  if (isMax)
    y = nn::MaxPool2dOp::create(b, loc, *x, kernelAttr, stridesAttr, padsAttr,
                                ceil, UnitAttr());
  else
    y = nn::AvgPool2dOp::create(
        b, loc, *x, kernelAttr, stridesAttr, padsAttr, ceil,
        *countIncludePad ? b.getUnitAttr() : UnitAttr());
  return node.setOutput(0, y);
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
