//===- Autodiff.cpp - reverse-mode differentiation of forward -------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// `nn-autodiff` clones `forward` into two new functions, appends the loss and
// walks the cloned ops backwards, asking each op's GradientOpInterface for
// its vector-Jacobian product. The result is plain `nn` IR: the gradient and
// the optimizer update are compiled, fused and lowered exactly like the
// forward pass, so training runs as native code with no tape at run time.
//
//===----------------------------------------------------------------------===//

#include "neurona/Dialect/NN/IR/NNOps.h"
#include "neurona/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Sequence.h"

namespace mlir::nn {
#define GEN_PASS_DEF_NNAUTODIFF
#include "neurona/Dialect/NN/Transforms/Passes.h.inc"
} // namespace mlir::nn

using namespace mlir;
using namespace mlir::nn;

namespace {

constexpr StringLiteral kRole = "nn.role";
constexpr StringLiteral kName = "nn.name";
/// `nn.trainable = false` marks a parameter the data fixes (input
/// statistics): it has no gradient result, no optimizer state and no
/// param_out, so the runtime keeps its buffer as it is.
constexpr StringLiteral kTrainable = "nn.trainable";

/// One argument or result of a generated function.
struct Slot {
  Type type;
  StringRef role;
  std::string name;
};

/// Adjoints of the values of one function being differentiated.
class Adjoints {
public:
  explicit Adjoints(OpBuilder &b) : b(b) {}

  Value lookup(Value v) const { return grads.lookup(v); }

  void accumulate(Location loc, Value v, Value g) {
    Value &slot = grads[v];
    slot = slot ? AddOp::create(b, loc, slot, g).getResult() : g;
  }

  /// Zeros shaped like `v`, for results nobody consumed.
  Value zerosLike(Location loc, Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.hasStaticShape())
      return ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(0.0f)));
    return BroadcastLikeOp::create(b, loc,
                                   ConstantOp::createScalar(b, loc, 0.0f), v);
  }

private:
  OpBuilder &b;
  DenseMap<Value, Value> grads;
};

/// An L1 or L2 penalty from the `penalties` or `activity` option.
struct Penalty {
  bool l1 = false;
  double coefficient = 0.0;
  /// A parameter or layer name; empty for every weight.
  std::string target;
};

/// Parses `l1:COEFF[:NAME]` (NAME is the rest, so it may hold colons).
static FailureOr<Penalty> parsePenalty(StringRef text) {
  Penalty p;
  auto [kind, rest] = text.split(':');
  auto [coeff, name] = rest.split(':');
  if (kind != "l1" && kind != "l2")
    return failure();
  p.l1 = kind == "l1";
  if (coeff.getAsDouble(p.coefficient) || !(p.coefficient >= 0.0))
    return failure();
  p.target = name.str();
  return p;
}

/// What differentiating one copy of `forward` produced.
struct LossAndGradients {
  Value loss;
  Value prediction;
  SmallVector<Value> paramGrads;
  /// Per parameter: its value after the step where a training-mode op
  /// updates it (running statistics), else null.
  SmallVector<Value> stateUpdates;
};

class NNAutodiffPass : public nn::impl::NNAutodiffBase<NNAutodiffPass> {
public:
  using Base::Base;

  void runOnOperation() override {
    // A pass instance may run on several modules.
    inputArgs.clear();
    paramArgs.clear();
    trainableParam.clear();
    stateParam.clear();
    usedNames.clear();
    paramPenalties.clear();
    activityPenalties.clear();
    activityValues.clear();
    klTerms.clear();
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>(function);
    if (!forward) {
      module.emitError("nn-autodiff: no `func.func @")
          << function << "` to differentiate";
      return signalPassFailure();
    }
    if (failed(checkOptions(forward)) || failed(classifyArguments(forward)) ||
        failed(checkRandomOps(forward)) ||
        failed(checkTrainingModeOps(forward)) ||
        failed(resolvePenalties(forward)))
      return signalPassFailure();
    objective = loss == "objective";
    targetName = objective ? std::string() : freshName("target");
    lrName = freshName("lr");
    // Only models that draw random numbers take the (seed, step) pair, so
    // the entries of every other model keep their arguments.
    rngName = hasRandomOps ? freshName("rng") : std::string();
    lossName = freshName("loss");
    if (failed(buildGradientsFunction(forward)) ||
        failed(buildTrainStepFunction(forward)))
      return signalPassFailure();
  }

private:
  SmallVector<unsigned> inputArgs, paramArgs;
  /// Per entry of paramArgs: false for `nn.trainable = false`.
  SmallVector<bool> trainableParam;
  /// Per entry of paramArgs: true for state a training-mode op updates, which
  /// train_step returns as param_out.
  SmallVector<bool> stateParam;
  /// Parsed `penalties` and `activity`; activity targets resolved to the
  /// value in `forward` they penalise.
  SmallVector<Penalty> paramPenalties, activityPenalties;
  SmallVector<Value> activityValues;
  /// Parsed `kl`: the coefficient, the layer, and its mean and log-variance
  /// in `forward`.
  struct KLTerm {
    double coefficient;
    std::string layer;
    Value mu, logvar;
  };
  SmallVector<KLTerm> klTerms;
  /// Every name in use, so that generated ones (target, lr, loss, optimizer
  /// state) never shadow a user's: the runtime binds by name.
  llvm::StringSet<> usedNames;
  std::string targetName, lrName, rngName, lossName;
  bool hasRandomOps = false;
  /// `loss=objective`: the function's first result is the scalar to
  /// minimise; there is no target and no prediction.
  bool objective = false;

  std::string freshName(StringRef base) {
    std::string name = base.str();
    for (unsigned i = 1; usedNames.contains(name); ++i)
      name = (base + "_" + Twine(i)).str();
    usedNames.insert(name);
    return name;
  }

  LogicalResult checkOptions(func::FuncOp forward) {
    if (loss != "cross_entropy" && loss != "binary_cross_entropy" &&
        loss != "mse" && loss != "mae" && loss != "objective")
      return forward.emitError("nn-autodiff: unknown loss '") << loss << "'";
    if (fromLogits && loss != "binary_cross_entropy")
      return forward.emitError("nn-autodiff: from-logits is an option of "
                               "binary_cross_entropy, not ")
             << loss;
    if (softTargets && loss != "cross_entropy")
      return forward.emitError("nn-autodiff: soft-targets is an option of "
                               "cross_entropy, not ")
             << loss;
    if (optimizer != "sgd" && optimizer != "adam" && optimizer != "adamw")
      return forward.emitError("nn-autodiff: unknown optimizer '")
             << optimizer << "'";
    if (nesterov && (optimizer != "sgd" || momentum <= 0.0))
      return forward.emitError(
          "nn-autodiff: nesterov needs optimizer=sgd with momentum > 0");
    if (!(weightDecay >= 0.0))
      return forward.emitError("nn-autodiff: weight-decay must be >= 0");
    for (const std::string &text : penalties) {
      auto p = parsePenalty(text);
      if (failed(p))
        return forward.emitError("nn-autodiff: bad penalty '")
               << text << "' (expected l1:COEFF, l2:COEFF or l1:COEFF:PARAM "
               << "with COEFF >= 0)";
      paramPenalties.push_back(*p);
    }
    for (const std::string &text : activity) {
      auto p = parsePenalty(text);
      if (failed(p) || p->target.empty())
        return forward.emitError("nn-autodiff: bad activity penalty '")
               << text << "' (expected l1:COEFF:LAYER or l2:COEFF:LAYER "
               << "with COEFF >= 0)";
      activityPenalties.push_back(*p);
    }
    if (reduction != "mean" && reduction != "sum")
      return forward.emitError("nn-autodiff: unknown reduction '")
             << reduction << "' (expected mean or sum)";
    if (reduction == "sum" && loss == "cross_entropy")
      return forward.emitError("nn-autodiff: reduction=sum is for "
                               "binary_cross_entropy, mse and mae; "
                               "cross_entropy is one value per sample");
    for (const std::string &text : kl) {
      auto [coeff, layer] = StringRef(text).split(':');
      KLTerm term{0.0, layer.str(), {}, {}};
      if (coeff.getAsDouble(term.coefficient) || !(term.coefficient >= 0.0) ||
          layer.empty())
        return forward.emitError("nn-autodiff: bad kl term '")
               << text << "' (expected COEFF:LAYER with COEFF >= 0)";
      klTerms.push_back(term);
    }
    if (forward.getNumResults() < 1)
      return forward.emitError("nn-autodiff: forward has no result");
    auto pred = dyn_cast<RankedTensorType>(forward.getResultTypes()[0]);
    if (!pred || !pred.getElementType().isF32())
      return forward.emitError("nn-autodiff: the prediction must be an f32 "
                               "tensor, got ")
             << forward.getResultTypes()[0];
    if (loss == "objective" && pred.getRank() != 0)
      return forward.emitError("nn-autodiff: loss=objective needs a scalar "
                               "first result (the value to minimise), got ")
             << pred;
    // Class scores per row, or per step of a sequence against integer
    // labels (padding 0 ignored; sequenceCrossEntropy).
    if (loss == "cross_entropy" && pred.getRank() != 2 &&
        (pred.getRank() != 3 || softTargets || pred.isDynamicDim(1) ||
         pred.isDynamicDim(2)))
      return forward.emitError("nn-autodiff: cross_entropy needs a 2-D "
                               "(batch x classes) prediction, or with class "
                               "labels a 3-D (batch x steps x classes) one, "
                               "got ")
             << pred;
    return success();
  }

  LogicalResult classifyArguments(func::FuncOp forward) {
    for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
      auto role = forward.getArgAttrOfType<StringAttr>(i, kRole);
      if (role && role.getValue() == "param") {
        paramArgs.push_back(i);
        auto trainable = forward.getArgAttrOfType<BoolAttr>(i, kTrainable);
        // `wrt` narrows training to the parameters it names (or whose
        // names start with one of its entries): one GAN step updates one
        // network and reads the other's parameters as constants.
        auto name = forward.getArgAttrOfType<StringAttr>(i, kName);
        bool chosen = wrt.empty() ||
                      (name && llvm::any_of(wrt, [&](const std::string &w) {
                         return name.getValue().starts_with(w);
                       }));
        trainableParam.push_back((!trainable || trainable.getValue()) &&
                                 chosen);
      } else if (!role || role.getValue() == "input")
        inputArgs.push_back(i);
      else
        return forward.emitError("nn-autodiff: argument ")
               << i << " has unknown role '" << role.getValue() << "'";
      auto name = forward.getArgAttrOfType<StringAttr>(i, kName);
      if (!name)
        return forward.emitError("nn-autodiff: argument ")
               << i << " has no `nn.name`";
      usedNames.insert(name.getValue());
    }
    for (unsigned r = 0; r < forward.getNumResults(); ++r)
      if (auto name = forward.getResultAttrOfType<StringAttr>(r, kName))
        usedNames.insert(name.getValue());
    if (!llvm::is_contained(trainableParam, true))
      return forward.emitError("nn-autodiff: forward has no trainable "
                               "parameters");
    return success();
  }

  /// Random ops must draw independent numbers: one stream each.
  LogicalResult checkRandomOps(func::FuncOp forward) {
    hasRandomOps = false;
    DenseMap<uint64_t, RandomOpInterface> byStream;
    WalkResult walk = forward.walk([&](RandomOpInterface op) {
      hasRandomOps = true;
      auto [it, inserted] = byStream.try_emplace(op.getStream(), op);
      if (inserted)
        return WalkResult::advance();
      InFlightDiagnostic d = op->emitError("nn-autodiff: stream ")
                             << op.getStream()
                             << " is used by two random ops; each needs its "
                                "own so that they draw independent numbers";
      d.attachNote(it->second->getLoc()) << "first used here";
      return WalkResult::interrupt();
    });
    return failure(walk.wasInterrupted());
  }

  /// The state operands of training-mode ops (TrainingModeOpInterface) must
  /// be parameters with `nn.trainable = false`, each updated by one op: the
  /// runtime holds them and train_step returns their new values.
  LogicalResult checkTrainingModeOps(func::FuncOp forward) {
    stateParam.assign(paramArgs.size(), false);
    DenseMap<unsigned, Operation *> updater;
    WalkResult walk = forward.walk([&](TrainingModeOpInterface op) {
      for (auto [operand, result] : op.getStateUpdates()) {
        auto arg = dyn_cast<BlockArgument>(op->getOperand(operand));
        const unsigned *k = arg && arg.getOwner() == &forward.getBody().front()
                                ? llvm::find(paramArgs, arg.getArgNumber())
                                : paramArgs.end();
        BoolAttr trainable =
            k != paramArgs.end()
                ? forward.getArgAttrOfType<BoolAttr>(*k, kTrainable)
                : BoolAttr();
        if (!trainable || trainable.getValue()) {
          op->emitError("nn-autodiff: operand #")
              << operand << " is state that this op updates in training, so "
              << "it must be a parameter of forward with nn.trainable = false";
          return WalkResult::interrupt();
        }
        auto [it, inserted] = updater.try_emplace(*k, op);
        if (!inserted) {
          InFlightDiagnostic d = op->emitError("nn-autodiff: parameter '")
                                 << argName(forward, *k)
                                 << "' is updated in training by two ops";
          d.attachNote(it->second->getLoc()) << "first updated here";
          return WalkResult::interrupt();
        }
        stateParam[k - paramArgs.begin()] = true;
      }
      return WalkResult::advance();
    });
    return failure(walk.wasInterrupted());
  }

  Type rngType() {
    return RankedTensorType::get({2}, IntegerType::get(&getContext(), 64));
  }

  /// Checks parameter names and finds each activity penalty's layer: the
  /// op of `forward` whose location is `NameLoc` LAYER.
  LogicalResult resolvePenalties(func::FuncOp forward) {
    for (const Penalty &p : paramPenalties)
      if (!p.target.empty() && llvm::none_of(paramArgs, [&](unsigned i) {
            return argName(forward, i) == p.target;
          }))
        return forward.emitError("nn-autodiff: penalty on '")
               << p.target << "', which is not a parameter of forward";
    for (const Penalty &p : activityPenalties) {
      Value found;
      forward.walk([&](Operation *op) {
        auto name = dyn_cast<NameLoc>(op->getLoc());
        if (!found && name && name.getName() == p.target &&
            op->getNumResults() == 1)
          found = op->getResult(0);
      });
      if (!found)
        return forward.emitError("nn-autodiff: activity penalty on '")
               << p.target << "': no op of forward is located at that name";
      activityValues.push_back(found);
    }
    for (KLTerm &term : klTerms) {
      auto find = [&](StringRef part) {
        Value found;
        std::string want = term.layer + "." + part.str();
        forward.walk([&](Operation *op) {
          auto name = dyn_cast<NameLoc>(op->getLoc());
          if (!found && name && name.getName() == want &&
              op->getNumResults() == 1)
            found = op->getResult(0);
        });
        return found;
      };
      term.mu = find("mu");
      term.logvar = find("logvar");
      if (!term.mu || !term.logvar)
        return forward.emitError("nn-autodiff: kl term of '")
               << term.layer << "': forward has no ops located at '"
               << term.layer << ".mu' and '" << term.layer << ".logvar'";
      auto muType = cast<RankedTensorType>(term.mu.getType());
      if (muType != term.logvar.getType() || muType.getRank() != 2)
        return forward.emitError("nn-autodiff: kl term of '")
               << term.layer << "': the mean " << muType
               << " and the log-variance " << term.logvar.getType()
               << " must be [batch, units] of one type";
    }
    return success();
  }

  StringRef argName(func::FuncOp f, unsigned i) {
    return f.getArgAttrOfType<StringAttr>(i, kName).getValue();
  }

  Type targetType(func::FuncOp forward) {
    auto pred = cast<RankedTensorType>(forward.getResultTypes()[0]);
    if (loss == "cross_entropy" && !softTargets)
      // A label per row, or per step of [batch, steps, classes] scores.
      return RankedTensorType::get(pred.getShape().drop_back(),
                                   IntegerType::get(&getContext(), 64));
    return pred;
  }

  /// An empty function with the given slots, appended to the module.
  func::FuncOp createFunction(func::FuncOp forward, StringRef name,
                              ArrayRef<Slot> args, ArrayRef<Slot> results) {
    OpBuilder b = OpBuilder::atBlockEnd(getOperation().getBody());
    auto slotTypes = [](ArrayRef<Slot> slots) {
      return llvm::map_to_vector(slots, [](const Slot &s) { return s.type; });
    };
    auto attrsOf = [&](ArrayRef<Slot> slots) {
      return llvm::map_to_vector(slots, [&](const Slot &s) -> Attribute {
        return b.getDictionaryAttr(
            {b.getNamedAttr(kRole, b.getStringAttr(s.role)),
             b.getNamedAttr(kName, b.getStringAttr(s.name))});
      });
    };
    auto fn = func::FuncOp::create(
        b, forward.getLoc(), name,
        b.getFunctionType(slotTypes(args), slotTypes(results)));
    fn.setAllArgAttrs(attrsOf(args));
    fn.setAllResultAttrs(attrsOf(results));
    fn.addEntryBlock();
    return fn;
  }

  /// Clones `forward` into the builder's block (with `map` binding its
  /// arguments), applies the loss and back-propagates to the parameters.
  /// Random ops are put in training mode with `rng` (null when the model has
  /// none).
  FailureOr<LossAndGradients> differentiate(OpBuilder &b, func::FuncOp forward,
                                            IRMapping &map, Value target,
                                            Value rng) {
    Location loc = forward.getLoc();
    SmallVector<Operation *> tape;
    SmallVector<Value> stateUpdates(paramArgs.size());
    for (Operation &op : forward.getBody().front().without_terminator()) {
      Operation *clone = b.clone(op, map);
      if (rng)
        clone->walk([&](RandomOpInterface random) { random.setRng(rng); });
      auto training = dyn_cast<TrainingModeOpInterface>(clone);
      if (!training) {
        tape.push_back(clone);
        continue;
      }
      // The copy gives way to its training computation, whose ops go on
      // the tape and differentiate with their own rules.
      SmallVector<Value> results;
      training.buildTraining(b, results);
      for (Operation *built = clone->getNextNode(); built;
           built = built->getNextNode())
        tape.push_back(built);
      for (auto [result, value] : llvm::zip(op.getResults(), results))
        map.map(result, value);
      for (auto [operand, result] : training.getStateUpdates()) {
        auto arg = cast<BlockArgument>(op.getOperand(operand));
        stateUpdates[llvm::find(paramArgs, arg.getArgNumber()) -
                     paramArgs.begin()] = results[result];
      }
      clone->erase();
    }
    auto ret = cast<func::ReturnOp>(forward.getBody().front().getTerminator());
    Value prediction = map.lookup(ret.getOperand(0));

    Operation *lossOp = nullptr;
    if (objective) {
      // The function computed its own loss.
    } else if (loss == "cross_entropy") {
      // Scores per step [N, T, C] against words [N, T], where 0 is the
      // padding that the loss skips (PyTorch's ignore_index).
      bool perStep = !softTargets &&
                     cast<RankedTensorType>(prediction.getType()).getRank() == 3;
      lossOp = CrossEntropyOp::create(
          b, loc, prediction, target,
          perStep ? b.getI64IntegerAttr(0) : IntegerAttr());
    } else if (loss == "binary_cross_entropy") {
      auto bce = BinaryCrossEntropyOp::create(b, loc, prediction, target);
      bce.setFromLogits(fromLogits);
      lossOp = bce;
    } else if (loss == "mae") {
      lossOp = MAEOp::create(b, loc, prediction, target);
    } else {
      lossOp = MSEOp::create(b, loc, prediction, target);
    }
    Value dataLoss = prediction;
    if (lossOp) {
      tape.push_back(lossOp);
      dataLoss = lossOp->getResult(0);
    }
    if (reduction == "sum") {
      // The mean over every element times the elements of one sample: each
      // sample's sum, averaged over the batch.
      int64_t perSample = 1;
      for (int64_t d : cast<RankedTensorType>(prediction.getType())
                           .getShape()
                           .drop_front())
        perSample *= d;
      auto scale = MulOp::create(
          b, loc, ConstantOp::createScalar(b, loc, float(perSample)), dataLoss);
      tape.push_back(scale);
      dataLoss = scale.getResult();
    }
    Value objective = addPenalties(b, loc, forward, map, dataLoss, tape);

    // Only float values downstream of a trained parameter need a gradient: an
    // integer or bool result (a cast to int, a comparison, argmax) stops
    // the gradient there. A loss that depends on a parameter only through
    // such a result would silently get a zero gradient, so that is an error.
    llvm::SmallPtrSet<Value, 32> active;
    auto isFloat = [](Value v) {
      auto type = dyn_cast<ShapedType>(v.getType());
      return type && isa<FloatType>(type.getElementType());
    };
    for (auto [k, i] : llvm::enumerate(paramArgs)) {
      if (!trainableParam[k])
        continue;
      Value param = map.lookup(forward.getArgument(i));
      llvm::SmallPtrSet<Value, 32> floats{param}, reached{param};
      Operation *stop = nullptr;
      for (Operation *op : tape) {
        auto in = [&](auto &set) {
          return llvm::any_of(op->getOperands(),
                              [&](Value v) { return set.contains(v); });
        };
        if (!in(reached))
          continue;
        bool viaFloat = in(floats);
        for (Value r : op->getResults()) {
          reached.insert(r);
          if (viaFloat && isFloat(r))
            floats.insert(r);
          else if (viaFloat && !stop)
            stop = op;
        }
      }
      if (reached.contains(objective) && !floats.contains(objective))
        return stop->emitError("nn-autodiff: the loss depends on parameter '")
               << argName(forward, i)
               << "' only through this op's integer result, which has no "
                  "gradient";
      active.insert(floats.begin(), floats.end());
    }

    Adjoints adjoints(b);
    adjoints.accumulate(loc, objective, ConstantOp::createScalar(b, loc, 1.0f));
    for (Operation *op : llvm::reverse(tape)) {
      if (!llvm::any_of(op->getResults(),
                        [&](Value r) { return adjoints.lookup(r); }))
        continue;
      if (!llvm::any_of(op->getOperands(),
                        [&](Value v) { return active.contains(v); }))
        continue;
      auto rule = dyn_cast<GradientOpInterface>(op);
      if (!rule)
        return op->emitError("nn-autodiff: no gradient rule for '")
               << op->getName() << "'";
      SmallVector<Value> resultGrads;
      for (Value r : op->getResults()) {
        Value g = adjoints.lookup(r);
        resultGrads.push_back(g ? g : adjoints.zerosLike(op->getLoc(), r));
      }
      SmallVector<Value> operandGrads;
      if (failed(rule.buildGradients(b, resultGrads, operandGrads)))
        return failure();
      assert(operandGrads.size() == op->getNumOperands() &&
             "a gradient rule must return one value per operand");
      for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
        if (g && active.contains(operand))
          adjoints.accumulate(op->getLoc(), operand, g);
    }

    LossAndGradients result{objective, prediction, {}, stateUpdates};
    for (unsigned i : paramArgs) {
      Value p = map.lookup(forward.getArgument(i));
      Value g = adjoints.lookup(p);
      result.paramGrads.push_back(g ? g : adjoints.zerosLike(loc, p));
    }
    return result;
  }

  /// `loss` plus every penalty, built from differentiable nn ops recorded
  /// on `tape` so that the reverse walk differentiates them too.
  Value addPenalties(OpBuilder &b, Location loc, func::FuncOp forward,
                     IRMapping &map, Value loss,
                     SmallVectorImpl<Operation *> &tape) {
    auto track = [&](Operation *op) {
      tape.push_back(op);
      return op->getResult(0);
    };
    // coefficient * reduce(|v| or v^2) over every axis.
    auto term = [&](Value v, const Penalty &p, bool mean) -> Value {
      Value t = p.l1 ? track(AbsOp::create(b, loc, v))
                     : track(MulOp::create(b, loc, v, v));
      int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
      if (rank > 0) {
        auto axes = b.getDenseI64ArrayAttr(
            llvm::to_vector(llvm::seq<int64_t>(0, rank)));
        t = mean ? track(ReduceMeanOp::create(b, loc, t, axes, false))
                 : track(ReduceSumOp::create(b, loc, t, axes, false));
      }
      return track(MulOp::create(
          b, loc, ConstantOp::createScalar(b, loc, float(p.coefficient)), t));
    };
    Value total = loss;
    auto add = [&](Value t) { total = track(AddOp::create(b, loc, total, t)); };
    for (const Penalty &p : paramPenalties)
      for (unsigned i : paramArgs) {
        Value param = forward.getArgument(i);
        bool chosen =
            p.target.empty()
                ? cast<RankedTensorType>(param.getType()).getRank() >= 2
                : argName(forward, i) == p.target;
        if (chosen)
          add(term(map.lookup(param), p, /*mean=*/false));
      }
    for (auto [p, v] : llvm::zip(activityPenalties, activityValues))
      add(term(map.lookup(v), p, /*mean=*/true));
    // -0.5 * coeff * mean over the batch of the sum over the units of
    // (1 + logvar - mu^2 - exp(logvar)).
    for (const KLTerm &kl : klTerms) {
      Value mu = map.lookup(kl.mu), logvar = map.lookup(kl.logvar);
      Value t = track(AddOp::create(b, loc, ConstantOp::createScalar(b, loc, 1.0f),
                                    logvar));
      t = track(SubOp::create(b, loc, t, track(MulOp::create(b, loc, mu, mu))));
      t = track(SubOp::create(b, loc, t, track(ExpOp::create(b, loc, logvar))));
      t = track(ReduceSumOp::create(b, loc, t, b.getDenseI64ArrayAttr({1}),
                                    false));
      t = track(ReduceMeanOp::create(b, loc, t, b.getDenseI64ArrayAttr({0}),
                                     false));
      add(track(MulOp::create(
          b, loc, ConstantOp::createScalar(b, loc, float(-0.5 * kl.coefficient)),
          t)));
    }
    return total;
  }

  LogicalResult buildGradientsFunction(func::FuncOp forward) {
    SmallVector<Slot> args, results;
    for (unsigned i : inputArgs)
      args.push_back(
          {forward.getArgumentTypes()[i], "input", argName(forward, i).str()});
    if (!objective)
      args.push_back({targetType(forward), "target", targetName});
    if (hasRandomOps)
      args.push_back({rngType(), "hyper", rngName});
    for (unsigned i : paramArgs)
      args.push_back(
          {forward.getArgumentTypes()[i], "param", argName(forward, i).str()});
    Type scalar = RankedTensorType::get({}, Float32Type::get(&getContext()));
    results.push_back({scalar, "loss", lossName});
    for (auto [k, i] : llvm::enumerate(paramArgs))
      if (trainableParam[k])
        results.push_back(
            {forward.getArgumentTypes()[i], "grad", argName(forward, i).str()});

    func::FuncOp fn =
        createFunction(forward, prefix + "gradients", args, results);
    OpBuilder b = OpBuilder::atBlockEnd(&fn.getBody().front());
    IRMapping map;
    unsigned next = 0;
    for (unsigned i : inputArgs)
      map.map(forward.getArgument(i), fn.getArgument(next++));
    Value target = objective ? Value() : fn.getArgument(next++);
    Value rng = hasRandomOps ? fn.getArgument(next++) : Value();
    for (unsigned i : paramArgs)
      map.map(forward.getArgument(i), fn.getArgument(next++));

    auto diff = differentiate(b, forward, map, target, rng);
    if (failed(diff))
      return failure();
    SmallVector<Value> rets{diff->loss};
    for (auto [k, g] : llvm::enumerate(diff->paramGrads))
      if (trainableParam[k])
        rets.push_back(g);
    func::ReturnOp::create(b, forward.getLoc(), rets);
    return success();
  }

  LogicalResult buildTrainStepFunction(func::FuncOp forward) {
    MLIRContext *ctx = &getContext();
    Type scalar = RankedTensorType::get({}, Float32Type::get(ctx));
    bool adam = optimizer == "adam" || optimizer == "adamw";
    bool momentumSgd = !adam && momentum != 0.0;

    SmallVector<Slot> args, results;
    for (unsigned i : inputArgs)
      args.push_back(
          {forward.getArgumentTypes()[i], "input", argName(forward, i).str()});
    if (!objective)
      args.push_back({targetType(forward), "target", targetName});
    args.push_back({scalar, "hyper", lrName});
    if (hasRandomOps)
      args.push_back({rngType(), "hyper", rngName});
    for (unsigned i : paramArgs)
      args.push_back(
          {forward.getArgumentTypes()[i], "param", argName(forward, i).str()});
    // Optimizer state, named after the parameter it belongs to.
    SmallVector<Slot> state;
    for (auto [k, i] : llvm::enumerate(paramArgs)) {
      if (!trainableParam[k])
        continue;
      Type t = forward.getArgumentTypes()[i];
      std::string name = argName(forward, i).str();
      if (adam) {
        state.push_back({t, "state", freshName(name + ".adam_m")});
        state.push_back({t, "state", freshName(name + ".adam_v")});
      } else if (momentumSgd) {
        state.push_back({t, "state", freshName(name + ".momentum")});
      }
    }
    if (adam)
      state.push_back({scalar, "state", freshName(prefix + "adam.step")});
    llvm::append_range(args, state);

    results.push_back({scalar, "loss", lossName});
    if (!objective)
      results.push_back({forward.getResultTypes()[0], "output",
                         forward.getResultAttrOfType<StringAttr>(0, kName)
                             ? forward.getResultAttrOfType<StringAttr>(0, kName)
                                   .getValue()
                                   .str()
                             : std::string("output")});
    for (auto [k, i] : llvm::enumerate(paramArgs))
      if (trainableParam[k] || stateParam[k])
        results.push_back({forward.getArgumentTypes()[i], "param_out",
                           argName(forward, i).str()});
    for (const Slot &s : state)
      results.push_back({s.type, "state_out", s.name});

    func::FuncOp fn =
        createFunction(forward, prefix + "train_step", args, results);
    OpBuilder b = OpBuilder::atBlockEnd(&fn.getBody().front());
    Location loc = forward.getLoc();
    IRMapping map;
    unsigned next = 0;
    for (unsigned i : inputArgs)
      map.map(forward.getArgument(i), fn.getArgument(next++));
    Value target = objective ? Value() : fn.getArgument(next++);
    Value lr = fn.getArgument(next++);
    Value rng = hasRandomOps ? fn.getArgument(next++) : Value();
    SmallVector<Value> params;
    for (unsigned i : paramArgs) {
      params.push_back(fn.getArgument(next));
      map.map(forward.getArgument(i), fn.getArgument(next++));
    }
    auto stateArgs = fn.getArguments().drop_front(next);

    auto diff = differentiate(b, forward, map, target, rng);
    if (failed(diff))
      return failure();

    // Per parameter: its new value, or null when the step leaves it as is.
    SmallVector<Value> newParams(params.size()), newState;
    Value step;
    if (adam)
      step = AddOp::create(b, loc, stateArgs.back(),
                           ConstantOp::createScalar(b, loc, 1.0f));
    // Optimizer state is laid out per trainable parameter.
    unsigned t = 0;
    for (auto [k, p] : llvm::enumerate(params)) {
      if (!trainableParam[k])
        continue;
      Value g = diff->paramGrads[k];
      unsigned slot = t++;
      if (adam) {
        auto upd = AdamUpdateOp::create(
            b, loc, p, g, stateArgs[2 * slot], stateArgs[2 * slot + 1], lr,
            step,
            b.getF32FloatAttr(beta1), b.getF32FloatAttr(beta2),
            b.getF32FloatAttr(epsilon), b.getF32FloatAttr(weightDecay),
            optimizer == "adamw" ? b.getUnitAttr() : UnitAttr());
        newParams[k] = upd.getNewParam();
        newState.push_back(upd.getNewM());
        newState.push_back(upd.getNewV());
      } else if (momentumSgd) {
        auto upd = SGDUpdateOp::create(b, loc, p, g, stateArgs[slot], lr,
                                       b.getF32FloatAttr(momentum),
                                       nesterov ? b.getUnitAttr() : UnitAttr(),
                                       b.getF32FloatAttr(weightDecay));
        newParams[k] = upd.getNewParam();
        newState.push_back(upd.getNewVelocity());
      } else {
        // Plain SGD needs no state: p - lr (g + weight_decay p), which
        // elementwise fusion turns into one loop.
        if (weightDecay != 0.0)
          g = AddOp::create(
              b, loc, g,
              MulOp::create(b, loc, p,
                            ConstantOp::createScalar(b, loc,
                                                     float(weightDecay))));
        newParams[k] = SubOp::create(b, loc, p, MulOp::create(b, loc, g, lr));
      }
    }
    if (adam)
      newState.push_back(step);

    SmallVector<Value> rets{diff->loss};
    if (!objective)
      rets.push_back(diff->prediction);
    for (auto [k, p] : llvm::enumerate(newParams))
      if (trainableParam[k] || stateParam[k])
        rets.push_back(p ? p : diff->stateUpdates[k]);
    llvm::append_range(rets, newState);
    func::ReturnOp::create(b, loc, rets);
    return success();
  }
};

} // namespace
