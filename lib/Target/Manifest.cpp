//===- Manifest.cpp - entry signatures, manifest and parameter blob -------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Target/Artifact.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <charconv>
#include <cstring>

using namespace mlir;
using namespace neurona;

static std::string dtypeOf(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isF64())
    return "f64";
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  // Signless integers are ONNX's signed types, unsigned ones its UINTs.
  if (auto integer = dyn_cast<IntegerType>(t);
      integer && !integer.isSigned() && integer.getWidth() != 1) {
    unsigned width = integer.getWidth();
    if (width != 8 && width != 16 && width != 32 && width != 64)
      return "";
    return (integer.isUnsigned() ? "u" : "i") + std::to_string(width);
  }
  // i1 is stored one byte per element (LLVM's alloc size of i1).
  if (t.isInteger(1))
    return "bool";
  return "";
}

static std::string roleOfResult(StringRef role) {
  return role.empty() ? "output" : role.str();
}

/// Names travel in the space-separated manifest and in C comments of the
/// header: printable ASCII without spaces and without "*/".
static llvm::Error checkName(StringRef entry, StringRef name) {
  bool printable = !name.empty() && llvm::all_of(name, [](char c) {
    return c > ' ' && c < 0x7f;
  });
  if (printable && !name.contains("*/"))
    return llvm::Error::success();
  return llvm::createStringError(
      "entry @" + entry.str() + ": the name '" + name.str() +
      "' cannot be used in a compiled model: names must be non-empty, "
      "printable ASCII without spaces (rename the tensor in the model)");
}

llvm::Expected<std::vector<EntrySignature>>
neurona::collectEntries(ModuleOp module) {
  std::vector<EntrySignature> entries;
  for (auto fn : module.getOps<func::FuncOp>()) {
    // Entries carry roles on their arguments, or, when they take none (a
    // model that only computes constants), on their results.
    bool isEntry = false;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      isEntry |= static_cast<bool>(fn.getArgAttr(i, "nn.role"));
    for (unsigned r = 0; r < fn.getNumResults(); ++r)
      isEntry |= static_cast<bool>(fn.getResultAttr(r, "nn.role"));
    if (!isEntry)
      continue;
    EntrySignature sig;
    sig.name = fn.getName().str();
    auto add = [&](Type type, StringAttr role, StringAttr name,
                   bool isResult) -> llvm::Error {
      auto tensor = dyn_cast<RankedTensorType>(type);
      std::string dtype = tensor ? dtypeOf(tensor.getElementType()) : "";
      if (dtype.empty())
        return llvm::createStringError("entry @" + sig.name +
                                       ": unsupported argument type");
      EntryArg arg;
      arg.role = isResult ? roleOfResult(role ? role.getValue() : "")
                          : (role ? role.getValue().str() : "input");
      arg.name = name ? name.getValue().str()
                      : (isResult ? "result" : "arg") +
                            std::to_string(sig.args.size());
      if (auto err = checkName(sig.name, arg.name))
        return err;
      arg.dtype = dtype;
      for (int64_t d : tensor.getShape())
        arg.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
      sig.args.push_back(std::move(arg));
      return llvm::Error::success();
    };
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      if (auto err = add(fn.getArgumentTypes()[i],
                         fn.getArgAttrOfType<StringAttr>(i, "nn.role"),
                         fn.getArgAttrOfType<StringAttr>(i, "nn.name"), false))
        return std::move(err);
      if (auto bound = fn.getArgAttrOfType<IntegerAttr>(i, "nn.bound"))
        sig.args.back().bound = bound.getInt();
    }
    for (unsigned r = 0; r < fn.getNumResults(); ++r)
      if (auto err =
              add(fn.getResultTypes()[r],
                  fn.getResultAttrOfType<StringAttr>(r, "nn.role"),
                  fn.getResultAttrOfType<StringAttr>(r, "nn.name"), true))
        return std::move(err);
    entries.push_back(std::move(sig));
  }
  if (entries.empty())
    return llvm::createStringError("the model has no entry functions");
  return entries;
}

static std::string shapeText(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += 'x';
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s;
}

std::string neurona::exactNumber(double v) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);
  return std::string(buffer, result.ptr);
}

static std::string exact(double v) { return exactNumber(v); }

/// `text` and `vocabulary` records: how the data section turned raw text
/// into the model's text inputs, and the training vocabularies when the
/// trained parameters brought them, so that deployed programs take raw text.
static void writeTextRecords(llvm::raw_ostream &os, const ImportedModel &model,
                             const std::vector<EntrySignature> &entries) {
  std::vector<data::TextEncoding> encodings = model.data.textEncodings();
  // The data section feeds the model's inputs, those of its first entry,
  // in order.
  std::vector<const EntryArg *> inputs;
  for (const EntryArg &a : entries.front().args)
    if (a.role == "input" && inputs.size() < encodings.size())
      inputs.push_back(&a);
  auto flag = [](bool b) { return b ? "true" : "false"; };
  for (size_t i = 0; i < inputs.size(); ++i) {
    const data::TextEncoding &e = encodings[i];
    os << "text " << inputs[i]->name << " "
       << data::TextEncoding::formName(e.form)
       << " vocab=" << e.vocabularySize;
    if (e.form == data::TextEncoding::Form::BagOfWords)
      os << " binary=" << flag(e.binary);
    else
      os << " length=" << e.length;
    os << " filter=" << flag(e.options.filter)
       << " lowercase=" << flag(e.options.lowercase);
    if (!e.options.stem.empty())
      os << " stem=" << e.options.stem;
    os << "\n";
    if (i < model.vocabularies.size() && !model.vocabularies[i].empty()) {
      os << "vocabulary " << inputs[i]->name;
      for (const std::string &w : model.vocabularies[i])
        os << " " << w;
      os << "\n";
    }
  }
}

std::string neurona::buildManifest(StringRef prefix, const ImportedModel &model,
                                   const TrainSpec &train,
                                   const std::vector<EntrySignature> &entries,
                                   StringRef device) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "neurona-manifest 1\n";
  os << "model " << prefix << "\n";
  if (!device.empty())
    os << "target " << device << "\n";
  if (train.present) {
    os << "train loss=" << train.loss;
    if (!train.optimizer.empty())
      os << " optimizer=" << train.optimizer;
    os << " lr=" << exact(train.learningRate) << " batch=" << train.batchSize
       << " epochs=" << train.epochs;
    if (train.fromLogits)
      os << " from_logits=true";
    if (train.softTargets)
      os << " targets=probabilities";
    if (!train.generator.empty())
      os << " generator=" << train.generator
         << " discriminator=" << train.discriminator;
    if (train.reduction != "mean")
      os << " reduction=" << train.reduction;
    if (train.optimizer == "sgd") {
      os << " momentum=" << exact(train.momentum);
      if (train.nesterov)
        os << " nesterov=true";
    } else if (train.optimizer == "adam" || train.optimizer == "adamw") {
      os << " beta1=" << exact(train.beta1) << " beta2=" << exact(train.beta2)
         << " epsilon=" << exact(train.epsilon);
    }
    if (train.weightDecay != 0.0 || train.optimizer == "adamw")
      os << " weight_decay=" << exact(train.weightDecay);
    auto penalty = [&](const char *key, const PenaltySpec &p,
                       const std::string &target) {
      os << " " << key << "=" << p.kind << ":" << exact(p.coefficient);
      if (!target.empty())
        os << ":" << target;
    };
    for (const PenaltySpec &p : train.penalties) {
      if (p.targets.empty())
        penalty("penalty", p, "");
      for (const std::string &t : p.targets)
        penalty("penalty", p, t);
    }
    for (const PenaltySpec &p : train.activity)
      for (const std::string &t : p.targets)
        penalty("activity", p, t);
    for (const PenaltySpec &p : train.kl)
      for (const std::string &t : p.targets)
        os << " kl=" << exact(p.coefficient) << ":" << t;
    if (train.schedule == "step")
      os << " schedule=step schedule_every=" << train.stepEvery
         << " schedule_gamma=" << exact(train.stepGamma);
    else if (train.schedule == "cosine")
      os << " schedule=cosine schedule_epochs=" << train.cosineEpochs
         << " schedule_min_lr=" << exact(train.cosineMinLr);
    for (const std::string &m : train.metrics)
      os << " metric=" << m;
    os << "\n";
  }
  for (const ParamSpec &p : model.params)
    os << "param " << p.name << " f32 " << shapeText(p.shape) << " " << p.init
       << "\n";
  // Optimizer state appears once, from the first entry that uses it.
  llvm::StringSet<> states;
  for (const EntrySignature &e : entries)
    for (const EntryArg &a : e.args)
      if (a.role == "state" && states.insert(a.name).second)
        os << "state " << a.name << " " << a.dtype << " " << shapeText(a.shape)
           << "\n";
  // Bounds of integer inputs (token ids), once per input name.
  llvm::StringSet<> bounded;
  for (const EntrySignature &e : entries)
    for (const EntryArg &a : e.args)
      if (a.bound >= 0 && bounded.insert(a.name).second)
        os << "bound " << a.name << " " << a.bound << "\n";
  writeTextRecords(os, model, entries);
  for (const EntrySignature &e : entries) {
    os << "entry " << e.name << "\n";
    for (const EntryArg &a : e.args)
      os << "arg " << a.role << " " << a.name << " " << a.dtype << " "
         << shapeText(a.shape) << "\n";
  }
  os << "end\n";
  return text;
}

static int64_t elementCount(const ParamSpec &p) {
  int64_t count = 1;
  for (int64_t d : p.shape)
    count *= d;
  return count;
}

std::vector<uint64_t>
neurona::paramBlobOffsets(const std::vector<ParamSpec> &params) {
  std::vector<uint64_t> offsets;
  uint64_t end = 0;
  for (const ParamSpec &p : params) {
    uint64_t start = llvm::alignTo(end, 64);
    offsets.push_back(start);
    end = start + elementCount(p) * sizeof(float);
  }
  return offsets;
}

llvm::Expected<std::vector<char>>
neurona::buildParamsBlob(const std::vector<ParamSpec> &params) {
  bool any = llvm::any_of(params,
                          [](const ParamSpec &p) { return !p.values.empty(); });
  if (!any)
    return std::vector<char>();
  std::vector<uint64_t> offsets = paramBlobOffsets(params);
  std::vector<char> blob;
  for (auto [p, offset] : llvm::zip(params, offsets)) {
    int64_t count = elementCount(p);
    if (static_cast<int64_t>(p.values.size()) != count)
      return llvm::createStringError(
          "parameter '" + p.name + "' has " + std::to_string(p.values.size()) +
          " values, its shape needs " + std::to_string(count));
    blob.resize(offset + count * sizeof(float), 0);
    std::memcpy(blob.data() + offset, p.values.data(), count * sizeof(float));
  }
  return blob;
}
