//===- NNToLinalg.cpp - the convert-nn-to-linalg pass ---------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "neurona/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;

void mlir::nn::populateNNToLinalgPatterns(RewritePatternSet &patterns) {
  populateNNElementwiseToLinalgPatterns(patterns);
  populateNNActivationToLinalgPatterns(patterns);
  populateNNLinearToLinalgPatterns(patterns);
  populateNNConvToLinalgPatterns(patterns);
  populateNNPoolingToLinalgPatterns(patterns);
  populateNNReductionToLinalgPatterns(patterns);
  populateNNShapeToLinalgPatterns(patterns);
  populateNNLossToLinalgPatterns(patterns);
  populateNNOptimizerToLinalgPatterns(patterns);
  populateNNRandomToLinalgPatterns(patterns);
  populateNNEmbeddingToLinalgPatterns(patterns);
  populateNNRecurrentToLinalgPatterns(patterns);
  populateNNLogicalToLinalgPatterns(patterns);
}

namespace {
struct ConvertNNToLinalgPass
    : impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<nn::NNDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    nn::populateNNToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
