//===- Layers.cpp - the DSL's layers --------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// One emitter per layer, found by name in a table. A dense layer is
// `nn.matmul` with a weight of shape [in, out] followed by `nn.add` of a bias
// [out] and the activation, exactly what the ONNX importer makes of a Gemm or
// MatMul+Add, so that a model imports to the same IR from either format.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona::dsl {

static const StringRef kActivations[] = {"linear", "relu",    "sigmoid",
                                         "tanh",   "softmax", "log_softmax"};
static const StringRef kWeightInits[] = {"glorot_uniform", "he_uniform",
                                         "zeros", "ones"};
static const StringRef kBiasInits[] = {"zeros", "ones"};

static std::string formatShape(Type type) {
  std::string text = "[";
  for (auto [i, dim] :
       llvm::enumerate(cast<RankedTensorType>(type).getShape())) {
    if (i)
      text += ", ";
    text += ShapedType::isDynamic(dim) ? std::string("?") : std::to_string(dim);
  }
  return text + "]";
}

/// Applies activation `name` (one of kActivations) to `x`. `axis` is for
/// softmax and log_softmax and has been range-checked.
static ValueInfo activate(LayerContext &ctx, StringRef name, Value x,
                          int64_t axis = -1) {
  OpBuilder &b = ctx.emitter.builder();
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  Value y = x;
  if (name == "relu")
    y = nn::ReluOp::create(b, ctx.loc, x);
  else if (name == "sigmoid")
    y = nn::SigmoidOp::create(b, ctx.loc, x);
  else if (name == "tanh")
    y = nn::TanhOp::create(b, ctx.loc, x);
  else if (name == "softmax")
    y = nn::SoftmaxOp::create(
        b, ctx.loc, x, b.getI64IntegerAttr(canonicalSoftmaxAxis(axis, rank)));
  else if (name == "log_softmax")
    y = nn::LogSoftmaxOp::create(
        b, ctx.loc, x, b.getI64IntegerAttr(canonicalSoftmaxAxis(axis, rank)));
  return {y, name.str()};
}

static Expected<ValueInfo> emitDense(LayerContext &ctx) {
  static const ParamDecl params[] = {
      {"units", ArgKind::Integer, /*positional=*/true},
      {"activation", ArgKind::Identifier},
      {"init", ArgKind::Identifier},
      {"bias", ArgKind::Bool},
      {"bias_init", ArgKind::Identifier},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  const ast::Expr *units = args->get("units");
  if (!units)
    return diags.error(ctx.call.loc, "'dense' needs its number of units, as "
                                     "in dense(128)");
  if (units->intValue <= 0)
    return diags.error(units->loc, llvm::formatv("the number of units must "
                                                 "be positive, got {0}",
                                                 units->intValue));
  for (auto [key, what, choices] :
       {std::tuple{"activation", "activation", llvm::ArrayRef(kActivations)},
        std::tuple{"init", "initializer", llvm::ArrayRef(kWeightInits)},
        std::tuple{"bias_init", "bias initializer",
                   llvm::ArrayRef(kBiasInits)}})
    if (const ast::Expr *value = args->get(key))
      if (Error err = checkChoice(*value, what, choices, diags))
        return err;
  bool hasBias = args->getBool("bias", true);
  if (!hasBias && args->get("bias_init"))
    return diags.error(args->get("bias_init")->loc,
                       "'bias_init' is meaningless with bias=false");

  auto inputType = cast<RankedTensorType>(ctx.input.value.getType());
  if (inputType.getRank() != 2)
    return diags.error(
        ctx.call.loc,
        "'dense' needs a 2-D input [batch, features], but its "
        "input is " +
            formatShape(inputType) +
            (inputType.getRank() > 2 ? "; add flatten() before it" : ""));

  OpBuilder &b = ctx.emitter.builder();
  int64_t in = inputType.getDimSize(1), out = units->intValue;
  if (out > kMaxTensorElements / in)
    return diags.error(units->loc, llvm::formatv("a weight of {0}x{1} is too "
                                                 "large (more than 2^40 "
                                                 "elements)",
                                                 in, out));
  Value weight = ctx.emitter.addParam(
      ctx.name + ".weight", {in, out},
      args->getIdentifier("init", "glorot_uniform"), ctx.call.loc);
  Value y = nn::MatmulOp::create(b, ctx.loc, ctx.input.value, weight);
  if (hasBias) {
    Value bias = ctx.emitter.addParam(ctx.name + ".bias", {out},
                                      args->getIdentifier("bias_init", "zeros"),
                                      ctx.call.loc);
    y = nn::AddOp::create(b, ctx.loc, y, bias);
  }
  return activate(ctx, args->getIdentifier("activation", "linear"), y);
}

static Expected<ValueInfo> emitFlatten(LayerContext &ctx) {
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, {}, diags);
  if (!args)
    return args.takeError();
  auto type = cast<RankedTensorType>(ctx.input.value.getType());
  if (type.getRank() < 2)
    return diags.error(ctx.call.loc, "'flatten' needs per-example dimensions "
                                     "to flatten, but its input is " +
                                         formatShape(type));
  // [?, a, b, ...] becomes [?, a*b*...]; a 2-D input is already flat.
  if (type.getRank() == 2)
    return ctx.input;
  int64_t features = 1;
  for (int64_t dim : type.getShape().drop_front())
    features *= dim;
  auto flat = RankedTensorType::get({ShapedType::kDynamic, features},
                                    type.getElementType());
  Value y = nn::ReshapeOp::create(ctx.emitter.builder(), ctx.loc, flat,
                                  ctx.input.value);
  return ValueInfo{y, ctx.input.producer};
}

/// relu(), sigmoid(), tanh(), softmax(axis=-1), log_softmax(axis=-1).
static Expected<ValueInfo> emitActivationLayer(LayerContext &ctx) {
  StringRef kind = ctx.call.text;
  bool hasAxis = kind == "softmax" || kind == "log_softmax";
  static const ParamDecl axisParams[] = {{"axis", ArgKind::Integer}};
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call,
                            hasAxis ? llvm::ArrayRef(axisParams)
                                    : llvm::ArrayRef<ParamDecl>(),
                            diags);
  if (!args)
    return args.takeError();
  int64_t axis = args->getInt("axis", -1);
  if (hasAxis) {
    int64_t rank = cast<RankedTensorType>(ctx.input.value.getType()).getRank();
    if (nn::normalizeAxis(axis, rank) < 0)
      return diags.error(args->get("axis")->loc,
                         llvm::formatv("axis {0} is out of range for an "
                                       "input of rank {1}",
                                       axis, rank));
  }
  return activate(ctx, kind, ctx.input.value, axis);
}

static const std::pair<StringRef, LayerFn> kLayers[] = {
    {"dense", emitDense},
    {"flatten", emitFlatten},
    {"relu", emitActivationLayer},
    {"sigmoid", emitActivationLayer},
    {"tanh", emitActivationLayer},
    {"softmax", emitActivationLayer},
    {"log_softmax", emitActivationLayer},
};

LayerFn lookupLayer(StringRef name) {
  for (const auto &[layerName, fn] : kLayers)
    if (layerName == name)
      return fn;
  return nullptr;
}

llvm::ArrayRef<StringRef> layerNames() {
  static const llvm::SmallVector<StringRef> names = [] {
    llvm::SmallVector<StringRef> result;
    for (const auto &entry : kLayers)
      result.push_back(entry.first);
    return result;
  }();
  return names;
}

bool isPlannedLayer(StringRef name) {
  static const StringRef planned[] = {"conv2d",    "max_pool2d", "avg_pool2d",
                                      "embedding", "rnn",        "lstm",
                                      "gru",       "dropout",    "batch_norm"};
  return llvm::is_contained(planned, name);
}

} // namespace neurona::dsl
