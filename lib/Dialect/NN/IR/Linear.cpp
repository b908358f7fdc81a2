//===- Linear.cpp - matmul ------------------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

using namespace mlir;
using namespace mlir::nn;

/// Builds `op(lhs) x op(rhs)` where op transposes when asked.
static Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                    bool transposeLhs, bool transposeRhs) {
  return MatmulOp::create(b, loc, lhs, rhs, transposeLhs, transposeRhs);
}

LogicalResult MatmulOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  // With C = op(A) op(B) and G = dC: d op(A) = G op(B)^T, d op(B) = op(A)^T G.
  // Undoing op on each side gives the four cases below, each a single matmul
  // with transposes folded in, so no transpose is ever materialised.
  Location loc = getLoc();
  Value g = resultGrads[0], a = getLhs(), bb = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  Value dA, dB;
  if (!ta && !tb) {
    dA = matmul(b, loc, g, bb, false, true); // G B^T
    dB = matmul(b, loc, a, g, true, false);  // A^T G
  } else if (ta && !tb) {
    dA = matmul(b, loc, bb, g, false, true); // B G^T
    dB = matmul(b, loc, a, g, false, false); // A G
  } else if (!ta && tb) {
    dA = matmul(b, loc, g, bb, false, false); // G B
    dB = matmul(b, loc, g, a, true, false);   // G^T A
  } else {
    dA = matmul(b, loc, bb, g, true, true); // B^T G^T
    dB = matmul(b, loc, g, a, true, true);  // G^T A^T
  }
  grads.push_back(dA);
  grads.push_back(dB);
  return success();
}
