//===- Pipelines.h - named compilation pipelines ----------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_PIPELINES_PIPELINES_H
#define NEURONA_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace neurona {

struct CPUPipelineOptions : mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("Fuse producer/consumer elementwise linalg ops"),
      llvm::cl::init(true)};
};

/// `nn` on tensors -> LLVM dialect for the host CPU: nn to linalg, fusion,
/// the runtime calling convention, one-shot bufferization with deallocation,
/// loops, and the LLVM conversions. Registered as `neurona-cpu-pipeline`.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options);

/// Registers the pipelines and every pass they use by name, for
/// `neurona-opt` and `--mlir-print-ir-after-all`-style debugging.
void registerPipelines();

} // namespace neurona

#endif // NEURONA_PIPELINES_PIPELINES_H
