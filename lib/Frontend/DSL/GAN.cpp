//===- GAN.cpp - a generator and a discriminator as one model -------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// A GAN is two models trained in alternation (Goodfellow et al. 2014). They
// are emitted as usual, each into its own `forward`, and then composed here
// into one module whose functions inline them:
//
//   generate(noise, G...) -> image                       G(noise)
//   discriminate(image, D...) -> real                    D(image)
//   d_objective(image, noise, G..., D...) -> d_loss      BCE(D(x), 1) + BCE(D(G(z)), 0)
//   g_objective(noise, G..., D...) -> g_loss             BCE(D(G(z)), 1)
//
// Parameters are renamed `<model>.<name>`, so that each has one name, and
// so one runtime buffer, in every entry. nn-autodiff then builds
// d_train_step from d_objective with respect to the discriminator's
// parameters and g_train_step from g_objective with respect to the
// generator's (docs/design.md, "Several networks").
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace neurona::dsl {

namespace {

/// One network of the pair: its `forward` and how its arguments are
/// renamed.
struct Network {
  mutable func::FuncOp forward;
  std::string prefix;

  unsigned numParams() const { return forward.getNumArguments() - 1; }
  Type paramType(unsigned k) const { return forward.getArgumentTypes()[k + 1]; }
  std::string paramName(unsigned k) const {
    return prefix + "." +
           forward.getArgAttrOfType<StringAttr>(k + 1, kNameAttrName)
               .getValue()
               .str();
  }
  StringRef inputName() const {
    return forward.getArgAttrOfType<StringAttr>(0, kNameAttrName).getValue();
  }
  StringRef outputName() const {
    return forward.getResultAttrOfType<StringAttr>(0, kNameAttrName).getValue();
  }
};

/// Builds functions of the composed module.
class Composer {
public:
  Composer(ModuleOp module, const Network &g, const Network &d, bool logits)
      : module(module), b(module.getContext()), g(g), d(d), logits(logits) {}

  /// `name(inputs..., G params if withG..., D params if withD...)`; returns
  /// the entry block's arguments after the inputs.
  Block *begin(StringRef name, ArrayRef<std::pair<Type, std::string>> inputs,
               bool withG, bool withD, Type result, StringRef resultName) {
    SmallVector<Type> types;
    SmallVector<Attribute> attrs;
    auto dict = [&](StringRef role, StringRef argName) {
      return b.getDictionaryAttr(
          {b.getNamedAttr(kRoleAttrName, b.getStringAttr(role)),
           b.getNamedAttr(kNameAttrName, b.getStringAttr(argName))});
    };
    for (const auto &[type, inputName] : inputs) {
      types.push_back(type);
      attrs.push_back(dict("input", inputName));
    }
    for (const Network *net : {&g, &d})
      if ((net == &g && withG) || (net == &d && withD))
        for (unsigned k = 0; k < net->numParams(); ++k) {
          types.push_back(net->paramType(k));
          attrs.push_back(dict("param", net->paramName(k)));
        }
    b.setInsertionPointToEnd(module.getBody());
    auto fn = func::FuncOp::create(b, g.forward.getLoc(), name,
                                   b.getFunctionType(types, {result}));
    fn.setAllArgAttrs(attrs);
    fn.setAllResultAttrs(ArrayRef<Attribute>{dict("output", resultName)});
    Block *block = fn.addEntryBlock();
    b.setInsertionPointToEnd(block);
    return block;
  }

  /// Inlines `net`'s forward on `input` with parameters `params`.
  Value apply(const Network &net, Value input, ValueRange params) {
    IRMapping map;
    map.map(net.forward.getArgument(0), input);
    for (unsigned k = 0; k < net.numParams(); ++k)
      map.map(net.forward.getArgument(k + 1), params[k]);
    Block &body = net.forward.getBody().front();
    for (Operation &op : body.without_terminator())
      b.clone(op, map);
    return map.lookup(body.getTerminator()->getOperand(0));
  }

  /// Binary cross-entropy of the discriminator's `score` against a constant
  /// label (1 real, 0 generated), the mean over the batch.
  Value bce(Value score, float label) {
    Location loc = g.forward.getLoc();
    Value target = nn::BroadcastLikeOp::create(
        b, loc, nn::ConstantOp::createScalar(b, loc, label), score);
    auto op = nn::BinaryCrossEntropyOp::create(b, loc, score, target);
    op.setFromLogits(logits);
    return op.getResult();
  }

  void finish(Value result) {
    func::ReturnOp::create(b, g.forward.getLoc(), result);
  }

  OpBuilder &builder() { return b; }

private:
  ModuleOp module;
  OpBuilder b;
  const Network &g, &d;
  bool logits;
};

} // namespace

llvm::Expected<ImportedModel> composeGAN(llvm::StringRef name,
                                         ImportedModel &generator,
                                         ImportedModel &discriminator,
                                         const TrainSpec &spec) {
  MLIRContext *ctx = generator.module->getContext();
  Network g{generator.module->lookupSymbol<func::FuncOp>("forward"),
            generator.name};
  Network d{discriminator.module->lookupSymbol<func::FuncOp>("forward"),
            discriminator.name};
  OpBuilder top(ctx);
  ImportedModel result;
  result.name = name.str();
  result.module = ModuleOp::create(g.forward.getLoc(), name);
  ModuleOp module = *result.module;
  Composer c(module, g, d, spec.fromLogits);

  Type noise = g.forward.getArgumentTypes()[0];
  Type image = d.forward.getArgumentTypes()[0];
  Type score = d.forward.getResultTypes()[0];
  Type scalar = RankedTensorType::get({}, Float32Type::get(ctx));
  std::string noiseName = g.inputName().str(), imageName = d.inputName().str();
  unsigned gp = g.numParams(), dp = d.numParams();

  Block *blk = c.begin("generate", {{noise, noiseName}}, true, false,
                       g.forward.getResultTypes()[0], g.outputName());
  c.finish(c.apply(g, blk->getArgument(0), blk->getArguments().drop_front()));

  blk = c.begin("discriminate", {{image, imageName}}, false, true, score,
                d.outputName());
  c.finish(c.apply(d, blk->getArgument(0), blk->getArguments().drop_front()));

  // The discriminator's step: real images are 1, generated ones 0 (the sum
  // of the two means, as PyTorch's DCGAN example reports errD).
  blk = c.begin("d_objective", {{image, imageName}, {noise, noiseName}}, true,
                true, scalar, "d_loss");
  auto args = blk->getArguments();
  Value fake = c.apply(g, args[1], args.slice(2, gp));
  Value real = c.apply(d, args[0], args.slice(2 + gp, dp));
  Value fakeScore = c.apply(d, fake, args.slice(2 + gp, dp));
  Location loc = g.forward.getLoc();
  Value realLoss = c.bce(real, 1.0f);
  Value fakeLoss = c.bce(fakeScore, 0.0f);
  c.finish(nn::AddOp::create(c.builder(), loc, realLoss, fakeLoss));

  // The generator's step: its images should score 1 (the non-saturating
  // loss of Goodfellow et al.).
  blk = c.begin("g_objective", {{noise, noiseName}}, true, true, scalar,
                "g_loss");
  args = blk->getArguments();
  fake = c.apply(g, args[0], args.slice(1, gp));
  c.finish(c.bce(c.apply(d, fake, args.slice(1 + gp, dp)), 1.0f));

  for (const ImportedModel *m : {&generator, &discriminator})
    for (ParamSpec p : m->params) {
      p.name = m->name + "." + p.name;
      result.params.push_back(std::move(p));
    }
  if (llvm::Error err = verifyWithDiagnostics(module, "GAN: "))
    return std::move(err);
  return result;
}

} // namespace neurona::dsl
