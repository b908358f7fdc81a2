//===- GradientUtils.h - helpers for VJP rules ------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Small builders the per-family gradient rules share. They emit `nn` ops only,
// so gradients stay ordinary `nn` IR that fuses and lowers like the forward.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_DIALECT_NN_IR_GRADIENTUTILS_H
#define NEURONA_LIB_DIALECT_NN_IR_GRADIENTUTILS_H

#include "mlir/IR/Builders.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

namespace mlir::nn::grad {

/// Sums `grad` over the dimensions that broadcasting stretched so that it has
/// `target`'s shape again (the adjoint of numpy broadcasting).
Value unbroadcast(OpBuilder &b, Location loc, Value grad, Type target);

/// `value` with the reduced `axes` re-inserted as size-1 dimensions.
Value keepReducedDims(OpBuilder &b, Location loc, Value value,
                      RankedTensorType input, ArrayRef<int64_t> axes);

inline Value scalar(OpBuilder &b, Location loc, float v) {
  return ConstantOp::createScalar(b, loc, v);
}

} // namespace mlir::nn::grad

#endif // NEURONA_LIB_DIALECT_NN_IR_GRADIENTUTILS_H
