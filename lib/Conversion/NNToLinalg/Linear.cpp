//===- Linear.cpp - nn.matmul to linalg -----------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

/// The contraction `linalg.generic` of `op(lhs) op(rhs)`, batched when the
/// operands have dimensions before their last two (broadcast by the
/// indexing maps: a missing dimension is not indexed, a size-1 dimension
/// against a larger one reads index 0). The batch loops come first and are
/// reduction loops under `batchReduce`. The matrix loops keep the innermost
/// loop on unit-stride memory: (m, k, n) when the rhs is row-major KxN,
/// (k, m, n) when the lhs is transposed, and (m, n, k) when the rhs is
/// transposed (a dot product over contiguous rows). Tiling passes that
/// match contractions see through the order.
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       bool ta, bool tb, bool batchReduce,
                       RankedTensorType resultType) {
  MLIRContext *ctx = b.getContext();
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t lr = lhsType.getRank(), rr = rhsType.getRank();
  int64_t batchRank = std::max(lr, rr) - 2;
  SmallVector<int64_t> batchShape = *broadcastShapes(
      lhsType.getShape().drop_back(2), rhsType.getShape().drop_back(2));

  unsigned m, n, k;
  if (tb && !ta) {
    m = 0, n = 1, k = 2;
  } else if (ta && !tb) {
    k = 0, m = 1, n = 2;
  } else {
    m = 0, k = 1, n = 2;
  }
  unsigned loops = batchRank + 3;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto mat = [&](unsigned i) { return d(batchRank + i); };
  // The batch part of an operand's map, right-aligned on the batch loops.
  auto batchExprs = [&](RankedTensorType type) {
    SmallVector<AffineExpr> exprs;
    int64_t rank = type.getRank() - 2, lead = batchRank - rank;
    for (int64_t j = 0; j < rank; ++j)
      exprs.push_back(type.getDimSize(j) == 1 && batchShape[lead + j] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : d(lead + j));
    return exprs;
  };
  SmallVector<AffineExpr> lhsExprs = batchExprs(lhsType);
  lhsExprs.append(ta ? SmallVector<AffineExpr>{mat(k), mat(m)}
                     : SmallVector<AffineExpr>{mat(m), mat(k)});
  SmallVector<AffineExpr> rhsExprs = batchExprs(rhsType);
  rhsExprs.append(tb ? SmallVector<AffineExpr>{mat(n), mat(k)}
                     : SmallVector<AffineExpr>{mat(k), mat(n)});
  SmallVector<AffineExpr> outExprs;
  if (!batchReduce)
    for (int64_t j = 0; j < batchRank; ++j)
      outExprs.push_back(d(j));
  outExprs.append({mat(m), mat(n)});
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, lhsExprs, ctx),
                                 AffineMap::get(loops, 0, rhsExprs, ctx),
                                 AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(
      loops, batchReduce ? utils::IteratorType::reduction
                         : utils::IteratorType::parallel);
  for (unsigned i = 0; i < 3; ++i)
    iterators[batchRank + i] = i == k ? utils::IteratorType::reduction
                                      : utils::IteratorType::parallel;

  // Dynamic result sizes, from an operand dimension that is dynamic there.
  SmallVector<Value> dynSizes;
  auto dimOf = [&](Value v, int64_t dim) -> Value {
    return tensor::DimOp::create(b, loc, v, dim);
  };
  int64_t outRank = resultType.getRank();
  for (int64_t i = 0; i < outRank; ++i) {
    if (!resultType.isDynamicDim(i))
      continue;
    if (i == outRank - 2) {
      dynSizes.push_back(dimOf(lhs, ta ? lr - 1 : lr - 2));
    } else if (i == outRank - 1) {
      dynSizes.push_back(dimOf(rhs, tb ? rr - 2 : rr - 1));
    } else {
      int64_t fromLhs = i - (batchRank - (lr - 2));
      dynSizes.push_back(fromLhs >= 0 && lhsType.isDynamicDim(fromLhs)
                             ? dimOf(lhs, fromLhs)
                             : dimOf(rhs, i - (batchRank - (rr - 2))));
    }
  }
  Value acc = filledTensor(b, loc, resultType, dynSizes, 0.0);

  // Reassociation lets LLVM vectorise the dot-product form.
  auto fm = arith::FastMathFlagsAttr::get(
      ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{lhs, rhs}, acc, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value prod = arith::MulFOp::create(nb, l, args[0], args[1], fm);
        linalg::YieldOp::create(
            nb, l, Value(arith::AddFOp::create(nb, l, args[2], prod, fm)));
      });
  return generic.getResult(0);
}

/// `value` [d0, ..., dr-2, dr-1] with its leading dimensions merged into one
/// row dimension: [d0 * ... * dr-2, dr-1].
Value collapseRows(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank(), rows = 1;
  ReassociationIndices leading;
  for (int64_t i = 0; i + 1 < rank; ++i) {
    leading.push_back(i);
    rows = type.isDynamicDim(i) || ShapedType::isDynamic(rows)
               ? ShapedType::kDynamic
               : rows * type.getDimSize(i);
  }
  auto collapsed = RankedTensorType::get({rows, type.getDimSize(rank - 1)},
                                         type.getElementType());
  return tensor::CollapseShapeOp::create(
      b, loc, collapsed, value,
      SmallVector<ReassociationIndices>{leading, {rank - 1}});
}

/// Lowers `nn.matmul`. Two batched forms become one 2-D contraction over
/// rows, so that they take the tiled GEMM path: a batched lhs against an
/// unbatched rhs (a layer applied at every step) merges the lhs's leading
/// dimensions into M, and the batch-reduced `op(A)^T B` of two operands
/// with the same batch (that layer's weight gradient) merges them into K.
/// Other batched products are one batched contraction.
struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool ta = op.getTransposeLhs(), tb = op.getTransposeRhs();
    bool reduce = op.getBatchReduce();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    RankedTensorType resultType = op.getType();
    Type elt = resultType.getElementType();

    if (!reduce && !ta && lhsType.getRank() > 2 && rhsType.getRank() == 2) {
      Value rows = collapseRows(rewriter, loc, lhs);
      auto rowsType = RankedTensorType::get(
          {cast<RankedTensorType>(rows.getType()).getDimSize(0),
           resultType.getShape().back()},
          elt);
      Value product = buildContraction(rewriter, loc, rows, rhs, false, tb,
                                       false, rowsType);
      SmallVector<ReassociationIndices> groups(1);
      for (int64_t i = 0; i + 1 < resultType.getRank(); ++i)
        groups[0].push_back(i);
      groups.push_back({resultType.getRank() - 1});
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, resultType,
                                                         product, groups);
      return success();
    }
    if (reduce && ta && !tb &&
        lhsType.getShape().drop_back(2) == rhsType.getShape().drop_back(2)) {
      rewriter.replaceOp(
          op, buildContraction(rewriter, loc, collapseRows(rewriter, loc, lhs),
                               collapseRows(rewriter, loc, rhs), true, false,
                               false, resultType));
      return success();
    }
    rewriter.replaceOp(op, buildContraction(rewriter, loc, lhs, rhs, ta, tb,
                                            reduce, resultType));
    return success();
  }
};

} // namespace

void mlir::nn::populateNNLinearToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering>(patterns.getContext());
}
