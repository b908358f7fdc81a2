//===- Compiler.h - model file to artifact ----------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The one place that strings the layers together: frontend, nn-autodiff,
// neurona-cpu-pipeline or neurona-cuda-pipeline, and the target. The `neurona` driver and tests call
// this; none of it is specific to a command-line.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_COMPILER_COMPILER_H
#define NEURONA_COMPILER_COMPILER_H

#include "neurona/Frontend/ImportedModel.h"
#include "neurona/Target/Artifact.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Error.h"

namespace neurona {

enum class EmitKind {
  MLIR,
  LLVMDialect,
  LLVMIR,
  Object,
  SharedLibrary,
  Executable,
  /// The device code alone (CUDA target): the PTX module the artifact embeds.
  PTX
};

enum class TargetKind {
  /// Native code for the host CPU (or `codegen.cpu`).
  CPU,
  /// Host code for the CPU that launches PTX kernels through the runtime's
  /// CUDA driver-API shims.
  CUDA
};

struct CompileOptions {
  /// Add `gradients` and `train_step` (nn-autodiff) to `forward`.
  bool training = false;
  /// Training recipe; when `training`, `loss` and `optimizer` must be set.
  TrainSpec train;
  CodegenOptions codegen;
  TargetKind target = TargetKind::CPU;
  /// Options of neurona-cuda-pipeline in its textual form (`chip=sm_90`).
  std::string cudaPipelineOptions;
  /// Options of neurona-cpu-pipeline in its textual form
  /// (`register-tile-m=4 vector-width=8`); the vector width defaults to the
  /// target CPU's.
  std::string pipelineOptions;
  /// Directory holding libneurona_runtime.a and neurona_exe_main.o.
  std::string runtimeDir;
};

/// A context with exactly the dialects the compiler uses.
std::unique_ptr<mlir::MLIRContext> createCompilerContext();

/// Imports `.onnx` or `.nn` by extension.
llvm::Expected<ImportedModel> importModelFile(mlir::MLIRContext &ctx,
                                              llvm::StringRef path);

/// Runs nn-autodiff on the imported module when `options.training`.
llvm::Error prepareModule(ImportedModel &model, const CompileOptions &options);

/// Compiles a prepared model to `output` (and `<output>.h` for objects and
/// shared libraries). For MLIR/LLVM kinds, `output` "-" means stdout.
llvm::Error emitArtifact(ImportedModel &model, const CompileOptions &options,
                         EmitKind kind, llvm::StringRef output);

} // namespace neurona

#endif // NEURONA_COMPILER_COMPILER_H
