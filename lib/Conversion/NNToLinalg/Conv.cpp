//===- Conv.cpp - nn.conv2d and its gradients to linalg -------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Convolutions become im2col + one 2-D contraction per group, so that their
// heavy work runs in the register-blocked kernels of
// neurona-cpu-tile-contractions:
//
//   forward   Col[(n,oh,ow), (c,kh,kw)] x W^T[(c,kh,kw), oc]  -> [M, OC]
//   dInput    dOut[(n,oh,ow), oc] x W[oc, (c,kh,kw)]          -> dCol, col2im
//   dWeight   dOut^T[oc, (n,oh,ow)] x Col[(n,oh,ow), (c,kh,kw)] -> [OC, CKK]
//
// A transposed convolution is the dInput form applied to its input.
//
// An ungrouped forward convolution takes the layout of Caffe's and
// onnxruntime's NCHW kernels instead: per image, the output channels are the
// rows and the image positions the columns,
//
//   forward   Out[n][oc, (oh,ow)] = W[oc, (c,kh,kw)] x Col[n][(c,kh,kw),
//   (oh,ow)]
//
// as one batched contraction over the loops (n, oc, oh, ow, c, kh, kw) whose
// B operand is the 6-D patch tensor Col[n, c, kh, kw, oh, ow]. Its result is
// NCHW already (no transposing copy), its N is the image's positions (784
// columns for the course CNN's first layer instead of 6 output channels),
// and each patch row is a contiguous run of an image row, which the
// elementwise vectorizer copies in whole vectors. neurona-cpu-tile-
// contractions runs it image by image with that image's patches computed
// inside the loop, so they stay in cache.
//
// The batch-derived dimension M = N*OH*OW is the only dynamic one; it is the
// contraction's M (or, for dWeight, its K) and never its N, which the tiling
// pass needs static. The contractions are `linalg.matmul`, not generics:
// elementwise fusion only rewrites generics, so the gather of the patches
// and the transposes around it cannot fuse into the contraction and hide it
// from the tiling pass. With groups, the weight becomes block diagonal (zero
// between groups) and every contraction spans all channels: groups times
// the arithmetic of separate per-group products, but still one tiled
// kernel, and no insert_slice of per-group results (strided copies lower to
// a runtime call that compiled models do not link).
//
//===----------------------------------------------------------------------===//

#include "WindowUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

/// The static geometry of one convolution, per group.
struct ConvShape {
  int64_t groups, channels, outChannels; // per group
  int64_t kh, kw, oh, ow;
  SmallVector<int64_t> strides, padding, dilations;

  /// The geometry of a conv2d from `input` with `weight` [OC, C/groups,
  /// KH, KW].
  static ConvShape get(Location loc, RankedTensorType input,
                       RankedTensorType weight, ArrayRef<int64_t> strides,
                       ArrayRef<int64_t> padding, ArrayRef<int64_t> dilations,
                       int64_t groups) {
    ConvShape s;
    SmallVector<Type> types;
    (void)inferConv2d(loc, input, weight, Type(), strides, padding, dilations,
                      groups, types);
    auto result = cast<RankedTensorType>(types[0]);
    s.groups = groups;
    s.channels = input.getDimSize(1) / s.groups;
    s.outChannels = weight.getDimSize(0) / s.groups;
    s.kh = weight.getDimSize(2);
    s.kw = weight.getDimSize(3);
    s.oh = result.getDimSize(2);
    s.ow = result.getDimSize(3);
    s.strides.assign(strides.begin(), strides.end());
    s.padding.assign(padding.begin(), padding.end());
    s.dilations.assign(dilations.begin(), dilations.end());
    return s;
  }

  template <typename Op> static ConvShape get(Op op) {
    return get(op.getLoc(), cast<RankedTensorType>(op.getInput().getType()),
               cast<RankedTensorType>(op.getWeight().getType()),
               op.getStrides(), op.getPadding(), op.getDilations(),
               op.getGroups());
  }

  int64_t window() const { return kh * kw; }
  /// (c, kh, kw) over all channels.
  int64_t patch() const { return groups * channels * kh * kw; }
  int64_t allOut() const { return groups * outChannels; }
  /// The 6-loop map to the padded image position (n, c, oh * stride + kh *
  /// dilation, ow * stride + kw * dilation) that im2col reads and col2im
  /// adds into, the loops given as dimension positions.
  AffineMap imageWindow(MLIRContext *ctx, unsigned n, unsigned c, unsigned oh,
                        unsigned ow, unsigned kh, unsigned kw) const {
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    return AffineMap::get(6, 0,
                          {d(n), d(c),
                           d(oh) * strides[0] + d(kh) * dilations[0],
                           d(ow) * strides[1] + d(kw) * dilations[1]},
                          ctx);
  }
};

/// `lhs x rhs` (row-major, 2-D) as a `linalg.matmul` into zeros.
Value contract(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  auto type = RankedTensorType::get(
      {lhsType.getDimSize(0), rhsType.getDimSize(1)}, lhsType.getElementType());
  SmallVector<Value> dynSizes;
  if (type.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, lhs, 0));
  Value acc = filledTensor(b, loc, type, dynSizes, 0.0);
  return linalg::MatmulOp::create(b, loc, TypeRange{type}, ValueRange{lhs, rhs},
                                  ValueRange{acc})
      .getResult(0);
}

/// A copy of `source` into a fresh tensor of `shape` (`dynSize`: its dynamic
/// dimension, if any) as a generic over the source's own dimensions: `read`
/// maps the loops to `source`'s indices and `write` to the result's, with
/// the row and column groupings as linear expressions (n * OH * OW + oh * OW
/// + ow) instead of the floordiv/mod of iterating over the result, which
/// costs a few divisions by constants per element in the inner loop. Loops
/// that `read` does not index alone take their extent from `window`, an
/// operand whose elements are never read.
///
/// Every im2col-style regrouping of dimensions here is such a copy rather
/// than a tensor.collapse_shape or expand_shape: the elementwise-fusion pass
/// propagates reshapes through the linalg ops next to them, which would turn
/// the 2-D contractions into 6- and 7-D generics that the tiling pass does
/// not recognize.
Value scatterCopy(OpBuilder &b, Location loc, Value source,
                  ArrayRef<int64_t> shape, Value dynSize, AffineMap read,
                  AffineMap write, ArrayRef<int64_t> window = {},
                  AffineMap windowMap = {}) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  SmallVector<Value> dynSizes;
  if (!type.hasStaticShape())
    dynSizes.push_back(dynSize);
  Value init = emptyTensor(b, loc, type, dynSizes);
  SmallVector<Value> inputs = {source};
  SmallVector<AffineMap> maps = {read};
  if (!window.empty()) {
    inputs.push_back(tensor::EmptyOp::create(b, loc, window, b.getF32Type()));
    maps.push_back(windowMap);
  }
  maps.push_back(write);
  SmallVector<utils::IteratorType> iterators(read.getNumDims(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, type, inputs, init, maps, iterators,
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, args[0]);
             })
      .getResult(0);
}

/// N * OH * OW for an NCHW `value` whose batch is dynamic, else null.
Value rowCount(OpBuilder &b, Location loc, Value value, const ConvShape &s) {
  if (!cast<RankedTensorType>(value.getType()).isDynamicDim(0))
    return Value();
  return arith::MulIOp::create(
      b, loc, tensor::DimOp::create(b, loc, value, 0),
      arith::ConstantIndexOp::create(b, loc, s.oh * s.ow));
}

/// Static N * OH * OW, or dynamic.
int64_t staticRows(Value value, const ConvShape &s) {
  auto type = cast<RankedTensorType>(value.getType());
  return type.isDynamicDim(0) ? ShapedType::kDynamic
                              : type.getDimSize(0) * s.oh * s.ow;
}

/// The patches of the NCHW `image` as rows: Col[(n,oh,ow), (c,kh,kw)],
/// gathered from the zero-padded image through an affine map, so without
/// bounds checks. The loops run over (n, oh, ow, c, kh, kw), the patch
/// innermost: consecutive writes, reads along rows of the image.
Value im2col(OpBuilder &b, Location loc, Value image, const ConvShape &s) {
  MLIRContext *ctx = b.getContext();
  Value padded = padImage(b, loc, image, {s.padding[0], s.padding[1]},
                          {s.padding[2], s.padding[3]}, 0.0);
  AffineExpr n = getAffineDimExpr(0, ctx), oh = getAffineDimExpr(1, ctx),
             ow = getAffineDimExpr(2, ctx), c = getAffineDimExpr(3, ctx),
             kh = getAffineDimExpr(4, ctx), kw = getAffineDimExpr(5, ctx);
  // Loops (n, oh, ow, c, kh, kw).
  AffineMap read = s.imageWindow(ctx, 0, 3, 1, 2, 4, 5);
  AffineMap write = AffineMap::get(
      6, 0,
      {n * (s.oh * s.ow) + oh * s.ow + ow, c * s.window() + kh * s.kw + kw},
      ctx);
  AffineMap window = AffineMap::get(6, 0, {oh, ow, kh, kw}, ctx);
  return scatterCopy(b, loc, padded, {staticRows(image, s), s.patch()},
                     rowCount(b, loc, image, s), read, write,
                     {s.oh, s.ow, s.kh, s.kw}, window);
}

/// The OIHW weight as the block-diagonal matrix [o, (c,kh,kw)] over all
/// channels (zero where o and c are in different groups), or with
/// `transpose` its transpose [(c,kh,kw), o].
Value flattenWeight(OpBuilder &b, Location loc, Value weight,
                    const ConvShape &s, bool transpose) {
  MLIRContext *ctx = b.getContext();
  AffineExpr o = getAffineDimExpr(transpose ? 1 : 0, ctx);
  AffineExpr k = getAffineDimExpr(transpose ? 0 : 1, ctx);
  AffineExpr c = k.floorDiv(s.window());
  AffineMap read = AffineMap::get(
      2, 0, {o, c % s.channels, (k.floorDiv(s.kw)) % s.kh, k % s.kw}, ctx);
  auto type = RankedTensorType::get(
      transpose ? ArrayRef<int64_t>{s.patch(), s.allOut()}
                : ArrayRef<int64_t>{s.allOut(), s.patch()},
      b.getF32Type());
  int64_t oDim = transpose ? 1 : 0;
  return buildGeneric(
      b, loc, type, {}, weight, read,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        if (s.groups == 1)
          return args[0];
        auto cst = [&](int64_t v) {
          return arith::ConstantIndexOp::create(nb, l, v).getResult();
        };
        Value oi = linalg::IndexOp::create(nb, l, oDim);
        Value ki = linalg::IndexOp::create(nb, l, 1 - oDim);
        Value oGroup = arith::DivUIOp::create(nb, l, oi, cst(s.outChannels));
        Value cGroup =
            arith::DivUIOp::create(nb, l, ki, cst(s.channels * s.window()));
        Value same = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                           oGroup, cGroup);
        return arith::SelectOp::create(nb, l, same, args[0], f32(nb, l, 0.0));
      });
}

/// Rows of an NCHW output-shaped `grad`: [(n,oh,ow), oc], or with
/// `transpose` [oc, (n,oh,ow)]; the loops run over (n, oc, oh, ow), or
/// (oc, n, oh, ow), so that the image is read along its rows.
Value gradRows(OpBuilder &b, Location loc, Value grad, const ConvShape &s,
               bool transpose) {
  MLIRContext *ctx = b.getContext();
  AffineExpr n = getAffineDimExpr(transpose ? 1 : 0, ctx);
  AffineExpr oc = getAffineDimExpr(transpose ? 0 : 1, ctx);
  AffineExpr oh = getAffineDimExpr(2, ctx), ow = getAffineDimExpr(3, ctx);
  AffineExpr m = n * (s.oh * s.ow) + oh * s.ow + ow;
  AffineMap read = AffineMap::get(4, 0, {n, oc, oh, ow}, ctx);
  AffineMap write = AffineMap::get(4, 0,
                                   transpose ? ArrayRef<AffineExpr>{oc, m}
                                             : ArrayRef<AffineExpr>{m, oc},
                                   ctx);
  int64_t rows = staticRows(grad, s);
  return scatterCopy(b, loc, grad,
                     transpose ? ArrayRef<int64_t>{s.allOut(), rows}
                               : ArrayRef<int64_t>{rows, s.allOut()},
                     rowCount(b, loc, grad, s), read, write);
}

/// col2im, the adjoint of `im2col`: the NCHW `resultType` tensor (dynamic
/// batch from `like`) in which each position sums the entries of the patch
/// matrix `dcol` [(n,oh,ow), (c,kh,kw)] that were read from it. The patch
/// entries are added, in the order of the patch matrix, into a zero padded
/// image through the same linear maps as `im2col` (each (oh, kh) lands on
/// oh * stride + kh * dilation), and the inside is then copied out. Summing
/// per position over the kernel offsets instead needs a division by the
/// stride, a remainder and two bounds tests per offset and position.
Value col2im(OpBuilder &b, Location loc, Value dcol, Value like,
             RankedTensorType resultType, const ConvShape &s) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> dynSizes;
  if (resultType.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, like, 0));
  SmallVector<int64_t> shape(resultType.getShape());
  shape[2] += s.padding[0] + s.padding[2];
  shape[3] += s.padding[1] + s.padding[3];
  auto paddedType = RankedTensorType::get(shape, resultType.getElementType());
  Value acc = filledTensor(b, loc, paddedType, dynSizes, 0.0);

  AffineExpr n = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             oh = getAffineDimExpr(2, ctx), ow = getAffineDimExpr(3, ctx),
             kh = getAffineDimExpr(4, ctx), kw = getAffineDimExpr(5, ctx);
  SmallVector<AffineMap> maps = {
      AffineMap::get(
          6, 0,
          {n * (s.oh * s.ow) + oh * s.ow + ow, c * s.window() + kh * s.kw + kw},
          ctx),
      AffineMap::get(6, 0, {oh, ow, kh, kw}, ctx),
      s.imageWindow(ctx, 0, 1, 2, 3, 4, 5)};
  Value extents = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{s.oh, s.ow, s.kh, s.kw}, b.getF32Type());
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  iterators.append(4, utils::IteratorType::reduction);
  Value padded =
      linalg::GenericOp::create(
          b, loc, paddedType, ValueRange{dcol, extents}, acc, maps, iterators,
          [](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                nb, l, Value(arith::AddFOp::create(nb, l, args[2], args[0])));
          })
          .getResult(0);
  if (paddedType == resultType)
    return padded;
  // The inside as a slice, not a copy through an offset map: with a zero
  // top or left padding that map's dimension would be a plain loop index,
  // and linalg would take the loop's extent from the larger padded image.
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(s.padding[0]),
                                       b.getIndexAttr(s.padding[1])};
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < 4; ++i)
    sizes.push_back(
        resultType.isDynamicDim(i)
            ? OpFoldResult(dynSizes.front())
            : OpFoldResult(b.getIndexAttr(resultType.getDimSize(i))));
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, resultType, padded, offsets,
                                        sizes, strides);
}

/// The patches of the NCHW `image` as the 6-D Col[n, c, kh, kw, oh, ow]
/// of an ungrouped convolution, gathered from the zero-padded image. The
/// loops run in the result's order, so that for a unit stride each (n, c,
/// kh, kw, oh) copies a contiguous run of OW elements of an image row.
Value patchesByPosition(OpBuilder &b, Location loc, Value image,
                        const ConvShape &s) {
  Value padded = padImage(b, loc, image, {s.padding[0], s.padding[1]},
                          {s.padding[2], s.padding[3]}, 0.0);
  auto imageType = cast<RankedTensorType>(image.getType());
  auto type = RankedTensorType::get(
      {imageType.getDimSize(0), s.channels, s.kh, s.kw, s.oh, s.ow},
      imageType.getElementType());
  SmallVector<Value> dynSizes;
  if (type.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, image, 0));
  // Loops (n, c, kh, kw, oh, ow).
  AffineMap read = s.imageWindow(b.getContext(), 0, 1, 4, 5, 2, 3);
  return buildGeneric(
      b, loc, type, dynSizes, padded, read,
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

/// The ungrouped conv2d as one batched contraction over (n, oc, oh, ow, c,
/// kh, kw): Out[n, oc, oh, ow] = bias[oc] + sum W[oc, c, kh, kw] * Col[n,
/// c, kh, kw, oh, ow]. The accumulator starts at the bias (zeros without
/// one), which saves the pass over the output that adding it after would
/// take.
Value convByPosition(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                     RankedTensorType resultType, const ConvShape &s) {
  MLIRContext *ctx = b.getContext();
  Value col = patchesByPosition(b, loc, x, s);
  SmallVector<Value> dynSizes;
  if (resultType.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, x, 0));
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Value acc = bias ? buildGeneric(b, loc, resultType, dynSizes, bias,
                                  AffineMap::get(4, 0, {d(1)}, ctx),
                                  [](OpBuilder &, Location, ValueRange args) {
                                    return args[0];
                                  })
                   : filledTensor(b, loc, resultType, dynSizes, 0.0);
  SmallVector<AffineMap> maps = {
      AffineMap::get(7, 0, {d(1), d(4), d(5), d(6)}, ctx),
      AffineMap::get(7, 0, {d(0), d(4), d(5), d(6), d(2), d(3)}, ctx),
      AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(3, utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, resultType, ValueRange{w, col}, acc, maps, iterators,
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
               linalg::YieldOp::create(
                   nb, l,
                   Value(arith::AddFOp::create(nb, l, args[2], product)));
             })
      .getResult(0);
}

struct Conv2dLowering : OpConversionPattern<Conv2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    ConvShape s = ConvShape::get(op);
    Value x = adaptor.getInput(), w = adaptor.getWeight();
    RankedTensorType resultType = op.getType();
    if (s.groups == 1) {
      rewriter.replaceOp(op, convByPosition(rewriter, loc, x, w,
                                            adaptor.getBias(), resultType, s));
      return success();
    }

    // Out[(n,oh,ow), oc] = Col x W^T.
    Value out = contract(rewriter, loc, im2col(rewriter, loc, x, s),
                         flattenWeight(rewriter, loc, w, s, true));

    // Back to NCHW, with the bias added in the same loop.
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<Value> inputs = {out};
    SmallVector<AffineMap> maps = {AffineMap::get(
        4, 0, {d(0) * (s.oh * s.ow) + d(2) * s.ow + d(3), d(1)}, ctx)};
    if (Value bias = adaptor.getBias()) {
      inputs.push_back(bias);
      maps.push_back(AffineMap::get(4, 0, {d(1)}, ctx));
    }
    SmallVector<Value> dynSizes;
    if (resultType.isDynamicDim(0))
      dynSizes.push_back(tensor::DimOp::create(rewriter, loc, x, 0));
    Value result =
        buildGeneric(rewriter, loc, resultType, dynSizes, inputs, maps,
                     [](OpBuilder &b, Location l, ValueRange args) -> Value {
                       if (args.size() == 1)
                         return args[0];
                       return arith::AddFOp::create(b, l, args[0], args[1]);
                     });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// col2im(rows x W): the adjoint of conv2d's input for a conv2d of
/// geometry `s` whose output gradient is the NCHW `grad`. The contraction
/// dCol[(n,oh,ow), (c,kh,kw)] = grad[(n,oh,ow), oc] x W[oc, (c,kh,kw)] runs
/// in the tiled kernels; then each image position of `resultType` (batch
/// from `grad`) sums the patch entries that were read from it.
Value col2imProduct(OpBuilder &rewriter, Location loc, Value grad, Value w,
                    RankedTensorType resultType, const ConvShape &s) {
  Value dcol = contract(rewriter, loc, gradRows(rewriter, loc, grad, s, false),
                        flattenWeight(rewriter, loc, w, s, false));
  return col2im(rewriter, loc, dcol, grad, resultType, s);
}

struct Conv2dBackwardDataLowering : OpConversionPattern<Conv2dBackwardDataOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2dBackwardDataOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value dx =
        col2imProduct(rewriter, op.getLoc(), adaptor.getGrad(),
                      adaptor.getWeight(), op.getType(), ConvShape::get(op));
    rewriter.replaceOp(op, dx);
    return success();
  }
};

/// A transposed convolution is conv2d_backward_data of the conv2d that maps
/// its result's shape back to its input's: the same contraction and col2im,
/// with the input in the role of the output gradient. The weight [C,
/// OC/groups, KH, KW] is that conv2d's weight as it stands. `output_padding`
/// only makes the result larger than the windows reach; col2im leaves those
/// rows zero. The bias is added in a loop of its own: the col2im generic
/// reduces over the window and cannot take an elementwise consumer.
struct ConvTranspose2dLowering : OpConversionPattern<ConvTranspose2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvTranspose2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType resultType = op.getType();
    ConvShape s = ConvShape::get(
        loc, resultType, cast<RankedTensorType>(op.getWeight().getType()),
        op.getStrides(), op.getPadding(), op.getDilations(), op.getGroups());
    Value x = adaptor.getInput();
    Value y =
        col2imProduct(rewriter, loc, x, adaptor.getWeight(), resultType, s);
    if (Value bias = adaptor.getBias()) {
      MLIRContext *ctx = rewriter.getContext();
      auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      SmallVector<Value> dynSizes;
      if (resultType.isDynamicDim(0))
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, x, 0));
      y = buildGeneric(rewriter, loc, resultType, dynSizes, {y, bias},
                       {rewriter.getMultiDimIdentityMap(4),
                        AffineMap::get(4, 0, {d(1)}, ctx)},
                       [](OpBuilder &b, Location l, ValueRange args) -> Value {
                         return arith::AddFOp::create(b, l, args[0], args[1]);
                       });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct Conv2dBackwardFilterLowering
    : OpConversionPattern<Conv2dBackwardFilterOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2dBackwardFilterOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    ConvShape s = ConvShape::get(op);

    // dW[oc, (c,kh,kw)] = dOut^T[oc, (n,oh,ow)] x Col[(n,oh,ow), (c,kh,kw)]:
    // the batch-derived dimension is the contraction's depth, and both
    // static sizes stay its M and N. Each output channel then keeps the
    // block of its own group's input channels.
    Value flat = contract(rewriter, loc,
                          gradRows(rewriter, loc, adaptor.getGrad(), s, true),
                          im2col(rewriter, loc, adaptor.getInput(), s));
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    AffineExpr c = d(0).floorDiv(s.outChannels) * s.channels + d(1);
    AffineMap read =
        AffineMap::get(4, 0, {d(0), c * s.window() + d(2) * s.kw + d(3)}, ctx);
    Value dw = buildGeneric(
        rewriter, loc, op.getType(), {}, flat, read,
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    rewriter.replaceOp(op, dw);
    return success();
  }
};

} // namespace

void mlir::nn::populateNNConvToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2dLowering, Conv2dBackwardDataLowering,
               Conv2dBackwardFilterLowering, ConvTranspose2dLowering>(
      patterns.getContext());
}
