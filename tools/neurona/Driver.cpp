//===- Driver.cpp - shared pieces of the neurona subcommands --------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "neurona/Runtime/NPY.h"
#include "neurona/Target/Artifact.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

using namespace neurona;
using namespace neurona::driver;
namespace cl = llvm::cl;

static cl::opt<std::string>
    lossOpt("loss", cl::desc("cross_entropy | binary_cross_entropy | mse | mae"),
            cl::cat(trainingCategory), cl::sub(compileCommand),
            cl::sub(trainCommand), cl::sub(runCommand), cl::sub(evalCommand));
static cl::opt<std::string> optimizerOpt("optimizer", cl::desc("sgd | adam | adamw"),
                                         cl::cat(trainingCategory),
                                         cl::sub(compileCommand),
                                         cl::sub(trainCommand),
                                         cl::sub(runCommand));
static cl::opt<double> lrOpt("lr", cl::desc("Learning rate"),
                             cl::cat(trainingCategory), cl::sub(trainCommand),
                             cl::sub(compileCommand));
static cl::opt<double> momentumOpt("momentum", cl::desc("SGD momentum"),
                                   cl::cat(trainingCategory),
                                   cl::sub(trainCommand),
                                   cl::sub(compileCommand),
                                   cl::sub(runCommand));
static cl::opt<int64_t> epochsOpt("epochs", cl::desc("Passes over the data"),
                                  cl::cat(trainingCategory),
                                  cl::sub(trainCommand));
static cl::opt<int64_t> batchOpt("batch-size", cl::desc("Samples per step"),
                                 cl::cat(trainingCategory),
                                 cl::sub(trainCommand), cl::sub(evalCommand));

int driver::fail(const llvm::Twine &message) {
  std::string text = message.str();
  // Frontend diagnostics already say "file:line:col: error: ..." and carry
  // their source excerpt; print them as they are.
  if (llvm::StringRef(text).contains(": error: "))
    llvm::errs() << text << (llvm::StringRef(text).ends_with("\n") ? "" : "\n");
  else
    llvm::WithColor::error(llvm::errs(), "neurona") << text << "\n";
  return 1;
}

int driver::fail(llvm::Error error) {
  return fail(llvm::toString(std::move(error)));
}

int driver::fail(const Status &status) { return fail(status.getMessage()); }

int driver::failRuntime(nr_status status) {
  return fail(llvm::Twine(nr_status_string(status)) + ": " + nr_last_error());
}

RecipeOverrides driver::recipeOverrides() {
  RecipeOverrides o;
  if (lossOpt.getNumOccurrences())
    o.loss = lossOpt;
  if (optimizerOpt.getNumOccurrences())
    o.optimizer = optimizerOpt;
  if (lrOpt.getNumOccurrences())
    o.learningRate = lrOpt;
  if (momentumOpt.getNumOccurrences())
    o.momentum = momentumOpt;
  if (epochsOpt.getNumOccurrences())
    o.epochs = epochsOpt;
  if (batchOpt.getNumOccurrences())
    o.batchSize = batchOpt;
  return o;
}

llvm::Expected<TrainSpec> driver::resolveTrainSpec(const ImportedModel &model) {
  TrainSpec spec = model.train;
  RecipeOverrides o = recipeOverrides();
  spec.loss = o.loss.value_or(spec.loss);
  if (o.optimizer && *o.optimizer != spec.optimizer) {
    // Another optimizer than the model's: its own defaults (PyTorch's),
    // not the model's optimizer settings.
    spec.weightDecay = *o.optimizer == "adamw" ? 0.01 : 0.0;
    spec.nesterov = false;
  }
  spec.optimizer = o.optimizer.value_or(spec.optimizer);
  spec.learningRate = o.learningRate.value_or(spec.learningRate);
  spec.momentum = o.momentum.value_or(spec.momentum);
  spec.epochs = o.epochs.value_or(spec.epochs);
  spec.batchSize = o.batchSize.value_or(spec.batchSize);
  if (spec.loss.empty() || spec.optimizer.empty())
    return llvm::createStringError(
        "model '" + model.name +
        "' has no training recipe: add a `train` section or pass --loss and "
        "--optimizer");
  if (spec.learningRate <= 0 || spec.batchSize <= 0 || spec.epochs <= 0)
    return llvm::createStringError(
        "learning rate, batch size and epochs must be positive");
  spec.present = true;
  return spec;
}

/// The words of a `vocabulary:<input>` member (data::vocabularyMemberWords).
static llvm::Error vocabularyWords(llvm::StringRef npzPath,
                                   const NpzEntry &entry,
                                   std::vector<std::string> &words) {
  if (Status s = data::vocabularyMemberWords(entry.array, words); !s)
    return llvm::createStringError(npzPath.str() + ": '" + entry.name +
                                   "' is " + s.getMessage());
  return llvm::Error::success();
}

llvm::Error driver::readVocabulary(llvm::StringRef npzPath,
                                   std::vector<std::string> &words,
                                   bool &found) {
  std::vector<NpzEntry> entries;
  if (Status s = readNpz(npzPath.str(), entries); !s)
    return llvm::createStringError(s.getMessage());
  found = false;
  for (const NpzEntry &e : entries)
    if (llvm::StringRef(e.name).starts_with(data::kVocabularyMemberPrefix)) {
      found = true;
      return vocabularyWords(npzPath, e, words);
    }
  return llvm::Error::success();
}

llvm::Error driver::loadParamValues(ImportedModel &model,
                                    llvm::StringRef npzPath) {
  std::vector<NpzEntry> entries;
  if (Status s = readNpz(npzPath.str(), entries); !s)
    return llvm::createStringError(s.getMessage());
  // A text model's vocabularies travel with its parameters, one member per
  // text input; the manifest carries them into the artifact
  // (buildManifest).
  std::vector<data::TextEncoding> encodings = model.data.textEncodings();
  std::vector<std::string> textInputs;
  if (!encodings.empty()) {
    auto signatures = collectEntries(model.module.get());
    if (!signatures)
      return signatures.takeError();
    for (const EntryArg &a : signatures->front().args)
      if (a.role == "input" && textInputs.size() < encodings.size())
        textInputs.push_back(a.name);
  }
  model.vocabularies.assign(textInputs.size(), {});
  size_t vocabularies = 0;
  for (const NpzEntry &e : entries) {
    llvm::StringRef name(e.name);
    if (!name.consume_front(data::kVocabularyMemberPrefix))
      continue;
    ++vocabularies;
    auto input = llvm::find(textInputs, name);
    if (input == textInputs.end())
      continue;
    size_t i = size_t(input - textInputs.begin());
    if (auto err = vocabularyWords(npzPath, e, model.vocabularies[i]))
      return err;
    data::Vocabulary check;
    if (Status s = data::Vocabulary::fromWords(
            model.vocabularies[i], encodings[i].vocabularySize, check);
        !s)
      return llvm::createStringError(npzPath.str() + ": '" + e.name +
                                     "': " + s.getMessage());
  }
  for (ParamSpec &p : model.params) {
    auto it = llvm::find_if(
        entries, [&](const NpzEntry &e) { return e.name == p.name; });
    if (it == entries.end())
      return llvm::createStringError(npzPath.str() + ": no parameter '" +
                                     p.name + "'");
    if (it->array.dtype != NR_F32 || it->array.shape != p.shape)
      return llvm::createStringError(
          npzPath.str() + ": parameter '" + p.name + "' is " +
          nr_dtype_name(it->array.dtype) + formatShape(it->array.shape) +
          ", the model needs f32" + formatShape(p.shape));
    const float *data = reinterpret_cast<const float *>(it->array.data.data());
    p.values.assign(data, data + it->array.numElements());
    p.init = "data";
  }
  if (entries.size() - vocabularies != model.params.size())
    return llvm::createStringError(
        npzPath.str() + ": holds " +
        std::to_string(entries.size() - vocabularies) +
        " parameter arrays, the model has " +
        std::to_string(model.params.size()) + " parameters");
  return llvm::Error::success();
}

llvm::Expected<ImportedModel>
driver::importWithParams(mlir::MLIRContext &ctx, llvm::StringRef path,
                         llvm::StringRef npzPath) {
  auto model = importModelFile(ctx, path);
  if (!model || npzPath.empty())
    return model;
  if (auto err = loadParamValues(*model, npzPath))
    return std::move(err);
  return model;
}

std::string driver::runtimeDirectory() {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("neurona", &anchor);
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(dir, "..", "lib");
  llvm::sys::path::remove_dots(dir, /*remove_dot_dot=*/true);
  return std::string(dir);
}

LoadedModel::~LoadedModel() {
  if (model)
    nr_model_close(model);
  if (!tempDir.empty())
    llvm::sys::fs::remove_directories(tempDir);
}

llvm::Error LoadedModel::load(llvm::StringRef path, bool training) {
  std::string library = path.str();
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".onnx" || ext == ".nn") {
    auto ctx = createCompilerContext();
    auto model = importModelFile(*ctx, path);
    if (!model)
      return model.takeError();
    data = model->data;
    CompileOptions options;
    options.runtimeDir = runtimeDirectory();
    if (training) {
      auto spec = resolveTrainSpec(*model);
      if (!spec)
        return spec.takeError();
      options.training = true;
      options.train = *spec;
    } else if (auto loss = recipeOverrides().loss) {
      // Evaluation only needs to know the loss to report it.
      model->train.present = true;
      model->train.loss = *loss;
    }
    if (auto err = prepareModule(*model, options))
      return err;
    llvm::SmallString<128> dir;
    if (auto ec = llvm::sys::fs::createUniqueDirectory("neurona", dir))
      return llvm::createStringError("cannot create a temporary folder: " +
                                     ec.message());
    tempDir = std::string(dir);
    llvm::sys::path::append(dir, "model.so");
    library = std::string(dir);
    if (auto err =
            emitArtifact(*model, options, EmitKind::SharedLibrary, library))
      return err;
  } else if (recipeOverrides().changesCode()) {
    return llvm::createStringError(
        "--loss, --optimizer and --momentum change the compiled training "
        "code: they need a .onnx or .nn model, and " +
        path.str() + " is already compiled");
  }
  if (nr_status s = nr_model_open(library.c_str(), &model))
    return llvm::createStringError(llvm::Twine(nr_status_string(s)) + ": " +
                                   nr_last_error());
  return llvm::Error::success();
}
