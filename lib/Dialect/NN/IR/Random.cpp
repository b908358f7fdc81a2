//===- Random.cpp - dropout, gaussian_noise, random_normal/uniform --------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Verifiers, shape inference and gradient rules of the random ops. Their
// draws are pure functions of (rng, stream, element index), so a gradient
// rule can draw the forward's numbers again instead of keeping them.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nn;

LogicalResult mlir::nn::inferRandomLike(std::optional<Location> loc, Type like,
                                        SmallVectorImpl<Type> &types) {
  auto l = dyn_cast<RankedTensorType>(like);
  if (!l)
    return emitOptionalError(loc, "expects a ranked tensor to take the shape "
                                  "of, got ",
                             like);
  types.push_back(RankedTensorType::get(l.getShape(),
                                        Float32Type::get(l.getContext())));
  return success();
}

/// Checks what every random op shares: a 32-bit stream and a (seed, step)
/// pair of type tensor<2xi64>.
static LogicalResult verifyRandom(Operation *op, uint64_t stream, Value rng) {
  // The attribute is signed in the IR; uint64_t wraps a negative one.
  if (stream > 0xffffffffull)
    return op->emitOpError("stream must be in [0, 2^32), got ")
           << int64_t(stream);
  if (rng) {
    auto type = cast<RankedTensorType>(rng.getType());
    if (type.getRank() != 1 || type.getDimSize(0) != 2)
      return op->emitOpError("rng must be tensor<2xi64> (seed, step), got ")
             << type;
  }
  return success();
}

LogicalResult DropoutOp::verify() {
  float rate = getRate().convertToFloat();
  if (!(rate >= 0.0f && rate < 1.0f))
    return emitOpError("rate must be in [0, 1), got ") << rate;
  return verifyRandom(*this, getStream(), getRng());
}

LogicalResult GaussianNoiseOp::verify() {
  float stddev = getStddev().convertToFloat();
  if (!(stddev >= 0.0f) || std::isinf(stddev))
    return emitOpError("stddev must be finite and >= 0, got ") << stddev;
  return verifyRandom(*this, getStream(), getRng());
}

LogicalResult RandomNormalOp::verify() {
  return verifyRandom(*this, getStream(), getRng());
}

LogicalResult RandomUniformOp::verify() {
  return verifyRandom(*this, getStream(), getRng());
}

LogicalResult DropoutOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  // y = x * mask / (1 - rate) is linear in x with a diagonal Jacobian, so
  // dx = dropout(dy) with the same rng and stream: the same mask and scale.
  grads.push_back(DropoutOp::create(b, getLoc(), resultGrads[0], getRng(),
                                    getRateAttr(), getStreamAttr()));
  grads.resize(getNumOperands()); // none for rng
  return success();
}

LogicalResult GaussianNoiseOp::buildGradients(OpBuilder &b,
                                              ValueRange resultGrads,
                                              SmallVectorImpl<Value> &grads) {
  grads.push_back(resultGrads[0]);
  grads.resize(getNumOperands()); // none for rng
  return success();
}

/// The draws do not depend on the values of `like`, only on its shape.
static LogicalResult noGradients(Operation *op, SmallVectorImpl<Value> &grads) {
  grads.append(op->getNumOperands(), nullptr);
  return success();
}

LogicalResult RandomNormalOp::buildGradients(OpBuilder &, ValueRange,
                                             SmallVectorImpl<Value> &grads) {
  return noGradients(*this, grads);
}

LogicalResult RandomUniformOp::buildGradients(OpBuilder &, ValueRange,
                                              SmallVectorImpl<Value> &grads) {
  return noGradients(*this, grads);
}
