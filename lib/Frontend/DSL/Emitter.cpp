//===- Emitter.cpp - a DSL model to `nn` IR -------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Walks a model's statements in order. A layer consumes the value of the
// statement before it, or with the functional form `layer(args)(NAME)` the
// input or layer called NAME. Names (given or automatic) are recorded for
// every value so that `output NAME = REF`, the functional form and
// `initial_state=NAME` can pick any of them. A model may declare several
// inputs, all before its first layer.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::dsl {

ModelEmitter::ModelEmitter(MLIRContext &context, const ast::ModelDecl &model,
                           const SourceDiagnostics &diags)
    : context(&context), model(model), diags(diags),
      forward(context, model.name,
              FileLineColLoc::get(&context, diags.getBufferName(),
                                  model.loc.line, model.loc.column)) {}

Location ModelEmitter::loc(SourceLoc where) const {
  return FileLineColLoc::get(context, diags.getBufferName(), where.line,
                             where.column);
}

Value ModelEmitter::addParam(const std::string &name,
                             llvm::ArrayRef<int64_t> shape,
                             llvm::StringRef init, SourceLoc where,
                             bool trainable) {
  ParamSpec spec;
  spec.name = name;
  spec.shape.assign(shape.begin(), shape.end());
  spec.init = init.str();
  spec.trainable = trainable;
  params.push_back(std::move(spec));
  auto type = RankedTensorType::get(shape, Float32Type::get(context));
  return forward.addParam(name, type, loc(where), trainable);
}

Error ModelEmitter::defineName(const std::string &name, SourceLoc where,
                               const ValueInfo &info, bool automatic) {
  auto [it, inserted] = names.try_emplace(name, info, where);
  if (inserted)
    return Error::success();
  if (automatic)
    return diags.error(where,
                       "this layer's automatic name '" + name +
                           "' is already taken; name the layer explicitly",
                       it->second.second, "'" + name + "' is defined here");
  return diags.error(where, "the name '" + name + "' is already used",
                     it->second.second, "'" + name + "' is defined here");
}

void ModelEmitter::setInputBound(int inputIndex, int64_t bound) {
  int64_t &current = bounds[size_t(inputIndex)];
  if (current == 0 || bound < current) {
    current = bound;
    forward.setInputBound(unsigned(inputIndex), bound);
  }
}

const ValueInfo *
ModelEmitter::findValue(llvm::StringRef name,
                        std::vector<llvm::StringRef> *known) const {
  auto it = names.find(name);
  if (it != names.end())
    return &it->second.first;
  if (known)
    for (const auto &entry : names)
      known->push_back(entry.getKey());
  return nullptr;
}

Error ModelEmitter::emitInput(const ast::InputStmt &stmt) {
  if (sawLayer)
    return diags.error(stmt.loc,
                       "inputs must be declared before the first layer");
  if (!inputs.empty() && standardize)
    return diags.error(stmt.loc,
                       "'standardize = true' needs a model with one input",
                       inputs.front().loc, "the first input is declared here");
  llvm::SmallVector<int64_t> shape = {ShapedType::kDynamic};
  int64_t elements = 1;
  for (auto [dim, where] : llvm::zip(stmt.dims, stmt.dimLocs)) {
    if (dim <= 0)
      return diags.error(where, llvm::formatv("dimensions must be positive, "
                                              "got {0}",
                                              dim));
    if (llvm::MulOverflow(elements, dim, elements) ||
        elements > kMaxTensorElements)
      return diags.error(where, "the input is too large (more than 2^40 "
                                "elements per example)");
    shape.push_back(dim);
  }
  bool ids = !stmt.kind.empty();
  if (ids && stmt.kind != "ids")
    return diags.error(stmt.kindLoc,
                       "unknown input kind '" + stmt.kind +
                           "'; write 'ids[dims]' for integer token ids or "
                           "'[dims]' for float features" +
                           suggestClosest(stmt.kind, {"ids"}));
  if (ids && standardize)
    return diags.error(stmt.kindLoc,
                       "an ids input cannot be standardized (the data "
                       "section sets 'standardize = true')");
  // A clashing name is reported before the argument is added.
  if (auto it = names.find(stmt.name); it != names.end())
    return diags.error(stmt.nameLoc,
                       "the name '" + stmt.name + "' is already used",
                       it->second.second, "'" + stmt.name + "' is defined here");
  inputs.push_back(stmt);
  bounds.push_back(0);
  Type element = ids ? Type(IntegerType::get(context, 64))
                     : Type(Float32Type::get(context));
  current = ValueInfo();
  current.value = forward.addInput(
      stmt.name, RankedTensorType::get(shape, element), loc(stmt.nameLoc));
  current.producer = "input";
  current.inputIndex = int(inputs.size()) - 1;
  if (standardize) {
    // Names of the statistics cannot clash with layers': those have no dot.
    llvm::ArrayRef<int64_t> features = llvm::ArrayRef(shape).drop_front();
    Value mean = addParam(stmt.name + ".mean", features, "zeros", stmt.nameLoc,
                          /*trainable=*/false);
    Value std = addParam(stmt.name + ".std", features, "ones", stmt.nameLoc,
                         /*trainable=*/false);
    OpBuilder &b = builder();
    Location where = loc(stmt.nameLoc);
    Value centered = nn::SubOp::create(b, where, current.value, mean);
    current.value = nn::DivOp::create(b, where, centered, std);
  }
  return defineName(stmt.name, stmt.nameLoc, current, /*automatic=*/false);
}

Error ModelEmitter::emitLayer(const ast::LayerStmt &stmt) {
  const ast::Expr &call = stmt.call;
  LayerFn emit = lookupLayer(call.text);
  if (!emit)
    return diags.error(call.loc, "unknown layer '" + call.text + "'" +
                                     suggestClosest(call.text, layerNames()));
  if (inputs.empty())
    return diags.error(call.loc, "layer '" + call.text +
                                     "' comes before the model's input; "
                                     "declare 'input NAME: [dims]' first");
  sawLayer = true;
  ValueInfo operand = current;
  std::string operandName;
  if (!stmt.operands.empty()) {
    if (stmt.operands.size() != 1)
      return diags.error(stmt.operandLocs[1],
                         llvm::formatv("a layer takes one value, got {0}",
                                       stmt.operands.size()));
    operandName = stmt.operands[0];
    std::vector<llvm::StringRef> known;
    const ValueInfo *found = findValue(operandName, &known);
    if (!found)
      return diags.error(stmt.operandLocs[0],
                         "no input or layer is named '" + operandName + "'" +
                             suggestClosest(operandName, known));
    operand = *found;
  }

  bool idsIn = !cast<RankedTensorType>(operand.value.getType())
                    .getElementType()
                    .isF32();
  if (idsIn && call.text != "embedding")
    return diags.error(call.loc,
                       "'" + call.text + "' takes float values, but '" +
                           inputs[size_t(std::max(operand.inputIndex, 0))]
                               .name +
                           "' holds integer ids; put "
                           "embedding(vocab, dim) before it");
  if (!idsIn && call.text == "embedding")
    return diags.error(call.loc, "'embedding' takes integer ids; declare "
                                 "the input as 'input NAME: ids[length]'");

  // Automatic names count every layer of the kind, named or not, so naming
  // one layer never renames the others.
  unsigned index = kindCounts[call.text]++;
  bool automatic = stmt.name.empty();
  std::string name = automatic ? call.text + std::to_string(index) : stmt.name;
  LayerContext ctx{*this, call, name, operand, loc(call.loc)};
  auto result = emit(ctx);
  if (!result)
    return result.takeError();
  current = *result;
  // The op that computes the layer's value is located at the layer's name,
  // so that passes can find a layer (nn-autodiff's activity penalties). A
  // layer that adds no op (flatten of a flat input) keeps the name of the
  // layer before it.
  if (mlir::Operation *op = current.value.getDefiningOp())
    if (!mlir::isa<mlir::NameLoc>(op->getLoc()))
      op->setLoc(mlir::NameLoc::get(
          mlir::StringAttr::get(context, name), op->getLoc()));
  return defineName(name, automatic ? call.loc : stmt.nameLoc, current,
                    automatic);
}

const ValueInfo *ModelEmitter::findLayer(llvm::StringRef name) const {
  auto it = names.find(name);
  if (it == names.end() || isInputName(name))
    return nullptr;
  return &it->second.first;
}

bool ModelEmitter::isInputName(llvm::StringRef name) const {
  return llvm::any_of(inputs, [&](const ast::InputStmt &in) {
    return in.name == name;
  });
}

std::vector<llvm::StringRef> ModelEmitter::getLayerNames() const {
  std::vector<llvm::StringRef> result;
  for (const auto &entry : names)
    if (!isInputName(entry.getKey()))
      result.push_back(entry.getKey());
  return result;
}

Error ModelEmitter::emitOutput(const ast::OutputStmt &stmt) {
  if (inputs.empty())
    return diags.error(stmt.loc, "'output' comes before the model's input");
  ValueInfo info = current;
  if (!stmt.ref.empty()) {
    auto it = names.find(stmt.ref);
    if (it == names.end()) {
      llvm::SmallVector<llvm::StringRef> known;
      for (const auto &entry : names)
        known.push_back(entry.getKey());
      return diags.error(stmt.refLoc, "no input or layer is named '" +
                                          stmt.ref + "'" +
                                          suggestClosest(stmt.ref, known));
    }
    info = it->second.first;
  }
  for (const OutputInfo &output : outputs)
    if (output.name == stmt.name)
      return diags.error(stmt.nameLoc,
                         "there is already an output named '" + stmt.name + "'",
                         output.loc, "the first one is here");
  outputs.push_back({stmt.name, stmt.nameLoc, info});
  forward.addOutput(stmt.name, info.value);
  return Error::success();
}

Error ModelEmitter::emitBody() {
  for (const ast::Statement &statement : model.body) {
    Error err = std::visit(
        [&](const auto &stmt) -> Error {
          using T = std::decay_t<decltype(stmt)>;
          if constexpr (std::is_same_v<T, ast::InputStmt>)
            return emitInput(stmt);
          else if constexpr (std::is_same_v<T, ast::LayerStmt>)
            return emitLayer(stmt);
          else
            return emitOutput(stmt);
        },
        statement);
    if (err)
      return err;
  }
  if (inputs.empty())
    return diags.error(model.nameLoc, "model '" + model.name +
                                          "' has no input; declare one with "
                                          "'input NAME: [dims]'");
  if (outputs.empty())
    return diags.error(model.nameLoc,
                       "model '" + model.name +
                           "' has no output; add 'output NAME' after its "
                           "last layer");
  // A layer after the last output computes something nobody sees, which is
  // almost always a forgotten `output` line.
  if (const auto *layer = std::get_if<ast::LayerStmt>(&model.body.back()))
    return diags.error(layer->call.loc,
                       "the result of this layer is not used; add "
                       "'output NAME' after it");
  return Error::success();
}

Error ModelEmitter::setLatentLayer(const std::string &name, SourceLoc where) {
  if (!latentLayer.empty())
    return diags.error(where,
                       "a model has at most one 'gaussian' layer (its decoder "
                       "becomes the 'decode' entry)",
                       latentLoc, "the first one is here");
  latentLayer = name;
  latentLoc = where;
  return Error::success();
}

Expected<ImportedModel> ModelEmitter::finish() {
  auto module = forward.finish("");
  if (!module)
    return module.takeError();
  if (!latentLayer.empty())
    if (Error err = addDecoderEntry(**module, latentLayer))
      return std::move(err);
  ImportedModel result;
  result.module = std::move(*module);
  result.name = model.name;
  result.params = std::move(params);
  return result;
}

} // namespace neurona::dsl
