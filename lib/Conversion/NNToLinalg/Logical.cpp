//===- Logical.cpp - comparison, logic, cast, gather ops to linalg --------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The integer and boolean ops: elementwise ones become one `linalg.generic`
// like the float family; argmax/argmin a reduction that carries (value,
// index) pairs in order; gather a parallel `linalg.generic` whose body
// reads the data with `tensor.extract`.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

Value intConst(OpBuilder &b, Location l, Type t, int64_t v) {
  return arith::ConstantOp::create(b, l, b.getIntegerAttr(t, v));
}

bool isNarrowFloat(Type t) { return t.isF16() || t.isBF16(); }

/// bf16 `x` widened to f32 (exact): its bits are the upper half of the
/// f32's. Integer ops, so that no target needs bf16 instructions.
Value extendBF16(OpBuilder &b, Location l, Value x) {
  Value bits = arith::BitcastOp::create(b, l, b.getI16Type(), x);
  Value wide = arith::ExtUIOp::create(b, l, b.getI32Type(), bits);
  wide = arith::ShLIOp::create(b, l, wide, intConst(b, l, b.getI32Type(), 16));
  return arith::BitcastOp::create(b, l, b.getF32Type(), wide);
}

/// f32 `x` rounded to bf16, to nearest with ties to even (a carry into the
/// exponent is the next binade, and out of the largest finite value is
/// infinity); NaN stays a quiet NaN of the same sign. Integer ops, as
/// ml_dtypes and PyTorch compute it.
Value truncateToBF16(OpBuilder &b, Location l, Value x) {
  Type i32 = b.getI32Type();
  Value bits = arith::BitcastOp::create(b, l, i32, x);
  Value sixteen = intConst(b, l, i32, 16);
  Value high = arith::ShRUIOp::create(b, l, bits, sixteen);
  Value lsb = arith::AndIOp::create(b, l, high, intConst(b, l, i32, 1));
  Value bias = arith::AddIOp::create(b, l, lsb, intConst(b, l, i32, 0x7fff));
  Value rounded = arith::ShRUIOp::create(
      b, l, arith::AddIOp::create(b, l, bits, bias), sixteen);
  Value quietNaN = arith::OrIOp::create(b, l, high, intConst(b, l, i32, 0x40));
  Value isNaN = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x);
  Value result = arith::SelectOp::create(b, l, isNaN, quietNaN, rounded);
  Value narrow = arith::TruncIOp::create(b, l, b.getI16Type(), result);
  return arith::BitcastOp::create(b, l, b.getBF16Type(), narrow);
}

/// f64 `x` rounded to f32 "to odd": truncated toward zero, with the last
/// bit set when inexact. Rounding that to a type of at most 22 significand
/// bits (f16, bf16) to nearest gives the correctly rounded f64 -> f16/bf16
/// result; going through f32 by nearest instead could round twice.
Value roundToOddF32(OpBuilder &b, Location l, Value x) {
  Type i32 = b.getI32Type();
  Value nearest = arith::TruncFOp::create(b, l, b.getF32Type(), x);
  Value back = arith::ExtFOp::create(b, l, x.getType(), nearest);
  // Ordered: false for NaN, which passes through unchanged.
  Value inexact =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::ONE, back, x);
  // Rounded away from zero: step back one ulp toward zero (the bits of a
  // float grow with its magnitude), which also turns an overflow to
  // infinity into the largest finite f32.
  Value zero = arith::ConstantOp::create(b, l, b.getFloatAttr(x.getType(), 0));
  Value above = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, back, x);
  Value negative =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, zero);
  Value away = arith::XOrIOp::create(b, l, above, negative);
  Value bits = arith::BitcastOp::create(b, l, i32, nearest);
  Value towardZero = arith::SelectOp::create(
      b, l, away, arith::SubIOp::create(b, l, bits, intConst(b, l, i32, 1)),
      bits);
  Value odd = arith::OrIOp::create(b, l, towardZero, intConst(b, l, i32, 1));
  Value result = arith::SelectOp::create(b, l, inexact, odd, bits);
  return arith::BitcastOp::create(b, l, b.getF32Type(), result);
}

/// Converts scalar `x` to `to` with ONNX Cast's rules; integers are
/// unsigned where `fromUnsigned` / `toUnsigned` say (the scalars are
/// signless).
Value convert(OpBuilder &b, Location l, Value x, Type to, bool fromUnsigned,
              bool toUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  // f16 and bf16 convert through f32: widening is exact, and a value
  // reaches them from f32 with one rounding to nearest even. Integers get
  // there through f64 (exact up to 2^53) and f64 through f32 rounded to odd.
  if (isNarrowFloat(from)) {
    Value wide = from.isBF16() ? extendBF16(b, l, x)
                               : arith::ExtFOp::create(b, l, b.getF32Type(), x);
    return convert(b, l, wide, to, false, toUnsigned);
  }
  if (isNarrowFloat(to)) {
    if (!from.isF32()) {
      Value wide = convert(b, l, x, b.getF64Type(), fromUnsigned, false);
      x = roundToOddF32(b, l, wide);
    }
    return to.isBF16() ? truncateToBF16(b, l, x)
                       : arith::TruncFOp::create(b, l, to, x).getResult();
  }
  auto fromInt = dyn_cast<IntegerType>(from);
  auto toInt = dyn_cast<IntegerType>(to);
  if (toInt && toInt.getWidth() == 1) {
    // Anything to bool is x != 0; NaN is unordered, so `une` makes it true.
    if (fromInt)
      return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x,
                                   intConst(b, l, from, 0));
    Value zero = arith::ConstantOp::create(b, l, b.getFloatAttr(from, 0.0));
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x, zero);
  }
  bool zeroExtend = fromInt && (fromInt.getWidth() == 1 || fromUnsigned);
  if (fromInt && toInt) {
    // Same-width casts between signed and unsigned keep the bits.
    if (fromInt.getWidth() == toInt.getWidth())
      return x;
    if (fromInt.getWidth() < toInt.getWidth())
      return zeroExtend ? arith::ExtUIOp::create(b, l, to, x).getResult()
                        : arith::ExtSIOp::create(b, l, to, x).getResult();
    return arith::TruncIOp::create(b, l, to, x);
  }
  if (fromInt)
    return zeroExtend ? arith::UIToFPOp::create(b, l, to, x).getResult()
                      : arith::SIToFPOp::create(b, l, to, x).getResult();
  if (toInt)
    // fptosi and fptoui truncate toward zero, ONNX's rule.
    return toUnsigned ? arith::FPToUIOp::create(b, l, to, x).getResult()
                      : arith::FPToSIOp::create(b, l, to, x).getResult();
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return arith::ExtFOp::create(b, l, to, x);
  return arith::TruncFOp::create(b, l, to, x);
}

struct CastLowering : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type to = op.getType().getElementType();
    bool fromUnsigned = hasUnsignedOperands(op);
    bool toUnsigned = hasUnsignedResults(op);
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), op.getType(),
                             adaptor.getInput(),
                             [&](OpBuilder &b, Location l, ValueRange x) {
                               return convert(b, l, x[0], to, fromUnsigned,
                                              toUnsigned);
                             }));
    return success();
  }
};

/// Comparisons: ordered float predicates (false with NaN), signed integer
/// ones; bools and unsigned integers compare as unsigned (false < true).
template <typename OpTy, arith::CmpFPredicate F, arith::CmpIPredicate S,
          arith::CmpIPredicate U>
struct CompareLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool isUnsigned = hasUnsignedOperands(op);
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), op.getType(), adaptor.getOperands(),
                [&](OpBuilder &b, Location l, ValueRange x) -> Value {
                  auto intType = dyn_cast<IntegerType>(x[0].getType());
                  if (!intType)
                    return arith::CmpFOp::create(b, l, F, x[0], x[1]);
                  return arith::CmpIOp::create(
                      b, l, intType.getWidth() == 1 || isUnsigned ? U : S,
                      x[0], x[1]);
                }));
    return success();
  }
};

template <typename OpTy, typename ArithOp>
struct LogicalLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildElementwise(
                               rewriter, op.getLoc(), op.getType(),
                               adaptor.getOperands(),
                               [](OpBuilder &b, Location l, ValueRange x) {
                                 return ArithOp::create(b, l, x[0], x[1])
                                     .getResult();
                               }));
    return success();
  }
};

struct LogicalNotLowering : OpConversionPattern<LogicalNotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LogicalNotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), op.getType(),
                             adaptor.getInput(),
                             [](OpBuilder &b, Location l, ValueRange x) {
                               Value one = intConst(b, l, x[0].getType(), 1);
                               return arith::XOrIOp::create(b, l, x[0], one)
                                   .getResult();
                             }));
    return success();
  }
};

struct WhereLowering : OpConversionPattern<WhereOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(WhereOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), op.getType(),
                             adaptor.getOperands(),
                             [](OpBuilder &b, Location l, ValueRange x) {
                               return arith::SelectOp::create(b, l, x[0], x[1],
                                                              x[2])
                                   .getResult();
                             }));
    return success();
  }
};

struct ModLowering : OpConversionPattern<ModOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ModOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool fmod = op.getFmod();
    bool isUnsigned = hasUnsignedOperands(op);
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), op.getType(), adaptor.getOperands(),
                [&](OpBuilder &b, Location l, ValueRange x) -> Value {
                  if (!isInt(x[0])) {
                    Value r = arith::RemFOp::create(b, l, x[0], x[1]);
                    if (fmod)
                      return r;
                    // floor mod: a nonzero remainder whose sign differs
                    // from the divisor's moves by one divisor.
                    Value zero = arith::ConstantOp::create(
                        b, l, b.getFloatAttr(r.getType(), 0.0));
                    Value rNeg = arith::CmpFOp::create(
                        b, l, arith::CmpFPredicate::OLT, r, zero);
                    Value dNeg = arith::CmpFOp::create(
                        b, l, arith::CmpFPredicate::OLT, x[1], zero);
                    Value nonzero = arith::CmpFOp::create(
                        b, l, arith::CmpFPredicate::ONE, r, zero);
                    Value fix = arith::AndIOp::create(
                        b, l, nonzero, arith::XOrIOp::create(b, l, rNeg, dNeg));
                    return arith::SelectOp::create(
                        b, l, fix, arith::AddFOp::create(b, l, r, x[1]), r);
                  }
                  Type t = x[0].getType();
                  Value zero = intConst(b, l, t, 0), one = intConst(b, l, t, 1);
                  if (isUnsigned) {
                    // Both rules agree on unsigned values; a divisor of 0
                    // gives 0 instead of trapping.
                    Value isZero = arith::CmpIOp::create(
                        b, l, arith::CmpIPredicate::eq, x[1], zero);
                    Value divisor =
                        arith::SelectOp::create(b, l, isZero, one, x[1]);
                    Value r = arith::RemUIOp::create(b, l, x[0], divisor);
                    return arith::SelectOp::create(b, l, isZero, zero, r);
                  }
                  // A divisor of 0 (and -1, where INT_MIN % -1 traps) is
                  // steered away from the instruction; x % -1 is 0.
                  Value unsafe = arith::OrIOp::create(
                      b, l,
                      arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                            x[1], zero),
                      arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                            x[1], intConst(b, l, t, -1)));
                  Value divisor = arith::SelectOp::create(b, l, unsafe, one,
                                                          x[1]);
                  Value r = arith::RemSIOp::create(b, l, x[0], divisor);
                  if (!fmod) {
                    // Python's %: the remainder takes the divisor's sign.
                    Value rNeg = arith::CmpIOp::create(
                        b, l, arith::CmpIPredicate::slt, r, zero);
                    Value dNeg = arith::CmpIOp::create(
                        b, l, arith::CmpIPredicate::slt, divisor, zero);
                    Value nonzero = arith::CmpIOp::create(
                        b, l, arith::CmpIPredicate::ne, r, zero);
                    Value fix = arith::AndIOp::create(
                        b, l, nonzero,
                        arith::XOrIOp::create(b, l, rNeg, dNeg));
                    r = arith::SelectOp::create(
                        b, l, fix, arith::AddIOp::create(b, l, r, divisor), r);
                  }
                  return arith::SelectOp::create(b, l, unsafe, zero, r);
                }));
    return success();
  }
  static bool isInt(Value v) { return isa<IntegerType>(v.getType()); }
};

/// argmax/argmin: a sequential reduction over the axis carrying the best
/// value and its index; the strict comparison keeps the first of equal
/// values, the non-strict one (select_last_index) the last. A NaN never
/// replaces a number (ordered comparisons), and the first element is always
/// taken (the running value starts at the first element's index 0 via the
/// "index still unset" flag: index -1).
template <typename OpTy, bool IsMax>
struct ArgReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    bool last = op.getSelectLastIndex();
    bool isUnsigned = hasUnsignedOperands(op);
    Type elem = type.getElementType();
    Type i64 = rewriter.getI64Type();

    SmallVector<int64_t> shape;
    SmallVector<Value> dynSizes;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t d = 0; d < rank; ++d) {
      iterators.push_back(d == axis ? utils::IteratorType::reduction
                                    : utils::IteratorType::parallel);
      if (d == axis)
        continue;
      shape.push_back(type.getDimSize(d));
      if (type.isDynamicDim(d))
        dynSizes.push_back(tensor::DimOp::create(rewriter, loc, input, d));
    }
    auto valueType = RankedTensorType::get(shape, elem);
    auto indexType = RankedTensorType::get(shape, i64);
    Value values = emptyTensor(rewriter, loc, valueType, dynSizes);
    Value indices = linalg::FillOp::create(
                        rewriter, loc, intConst(rewriter, loc, i64, -1),
                        emptyTensor(rewriter, loc, indexType, dynSizes))
                        .getResult(0);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap reduced = dropAxesMap(rewriter.getContext(), rank, {axis});
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valueType, indexType}, input,
        ValueRange{values, indices},
        ArrayRef<AffineMap>{identity, reduced, reduced}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[1], bestIndex = args[2];
          Value index = arith::IndexCastOp::create(
              b, l, i64, linalg::IndexOp::create(b, l, axis));
          Value better;
          if (isa<IntegerType>(elem)) {
            using P = arith::CmpIPredicate;
            auto pred = IsMax ? (last ? (isUnsigned ? P::uge : P::sge)
                                      : (isUnsigned ? P::ugt : P::sgt))
                              : (last ? (isUnsigned ? P::ule : P::sle)
                                      : (isUnsigned ? P::ult : P::slt));
            better = arith::CmpIOp::create(b, l, pred, x, best);
          } else {
            auto pred = IsMax ? (last ? arith::CmpFPredicate::OGE
                                      : arith::CmpFPredicate::OGT)
                              : (last ? arith::CmpFPredicate::OLE
                                      : arith::CmpFPredicate::OLT);
            better = arith::CmpFOp::create(b, l, pred, x, best);
          }
          Value unset =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, bestIndex,
                                    intConst(b, l, i64, 0));
          Value take = arith::OrIOp::create(b, l, unset, better);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, take, x, best),
                         arith::SelectOp::create(b, l, take, index,
                                                 bestIndex)});
        });
    Value result = generic.getResult(1);
    if (op.getKeepdims())
      result = expandReducedDims(rewriter, loc, result, op.getType());
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// gather: result index (outer..., idx..., inner...) reads data at
/// (outer..., indices[idx...], inner...), with a negative index counted from
/// the end and the result clamped into the axis.
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = cast<RankedTensorType>(data.getType());
    auto idxType = cast<RankedTensorType>(indices.getType());
    RankedTensorType resultType = op.getType();
    int64_t axis = normalizeAxis(op.getAxis(), dataType.getRank());
    int64_t nIdx = idxType.getRank();
    int64_t rank = resultType.getRank();
    MLIRContext *ctx = rewriter.getContext();

    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      // Only the leading dimension can be dynamic: the data's batch, or
      // the indices' leading one when gathering along axis 0.
      dynSizes.push_back(
          axis == 0 ? tensor::DimOp::create(rewriter, loc, indices, 0)
                    : tensor::DimOp::create(rewriter, loc, data, 0));
    }
    SmallVector<AffineExpr> idxExprs;
    for (int64_t k = 0; k < nIdx; ++k)
      idxExprs.push_back(getAffineDimExpr(axis + k, ctx));
    AffineMap idxMap = AffineMap::get(rank, 0, idxExprs, ctx);
    Value size =
        dataType.isDynamicDim(axis)
            ? Value(tensor::DimOp::create(rewriter, loc, data, axis))
            : Value(arith::ConstantIndexOp::create(rewriter, loc,
                                                   dataType.getDimSize(axis)));
    Value result = buildGeneric(
        rewriter, loc, resultType, dynSizes, indices, {idxMap},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value negative =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
          i = arith::SelectOp::create(b, l, negative,
                                      arith::AddIOp::create(b, l, i, size), i);
          Value top = arith::SubIOp::create(
              b, l, size, arith::ConstantIndexOp::create(b, l, 1));
          i = arith::MaxSIOp::create(b, l, i, zero);
          i = arith::MinSIOp::create(b, l, i, top);
          SmallVector<Value> at;
          for (int64_t d = 0; d < axis; ++d)
            at.push_back(linalg::IndexOp::create(b, l, d));
          at.push_back(i);
          for (int64_t d = axis + nIdx; d < rank; ++d)
            at.push_back(linalg::IndexOp::create(b, l, d));
          return tensor::ExtractOp::create(b, l, data, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::nn::populateNNLogicalToLinalgPatterns(RewritePatternSet &patterns) {
  using P = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  MLIRContext *ctx = patterns.getContext();
  patterns.add<CastLowering, LogicalNotLowering, WhereLowering, ModLowering,
               GatherLowering>(ctx);
  patterns.add<CompareLowering<EqualOp, P::OEQ, I::eq, I::eq>,
               CompareLowering<GreaterOp, P::OGT, I::sgt, I::ugt>,
               CompareLowering<GreaterEqualOp, P::OGE, I::sge, I::uge>,
               CompareLowering<LessOp, P::OLT, I::slt, I::ult>,
               CompareLowering<LessEqualOp, P::OLE, I::sle, I::ule>>(ctx);
  patterns.add<LogicalLowering<LogicalAndOp, arith::AndIOp>,
               LogicalLowering<LogicalOrOp, arith::OrIOp>,
               LogicalLowering<LogicalXorOp, arith::XOrIOp>>(ctx);
  patterns.add<ArgReduceLowering<ArgMaxOp, true>,
               ArgReduceLowering<ArgMinOp, false>>(ctx);
}
