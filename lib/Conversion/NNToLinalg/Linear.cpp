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
/// KxN, (k, m, n) when the lhs is transposed, and (m, n, k) when the rhs is
/// transposed (a dot product over contiguous rows). Tiling passes that match
/// contractions see through the order.
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

    // Loop positions of m, n, k.
    unsigned m, n, k;
    if (tb && !ta) {
      m = 0, n = 1, k = 2;
    } else if (ta && !tb) {
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
