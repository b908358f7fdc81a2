//===- Reduction.cpp - reductions and softmax to linalg -------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

Value addCombine(OpBuilder &b, Location l, Value x, Value acc) {
  return arith::AddFOp::create(b, l, acc, x);
}
Value maxCombine(OpBuilder &b, Location l, Value x, Value acc) {
  return arith::MaximumFOp::create(b, l, acc, x);
}
Value minCombine(OpBuilder &b, Location l, Value x, Value acc) {
  return arith::MinimumFOp::create(b, l, acc, x);
}

template <typename OpTy> struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto axes = *normalizeAxes(op.getAxes(), op.getInput().getType().getRank());
    constexpr double inf = std::numeric_limits<double>::infinity();
    double init = 0.0;
    CombineFn combine = addCombine;
    if constexpr (std::is_same_v<OpTy, ReduceMaxOp>) {
      init = -inf;
      combine = maxCombine;
    } else if constexpr (std::is_same_v<OpTy, ReduceMinOp>) {
      init = inf;
      combine = minCombine;
    }
    Value result = buildReduction(rewriter, loc, input, axes, init, combine);
    if constexpr (std::is_same_v<OpTy, ReduceMeanOp>) {
      Value count = elementCount(rewriter, loc, input, axes);
      auto type = cast<RankedTensorType>(result.getType());
      Value countTensor = scalarTensor(rewriter, loc, count);
      result =
          buildElementwise(rewriter, loc, type, ValueRange{result, countTensor},
                           [](OpBuilder &b, Location l, ValueRange x) -> Value {
                             return arith::DivFOp::create(b, l, x[0], x[1]);
                           });
    }
    rewriter.replaceOp(op,
                       expandReducedDims(rewriter, loc, result, op.getType()));
    return success();
  }
};

struct NumelLowering : OpConversionPattern<NumelOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NumelOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto axes = *normalizeAxes(
        op.getAxes(),
        cast<RankedTensorType>(op.getInput().getType()).getRank());
    Value count = elementCount(rewriter, op.getLoc(), adaptor.getInput(), axes);
    rewriter.replaceOp(op, scalarTensor(rewriter, op.getLoc(), count));
    return success();
  }
};

/// softmax and log_softmax: max-shifted exponentials, three generics that the
/// elementwise fusion pass merges where it can.
template <typename OpTy> struct SoftmaxLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank(), axis = op.getNormalizedAxis();
    SmallVector<int64_t> axes{axis};

    Value max =
        buildReduction(rewriter, loc, x, axes,
                       -std::numeric_limits<double>::infinity(), maxCombine);
    SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank),
                                dropAxesMap(ctx, rank, axes)};
    SmallVector<Value> dynSizes = broadcastDynSizes(rewriter, loc, type, x);
    Value shifted =
        buildGeneric(rewriter, loc, type, dynSizes, ValueRange{x, max}, maps,
                     [](OpBuilder &b, Location l, ValueRange v) -> Value {
                       return arith::SubFOp::create(b, l, v[0], v[1]);
                     });
    Value exps =
        buildGeneric(rewriter, loc, type, dynSizes, shifted,
                     rewriter.getMultiDimIdentityMap(rank),
                     [](OpBuilder &b, Location l, ValueRange v) -> Value {
                       return math::ExpOp::create(b, l, v[0]);
                     });
    Value sum = buildReduction(rewriter, loc, exps, axes, 0.0, addCombine);
    Value result;
    if constexpr (std::is_same_v<OpTy, SoftmaxOp>) {
      result = buildGeneric(
          rewriter, loc, type, dynSizes, ValueRange{exps, sum}, maps,
          [](OpBuilder &b, Location l, ValueRange v) -> Value {
            return arith::DivFOp::create(b, l, v[0], v[1]);
          });
    } else {
      result = buildGeneric(
          rewriter, loc, type, dynSizes, ValueRange{shifted, sum}, maps,
          [](OpBuilder &b, Location l, ValueRange v) -> Value {
            return arith::SubFOp::create(b, l, v[0],
                                         math::LogOp::create(b, l, v[1]));
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::nn::populateNNReductionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp>, ReduceLowering<ReduceMeanOp>,
               ReduceLowering<ReduceMaxOp>, ReduceLowering<ReduceMinOp>,
               NumelLowering, SoftmaxLowering<SoftmaxOp>,
               SoftmaxLowering<LogSoftmaxOp>>(patterns.getContext());
}
