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
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona::dsl {

static const StringRef kSettings[] = {"loss",      "optimizer", "batch",
                                      "epochs",    "metrics",   "penalties",
                                      "activity",  "schedule",
                                      "kl",        "kl_weight",
                                      "generator", "discriminator"};
static const StringRef kLosses[] = {"cross_entropy", "binary_cross_entropy",
                                    "mse", "mae"};
static const StringRef kOptimizers[] = {"sgd", "adam", "adamw"};
static const StringRef kMetrics[] = {"accuracy", "perplexity",
                                     "token_accuracy"};
static const StringRef kPenalties[] = {"l1", "l2"};
static const StringRef kSchedules[] = {"step", "cosine"};
static const StringRef kTargets[] = {"labels", "probabilities"};
static const StringRef kReductions[] = {"mean", "sum"};

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

/// A name or a call whose name is one of `choices`; `example` shows the
/// call form in the message.
static Error checkNameOrCall(const ast::Expr &value, StringRef what,
                             llvm::ArrayRef<StringRef> choices,
                             StringRef example,
                             const SourceDiagnostics &diags) {
  if (value.kind != ast::Expr::Kind::Identifier &&
      value.kind != ast::Expr::Kind::Call)
    return diags.error(value.loc, what + " must be a name or a call such "
                                         "as " +
                                      example + ", not " + describeExpr(value));
  if (!llvm::is_contained(choices, StringRef(value.text))) {
    std::string hint = suggestClosest(value.text, choices);
    if (hint.empty())
      hint = "; expected one of " + llvm::join(choices, ", ");
    return diags.error(value.loc,
                       "unknown " + what + " '" + value.text + "'" + hint);
  }
  return Error::success();
}

/// `name(...)`'s arguments; none for a bare name.
static Expected<BoundArgs> bindCall(const ast::Expr &value,
                                    llvm::ArrayRef<ParamDecl> params,
                                    const SourceDiagnostics &diags) {
  static const ast::Expr empty{};
  return bindArguments(value.kind == ast::Expr::Kind::Call ? value : empty,
                       params, diags);
}

static Error parseLoss(const ast::Expr &value, TrainSpec &spec,
                       const SourceDiagnostics &diags) {
  if (Error err = checkNameOrCall(value, "loss", kLosses,
                                  "binary_cross_entropy(from_logits=true)",
                                  diags))
    return err;
  spec.loss = value.text;
  static const ParamDecl bceParams[] = {{"from_logits", ArgKind::Bool},
                                       {"reduction", ArgKind::Identifier}};
  static const ParamDecl ceParams[] = {{"targets", ArgKind::Identifier}};
  static const ParamDecl regressionParams[] = {
      {"reduction", ArgKind::Identifier}};
  llvm::ArrayRef<ParamDecl> params;
  if (spec.loss == "binary_cross_entropy")
    params = bceParams;
  else if (spec.loss == "cross_entropy")
    params = ceParams;
  else
    params = regressionParams;
  auto args = bindCall(value, params, diags);
  if (!args)
    return args.takeError();
  spec.fromLogits = args->getBool("from_logits", false);
  if (const ast::Expr *targets = args->get("targets")) {
    if (Error err = checkChoice(*targets, "targets", kTargets, diags))
      return err;
    spec.softTargets = targets->text == "probabilities";
  }
  if (const ast::Expr *reduction = args->get("reduction")) {
    if (Error err = checkChoice(*reduction, "reduction", kReductions, diags))
      return err;
    spec.reduction = reduction->text;
  }
  return Error::success();
}

static Error parseOptimizer(const ast::Expr &value, TrainSpec &spec,
                            const SourceDiagnostics &diags) {
  if (Error err = checkNameOrCall(value, "optimizer", kOptimizers,
                                  "adam(lr=0.001)", diags))
    return err;
  spec.optimizer = value.text;
  bool adam = spec.optimizer == "adam" || spec.optimizer == "adamw";
  // PyTorch's defaults, so that a bare `optimizer = adam` means what users
  // expect (AdamW's weight decay is 0.01 there).
  spec.learningRate = adam ? 0.001 : 0.01;
  spec.weightDecay = spec.optimizer == "adamw" ? 0.01 : 0.0;

  static const ParamDecl sgdParams[] = {{"lr", ArgKind::Number},
                                        {"momentum", ArgKind::Number},
                                        {"nesterov", ArgKind::Bool},
                                        {"weight_decay", ArgKind::Number}};
  static const ParamDecl adamParams[] = {{"lr", ArgKind::Number},
                                         {"beta1", ArgKind::Number},
                                         {"beta2", ArgKind::Number},
                                         {"eps", ArgKind::Number},
                                         {"weight_decay", ArgKind::Number}};
  auto args = bindCall(
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
      {"weight_decay", 0.0, true, HUGE_VAL, &spec.weightDecay},
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
  spec.nesterov = args->getBool("nesterov", false);
  if (spec.nesterov && !(spec.momentum > 0))
    return diags.error(args->get("nesterov")->loc,
                       "nesterov=true needs a momentum > 0, as in "
                       "sgd(lr=0.1, momentum=0.9, nesterov=true)");
  return Error::success();
}

/// The calls of `penalties = [l2(1e-4), ...]`, or the one call of
/// `activity = l1(1e-4, "code")`.
static Expected<std::vector<const ast::Expr *>>
penaltyCalls(const ast::Expr &value, StringRef key, StringRef example,
             const SourceDiagnostics &diags) {
  std::vector<const ast::Expr *> calls;
  if (value.kind == ast::Expr::Kind::List) {
    for (const ast::Expr &e : value.elements)
      calls.push_back(&e);
  } else {
    calls.push_back(&value);
  }
  for (const ast::Expr *call : calls) {
    if (call->kind != ast::Expr::Kind::Call)
      return diags.error(call->loc, key + " must be a call or a list of "
                                          "calls such as " +
                                        example + ", not " +
                                        describeExpr(*call));
    if (Error err =
            checkNameOrCall(*call, key == "penalties" ? "penalty" : key,
                            kPenalties, example, diags))
      return std::move(err);
  }
  return calls;
}

/// l1/l2's coefficient: required, > 0.
static Expected<double> penaltyCoefficient(const ast::Expr &call,
                                           const BoundArgs &args,
                                           const SourceDiagnostics &diags) {
  const ast::Expr *coefficient = args.get("coefficient");
  if (!coefficient)
    return diags.error(call.loc, "'" + call.text +
                                     "' needs a coefficient, as in " +
                                     call.text + "(0.0001)");
  if (Error err = checkRange(*coefficient, "the penalty coefficient", 0.0,
                             false, HUGE_VAL, diags))
    return std::move(err);
  return coefficient->asDouble();
}

static Error parsePenalties(const ast::Expr &value, const ModelEmitter &model,
                            TrainSpec &spec, const SourceDiagnostics &diags) {
  auto calls = penaltyCalls(value, "penalties",
                            "[l2(0.0001), l1(1e-5, [\"dense0.weight\"])]",
                            diags);
  if (!calls)
    return calls.takeError();
  static const ParamDecl params[] = {
      {"coefficient", ArgKind::Number, true},
      {"params", ArgKind::StringList, true}};
  std::vector<StringRef> known;
  for (const ParamSpec &p : model.getParams())
    known.push_back(p.name);
  for (const ast::Expr *call : *calls) {
    auto args = bindArguments(*call, params, diags);
    if (!args)
      return args.takeError();
    PenaltySpec penalty;
    penalty.kind = call->text;
    auto coefficient = penaltyCoefficient(*call, *args, diags);
    if (!coefficient)
      return coefficient.takeError();
    penalty.coefficient = *coefficient;
    if (const ast::Expr *list = args->get("params")) {
      if (list->elements.empty())
        return diags.error(list->loc,
                           "the parameter list is empty; leave it out to "
                           "penalise every weight");
      for (const ast::Expr &name : list->elements) {
        if (!llvm::is_contained(known, StringRef(name.text)))
          return diags.error(name.loc,
                             "the model has no parameter '" + name.text +
                                 "'" + suggestClosest(name.text, known));
        if (llvm::is_contained(penalty.targets, name.text))
          return diags.error(name.loc, "parameter '" + name.text +
                                           "' is listed twice");
        penalty.targets.push_back(name.text);
      }
    }
    spec.penalties.push_back(std::move(penalty));
  }
  return Error::success();
}

static Error parseActivity(const ast::Expr &value, const ModelEmitter &model,
                           TrainSpec &spec, const SourceDiagnostics &diags) {
  auto calls =
      penaltyCalls(value, "activity", "l1(0.0001, \"code\")", diags);
  if (!calls)
    return calls.takeError();
  static const ParamDecl params[] = {{"coefficient", ArgKind::Number, true},
                                     {"layer", ArgKind::Name, true}};
  for (const ast::Expr *call : *calls) {
    auto args = bindArguments(*call, params, diags);
    if (!args)
      return args.takeError();
    PenaltySpec penalty;
    penalty.kind = call->text;
    auto coefficient = penaltyCoefficient(*call, *args, diags);
    if (!coefficient)
      return coefficient.takeError();
    penalty.coefficient = *coefficient;
    const ast::Expr *layer = args->get("layer");
    if (!layer)
      return diags.error(call->loc, "an activity penalty needs the layer it "
                                    "applies to, as in l1(0.0001, \"code\")");
    const ValueInfo *info = model.findLayer(layer->text);
    if (!info) {
      auto names = model.getLayerNames();
      return diags.error(layer->loc, "the model has no layer named '" +
                                         layer->text + "'" +
                                         suggestClosest(layer->text, names));
    }
    auto *op = info->value.getDefiningOp();
    auto name = op ? mlir::dyn_cast<mlir::NameLoc>(op->getLoc())
                   : mlir::NameLoc();
    if (!name || name.getName() != layer->text)
      return diags.error(layer->loc, "layer '" + layer->text +
                                         "' computes nothing of its own (it "
                                         "passes its input through); "
                                         "penalise the layer before it");
    penalty.targets.push_back(layer->text);
    spec.activity.push_back(std::move(penalty));
  }
  return Error::success();
}

/// `kl = LAYER`: the KL term of `gaussian` layer LAYER.
static Error parseKL(const ast::Expr &value, const ModelEmitter &model,
                     TrainSpec &spec, const SourceDiagnostics &diags) {
  if (value.kind != ast::Expr::Kind::Identifier &&
      value.kind != ast::Expr::Kind::String)
    return diags.error(value.loc, "kl names the model's gaussian layer, as in "
                                  "kl = z, not " +
                                      describeExpr(value));
  const ValueInfo *info = model.findLayer(value.text);
  if (!info) {
    auto names = model.getLayerNames();
    return diags.error(value.loc, "the model has no layer named '" +
                                      value.text + "'" +
                                      suggestClosest(value.text, names));
  }
  if (info->producer != "gaussian")
    return diags.error(value.loc, "kl needs a gaussian layer (a VAE's "
                                  "latent code, as in z = gaussian(16)), but "
                                  "layer '" +
                                      value.text + "' is " +
                                      describeProducer(info->producer));
  PenaltySpec kl;
  kl.kind = "kl";
  kl.coefficient = 1.0;
  kl.targets.push_back(value.text);
  spec.kl.push_back(std::move(kl));
  return Error::success();
}

static Error parseSchedule(const ast::Expr &value, TrainSpec &spec,
                           const SourceDiagnostics &diags) {
  if (Error err = checkNameOrCall(value, "schedule", kSchedules,
                                  "step(every=10, gamma=0.1)", diags))
    return err;
  spec.schedule = value.text;
  static const ParamDecl stepParams[] = {{"every", ArgKind::Integer, true},
                                         {"gamma", ArgKind::Number}};
  static const ParamDecl cosineParams[] = {{"epochs", ArgKind::Integer},
                                           {"min_lr", ArgKind::Number}};
  bool step = spec.schedule == "step";
  auto args = bindCall(value, step ? llvm::ArrayRef(stepParams)
                                   : llvm::ArrayRef(cosineParams),
                       diags);
  if (!args)
    return args.takeError();
  if (step) {
    const ast::Expr *every = args->get("every");
    if (!every)
      return diags.error(value.loc, "the step schedule needs 'every', the "
                                    "epochs between decays, as in "
                                    "step(every=10, gamma=0.1)");
    if (every->intValue <= 0)
      return diags.error(every->loc, "every must be a positive integer, "
                                     "got " +
                                         std::to_string(every->intValue));
    spec.stepEvery = every->intValue;
    if (const ast::Expr *gamma = args->get("gamma")) {
      if (Error err = checkRange(*gamma, "gamma", 0.0, false, HUGE_VAL, diags))
        return err;
      spec.stepGamma = gamma->asDouble();
    }
    return Error::success();
  }
  // 0 until the end of the section: the epochs setting may come later.
  spec.cosineEpochs = 0;
  if (const ast::Expr *epochs = args->get("epochs")) {
    if (epochs->intValue <= 0)
      return diags.error(epochs->loc, "epochs must be a positive integer, "
                                      "got " +
                                          std::to_string(epochs->intValue));
    spec.cosineEpochs = epochs->intValue;
  }
  if (const ast::Expr *minLr = args->get("min_lr")) {
    if (Error err = checkRange(*minLr, "min_lr", 0.0, true, HUGE_VAL, diags))
      return err;
    spec.cosineMinLr = minLr->asDouble();
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
static Error checkLossAgainstOutput(const ast::Expr &loss, bool fromLogits,
                                    const OutputInfo &output,
                                    const SourceDiagnostics &diags) {
  auto type = llvm::cast<mlir::RankedTensorType>(output.info.value.getType());
  StringRef producer = output.info.producer;
  std::string noteText = "output '" + output.name + "' is declared here";
  if (loss.text == "cross_entropy") {
    // [batch, classes], or [batch, steps, classes]: a score per step of a
    // sequence, against a label per step (padding 0 ignored).
    int64_t rank = type.getRank();
    bool scores = (rank == 2 || rank == 3) && !type.isDynamicDim(rank - 1) &&
                  type.getDimSize(rank - 1) >= 2;
    if (!scores)
      return diags.error(
          loss.loc,
          "cross_entropy needs an output of class scores [batch, classes] "
          "(or [batch, steps, classes]) with at least 2 classes, but "
          "output '" +
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
  } else if (loss.text == "binary_cross_entropy" && !fromLogits) {
    if (producer != "sigmoid")
      return diags.error(loss.loc,
                         "binary_cross_entropy needs probabilities from a "
                         "sigmoid, but output '" +
                             output.name + "' comes from " +
                             describeProducer(producer) +
                             "; end the model with activation=sigmoid, or "
                             "use binary_cross_entropy(from_logits=true)",
                         output.loc, noteText);
  } else if (loss.text == "binary_cross_entropy") {
    if (producer == "sigmoid")
      return diags.error(loss.loc,
                         "binary_cross_entropy(from_logits=true) takes "
                         "logits, but output '" +
                             output.name +
                             "' comes from a sigmoid; remove it (the loss "
                             "applies the sigmoid itself)",
                         output.loc, noteText);
  }
  return Error::success();
}

Expected<TrainSpec> buildTrainSpec(const ast::TrainDecl &train,
                                   const ast::ModelDecl &model,
                                   const ModelEmitter &emitter,
                                   const SourceDiagnostics &diags) {
  llvm::ArrayRef<OutputInfo> outputs = emitter.getOutputs();
  TrainSpec spec;
  spec.present = true;
  llvm::StringMap<const ast::TrainEntry *> seen;
  const ast::Expr *loss = nullptr;
  bool hasOptimizer = false;

  for (const ast::TrainEntry &entry : train.entries) {
    StringRef key = entry.key;
    if (!llvm::is_contained(kSettings, key)) {
      std::string hint;
      if (key == "lr" || key == "learning_rate" || key == "momentum" ||
          key == "weight_decay" || key == "nesterov")
        hint = "; optimizer settings go in the optimizer, as in "
               "adam(lr=0.001) or sgd(lr=0.1, momentum=0.9)";
      else if (key == "from_logits")
        hint = "; it is an option of the loss, as in "
               "loss = binary_cross_entropy(from_logits=true)";
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
    if (key == "generator" || key == "discriminator") {
      // A GAN's models: resolved by the importer (Import.cpp).
      (key == "generator" ? spec.generator : spec.discriminator) = value.text;
    } else if (key == "loss") {
      if (Error err = parseLoss(value, spec, diags))
        return err;
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
    } else if (key == "penalties") {
      if (Error err = parsePenalties(value, emitter, spec, diags))
        return err;
    } else if (key == "activity") {
      if (Error err = parseActivity(value, emitter, spec, diags))
        return err;
    } else if (key == "schedule") {
      if (Error err = parseSchedule(value, spec, diags))
        return err;
    } else if (key == "kl") {
      if (Error err = parseKL(value, emitter, spec, diags))
        return err;
    } else if (key == "kl_weight") {
      if (value.kind != ast::Expr::Kind::Integer &&
          value.kind != ast::Expr::Kind::Float)
        return diags.error(value.loc, "kl_weight must be a number, not " +
                                          describeExpr(value));
      if (Error err =
              checkRange(value, "kl_weight", 0.0, false, HUGE_VAL, diags))
        return err;
    } else {
      if (Error err = parseMetrics(value, spec, diags))
        return err;
    }
  }
  if (spec.schedule == "cosine" && spec.cosineEpochs == 0)
    spec.cosineEpochs = spec.epochs;
  if (seen.count("kl_weight")) {
    if (spec.kl.empty())
      return diags.error(seen["kl_weight"]->keyLoc,
                         "kl_weight weighs the kl term; set kl = LAYER too");
    spec.kl.front().coefficient = seen["kl_weight"]->value.asDouble();
  }
  if (spec.kl.empty())
    for (llvm::StringRef name : emitter.getLayerNames())
      if (const ValueInfo *info = emitter.findLayer(name);
          info && info->producer == "gaussian")
        return diags.error(train.loc,
                           "model '" + model.name + "' has gaussian layer '" +
                               name.str() +
                               "' but the train section has no kl term; add "
                               "kl = " +
                               name.str() +
                               " (its KL divergence from N(0, 1), as a VAE "
                               "needs)");

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
  if (Error err = checkLossAgainstOutput(*loss, spec.fromLogits,
                                         outputs.front(), diags))
    return err;
  if (llvm::is_contained(spec.metrics, "accuracy") &&
      (spec.loss == "mse" || spec.loss == "mae"))
    return diags.error(seen["metrics"]->value.loc,
                       "metric 'accuracy' needs a classification loss "
                       "(cross_entropy or binary_cross_entropy), not " +
                           spec.loss);
  if (llvm::is_contained(spec.metrics, "token_accuracy") &&
      (spec.loss != "cross_entropy" ||
       llvm::cast<mlir::RankedTensorType>(
           outputs.front().info.value.getType())
               .getRank() != 3))
    return diags.error(seen["metrics"]->value.loc,
                       "metric 'token_accuracy' needs loss = cross_entropy on "
                       "a sequence of scores [batch, steps, classes]",
                       outputs.front().loc,
                       "output '" + outputs.front().name +
                           "' is declared here");
  if (llvm::is_contained(spec.metrics, "perplexity") &&
      spec.loss != "cross_entropy")
    return diags.error(seen["metrics"]->value.loc,
                       "metric 'perplexity' (exp of the mean cross-entropy) "
                       "needs loss = cross_entropy, not " + spec.loss);
  return spec;
}

} // namespace neurona::dsl
