//===- Passes.h - target passes ---------------------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_TARGET_PASSES_H
#define NEURONA_TARGET_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
namespace bufferization {
class BufferizationDialect;
}
namespace memref {
class MemRefDialect;
}
} // namespace mlir

namespace neurona {
#define GEN_PASS_DECL
#include "neurona/Target/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "neurona/Target/Passes.h.inc"
} // namespace neurona

#endif // NEURONA_TARGET_PASSES_H
