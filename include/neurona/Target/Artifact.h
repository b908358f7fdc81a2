//===- Artifact.h - from nn IR to deployable files --------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The last stage of the compiler: the symbols the runtime looks up (see
// docs/design.md, "ABI of a compiled model"), LLVM IR and object emission
// through the in-process TargetMachine, the C header, and linking with the
// system linker into a shared library or executable.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_TARGET_ARTIFACT_H
#define NEURONA_TARGET_ARTIFACT_H

#include "neurona/Frontend/ImportedModel.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
} // namespace llvm

namespace neurona {

/// One argument of an entry as the runtime sees it.
struct EntryArg {
  std::string role, name, dtype;
  std::vector<int64_t> shape; // -1 for the dynamic batch dimension
  /// Integer inputs with `nn.bound`: values must lie in [0, bound); -1
  /// when unbounded.
  int64_t bound = -1;
};

struct EntrySignature {
  std::string name;
  std::vector<EntryArg> args; // inputs first, then out-parameters
};

/// Entries of an `nn` module (after nn-autodiff, before lowering): every
/// function whose arguments carry `nn.role`, with results turned into
/// out-parameters as the entry ABI does.
llvm::Expected<std::vector<EntrySignature>>
collectEntries(mlir::ModuleOp nnModule);

/// The shortest decimal text that reads back as exactly `v` (manifest
/// numbers, pass options).
std::string exactNumber(double v);

/// The text manifest of docs/design.md. The `train` line holds the recipe
/// (keys in docs/design.md); penalties repeat the key `penalty` (and
/// `activity`) once per target as KIND:COEFF[:NAME].
/// `device` ("cuda sm_90") adds a `target` record: the entries' buffers are
/// device memory.
std::string buildManifest(llvm::StringRef prefix, const ImportedModel &model,
                          const TrainSpec &train,
                          const std::vector<EntrySignature> &entries,
                          llvm::StringRef device = "");

/// Byte offset of each parameter in the embedded blob: manifest order, each
/// start 64-byte aligned, f32 data.
std::vector<uint64_t> paramBlobOffsets(const std::vector<ParamSpec> &params);

/// Raw parameter data in manifest order, each 64-byte aligned; empty when
/// no parameter has values, an error when only some have.
llvm::Expected<std::vector<char>>
buildParamsBlob(const std::vector<ParamSpec> &params);

/// Adds `<prefix>_<entry>(void **)` wrappers, the manifest and the parameter
/// blob to a module already lowered to the LLVM dialect, and gives every
/// other function internal linkage so that several models link together.
/// `exportPrefix` adds `neurona_model_prefix` (shared libraries, executables).
llvm::LogicalResult
addArtifactSymbols(mlir::ModuleOp llvmModule, llvm::StringRef prefix,
                   const std::vector<EntrySignature> &entries,
                   llvm::StringRef manifest, llvm::ArrayRef<char> paramsBlob,
                   bool exportPrefix);

struct CodegenOptions {
  std::string cpu = "native"; // or an LLVM CPU name, e.g. x86-64-v3
  unsigned optLevel = 3;
};

/// The target machine for `options` (the host's CPU and features for
/// "native"); one serves optimisation and object emission.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CodegenOptions &options);

/// f32 lanes of the widest vector registers with FMA of a CPU that has the
/// LLVM features for which `hasFeature` ("avx512f", "avx2", "fma") is true:
/// 16 with AVX-512, 8 with AVX2, else 4.
int64_t f32VectorWidth(llvm::function_ref<bool(llvm::StringRef)> hasFeature);

/// The same for `target`'s CPU and features.
int64_t f32VectorWidth(const llvm::TargetMachine &target);

/// Translates to LLVM IR and runs LLVM's optimisation pipeline for `target`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp llvmModule, llvm::LLVMContext &context,
                     llvm::TargetMachine &target, unsigned optLevel);

/// Writes a relocatable object for `module` to `path`.
llvm::Error writeObjectFile(llvm::Module &module, llvm::TargetMachine &target,
                            llvm::StringRef path);

/// The C header declaring the entry points of an object or shared library.
/// With embedded parameters it also defines, for each entry whose only
/// runtime-bound arguments are parameters, a `static inline`
/// `<prefix>_<entry>_embedded(batch, inputs..., outputs...)` taking plain
/// arrays, so deploying needs no runtime and no descriptor code.
std::string buildCHeader(llvm::StringRef prefix,
                         const std::vector<EntrySignature> &entries,
                         const std::vector<ParamSpec> &params,
                         bool paramsEmbedded);

/// Runs the system C compiler driver as a linker.
llvm::Error linkSharedLibrary(llvm::StringRef object, llvm::StringRef output);
llvm::Error linkExecutable(llvm::StringRef object, llvm::StringRef output,
                           llvm::StringRef runtimeDir);

/// A C identifier made from a model name.
std::string sanitizeIdentifier(llvm::StringRef name);

} // namespace neurona

#endif // NEURONA_TARGET_ARTIFACT_H
