//===- Reduction.cpp - reductions -----------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

using namespace mlir;
using namespace mlir::nn;

/// The incoming gradient broadcast back over the reduced axes of `input`.
static Value spreadOverReduced(OpBuilder &b, Location loc, Value grad,
                               Value input, ArrayRef<int64_t> axes) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto normalized = *normalizeAxes(axes, inputType.getRank());
  Value kept = grad::keepReducedDims(b, loc, grad, inputType, normalized);
  return BroadcastLikeOp::create(b, loc, kept, input);
}

LogicalResult ReduceSumOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(
      spreadOverReduced(b, getLoc(), resultGrads[0], getInput(), getAxes()));
  return success();
}

LogicalResult ReduceMeanOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                           SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value spread =
      spreadOverReduced(b, loc, resultGrads[0], getInput(), getAxes());
  Value count = NumelOp::create(b, loc, getInput(), getAxes());
  grads.push_back(DivOp::create(b, loc, spread, count));
  return success();
}

/// The gradient of reduce_max (`isMax`) or reduce_min: the extrema take it,
/// shared evenly among ties (as PyTorch's amax/amin). For max the mask is
/// 1 - step(max - x), since x <= max everywhere; for min, 1 - step(x - min).
static Value extremumGradient(OpBuilder &b, Location loc, Value grad, Value x,
                              Value extremum, ArrayRef<int64_t> rawAxes,
                              bool isMax) {
  auto inputType = cast<RankedTensorType>(x.getType());
  auto axes = *normalizeAxes(rawAxes, inputType.getRank());
  Value kept = grad::keepReducedDims(b, loc, extremum, inputType, axes);
  Value gap = isMax ? SubOp::create(b, loc, kept, x).getResult()
                    : SubOp::create(b, loc, x, kept).getResult();
  Value away = StepOp::create(b, loc, gap);
  Value mask =
      SubOp::create(b, loc, ConstantOp::createScalar(b, loc, 1.0f), away);
  Value ties =
      ReduceSumOp::create(b, loc, mask, b.getDenseI64ArrayAttr(axes), true);
  Value share = DivOp::create(b, loc, mask, ties);
  Value spread = spreadOverReduced(b, loc, grad, x, rawAxes);
  return MulOp::create(b, loc, spread, share);
}

LogicalResult ReduceMaxOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(extremumGradient(b, getLoc(), resultGrads[0], getInput(),
                                   getResult(), getAxes(), /*isMax=*/true));
  return success();
}

LogicalResult ReduceMinOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(extremumGradient(b, getLoc(), resultGrads[0], getInput(),
                                   getResult(), getAxes(), /*isMax=*/false));
  return success();
}

LogicalResult NumelOp::buildGradients(OpBuilder &, ValueRange,
                                      SmallVectorImpl<Value> &grads) {
  grads.push_back(Value()); // A count depends on the shape, not the values.
  return success();
}
