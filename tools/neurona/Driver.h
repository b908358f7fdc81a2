//===- Driver.h - shared pieces of the neurona subcommands ------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_TOOLS_NEURONA_DRIVER_H
#define NEURONA_TOOLS_NEURONA_DRIVER_H

#include "neurona-c/runtime.h"
#include "neurona/Compiler/Compiler.h"
#include "neurona/Runtime/Status.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace neurona::driver {

// Inline so that every option defined after this include, in any file, is
// constructed after the subcommand it registers with ([basic.start.dynamic]).
inline llvm::cl::SubCommand
    compileCommand("compile",
                   "Compile a model (.onnx or .nn) to MLIR, LLVM IR, an object "
                   "file with a C header, a shared library or an executable");
inline llvm::cl::SubCommand
    runCommand("run", "Run a model on .npy inputs and write .npy outputs");
inline llvm::cl::SubCommand
    trainCommand("train",
                 "Train a model on a data set and save its parameters");
inline llvm::cl::SubCommand
    evalCommand("eval", "Report a model's loss and accuracy on a data set");
inline llvm::cl::SubCommand
    dataCommand("data", "Prepare a model's data as its `data` section says "
                        "and write the sets as .npy files");
inline llvm::cl::SubCommand
    exportCommand("export", "Write a trained model's inference graph as "
                            "ONNX (opset 17)");
inline llvm::cl::OptionCategory
    trainingCategory("Training recipe (overrides the model's `train` section)");

int runCompile();
int runRun();
int runTrain();
int runEval();
int runData();
int runExport();

/// Prints "neurona: error: <message>" and returns 1.
int fail(const llvm::Twine &message);
int fail(llvm::Error error);
int fail(const Status &status);
/// A failed C API call as an error, with nr_last_error()'s details.
int failRuntime(nr_status status);

/// The command-line options of trainingCategory that were given.
struct RecipeOverrides {
  std::optional<std::string> loss, optimizer;
  std::optional<double> learningRate, momentum;
  std::optional<int64_t> epochs, batchSize;
  /// Options that change the compiled training code (not just the loop).
  bool changesCode() const { return loss || optimizer || momentum; }
};
RecipeOverrides recipeOverrides();

/// The training recipe: the model's own (DSL `train` section) overridden by
/// the command-line options of trainingCategory.
llvm::Expected<TrainSpec> resolveTrainSpec(const ImportedModel &model);

/// Replaces the imported parameter values with those of a .npz file, and
/// takes a text model's training vocabulary from it (readVocabulary).
llvm::Error loadParamValues(ImportedModel &model, llvm::StringRef npzPath);

/// Imports the model at `path` and, unless `npzPath` is empty, replaces its
/// parameter values with the file's (loadParamValues).
llvm::Expected<ImportedModel> importWithParams(mlir::MLIRContext &ctx,
                                               llvm::StringRef path,
                                               llvm::StringRef npzPath);

/// The training vocabulary `neurona train` saved beside the parameters in
/// `npzPath` (a `vocabulary:<input>` member), in id order from 2; `found`
/// is false when the file holds none.
llvm::Error readVocabulary(llvm::StringRef npzPath,
                           std::vector<std::string> &words, bool &found);

/// Runs `forward` on the first 16 samples of `set` and writes them and the
/// model's first output as a PNG grid: rows of eight inputs, each followed
/// by the row of their outputs (autoencoders' reconstructions).
llvm::Error writeReconstructions(nr_model *model, const data::Dataset &set,
                                 const std::string &path);

/// Runs entry `decode` (a VAE's decoder) or `generate` (a GAN's generator)
/// on 64 codes drawn from N(0, I)
/// (Philox normals of `seed`, stream 0, step 0) and writes its first output
/// as an 8 x 8 PNG grid; the codes also go to `codesPath` (.npy) unless it
/// is empty, so that `neurona run --entry decode` can reproduce the grid.
llvm::Error writeSamples(nr_model *model, uint64_t seed,
                         const std::string &path,
                         const std::string &codesPath);

/// The folder holding libneurona_runtime.a and neurona_exe_main.o.
std::string runtimeDirectory();

/// A loaded model: a compiled shared library opened by the runtime, compiled
/// into a temporary folder first when given as .onnx or .nn.
class LoadedModel {
public:
  ~LoadedModel();
  /// `training` adds the gradients and train_step entries when compiling.
  llvm::Error load(llvm::StringRef path, bool training);
  nr_model *get() const { return model; }
  /// The `data` section of a `.nn` model (Kind::None for anything else).
  const data::DataSpec &dataSpec() const { return data; }

private:
  nr_model *model = nullptr;
  std::string tempDir;
  data::DataSpec data;
};

} // namespace neurona::driver

#endif // NEURONA_TOOLS_NEURONA_DRIVER_H
