//===- Compiler.cpp - model file to artifact ------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Compiler/Compiler.h"
#include "neurona/Compiler/Registration.h"
#include "neurona/Dialect/NN/Transforms/Passes.h"
#include "neurona/Frontend/DSL/DSLParser.h"
#include "neurona/Frontend/ONNX/ONNXImporter.h"
#include "neurona/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

using namespace neurona;

std::unique_ptr<mlir::MLIRContext> neurona::createCompilerContext() {
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  auto ctx = std::make_unique<mlir::MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
  return ctx;
}

llvm::Expected<ImportedModel> neurona::importModelFile(mlir::MLIRContext &ctx,
                                                       llvm::StringRef path) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".onnx")
    return importONNXFile(ctx, path);
  if (ext == ".nn")
    return importDSLFile(ctx, path);
  return llvm::createStringError(path.str() +
                                 ": unknown model format (expected .onnx or "
                                 ".nn)");
}

/// Runs `pm` on the module, turning diagnostics into an llvm::Error.
static llvm::Error runPasses(mlir::PassManager &pm, mlir::ModuleOp module,
                             llvm::StringRef what) {
  std::string messages;
  {
    mlir::ScopedDiagnosticHandler handler(
        module.getContext(), [&](mlir::Diagnostic &diag) {
          llvm::raw_string_ostream os(messages);
          os << diag.getLocation() << ": " << diag << "\n";
          return mlir::success();
        });
    if (mlir::succeeded(pm.run(module)))
      return llvm::Error::success();
  }
  return llvm::createStringError(what.str() + " failed:\n" + messages);
}

llvm::Error neurona::prepareModule(ImportedModel &model,
                                   const CompileOptions &options) {
  if (!options.training)
    return llvm::Error::success();
  const TrainSpec &t = options.train;
  mlir::nn::NNAutodiffOptions ad;
  ad.loss = t.loss;
  ad.fromLogits = t.fromLogits;
  ad.softTargets = t.softTargets;
  ad.optimizer = t.optimizer;
  ad.momentum = t.momentum;
  ad.nesterov = t.nesterov;
  ad.weightDecay = t.weightDecay;
  auto encode = [](const PenaltySpec &p, llvm::StringRef target) {
    return p.kind + ":" + exactNumber(p.coefficient) +
           (target.empty() ? "" : ":" + target.str());
  };
  for (const PenaltySpec &p : t.penalties) {
    if (p.targets.empty())
      ad.penalties.push_back(encode(p, ""));
    for (const std::string &name : p.targets)
      ad.penalties.push_back(encode(p, name));
  }
  for (const PenaltySpec &p : t.activity)
    for (const std::string &layer : p.targets)
      ad.activity.push_back(encode(p, layer));
  for (const PenaltySpec &p : t.kl)
    for (const std::string &layer : p.targets)
      ad.kl.push_back(exactNumber(p.coefficient) + ":" + layer);
  ad.reduction = t.reduction;
  ad.beta1 = t.beta1;
  ad.beta2 = t.beta2;
  ad.epsilon = t.epsilon;
  mlir::PassManager pm(model.module->getContext());
  if (t.generator.empty()) {
    pm.addPass(mlir::nn::createNNAutodiff(ad));
  } else {
    // A GAN: one step per network, each differentiating its objective
    // with respect to its own parameters only (docs/design.md).
    ad.loss = "objective";
    ad.fromLogits = false; // built into the objectives (GAN.cpp)
    ad.reduction = "mean";
    for (auto [net, stepPrefix] : {std::pair{t.discriminator, "d_"},
                                   std::pair{t.generator, "g_"}}) {
      mlir::nn::NNAutodiffOptions step = ad;
      step.function = std::string(stepPrefix) + "objective";
      step.prefix = stepPrefix;
      step.wrt = {net + "."};
      pm.addPass(mlir::nn::createNNAutodiff(step));
    }
  }
  return runPasses(pm, *model.module, "gradient generation (nn-autodiff)");
}

/// Writes what `print` prints to `path` ("-" is stdout).
static llvm::Error
writeOutput(llvm::StringRef path,
            llvm::function_ref<void(llvm::raw_ostream &)> print) {
  std::string error;
  auto file = mlir::openOutputFile(path, &error);
  if (!file)
    return llvm::createStringError(error);
  print(file->os());
  file->keep();
  return llvm::Error::success();
}

/// Parses `text` into pipeline options `parsed`, naming the pipeline in
/// the error.
template <typename Options>
static llvm::Error parsePipelineOptions(llvm::StringRef text,
                                        llvm::StringRef pipeline,
                                        Options &parsed) {
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (mlir::failed(parsed.parseFromString(text, os)))
    return llvm::createStringError("invalid " + pipeline.str() +
                                   " options '" + text.str() +
                                   "': " + errors);
  return llvm::Error::success();
}

static llvm::Error lowerForCPU(mlir::ModuleOp module,
                               const CompileOptions &options, EmitKind kind,
                               llvm::TargetMachine &target) {
  CPUPipelineOptions pipelineOptions;
  // An object promises to need nothing but libc and libm; threads would add
  // libomp to its link line, so they are opt-in there
  // (`--cpu-pipeline-options=threads=true`).
  if (kind == EmitKind::Object)
    pipelineOptions.threads = false;
  if (auto err = parsePipelineOptions(options.pipelineOptions,
                                      "neurona-cpu-pipeline", pipelineOptions))
    return err;
  if (!pipelineOptions.vectorWidth)
    pipelineOptions.vectorWidth = f32VectorWidth(target);
  mlir::PassManager pm(module.getContext());
  buildCPUPipeline(pm, pipelineOptions);
  return runPasses(pm, module, "lowering (neurona-cpu-pipeline)");
}

static llvm::Error lowerForCUDA(mlir::ModuleOp module,
                                const CUDAPipelineOptions &cuda) {
  mlir::PassManager pm(module.getContext());
  buildCUDAPipeline(pm, cuda);
  return runPasses(pm, module, "lowering (neurona-cuda-pipeline)");
}

/// The PTX text of the module's (one) `gpu.binary`.
static std::string modulePTX(mlir::ModuleOp module) {
  std::string ptx;
  for (auto binary : module.getOps<mlir::gpu::BinaryOp>())
    for (mlir::Attribute attr : binary.getObjects())
      ptx += mlir::cast<mlir::gpu::ObjectAttr>(attr).getObject().getValue();
  return ptx;
}

/// Kernels may call libdevice (powf); when the toolkit's libdevice was not
/// found, NVPTX leaves them as `.extern .func` declarations that no driver
/// can resolve. Refuse such PTX here instead of at load time on the GPU.
static llvm::Error checkPTX(llvm::StringRef ptx, llvm::StringRef cudaPath) {
  std::string missing;
  for (size_t at = ptx.find(".extern .func"); at != llvm::StringRef::npos;
       at = ptx.find(".extern .func", at + 1)) {
    llvm::StringRef line = ptx.substr(at).take_until(
        [](char c) { return c == '\n'; });
    size_t name = line.find("__nv_");
    if (name != llvm::StringRef::npos)
      missing += " " + line.substr(name).take_until([](char c) {
        return c == '(' || c == ' ' || c == ';';
      }).str();
  }
  if (missing.empty())
    return llvm::Error::success();
  return llvm::createStringError(
      "the GPU kernels call libdevice functions (" +
      llvm::StringRef(missing).ltrim().str() +
      ") but libdevice was not found under '" + cudaPath.str() +
      "/nvvm/libdevice'; install the CUDA toolkit or pass "
      "--cuda-pipeline-options='cuda-path=DIR'");
}

llvm::Error neurona::emitArtifact(ImportedModel &model,
                                  const CompileOptions &options, EmitKind kind,
                                  llvm::StringRef output) {
  mlir::ModuleOp module = *model.module;
  bool binary = kind == EmitKind::Object || kind == EmitKind::SharedLibrary ||
                kind == EmitKind::Executable;
  if (binary && output == "-")
    return llvm::createStringError(
        "objects, libraries and executables need an output file (-o PATH)");
  if (kind == EmitKind::MLIR)
    return writeOutput(output,
                       [&](llvm::raw_ostream &os) { module.print(os); });

  std::string prefix = sanitizeIdentifier(model.name);
  auto entries = collectEntries(module);
  if (!entries)
    return entries.takeError();
  TrainSpec train = options.training ? options.train : model.train;
  // The device a CUDA artifact's kernels are for, in its manifest.
  std::string device;
  CUDAPipelineOptions cuda;
  if (options.target == TargetKind::CUDA) {
    if (auto err = parsePipelineOptions(options.cudaPipelineOptions,
                                        "neurona-cuda-pipeline", cuda))
      return err;
    device = "cuda " + cuda.chip.getValue();
  }
  std::string manifest =
      buildManifest(prefix, model, train, *entries, device);
  auto blob = buildParamsBlob(model.params);
  if (!blob)
    return blob.takeError();

  auto target = createTargetMachine(options.codegen);
  if (!target)
    return target.takeError();
  if (kind == EmitKind::PTX && options.target != TargetKind::CUDA)
    return llvm::createStringError("--emit=ptx needs --target=cuda");
  if (options.target == TargetKind::CUDA) {
    if (auto err = lowerForCUDA(module, cuda))
      return err;
    std::string ptx = modulePTX(module);
    if (ptx.empty())
      return llvm::createStringError("the model compiled to no GPU kernel");
    if (auto err = checkPTX(ptx, cuda.cudaPath))
      return err;
    if (kind == EmitKind::PTX)
      return writeOutput(output, [&](llvm::raw_ostream &os) { os << ptx; });
  } else if (auto err = lowerForCPU(module, options, kind, **target)) {
    return err;
  }
  bool exportPrefix =
      kind == EmitKind::SharedLibrary || kind == EmitKind::Executable;
  if (mlir::failed(addArtifactSymbols(module, prefix, *entries, manifest, *blob,
                                      exportPrefix)))
    return llvm::createStringError("cannot add the runtime symbols");
  if (kind == EmitKind::LLVMDialect)
    return writeOutput(output,
                       [&](llvm::raw_ostream &os) { module.print(os); });

  llvm::LLVMContext llvmContext;
  auto llvmModule = translateAndOptimize(module, llvmContext, **target,
                                         options.codegen.optLevel);
  if (!llvmModule)
    return llvmModule.takeError();
  if (kind == EmitKind::LLVMIR)
    return writeOutput(output, [&](llvm::raw_ostream &os) {
      (*llvmModule)->print(os, nullptr);
    });

  std::string header =
      buildCHeader(prefix, *entries, model.params, !blob->empty());
  auto writeHeader = [&] {
    return writeOutput((output + ".h").str(),
                       [&](llvm::raw_ostream &os) { os << header; });
  };
  if (kind == EmitKind::Object) {
    if (auto err = writeObjectFile(**llvmModule, **target, output))
      return err;
    return writeHeader();
  }

  // Shared libraries and executables link a temporary object.
  llvm::SmallString<128> object;
  if (auto ec = llvm::sys::fs::createTemporaryFile("neurona", "o", object))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove(object); });
  if (auto err = writeObjectFile(**llvmModule, **target, object))
    return err;
  if (kind == EmitKind::SharedLibrary) {
    if (auto err = linkSharedLibrary(object, output))
      return err;
    return writeHeader();
  }
  return linkExecutable(object, output, options.runtimeDir);
}
