//===- Random.cpp - ONNX Dropout ------------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Dropout becomes `nn.dropout` with a stream of its own: the identity in
// `forward` (ONNX's inference semantics, training_mode false), inverted
// dropout in the train_step and gradients that nn-autodiff builds. Its mask
// output is all true, as in ONNX's inference mode.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;

namespace neurona::onnx_import {

/// Dropout's `mask` output in inference: all true, of X's shape.
static Value allTrueLike(NodeContext &node, Value x) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  auto type = cast<RankedTensorType>(x.getType());
  Value ones = nn::BroadcastLikeOp::create(
      b, loc, nn::ConstantOp::createScalar(b, loc, 1.0f), x);
  return nn::CastOp::create(
      b, loc, RankedTensorType::get(type.getShape(), b.getI1Type()), ones);
}

/// Dropout-12/13's `training_mode`: false when absent. It must be a known
/// BOOL scalar; true is only taken where it changes nothing (see
/// importDropout).
static llvm::Expected<bool> trainingMode(NodeContext &node) {
  if (!node.hasInput(2))
    return false;
  auto mode = node.constantInput(2);
  if (!mode)
    return mode.takeError();
  if (!(*mode)->isBool() || !(*mode)->dims.empty())
    return node.error("input 'training_mode' must be a BOOL scalar");
  return (*mode)->ints[0] != 0;
}

/// Dropout-7/10 (attribute `ratio`) and Dropout-12/13 (inputs `ratio` and
/// `training_mode`). A known ratio becomes `nn.dropout` (the identity in
/// `forward`, dropout at that rate in train_step). A ratio the graph
/// computes only matters in training mode: the node is the identity, and
/// train_step does not drop there either, since the rate is unknown when
/// compiling. `training_mode` = true with a ratio of 0 is the identity too;
/// with any other ratio it would drop at random in `forward`, which is
/// refused: Neurona's inference is deterministic and drops in train_step.
/// The `mask` output is all true, as ONNX's inference mode (or a ratio of
/// 0) defines it.
static Error importDropout(NodeContext &node) {
  bool inputRatio = node.opset() >= 12;
  if (Error err = inputRatio ? node.checkSignature({"seed"}, 1, 3)
                             : node.checkSignature({"ratio", "is_test"}, 1, 1))
    return err;
  auto training = trainingMode(node);
  if (!training)
    return training.takeError();
  std::optional<float> rate = 0.5f;
  if (!inputRatio) {
    auto ratio = node.floatAttribute("ratio", 0.5f);
    if (!ratio)
      return ratio.takeError();
    rate = *ratio;
  } else if (node.hasInput(1)) {
    auto shape = node.inputShape(1);
    if (!shape)
      return shape.takeError();
    auto dataType = node.inputDataType(1);
    if (!dataType)
      return dataType.takeError();
    if (*dataType != onnx::TensorProto::FLOAT || !shape->empty())
      return node.error("input 'ratio' must be a FLOAT scalar, got " +
                        dataTypeName(*dataType) + " " + formatShape(*shape));
    const TensorValue *ratio = node.knownInput(1);
    rate = ratio ? std::optional<float>(ratio->floats[0]) : std::nullopt;
  }
  if (rate && !(*rate >= 0.0f && *rate < 1.0f))
    return node.error(
        llvm::formatv("ratio must be in [0, 1), got {0}", *rate).str());
  if (*training && (!rate || *rate != 0.0f))
    return node.error("training_mode = true with a nonzero ratio drops at "
                      "random in inference, which Neurona does not do: it "
                      "imports Dropout for inference (the identity) and "
                      "applies it in train_step; set training_mode to false "
                      "or remove the input");
  auto input = node.input(0);
  if (!input)
    return input.takeError();
  OpBuilder &b = node.builder();
  Value y = *input;
  if (rate)
    y = nn::DropoutOp::create(b, node.loc(), *input, Value(),
                              b.getF32FloatAttr(*rate),
                              b.getI64IntegerAttr(node.takeRandomStream()));
  if (Error err = node.setOutput(0, y))
    return err;
  const onnx::NodeProto &proto = node.node();
  if (proto.output_size() > 1 && !proto.output(1).empty())
    return node.setOutput(1, allTrueLike(node, *input));
  return Error::success();
}

void registerRandomOps(OpTable &table) { table["Dropout"] = importDropout; }

} // namespace neurona::onnx_import
