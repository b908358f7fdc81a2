//===- TrainSection.cpp - the DSL's `train` section -----------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Turns `train { ... }` into a TrainSpec and checks that the loss fits the
// model's output: a mismatch here (softmax before cross_entropy, a linear
// output under binary_cross_entropy) trains without complaint and silently
// learns badly, so it is worth refusing at import time.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona::dsl {

static const StringRef kSettings[] = {"loss", "optimizer", "batch", "epochs",
                                      "metrics"};
static const StringRef kLosses[] = {"cross_entropy", "binary_cross_entropy",
                                    "mse"};
static const StringRef kOptimizers[] = {"sgd", "adam"};
static const StringRef kMetrics[] = {"accuracy", "perplexity"};

/// How the producer of an output reads in messages.
static std::string describeProducer(StringRef producer) {
  if (producer == "input")
    return "the model's input";
  if (producer == "linear")
    return "a layer without activation";
  return "a " + producer.str();
}

static Error checkRange(const ast::Expr &value, StringRef what, double low,
                        bool lowInclusive, double high,
                        const SourceDiagnostics &diags) {
  double v = value.asDouble();
  bool ok = (lowInclusive ? v >= low : v > low) && v < high;
  if (ok)
    return Error::success();
  std::string range =
      high == HUGE_VAL
          ? llvm::formatv("{0} {1}", lowInclusive ? ">=" : ">",
                          formatNumber(low))
                .str()
          : llvm::formatv("in {0}{1}, {2})", lowInclusive ? "[" : "(",
                          formatNumber(low), formatNumber(high))
                .str();
  return diags.error(value.loc, llvm::formatv("{0} must be {1}, got {2}", what,
                                              range, formatNumber(v)));
}

static Error parseOptimizer(const ast::Expr &value, TrainSpec &spec,
                            const SourceDiagnostics &diags) {
  if (value.kind != ast::Expr::Kind::Identifier &&
      value.kind != ast::Expr::Kind::Call)
    return diags.error(value.loc, "optimizer must be a name or a call such "
                                  "as adam(lr=0.001), not " +
                                      describeExpr(value));
  if (!llvm::is_contained(kOptimizers, StringRef(value.text))) {
    std::string hint = suggestClosest(value.text, kOptimizers);
    if (hint.empty())
      hint =
          "; expected one of " + llvm::join(llvm::ArrayRef(kOptimizers), ", ");
    return diags.error(value.loc,
                       "unknown optimizer '" + value.text + "'" + hint);
  }
  spec.optimizer = value.text;
  bool adam = spec.optimizer == "adam";
  // PyTorch's defaults, so that a bare `optimizer = adam` means what users
  // expect.
  spec.learningRate = adam ? 0.001 : 0.01;
  if (value.kind == ast::Expr::Kind::Identifier)
    return Error::success();

  static const ParamDecl sgdParams[] = {{"lr", ArgKind::Number},
                                        {"momentum", ArgKind::Number}};
  static const ParamDecl adamParams[] = {{"lr", ArgKind::Number},
                                         {"beta1", ArgKind::Number},
                                         {"beta2", ArgKind::Number},
                                         {"eps", ArgKind::Number}};
  auto args = bindArguments(
      value, adam ? llvm::ArrayRef(adamParams) : llvm::ArrayRef(sgdParams),
      diags);
  if (!args)
    return args.takeError();
  struct Check {
    StringRef key;
    double low;
    bool lowInclusive;
    double high;
    double *field;
  };
  const Check checks[] = {
      {"lr", 0.0, false, HUGE_VAL, &spec.learningRate},
      {"momentum", 0.0, true, 1.0, &spec.momentum},
      {"beta1", 0.0, true, 1.0, &spec.beta1},
      {"beta2", 0.0, true, 1.0, &spec.beta2},
      {"eps", 0.0, false, HUGE_VAL, &spec.epsilon},
  };
  for (const Check &check : checks) {
    const ast::Expr *arg = args->get(check.key);
    if (!arg)
      continue;
    if (Error err = checkRange(*arg, check.key, check.low, check.lowInclusive,
                               check.high, diags))
      return err;
    *check.field = arg->asDouble();
  }
  return Error::success();
}

static Expected<int64_t> positiveInteger(const ast::TrainEntry &entry,
                                         const SourceDiagnostics &diags) {
  const ast::Expr &value = entry.value;
  if (value.kind != ast::Expr::Kind::Integer || value.intValue <= 0)
    return diags.error(value.loc, entry.key +
                                      " must be a positive integer, "
                                      "not " +
                                      describeExpr(value));
  return value.intValue;
}

static Error parseMetrics(const ast::Expr &value, TrainSpec &spec,
                          const SourceDiagnostics &diags) {
  if (value.kind != ast::Expr::Kind::List)
    return diags.error(value.loc, "metrics must be a list, as in "
                                  "[accuracy], not " +
                                      describeExpr(value));
  for (const ast::Expr &metric : value.elements) {
    if (Error err = checkChoice(metric, "metric", kMetrics, diags))
      return err;
    if (!llvm::is_contained(spec.metrics, metric.text))
      spec.metrics.push_back(metric.text);
  }
  return Error::success();
}

/// Does the loss fit the output it is applied to?
static Error checkLossAgainstOutput(const ast::Expr &loss,
                                    const OutputInfo &output,
                                    const SourceDiagnostics &diags) {
  auto type = llvm::cast<mlir::RankedTensorType>(output.info.value.getType());
  StringRef producer = output.info.producer;
  std::string noteText = "output '" + output.name + "' is declared here";
  if (loss.text == "cross_entropy") {
    if (type.getRank() != 2 || type.isDynamicDim(1) || type.getDimSize(1) < 2)
      return diags.error(
          loss.loc,
          "cross_entropy needs an output of class scores [batch, classes] "
          "with at least 2 classes, but output '" +
              output.name + "' has " +
              (type.getRank() == 2
                   ? llvm::formatv("{0} column", type.getDimSize(1)).str()
                   : llvm::formatv("rank {0}", type.getRank()).str()) +
              (type.getRank() == 2 && type.getDimSize(1) == 1
                   ? "; for two classes use binary_cross_entropy with a "
                     "sigmoid output"
                   : ""),
          output.loc, noteText);
    if (producer == "softmax" || producer == "log_softmax")
      return diags.error(loss.loc,
                         "cross_entropy takes logits, but output '" +
                             output.name + "' comes from " +
                             describeProducer(producer) +
                             "; remove it (the loss applies softmax itself)",
                         output.loc, noteText);
  } else if (loss.text == "binary_cross_entropy") {
    if (producer != "sigmoid")
      return diags.error(loss.loc,
                         "binary_cross_entropy needs probabilities from a "
                         "sigmoid, but output '" +
                             output.name + "' comes from " +
                             describeProducer(producer) +
                             "; end the model with activation=sigmoid",
                         output.loc, noteText);
  }
  return Error::success();
}

Expected<TrainSpec> buildTrainSpec(const ast::TrainDecl &train,
                                   const ast::ModelDecl &model,
                                   llvm::ArrayRef<OutputInfo> outputs,
                                   const SourceDiagnostics &diags) {
  TrainSpec spec;
  spec.present = true;
  llvm::StringMap<const ast::TrainEntry *> seen;
  const ast::Expr *loss = nullptr;
  bool hasOptimizer = false;

  for (const ast::TrainEntry &entry : train.entries) {
    StringRef key = entry.key;
    if (!llvm::is_contained(kSettings, key)) {
      std::string hint;
      if (key == "lr" || key == "learning_rate" || key == "momentum")
        hint = "; optimizer settings go in the optimizer, as in "
               "adam(lr=0.001) or sgd(lr=0.1, momentum=0.9)";
      else if (hint = suggestClosest(key, kSettings); hint.empty())
        hint = "; settings are " + llvm::join(llvm::ArrayRef(kSettings), ", ");
      return diags.error(entry.keyLoc,
                         "unknown train setting '" + key + "'" + hint);
    }
    auto [it, inserted] = seen.try_emplace(key, &entry);
    if (!inserted)
      return diags.error(entry.keyLoc, "'" + key + "' is set twice",
                         it->second->keyLoc, "first set here");

    const ast::Expr &value = entry.value;
    if (key == "loss") {
      if (Error err = checkChoice(value, "loss", kLosses, diags))
        return err;
      spec.loss = value.text;
      loss = &value;
    } else if (key == "optimizer") {
      if (Error err = parseOptimizer(value, spec, diags))
        return err;
      hasOptimizer = true;
    } else if (key == "batch" || key == "epochs") {
      auto n = positiveInteger(entry, diags);
      if (!n)
        return n.takeError();
      (key == "batch" ? spec.batchSize : spec.epochs) = *n;
    } else {
      if (Error err = parseMetrics(value, spec, diags))
        return err;
    }
  }

  if (!loss)
    return diags.error(train.loc, "the train section needs a loss, as in "
                                  "loss = cross_entropy");
  if (!hasOptimizer)
    return diags.error(train.loc, "the train section needs an optimizer, as "
                                  "in optimizer = adam(lr=0.001)");
  if (outputs.size() != 1)
    return diags.error(train.loc,
                       "training a model with several outputs is not "
                       "supported yet",
                       outputs[1].loc,
                       "model '" + model.name + "' has a second output here");
  if (Error err = checkLossAgainstOutput(*loss, outputs.front(), diags))
    return err;
  if (llvm::is_contained(spec.metrics, "accuracy") && spec.loss == "mse")
    return diags.error(seen["metrics"]->value.loc,
                       "metric 'accuracy' needs a classification loss "
                       "(cross_entropy or binary_cross_entropy), not mse");
  if (llvm::is_contained(spec.metrics, "perplexity") &&
      spec.loss != "cross_entropy")
    return diags.error(seen["metrics"]->value.loc,
                       "metric 'perplexity' (exp of the mean cross-entropy) "
                       "needs loss = cross_entropy, not " + spec.loss);
  return spec;
}

} // namespace neurona::dsl
