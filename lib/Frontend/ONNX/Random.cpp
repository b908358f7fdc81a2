//===- Random.cpp - ONNX Dropout ------------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Dropout becomes `nn.dropout` with a stream of its own: the identity in
// `forward` (ONNX's inference semantics, training_mode false), inverted
// dropout in the train_step and gradients that nn-autodiff builds.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;

namespace neurona::onnx_import {

/// Dropout-7/10 (attribute `ratio`) and Dropout-12/13 (inputs `ratio` and
/// `training_mode`). `ratio` must be known at import time; a training_mode
/// input or a used `mask` output is refused, since `forward` is inference.
static Error importDropout(NodeContext &node) {
  bool inputRatio = node.opset() >= 12;
  if (Error err = inputRatio ? node.checkSignature({"seed"}, 1, 3)
                             : node.checkSignature({"ratio", "is_test"}, 1, 1))
    return err;
  float rate = 0.5f;
  if (!inputRatio) {
    auto ratio = node.floatAttribute("ratio", 0.5f);
    if (!ratio)
      return ratio.takeError();
    rate = *ratio;
  } else if (node.hasInput(1)) {
    auto ratio = node.constantInput(1);
    if (!ratio)
      return ratio.takeError();
    if (!(*ratio)->isFloat() || (*ratio)->numElements() != 1)
      return node.error("input 'ratio' must be one FLOAT, got " +
                        dataTypeName((*ratio)->dataType) + " " +
                        formatShape((*ratio)->dims));
    rate = (*ratio)->floats[0];
  }
  if (node.hasInput(2))
    return node.error("the 'training_mode' input is not supported: Neurona "
                      "imports Dropout for inference (the identity) and "
                      "applies it in train_step; remove the input");
  const onnx::NodeProto &proto = node.node();
  if (proto.output_size() > 1 && !proto.output(1).empty())
    return node.error("the 'mask' output is not supported (Neurona draws the "
                      "mask only in training)");
  if (!(rate >= 0.0f && rate < 1.0f))
    return node.error(
        llvm::formatv("ratio must be in [0, 1), got {0}", rate).str());
  auto input = node.input(0);
  if (!input)
    return input.takeError();
  OpBuilder &b = node.builder();
  Value y = nn::DropoutOp::create(b, node.loc(), *input, Value(),
                                  b.getF32FloatAttr(rate),
                                  b.getI64IntegerAttr(node.takeRandomStream()));
  return node.setOutput(0, y);
}

void registerRandomOps(OpTable &table) { table["Dropout"] = importDropout; }

} // namespace neurona::onnx_import
