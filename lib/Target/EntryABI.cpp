//===- EntryABI.cpp - the runtime calling convention for entries ----------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Target/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace neurona {
#define GEN_PASS_DEF_ENTRYABI
#include "neurona/Target/Passes.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

/// Entries carry roles on their arguments, or, when they take none (a
/// model that only computes constants), on their results.
bool isEntry(func::FuncOp fn) {
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (fn.getArgAttr(i, "nn.role"))
      return true;
  for (unsigned r = 0; r < fn.getNumResults(); ++r)
    if (fn.getResultAttr(r, "nn.role"))
      return true;
  return false;
}

MemRefType bufferTypeOf(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

LogicalResult convertEntry(func::FuncOp fn) {
  if (fn.isExternal())
    return fn.emitError("entry has no body");
  for (Type t :
       llvm::concat<const Type>(fn.getArgumentTypes(), fn.getResultTypes()))
    if (!isa<RankedTensorType>(t))
      return fn.emitError("entry arguments and results must be ranked "
                          "tensors, got ")
             << t;

  Block &entry = fn.getBody().front();
  unsigned numArgs = fn.getNumArguments();
  Location loc = fn.getLoc();
  SmallVector<Type> newTypes;
  for (Type t : fn.getArgumentTypes())
    newTypes.push_back(bufferTypeOf(t));
  for (Type t : fn.getResultTypes())
    newTypes.push_back(bufferTypeOf(t));
  for (Type t : newTypes)
    entry.addArgument(t, loc);

  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  for (unsigned i = 0; i < numArgs; ++i) {
    Value buffer = entry.getArgument(numArgs + i);
    Value tensor = bufferization::ToTensorOp::create(
        b, loc, fn.getArgumentTypes()[i], buffer, /*restrict=*/true,
        /*writable=*/false);
    entry.getArgument(i).replaceAllUsesWith(tensor);
  }

  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  b.setInsertionPoint(ret);
  unsigned numResults = ret.getNumOperands();
  for (unsigned r = 0; r < numResults; ++r)
    bufferization::MaterializeInDestinationOp::create(
        b, loc, TypeRange{}, ret.getOperand(r),
        entry.getArgument(2 * numArgs + r), /*restrict=*/true,
        /*writable=*/true);
  func::ReturnOp::create(b, loc);
  ret.erase();

  // Argument attributes follow the arguments; result attributes move to the
  // out-parameters.
  SmallVector<Attribute> attrs;
  for (unsigned i = 0; i < numArgs; ++i)
    attrs.push_back(fn.getArgAttrDict(i));
  for (unsigned r = 0; r < numResults; ++r)
    attrs.push_back(fn.getResultAttrDict(r));
  entry.eraseArguments(0, numArgs);
  fn.setType(FunctionType::get(fn.getContext(), newTypes, {}));
  for (auto [i, a] : llvm::enumerate(attrs))
    fn.setArgAttrs(i, a ? cast<DictionaryAttr>(a)
                        : DictionaryAttr::get(fn.getContext()));
  fn.removeResAttrsAttr();
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(fn.getContext()));
  return success();
}

struct EntryABIPass : neurona::impl::EntryABIBase<EntryABIPass> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (isEntry(fn) && failed(convertEntry(fn)))
        return signalPassFailure();
  }
};

} // namespace
