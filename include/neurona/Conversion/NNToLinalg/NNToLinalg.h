//===- NNToLinalg.h - nn to linalg conversion -------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_CONVERSION_NNTOLINALG_NNTOLINALG_H
#define NEURONA_CONVERSION_NNTOLINALG_NNTOLINALG_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace arith {
class ArithDialect;
}
namespace linalg {
class LinalgDialect;
}
namespace math {
class MathDialect;
}
namespace tensor {
class TensorDialect;
}

#define GEN_PASS_DECL_CONVERTNNTOLINALG
#include "neurona/Conversion/Passes.h.inc"

namespace nn {
/// Patterns per op family; `populateNNToLinalgPatterns` adds them all.
void populateNNElementwiseToLinalgPatterns(RewritePatternSet &patterns);
void populateNNActivationToLinalgPatterns(RewritePatternSet &patterns);
void populateNNLinearToLinalgPatterns(RewritePatternSet &patterns);
void populateNNConvToLinalgPatterns(RewritePatternSet &patterns);
void populateNNPoolingToLinalgPatterns(RewritePatternSet &patterns);
void populateNNReductionToLinalgPatterns(RewritePatternSet &patterns);
void populateNNShapeToLinalgPatterns(RewritePatternSet &patterns);
void populateNNLossToLinalgPatterns(RewritePatternSet &patterns);
void populateNNOptimizerToLinalgPatterns(RewritePatternSet &patterns);
void populateNNRandomToLinalgPatterns(RewritePatternSet &patterns);
void populateNNEmbeddingToLinalgPatterns(RewritePatternSet &patterns);
void populateNNRecurrentToLinalgPatterns(RewritePatternSet &patterns);
void populateNNLogicalToLinalgPatterns(RewritePatternSet &patterns);
void populateNNToLinalgPatterns(RewritePatternSet &patterns);
} // namespace nn
} // namespace mlir

#endif // NEURONA_CONVERSION_NNTOLINALG_NNTOLINALG_H
