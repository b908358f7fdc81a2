//===- Activation.cpp - ONNX activations with parameters ------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// LeakyRelu, Elu, Selu, HardSigmoid and Clip, with ONNX's attribute names and
// defaults. Clip took its bounds as attributes before opset 11 and as
// optional scalar inputs since. Known bounds become `nn.clip`'s attributes;
// a bound the graph computes makes Clip a `maximum` and a `minimum` on
// tensors.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

/// A float attribute that must be finite (a NaN or infinite slope would make
/// every output NaN or infinite, which is never what a model means).
static Expected<float> finiteAttribute(NodeContext &node, llvm::StringRef name,
                                       float defaultValue) {
  auto value = node.floatAttribute(name, defaultValue);
  if (value && !std::isfinite(*value))
    return node.error(
        llvm::formatv("attribute '{0}' must be finite, got {1}", name, *value));
  return value;
}

/// The input of a one-input activation whose attributes are `attrs`, each an
/// optional finite float with the given ONNX default; `values` receives them
/// in order, as the attributes of the nn op.
static Expected<Value>
activationInput(NodeContext &node,
                llvm::ArrayRef<std::pair<llvm::StringRef, float>> attrs,
                SmallVectorImpl<FloatAttr> &values) {
  SmallVector<llvm::StringRef, 2> names;
  for (auto [name, defaultValue] : attrs)
    names.push_back(name);
  if (Error err = node.checkSignature(names, 1, 1))
    return std::move(err);
  for (auto [name, defaultValue] : attrs) {
    auto value = finiteAttribute(node, name, defaultValue);
    if (!value)
      return value.takeError();
    values.push_back(node.builder().getF32FloatAttr(*value));
  }
  return node.input(0);
}

static Error importLeakyRelu(NodeContext &node) {
  SmallVector<FloatAttr, 1> attrs;
  auto input = activationInput(node, {{"alpha", 0.01f}}, attrs);
  if (!input)
    return input.takeError();
  return node.setOutput(
      0, nn::LeakyReluOp::create(node.builder(), node.loc(), *input, attrs[0]));
}

static Error importElu(NodeContext &node) {
  SmallVector<FloatAttr, 1> attrs;
  auto input = activationInput(node, {{"alpha", 1.0f}}, attrs);
  if (!input)
    return input.takeError();
  return node.setOutput(
      0, nn::EluOp::create(node.builder(), node.loc(), *input, attrs[0]));
}

static Error importSelu(NodeContext &node) {
  SmallVector<FloatAttr, 2> attrs;
  auto input = activationInput(node,
                               {{"alpha", 1.67326319217681884765625f},
                                {"gamma", 1.05070102214813232421875f}},
                               attrs);
  if (!input)
    return input.takeError();
  return node.setOutput(0, nn::SeluOp::create(node.builder(), node.loc(),
                                              *input, attrs[0], attrs[1]));
}

static Error importHardSigmoid(NodeContext &node) {
  SmallVector<FloatAttr, 2> attrs;
  auto input = activationInput(node, {{"alpha", 0.2f}, {"beta", 0.5f}}, attrs);
  if (!input)
    return input.takeError();
  return node.setOutput(0,
                        nn::HardSigmoidOp::create(node.builder(), node.loc(),
                                                  *input, attrs[0], attrs[1]));
}

/// Clip's bound `i` (1: min, 2: max) from opset 11 on: absent, or a constant
/// FLOAT scalar.
static Expected<std::optional<float>> clipBoundInput(NodeContext &node,
                                                     unsigned i) {
  if (!node.hasInput(i))
    return std::nullopt;
  auto constant = node.constantInput(i);
  if (!constant)
    return constant.takeError();
  const TensorValue &bound = **constant;
  llvm::StringRef name = i == 1 ? "min" : "max";
  if (!bound.isFloat() || bound.numElements() != 1)
    return node.error(llvm::formatv("{0} must be a FLOAT scalar, got {1} {2}",
                                    name, dataTypeName(bound.dataType),
                                    formatShape(bound.dims)));
  return bound.floats[0];
}

/// Clip's bound `name` before opset 11: an optional attribute.
static Expected<std::optional<float>> clipBoundAttribute(NodeContext &node,
                                                         llvm::StringRef name) {
  if (!node.findAttribute(name))
    return std::nullopt;
  auto value = node.floatAttribute(name, 0.0f);
  if (!value)
    return value.takeError();
  return *value;
}

/// Clip from opset 11 with a bound computed by the graph: max(x, min) then
/// min(., max) on tensors, which also gives ONNX's "max wins" when min >
/// max. Each bound must hold one element (a scalar or [1]). Integer inputs
/// (any of INT8 to UINT64) always take this path, with bounds of their type.
static Error importClipByTensors(NodeContext &node) {
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  Type element = cast<RankedTensorType>(input->getType()).getElementType();
  if (!element.isF32() && !isIntegerElement(element))
    return node.error("takes FLOAT or an integer type here, got " +
                      dataTypeName(dataTypeOf(element)));
  Value y = *input;
  OpBuilder &b = node.builder();
  for (unsigned i = 1; i <= 2; ++i) {
    if (!node.hasInput(i))
      continue;
    auto bound = node.anyInput(i);
    if (!bound)
      return bound.takeError();
    auto type = cast<RankedTensorType>(bound->getType());
    if (type.getElementType() != element)
      return node.error(llvm::formatv(
          "{0} is {1}, but X is {2}; they must match", i == 1 ? "min" : "max",
          dataTypeName(dataTypeOf(type.getElementType())),
          dataTypeName(dataTypeOf(element))));
    if (!type.hasStaticShape() || type.getNumElements() != 1)
      return node.error(llvm::formatv("{0} must hold one element, got {1}",
                                      i == 1 ? "min" : "max",
                                      formatShape(type)));
    auto result = broadcastOrError(node, y, *bound);
    if (!result)
      return result.takeError();
    if (result->getShape() != cast<RankedTensorType>(y.getType()).getShape())
      return node.error("a bound of shape " + formatShape(type) +
                        " would change the shape of X " +
                        formatShape(y.getType()));
    y = i == 1 ? Value(nn::MaximumOp::create(b, node.loc(), y, *bound))
               : Value(nn::MinimumOp::create(b, node.loc(), y, *bound));
  }
  return node.setOutput(0, y);
}

static Error importClip(NodeContext &node) {
  bool boundsAreInputs = node.opset() >= 11;
  if (Error err = boundsAreInputs ? node.checkSignature({}, 1, 3)
                                  : node.checkSignature({"min", "max"}, 1, 1))
    return err;
  auto dataType = node.inputDataType(0);
  if (!dataType)
    return dataType.takeError();
  if (boundsAreInputs && (isIntegerDataType(*dataType) ||
                          (node.hasInput(1) && !node.knownInput(1)) ||
                          (node.hasInput(2) && !node.knownInput(2))))
    return importClipByTensors(node);
  std::optional<float> bounds[2];
  for (unsigned i = 0; i < 2; ++i) {
    auto bound = boundsAreInputs ? clipBoundInput(node, i + 1)
                                 : clipBoundAttribute(node, i ? "max" : "min");
    if (!bound)
      return bound.takeError();
    if (*bound && std::isnan(**bound))
      return node.error(
          llvm::formatv("{0} must not be NaN", i ? "max" : "min"));
    bounds[i] = *bound;
  }
  auto [min, max] = bounds;
  // ONNX: "when min is greater than max, the clip operator sets all the
  // input values to the value of max", which clip(max, max) does.
  if (min && max && *min > *max)
    min = max;
  auto input = node.input(0);
  if (!input)
    return input.takeError();
  OpBuilder &b = node.builder();
  FloatAttr minAttr = min ? b.getF32FloatAttr(*min) : FloatAttr();
  FloatAttr maxAttr = max ? b.getF32FloatAttr(*max) : FloatAttr();
  return node.setOutput(
      0, nn::ClipOp::create(b, node.loc(), *input, minAttr, maxAttr));
}

void registerActivationOps(OpTable &table) {
  table["LeakyRelu"] = importLeakyRelu;
  table["Elu"] = importElu;
  table["Selu"] = importSelu;
  table["HardSigmoid"] = importHardSigmoid;
  table["Clip"] = importClip;
}

} // namespace neurona::onnx_import
