//===- Normalization.cpp - batch normalization ----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Shape inference and the two computations of `nn.batch_norm`. The op has no
// VJP rule of its own: training entries replace it by its training
// computation (TrainingModeOpInterface), whose reductions and elementwise
// ops differentiate through the batch statistics with their own rules, and
// `forward`, which is never differentiated, keeps the inference form.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

#include "mlir/IR/Diagnostics.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nn;

LogicalResult mlir::nn::inferBatchNorm(std::optional<Location> loc,
                                       Type inputType, Type statsType,
                                       SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(inputType);
  auto stats = cast<RankedTensorType>(statsType);
  if (input.getRank() < 2 || input.isDynamicDim(1))
    return emitOptionalError(loc,
                             "expects an input [N, C, ...] with a static "
                             "C, got ",
                             input);
  if (stats.getRank() != 1 || stats.getDimSize(0) != input.getDimSize(1))
    return emitOptionalError(loc,
                             "expects scale, bias and running statistics "
                             "of shape [",
                             input.getDimSize(1), "] (the channels of ", input,
                             "), got ", stats);
  types.push_back(input);
  types.push_back(stats);
  types.push_back(stats);
  return success();
}

LogicalResult BatchNormOp::verify() {
  float epsilon = getEpsilon().convertToFloat();
  float momentum = getMomentum().convertToFloat();
  if (!(epsilon > 0.0f) || !std::isfinite(epsilon))
    return emitOpError("expects a finite epsilon > 0, got ") << epsilon;
  if (!(momentum >= 0.0f && momentum <= 1.0f))
    return emitOpError("expects a momentum in [0, 1], got ") << momentum;
  return success();
}

/// `value` ([C]) as [C, 1, ...] to broadcast against the channel axis of an
/// input of type `xType`; a rank-2 input [N, C] takes [C] as it is.
static Value perChannel(OpBuilder &b, Location loc, Value value,
                        RankedTensorType xType) {
  if (xType.getRank() <= 2)
    return value;
  SmallVector<int64_t> shape(xType.getRank() - 1, 1);
  shape[0] = xType.getDimSize(1);
  return ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, xType.getElementType()), value);
}

SmallVector<Value, 3> mlir::nn::buildBatchStatistics(OpBuilder &b, Location loc,
                                                     Value x, Value scale,
                                                     Value bias,
                                                     float epsilon) {
  auto xType = cast<RankedTensorType>(x.getType());
  Value eps = grad::scalar(b, loc, epsilon);
  SmallVector<int64_t> axes{0};
  for (int64_t d = 2; d < xType.getRank(); ++d)
    axes.push_back(d);
  auto axesAttr = b.getDenseI64ArrayAttr(axes);
  Value mean = ReduceMeanOp::create(b, loc, x, axesAttr, /*keepdims=*/true);
  Value centered = SubOp::create(b, loc, x, mean);
  Value var = ReduceMeanOp::create(
      b, loc, MulOp::create(b, loc, centered, centered), axesAttr, true);
  Value normalized =
      DivOp::create(b, loc, centered,
                    SqrtOp::create(b, loc, AddOp::create(b, loc, var, eps)));
  Value y = AddOp::create(
      b, loc,
      MulOp::create(b, loc, normalized, perChannel(b, loc, scale, xType)),
      perChannel(b, loc, bias, xType));
  return {y, mean, var};
}

SmallVector<Value, 3> mlir::nn::buildBatchNorm(OpBuilder &b, Location loc,
                                               Value x, Value scale, Value bias,
                                               Value runningMean,
                                               Value runningVar, float epsilon,
                                               float momentum, bool training) {
  auto xType = cast<RankedTensorType>(x.getType());
  if (!training) {
    Value eps = grad::scalar(b, loc, epsilon);
    // An affine map per channel: the [C] factors are computed once, and the
    // two ops on x fuse into one loop.
    Value factor = DivOp::create(
        b, loc, scale,
        SqrtOp::create(b, loc, AddOp::create(b, loc, runningVar, eps)));
    Value shift =
        SubOp::create(b, loc, bias, MulOp::create(b, loc, runningMean, factor));
    Value y = AddOp::create(
        b, loc, MulOp::create(b, loc, x, perChannel(b, loc, factor, xType)),
        perChannel(b, loc, shift, xType));
    return {y, runningMean, runningVar};
  }
  SmallVector<Value, 3> batch =
      buildBatchStatistics(b, loc, x, scale, bias, epsilon);
  Value y = batch[0], mean = batch[1], var = batch[2];
  SmallVector<int64_t> axes{0};
  for (int64_t d = 2; d < xType.getRank(); ++d)
    axes.push_back(d);

  // Bessel's correction n / (n - 1) for the running variance, as PyTorch;
  // n = 1 keeps the biased variance (0) rather than dividing by zero.
  Value n = NumelOp::create(b, loc, x, axes);
  Value correction = DivOp::create(
      b, loc, n,
      MaximumOp::create(b, loc,
                        SubOp::create(b, loc, n, grad::scalar(b, loc, 1.0f)),
                        grad::scalar(b, loc, 1.0f)));
  Value unbiased = MulOp::create(b, loc, var, correction);
  auto statsType = cast<RankedTensorType>(runningMean.getType());
  Value keep = grad::scalar(b, loc, 1.0f - momentum);
  Value take = grad::scalar(b, loc, momentum);
  // One statement per op, so that the IR's order does not depend on the
  // compiler's order of evaluating arguments.
  auto update = [&](Value running, Value batch) -> Value {
    Value kept = MulOp::create(b, loc, running, keep);
    Value flat = ReshapeOp::create(b, loc, statsType, batch);
    Value taken = MulOp::create(b, loc, flat, take);
    return AddOp::create(b, loc, kept, taken);
  };
  return {y, update(runningMean, mean), update(runningVar, unbiased)};
}

void BatchNormOp::buildTraining(OpBuilder &b, SmallVectorImpl<Value> &results) {
  llvm::append_range(results, buildBatchNorm(b, getLoc(), getInput(),
                                             getScale(), getBias(),
                                             getRunningMean(), getRunningVar(),
                                             getEpsilon().convertToFloat(),
                                             getMomentum().convertToFloat(),
                                             /*training=*/true));
}

SmallVector<std::pair<unsigned, unsigned>> BatchNormOp::getStateUpdates() {
  auto result = [](Value v) { return cast<OpResult>(v).getResultNumber(); };
  return {
      {getRunningMeanMutable().getOperandNumber(), result(getNewRunningMean())},
      {getRunningVarMutable().getOperandNumber(), result(getNewRunningVar())}};
}
