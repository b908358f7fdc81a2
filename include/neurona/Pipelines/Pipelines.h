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
  Option<bool> tileContractions{
      *this, "tile-contractions",
      llvm::cl::desc("Register-block and vectorize matmul-like contractions"),
      llvm::cl::init(true)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes of a vector register (16 AVX-512, 8 AVX2); "
                     "0 reads the host CPU"),
      llvm::cl::init(0)};
  Option<bool> threads{
      *this, "threads",
      llvm::cl::desc("Share contractions' rows among OpenMP threads"),
      llvm::cl::init(true)};
  Option<int64_t> registerTileM{
      *this, "register-tile-m",
      llvm::cl::desc("Rows of the register tile (0: chosen from the width)"),
      llvm::cl::init(0)};
  Option<int64_t> registerTileN{
      *this, "register-tile-n",
      llvm::cl::desc("Columns of the register tile (0: two registers)"),
      llvm::cl::init(0)};
  Option<int64_t> packBytes{
      *this, "pack-bytes",
      llvm::cl::desc("B panel bytes above which B is packed into strips "
                     "(-1: the pass's default, 0: never)"),
      llvm::cl::init(-1)};
};

/// f32 lanes of the host CPU's widest vector registers with FMA: 16 with
/// AVX-512, 8 with AVX2, else 4.
int64_t hostVectorWidth();

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
