//===- LoweringUtils.cpp - builders shared by nn lowerings ----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

using namespace mlir;
using namespace mlir::nn::lowering;

Value mlir::nn::lowering::f32(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value mlir::nn::lowering::emptyTensor(OpBuilder &b, Location loc,
                                      RankedTensorType type,
                                      ValueRange dynSizes) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynSizes);
}

Value mlir::nn::lowering::filledTensor(OpBuilder &b, Location loc,
                                       RankedTensorType type,
                                       ValueRange dynSizes, double value) {
  Value empty = emptyTensor(b, loc, type, dynSizes);
  return linalg::FillOp::create(b, loc, f32(b, loc, value), empty).getResult(0);
}

SmallVector<Value> mlir::nn::lowering::broadcastDynSizes(
    OpBuilder &b, Location loc, RankedTensorType result, ValueRange operands) {
  SmallVector<Value> sizes;
  int64_t rank = result.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    if (!result.isDynamicDim(d))
      continue;
    Value size;
    for (Value operand : operands) {
      auto type = cast<RankedTensorType>(operand.getType());
      int64_t od = d - (rank - type.getRank());
      if (od >= 0 && type.isDynamicDim(od)) {
        size = tensor::DimOp::create(b, loc, operand, od);
        break;
      }
    }
    assert(size && "a dynamic result dim must come from a dynamic operand dim");
    sizes.push_back(size);
  }
  return sizes;
}

AffineMap mlir::nn::lowering::broadcastMap(MLIRContext *ctx,
                                           ArrayRef<int64_t> resultShape,
                                           RankedTensorType operand) {
  int64_t rank = resultShape.size(), lead = rank - operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t od = 0; od < operand.getRank(); ++od) {
    int64_t d = od + lead;
    bool stretched = operand.getDimSize(od) == 1 && resultShape[d] != 1;
    exprs.push_back(stretched ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value mlir::nn::lowering::buildGeneric(OpBuilder &b, Location loc,
                                       RankedTensorType resultType,
                                       ValueRange dynSizes, ValueRange inputs,
                                       ArrayRef<AffineMap> inputMaps,
                                       BodyFn body) {
  Value init = emptyTensor(b, loc, resultType, dynSizes);
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, v);
      });
  return generic.getResult(0);
}

Value mlir::nn::lowering::buildElementwise(OpBuilder &b, Location loc,
                                           RankedTensorType resultType,
                                           ValueRange operands, BodyFn body) {
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(broadcastMap(b.getContext(), resultType.getShape(),
                                cast<RankedTensorType>(operand.getType())));
  return buildGeneric(b, loc, resultType,
                      broadcastDynSizes(b, loc, resultType, operands), operands,
                      maps, body);
}

AffineMap mlir::nn::lowering::dropAxesMap(MLIRContext *ctx, int64_t rank,
                                          ArrayRef<int64_t> axes) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value mlir::nn::lowering::buildReduction(OpBuilder &b, Location loc,
                                         Value input, ArrayRef<int64_t> axes,
                                         double init, CombineFn combine) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (reduced)
      continue;
    shape.push_back(type.getDimSize(d));
    if (type.isDynamicDim(d))
      dynSizes.push_back(tensor::DimOp::create(b, loc, input, d));
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value acc = filledTensor(b, loc, resultType, dynSizes, init);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank),
                              dropAxesMap(b.getContext(), rank, axes)};
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, input, acc, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[0], args[1]));
      });
  return generic.getResult(0);
}

Value mlir::nn::lowering::expandReducedDims(OpBuilder &b, Location loc,
                                            Value value,
                                            RankedTensorType keptType) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type == keptType)
    return value;
  auto reassociation = getReassociationIndicesForReshape(type, keptType);
  assert(reassociation && "inserting unit dims is always an expansion");
  return tensor::ExpandShapeOp::create(b, loc, keptType, value, *reassociation);
}

Value mlir::nn::lowering::elementCount(OpBuilder &b, Location loc, Value tensor,
                                       ArrayRef<int64_t> axes) {
  auto type = cast<RankedTensorType>(tensor.getType());
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!axes.empty() && !llvm::is_contained(axes, d))
      continue;
    Value size = tensor::DimOp::create(b, loc, tensor, d);
    count = arith::MulIOp::create(b, loc, count, size);
  }
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), asInt);
}

Value mlir::nn::lowering::log1p(OpBuilder &b, Location loc, Value x) {
  // u = 1 + x is exact up to one rounding; log(u) * x / (u - 1) corrects
  // for it. Where u rounds to 1, log1p(x) = x to working precision.
  Value one = f32(b, loc, 1.0);
  Value u = arith::AddFOp::create(b, loc, one, x);
  Value uMinusOne = arith::SubFOp::create(b, loc, u, one);
  Value corrected =
      arith::MulFOp::create(b, loc, math::LogOp::create(b, loc, u),
                            arith::DivFOp::create(b, loc, x, uMinusOne));
  Value tiny = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, u, one);
  return arith::SelectOp::create(b, loc, tiny, x, corrected);
}

Value mlir::nn::lowering::expm1(OpBuilder &b, Location loc, Value x) {
  // u = e^x; (u - 1) * x / log(u) cancels the rounding of u. Where u rounds
  // to 1 the result is x; where u - 1 is -1 (x very negative) it is -1.
  Value one = f32(b, loc, 1.0), minusOne = f32(b, loc, -1.0);
  Value u = math::ExpOp::create(b, loc, x);
  Value uMinusOne = arith::SubFOp::create(b, loc, u, one);
  Value corrected = arith::MulFOp::create(
      b, loc, uMinusOne,
      arith::DivFOp::create(b, loc, x, math::LogOp::create(b, loc, u)));
  Value saturated = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          uMinusOne, minusOne);
  Value tiny = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, u, one);
  Value result =
      arith::SelectOp::create(b, loc, saturated, minusOne, corrected);
  return arith::SelectOp::create(b, loc, tiny, x, result);
}

Value mlir::nn::lowering::extractScalar(OpBuilder &b, Location loc,
                                        Value tensor) {
  return tensor::ExtractOp::create(b, loc, tensor, ValueRange{});
}

Value mlir::nn::lowering::scalarTensor(OpBuilder &b, Location loc,
                                       Value scalar) {
  return tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({}, scalar.getType()), scalar);
}
