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

#include "llvm/ADT/Sequence.h"

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
  if (logits.getRank() < 2)
    return emitOpError("expects logits of rank 2 or more, classes last "
                       "(batch x classes), got ")
           << logits;
  if (isa<FloatType>(labels.getElementType())) {
    if (!labels.getElementType().isF32())
      return emitOpError("expects f32 class probabilities, got ") << labels;
    if (getIgnoreIndex())
      return emitOpError("ignore_index needs integer class indices as the "
                         "target, got ")
             << labels;
    return verifySameShape(*this, logits, labels);
  }
  if (!labels.getElementType().isSignlessInteger(32) &&
      !labels.getElementType().isSignlessInteger(64))
    return emitOpError("expects i32/i64 class indices or f32 class "
                       "probabilities as the target, got ")
           << labels;
  if (labels.getRank() != logits.getRank() - 1)
    return emitOpError("expects integer labels of rank ")
           << logits.getRank() - 1 << " for logits " << logits << ", got "
           << labels;
  for (int64_t d = 0; d < labels.getRank(); ++d) {
    int64_t a = logits.getDimSize(d), b = labels.getDimSize(d);
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
      return emitOpError("label positions differ from the logits': ")
             << logits << " vs " << labels;
  }
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
  // (softmax(x) - onehot(y)) / n over the n positions; with class
  // probabilities t, (softmax(x) * sum_j t_j - t) / n, which is the same
  // when the rows of t sum to 1. With ignore_index, the ignored positions'
  // rows are zero and n counts the others (at least 1, as the loss does).
  Location loc = getLoc();
  auto logits = getInput().getType();
  int64_t classAxis = logits.getRank() - 1;
  Value probs = SoftmaxOp::create(b, loc, getInput(), classAxis);
  Value target = getTarget();
  SmallVector<int64_t> positions =
      llvm::to_vector(llvm::seq<int64_t>(0, classAxis));
  Value count = NumelOp::create(b, loc, getInput(), positions);
  Value diff;
  if (isa<FloatType>(getTarget().getType().getElementType())) {
    Value mass = ReduceSumOp::create(b, loc, target,
                                     b.getDenseI64ArrayAttr({classAxis}),
                                     /*keepdims=*/true);
    diff = SubOp::create(b, loc, MulOp::create(b, loc, probs, mass), target);
  } else {
    diff = SubOp::create(
        b, loc, probs,
        OneHotOp::create(b, loc, target, logits.getDimSize(classAxis)));
    if (std::optional<int64_t> ignore = getIgnoreIndex()) {
      // kept = (y != ignore) as f32, with the class axis back as size 1.
      auto labelType = cast<RankedTensorType>(target.getType());
      Value ignored = ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({}, labelType.getElementType()),
              b.getIntegerAttr(labelType.getElementType(), *ignore)));
      Value kept = CastOp::create(
          b, loc, RankedTensorType::get(labelType.getShape(), b.getF32Type()),
          LogicalNotOp::create(b, loc, EqualOp::create(b, loc, target,
                                                       ignored)));
      count = MaximumOp::create(
          b, loc,
          ReduceSumOp::create(b, loc, kept,
                              b.getDenseI64ArrayAttr(positions),
                              /*keepdims=*/false),
          grad::scalar(b, loc, 1.0f));
      SmallVector<int64_t> keptShape(labelType.getShape());
      keptShape.push_back(1);
      diff = MulOp::create(
          b, loc, diff,
          ReshapeOp::create(
              b, loc, RankedTensorType::get(keptShape, b.getF32Type()), kept));
    }
  }
  Value scale = DivOp::create(b, loc, resultGrads[0], count);
  grads.push_back(MulOp::create(b, loc, diff, scale));
  grads.push_back(Value()); // Targets are data.
  return success();
}
