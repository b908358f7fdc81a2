//===- Shape.cpp - constants, reshapes and broadcasts to tensor/linalg ----===//
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

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op,
                                         "needs a typed elements attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

/// A pure collapse or expansion becomes `tensor.collapse_shape` /
/// `expand_shape` (free after bufferization, transparent to fusion); other
/// reshapes go through a collapse to `?xN` (or `N`) and an expansion.
struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  static Value reshape(OpBuilder &b, Location loc, Value src,
                       RankedTensorType dst) {
    auto srcType = cast<RankedTensorType>(src.getType());
    if (srcType == dst)
      return src;
    if (auto re = getReassociationIndicesForReshape(srcType, dst)) {
      if (srcType.getRank() > dst.getRank())
        return tensor::CollapseShapeOp::create(b, loc, dst, src, *re);
      return tensor::ExpandShapeOp::create(b, loc, dst, src, *re);
    }
    // Collapse to the flat form, keeping a dynamic batch dim separate.
    bool batch = srcType.getRank() > 0 && srcType.isDynamicDim(0);
    int64_t count = 1;
    for (int64_t d = batch ? 1 : 0; d < srcType.getRank(); ++d)
      count *= srcType.getDimSize(d);
    SmallVector<int64_t> flatShape;
    if (batch)
      flatShape.push_back(ShapedType::kDynamic);
    flatShape.push_back(count);
    auto flat = RankedTensorType::get(flatShape, srcType.getElementType());
    Value collapsed = reshape(b, loc, src, flat);
    return reshape(b, loc, collapsed, dst);
  }

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, reshape(rewriter, op.getLoc(), adaptor.getInput(), op.getType()));
    return success();
  }
};

struct BroadcastLikeLowering : OpConversionPattern<BroadcastLikeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BroadcastLikeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dynSizes.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getLike(), d));
    AffineMap map =
        broadcastMap(rewriter.getContext(), type.getShape(), inputType);
    Value result = buildGeneric(
        rewriter, loc, type, dynSizes, adaptor.getInput(), map,
        [](OpBuilder &, Location, ValueRange v) -> Value { return v[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::nn::populateNNShapeToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLowering, BroadcastLikeLowering>(
      patterns.getContext());
}
