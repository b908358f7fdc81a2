//===- Decoder.cpp - a VAE's decoder as an entry of its own ---------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Sampling from a VAE's prior needs the decoder alone: z in, image out. The
// decoder is the part of `forward` after the latent layer, so it is cut out
// of `forward` rather than emitted twice from the syntax tree; the copy reads
// the same parameter names, which the runtime binds to the same buffers.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace neurona::dsl {

llvm::Error addDecoderEntry(ModuleOp module, llvm::StringRef layer) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  Block &body = forward.getBody().front();
  Value latent;
  for (Operation &op : body.without_terminator())
    if (auto name = dyn_cast<NameLoc>(op.getLoc());
        name && name.getName() == layer && op.getNumResults() == 1)
      latent = op.getResult(0);
  if (!latent)
    return llvm::createStringError("no op of forward is located at layer '" +
                                   layer + "'");

  // The ops downstream of the latent value, in order.
  llvm::SmallPtrSet<Value, 32> downstream = {latent};
  llvm::SetVector<Operation *> slice;
  for (Operation &op : body.without_terminator())
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return downstream.contains(v); })) {
      slice.insert(&op);
      downstream.insert(op.result_begin(), op.result_end());
    }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  SmallVector<unsigned> results;
  for (auto [i, v] : llvm::enumerate(ret.getOperands()))
    if (downstream.contains(v))
      results.push_back(i);
  if (results.empty())
    return llvm::Error::success();

  // Arguments: the code, then the parameters the decoder reads, in
  // forward's order. Operands from elsewhere must be constants.
  llvm::SetVector<unsigned> params;
  SmallVector<Operation *> constants;
  for (Operation *op : slice)
    for (Value v : op->getOperands()) {
      if (downstream.contains(v))
        continue;
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        params.insert(arg.getArgNumber());
        continue;
      }
      Operation *def = v.getDefiningOp();
      if (def->getNumOperands() != 0)
        return llvm::createStringError(
            "the decoder after layer '" + layer +
            "' reads a value computed before it");
      if (!llvm::is_contained(constants, def))
        constants.push_back(def);
    }
  llvm::SmallVector<unsigned> sortedParams(params.begin(), params.end());
  llvm::sort(sortedParams);

  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> argTypes = {latent.getType()};
  SmallVector<Attribute> argAttrs = {b.getDictionaryAttr(
      {b.getNamedAttr(kRoleAttrName, b.getStringAttr("input")),
       b.getNamedAttr(kNameAttrName, b.getStringAttr(layer))})};
  for (unsigned i : sortedParams) {
    argTypes.push_back(forward.getArgument(i).getType());
    argAttrs.push_back(forward.getArgAttrDict(i));
  }
  SmallVector<Type> resultTypes;
  SmallVector<Attribute> resultAttrs;
  for (unsigned r : results) {
    resultTypes.push_back(forward.getResultTypes()[r]);
    resultAttrs.push_back(forward.getResultAttrDict(r));
  }
  auto decode =
      func::FuncOp::create(b, forward.getLoc(), "decode",
                           FunctionType::get(ctx, argTypes, resultTypes));
  decode.setAllArgAttrs(argAttrs);
  decode.setAllResultAttrs(resultAttrs);
  Block *entry = decode.addEntryBlock();
  OpBuilder inner = OpBuilder::atBlockEnd(entry);
  IRMapping map;
  map.map(latent, entry->getArgument(0));
  for (auto [k, i] : llvm::enumerate(sortedParams))
    map.map(forward.getArgument(i), entry->getArgument(k + 1));
  for (Operation *op : constants)
    inner.clone(*op, map);
  for (Operation *op : slice)
    inner.clone(*op, map);
  SmallVector<Value> returned;
  for (unsigned r : results)
    returned.push_back(map.lookup(ret.getOperand(r)));
  func::ReturnOp::create(inner, forward.getLoc(), returned);
  return verifyWithDiagnostics(decode, "decode entry: ");
}

} // namespace neurona::dsl
