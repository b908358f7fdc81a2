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

/// Any elementwise `nn` op: one `linalg.generic` around a scalar body.
template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  ElementwiseLowering(MLIRContext *ctx, ScalarFn fn)
      : OpConversionPattern<OpTy>(ctx), fn(fn) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = buildElementwise(rewriter, op.getLoc(), op.getType(),
                                    adaptor.getOperands(), fn);
    rewriter.replaceOp(op, result);
    return success();
  }

  ScalarFn fn;
};

Value addBody(OpBuilder &b, Location l, ValueRange x) {
  return arith::AddFOp::create(b, l, x[0], x[1]);
}
Value subBody(OpBuilder &b, Location l, ValueRange x) {
  return arith::SubFOp::create(b, l, x[0], x[1]);
}
Value mulBody(OpBuilder &b, Location l, ValueRange x) {
  return arith::MulFOp::create(b, l, x[0], x[1]);
}
Value divBody(OpBuilder &b, Location l, ValueRange x) {
  return arith::DivFOp::create(b, l, x[0], x[1]);
}
Value maximumBody(OpBuilder &b, Location l, ValueRange x) {
  return arith::MaximumFOp::create(b, l, x[0], x[1]);
}
Value negBody(OpBuilder &b, Location l, ValueRange x) {
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

} // namespace

void mlir::nn::populateNNElementwiseToLinalgPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ElementwiseLowering<AddOp>>(ctx, addBody);
  patterns.add<ElementwiseLowering<SubOp>>(ctx, subBody);
  patterns.add<ElementwiseLowering<MulOp>>(ctx, mulBody);
  patterns.add<ElementwiseLowering<DivOp>>(ctx, divBody);
  patterns.add<ElementwiseLowering<MaximumOp>>(ctx, maximumBody);
  patterns.add<ElementwiseLowering<NegOp>>(ctx, negBody);
  patterns.add<ElementwiseLowering<ExpOp>>(ctx, expBody);
  patterns.add<ElementwiseLowering<LogOp>>(ctx, logBody);
  patterns.add<ElementwiseLowering<SqrtOp>>(ctx, sqrtBody);
  patterns.add<ElementwiseLowering<ReluOp>>(ctx, reluBody);
  patterns.add<ElementwiseLowering<SigmoidOp>>(ctx, sigmoidBody);
  patterns.add<ElementwiseLowering<TanhOp>>(ctx, tanhBody);
  patterns.add<ElementwiseLowering<StepOp>>(ctx, stepBody);
}
