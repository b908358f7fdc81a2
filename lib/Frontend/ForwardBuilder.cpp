//===- ForwardBuilder.cpp - builds the `forward` function -----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Frontend/ForwardBuilder.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona {

static func::FuncOp asFunc(Operation *op) { return cast<func::FuncOp>(op); }

ForwardBuilder::ForwardBuilder(MLIRContext &context, StringRef modelName,
                               Location loc)
    : opBuilder(&context) {
  context.loadDialect<nn::NNDialect, func::FuncDialect>();
  module = ModuleOp::create(loc, modelName);
  opBuilder.setInsertionPointToEnd(module->getBody());
  auto fn = func::FuncOp::create(opBuilder, loc, "forward",
                                 opBuilder.getFunctionType({}, {}));
  function = fn;
  opBuilder.setInsertionPointToEnd(fn.addEntryBlock());
}

ForwardBuilder::~ForwardBuilder() = default;

void ForwardBuilder::addArgAttrs(StringRef role, StringRef name,
                                 bool trainable) {
  MLIRContext *ctx = opBuilder.getContext();
  SmallVector<NamedAttribute> attrs = {
      NamedAttribute(StringAttr::get(ctx, kRoleAttrName),
                     StringAttr::get(ctx, role)),
      NamedAttribute(StringAttr::get(ctx, kNameAttrName),
                     StringAttr::get(ctx, name))};
  if (!trainable)
    attrs.push_back(NamedAttribute(StringAttr::get(ctx, kTrainableAttrName),
                                   BoolAttr::get(ctx, false)));
  argAttrs.push_back(DictionaryAttr::get(ctx, attrs));
}

Value ForwardBuilder::addInput(StringRef name, RankedTensorType type,
                               Location loc) {
  assert(numParams == 0 && "data inputs precede parameters in `forward`");
  addArgAttrs("input", name);
  return asFunc(function).getBody().front().addArgument(type, loc);
}

void ForwardBuilder::setInputBound(unsigned index, int64_t bound) {
  assert(index < argAttrs.size() && "no such input");
  mlir::NamedAttrList attrs(argAttrs[index]);
  attrs.set("nn.bound", opBuilder.getI64IntegerAttr(bound));
  argAttrs[index] = attrs.getDictionary(opBuilder.getContext());
}

Value ForwardBuilder::addParam(StringRef name, RankedTensorType type,
                               Location loc, bool trainable) {
  ++numParams;
  addArgAttrs("param", name, trainable);
  return asFunc(function).getBody().front().addArgument(type, loc);
}

void ForwardBuilder::addOutput(StringRef name, Value value) {
  MLIRContext *ctx = opBuilder.getContext();
  resultAttrs.push_back(DictionaryAttr::get(
      ctx, {NamedAttribute(StringAttr::get(ctx, kRoleAttrName),
                           StringAttr::get(ctx, "output")),
            NamedAttribute(StringAttr::get(ctx, kNameAttrName),
                           StringAttr::get(ctx, name))}));
  results.push_back(value);
}

Expected<OwningOpRef<ModuleOp>> ForwardBuilder::finish(StringRef errorPrefix) {
  func::FuncOp fn = asFunc(function);
  Block &body = fn.getBody().front();
  opBuilder.setInsertionPointToEnd(&body);
  func::ReturnOp::create(opBuilder, fn.getLoc(), results);
  fn.setFunctionType(opBuilder.getFunctionType(body.getArgumentTypes(),
                                               ValueRange(results).getTypes()));
  fn.setAllArgAttrs(argAttrs);
  fn.setAllResultAttrs(resultAttrs);
  if (Error err = verifyWithDiagnostics(module.get(), errorPrefix))
    return err;
  return std::move(module);
}

int64_t canonicalSoftmaxAxis(int64_t axis, int64_t rank) {
  int64_t normalized = nn::normalizeAxis(axis, rank);
  assert(normalized >= 0 && "softmax axis checked by the frontend");
  return normalized == rank - 1 ? -1 : normalized;
}

/// Where a diagnostic points, in the words the frontends use for their own
/// errors: `file:line:col` for DSL source, the node description for ONNX
/// (whose locations are `NameLoc`s named after the node).
static std::string describeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv("{0}:{1}:{2}", file.getFilename().getValue(),
                         file.getLine(), file.getColumn())
        .str();
  return {};
}

Error verifyWithDiagnostics(Operation *op, StringRef errorPrefix) {
  std::string messages;
  llvm::raw_string_ostream os(messages);
  ScopedDiagnosticHandler handler(op->getContext(), [&](Diagnostic &diag) {
    if (!messages.empty())
      os << "\n";
    os << errorPrefix;
    std::string where = describeLocation(diag.getLocation());
    if (!where.empty())
      os << where << ": ";
    // Notes are left out: the verifier's "see current operation" note dumps
    // the op in generic form, which says nothing to the model's author.
    os << "invalid IR: " << diag.str();
    return success();
  });
  if (succeeded(verify(op)))
    return Error::success();
  if (messages.empty())
    os << errorPrefix << "invalid IR";
  return llvm::createStringError(llvm::inconvertibleErrorCode(), messages);
}

} // namespace neurona
