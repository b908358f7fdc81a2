//===- Normalization.cpp - batch normalization to linalg ------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// `nn.batch_norm` becomes the nn reductions and elementwise ops of its mode
// (mlir::nn::buildBatchNorm), which the conversion then lowers with their
// own patterns: the statistics are row reductions, the normalization one
// fused elementwise loop.
//
//===----------------------------------------------------------------------===//

#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::nn;

namespace {

struct BatchNormLowering : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildBatchNorm(
                rewriter, op.getLoc(), adaptor.getInput(), adaptor.getScale(),
                adaptor.getBias(), adaptor.getRunningMean(),
                adaptor.getRunningVar(), op.getEpsilon().convertToFloat(),
                op.getMomentum().convertToFloat(), op.getTraining()));
    return success();
  }
};

} // namespace

void mlir::nn::populateNNNormalizationToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering>(patterns.getContext());
}
