//===- FuseElementwise.cpp - neurona-fuse-elementwise ---------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Upstream elementwise fusion (`linalg-fuse-elementwise-ops` fuses a
// producer with one use) with one rule added: the consumer must read each
// element of the producer once. Without it, an activation is fused into the
// matmul that reads it, which recomputes the activation N times per element
// and turns the matmul into a generic that is no longer a contraction, so it
// misses the register-blocked kernels.
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace neurona {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "neurona/Codegen/Passes.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

/// Whether `operand`'s producer has no other use and its consumer reads each
/// of its elements once (the indexing map is a permutation of all loops).
bool fusesWithoutRecomputation(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  return producer && producer->hasOneUse() && consumer &&
         consumer.getMatchingIndexingMap(operand).isPermutation();
}

struct FuseElementwisePass
    : neurona::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 fusesWithoutRecomputation);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
