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
  Option<bool> vectorizeElementwise{
      *this, "vectorize-elementwise",
      llvm::cl::desc("Vectorize (and, with threads, chunk) the linalg loops "
                     "parallel along their innermost dimension"),
      llvm::cl::init(true)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes of a vector register (16 AVX-512, 8 AVX2); "
                     "0 reads the host CPU"),
      llvm::cl::init(0)};
  Option<bool> threads{
      *this, "threads",
      llvm::cl::desc("Share contractions' rows and large elementwise loops "
                     "among OpenMP threads"),
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

struct CUDAPipelineOptions : mlir::PassPipelineOptions<CUDAPipelineOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU architecture of the PTX (sm_90: Hopper)"),
      llvm::cl::init("sm_90")};
  Option<std::string> ptxFeatures{
      *this, "ptx-features",
      llvm::cl::desc("PTX ISA version of the device code (+ptx80 is the "
                     "oldest that knows sm_90)"),
      llvm::cl::init("+ptx80")};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit whose libdevice is linked into kernels "
                     "that call math functions"),
      llvm::cl::init("/usr/local/cuda")};
  Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads of a block of an elementwise or reduction "
                     "kernel"),
      llvm::cl::init(256)};
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("Fuse producer/consumer elementwise linalg ops"),
      llvm::cl::init(true)};
};

/// f32 lanes of the host CPU's widest vector registers with FMA: 16 with
/// AVX-512, 8 with AVX2, else 4.
int64_t hostVectorWidth();

/// `nn` on tensors -> LLVM dialect for the host CPU: nn to linalg, fusion,
/// the runtime calling convention, one-shot bufferization with deallocation,
/// loops, and the LLVM conversions. Registered as `neurona-cpu-pipeline`.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options);

/// `nn` on tensors -> LLVM dialect host code whose kernels are PTX for
/// `options.chip`, embedded as a `gpu.binary` that the runtime's driver-API
/// shims load (docs/design.md, "CUDA"). Registered as
/// `neurona-cuda-pipeline`.
void buildCUDAPipeline(mlir::OpPassManager &pm,
                       const CUDAPipelineOptions &options);

/// The front of both pipelines: canonicalization, `convert-nn-to-linalg`
/// and (with `fuseElementwise`) elementwise fusion, on tensors.
void addNNToLinalgPasses(mlir::OpPassManager &pm, bool fuseElementwise);

/// Entries in destination-passing style, one-shot bufferization (loops may
/// yield fresh buffers) and the buffer-deallocation pipeline.
void addBufferizationPasses(mlir::OpPassManager &pm);

/// Registers the pipelines and every pass they use by name, for
/// `neurona-opt` and `--mlir-print-ir-after-all`-style debugging.
void registerPipelines();

} // namespace neurona

#endif // NEURONA_PIPELINES_PIPELINES_H
