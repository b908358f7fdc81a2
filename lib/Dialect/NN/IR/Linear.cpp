//===- Linear.cpp - matmul ------------------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

using namespace mlir;
using namespace mlir::nn;

/// `op(x) op(y)` shaped as `target`, the gradient of one matmul operand: the
/// batched product summed over the batch dimensions `target` lacks or
/// broadcast. A target without batch dimensions takes the sum inside the
/// product (`batch_reduce`), so the batched products are never
/// materialised: the weight gradient of a layer applied at every step.
static Value gradientProduct(OpBuilder &b, Location loc, Value x, Value y,
                             bool tx, bool ty, Value target) {
  auto targetType = cast<RankedTensorType>(target.getType());
  auto xType = cast<RankedTensorType>(x.getType());
  auto yType = cast<RankedTensorType>(y.getType());
  bool batched = xType.getRank() > 2 || yType.getRank() > 2;
  if (targetType.getRank() == 2 && batched)
    return MatmulOp::create(b, loc, x, y, tx, ty, /*batch_reduce=*/true);
  Value product = MatmulOp::create(b, loc, x, y, tx, ty);
  return grad::unbroadcast(b, loc, product, targetType);
}

LogicalResult MatmulOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  // With C = op(A) op(B) and G = dC: d op(A) = G op(B)^T, d op(B) = op(A)^T G.
  // Undoing op on each side gives the four cases below, each a single matmul
  // with transposes folded in, so no transpose is ever materialised. Batch
  // dimensions ride along: each batch's product has the rule of a matrix
  // product, and a broadcast operand's gradient is summed over the batches
  // it was broadcast to. Under batch_reduce, G has no batch dimensions and
  // broadcasts against the other operand's.
  Location loc = getLoc();
  Value g = resultGrads[0], a = getLhs(), bb = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  Value dA, dB;
  auto gradA = [&](Value x, Value y, bool tx, bool ty) {
    dA = gradientProduct(b, loc, x, y, tx, ty, a);
  };
  auto gradB = [&](Value x, Value y, bool tx, bool ty) {
    dB = gradientProduct(b, loc, x, y, tx, ty, bb);
  };
  if (!ta && !tb) {
    gradA(g, bb, false, true); // G B^T
    gradB(a, g, true, false);  // A^T G
  } else if (ta && !tb) {
    gradA(bb, g, false, true); // B G^T
    gradB(a, g, false, false); // A G
  } else if (!ta && tb) {
    gradA(g, bb, false, false); // G B
    gradB(g, a, true, false);   // G^T A
  } else {
    gradA(bb, g, true, true); // B^T G^T
    gradB(g, a, true, true);  // G^T A^T
  }
  grads.push_back(dA);
  grads.push_back(dB);
  return success();
}
