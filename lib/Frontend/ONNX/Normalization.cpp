//===- Normalization.cpp - ONNX BatchNormalization ------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// BatchNormalization in inference mode (opsets 9, 14, 15) is an affine map
// per channel, so it is imported as elementwise ops rather than an op of
// its own:
//
//   a = scale / sqrt(input_var + epsilon)        [C]
//   y = X * a + (B - input_mean * a)             [N, C, ...]
//
// The per-channel factors are C-element loops; the two ops on X fuse into
// one loop with the producer of X or its consumer (neurona-fuse-elementwise).
// The statistics are parameters like any initializer, so a model imported
// this way still trains (the affine map's gradient is ordinary nn IR).
// Training mode (batch statistics and running-average outputs) is refused.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;

namespace neurona::onnx_import {

static Error importBatchNormalization(NodeContext &node) {
  if (Error err = node.checkSignature(
          {"epsilon", "momentum", "training_mode", "spatial"}, 5, 5))
    return err;
  auto training = node.intAttribute("training_mode", 0);
  if (!training)
    return training.takeError();
  if (*training != 0)
    return node.error("unsupported attribute value: training_mode=1 (batch "
                      "statistics); only inference mode is supported");
  // Opset 9 dropped `spatial`; older models may still carry spatial=1,
  // which is what every later opset means.
  auto spatial = node.intAttribute("spatial", 1);
  if (!spatial)
    return spatial.takeError();
  if (*spatial != 1)
    return node.error("unsupported attribute value: spatial=0 (per-position "
                      "statistics)");
  for (int i = 1; i < node.node().output_size(); ++i)
    if (!node.node().output(i).empty())
      return node.error(llvm::formatv(
          "output {0} (running mean or variance) exists only in training "
          "mode, which is not supported",
          i));
  auto epsilon = node.floatAttribute("epsilon", 1e-5f);
  if (!epsilon)
    return epsilon.takeError();

  auto operands = node.inputs<5>();
  if (!operands)
    return operands.takeError();
  auto [x, scale, bias, mean, var] = *operands;
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() < 2 || xType.isDynamicDim(1))
    return node.error("X must be [N, C, ...] with a static C, got " +
                      formatShape(xType));
  int64_t channels = xType.getDimSize(1);
  const char *names[] = {"scale", "B", "input_mean", "input_var"};
  Value stats[] = {scale, bias, mean, var};
  for (auto [i, value] : llvm::enumerate(stats)) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() != 1 || type.getDimSize(0) != channels)
      return node.error(llvm::formatv("{0} must be [{1}] (one value per "
                                      "channel of X {2}), got {3}",
                                      names[i], channels, formatShape(xType),
                                      formatShape(type)));
  }

  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value eps = nn::ConstantOp::createScalar(b, loc, *epsilon);
  Value factor = nn::DivOp::create(
      b, loc, scale, nn::SqrtOp::create(b, loc, nn::AddOp::create(b, loc, var,
                                                                   eps)));
  Value shift = nn::SubOp::create(b, loc, bias,
                                  nn::MulOp::create(b, loc, mean, factor));
  // [C] -> [C, 1, ...] so that it broadcasts against the channel axis.
  if (xType.getRank() > 2) {
    SmallVector<int64_t> shape(xType.getRank() - 1, 1);
    shape[0] = channels;
    auto type = RankedTensorType::get(shape, xType.getElementType());
    factor = nn::ReshapeOp::create(b, loc, type, factor);
    shift = nn::ReshapeOp::create(b, loc, type, shift);
  }
  Value y = nn::AddOp::create(b, loc, nn::MulOp::create(b, loc, x, factor),
                              shift);
  return node.setOutput(0, y);
}

void registerNormalizationOps(OpTable &table) {
  table["BatchNormalization"] = importBatchNormalization;
}

} // namespace neurona::onnx_import
