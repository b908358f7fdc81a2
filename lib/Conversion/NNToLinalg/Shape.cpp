//===- Shape.cpp - constants and data movement to tensor/linalg -----------===//
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

/// A copy whose input map permutes the loops: result dim i reads input dim
/// perm[i], so input dim perm[i] is indexed by loop i.
struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    ArrayRef<int64_t> perm = op.getPerm();
    SmallVector<AffineExpr> exprs(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      exprs[p] = getAffineDimExpr(i, ctx);
    AffineMap map = AffineMap::get(type.getRank(), 0, exprs, ctx);
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dynSizes.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getInput(), perm[d]));
    Value result = buildGeneric(
        rewriter, loc, type, dynSizes, adaptor.getInput(), map,
        [](OpBuilder &, Location, ValueRange v) -> Value { return v[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

// Concat, slice and slice_scatter are generics over their result that compute
// where each element comes from and read it with `tensor.extract`. The
// alternatives (`tensor.insert_slice`, or returning an `extract_slice` view)
// bufferize to `memref.copy` between strided buffers, which lowers to a call
// into MLIR's C runner library that compiled models do not link.

/// Computes one element of a generic from its loop indices and the scalars of
/// its inputs.
using IndexedBodyFn =
    function_ref<Value(OpBuilder &, Location, ArrayRef<Value>, ValueRange)>;

/// An all-parallel generic producing `type` from `inputs` read through
/// identity maps, whose body also sees the loop indices.
static Value buildIndexedGeneric(OpBuilder &b, Location loc,
                                 RankedTensorType type, ValueRange dynSizes,
                                 ValueRange inputs, IndexedBodyFn body) {
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, type, inputs, emptyTensor(b, loc, type, dynSizes), maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d)
          indices.push_back(linalg::IndexOp::create(nb, nloc, d));
        linalg::YieldOp::create(nb, nloc,
                                body(nb, nloc, indices, args.drop_back()));
      });
  return generic.getResult(0);
}

/// Dynamic sizes of `type` read from `like`, which has the same dynamic
/// dimensions.
static SmallVector<Value> dynSizesFrom(OpBuilder &b, Location loc,
                                       RankedTensorType type, Value like) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, like, d));
  return sizes;
}

static Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// `v` limited to [lo, hi].
static Value clampIndex(OpBuilder &b, Location loc, Value v, int64_t lo,
                        int64_t hi) {
  Value low = arith::MaxSIOp::create(b, loc, v, index(b, loc, lo));
  return arith::MinSIOp::create(b, loc, low, index(b, loc, hi));
}

/// Reads every input at the output index shifted back by its offset along
/// the axis (clamped, so every read is in bounds) and keeps the one whose
/// stretch the index falls in.
struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t axis = op.getNormalizedAxis();
    ValueRange inputs = adaptor.getInputs();
    SmallVector<int64_t> offsets;
    int64_t offset = 0;
    for (Value input : inputs) {
      offsets.push_back(offset);
      offset += cast<RankedTensorType>(input.getType()).getDimSize(axis);
    }
    auto body = [&](OpBuilder &b, Location l, ArrayRef<Value> indices,
                    ValueRange) -> Value {
      Value result;
      for (int64_t k = inputs.size() - 1; k >= 0; --k) {
        int64_t size =
            cast<RankedTensorType>(inputs[k].getType()).getDimSize(axis);
        SmallVector<Value> at(indices);
        Value shifted =
            arith::SubIOp::create(b, l, indices[axis], index(b, l, offsets[k]));
        at[axis] = clampIndex(b, l, shifted, 0, size - 1);
        Value element = tensor::ExtractOp::create(b, l, inputs[k], at);
        if (!result) {
          result = element;
          continue;
        }
        Value before =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                  indices[axis], index(b, l, offsets[k + 1]));
        result = arith::SelectOp::create(b, l, before, element, result);
      }
      return result;
    };
    rewriter.replaceOp(
        op, buildIndexedGeneric(rewriter, loc, type,
                                dynSizesFrom(rewriter, loc, type, inputs[0]),
                                ValueRange(), body));
    return success();
  }
};

/// One sliced axis with its step, start and length, axes normalized.
struct SlicedAxis {
  int64_t axis, start, step, length;
};

template <typename OpTy> static SmallVector<SlicedAxis> slicedAxes(OpTy op) {
  int64_t rank = op.getType().getRank();
  ArrayRef<int64_t> steps = op.getSteps().value_or(ArrayRef<int64_t>());
  SmallVector<SlicedAxis> result;
  for (auto [i, axis] : llvm::enumerate(op.getAxes())) {
    int64_t step = steps.empty() ? 1 : steps[i];
    int64_t start = op.getStarts()[i], end = op.getEnds()[i];
    result.push_back({normalizeAxis(axis, rank), start, step,
                      sliceLength(start, end, step)});
  }
  return result;
}

/// Element i of the result reads `start + step * i` along each sliced axis.
struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value input = adaptor.getInput();
    auto axes = slicedAxes(op);
    auto body = [&](OpBuilder &b, Location l, ArrayRef<Value> indices,
                    ValueRange) -> Value {
      SmallVector<Value> at(indices);
      for (const SlicedAxis &s : axes) {
        Value scaled =
            arith::MulIOp::create(b, l, indices[s.axis], index(b, l, s.step));
        at[s.axis] = arith::AddIOp::create(b, l, scaled, index(b, l, s.start));
      }
      return tensor::ExtractOp::create(b, l, input, at);
    };
    rewriter.replaceOp(
        op, buildIndexedGeneric(rewriter, loc, type,
                                dynSizesFrom(rewriter, loc, type, input),
                                ValueRange(), body));
    return success();
  }
};

/// The base, read elementwise, except where the index is one a slice with
/// these attributes reads: there the matching source element.
struct SliceScatterLowering : OpConversionPattern<SliceScatterOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SliceScatterOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value base = adaptor.getBase(), source = adaptor.getSource();
    auto axes = slicedAxes(op);
    auto body = [&](OpBuilder &b, Location l, ArrayRef<Value> indices,
                    ValueRange baseElement) -> Value {
      SmallVector<Value> at(indices);
      Value inside;
      for (const SlicedAxis &s : axes) {
        // k = (i - start) / step, exact and in [0, length) inside the slice.
        Value offset =
            arith::SubIOp::create(b, l, indices[s.axis], index(b, l, s.start));
        Value k = arith::DivSIOp::create(b, l, offset, index(b, l, s.step));
        Value back = arith::MulIOp::create(b, l, k, index(b, l, s.step));
        Value exact =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, back, offset);
        Value low = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, k,
                                          index(b, l, 0));
        Value high = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, k,
                                           index(b, l, s.length));
        Value here = arith::AndIOp::create(
            b, l, exact, arith::AndIOp::create(b, l, low, high));
        inside = inside ? arith::AndIOp::create(b, l, inside, here) : here;
        at[s.axis] = clampIndex(b, l, k, 0, s.length - 1);
      }
      Value element = tensor::ExtractOp::create(b, l, source, at);
      return arith::SelectOp::create(b, l, inside, element, baseElement[0]);
    };
    rewriter.replaceOp(
        op, buildIndexedGeneric(rewriter, loc, type,
                                dynSizesFrom(rewriter, loc, type, base), base,
                                body));
    return success();
  }
};

} // namespace

void mlir::nn::populateNNShapeToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLowering, BroadcastLikeLowering,
               TransposeLowering, ConcatLowering, SliceLowering,
               SliceScatterLowering>(patterns.getContext());
}
