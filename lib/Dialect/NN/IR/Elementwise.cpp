//===- Elementwise.cpp - elementwise and softmax ops ----------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Gradient rules for the elementwise family. Rules reuse the forward result
// where that is cheaper than recomputing (sigmoid, tanh, exp, softmax).
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

using namespace mlir;
using namespace mlir::nn;
using grad::scalar;
using grad::unbroadcast;

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Value g = resultGrads[0];
  grads.push_back(unbroadcast(b, getLoc(), g, getLhs().getType()));
  grads.push_back(unbroadcast(b, getLoc(), g, getRhs().getType()));
  return success();
}

LogicalResult SubOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Value g = resultGrads[0];
  grads.push_back(unbroadcast(b, getLoc(), g, getLhs().getType()));
  grads.push_back(unbroadcast(b, getLoc(), NegOp::create(b, getLoc(), g),
                              getRhs().getType()));
  return success();
}

LogicalResult MulOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value g = resultGrads[0];
  grads.push_back(unbroadcast(b, loc, MulOp::create(b, loc, g, getRhs()),
                              getLhs().getType()));
  grads.push_back(unbroadcast(b, loc, MulOp::create(b, loc, g, getLhs()),
                              getRhs().getType()));
  return success();
}

LogicalResult DivOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value g = resultGrads[0];
  // d(a/b)/db = -(a/b)/b: reuse the quotient.
  Value gOverB = DivOp::create(b, loc, g, getRhs());
  Value dRhs =
      NegOp::create(b, loc, MulOp::create(b, loc, gOverB, getResult()));
  grads.push_back(unbroadcast(b, loc, gOverB, getLhs().getType()));
  grads.push_back(unbroadcast(b, loc, dRhs, getRhs().getType()));
  return success();
}

/// Splits `g` between the operands of a binary max or min, in PyTorch's
/// way: the operand that wins takes the gradient and ties split it evenly.
/// The lhs wins where `first` > `second` ((lhs, rhs) for maximum, (rhs, lhs)
/// for minimum), so lhsShare = (1 + step(first - second) -
/// step(second - first)) / 2 is 1, 1/2 or 0.
static void splitBetweenWinners(OpBuilder &b, Location loc, Value g, Value lhs,
                                Value rhs, Value first, Value second,
                                SmallVectorImpl<Value> &grads) {
  Value lhsWins = StepOp::create(b, loc, SubOp::create(b, loc, first, second));
  Value rhsWins = StepOp::create(b, loc, SubOp::create(b, loc, second, first));
  Value twice = SubOp::create(
      b, loc, AddOp::create(b, loc, scalar(b, loc, 1.0f), lhsWins), rhsWins);
  Value lhsShare = MulOp::create(b, loc, twice, scalar(b, loc, 0.5f));
  Value dLhs = MulOp::create(b, loc, g, lhsShare);
  Value dRhs = SubOp::create(b, loc, g, dLhs);
  grads.push_back(unbroadcast(b, loc, dLhs, lhs.getType()));
  grads.push_back(unbroadcast(b, loc, dRhs, rhs.getType()));
}

LogicalResult MaximumOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  // The larger operand takes the gradient.
  splitBetweenWinners(b, getLoc(), resultGrads[0], getLhs(), getRhs(), getLhs(),
                      getRhs(), grads);
  return success();
}

LogicalResult MinimumOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  // The smaller operand takes the gradient.
  splitBetweenWinners(b, getLoc(), resultGrads[0], getLhs(), getRhs(), getRhs(),
                      getLhs(), grads);
  return success();
}

LogicalResult PowOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  // d(a^b)/da = b * a^(b-1), computed as its own power rather than
  // b * y / a, which is 0/0 at a = 0. d(a^b)/db = y * log(a), NaN for a
  // negative base as in PyTorch; when b is a constant (the usual x^2) nothing
  // uses it and it folds away.
  Location loc = getLoc();
  Value g = resultGrads[0], base = getLhs(), exponent = getRhs();
  Value lowered = PowOp::create(
      b, loc, base, SubOp::create(b, loc, exponent, scalar(b, loc, 1.0f)));
  Value dBase =
      MulOp::create(b, loc, g, MulOp::create(b, loc, exponent, lowered));
  Value dExponent = MulOp::create(
      b, loc, g,
      MulOp::create(b, loc, getResult(), LogOp::create(b, loc, base)));
  grads.push_back(unbroadcast(b, loc, dBase, base.getType()));
  grads.push_back(unbroadcast(b, loc, dExponent, exponent.getType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

LogicalResult NegOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  grads.push_back(NegOp::create(b, getLoc(), resultGrads[0]));
  return success();
}

LogicalResult ExpOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  grads.push_back(MulOp::create(b, getLoc(), resultGrads[0], getResult()));
  return success();
}

LogicalResult LogOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  grads.push_back(DivOp::create(b, getLoc(), resultGrads[0], getInput()));
  return success();
}

LogicalResult SqrtOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value half = MulOp::create(b, loc, resultGrads[0], scalar(b, loc, 0.5f));
  grads.push_back(DivOp::create(b, loc, half, getResult()));
  return success();
}

LogicalResult ReluOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  grads.push_back(MulOp::create(b, loc, resultGrads[0],
                                StepOp::create(b, loc, getInput())));
  return success();
}

LogicalResult SigmoidOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value y = getResult();
  Value oneMinusY = SubOp::create(b, loc, scalar(b, loc, 1.0f), y);
  grads.push_back(MulOp::create(b, loc, resultGrads[0],
                                MulOp::create(b, loc, y, oneMinusY)));
  return success();
}

LogicalResult TanhOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value y = getResult();
  Value slope =
      SubOp::create(b, loc, scalar(b, loc, 1.0f), MulOp::create(b, loc, y, y));
  grads.push_back(MulOp::create(b, loc, resultGrads[0], slope));
  return success();
}

LogicalResult StepOp::buildGradients(OpBuilder &, ValueRange,
                                     SmallVectorImpl<Value> &grads) {
  grads.push_back(Value()); // Zero almost everywhere.
  return success();
}

// Piecewise-constant ops have a zero gradient almost everywhere; a null
// gradient tells nn-autodiff that nothing flows back.
LogicalResult SignOp::buildGradients(OpBuilder &, ValueRange,
                                     SmallVectorImpl<Value> &grads) {
  grads.push_back(Value());
  return success();
}

LogicalResult CeilOp::buildGradients(OpBuilder &, ValueRange,
                                     SmallVectorImpl<Value> &grads) {
  grads.push_back(Value());
  return success();
}

LogicalResult FloorOp::buildGradients(OpBuilder &, ValueRange,
                                      SmallVectorImpl<Value> &grads) {
  grads.push_back(Value());
  return success();
}

LogicalResult AbsOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  // sign(x), so 0 at x = 0 as in PyTorch.
  Location loc = getLoc();
  grads.push_back(MulOp::create(b, loc, resultGrads[0],
                                SignOp::create(b, loc, getInput())));
  return success();
}

LogicalResult ReciprocalOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                           SmallVectorImpl<Value> &grads) {
  // d(1/x)/dx = -1/x^2 = -y^2.
  Location loc = getLoc();
  Value y = getResult();
  Value scaled =
      MulOp::create(b, loc, resultGrads[0], MulOp::create(b, loc, y, y));
  grads.push_back(NegOp::create(b, loc, scaled));
  return success();
}

LogicalResult ErfOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  // 2/sqrt(pi) * e^(-x^2)
  Location loc = getLoc();
  Value x = getInput();
  Value gauss =
      ExpOp::create(b, loc, NegOp::create(b, loc, MulOp::create(b, loc, x, x)));
  Value slope =
      MulOp::create(b, loc, gauss, scalar(b, loc, 1.12837916709551257390f));
  grads.push_back(MulOp::create(b, loc, resultGrads[0], slope));
  return success();
}

LogicalResult SoftplusOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                         SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  grads.push_back(MulOp::create(b, loc, resultGrads[0],
                                SigmoidOp::create(b, loc, getInput())));
  return success();
}

LogicalResult SoftsignOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                         SmallVectorImpl<Value> &grads) {
  // 1 / (1 + |x|)^2
  Location loc = getLoc();
  Value denom = AddOp::create(b, loc, scalar(b, loc, 1.0f),
                              AbsOp::create(b, loc, getInput()));
  grads.push_back(DivOp::create(b, loc, resultGrads[0],
                                MulOp::create(b, loc, denom, denom)));
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

template <typename OpTy> static LogicalResult verifySoftmaxAxis(OpTy op) {
  if (op.getNormalizedAxis() < 0)
    return op.emitOpError("axis ") << op.getAxis() << " is out of range for "
                                   << op.getInput().getType();
  return success();
}

int64_t SoftmaxOp::getNormalizedAxis() {
  return normalizeAxis(getAxis(), getInput().getType().getRank());
}
int64_t LogSoftmaxOp::getNormalizedAxis() {
  return normalizeAxis(getAxis(), getInput().getType().getRank());
}
LogicalResult SoftmaxOp::verify() { return verifySoftmaxAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxAxis(*this); }

/// sum(v, axis) with the axis kept, ready to broadcast against `v`.
static Value sumKeepAxis(OpBuilder &b, Location loc, Value v, int64_t axis) {
  return ReduceSumOp::create(b, loc, v, b.getDenseI64ArrayAttr({axis}), true);
}

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  // dx = y * (g - sum(g * y))
  Location loc = getLoc();
  Value g = resultGrads[0], y = getResult();
  Value dot =
      sumKeepAxis(b, loc, MulOp::create(b, loc, g, y), getNormalizedAxis());
  grads.push_back(MulOp::create(b, loc, y, SubOp::create(b, loc, g, dot)));
  return success();
}

LogicalResult LogSoftmaxOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                           SmallVectorImpl<Value> &grads) {
  // dx = g - softmax(x) * sum(g), with softmax(x) = exp(y)
  Location loc = getLoc();
  Value g = resultGrads[0];
  Value total = sumKeepAxis(b, loc, g, getNormalizedAxis());
  Value probs = ExpOp::create(b, loc, getResult());
  grads.push_back(
      SubOp::create(b, loc, g, MulOp::create(b, loc, probs, total)));
  return success();
}
