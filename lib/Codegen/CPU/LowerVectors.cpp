//===- LowerVectors.cpp - neurona-cpu-lower-vectors -----------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// After bufferization, the n-D vector ops that the contraction kernels were
// vectorized to become what one vector register holds: outer-product FMAs,
// rank-1 (masked) loads and stores, shuffles. The pattern list is the
// measured one of shared/notes/mlir22-gemm-on-this-cpu.md; `outerproduct` is
// the only contraction lowering that gives FMA code.
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace neurona {
#define GEN_PASS_DEF_CPULOWERVECTORS
#include "neurona/Codegen/Passes.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

struct CPULowerVectorsPass
    : neurona::impl::CPULowerVectorsBase<CPULowerVectorsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    if (avx2Transpose) {
      // 8x8 register transposes in 24 shuffles and blends instead of a
      // generic 64-lane shuffle (outranks the generic lowering).
      x86vector::avx2::LoweringOptions avx2;
      avx2.setTransposeOptions(
          x86vector::avx2::TransposeLoweringOptions().lower8x8xf32());
      x86vector::avx2::populateSpecializedTransposeLoweringPatterns(patterns,
                                                                    avx2);
    }
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
    vector::populateVectorMaskOpLoweringPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::Shuffle1D);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
