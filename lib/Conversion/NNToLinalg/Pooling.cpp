//===- Pooling.cpp - pools and their gradients to linalg ------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Max and average pooling reduce a padded image over a window with one
// `linalg.generic` over (n, c, oh, ow, kh, kw); the window's extent comes
// from an operand that is never read, as in upstream's pooling ops. The
// image is padded with -inf (max) or 0 (average) as far as `ceil_mode`'s
// last windows reach, so the loops need no bounds checks. Average pooling
// divides by a compile-time table of window sizes. The gradients scatter
// each window's gradient back with `buildWindowScatter`.
//
//===----------------------------------------------------------------------===//

#include "WindowUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

/// The static geometry of a pool.
struct PoolShape {
  int64_t h, w, oh, ow;
  SmallVector<int64_t> kernel, strides, padding;
  bool countIncludePad;

  template <typename Op> static PoolShape get(Op op) {
    PoolShape s;
    auto input = cast<RankedTensorType>(op.getInput().getType());
    s.h = input.getDimSize(2);
    s.w = input.getDimSize(3);
    s.kernel.assign(op.getKernel().begin(), op.getKernel().end());
    s.strides.assign(op.getStrides().begin(), op.getStrides().end());
    s.padding.assign(op.getPadding().begin(), op.getPadding().end());
    s.oh = windowOutputSize(s.h, s.kernel[0], s.strides[0], s.padding[0],
                            s.padding[2], 1, op.getCeilMode());
    s.ow = windowOutputSize(s.w, s.kernel[1], s.strides[1], s.padding[1],
                            s.padding[3], 1, op.getCeilMode());
    s.countIncludePad = op.getCountIncludePad();
    return s;
  }

  /// Trailing padding that covers every window, including those ceil_mode
  /// adds past the declared padding.
  SmallVector<int64_t> reach() const {
    return {std::max(padding[2],
                     (oh - 1) * strides[0] + kernel[0] - h - padding[0]),
            std::max(padding[3],
                     (ow - 1) * strides[1] + kernel[1] - w - padding[1])};
  }

  /// 1 / the number of positions averaged by each window, [OH, OW].
  SmallVector<float> inverseCounts() const {
    auto count = [&](int64_t o, int64_t d, int64_t size) {
      int64_t start = o * strides[d] - padding[d];
      int64_t end = std::min(start + kernel[d], size + padding[d + 2]);
      if (countIncludePad)
        return end - start;
      return std::min(end, size) - std::max(start, int64_t(0));
    };
    SmallVector<float> table;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        table.push_back(1.0f / float(count(i, 0, h) * count(j, 1, w)));
    return table;
  }
};

/// Reduces each window of the NCHW `input` into a tensor of `resultType`
/// starting from `init`: `combine(b, loc, element, acc)`.
Value reduceWindows(OpBuilder &b, Location loc, Value input,
                    RankedTensorType resultType, const PoolShape &s,
                    double init, CombineFn combine) {
  MLIRContext *ctx = b.getContext();
  Value padded =
      padImage(b, loc, input, {s.padding[0], s.padding[1]}, s.reach(), init);
  SmallVector<Value> dynSizes;
  if (resultType.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, input, 0));
  Value acc = filledTensor(b, loc, resultType, dynSizes, init);
  Value window = tensor::EmptyOp::create(b, loc, s.kernel, b.getF32Type());
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap read = AffineMap::get(
      6, 0,
      {d(0), d(1), d(2) * s.strides[0] + d(4), d(3) * s.strides[1] + d(5)},
      ctx);
  AffineMap windowMap = AffineMap::get(6, 0, {d(4), d(5)}, ctx);
  AffineMap outMap = AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx);
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(2, utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, resultType, ValueRange{padded, window}, acc,
             ArrayRef<AffineMap>{read, windowMap, outMap}, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, combine(nb, l, args[0], args[2]));
             })
      .getResult(0);
}

/// `value` [N, C, OH, OW] scaled by the [OH, OW] table of 1 / window sizes.
Value scaleByInverseCounts(OpBuilder &b, Location loc, Value value,
                           const PoolShape &s) {
  MLIRContext *ctx = b.getContext();
  auto tableType = RankedTensorType::get({s.oh, s.ow}, b.getF32Type());
  Value table = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tableType, ArrayRef(s.inverseCounts())));
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<Value> dynSizes;
  if (type.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, value, 0));
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  return buildGeneric(
      b, loc, type, dynSizes, ValueRange{value, table},
      {b.getMultiDimIdentityMap(4), AffineMap::get(4, 0, {d(2), d(3)}, ctx)},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, l, args[0], args[1]);
      });
}

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

struct MaxPool2dLowering : OpConversionPattern<MaxPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    PoolShape s = PoolShape::get(op);
    Value result = reduceWindows(
        rewriter, op.getLoc(), adaptor.getInput(), op.getType(), s,
        kMinusInfinity, [](OpBuilder &b, Location l, Value x, Value acc) {
          return arith::MaximumFOp::create(b, l, x, acc).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct AvgPool2dLowering : OpConversionPattern<AvgPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AvgPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    PoolShape s = PoolShape::get(op);
    Value sums =
        reduceWindows(rewriter, op.getLoc(), adaptor.getInput(), op.getType(),
                      s, 0.0, [](OpBuilder &b, Location l, Value x, Value acc) {
                        return arith::AddFOp::create(b, l, x, acc).getResult();
                      });
    rewriter.replaceOp(op,
                       scaleByInverseCounts(rewriter, op.getLoc(), sums, s));
    return success();
  }
};

struct MaxPool2dBackwardLowering : OpConversionPattern<MaxPool2dBackwardOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPool2dBackwardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    PoolShape s = PoolShape::get(op);
    Value x = adaptor.getInput(), grad = adaptor.getGrad();
    auto gradType = cast<RankedTensorType>(grad.getType());

    // Each window's first maximum in row-major order (PyTorch's choice on
    // ties), as the offset kh * KW + kw: a strict comparison keeps the
    // earliest, since the window loops run in order.
    Value padded = padImage(rewriter, loc, x, {s.padding[0], s.padding[1]},
                            s.reach(), kMinusInfinity);
    SmallVector<Value> dynSizes;
    if (gradType.isDynamicDim(0))
      dynSizes.push_back(tensor::DimOp::create(rewriter, loc, x, 0));
    auto indexType =
        RankedTensorType::get(gradType.getShape(), rewriter.getIndexType());
    Value maxInit =
        filledTensor(rewriter, loc, gradType, dynSizes, kMinusInfinity);
    Value indexInit =
        linalg::FillOp::create(
            rewriter, loc,
            ValueRange{arith::ConstantIndexOp::create(rewriter, loc, 0)},
            ValueRange{emptyTensor(rewriter, loc, indexType, dynSizes)})
            .getResult(0);
    Value window =
        tensor::EmptyOp::create(rewriter, loc, s.kernel, rewriter.getF32Type());
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    AffineMap read = AffineMap::get(
        6, 0,
        {d(0), d(1), d(2) * s.strides[0] + d(4), d(3) * s.strides[1] + d(5)},
        ctx);
    AffineMap windowMap = AffineMap::get(6, 0, {d(4), d(5)}, ctx);
    AffineMap outMap = AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx);
    SmallVector<utils::IteratorType> iterators(4,
                                               utils::IteratorType::parallel);
    iterators.append(2, utils::IteratorType::reduction);
    int64_t kw = s.kernel[1];
    auto argmax = linalg::GenericOp::create(
        rewriter, loc, TypeRange{gradType, indexType},
        ValueRange{padded, window}, ValueRange{maxInit, indexInit},
        ArrayRef<AffineMap>{read, windowMap, outMap, outMap}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value offset = arith::AddIOp::create(
              b, l,
              arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 4),
                                    arith::ConstantIndexOp::create(b, l, kw)),
              linalg::IndexOp::create(b, l, 5));
          Value better = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                               args[0], args[2]);
          linalg::YieldOp::create(
              b, l,
              ValueRange{
                  arith::SelectOp::create(b, l, better, args[0], args[2]),
                  arith::SelectOp::create(b, l, better, offset, args[3])});
        });
    Value winners = argmax.getResult(1);

    Value dx = buildWindowScatter(
        rewriter, loc, op.getType(), x, s.kernel, s.strides, s.padding, {1, 1},
        {s.oh, s.ow},
        [&](OpBuilder &b, Location l, ValueRange nchw, Value kh, Value kwi,
            Value oh, Value ow) -> Value {
          SmallVector<Value> at = {nchw[0], nchw[1], oh, ow};
          Value g = tensor::ExtractOp::create(b, l, grad, at);
          Value winner = tensor::ExtractOp::create(b, l, winners, at);
          Value offset = arith::AddIOp::create(
              b, l,
              arith::MulIOp::create(b, l, kh,
                                    arith::ConstantIndexOp::create(b, l, kw)),
              kwi);
          Value won = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                            winner, offset);
          return arith::SelectOp::create(b, l, won, g, f32(b, l, 0.0));
        });
    rewriter.replaceOp(op, dx);
    return success();
  }
};

struct AvgPool2dBackwardLowering : OpConversionPattern<AvgPool2dBackwardOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AvgPool2dBackwardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    PoolShape s = PoolShape::get(op);
    Value shares = scaleByInverseCounts(rewriter, loc, adaptor.getGrad(), s);
    Value dx = buildWindowScatter(
        rewriter, loc, op.getType(), adaptor.getInput(), s.kernel, s.strides,
        s.padding, {1, 1}, {s.oh, s.ow},
        [&](OpBuilder &b, Location l, ValueRange nchw, Value, Value, Value oh,
            Value ow) -> Value {
          return tensor::ExtractOp::create(
              b, l, shares, ValueRange{nchw[0], nchw[1], oh, ow});
        });
    rewriter.replaceOp(op, dx);
    return success();
  }
};

struct GlobalAvgPool2dLowering : OpConversionPattern<GlobalAvgPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GlobalAvgPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    double scale =
        1.0 / double(inputType.getDimSize(2) * inputType.getDimSize(3));
    Value sums =
        buildReduction(rewriter, loc, adaptor.getInput(), {2, 3}, 0.0,
                       [](OpBuilder &b, Location l, Value x, Value acc) {
                         return arith::AddFOp::create(b, l, x, acc).getResult();
                       });
    Value kept = expandReducedDims(rewriter, loc, sums, type);
    Value mean = buildElementwise(
        rewriter, loc, type, kept,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::MulFOp::create(b, l, args[0], f32(b, l, scale));
        });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

} // namespace

void mlir::nn::populateNNPoolingToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPool2dLowering, AvgPool2dLowering, MaxPool2dBackwardLowering,
               AvgPool2dBackwardLowering, GlobalAvgPool2dLowering>(
      patterns.getContext());
}
