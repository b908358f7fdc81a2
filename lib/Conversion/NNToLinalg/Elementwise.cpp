//===- Elementwise.cpp - elementwise nn ops to linalg ---------------------===//
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

using ScalarFn = Value (*)(OpBuilder &, Location, ValueRange);

/// Any elementwise `nn` op: one `linalg.generic` around a scalar body;
/// `unsignedFn`, when given, is the body for unsigned integer operands.
template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  ElementwiseLowering(MLIRContext *ctx, ScalarFn fn,
                      ScalarFn unsignedFn = nullptr)
      : OpConversionPattern<OpTy>(ctx), fn(fn), unsignedFn(unsignedFn) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ScalarFn body =
        unsignedFn && hasUnsignedOperands(op.getOperation()) ? unsignedFn : fn;
    Value result = buildElementwise(rewriter, op.getLoc(), op.getType(),
                                    adaptor.getOperands(), body);
    rewriter.replaceOp(op, result);
    return success();
  }

  ScalarFn fn;
  ScalarFn unsignedFn;
};

// add, sub, mul, div, maximum, minimum, neg, abs and sign also take
// integers (ONNX's integer arithmetic): each body picks by element type.
bool isInt(Value v) { return isa<IntegerType>(v.getType()); }
Value intConst(OpBuilder &b, Location l, Type t, int64_t v) {
  return arith::ConstantOp::create(b, l, b.getIntegerAttr(t, v));
}

Value addBody(OpBuilder &b, Location l, ValueRange x) {
  if (isInt(x[0]))
    return arith::AddIOp::create(b, l, x[0], x[1]);
  return arith::AddFOp::create(b, l, x[0], x[1]);
}
Value subBody(OpBuilder &b, Location l, ValueRange x) {
  if (isInt(x[0]))
    return arith::SubIOp::create(b, l, x[0], x[1]);
  return arith::SubFOp::create(b, l, x[0], x[1]);
}
Value mulBody(OpBuilder &b, Location l, ValueRange x) {
  if (isInt(x[0]))
    return arith::MulIOp::create(b, l, x[0], x[1]);
  return arith::MulFOp::create(b, l, x[0], x[1]);
}
Value divBody(OpBuilder &b, Location l, ValueRange x) {
  if (!isInt(x[0]))
    return arith::DivFOp::create(b, l, x[0], x[1]);
  // Truncating division. The two cases where the machine instruction traps
  // (x / 0 and INT_MIN / -1) are steered away from it: x / 0 gives 0 and
  // x / -1 is computed as the wrapping 0 - x.
  Type t = x[0].getType();
  Value zero = intConst(b, l, t, 0), one = intConst(b, l, t, 1);
  Value minusOne = intConst(b, l, t, -1);
  Value isZero =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, x[1], zero);
  Value isMinusOne =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, x[1], minusOne);
  Value unsafe = arith::OrIOp::create(b, l, isZero, isMinusOne);
  Value divisor = arith::SelectOp::create(b, l, unsafe, one, x[1]);
  Value quotient = arith::DivSIOp::create(b, l, x[0], divisor);
  Value negated = arith::SubIOp::create(b, l, zero, x[0]);
  quotient = arith::SelectOp::create(b, l, isMinusOne, negated, quotient);
  return arith::SelectOp::create(b, l, isZero, zero, quotient);
}
/// Unsigned division: x / 0 gives 0 (the instruction would trap); no other
/// divisor is special.
Value divUnsignedBody(OpBuilder &b, Location l, ValueRange x) {
  Type t = x[0].getType();
  Value zero = intConst(b, l, t, 0), one = intConst(b, l, t, 1);
  Value isZero =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, x[1], zero);
  Value divisor = arith::SelectOp::create(b, l, isZero, one, x[1]);
  Value quotient = arith::DivUIOp::create(b, l, x[0], divisor);
  return arith::SelectOp::create(b, l, isZero, zero, quotient);
}
Value maximumUnsignedBody(OpBuilder &b, Location l, ValueRange x) {
  return arith::MaxUIOp::create(b, l, x[0], x[1]);
}
Value minimumUnsignedBody(OpBuilder &b, Location l, ValueRange x) {
  return arith::MinUIOp::create(b, l, x[0], x[1]);
}
Value absUnsignedBody(OpBuilder &, Location, ValueRange x) { return x[0]; }
Value signUnsignedBody(OpBuilder &b, Location l, ValueRange x) {
  Type t = x[0].getType();
  Value zero = intConst(b, l, t, 0);
  Value nonzero =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x[0], zero);
  return arith::ExtUIOp::create(b, l, t, nonzero);
}
Value maximumBody(OpBuilder &b, Location l, ValueRange x) {
  if (isInt(x[0]))
    return arith::MaxSIOp::create(b, l, x[0], x[1]);
  return arith::MaximumFOp::create(b, l, x[0], x[1]);
}
Value negBody(OpBuilder &b, Location l, ValueRange x) {
  if (isInt(x[0]))
    return arith::SubIOp::create(b, l, intConst(b, l, x[0].getType(), 0),
                                 x[0]);
  return arith::NegFOp::create(b, l, x[0]);
}
Value expBody(OpBuilder &b, Location l, ValueRange x) {
  return math::ExpOp::create(b, l, x[0]);
}
Value logBody(OpBuilder &b, Location l, ValueRange x) {
  return math::LogOp::create(b, l, x[0]);
}
Value sqrtBody(OpBuilder &b, Location l, ValueRange x) {
  return math::SqrtOp::create(b, l, x[0]);
}
Value reluBody(OpBuilder &b, Location l, ValueRange x) {
  // maximumf propagates NaN, as PyTorch's relu does.
  return arith::MaximumFOp::create(b, l, x[0], f32(b, l, 0.0));
}
Value sigmoidBody(OpBuilder &b, Location l, ValueRange x) {
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x[0]));
  Value one = f32(b, l, 1.0);
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}
Value tanhBody(OpBuilder &b, Location l, ValueRange x) {
  return math::TanhOp::create(b, l, x[0]);
}
Value stepBody(OpBuilder &b, Location l, ValueRange x) {
  Value positive = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x[0],
                                         f32(b, l, 0.0));
  return arith::SelectOp::create(b, l, positive, f32(b, l, 1.0),
                                 f32(b, l, 0.0));
}

Value minimumBody(OpBuilder &b, Location l, ValueRange x) {
  if (isInt(x[0]))
    return arith::MinSIOp::create(b, l, x[0], x[1]);
  return arith::MinimumFOp::create(b, l, x[0], x[1]);
}
Value powBody(OpBuilder &b, Location l, ValueRange x) {
  // math.powf becomes llvm.pow, i.e. C's powf: (-2)^2 = 4, (-2)^0.5 = NaN.
  return math::PowFOp::create(b, l, x[0], x[1]);
}
Value absBody(OpBuilder &b, Location l, ValueRange x) {
  if (isInt(x[0]))
    return math::AbsIOp::create(b, l, x[0]);
  return math::AbsFOp::create(b, l, x[0]);
}
Value signBody(OpBuilder &b, Location l, ValueRange x) {
  if (isInt(x[0])) {
    Type t = x[0].getType();
    Value zero = intConst(b, l, t, 0);
    Value above =
        arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, x[0], zero);
    Value below =
        arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, x[0], zero);
    Value negOrZero =
        arith::SelectOp::create(b, l, below, intConst(b, l, t, -1), zero);
    return arith::SelectOp::create(b, l, above, intConst(b, l, t, 1),
                                   negOrZero);
  }
  // 1 above 0, -1 below; 0, -0 and NaN are their own sign.
  Value zero = f32(b, l, 0.0);
  Value above =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x[0], zero);
  Value below =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x[0], zero);
  Value negOrSelf = arith::SelectOp::create(b, l, below, f32(b, l, -1.0), x[0]);
  return arith::SelectOp::create(b, l, above, f32(b, l, 1.0), negOrSelf);
}
Value ceilBody(OpBuilder &b, Location l, ValueRange x) {
  return math::CeilOp::create(b, l, x[0]);
}
Value floorBody(OpBuilder &b, Location l, ValueRange x) {
  return math::FloorOp::create(b, l, x[0]);
}
Value reciprocalBody(OpBuilder &b, Location l, ValueRange x) {
  return arith::DivFOp::create(b, l, f32(b, l, 1.0), x[0]);
}
Value erfBody(OpBuilder &b, Location l, ValueRange x) {
  return math::ErfOp::create(b, l, x[0]);
}
Value softplusBody(OpBuilder &b, Location l, ValueRange x) {
  // max(x, 0) + log1p(e^-|x|): e^-|x| <= 1 never overflows.
  Value positive = arith::MaximumFOp::create(b, l, x[0], f32(b, l, 0.0));
  Value decay = math::ExpOp::create(
      b, l, arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, x[0])));
  return arith::AddFOp::create(b, l, positive, log1p(b, l, decay));
}
Value softsignBody(OpBuilder &b, Location l, ValueRange x) {
  Value denom = arith::AddFOp::create(b, l, f32(b, l, 1.0),
                                      math::AbsFOp::create(b, l, x[0]));
  return arith::DivFOp::create(b, l, x[0], denom);
}

} // namespace

void mlir::nn::populateNNElementwiseToLinalgPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ElementwiseLowering<AddOp>>(ctx, addBody);
  patterns.add<ElementwiseLowering<SubOp>>(ctx, subBody);
  patterns.add<ElementwiseLowering<MulOp>>(ctx, mulBody);
  patterns.add<ElementwiseLowering<DivOp>>(ctx, divBody, divUnsignedBody);
  patterns.add<ElementwiseLowering<MaximumOp>>(ctx, maximumBody,
                                               maximumUnsignedBody);
  patterns.add<ElementwiseLowering<NegOp>>(ctx, negBody);
  patterns.add<ElementwiseLowering<ExpOp>>(ctx, expBody);
  patterns.add<ElementwiseLowering<LogOp>>(ctx, logBody);
  patterns.add<ElementwiseLowering<SqrtOp>>(ctx, sqrtBody);
  patterns.add<ElementwiseLowering<ReluOp>>(ctx, reluBody);
  patterns.add<ElementwiseLowering<SigmoidOp>>(ctx, sigmoidBody);
  patterns.add<ElementwiseLowering<TanhOp>>(ctx, tanhBody);
  patterns.add<ElementwiseLowering<StepOp>>(ctx, stepBody);
  patterns.add<ElementwiseLowering<MinimumOp>>(ctx, minimumBody,
                                               minimumUnsignedBody);
  patterns.add<ElementwiseLowering<PowOp>>(ctx, powBody);
  patterns.add<ElementwiseLowering<AbsOp>>(ctx, absBody, absUnsignedBody);
  patterns.add<ElementwiseLowering<SignOp>>(ctx, signBody, signUnsignedBody);
  patterns.add<ElementwiseLowering<CeilOp>>(ctx, ceilBody);
  patterns.add<ElementwiseLowering<FloorOp>>(ctx, floorBody);
  patterns.add<ElementwiseLowering<ReciprocalOp>>(ctx, reciprocalBody);
  patterns.add<ElementwiseLowering<ErfOp>>(ctx, erfBody);
  patterns.add<ElementwiseLowering<SoftplusOp>>(ctx, softplusBody);
  patterns.add<ElementwiseLowering<SoftsignOp>>(ctx, softsignBody);
}
