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
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona::dsl {

static const StringRef kActivations[] = {
    "linear",     "relu", "sigmoid", "tanh",     "softmax",  "log_softmax",
    "leaky_relu", "elu",  "selu",    "softplus", "softsign", "hard_sigmoid"};
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

/// Applies activation `name` (one of kActivations) to `x`. `args` are the
/// activation layer's arguments (none for `dense(activation=...)`, which
/// uses the defaults); a softmax axis in them has been range-checked.
static ValueInfo activate(LayerContext &ctx, StringRef name, Value x,
                          const BoundArgs *args = nullptr) {
  OpBuilder &b = ctx.emitter.builder();
  Location loc = ctx.loc;
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  auto number = [&](StringRef key, double defaultValue) {
    return b.getF32FloatAttr(args ? args->getNumber(key, defaultValue)
                                  : defaultValue);
  };
  auto axis = [&] {
    int64_t given = args ? args->getInt("axis", -1) : -1;
    return b.getI64IntegerAttr(canonicalSoftmaxAxis(given, rank));
  };
  Value y = x;
  if (name == "relu")
    y = nn::ReluOp::create(b, loc, x);
  else if (name == "sigmoid")
    y = nn::SigmoidOp::create(b, loc, x);
  else if (name == "tanh")
    y = nn::TanhOp::create(b, loc, x);
  else if (name == "softmax")
    y = nn::SoftmaxOp::create(b, loc, x, axis());
  else if (name == "log_softmax")
    y = nn::LogSoftmaxOp::create(b, loc, x, axis());
  else if (name == "leaky_relu")
    y = nn::LeakyReluOp::create(b, loc, x, number("alpha", 0.01));
  else if (name == "elu")
    y = nn::EluOp::create(b, loc, x, number("alpha", 1.0));
  else if (name == "selu")
    y = nn::SeluOp::create(b, loc, x);
  else if (name == "softplus")
    y = nn::SoftplusOp::create(b, loc, x);
  else if (name == "softsign")
    y = nn::SoftsignOp::create(b, loc, x);
  else if (name == "hard_sigmoid")
    y = nn::HardSigmoidOp::create(b, loc, x, number("alpha", 0.2),
                                  number("beta", 0.5));
  return {y, name.str()};
}

/// The checks of the arguments `dense`, `maxout` and `conv2d` have in
/// common: a known activation and known initializers (the ones given), and no
/// `bias_init` with bias=false, which would otherwise be silently ignored.
static Error checkLayerChoices(const BoundArgs &args,
                               const SourceDiagnostics &diags) {
  for (auto [key, what, choices] :
       {std::tuple{"activation", "activation", llvm::ArrayRef(kActivations)},
        std::tuple{"init", "initializer", llvm::ArrayRef(kWeightInits)},
        std::tuple{"bias_init", "bias initializer",
                   llvm::ArrayRef(kBiasInits)}})
    if (const ast::Expr *value = args.get(key))
      if (Error err = checkChoice(*value, what, choices, diags))
        return err;
  if (!args.getBool("bias", true) && args.get("bias_init"))
    return diags.error(args.get("bias_init")->loc,
                       "'bias_init' is meaningless with bias=false");
  return Error::success();
}

/// The checks of a layer built on a [features, outputs] weight (`dense`,
/// `maxout`): each of `counts` (an argument and what it counts) positive,
/// the choices of checkLayerChoices, and a 2-D input, since the weight
/// multiplies the features of a flat input.
static Error
checkDenseLike(LayerContext &ctx, const BoundArgs &args,
               llvm::ArrayRef<std::pair<const ast::Expr *, StringRef>> counts,
               bool allowSequence = false) {
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  for (auto [value, noun] : counts)
    if (value->intValue <= 0)
      return diags.error(value->loc,
                         llvm::formatv("the number of {0} must be positive, "
                                       "got {1}",
                                       noun, value->intValue));
  if (Error err = checkLayerChoices(args, diags))
    return err;
  auto inputType = cast<RankedTensorType>(ctx.input.value.getType());
  if (inputType.getRank() == 2 ||
      (allowSequence && inputType.getRank() == 3 && ctx.input.sequence))
    return Error::success();
  return diags.error(
      ctx.call.loc,
      "'" + ctx.call.text +
          "' needs a 2-D input [batch, features], but its input is " +
          formatShape(inputType) +
          (inputType.getRank() > 2 ? "; add flatten() before it" : ""));
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
  if (Error err = checkDenseLike(ctx, *args, {{units, "units"}},
                                 /*allowSequence=*/true))
    return err;
  bool hasBias = args->getBool("bias", true);
  auto inputType = cast<RankedTensorType>(ctx.input.value.getType());

  OpBuilder &b = ctx.emitter.builder();
  // A sequence [?, T, F] is applied to step by step (time-distributed, as
  // Keras's Dense on a 3-D input and PyTorch's Linear): one batched product
  // with the [F, units] weight gives [?, T, units].
  bool sequence = inputType.getRank() == 3;
  int64_t in = inputType.getDimSize(sequence ? 2 : 1), out = units->intValue;
  if (out > kMaxTensorElements / in)
    return diags.error(units->loc, llvm::formatv("a weight of {0}x{1} is too "
                                                 "large (more than 2^40 "
                                                 "elements)",
                                                 in, out));
  Value weight = ctx.emitter.addParam(
      ctx.name + ".weight", {in, out},
      args->getIdentifier("init", "glorot_uniform"), ctx.call.loc);
  Value bias;
  if (hasBias)
    bias = ctx.emitter.addParam(ctx.name + ".bias", {out},
                                args->getIdentifier("bias_init", "zeros"),
                                ctx.call.loc);
  Value y = nn::MatmulOp::create(b, ctx.loc, ctx.input.value, weight);
  if (bias)
    y = nn::AddOp::create(b, ctx.loc, y, bias);
  ValueInfo result =
      activate(ctx, args->getIdentifier("activation", "linear"), y);
  result.sequence = sequence;
  return result;
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

/// relu(), sigmoid(), tanh(), softmax(axis=-1), log_softmax(axis=-1),
/// leaky_relu(alpha=0.01), elu(alpha=1.0), selu(), softplus(), softsign(),
/// hard_sigmoid(alpha=0.2, beta=0.5).
static Expected<ValueInfo> emitActivationLayer(LayerContext &ctx) {
  StringRef kind = ctx.call.text;
  static const ParamDecl axisParams[] = {{"axis", ArgKind::Integer}};
  static const ParamDecl alphaParams[] = {{"alpha", ArgKind::Number}};
  static const ParamDecl alphaBetaParams[] = {{"alpha", ArgKind::Number},
                                              {"beta", ArgKind::Number}};
  llvm::ArrayRef<ParamDecl> params;
  if (kind == "softmax" || kind == "log_softmax")
    params = axisParams;
  else if (kind == "leaky_relu" || kind == "elu")
    params = alphaParams;
  else if (kind == "hard_sigmoid")
    params = alphaBetaParams;
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  if (const ast::Expr *axisArg = args->get("axis")) {
    int64_t rank = cast<RankedTensorType>(ctx.input.value.getType()).getRank();
    if (nn::normalizeAxis(axisArg->intValue, rank) < 0)
      return diags.error(axisArg->loc,
                         llvm::formatv("axis {0} is out of range for an "
                                       "input of rank {1}",
                                       axisArg->intValue, rank));
  }
  return activate(ctx, kind, ctx.input.value, &*args);
}

/// maxout(units, k): a dense layer with units * k outputs whose consecutive
/// groups of k are reduced to their maximum (Goodfellow et al.), i.e. a
/// reshape of [?, units * k] to [?, units, k] and reduce_max over the last
/// axis. Unit i is the maximum of outputs i * k to i * k + k - 1.
static Expected<ValueInfo> emitMaxout(LayerContext &ctx) {
  static const ParamDecl params[] = {
      {"units", ArgKind::Integer, /*positional=*/true},
      {"k", ArgKind::Integer, /*positional=*/true},
      {"init", ArgKind::Identifier},
      {"bias", ArgKind::Bool},
      {"bias_init", ArgKind::Identifier},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  const ast::Expr *units = args->get("units");
  const ast::Expr *pieces = args->get("k");
  if (!units || !pieces)
    return diags.error(ctx.call.loc, "'maxout' needs its number of units and "
                                     "of linear pieces per unit, as in "
                                     "maxout(64, 4)");
  if (Error err =
          checkDenseLike(ctx, *args, {{units, "units"}, {pieces, "pieces"}}))
    return err;
  bool hasBias = args->getBool("bias", true);
  auto inputType = cast<RankedTensorType>(ctx.input.value.getType());
  int64_t in = inputType.getDimSize(1), k = pieces->intValue;
  int64_t unitCount = units->intValue;
  if (unitCount > kMaxTensorElements / k ||
      unitCount * k > kMaxTensorElements / in)
    return diags.error(ctx.call.loc,
                       llvm::formatv("a weight of {0}x({1}*{2}) is too large "
                                     "(more than 2^40 elements)",
                                     in, unitCount, k));
  int64_t out = unitCount * k;

  OpBuilder &b = ctx.emitter.builder();
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
  auto grouped = RankedTensorType::get({inputType.getDimSize(0), unitCount, k},
                                       inputType.getElementType());
  y = nn::ReshapeOp::create(b, ctx.loc, grouped, y);
  y = nn::ReduceMaxOp::create(b, ctx.loc, y, b.getDenseI64ArrayAttr({2}),
                              /*keepdims=*/false);
  return ValueInfo{y, "maxout"};
}

/// Fails unless the layer's input is an NCHW image batch.
static Expected<RankedTensorType> imageInput(LayerContext &ctx) {
  auto type = cast<RankedTensorType>(ctx.input.value.getType());
  if (type.getRank() != 4)
    return ctx.emitter.getDiags().error(
        ctx.call.loc, "'" + ctx.call.text +
                          "' needs an image input [batch, channels, height, "
                          "width], but its input is " +
                          formatShape(type));
  return type;
}

/// Fails unless the integer argument `key`, when given, is at least `min`.
static Error checkAtLeast(const BoundArgs &args, StringRef key, int64_t min,
                          const SourceDiagnostics &diags) {
  const ast::Expr *value = args.get(key);
  if (value && value->intValue < min)
    return diags.error(value->loc, llvm::formatv("'{0}' must be at least {1}, "
                                                 "got {2}",
                                                 key, min, value->intValue));
  return Error::success();
}

/// Checks that a `kernel` window (dilated) fits the padded image and that
/// it leaves at least one output position.
static Error checkWindowFits(LayerContext &ctx, RankedTensorType image,
                             int64_t kernel, int64_t stride, int64_t dilation,
                             ArrayRef<int64_t> padding, bool ceilMode) {
  for (int64_t d = 0; d < 2; ++d)
    if (nn::windowOutputSize(image.getDimSize(2 + d), kernel, stride,
                             padding[d], padding[d + 2], dilation,
                             ceilMode) <= 0)
      return ctx.emitter.getDiags().error(
          ctx.call.loc,
          llvm::formatv(
              "a {0}x{0} window{1} does not fit the input {2} "
              "padded to {3}x{4}",
              kernel,
              dilation > 1 ? llvm::formatv(" (dilation {0})", dilation).str()
                           : std::string(),
              formatShape(image), image.getDimSize(2) + padding[0] + padding[2],
              image.getDimSize(3) + padding[1] + padding[3]));
  return Error::success();
}

/// conv2d(filters, kernel, stride=1, padding="valid"|"same"|int,
/// dilation=1, groups=1, activation=, init=, bias=, bias_init=): an
/// `nn.conv2d` with a weight [filters, channels / groups, kernel, kernel]
/// and a bias [filters]. "same" pads as TensorFlow does: the output is
/// ceil(size / stride) and an odd total padding puts the extra row below.
static Expected<ValueInfo> emitConv2d(LayerContext &ctx) {
  static const ParamDecl params[] = {
      {"filters", ArgKind::Integer, /*positional=*/true},
      {"kernel", ArgKind::Integer, /*positional=*/true},
      {"stride", ArgKind::Integer},
      {"padding", ArgKind::IntegerOrString},
      {"dilation", ArgKind::Integer},
      {"groups", ArgKind::Integer},
      {"activation", ArgKind::Identifier},
      {"init", ArgKind::Identifier},
      {"bias", ArgKind::Bool},
      {"bias_init", ArgKind::Identifier},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  const ast::Expr *filters = args->get("filters");
  const ast::Expr *kernelArg = args->get("kernel");
  if (!filters || !kernelArg)
    return diags.error(ctx.call.loc, "'conv2d' needs its number of filters "
                                     "and its kernel size, as in "
                                     "conv2d(16, 3)");
  for (StringRef key : {"filters", "kernel", "stride", "dilation", "groups"})
    if (Error err = checkAtLeast(*args, key, 1, diags))
      return std::move(err);
  if (Error err = checkLayerChoices(*args, diags))
    return std::move(err);
  bool hasBias = args->getBool("bias", true);
  auto image = imageInput(ctx);
  if (!image)
    return image.takeError();

  int64_t channels = image->getDimSize(1), out = filters->intValue;
  int64_t kernel = kernelArg->intValue;
  int64_t stride = args->getInt("stride", 1);
  int64_t dilation = args->getInt("dilation", 1);
  int64_t groups = args->getInt("groups", 1);
  if (channels % groups != 0 || out % groups != 0)
    return diags.error(args->get("groups")->loc,
                       llvm::formatv("groups={0} must divide the input "
                                     "channels ({1}) and the filters ({2})",
                                     groups, channels, out));
  SmallVector<int64_t> padding(4, 0);
  if (const ast::Expr *pad = args->get("padding")) {
    if (pad->kind == ast::Expr::Kind::Integer) {
      if (pad->intValue < 0)
        return diags.error(pad->loc, llvm::formatv("padding must not be "
                                                   "negative, got {0}",
                                                   pad->intValue));
      padding.assign(4, pad->intValue);
    } else if (pad->text == "same") {
      for (int64_t d = 0; d < 2; ++d) {
        int64_t size = image->getDimSize(2 + d);
        int64_t outSize = (size + stride - 1) / stride;
        int64_t total = std::max<int64_t>(
            (outSize - 1) * stride + dilation * (kernel - 1) + 1 - size, 0);
        padding[d] = total / 2;
        padding[d + 2] = total - total / 2;
      }
    } else if (pad->text != "valid") {
      return diags.error(pad->loc, "padding must be \"same\", \"valid\" or "
                                   "an integer, got '" +
                                       pad->text + "'");
    }
  }
  if (Error err = checkWindowFits(ctx, *image, kernel, stride, dilation,
                                  padding, false))
    return std::move(err);
  int64_t perGroup = channels / groups;
  if (out > kMaxTensorElements / (perGroup * kernel * kernel))
    return diags.error(filters->loc, "the convolution's weight is too large "
                                     "(more than 2^40 elements)");

  OpBuilder &b = ctx.emitter.builder();
  Value weight = ctx.emitter.addParam(
      ctx.name + ".weight", {out, perGroup, kernel, kernel},
      args->getIdentifier("init", "glorot_uniform"), ctx.call.loc);
  Value bias;
  if (hasBias)
    bias = ctx.emitter.addParam(ctx.name + ".bias", {out},
                                args->getIdentifier("bias_init", "zeros"),
                                ctx.call.loc);
  Value y = nn::Conv2dOp::create(b, ctx.loc, ctx.input.value, weight, bias,
                                 b.getDenseI64ArrayAttr({stride, stride}),
                                 b.getDenseI64ArrayAttr(padding),
                                 b.getDenseI64ArrayAttr({dilation, dilation}),
                                 b.getI64IntegerAttr(groups));
  return activate(ctx, args->getIdentifier("activation", "linear"), y);
}

/// conv2d_transpose(filters, kernel, stride=1, padding="valid"|"same"|int,
/// output_padding=0, dilation=1, groups=1, activation=, init=, bias=,
/// bias_init=): an `nn.conv_transpose2d` with a weight [channels, filters /
/// groups, kernel, kernel] (PyTorch's and ONNX's layout) and a bias
/// [filters]. The output is stride * (size - 1) + dilation * (kernel - 1)
/// + 1 - 2 * padding + output_padding (PyTorch's ConvTranspose2d); "same"
/// makes it size * stride as Keras's Conv2DTranspose: the transpose of
/// conv2d(padding="same") from the larger image, cropping an odd total
/// below and right.
static Expected<ValueInfo> emitConv2dTranspose(LayerContext &ctx) {
  static const ParamDecl params[] = {
      {"filters", ArgKind::Integer, /*positional=*/true},
      {"kernel", ArgKind::Integer, /*positional=*/true},
      {"stride", ArgKind::Integer},
      {"padding", ArgKind::IntegerOrString},
      {"output_padding", ArgKind::Integer},
      {"dilation", ArgKind::Integer},
      {"groups", ArgKind::Integer},
      {"activation", ArgKind::Identifier},
      {"init", ArgKind::Identifier},
      {"bias", ArgKind::Bool},
      {"bias_init", ArgKind::Identifier},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  const ast::Expr *filters = args->get("filters");
  const ast::Expr *kernelArg = args->get("kernel");
  if (!filters || !kernelArg)
    return diags.error(ctx.call.loc, "'conv2d_transpose' needs its number of "
                                     "filters and its kernel size, as in "
                                     "conv2d_transpose(16, 3, stride=2)");
  for (StringRef key : {"filters", "kernel", "stride", "dilation", "groups"})
    if (Error err = checkAtLeast(*args, key, 1, diags))
      return std::move(err);
  if (Error err = checkAtLeast(*args, "output_padding", 0, diags))
    return std::move(err);
  if (Error err = checkLayerChoices(*args, diags))
    return std::move(err);
  bool hasBias = args->getBool("bias", true);
  auto image = imageInput(ctx);
  if (!image)
    return image.takeError();

  int64_t channels = image->getDimSize(1), out = filters->intValue;
  int64_t kernel = kernelArg->intValue;
  int64_t stride = args->getInt("stride", 1);
  int64_t dilation = args->getInt("dilation", 1);
  int64_t groups = args->getInt("groups", 1);
  int64_t outputPadding = args->getInt("output_padding", 0);
  if (channels % groups != 0 || out % groups != 0)
    return diags.error(args->get("groups")->loc,
                       llvm::formatv("groups={0} must divide the input "
                                     "channels ({1}) and the filters ({2})",
                                     groups, channels, out));
  if (outputPadding >= stride)
    return diags.error(args->get("output_padding")->loc,
                       llvm::formatv("output_padding {0} must be smaller than "
                                     "the stride {1}",
                                     outputPadding, stride));
  SmallVector<int64_t> padding(4, 0), extra(2, outputPadding);
  if (const ast::Expr *pad = args->get("padding")) {
    if (pad->kind == ast::Expr::Kind::Integer) {
      if (pad->intValue < 0)
        return diags.error(pad->loc, llvm::formatv("padding must not be "
                                                   "negative, got {0}",
                                                   pad->intValue));
      padding.assign(4, pad->intValue);
    } else if (pad->text == "same") {
      if (args->get("output_padding"))
        return diags.error(args->get("output_padding")->loc,
                           "'output_padding' is meaningless with "
                           "padding=\"same\", which makes the output "
                           "size * stride");
      // conv2d(padding="same") from size * stride back to size pads
      // max(total, 0) with the odd row below; a negative total (a stride
      // beyond the dilated kernel) leaves rows that only the bias reaches.
      int64_t total = dilation * (kernel - 1) + 1 - stride;
      for (int64_t d = 0; d < 2; ++d) {
        if (total >= 0) {
          padding[d] = total / 2;
          padding[d + 2] = total - total / 2;
        } else {
          extra[d] = -total;
        }
      }
    } else if (pad->text != "valid") {
      return diags.error(pad->loc, "padding must be \"same\", \"valid\" or "
                                   "an integer, got '" +
                                       pad->text + "'");
    }
  }
  for (int64_t d = 0; d < 2; ++d)
    if (stride * (image->getDimSize(2 + d) - 1) + dilation * (kernel - 1) + 1 -
            padding[d] - padding[d + 2] + extra[d] <=
        0)
      return diags.error(args->get("padding")->loc,
                         llvm::formatv("padding {0} leaves no output of the "
                                       "input {1}",
                                       padding[d], formatShape(*image)));
  int64_t perGroup = out / groups;
  if (channels > kMaxTensorElements / (perGroup * kernel * kernel))
    return diags.error(filters->loc, "the convolution's weight is too large "
                                     "(more than 2^40 elements)");

  OpBuilder &b = ctx.emitter.builder();
  Value weight = ctx.emitter.addParam(
      ctx.name + ".weight", {channels, perGroup, kernel, kernel},
      args->getIdentifier("init", "glorot_uniform"), ctx.call.loc);
  Value bias;
  if (hasBias)
    bias = ctx.emitter.addParam(ctx.name + ".bias", {out},
                                args->getIdentifier("bias_init", "zeros"),
                                ctx.call.loc);
  Value y = nn::ConvTranspose2dOp::create(
      b, ctx.loc, ctx.input.value, weight, bias,
      b.getDenseI64ArrayAttr({stride, stride}), b.getDenseI64ArrayAttr(padding),
      b.getDenseI64ArrayAttr(extra),
      b.getDenseI64ArrayAttr({dilation, dilation}),
      b.getI64IntegerAttr(groups));
  return activate(ctx, args->getIdentifier("activation", "linear"), y);
}

/// max_pool2d(kernel, stride=kernel, padding=0, ceil_mode=false) and
/// avg_pool2d(..., count_include_pad=false), as PyTorch's defaults.
static Expected<ValueInfo> emitPool2d(LayerContext &ctx) {
  bool isMax = ctx.call.text == "max_pool2d";
  static const ParamDecl maxParams[] = {
      {"kernel", ArgKind::Integer, /*positional=*/true},
      {"stride", ArgKind::Integer},
      {"padding", ArgKind::Integer},
      {"ceil_mode", ArgKind::Bool},
  };
  static const ParamDecl avgParams[] = {
      {"kernel", ArgKind::Integer, /*positional=*/true},
      {"stride", ArgKind::Integer},
      {"padding", ArgKind::Integer},
      {"ceil_mode", ArgKind::Bool},
      {"count_include_pad", ArgKind::Bool},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(
      ctx.call, isMax ? llvm::ArrayRef(maxParams) : llvm::ArrayRef(avgParams),
      diags);
  if (!args)
    return args.takeError();
  const ast::Expr *kernelArg = args->get("kernel");
  if (!kernelArg)
    return diags.error(ctx.call.loc, "'" + ctx.call.text +
                                         "' needs its window size, as in " +
                                         ctx.call.text + "(2)");
  for (StringRef key : {"kernel", "stride"})
    if (Error err = checkAtLeast(*args, key, 1, diags))
      return std::move(err);
  if (Error err = checkAtLeast(*args, "padding", 0, diags))
    return std::move(err);
  auto image = imageInput(ctx);
  if (!image)
    return image.takeError();
  int64_t kernel = kernelArg->intValue;
  int64_t stride = args->getInt("stride", kernel);
  int64_t pad = args->getInt("padding", 0);
  if (pad >= kernel)
    return diags.error(args->get("padding")->loc,
                       llvm::formatv("padding {0} must be smaller than the "
                                     "window size {1}",
                                     pad, kernel));
  bool ceilMode = args->getBool("ceil_mode", false);
  SmallVector<int64_t> padding(4, pad);
  if (Error err =
          checkWindowFits(ctx, *image, kernel, stride, 1, padding, ceilMode))
    return std::move(err);

  OpBuilder &b = ctx.emitter.builder();
  auto kernelAttr = b.getDenseI64ArrayAttr({kernel, kernel});
  auto strideAttr = b.getDenseI64ArrayAttr({stride, stride});
  auto padAttr = b.getDenseI64ArrayAttr(padding);
  UnitAttr ceil = ceilMode ? b.getUnitAttr() : UnitAttr();
  Value y;
  if (isMax)
    y = nn::MaxPool2dOp::create(b, ctx.loc, ctx.input.value, kernelAttr,
                                strideAttr, padAttr, ceil, UnitAttr());
  else
    y = nn::AvgPool2dOp::create(
        b, ctx.loc, ctx.input.value, kernelAttr, strideAttr, padAttr, ceil,
        args->getBool("count_include_pad", false) ? b.getUnitAttr()
                                                  : UnitAttr());
  return ValueInfo{y, ctx.call.text};
}

/// global_avg_pool2d(): [?, C, H, W] to [?, C, 1, 1].
static Expected<ValueInfo> emitGlobalAvgPool2d(LayerContext &ctx) {
  auto args = bindArguments(ctx.call, {}, ctx.emitter.getDiags());
  if (!args)
    return args.takeError();
  auto image = imageInput(ctx);
  if (!image)
    return image.takeError();
  Value y = nn::GlobalAvgPool2dOp::create(ctx.emitter.builder(), ctx.loc,
                                          ctx.input.value);
  return ValueInfo{y, "global_avg_pool2d"};
}

/// dropout(rate) and gaussian_noise(stddev): identity in `forward`; in
/// training (train_step, gradients) inverted dropout with probability `rate`
/// in [0, 1), or added N(0, stddev^2) noise with `stddev` >= 0. Each draws
/// from a stream of its own.
static Expected<ValueInfo> emitRandomLayer(LayerContext &ctx) {
  bool isDropout = ctx.call.text == "dropout";
  StringRef key = isDropout ? "rate" : "stddev";
  const ParamDecl params[] = {{key, ArgKind::Number, /*positional=*/true}};
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  const ast::Expr *arg = args->get(key);
  if (!arg)
    return diags.error(ctx.call.loc,
                       isDropout ? "'dropout' needs the fraction of inputs to "
                                   "drop, as in dropout(0.5)"
                                 : "'gaussian_noise' needs the standard "
                                   "deviation of its noise, as in "
                                   "gaussian_noise(0.1)");
  double value = args->getNumber(key, 0.0);
  float narrowed = float(value);
  std::string shown = llvm::formatv("{0}", llvm::format("%g", value)).str();
  if (isDropout && !(value >= 0.0 && narrowed < 1.0f))
    return diags.error(arg->loc, "the dropout rate must be in [0, 1) (the "
                                 "fraction of inputs zeroed), got " +
                                     shown);
  if (!isDropout && !(value >= 0.0 && std::isfinite(narrowed)))
    return diags.error(arg->loc, "the noise's standard deviation must be "
                                 "finite and >= 0, got " +
                                     shown);
  OpBuilder &b = ctx.emitter.builder();
  auto stream = b.getI64IntegerAttr(ctx.emitter.takeRandomStream());
  Value y;
  if (isDropout)
    y = nn::DropoutOp::create(b, ctx.loc, ctx.input.value, Value(),
                              b.getF32FloatAttr(narrowed), stream);
  else
    y = nn::GaussianNoiseOp::create(b, ctx.loc, ctx.input.value, Value(),
                                    b.getF32FloatAttr(narrowed), stream);
  return ValueInfo{y, ctx.call.text};
}

/// gaussian(units, init=glorot_uniform): a VAE's latent layer (Kingma &
/// Welling 2014). Two dense heads of the input, the mean `mu` and the
/// log-variance `logvar` ([?, units] each; parameters `<name>.mu.weight`,
/// `<name>.mu.bias`, `<name>.logvar.weight`, `<name>.logvar.bias`), and the
/// reparameterised sample z = mu + exp(0.5 logvar) * eps with eps ~ N(0, 1)
/// from `nn.random_normal`. In `forward` eps is its expectation 0, so z is
/// the mean; in training it is drawn. The heads' ops are located at
/// `<name>.mu` and `<name>.logvar` for the train section's `kl`, and the
/// layers after this one become the `decode` entry.
static Expected<ValueInfo> emitGaussian(LayerContext &ctx) {
  static const ParamDecl params[] = {
      {"units", ArgKind::Integer, /*positional=*/true},
      {"init", ArgKind::Identifier},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  const ast::Expr *units = args->get("units");
  if (!units)
    return diags.error(ctx.call.loc, "'gaussian' needs the size of its latent "
                                     "code, as in gaussian(16)");
  if (Error err = checkDenseLike(ctx, *args, {{units, "units"}}))
    return err;
  if (Error err = ctx.emitter.setLatentLayer(ctx.name, ctx.call.loc))
    return err;
  auto inputType = cast<RankedTensorType>(ctx.input.value.getType());
  int64_t in = inputType.getDimSize(1), out = units->intValue;
  if (out > kMaxTensorElements / in)
    return diags.error(units->loc, llvm::formatv("a weight of {0}x{1} is too "
                                                 "large (more than 2^40 "
                                                 "elements)",
                                                 in, out));
  OpBuilder &b = ctx.emitter.builder();
  auto head = [&](StringRef part) {
    std::string prefix = ctx.name + "." + part.str();
    Value w = ctx.emitter.addParam(
        prefix + ".weight", {in, out},
        args->getIdentifier("init", "glorot_uniform"), ctx.call.loc);
    Value bias =
        ctx.emitter.addParam(prefix + ".bias", {out}, "zeros", ctx.call.loc);
    Location at = NameLoc::get(b.getStringAttr(prefix), ctx.loc);
    Value y = nn::MatmulOp::create(b, ctx.loc, ctx.input.value, w);
    return Value(nn::AddOp::create(b, at, y, bias));
  };
  Value mu = head("mu");
  Value logvar = head("logvar");
  Value eps = nn::RandomNormalOp::create(
      b, ctx.loc, mu, Value(),
      b.getI64IntegerAttr(ctx.emitter.takeRandomStream()));
  Value half = nn::ConstantOp::createScalar(b, ctx.loc, 0.5f);
  Value stddev = nn::ExpOp::create(b, ctx.loc,
                                   nn::MulOp::create(b, ctx.loc, half, logvar));
  Value z = nn::AddOp::create(b, ctx.loc, mu,
                              nn::MulOp::create(b, ctx.loc, stddev, eps));
  return ValueInfo{z, "gaussian"};
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

/// batch_norm(eps=1e-5, momentum=0.1): PyTorch's BatchNorm1d on features
/// [?, F] and BatchNorm2d on images [?, C, H, W], one `nn.batch_norm` with
/// the learnable `<name>.weight` (gamma, ones) and `<name>.bias` (beta,
/// zeros) and the running statistics `<name>.running_mean` (zeros) and
/// `<name>.running_var` (ones), which are parameters with
/// `nn.trainable = false`: saved, loaded and embedded like the others, and
/// written back by train_step rather than by the optimizer.
static Expected<ValueInfo> emitBatchNorm(LayerContext &ctx) {
  static const ParamDecl params[] = {
      {"eps", ArgKind::Number},
      {"momentum", ArgKind::Number},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  double eps = args->getNumber("eps", 1e-5);
  double momentum = args->getNumber("momentum", 0.1);
  if (!(eps > 0.0 && float(eps) > 0.0f && std::isfinite(float(eps))))
    return diags.error(args->get("eps")->loc,
                       llvm::formatv("eps must be a finite number > 0 (added "
                                     "to the variance), got {0}",
                                     llvm::format("%g", eps)));
  if (!(momentum >= 0.0 && momentum <= 1.0))
    return diags.error(args->get("momentum")->loc,
                       llvm::formatv("momentum must be in [0, 1] (the weight "
                                     "of the batch in the running "
                                     "statistics), got {0}",
                                     llvm::format("%g", momentum)));
  auto inputType = cast<RankedTensorType>(ctx.input.value.getType());
  // A rank-3 value is a sequence [?, steps, features], whose features are
  // last; PyTorch's BatchNorm1d on [N, C, L] would normalise the steps.
  if (inputType.getRank() != 2 && inputType.getRank() != 4)
    return diags.error(
        ctx.call.loc,
        "'batch_norm' needs features [batch, features] or images [batch, "
        "channels, height, width], but its input is " +
            formatShape(inputType) +
            (inputType.getRank() == 3 && ctx.input.sequence
                 ? "; sequences are not supported"
                 : ""));
  int64_t channels = inputType.getDimSize(1);
  auto param = [&](StringRef suffix, StringRef init, bool trainable) {
    return ctx.emitter.addParam(ctx.name + "." + suffix.str(), {channels}, init,
                                ctx.call.loc, trainable);
  };
  Value weight = param("weight", "ones", true);
  Value bias = param("bias", "zeros", true);
  Value runningMean = param("running_mean", "zeros", false);
  Value runningVar = param("running_var", "ones", false);
  OpBuilder &b = ctx.emitter.builder();
  auto op = nn::BatchNormOp::create(
      b, ctx.loc, ctx.input.value, weight, bias, runningMean, runningVar,
      b.getF32FloatAttr(float(eps)), b.getF32FloatAttr(float(momentum)),
      UnitAttr());
  return ValueInfo{op.getOutput(), "batch_norm"};
}

//===----------------------------------------------------------------------===//
// Sequences
//===----------------------------------------------------------------------===//

static Expected<ValueInfo> emitEmbedding(LayerContext &ctx) {
  static const ParamDecl params[] = {
      {"vocab", ArgKind::Integer, /*positional=*/true},
      {"dim", ArgKind::Integer, /*positional=*/true},
      {"padding_idx", ArgKind::Integer},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  auto args = bindArguments(ctx.call, params, diags);
  if (!args)
    return args.takeError();
  const ast::Expr *vocab = args->get("vocab"), *dim = args->get("dim");
  if (!vocab || !dim)
    return diags.error(ctx.call.loc, "'embedding' needs its vocabulary size "
                                     "and dimension, as in "
                                     "embedding(10000, 100)");
  if (vocab->intValue < 2)
    return diags.error(vocab->loc,
                       llvm::formatv("the vocabulary needs at least 2 ids "
                                     "(padding and one word), got {0}",
                                     vocab->intValue));
  if (dim->intValue <= 0)
    return diags.error(dim->loc, llvm::formatv("the embedding dimension must "
                                               "be positive, got {0}",
                                               dim->intValue));
  if (dim->intValue > kMaxTensorElements / vocab->intValue)
    return diags.error(dim->loc, "the embedding table is too large (more "
                                 "than 2^40 elements)");
  int64_t padding = args->getInt("padding_idx", 0);
  if (padding < -1 || padding >= vocab->intValue)
    return diags.error(args->get("padding_idx")->loc,
                       llvm::formatv("padding_idx must be an id in [0, {0}) "
                                     "or -1 for none, got {1}",
                                     vocab->intValue, padding));
  auto inputType = cast<RankedTensorType>(ctx.input.value.getType());
  if (inputType.getRank() != 2)
    return diags.error(ctx.call.loc,
                       "'embedding' needs ids [batch, steps], but its input "
                       "is " +
                           formatShape(inputType) +
                           "; declare 'input NAME: ids[steps]'");
  if (ctx.input.inputIndex >= 0)
    ctx.emitter.setInputBound(ctx.input.inputIndex, vocab->intValue);
  OpBuilder &b = ctx.emitter.builder();
  Value table = ctx.emitter.addParam(ctx.name + ".weight",
                                     {vocab->intValue, dim->intValue},
                                     "small_uniform", ctx.call.loc);
  IntegerAttr paddingAttr =
      padding >= 0 ? b.getI64IntegerAttr(padding) : IntegerAttr();
  ValueInfo out;
  out.value =
      nn::EmbeddingOp::create(b, ctx.loc, ctx.input.value, table, paddingAttr);
  out.producer = "embedding";
  out.sequence = true;
  if (padding >= 0)
    out.mask = nn::SequenceMaskOp::create(b, ctx.loc, ctx.input.value,
                                          b.getI64IntegerAttr(padding));
  return out;
}

/// The state `initial_state=NAME` names: a layer of the same `kind` (rnn,
/// lstm or gru) with return_state=true whose state has `units` units.
static Expected<const ValueInfo *> initialState(LayerContext &ctx,
                                                const ast::Expr &ref,
                                                StringRef kind, int64_t units) {
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  std::vector<StringRef> known;
  const ValueInfo *state = ctx.emitter.findValue(ref.text, &known);
  if (!state)
    return diags.error(ref.loc, "no input or layer is named '" + ref.text +
                                    "'" + suggestClosest(ref.text, known));
  std::string article = kind == "gru" ? "a " : "an ";
  if (!state->stateH)
    return diags.error(ref.loc, "initial_state takes " + article + kind.str() +
                                    "'s state, but '" + ref.text + "' is not " +
                                    article + kind.str() +
                                    " with return_state=true");
  if (state->producer != kind)
    return diags.error(ref.loc, "initial_state takes " + article + kind.str() +
                                    "'s state, but '" + ref.text + "' holds " +
                                    (state->producer == "gru" ? "a " : "an ") +
                                    state->producer + "'s");
  int64_t stateUnits =
      cast<RankedTensorType>(state->stateH.getType()).getDimSize(1);
  if (stateUnits != units)
    return diags.error(ref.loc,
                       llvm::formatv("the state of '{0}' has {1} units, but "
                                     "this {2} has {3}",
                                     ref.text, stateUnits, kind, units));
  return state;
}

/// `rnn(units, return_sequences=false, return_state=false,
/// initial_state=NAME)`, the same for `lstm` and `gru(...,
/// linear_before_reset=true)` (Keras's reset_after and PyTorch's GRU).
/// `return_state=true` keeps the last state (an lstm's h and c, an rnn's or
/// gru's h) for another layer of the same kind's `initial_state`.
static Expected<ValueInfo> emitRecurrent(LayerContext &ctx) {
  static const ParamDecl params[] = {
      {"units", ArgKind::Integer, /*positional=*/true},
      {"return_sequences", ArgKind::Bool},
      {"return_state", ArgKind::Bool},
      {"initial_state", ArgKind::Identifier},
  };
  static const ParamDecl gruParams[] = {
      {"units", ArgKind::Integer, /*positional=*/true},
      {"return_sequences", ArgKind::Bool},
      {"return_state", ArgKind::Bool},
      {"initial_state", ArgKind::Identifier},
      {"linear_before_reset", ArgKind::Bool},
  };
  const SourceDiagnostics &diags = ctx.emitter.getDiags();
  StringRef kind = ctx.call.text;
  bool lstm = kind == "lstm", gru = kind == "gru";
  auto args = bindArguments(
      ctx.call, gru ? llvm::ArrayRef(gruParams) : llvm::ArrayRef(params),
      diags);
  if (!args)
    return args.takeError();
  const ast::Expr *units = args->get("units");
  if (!units)
    return diags.error(ctx.call.loc, "'" + kind.str() +
                                         "' needs its number of units, as "
                                         "in " +
                                         kind.str() + "(128)");
  if (units->intValue <= 0)
    return diags.error(units->loc,
                       llvm::formatv("the number of units must be positive, "
                                     "got {0}",
                                     units->intValue));
  auto inputType = cast<RankedTensorType>(ctx.input.value.getType());
  if (inputType.getRank() != 3)
    return diags.error(
        ctx.call.loc,
        "'" + kind.str() +
            "' needs a sequence input [batch, steps, features], but its "
            "input is " +
            formatShape(inputType) +
            (inputType.getRank() == 2
                 ? "; put embedding() or an rnn/lstm/gru with "
                   "return_sequences=true before it"
                 : ""));
  int64_t gates = lstm ? 4 : gru ? 3 : 1, h = units->intValue;
  int64_t f = inputType.getDimSize(2);
  if (h > kMaxTensorElements / (gates * (f + h)))
    return diags.error(units->loc, "the layer's weights are too large (more "
                                   "than 2^40 elements)");
  OpBuilder &b = ctx.emitter.builder();
  Value w = ctx.emitter.addParam(ctx.name + ".W", {gates * h, f},
                                 "glorot_uniform", ctx.call.loc);
  Value r = ctx.emitter.addParam(ctx.name + ".R", {gates * h, h}, "orthogonal",
                                 ctx.call.loc);
  Value bias = ctx.emitter.addParam(ctx.name + ".B", {2 * gates * h},
                                    lstm ? "lstm_bias" : "zeros", ctx.call.loc);
  Value mask = ctx.input.mask;
  Value h0, c0;
  if (const ast::Expr *ref = args->get("initial_state")) {
    auto state = initialState(ctx, *ref, kind, h);
    if (!state)
      return state.takeError();
    h0 = (*state)->stateH;
    c0 = (*state)->stateC;
  }
  Operation *op;
  if (lstm)
    op = nn::LSTMOp::create(b, ctx.loc, ctx.input.value, w, r, bias, mask, h0,
                            c0);
  else if (gru)
    op = nn::GRUOp::create(b, ctx.loc, ctx.input.value, w, r, bias, mask, h0,
                           args->getBool("linear_before_reset", true)
                               ? b.getUnitAttr()
                               : UnitAttr());
  else
    op = nn::RNNOp::create(b, ctx.loc, ctx.input.value, w, r, bias, mask, h0);
  ValueInfo out;
  out.producer = kind.str();
  if (args->getBool("return_sequences", false)) {
    out.value = op->getResult(0);
    out.mask = mask;
    out.sequence = true;
  } else {
    out.value = op->getResult(1);
  }
  if (args->getBool("return_state", false)) {
    out.stateH = op->getResult(1);
    if (lstm)
      out.stateC = op->getResult(3);
  }
  return out;
}

static const std::pair<StringRef, LayerFn> kLayers[] = {
    {"dense", emitDense},
    {"flatten", emitFlatten},
    {"relu", emitActivationLayer},
    {"sigmoid", emitActivationLayer},
    {"tanh", emitActivationLayer},
    {"softmax", emitActivationLayer},
    {"log_softmax", emitActivationLayer},
    {"leaky_relu", emitActivationLayer},
    {"elu", emitActivationLayer},
    {"selu", emitActivationLayer},
    {"softplus", emitActivationLayer},
    {"softsign", emitActivationLayer},
    {"hard_sigmoid", emitActivationLayer},
    {"maxout", emitMaxout},
    {"conv2d", emitConv2d},
    {"conv2d_transpose", emitConv2dTranspose},
    {"max_pool2d", emitPool2d},
    {"avg_pool2d", emitPool2d},
    {"global_avg_pool2d", emitGlobalAvgPool2d},
    {"batch_norm", emitBatchNorm},
    {"dropout", emitRandomLayer},
    {"gaussian_noise", emitRandomLayer},
    {"gaussian", emitGaussian},
    {"embedding", emitEmbedding},
    {"rnn", emitRecurrent},
    {"lstm", emitRecurrent},
    {"gru", emitRecurrent},
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

} // namespace neurona::dsl
