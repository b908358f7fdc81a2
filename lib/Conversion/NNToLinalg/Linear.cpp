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

/// Lowers to a contraction `linalg.generic` whose loop order keeps the
/// innermost loop on unit-stride memory: (m, k, n) when the rhs is row-major
/// KxN and (k, m, n) when the lhs is transposed. A transposed rhs is first
/// materialized row-major with `linalg.transpose` (its N x K elements are
/// read once; the contraction then reads rows of B, not columns, on every
/// one of its M rows). Tiling passes that match contractions see through
/// the loop order.
/// `value` (rank 2) with its dimensions swapped, as a fresh tensor.
Value transposed(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  auto resultType = RankedTensorType::get(
      {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
  SmallVector<Value> dynSizes;
  for (int64_t d : {1, 0})
    if (type.isDynamicDim(d))
      dynSizes.push_back(tensor::DimOp::create(b, loc, value, d));
  Value init = emptyTensor(b, loc, resultType, dynSizes);
  return linalg::TransposeOp::create(b, loc, value, init,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    bool ta = op.getTransposeLhs(), tb = op.getTransposeRhs();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    RankedTensorType resultType = op.getType();
    if (tb) {
      rhs = transposed(rewriter, loc, rhs);
      tb = false;
    }

    // Loop positions of m, n, k.
    unsigned m, n, k;
    if (ta) {
      k = 0, m = 1, n = 2;
    } else {
      m = 0, k = 1, n = 2;
    }
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    AffineMap lhsMap = AffineMap::get(3, 0,
                                      ta ? ArrayRef<AffineExpr>{d(k), d(m)}
                                         : ArrayRef<AffineExpr>{d(m), d(k)},
                                      ctx);
    AffineMap rhsMap = AffineMap::get(3, 0,
                                      tb ? ArrayRef<AffineExpr>{d(n), d(k)}
                                         : ArrayRef<AffineExpr>{d(k), d(n)},
                                      ctx);
    AffineMap outMap = AffineMap::get(3, 0, {d(m), d(n)}, ctx);
    SmallVector<utils::IteratorType> iterators(3,
                                               utils::IteratorType::parallel);
    iterators[k] = utils::IteratorType::reduction;

    SmallVector<Value> dynSizes;
    if (resultType.isDynamicDim(0))
      dynSizes.push_back(tensor::DimOp::create(rewriter, loc, lhs, ta ? 1 : 0));
    if (resultType.isDynamicDim(1))
      dynSizes.push_back(tensor::DimOp::create(rewriter, loc, rhs, tb ? 0 : 1));
    Value acc = filledTensor(rewriter, loc, resultType, dynSizes, 0.0);

    // Reassociation lets LLVM vectorise the dot-product form.
    auto fm = arith::FastMathFlagsAttr::get(
        ctx, arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{lhs, rhs}, acc,
        ArrayRef<AffineMap>{lhsMap, rhsMap, outMap}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value prod = arith::MulFOp::create(b, l, args[0], args[1], fm);
          linalg::YieldOp::create(
              b, l, Value(arith::AddFOp::create(b, l, args[2], prod, fm)));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mlir::nn::populateNNLinearToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering>(patterns.getContext());
}
