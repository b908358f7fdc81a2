//===- Compile.cpp - neurona compile --------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "neurona/Runtime/FileIO.h"

#include "llvm/Support/Path.h"

using namespace neurona;
using namespace neurona::driver;
namespace cl = llvm::cl;

static cl::opt<std::string> input(cl::Positional,
                                  cl::desc("<model.onnx|model.nn>"),
                                  cl::Required, cl::sub(compileCommand));
static cl::opt<EmitKind> emit(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Executable),
    cl::values(clEnumValN(EmitKind::MLIR, "mlir", "nn dialect IR (imported)"),
               clEnumValN(EmitKind::LLVMDialect, "mlir-llvm",
                          "MLIR after neurona-cpu-pipeline"),
               clEnumValN(EmitKind::LLVMIR, "llvm", "optimised LLVM IR"),
               clEnumValN(EmitKind::Object, "obj", "object file + C header"),
               clEnumValN(EmitKind::SharedLibrary, "lib",
                          "shared library + C header"),
               clEnumValN(EmitKind::Executable, "exe",
                          "standalone program reading and writing .npy"),
               clEnumValN(EmitKind::PTX, "ptx",
                          "the PTX kernels alone (--target=cuda)")),
    cl::sub(compileCommand));
static cl::opt<std::string>
    output("o", cl::desc("Output file ('-' = stdout for text)"),
           cl::value_desc("path"), cl::sub(compileCommand));
static cl::opt<std::string>
    params("params",
           cl::desc("Embed these trained parameters (.npz from `train`)"),
           cl::value_desc("file.npz"), cl::sub(compileCommand));
static cl::opt<bool>
    training("training",
             cl::desc("Also compile the gradients and train_step entries"),
             cl::sub(compileCommand));
static cl::opt<std::string>
    mcpu("mcpu", cl::desc("Target CPU ('native' = this machine's features)"),
         cl::init("native"), cl::sub(compileCommand));
static cl::opt<TargetKind> target(
    "target", cl::desc("Where the model runs"), cl::init(TargetKind::CPU),
    cl::values(clEnumValN(TargetKind::CPU, "cpu", "this CPU (or --mcpu)"),
               clEnumValN(TargetKind::CUDA, "cuda",
                          "NVIDIA GPUs: PTX kernels (sm_90 unless "
                          "--cuda-pipeline-options='chip=...') launched by "
                          "host code through the runtime")),
    cl::sub(compileCommand));
static cl::opt<std::string> cudaPipelineOptions(
    "cuda-pipeline-options",
    cl::desc("Options of neurona-cuda-pipeline, e.g. 'chip=sm_80' (see "
             "neurona-opt --help)"),
    cl::value_desc("options"), cl::sub(compileCommand));
static cl::opt<std::string> pipelineOptions(
    "cpu-pipeline-options",
    cl::desc("Options of neurona-cpu-pipeline, e.g. 'register-tile-m=4' "
             "(see neurona-opt --help)"),
    cl::value_desc("options"), cl::sub(compileCommand));

static std::string defaultOutput() {
  llvm::StringRef stem = llvm::sys::path::stem(input);
  switch (emit) {
  case EmitKind::MLIR:
  case EmitKind::LLVMDialect:
  case EmitKind::LLVMIR:
    return "-";
  case EmitKind::PTX:
    return (stem + ".ptx").str();
  case EmitKind::Object:
    return (stem + ".o").str();
  case EmitKind::SharedLibrary:
    return ("lib" + stem + ".so").str();
  case EmitKind::Executable:
    return stem.str();
  }
  return stem.str();
}

int driver::runCompile() {
  auto ctx = createCompilerContext();
  auto model = importWithParams(*ctx, input, params);
  if (!model)
    return fail(model.takeError());
  CompileOptions options;
  options.codegen.cpu = mcpu;
  options.pipelineOptions = pipelineOptions;
  options.target = target;
  options.cudaPipelineOptions = cudaPipelineOptions;
  options.runtimeDir = runtimeDirectory();
  if (training) {
    auto spec = resolveTrainSpec(*model);
    if (!spec)
      return fail(spec.takeError());
    options.training = true;
    options.train = *spec;
  }
  if (auto err = prepareModule(*model, options))
    return fail(std::move(err));
  std::string out = output.empty() ? defaultOutput() : output.getValue();
  if (out == "-") {
    if (auto err = emitArtifact(*model, options, emit, out))
      return fail(std::move(err));
    return 0;
  }
  // The artifact (and the C header written beside objects and libraries) is
  // written under a temporary name in the output's folder and renamed into
  // place only once everything has been produced: a failure leaves existing
  // files as they were.
  OutputSet staged;
  std::string temp;
  if (Status s = staged.stage(out, temp); !s)
    return fail(s);
  if (emit == EmitKind::Object || emit == EmitKind::SharedLibrary)
    staged.stageAt(temp + ".h", out + ".h");
  if (auto err = emitArtifact(*model, options, emit, temp))
    return fail(std::move(err));
  if (Status s = staged.commit(); !s)
    return fail(s);
  return 0;
}
