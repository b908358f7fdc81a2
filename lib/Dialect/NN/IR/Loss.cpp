//===- Loss.cpp - losses and one_hot --------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Losses are single ops rather than compositions so that their gradients are
// the closed forms frameworks use (softmax - onehot; PyTorch's clamped BCE),
// which are both cheaper and better conditioned than differentiating the
// composition.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

using namespace mlir;
using namespace mlir::nn;
using grad::scalar;

static LogicalResult verifySameShape(Operation *op, RankedTensorType input,
                                     RankedTensorType target) {
  if (input.getRank() != target.getRank())
    return op->emitOpError("input ")
           << input << " and target " << target << " have different ranks";
  for (auto [a, b] : llvm::zip(input.getShape(), target.getShape()))
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
      return op->emitOpError("input ")
             << input << " and target " << target << " have different shapes";
  return success();
}

LogicalResult MSEOp::verify() {
  return verifySameShape(*this, getInput().getType(), getTarget().getType());
}

LogicalResult MAEOp::verify() {
  return verifySameShape(*this, getInput().getType(), getTarget().getType());
}

LogicalResult BinaryCrossEntropyOp::verify() {
  return verifySameShape(*this, getInput().getType(), getTarget().getType());
}

LogicalResult CrossEntropyOp::verify() {
  auto logits = getInput().getType();
  auto labels = cast<RankedTensorType>(getTarget().getType());
  if (logits.getRank() != 2)
    return emitOpError("expects 2-D logits (batch x classes), got ") << logits;
  if (isa<FloatType>(labels.getElementType())) {
    if (!labels.getElementType().isF32())
      return emitOpError("expects f32 class probabilities, got ") << labels;
    return verifySameShape(*this, logits, labels);
  }
  if (!labels.getElementType().isSignlessInteger(32) &&
      !labels.getElementType().isSignlessInteger(64))
    return emitOpError("expects i32/i64 class indices or f32 class "
                       "probabilities as the target, got ")
           << labels;
  if (labels.getRank() != 1)
    return emitOpError("expects 1-D integer labels, got ") << labels;
  int64_t a = logits.getDimSize(0), b = labels.getDimSize(0);
  if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
    return emitOpError("batch sizes differ: ") << logits << " vs " << labels;
  return success();
}

LogicalResult MSEOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  // d/dp mean((p - t)^2) = 2 (p - t) / n
  Location loc = getLoc();
  Value diff = SubOp::create(b, loc, getInput(), getTarget());
  Value scale = DivOp::create(
      b, loc, MulOp::create(b, loc, resultGrads[0], scalar(b, loc, 2.0f)),
      NumelOp::create(b, loc, getInput(), ArrayRef<int64_t>{}));
  Value dInput = MulOp::create(b, loc, diff, scale);
  grads.push_back(dInput);
  grads.push_back(NegOp::create(b, loc, dInput));
  return success();
}

LogicalResult MAEOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  // d/dp mean(|p - t|) = sign(p - t) / n, 0 where p = t (PyTorch's
  // subgradient of L1Loss).
  Location loc = getLoc();
  Value sign = SignOp::create(b, loc, SubOp::create(b, loc, getInput(),
                                                    getTarget()));
  Value scale = DivOp::create(
      b, loc, resultGrads[0],
      NumelOp::create(b, loc, getInput(), ArrayRef<int64_t>{}));
  Value dInput = MulOp::create(b, loc, sign, scale);
  grads.push_back(dInput);
  grads.push_back(NegOp::create(b, loc, dInput));
  return success();
}

LogicalResult
BinaryCrossEntropyOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  if (getFromLogits()) {
    // BCEWithLogitsLoss: (sigmoid(z) - t) / n
    Value z = getInput();
    Value scale = DivOp::create(
        b, loc, resultGrads[0], NumelOp::create(b, loc, z, ArrayRef<int64_t>{}));
    Value diff =
        SubOp::create(b, loc, SigmoidOp::create(b, loc, z), getTarget());
    grads.push_back(MulOp::create(b, loc, diff, scale));
    grads.push_back(Value()); // Targets are data.
    return success();
  }
  // PyTorch's rule: (p - t) / max(p (1 - p), 1e-12) / n
  Value p = getInput();
  Value denom = MaximumOp::create(
      b, loc,
      MulOp::create(b, loc, p, SubOp::create(b, loc, scalar(b, loc, 1.0f), p)),
      scalar(b, loc, 1e-12f));
  Value ratio =
      DivOp::create(b, loc, SubOp::create(b, loc, p, getTarget()), denom);
  Value scale = DivOp::create(b, loc, resultGrads[0],
                              NumelOp::create(b, loc, p, ArrayRef<int64_t>{}));
  grads.push_back(MulOp::create(b, loc, ratio, scale));
  grads.push_back(Value()); // Targets are data.
  return success();
}

LogicalResult CrossEntropyOp::buildGradients(OpBuilder &b,
                                             ValueRange resultGrads,
                                             SmallVectorImpl<Value> &grads) {
  // (softmax(x) - onehot(y)) / batch; with class probabilities t,
  // (softmax(x) * sum_j t_j - t) / batch, which is the same when the rows
  // of t sum to 1.
  Location loc = getLoc();
  auto logits = getInput().getType();
  Value probs = SoftmaxOp::create(b, loc, getInput(), /*axis=*/1);
  Value target = getTarget();
  if (isa<FloatType>(getTarget().getType().getElementType())) {
    Value mass = ReduceSumOp::create(b, loc, target,
                                     b.getDenseI64ArrayAttr({1}),
                                     /*keepdims=*/true);
    probs = MulOp::create(b, loc, probs, mass);
  } else {
    target = OneHotOp::create(b, loc, target, logits.getDimSize(1));
  }
  Value scale =
      DivOp::create(b, loc, resultGrads[0],
                    NumelOp::create(b, loc, getInput(), ArrayRef<int64_t>{0}));
  grads.push_back(
      MulOp::create(b, loc, SubOp::create(b, loc, probs, target), scale));
  grads.push_back(Value()); // Targets are data.
  return success();
}
