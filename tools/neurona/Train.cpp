//===- Train.cpp - neurona train and neurona eval -------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "neurona/Data/Dataset.h"
#include "neurona/Data/Source.h"
#include "neurona/Runtime/NPY.h"
#include "neurona/Runtime/FileIO.h"
#include "neurona/Train/Interrupt.h"
#include "neurona/Train/Trainer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace neurona;
using namespace neurona::driver;
namespace cl = llvm::cl;

static cl::opt<std::string> modelPath(cl::Positional,
                                      cl::desc("<model.onnx|model.nn|lib.so>"),
                                      cl::Required, cl::sub(trainCommand),
                                      cl::sub(evalCommand),
                                      cl::sub(dataCommand));
static cl::opt<std::string> dataDir(
    "data-dir",
    cl::desc("Folder with MNIST-style IDX files: train-images-idx3-ubyte, "
             "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
             "t10k-labels-idx1-ubyte (.gz or not)"),
    cl::value_desc("dir"), cl::sub(trainCommand), cl::sub(evalCommand));
static cl::opt<std::string>
    trainData("train-data", cl::desc("Training features (IDX or .npy)"),
              cl::sub(trainCommand));
static cl::opt<std::string>
    trainLabels("train-labels", cl::desc("Training targets (IDX or .npy)"),
                cl::sub(trainCommand));
static cl::opt<std::string> testData("test-data",
                                     cl::desc("Test features (IDX or .npy)"),
                                     cl::sub(trainCommand),
                                     cl::sub(evalCommand));
static cl::opt<std::string> testLabels("test-labels",
                                       cl::desc("Test targets (IDX or .npy)"),
                                       cl::sub(trainCommand),
                                       cl::sub(evalCommand));
static cl::opt<std::string>
    save("save",
         cl::desc("Write the trained parameters here (.npz; default: "
                  "<model>.params.npz in the current folder). Written only "
                  "when training succeeds; a failed or interrupted run keeps "
                  "its last finished epoch in <name>.partial.npz instead"),
         cl::value_desc("file.npz"), cl::sub(trainCommand));
static cl::opt<std::string> params(
    "params", cl::desc("Start from (train) or use (eval) these parameters"),
    cl::value_desc("file.npz"), cl::sub(trainCommand), cl::sub(evalCommand));
static cl::opt<std::string> curves(
    "curves",
    cl::desc("Write per-epoch loss and accuracy: CSV, or charts for a .svg "
             "(<name>.partial.<ext> while training)"),
    cl::value_desc("file.csv|file.svg"), cl::sub(trainCommand));
static cl::opt<std::string> checkpoint(
    "checkpoint",
    cl::desc("Save a training checkpoint after every epoch (parameters, "
             "optimizer state, epoch, global step, seed): to "
             "<name>.partial.npz while training, here once it succeeds"),
    cl::value_desc("file.npz"), cl::sub(trainCommand));
static cl::opt<std::string> resume(
    "resume",
    cl::desc("Continue training from a checkpoint written by --checkpoint, "
             "exactly as if it had not stopped; --epochs counts from the "
             "start of training"),
    cl::value_desc("checkpoint.npz"), cl::sub(trainCommand));
static cl::opt<uint64_t> seed("seed",
                              cl::desc("Seed for initialisation, shuffling "
                                       "and random layers (dropout, noise); "
                                       "for eval, of the codes of --samples"),
                              cl::init(0), cl::sub(trainCommand),
                              cl::sub(evalCommand));
static cl::opt<bool> quiet("quiet", cl::desc("No progress output"),
                           cl::sub(trainCommand));
static cl::opt<std::string> reconstructions(
    "reconstructions",
    cl::desc("Also write the first 16 test samples beside the model's "
             "outputs for them as a PNG (autoencoders)"),
    cl::value_desc("file.png"), cl::sub(evalCommand));
static cl::opt<std::string> samples(
    "samples",
    cl::desc("Also decode 64 codes drawn from N(0, I) (--seed) with the "
             "model's 'decode' entry and write them as a PNG (VAEs)"),
    cl::value_desc("file.png"), cl::sub(evalCommand), cl::sub(trainCommand));
static cl::opt<std::string> samplesCodes(
    "samples-codes",
    cl::desc("Write the codes behind --samples here (.npy)"),
    cl::value_desc("file.npy"), cl::sub(evalCommand), cl::sub(trainCommand));
static cl::list<std::string>
    dataFiles("data",
              cl::desc("Replace the files of the model's `data` section "
                       "(repeat for a source of several files)"),
              cl::value_desc("path"), cl::sub(trainCommand),
              cl::sub(evalCommand), cl::sub(dataCommand));
static cl::opt<std::string> dataOut("out",
                                    cl::desc("Folder for the prepared sets"),
                                    cl::value_desc("dir"), cl::Required,
                                    cl::sub(dataCommand));

/// Whether the model's first `forward` input is flat ([batch, features]).
static bool wantsFlatInput(nr_model *model) {
  nr_arg_info info;
  if (nr_model_arg_info(model, "forward", 0, &info) != NR_OK)
    return true;
  return info.rank <= 2;
}

static llvm::Error loadSet(const std::string &features,
                           const std::string &targets, bool flatten,
                           data::Dataset &out) {
  if (features.empty() || targets.empty())
    return llvm::createStringError(
        "no data: pass --data-dir, or --train-data/--train-labels and "
        "--test-data/--test-labels");
  if (Status s = data::loadDataset(features, targets, flatten, out); !s)
    return llvm::createStringError(s.getMessage());
  return llvm::Error::success();
}

/// Whether the data comes from the model's `data` section: it has one, and
/// no data option names other files.
static bool useDataSection(const LoadedModel &loaded) {
  return loaded.dataSpec().present() && dataDir.empty() && trainData.empty() &&
         trainLabels.empty() && testData.empty() && testLabels.empty();
}

/// Reads and prepares the data of the model's `data` section, with --data
/// replacing its files. Text is encoded with the vocabulary saved in
/// `savedParams` when that holds one (a trained model's), so that a model
/// is evaluated or trained further on the ids it was trained with.
static llvm::Error prepareSectionData(data::DataSpec spec, bool flatten,
                                      data::PreparedData &out,
                                      const std::string &savedParams = "") {
  if (!savedParams.empty())
    if (auto err = readVocabulary(savedParams, spec.vocabularyWords,
                                  spec.savedVocabulary))
      return err;
  if (!dataFiles.empty()) {
    bool single = spec.kind == data::DataSpec::Kind::Idx ||
                  spec.kind == data::DataSpec::Kind::Csv;
    if (single && dataFiles.size() != 1)
      return llvm::createStringError(
          "--data: the model's source reads one " +
          std::string(spec.kind == data::DataSpec::Kind::Idx ? "folder"
                                                             : "file") +
          ", got " + std::to_string(dataFiles.size()) + " paths");
    if (spec.kind == data::DataSpec::Kind::TextFiles &&
        dataFiles.size() != spec.paths.size())
      return llvm::createStringError(
          "--data: the model's source has one file per class (" +
          std::to_string(spec.paths.size()) + "), got " +
          std::to_string(dataFiles.size()) + " paths");
    spec.paths.assign(dataFiles.begin(), dataFiles.end());
  }
  if (Status s = data::prepareData(spec, flatten, out); !s)
    return llvm::createStringError("data section (" + spec.origin +
                                   "): " + s.getMessage());
  return llvm::Error::success();
}

/// Writes the training split's statistics into the model's standardization
/// parameters.
static llvm::Error setStatistics(nr_model *model, const data::DataSpec &spec,
                                 const std::vector<int64_t> &featureShape,
                                 data::PreparedData &prepared) {
  if (!spec.standardize)
    return llvm::Error::success();
  for (auto [name, values] :
       {std::pair(&spec.meanParam, &prepared.mean),
        std::pair(&spec.stdParam, &prepared.stddev)}) {
    nr_tensor t = nr_tensor();
    t.dtype = NR_F32;
    t.rank = int32_t(featureShape.size());
    for (int32_t d = 0; d < t.rank; ++d)
      t.shape[d] = featureShape[size_t(d)];
    t.data = values->data();
    if (nr_status s = nr_model_set_param(model, name->c_str(), &t))
      return llvm::createStringError(llvm::Twine(nr_status_string(s)) + ": " +
                                     nr_last_error());
  }
  return llvm::Error::success();
}

/// Gives the model the vocabularies its text inputs were encoded with (a
/// translation's source and target), which nr_model_save_params then
/// writes beside the parameters.
static llvm::Error setVocabulary(nr_model *model,
                                 const data::PreparedData &prepared) {
  size_t count = 0;
  nr_model_num_text_inputs(model, &count);
  const data::Vocabulary *vocabularies[] = {&prepared.vocabulary,
                                            &prepared.targetVocabulary};
  for (size_t i = 0; i < std::min(count, std::size(vocabularies)); ++i) {
    if (vocabularies[i]->capacity() == 0)
      continue;
    const char *input = nullptr;
    std::vector<const char *> words;
    for (const std::string &w : vocabularies[i]->wordList())
      words.push_back(w.c_str());
    nr_status s = nr_model_text_input(model, i, &input, nullptr, nullptr);
    if (s == NR_OK)
      s = nr_model_set_vocabulary(model, input, words.data(), words.size());
    if (s != NR_OK)
      return llvm::createStringError(llvm::Twine(nr_status_string(s)) +
                                     ": " + nr_last_error());
  }
  return llvm::Error::success();
}

/// "a (left as it was)" or "a (not created)", for the report of a failure.
static std::string untouched(const std::string &path) {
  return path +
         (llvm::sys::fs::exists(path) ? " (left as it was)" : " (not created)");
}

/// Says, after a failed or interrupted training, which of the requested
/// files were not written and what was kept instead.
static void reportFailedRun(const std::vector<std::string> &requested,
                            const train::TrainResult &result) {
  std::string notWritten;
  for (const std::string &path : requested)
    notWritten += (notWritten.empty() ? "" : ", ") + untouched(path);
  llvm::WithColor::note(llvm::errs(), "neurona")
      << "not written: " << notWritten << "\n";
  if (result.keptParams.empty()) {
    llvm::WithColor::note(llvm::errs(), "neurona")
        << (result.history.empty() ? "no epoch finished: no parameters were "
                                     "kept\n"
                                   : "the parameters were not kept\n");
  } else {
    llvm::WithColor::note(llvm::errs(), "neurona")
        << "the parameters after epoch " << result.history.back().epoch
        << ", the last to finish, are in " << result.keptParams << "\n";
  }
  if (!result.keptCurves.empty())
    llvm::WithColor::note(llvm::errs(), "neurona")
        << "the learning curves of the finished epochs are in "
        << result.keptCurves << "\n";
}

int driver::runTrain() {
  // From here on SIGINT and SIGTERM stop training cleanly: nothing the user
  // asked for is written, and the last finished epoch is kept aside.
  train::InterruptGuard interrupts;
  std::string savePath =
      save.empty() ? (llvm::sys::path::stem(modelPath) + ".params.npz").str()
                   : save.getValue();
  // Every file the user named is written only when training succeeds, all
  // together; until then the trainer writes the checkpoint and the curves
  // under names of their own (<name>.partial.<ext>). Staging the parameters
  // file first finds an unwritable folder before any work is done.
  OutputSet outputs;
  std::string saveTemp;
  if (Status s = outputs.stage(savePath, saveTemp); !s)
    return fail(s);
  std::vector<std::string> requested = {savePath};
  if (!checkpoint.empty())
    requested.push_back(checkpoint);
  if (!curves.empty())
    requested.push_back(curves);
  train::TrainResult result;
  auto failed = [&](auto &&error) {
    int code = fail(std::forward<decltype(error)>(error));
    reportFailedRun(requested, result);
    return code;
  };

  LoadedModel loaded;
  if (auto err = loaded.load(modelPath, /*training=*/true))
    return failed(std::move(err));
  nr_model *model = loaded.get();
  int hasTrainStep = 0, isGAN = 0;
  nr_model_has_entry(model, "train_step", &hasTrainStep);
  nr_model_has_entry(model, "d_train_step", &isGAN);
  if (!hasTrainStep && !isGAN)
    return failed(modelPath + " has no train_step entry: compile it with "
                              "--training");

  bool flatten = wantsFlatInput(model);
  data::Dataset trainSet, testSet;
  bool haveTest = false;
  data::PreparedData prepared;
  bool fromSection = useDataSection(loaded);
  if (fromSection) {
    if (auto err = prepareSectionData(loaded.dataSpec(), flatten, prepared,
                                      params))
      return failed(std::move(err));
    trainSet = std::move(prepared.train);
    testSet = std::move(prepared.test);
    haveTest = prepared.hasTest;
    if (!quiet)
      llvm::outs() << "data: " << prepared.summary << "\n";
  } else {
    std::string trainX = trainData, trainY = trainLabels, testX = testData,
                testY = testLabels;
    if (!dataDir.empty()) {
      trainX = data::idxFile(dataDir, "train-images-idx3-ubyte");
      trainY = data::idxFile(dataDir, "train-labels-idx1-ubyte");
      testX = data::idxFile(dataDir, "t10k-images-idx3-ubyte");
      testY = data::idxFile(dataDir, "t10k-labels-idx1-ubyte");
    }
    if (auto err = loadSet(trainX, trainY, flatten, trainSet))
      return failed(std::move(err));
    haveTest = !testX.empty() || !testY.empty();
    if (haveTest)
      if (auto err = loadSet(testX, testY, flatten, testSet))
        return failed(std::move(err));
  }

  train::TrainOptions options;
  RecipeOverrides overrides = recipeOverrides();
  options.epochs = overrides.epochs.value_or(0);
  options.batchSize = overrides.batchSize.value_or(0);
  options.learningRate = overrides.learningRate.value_or(0);
  options.seed = seed;
  options.seedGiven = seed.getNumOccurrences() > 0;
  options.resumePath = resume;
  if (!params.empty() && !resume.empty())
    return failed("--params and --resume both set the parameters; a "
                  "checkpoint holds them already");
  // Parameters are set up here rather than by the trainer, so that the
  // data's statistics can go in after initialisation; a checkpoint to
  // resume from replaces them all.
  options.initParams = false;
  if (resume.empty()) {
    nr_status initStatus = params.empty()
                               ? nr_model_init_params(model, seed)
                               : nr_model_load_params(model, params.c_str());
    if (initStatus)
      return failed(llvm::Twine(nr_status_string(initStatus)) + ": " +
                    nr_last_error());
  }
  if (fromSection) {
    if (auto err = setStatistics(model, loaded.dataSpec(),
                                 trainSet.featureShape, prepared))
      return failed(std::move(err));
    if (auto err = setVocabulary(model, prepared))
      return failed(std::move(err));
  }
  // A GAN has no test loss: its data are the discriminator's real samples.
  if (isGAN)
    haveTest = false;
  options.testSet = haveTest ? &testSet : nullptr;
  options.curvesPath = curves.empty() ? "" : partialPath(curves);
  options.checkpointPath = checkpoint.empty() ? "" : partialPath(checkpoint);
  options.keepPath = checkpoint.empty() ? partialPath(savePath) : "";
  options.stop = train::InterruptGuard::flag();
  options.quiet = quiet;
  if (!quiet)
    llvm::outs() << "training " << modelPath << " on " << trainSet.numSamples
                 << " samples"
                 << (haveTest
                         ? " (test: " + std::to_string(testSet.numSamples) + ")"
                         : std::string())
                 << "\n";
  llvm::outs().flush();
  Status status = isGAN ? train::trainGAN(model, trainSet, options, result)
                        : train::train(model, trainSet, options, result);
  if (!status) {
    int code = failed(status);
    // Interrupted: the shell's convention for a signal (130 for SIGINT).
    return result.stoppedBy ? 128 + result.stoppedBy : code;
  }

  if (int sig = train::InterruptGuard::received()) {
    // A signal after the last step still means: write nothing the user
    // asked for. The finished parameters are kept like those of a run
    // stopped earlier.
    result.stoppedBy = sig;
    if (!curves.empty())
      result.keptCurves = options.curvesPath;
    result.keptParams = options.checkpointPath;
    if (result.keptParams.empty() &&
        nr_model_save_params(model, options.keepPath.c_str()) == NR_OK)
      result.keptParams = options.keepPath;
    failed("training interrupted by " + train::signalName(sig) +
           " after the last epoch");
    return 128 + sig;
  }
  if (nr_status s = nr_model_save_params(model, saveTemp.c_str()))
    return failed(llvm::Twine(nr_status_string(s)) + ": " + nr_last_error());
  if (!samplesCodes.empty() && samples.empty())
    return failed("--samples-codes goes with --samples");
  if (!samples.empty())
    if (auto err = writeSamples(model, seed, samples, samplesCodes))
      return failed(std::move(err));
  if (!checkpoint.empty())
    outputs.promote(options.checkpointPath, checkpoint);
  if (!curves.empty())
    outputs.promote(options.curvesPath, curves);
  // A failed rename says itself which files were and were not replaced.
  if (Status s = outputs.commit(); !s)
    return fail(s);
  if (!quiet) {
    llvm::outs() << "parameters saved to " << savePath << "\n";
    if (!checkpoint.empty())
      llvm::outs() << "checkpoint saved to " << checkpoint << "\n";
    if (!curves.empty())
      llvm::outs() << "learning curves saved to " << curves << "\n";
  }
  return 0;
}

int driver::runEval() {
  LoadedModel loaded;
  if (auto err = loaded.load(modelPath, /*training=*/false))
    return fail(std::move(err));
  nr_model *model = loaded.get();
  if (!params.empty())
    if (nr_status s = nr_model_load_params(model, params.c_str()))
      return failRuntime(s);
  int hasForward = 0;
  nr_model_has_entry(model, "forward", &hasForward);
  if (!hasForward) {
    // A GAN: nothing to score on a test set, only samples to draw.
    if (samples.empty())
      return fail(modelPath + " has no forward entry to evaluate (a GAN); "
                              "draw its samples with --samples FILE.png");
    if (auto err = writeSamples(model, seed, samples, samplesCodes))
      return fail(std::move(err));
    return 0;
  }
  data::Dataset set;
  if (useDataSection(loaded)) {
    // The test split of the model's own data; the statistics and weights
    // come from --params.
    data::PreparedData prepared;
    if (auto err = prepareSectionData(loaded.dataSpec(), wantsFlatInput(model),
                                      prepared, params))
      return fail(std::move(err));
    if (!prepared.hasTest)
      return fail("the model's data section has no test set: add "
                  "`test_split = 0.2` to it, or pass --test-data and "
                  "--test-labels");
    set = std::move(prepared.test);
  } else {
    std::string x = testData, y = testLabels;
    if (!dataDir.empty()) {
      x = data::idxFile(dataDir, "t10k-images-idx3-ubyte");
      y = data::idxFile(dataDir, "t10k-labels-idx1-ubyte");
    }
    if (auto err = loadSet(x, y, wantsFlatInput(model), set))
      return fail(std::move(err));
  }
  if (!reconstructions.empty())
    if (auto err = writeReconstructions(model, set, reconstructions))
      return fail(std::move(err));
  if (!samplesCodes.empty() && samples.empty())
    return fail("--samples-codes goes with --samples");
  if (!samples.empty())
    if (auto err = writeSamples(model, seed, samples, samplesCodes))
      return fail(std::move(err));
  train::EvalResult result;
  if (Status s = train::evaluate(
          model, set, recipeOverrides().batchSize.value_or(0), result);
      !s)
    return fail(s);
  llvm::outs() << "samples " << result.numSamples << "  loss "
               << llvm::format("%.4f", result.loss);
  if (!std::isnan(result.accuracy))
    llvm::outs() << "  accuracy " << llvm::format("%.4f", result.accuracy);
  llvm::outs() << "\n";
  return 0;
}

/// Writes one set as <dir>/<name>_x.npy, <name>_y.npy and <name>_index.npy
/// (the source's sample numbers), and the inputs after the first as
/// <name>_x1.npy, <name>_x2.npy, ... (a decoder's input ids).
static Status writeSet(const std::string &dir, const std::string &name,
                       const data::Dataset &set,
                       const std::vector<int64_t> &indices) {
  int64_t count = int64_t(indices.size());
  if (Status s = writeNpy(dir + "/" + name + "_index.npy", NR_I64, &count, 1,
                          indices.data());
      !s)
    return s;
  std::vector<int64_t> shape = {set.numSamples};
  shape.insert(shape.end(), set.featureShape.begin(), set.featureShape.end());
  if (Status s = set.integerFeatures
                     ? writeNpy(dir + "/" + name + "_x.npy", NR_I64,
                                shape.data(), shape.size(), set.ids.data())
                     : writeNpy(dir + "/" + name + "_x.npy", NR_F32,
                                shape.data(), shape.size(),
                                set.features.data());
      !s)
    return s;
  for (size_t k = 0; k < set.moreInputs.size(); ++k) {
    const data::IdsInput &input = set.moreInputs[k];
    shape = {set.numSamples};
    shape.insert(shape.end(), input.shape.begin(), input.shape.end());
    if (Status s = writeNpy(dir + "/" + name + "_x" + std::to_string(k + 1) +
                                ".npy",
                            NR_I64, shape.data(), shape.size(),
                            input.ids.data());
        !s)
      return s;
  }
  std::string targets = dir + "/" + name + "_y.npy";
  if (set.targetKind == data::TargetKind::Labels)
    return writeNpy(targets, NR_I64, &set.numSamples, 1, set.labels.data());
  shape = {set.numSamples};
  shape.insert(shape.end(), set.targetShape.begin(), set.targetShape.end());
  if (set.targetKind == data::TargetKind::SequenceLabels)
    return writeNpy(targets, NR_I64, shape.data(), shape.size(),
                    set.labels.data());
  return writeNpy(targets, NR_F32, shape.data(), shape.size(),
                  set.targets.data());
}

int driver::runData() {
  auto ctx = createCompilerContext();
  auto model = importModelFile(*ctx, modelPath);
  if (!model)
    return fail(model.takeError());
  if (!model->data.present())
    return fail(modelPath + " has no data section");
  // Images stay 2-D only for models that take them so (convolutions).
  bool flatten = true;
  model->module->walk([&](mlir::func::FuncOp fn) {
    if (fn.getSymName() == "forward" && fn.getNumArguments() > 0)
      if (auto t = llvm::dyn_cast<mlir::RankedTensorType>(
              fn.getArgumentTypes()[0]))
        flatten = t.getRank() <= 2;
  });
  data::PreparedData prepared;
  if (auto err = prepareSectionData(model->data, flatten, prepared))
    return fail(std::move(err));
  if (auto ec = llvm::sys::fs::create_directories(dataOut))
    return fail("cannot create " + dataOut + ": " + ec.message());
  if (Status s = writeSet(dataOut, "train", prepared.train,
                          prepared.trainIndices); !s)
    return fail(s);
  if (prepared.hasTest)
    if (Status s = writeSet(dataOut, "test", prepared.test,
                            prepared.testIndices); !s)
      return fail(s);
  if (model->data.standardize) {
    int64_t n = int64_t(prepared.mean.size());
    if (Status s = writeNpy(dataOut + "/mean.npy", NR_F32, &n, 1,
                            prepared.mean.data());
        !s)
      return fail(s);
    if (Status s = writeNpy(dataOut + "/std.npy", NR_F32, &n, 1,
                            prepared.stddev.data());
        !s)
      return fail(s);
  }
  // One word per line from id 2; a translation's target side goes to
  // target_vocabulary.txt.
  for (auto [vocabulary, file] :
       {std::pair{&prepared.vocabulary, "vocabulary.txt"},
        std::pair{&prepared.targetVocabulary, "target_vocabulary.txt"}}) {
    if (vocabulary->capacity() == 0)
      continue;
    std::string words;
    for (const std::string &w : vocabulary->wordList())
      words += w + "\n";
    if (Status s = writeFileAtomically(dataOut + "/" + file, words.data(),
                                       words.size());
        !s)
      return fail(s);
  }
  llvm::outs() << prepared.summary << "\nwritten to " << dataOut << "\n";
  return 0;
}
