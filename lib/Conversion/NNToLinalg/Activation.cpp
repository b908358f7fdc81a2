//===- Activation.cpp - activations with parameters to linalg -------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// One `linalg.generic` per op, like the parameterless elementwise ops, so the
// elementwise fusion pass folds an activation into the bias add before it.
// NaN inputs give NaN, as in PyTorch: every comparison below is ordered and
// false on NaN, and its false branch computes from x.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

/// An elementwise op whose scalar body reads the op's attributes.
template <typename OpTy> struct ActivationLowering : OpConversionPattern<OpTy> {
  using BodyFn = Value (*)(OpBuilder &, Location, Value, OpTy);

  ActivationLowering(MLIRContext *ctx, BodyFn fn)
      : OpConversionPattern<OpTy>(ctx), fn(fn) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), op.getType(), adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange x) -> Value {
          return fn(b, l, x[0], op);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  BodyFn fn;
};

Value isPositive(OpBuilder &b, Location l, Value x) {
  return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                               f32(b, l, 0.0));
}

Value leakyReluBody(OpBuilder &b, Location l, Value x, LeakyReluOp op) {
  Value scaled =
      arith::MulFOp::create(b, l, x, f32(b, l, op.getAlpha().convertToFloat()));
  return arith::SelectOp::create(b, l, isPositive(b, l, x), x, scaled);
}

/// x where x > 0, else alpha * (e^x - 1).
Value elu(OpBuilder &b, Location l, Value x, float alpha) {
  Value negative =
      arith::MulFOp::create(b, l, f32(b, l, alpha), expm1(b, l, x));
  return arith::SelectOp::create(b, l, isPositive(b, l, x), x, negative);
}

Value eluBody(OpBuilder &b, Location l, Value x, EluOp op) {
  return elu(b, l, x, op.getAlpha().convertToFloat());
}

Value seluBody(OpBuilder &b, Location l, Value x, SeluOp op) {
  return arith::MulFOp::create(b, l, f32(b, l, op.getGamma().convertToFloat()),
                               elu(b, l, x, op.getAlpha().convertToFloat()));
}

Value hardSigmoidBody(OpBuilder &b, Location l, Value x, HardSigmoidOp op) {
  Value line = arith::AddFOp::create(
      b, l,
      arith::MulFOp::create(b, l, x, f32(b, l, op.getAlpha().convertToFloat())),
      f32(b, l, op.getBeta().convertToFloat()));
  Value capped = arith::MinimumFOp::create(b, l, line, f32(b, l, 1.0));
  return arith::MaximumFOp::create(b, l, capped, f32(b, l, 0.0));
}

Value clipBody(OpBuilder &b, Location l, Value x, ClipOp op) {
  Value y = x;
  if (std::optional<APFloat> min = op.getMin())
    y = arith::MaximumFOp::create(b, l, y, f32(b, l, min->convertToFloat()));
  if (std::optional<APFloat> max = op.getMax())
    y = arith::MinimumFOp::create(b, l, y, f32(b, l, max->convertToFloat()));
  return y;
}

} // namespace

void mlir::nn::populateNNActivationToLinalgPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ActivationLowering<LeakyReluOp>>(ctx, leakyReluBody);
  patterns.add<ActivationLowering<EluOp>>(ctx, eluBody);
  patterns.add<ActivationLowering<SeluOp>>(ctx, seluBody);
  patterns.add<ActivationLowering<HardSigmoidOp>>(ctx, hardSigmoidBody);
  patterns.add<ActivationLowering<ClipOp>>(ctx, clipBody);
}
