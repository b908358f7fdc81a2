//===- Loss.cpp - losses and one_hot to linalg ----------------------------===//
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

/// Sums `term(inputs...)` over every element of the (same-shaped) inputs into
/// a rank-0 tensor, then divides by `count`.
Value meanOf(OpBuilder &b, Location loc, ValueRange inputs, Value count,
             lowering::BodyFn term) {
  auto type = cast<RankedTensorType>(inputs[0].getType());
  int64_t rank = type.getRank();
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  Value acc = filledTensor(b, loc, scalarType, {}, 0.0);
  SmallVector<AffineMap> maps(inputs.size(), b.getMultiDimIdentityMap(rank));
  maps.push_back(AffineMap::get(rank, 0, {}, b.getContext()));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  auto sum = linalg::GenericOp::create(
      b, loc, scalarType, inputs, acc, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value t = term(nb, l, args.drop_back());
        linalg::YieldOp::create(
            nb, l, Value(arith::AddFOp::create(nb, l, args.back(), t)));
      });
  Value total = extractScalar(b, loc, sum.getResult(0));
  return scalarTensor(b, loc, arith::DivFOp::create(b, loc, total, count));
}

struct MSELowering : OpConversionPattern<MSEOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MSEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value count = elementCount(rewriter, loc, adaptor.getInput(), {});
    Value loss =
        meanOf(rewriter, loc, {adaptor.getInput(), adaptor.getTarget()}, count,
               [](OpBuilder &b, Location l, ValueRange x) {
                 Value d = arith::SubFOp::create(b, l, x[0], x[1]);
                 return Value(arith::MulFOp::create(b, l, d, d));
               });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

struct MAELowering : OpConversionPattern<MAEOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MAEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value count = elementCount(rewriter, loc, adaptor.getInput(), {});
    Value loss =
        meanOf(rewriter, loc, {adaptor.getInput(), adaptor.getTarget()}, count,
               [](OpBuilder &b, Location l, ValueRange x) {
                 return Value(math::AbsFOp::create(
                     b, l, arith::SubFOp::create(b, l, x[0], x[1])));
               });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

/// BCEWithLogitsLoss's stable form: max(z, 0) - z t + log(1 + e^-|z|).
static Value bceFromLogits(OpBuilder &b, Location l, Value z, Value t) {
  Value relu = arith::MaximumFOp::create(b, l, z, f32(b, l, 0.0));
  Value e = math::ExpOp::create(
      b, l, arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, z)));
  Value soft = math::Log1pOp::create(b, l, e);
  return arith::AddFOp::create(
      b, l, arith::SubFOp::create(b, l, relu, arith::MulFOp::create(b, l, z, t)),
      soft);
}

struct BinaryCrossEntropyLowering : OpConversionPattern<BinaryCrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BinaryCrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value count = elementCount(rewriter, loc, adaptor.getInput(), {});
    if (op.getFromLogits()) {
      Value loss =
          meanOf(rewriter, loc, {adaptor.getInput(), adaptor.getTarget()},
                 count, [](OpBuilder &b, Location l, ValueRange x) {
                   return bceFromLogits(b, l, x[0], x[1]);
                 });
      rewriter.replaceOp(op, loss);
      return success();
    }
    Value loss = meanOf(
        rewriter, loc, {adaptor.getInput(), adaptor.getTarget()}, count,
        [](OpBuilder &b, Location l, ValueRange x) {
          // -(t log p + (1 - t) log(1 - p)), logs clamped at -100.
          Value one = f32(b, l, 1.0), floor = f32(b, l, -100.0);
          Value logP = arith::MaximumFOp::create(
              b, l, math::LogOp::create(b, l, x[0]), floor);
          Value log1mP = arith::MaximumFOp::create(
              b, l,
              math::LogOp::create(b, l, arith::SubFOp::create(b, l, one, x[0])),
              floor);
          Value oneMinusT = arith::SubFOp::create(b, l, one, x[1]);
          Value ll = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, x[1], logP),
              arith::MulFOp::create(b, l, oneMinusT, log1mP));
          return Value(arith::NegFOp::create(b, l, ll));
        });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

/// `value` with dimensions [0, keep) merged into one: logits [N, T, C] to
/// rows [N * T, C] (keep = 2), labels [N, T] to [N * T] (keep = 1).
static Value mergeLeading(OpBuilder &b, Location loc, Value value,
                          int64_t keep) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank(), merged = rank - keep + 1;
  if (merged == 1)
    return value;
  ReassociationIndices lead;
  int64_t size = 1;
  for (int64_t d = 0; d < merged; ++d) {
    lead.push_back(d);
    size = type.isDynamicDim(d) || ShapedType::isDynamic(size)
               ? ShapedType::kDynamic
               : size * type.getDimSize(d);
  }
  SmallVector<ReassociationIndices> groups = {lead};
  SmallVector<int64_t> shape = {size};
  for (int64_t d = merged; d < rank; ++d) {
    groups.push_back({d});
    shape.push_back(type.getDimSize(d));
  }
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      groups);
}

/// mean_i (logsumexp(x_i) - x_i[y_i]) in three passes over the logits: the
/// row maximum, then the shifted exponential sum and the picked logit
/// together, then the mean over rows. With class probabilities t the second
/// pass also sums t_ij and t_ij x_ij, and a row's loss is
/// logsumexp(x_i) sum_j t_ij - sum_j t_ij x_ij. Logits with several
/// leading dimensions ([N, T, C]) are rows [N * T, C] first; rows whose
/// label is `ignore_index` add nothing, and the mean is over the others.
struct CrossEntropyLowering : OpConversionPattern<CrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value logits = mergeLeading(rewriter, loc, adaptor.getInput(), 2);
    Value labels = adaptor.getTarget();
    labels = mergeLeading(
        rewriter, loc, labels,
        isa<FloatType>(getElementTypeOrSelf(labels.getType())) ? 2 : 1);
    auto labelType = cast<RankedTensorType>(labels.getType());

    Value rowMax = buildReduction(
        rewriter, loc, logits, {1}, -std::numeric_limits<double>::infinity(),
        [](OpBuilder &b, Location l, Value x, Value acc) -> Value {
          return arith::MaximumFOp::create(b, l, acc, x);
        });
    auto rowType = cast<RankedTensorType>(rowMax.getType());
    SmallVector<Value> dynSizes;
    if (rowType.isDynamicDim(0))
      dynSizes.push_back(tensor::DimOp::create(rewriter, loc, logits, 0));
    Value sumInit = filledTensor(rewriter, loc, rowType, dynSizes, 0.0);
    Value pickInit = filledTensor(rewriter, loc, rowType, dynSizes, 0.0);

    auto d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
    AffineMap full = AffineMap::get(2, 0, {d0, d1}, ctx);
    AffineMap row = AffineMap::get(2, 0, {d0}, ctx);
    Value count = elementCount(rewriter, loc, logits, {0});
    if (isa<FloatType>(labelType.getElementType())) {
      Value massInit = filledTensor(rewriter, loc, rowType, dynSizes, 0.0);
      auto rows = linalg::GenericOp::create(
          rewriter, loc, TypeRange{rowType, rowType, rowType},
          ValueRange{logits, rowMax, labels},
          ValueRange{sumInit, pickInit, massInit},
          ArrayRef<AffineMap>{full, row, full, row, row, row},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::reduction},
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value e = math::ExpOp::create(
                b, l, arith::SubFOp::create(b, l, a[0], a[1]));
            Value tx = arith::MulFOp::create(b, l, a[2], a[0]);
            linalg::YieldOp::create(
                b, l,
                ValueRange{arith::AddFOp::create(b, l, a[3], e),
                           arith::AddFOp::create(b, l, a[4], tx),
                           arith::AddFOp::create(b, l, a[5], a[2])});
          });
      Value loss = meanOf(
          rewriter, loc,
          {rows.getResult(0), rowMax, rows.getResult(1), rows.getResult(2)},
          count, [](OpBuilder &b, Location l, ValueRange x) {
            Value lse = arith::AddFOp::create(
                b, l, math::LogOp::create(b, l, x[0]), x[1]);
            return Value(arith::SubFOp::create(
                b, l, arith::MulFOp::create(b, l, lse, x[3]), x[2]));
          });
      rewriter.replaceOp(op, loss);
      return success();
    }
    auto rows = linalg::GenericOp::create(
        rewriter, loc, TypeRange{rowType, rowType},
        ValueRange{logits, rowMax, labels}, ValueRange{sumInit, pickInit},
        ArrayRef<AffineMap>{full, row, row, row, row},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value e = math::ExpOp::create(
              b, l, arith::SubFOp::create(b, l, a[0], a[1]));
          Value col =
              arith::IndexCastOp::create(b, l, labelType.getElementType(),
                                         linalg::IndexOp::create(b, l, 1));
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, col, a[2]);
          Value picked =
              arith::SelectOp::create(b, l, hit, a[0], f32(b, l, 0.0));
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::AddFOp::create(b, l, a[3], e),
                         arith::AddFOp::create(b, l, a[4], picked)});
        });

    std::optional<int64_t> ignore = op.getIgnoreIndex();
    Type labelElt = labelType.getElementType();
    // Whether row i counts: its label is not `ignore_index`.
    auto counted = [&](OpBuilder &b, Location l, Value label) -> Value {
      Value ignored = arith::ConstantOp::create(
          b, l, b.getIntegerAttr(labelElt, ignore.value_or(0)));
      return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, label,
                                   ignored);
    };
    if (ignore) {
      Value kept = extractScalar(
          rewriter, loc,
          meanOf(rewriter, loc, {labels}, f32(rewriter, loc, 1.0),
                 [&](OpBuilder &b, Location l, ValueRange x) -> Value {
                   return arith::SelectOp::create(b, l, counted(b, l, x[0]),
                                                  f32(b, l, 1.0),
                                                  f32(b, l, 0.0));
                 }));
      count = arith::MaximumFOp::create(rewriter, loc, kept,
                                        f32(rewriter, loc, 1.0));
    }
    SmallVector<Value> terms = {rows.getResult(0), rowMax, rows.getResult(1)};
    if (ignore)
      terms.push_back(labels);
    Value loss = meanOf(
        rewriter, loc, terms, count,
        [&](OpBuilder &b, Location l, ValueRange x) -> Value {
          Value lse =
              arith::AddFOp::create(b, l, math::LogOp::create(b, l, x[0]), x[1]);
          Value term = arith::SubFOp::create(b, l, lse, x[2]);
          if (!ignore)
            return term;
          return arith::SelectOp::create(b, l, counted(b, l, x[3]), term,
                                         f32(b, l, 0.0));
        });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

struct OneHotLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value labels = adaptor.getLabels();
    auto labelType = cast<RankedTensorType>(labels.getType());
    Type labelElt = labelType.getElementType();
    int64_t rank = labelType.getRank();
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d)
      if (labelType.isDynamicDim(d))
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, labels, d));
    SmallVector<AffineExpr> labelExprs;
    for (int64_t d = 0; d < rank; ++d)
      labelExprs.push_back(getAffineDimExpr(d, ctx));
    AffineMap row = AffineMap::get(rank + 1, 0, labelExprs, ctx);
    Value result =
        buildGeneric(rewriter, loc, op.getType(), dynSizes, labels, row,
                     [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                       Value col = arith::IndexCastOp::create(
                           b, l, labelElt, linalg::IndexOp::create(b, l, rank));
                       Value hit = arith::CmpIOp::create(
                           b, l, arith::CmpIPredicate::eq, col, a[0]);
                       return arith::SelectOp::create(b, l, hit, f32(b, l, 1.0),
                                                      f32(b, l, 0.0));
                     });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::nn::populateNNLossToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MSELowering, MAELowering, BinaryCrossEntropyLowering,
               CrossEntropyLowering, OneHotLowering>(patterns.getContext());
}
