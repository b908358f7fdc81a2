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
void populateNNNormalizationToLinalgPatterns(RewritePatternSet &patterns);
void populateNNToLinalgPatterns(RewritePatternSet &patterns);

/// The discardable attributes eraseSignedness leaves on `nn` ops whose
/// operands (kUnsignedAttr) or results (kUnsignedResultAttr) had unsigned
/// element types; the lowering patterns read them.
inline constexpr const char *kUnsignedAttr = "nn.unsigned";
inline constexpr const char *kUnsignedResultAttr = "nn.unsigned_result";

/// Makes every type under `root` signless (ui8 -> i8 in values, block
/// arguments, function types and typed attributes), first marking each `nn`
/// op that had an unsigned operand or result with the attributes above.
/// arith only computes on signless integers, so convert-nn-to-linalg runs
/// this before its patterns.
void eraseSignedness(Operation *root);
/// Whether eraseSignedness marked `op` as computing on unsigned integers.
bool hasUnsignedOperands(Operation *op);
bool hasUnsignedResults(Operation *op);
} // namespace nn
} // namespace mlir

#endif // NEURONA_CONVERSION_NNTOLINALG_NNTOLINALG_H
