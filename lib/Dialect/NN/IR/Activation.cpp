//===- Activation.cpp - activations with parameters -----------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// leaky_relu, elu, selu, hard_sigmoid and clip. Their derivatives are
// piecewise, so each rule builds the slope from `step` masks and the forward
// result; the elementwise fusion pass merges the whole slope into one loop
// with the rest of the backward pass.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

using namespace mlir;
using namespace mlir::nn;
using grad::scalar;

/// `a + mask * (b - a)`: `b` where the 0/1 `mask` is 1, else `a`.
static Value blend(OpBuilder &b, Location loc, Value mask, Value whereZero,
                   Value whereOne) {
  Value delta = SubOp::create(b, loc, whereOne, whereZero);
  return AddOp::create(b, loc, whereZero, MulOp::create(b, loc, mask, delta));
}

LogicalResult LeakyReluOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  // 1 where x > 0, else alpha (also at 0, as PyTorch).
  Location loc = getLoc();
  float alpha = getAlpha().convertToFloat();
  Value positive = StepOp::create(b, loc, getInput());
  Value slope =
      AddOp::create(b, loc, scalar(b, loc, alpha),
                    MulOp::create(b, loc, positive, scalar(b, loc, 1 - alpha)));
  grads.push_back(MulOp::create(b, loc, resultGrads[0], slope));
  return success();
}

/// The slope of `scale * elu(x, alpha)` from its result `y`: `scale` where
/// x > 0, else `scale * alpha * e^x = y + scale * alpha`.
static Value eluSlope(OpBuilder &b, Location loc, Value x, Value y, float alpha,
                      float scale) {
  Value negative = AddOp::create(b, loc, y, scalar(b, loc, scale * alpha));
  return blend(b, loc, StepOp::create(b, loc, x), negative,
               scalar(b, loc, scale));
}

LogicalResult EluOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value slope = eluSlope(b, loc, getInput(), getResult(),
                         getAlpha().convertToFloat(), 1.0f);
  grads.push_back(MulOp::create(b, loc, resultGrads[0], slope));
  return success();
}

LogicalResult SeluOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value slope =
      eluSlope(b, loc, getInput(), getResult(), getAlpha().convertToFloat(),
               getGamma().convertToFloat());
  grads.push_back(MulOp::create(b, loc, resultGrads[0], slope));
  return success();
}

LogicalResult HardSigmoidOp::buildGradients(OpBuilder &b,
                                            ValueRange resultGrads,
                                            SmallVectorImpl<Value> &grads) {
  // alpha where the line is not clipped, i.e. 0 < y < 1.
  Location loc = getLoc();
  Value y = getResult();
  Value aboveZero = StepOp::create(b, loc, y);
  Value belowOne =
      StepOp::create(b, loc, SubOp::create(b, loc, scalar(b, loc, 1.0f), y));
  Value slope =
      MulOp::create(b, loc, MulOp::create(b, loc, aboveZero, belowOne),
                    scalar(b, loc, getAlpha().convertToFloat()));
  grads.push_back(MulOp::create(b, loc, resultGrads[0], slope));
  return success();
}

LogicalResult ClipOp::verify() {
  for (std::optional<APFloat> bound : {getMin(), getMax()})
    if (bound && bound->isNaN())
      return emitOpError("bounds must not be NaN");
  if (getMin() && getMax() &&
      getMax()->compare(*getMin()) == APFloat::cmpLessThan)
    return emitOpError("min ")
           << getMin()->convertToFloat() << " is greater than max "
           << getMax()->convertToFloat();
  return success();
}

LogicalResult ClipOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  // Passes where min < x < max: step(x - min) * step(max - x). x - min is
  // never 0 for x != min (floating-point subtraction of distinct values is
  // exact enough not to vanish), so the mask is exact.
  Location loc = getLoc();
  Value x = getInput();
  Value g = resultGrads[0];
  if (std::optional<APFloat> min = getMin())
    g = MulOp::create(
        b, loc, g,
        StepOp::create(
            b, loc,
            SubOp::create(b, loc, x, scalar(b, loc, min->convertToFloat()))));
  if (std::optional<APFloat> max = getMax())
    g = MulOp::create(
        b, loc, g,
        StepOp::create(
            b, loc,
            SubOp::create(b, loc, scalar(b, loc, max->convertToFloat()), x)));
  grads.push_back(g);
  return success();
}
