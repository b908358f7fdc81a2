//===- GPUPasses.h - GPU code generation passes -----------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_CODEGEN_GPUPASSES_H
#define NEURONA_CODEGEN_GPUPASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace affine {
class AffineDialect;
}
namespace arith {
class ArithDialect;
}
namespace gpu {
class GPUDialect;
}
namespace linalg {
class LinalgDialect;
}
namespace memref {
class MemRefDialect;
}
namespace scf {
class SCFDialect;
}
} // namespace mlir

namespace neurona {
#define GEN_PASS_DECL
#include "neurona/Codegen/GPUPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "neurona/Codegen/GPUPasses.h.inc"
} // namespace neurona

#endif // NEURONA_CODEGEN_GPUPASSES_H
