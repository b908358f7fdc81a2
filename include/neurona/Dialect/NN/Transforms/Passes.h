//===- Passes.h - nn transformation passes ----------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DIALECT_NN_TRANSFORMS_PASSES_H
#define NEURONA_DIALECT_NN_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "neurona/Dialect/NN/IR/NNDialect.h"

namespace mlir::func {
class FuncDialect;
} // namespace mlir::func

namespace mlir::nn {

#define GEN_PASS_DECL
#include "neurona/Dialect/NN/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "neurona/Dialect/NN/Transforms/Passes.h.inc"

} // namespace mlir::nn

#endif // NEURONA_DIALECT_NN_TRANSFORMS_PASSES_H
