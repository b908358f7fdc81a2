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
// The batch-derived dimension M = N*OH*OW is the only dynamic one; it is the
// contraction's M (or, for dWeight, its K) and never its N, which the tiling
// pass needs static. The contractions are `linalg.matmul`, not generics:
// elementwise fusion only rewrites generics, so the gather of the patches
// and the transposes around it cannot fuse into the contraction and hide it
// from the tiling pass. Groups are unrolled, one contraction each.
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

  template <typename Op> static ConvShape get(Op op) {
    ConvShape s;
    auto input = cast<RankedTensorType>(op.getInput().getType());
    auto weight = cast<RankedTensorType>(op.getWeight().getType());
    SmallVector<Type> types;
    (void)inferConv2d(op.getLoc(), input, weight, Type(), op.getStrides(),
                      op.getPadding(), op.getDilations(), op.getGroups(),
                      types);
    auto result = cast<RankedTensorType>(types[0]);
    s.groups = op.getGroups();
    s.channels = input.getDimSize(1) / s.groups;
    s.outChannels = weight.getDimSize(0) / s.groups;
    s.kh = weight.getDimSize(2);
    s.kw = weight.getDimSize(3);
    s.oh = result.getDimSize(2);
    s.ow = result.getDimSize(3);
    s.strides.assign(op.getStrides().begin(), op.getStrides().end());
    s.padding.assign(op.getPadding().begin(), op.getPadding().end());
    s.dilations.assign(op.getDilations().begin(), op.getDilations().end());
    return s;
  }

  int64_t patch() const { return channels * kh * kw; }
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

/// A 2-D generic copying `source` into a fresh tensor of `shape` through
/// `read`, a map from (row, col) to `source`'s indices; `dynSize` is the
/// size of its dynamic dimension, if any.
///
/// Every im2col-style regrouping of dimensions here is such a copy with
/// floordiv/mod in its map rather than a tensor.collapse_shape or
/// expand_shape: the elementwise-fusion pass propagates reshapes through
/// the linalg ops next to them, which would turn the 2-D contractions into
/// 6- and 7-D generics that the tiling pass does not recognize.
Value regroup(OpBuilder &b, Location loc, Value source,
              ArrayRef<int64_t> shape, Value dynSize, AffineMap read) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  SmallVector<Value> dynSizes;
  if (!type.hasStaticShape())
    dynSizes.push_back(dynSize);
  return buildGeneric(b, loc, type, dynSizes, source, read,
                      [](OpBuilder &, Location, ValueRange args) {
                        return args[0];
                      });
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

/// The patches of group `g` of the NCHW `image` as rows:
/// Col[(n,oh,ow), (c,kh,kw)], gathered from the zero-padded image through an
/// affine map, so without bounds checks. `like` is a tensor [N, *, OH, OW]
/// that gives the row count.
Value im2col(OpBuilder &b, Location loc, Value image, const ConvShape &s,
             int64_t g) {
  MLIRContext *ctx = b.getContext();
  Value padded = padImage(b, loc, image, {s.padding[0], s.padding[1]},
                          {s.padding[2], s.padding[3]}, 0.0);
  AffineExpr m = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx);
  AffineExpr n = m.floorDiv(s.oh * s.ow), oh = (m.floorDiv(s.ow)) % s.oh,
             ow = m % s.ow;
  AffineExpr c = k.floorDiv(s.kh * s.kw), kh = (k.floorDiv(s.kw)) % s.kh,
             kw = k % s.kw;
  AffineMap read = AffineMap::get(
      2, 0,
      {n, c + g * s.channels, oh * s.strides[0] + kh * s.dilations[0],
       ow * s.strides[1] + kw * s.dilations[1]},
      ctx);
  return regroup(b, loc, padded, {staticRows(image, s), s.patch()},
                 rowCount(b, loc, image, s), read);
}

/// The rows of an OIHW weight for group `g`, [o, (i,kh,kw)], or with
/// `transpose` its columns [(i,kh,kw), o].
Value flattenWeight(OpBuilder &b, Location loc, Value weight,
                    const ConvShape &s, int64_t g, bool transpose) {
  MLIRContext *ctx = b.getContext();
  AffineExpr o = getAffineDimExpr(transpose ? 1 : 0, ctx);
  AffineExpr k = getAffineDimExpr(transpose ? 0 : 1, ctx);
  AffineMap read = AffineMap::get(
      2, 0,
      {o + g * s.outChannels, k.floorDiv(s.kh * s.kw),
       (k.floorDiv(s.kw)) % s.kh, k % s.kw},
      ctx);
  return regroup(b, loc, weight,
                 transpose ? ArrayRef<int64_t>{s.patch(), s.outChannels}
                           : ArrayRef<int64_t>{s.outChannels, s.patch()},
                 Value(), read);
}

/// Rows of an NCHW output-shaped `grad` for group `g`: [(n,oh,ow), oc], or
/// with `transpose` [oc, (n,oh,ow)].
Value gradRows(OpBuilder &b, Location loc, Value grad, const ConvShape &s,
               int64_t g, bool transpose) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m = getAffineDimExpr(transpose ? 1 : 0, ctx);
  AffineExpr oc = getAffineDimExpr(transpose ? 0 : 1, ctx);
  AffineMap read = AffineMap::get(
      2, 0,
      {m.floorDiv(s.oh * s.ow), oc + g * s.outChannels,
       (m.floorDiv(s.ow)) % s.oh, m % s.ow},
      ctx);
  int64_t rows = staticRows(grad, s);
  return regroup(b, loc, grad,
                 transpose ? ArrayRef<int64_t>{s.outChannels, rows}
                           : ArrayRef<int64_t>{rows, s.outChannels},
                 rowCount(b, loc, grad, s), read);
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
    int64_t oc = resultType.getDimSize(1);

    // Out[(n,oh,ow), oc]; groups fill their own columns.
    Value out;
    for (int64_t g = 0; g < s.groups; ++g) {
      Value part = contract(rewriter, loc, im2col(rewriter, loc, x, s, g),
                            flattenWeight(rewriter, loc, w, s, g, true));
      if (s.groups == 1) {
        out = part;
        break;
      }
      if (!out) {
        SmallVector<Value> dynSizes;
        if (Value rows = rowCount(rewriter, loc, x, s))
          dynSizes.push_back(rows);
        out = emptyTensor(
            rewriter, loc,
            RankedTensorType::get({staticRows(x, s), oc},
                                  resultType.getElementType()),
            dynSizes);
      }
      out = insertDim(rewriter, loc, part, out, 1, g * s.outChannels);
    }

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
    Value result = buildGeneric(
        rewriter, loc, resultType, dynSizes, inputs, maps,
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          if (args.size() == 1)
            return args[0];
          return arith::AddFOp::create(b, l, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct Conv2dBackwardDataLowering
    : OpConversionPattern<Conv2dBackwardDataOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2dBackwardDataOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ConvShape s = ConvShape::get(op);
    Value x = adaptor.getInput(), w = adaptor.getWeight();
    RankedTensorType resultType = op.getType();
    int64_t n = resultType.getDimSize(0);

    Value dx;
    for (int64_t g = 0; g < s.groups; ++g) {
      // dCol[(n,oh,ow), (c,kh,kw)] = dOut[(n,oh,ow), oc] x W[oc, (c,kh,kw)],
      // then col2im: each image position sums the patch entries that were
      // read from it.
      Value dcol =
          contract(rewriter, loc,
                   gradRows(rewriter, loc, adaptor.getGrad(), s, g, false),
                   flattenWeight(rewriter, loc, w, s, g, false));
      auto groupType = RankedTensorType::get(
          {n, s.channels, resultType.getDimSize(2), resultType.getDimSize(3)},
          resultType.getElementType());
      Value dxg = buildWindowScatter(
          rewriter, loc, groupType, x, {s.kh, s.kw}, s.strides, s.padding,
          s.dilations, {s.oh, s.ow},
          [&](OpBuilder &b, Location l, ValueRange nchw, Value kh, Value kw,
              Value oh, Value ow) -> Value {
            auto cst = [&](int64_t v) {
              return arith::ConstantIndexOp::create(b, l, v).getResult();
            };
            auto mulAdd = [&](Value a, int64_t scale, Value c) {
              return arith::AddIOp::create(
                  b, l, arith::MulIOp::create(b, l, a, cst(scale)), c);
            };
            Value m = mulAdd(mulAdd(nchw[0], s.oh, oh), s.ow, ow);
            Value k = mulAdd(mulAdd(nchw[1], s.kh, kh), s.kw, kw);
            return tensor::ExtractOp::create(b, l, dcol, ValueRange{m, k});
          });
      if (s.groups == 1) {
        dx = dxg;
        break;
      }
      if (!dx) {
        SmallVector<Value> dynSizes;
        if (resultType.isDynamicDim(0))
          dynSizes.push_back(tensor::DimOp::create(rewriter, loc, x, 0));
        dx = emptyTensor(rewriter, loc, resultType, dynSizes);
      }
      dx = insertDim(rewriter, loc, dxg, dx, 1, g * s.channels);
    }
    rewriter.replaceOp(op, dx);
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
    Value x = adaptor.getInput();
    RankedTensorType resultType = op.getType();

    // dW[oc, (c,kh,kw)] = dOut^T[oc, (n,oh,ow)] x Col[(n,oh,ow), (c,kh,kw)]:
    // the batch-derived dimension is the contraction's depth, and both
    // static sizes stay its M and N.
    auto flatType = RankedTensorType::get({resultType.getDimSize(0), s.patch()},
                                          resultType.getElementType());
    Value flat;
    for (int64_t g = 0; g < s.groups; ++g) {
      Value part =
          contract(rewriter, loc,
                   gradRows(rewriter, loc, adaptor.getGrad(), s, g, true),
                   im2col(rewriter, loc, x, s, g));
      if (s.groups == 1) {
        flat = part;
        break;
      }
      if (!flat)
        flat = emptyTensor(rewriter, loc, flatType, {});
      flat = insertDim(rewriter, loc, part, flat, 0, g * s.outChannels);
    }
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    AffineMap read = AffineMap::get(
        4, 0, {d(0), d(1) * (s.kh * s.kw) + d(2) * s.kw + d(3)}, ctx);
    Value dw = buildGeneric(rewriter, loc, resultType, {}, flat, read,
                            [](OpBuilder &, Location, ValueRange args) {
                              return args[0];
                            });
    rewriter.replaceOp(op, dw);
    return success();
  }
};

} // namespace

void mlir::nn::populateNNConvToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2dLowering, Conv2dBackwardDataLowering,
               Conv2dBackwardFilterLowering>(patterns.getContext());
}
