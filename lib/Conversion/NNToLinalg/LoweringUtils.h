//===- LoweringUtils.h - builders shared by nn lowerings --------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_CONVERSION_NNTOLINALG_LOWERINGUTILS_H
#define NEURONA_LIB_CONVERSION_NNTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::nn::lowering {

/// Computes one scalar from the scalars of a generic's inputs.
using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;
/// Folds one input element into the accumulator: (b, loc, element, acc).
using CombineFn = function_ref<Value(OpBuilder &, Location, Value, Value)>;

Value f32(OpBuilder &b, Location loc, double v);

/// `tensor.empty` of `type`; `dynSizes` gives its dynamic dimensions in order.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange dynSizes);

/// `linalg.fill` of a fresh tensor with `value`.
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   ValueRange dynSizes, double value);

/// Dynamic sizes of `result` taken from numpy-broadcast `operands`.
SmallVector<Value> broadcastDynSizes(OpBuilder &b, Location loc,
                                     RankedTensorType result,
                                     ValueRange operands);

/// Indexing map reading `operand` broadcast (numpy rules) to `resultShape`.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> resultShape,
                       RankedTensorType operand);

/// An all-parallel `linalg.generic` producing `resultType`.
Value buildGeneric(OpBuilder &b, Location loc, RankedTensorType resultType,
                   ValueRange dynSizes, ValueRange inputs,
                   ArrayRef<AffineMap> inputMaps, BodyFn body);

/// Elementwise `body` over numpy-broadcast `operands`.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange operands, BodyFn body);

/// Reduces `input` over the sorted `axes` (which disappear) starting from
/// `init`.
Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, double init, CombineFn combine);

/// `value` (which lacks the reduced `axes`) reshaped to `keptType`, which has
/// them as size-1 dimensions.
Value expandReducedDims(OpBuilder &b, Location loc, Value value,
                        RankedTensorType keptType);

/// The map that reads a tensor with `axes` removed from the full iteration
/// space of rank `rank`.
AffineMap dropAxesMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> axes);

/// Product of the sizes of `tensor` over `axes` (all when empty), as f32.
Value elementCount(OpBuilder &b, Location loc, Value tensor,
                   ArrayRef<int64_t> axes);

/// log(1 + x) without the cancellation of forming 1 + x for small |x|
/// (Goldberg's trick; MathToLLVM lowers math.log1p as plain log(1 + x)).
Value log1p(OpBuilder &b, Location loc, Value x);

/// e^x - 1 without cancellation near 0 (Kahan's trick, as log1p above).
Value expm1(OpBuilder &b, Location loc, Value x);

/// Extracts the element of a rank-0 tensor.
Value extractScalar(OpBuilder &b, Location loc, Value tensor);

/// Wraps a scalar in a rank-0 tensor.
Value scalarTensor(OpBuilder &b, Location loc, Value scalar);

} // namespace mlir::nn::lowering

#endif // NEURONA_LIB_CONVERSION_NNTOLINALG_LOWERINGUTILS_H
