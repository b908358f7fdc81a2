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
// Training mode (training_mode=1, opset 14 on) normalises with the batch's
// mean and population variance and outputs the updated running statistics.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;

namespace neurona::onnx_import {

/// training_mode=1: normalise with the batch's own statistics, mean and
/// population variance over every axis but the channels (ONNX's reference,
/// as PyTorch's BatchNorm in training), and give the updated running
/// statistics: running = input * momentum + batch * (1 - momentum).
static Error importBatchStatistics(NodeContext &node, Value x, Value scale,
                                   Value bias, Value mean, Value var,
                                   float epsilon, float momentum) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  SmallVector<Value, 3> stats =
      nn::buildBatchStatistics(b, loc, x, scale, bias, epsilon);
  Value y = stats[0], batchMean = stats[1], batchVar = stats[2];
  if (Error err = node.setOutput(0, y))
    return err;
  auto channels = cast<RankedTensorType>(mean.getType());
  Value keep = nn::ConstantOp::createScalar(b, loc, momentum);
  Value take = nn::ConstantOp::createScalar(b, loc, 1.0f - momentum);
  Value batch[] = {batchMean, batchVar};
  Value running[] = {mean, var};
  for (unsigned i = 0; i < 2; ++i) {
    const onnx::NodeProto &proto = node.node();
    if (proto.output_size() <= static_cast<int>(i + 1) ||
        proto.output(i + 1).empty())
      continue;
    Value flat = nn::ReshapeOp::create(b, loc, channels, batch[i]);
    Value updated =
        nn::AddOp::create(b, loc, nn::MulOp::create(b, loc, running[i], keep),
                          nn::MulOp::create(b, loc, flat, take));
    if (Error err = node.setOutput(i + 1, updated))
      return err;
  }
  return Error::success();
}

static Error importBatchNormalization(NodeContext &node) {
  if (Error err = node.checkSignature(
          {"epsilon", "momentum", "training_mode", "spatial"}, 5, 5))
    return err;
  auto training = node.intAttribute("training_mode", 0);
  if (!training)
    return training.takeError();
  // Opset 9 dropped `spatial`; older models may still carry spatial=1,
  // which is what every later opset means.
  auto spatial = node.intAttribute("spatial", 1);
  if (!spatial)
    return spatial.takeError();
  if (*spatial != 1)
    return node.error("unsupported attribute value: spatial=0 (per-position "
                      "statistics)");
  for (int i = 1; i < node.node().output_size(); ++i)
    if (!node.node().output(i).empty() && (*training == 0 || i > 2))
      return node.error(llvm::formatv(
          "output {0} ({1}) is not supported", i,
          i > 2 ? "the saved mean or variance of opset 9's training mode"
                : "the running mean or variance, which exists only with "
                  "training_mode=1"));
  auto epsilon = node.floatAttribute("epsilon", 1e-5f);
  if (!epsilon)
    return epsilon.takeError();
  auto momentum = node.floatAttribute("momentum", 0.9f);
  if (!momentum)
    return momentum.takeError();

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
  if (*training)
    return importBatchStatistics(node, x, scale, bias, mean, var, *epsilon,
                                 *momentum);
  // Inference: nn.batch_norm's per-channel affine form. ONNX's momentum
  // weighs the running value, nn's the batch's; inference uses neither.
  Value y = nn::buildBatchNorm(b, loc, x, scale, bias, mean, var, *epsilon,
                               1.0f - *momentum, /*training=*/false)[0];
  return node.setOutput(0, y);
}

void registerNormalizationOps(OpTable &table) {
  table["BatchNormalization"] = importBatchNormalization;
}

} // namespace neurona::onnx_import
