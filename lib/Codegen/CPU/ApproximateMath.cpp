//===- ApproximateMath.cpp - neurona-cpu-approximate-math -----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// exp, log and tanh reach LLVM as intrinsics that it lowers to scalar libm
// calls, which keeps every loop holding one (sigmoid, softmax, the losses)
// from vectorizing. MLIR's polynomial approximations are plain arithmetic
// (a few ULP from libm in f32), so those loops vectorize like any other.
//
//===----------------------------------------------------------------------===//

#include "VectorMath.h"
#include "neurona/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace neurona {
#define GEN_PASS_DEF_CPUAPPROXIMATEMATH
#include "neurona/Codegen/Passes.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

struct CPUApproximateMathPass
    : neurona::impl::CPUApproximateMathBase<CPUApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns,
                                                neurona::isPolynomialMath);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
