//===- Symbols.cpp - the symbols a compiled model exports -----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Target/Artifact.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace neurona;

static void addConstantBytes(OpBuilder &b, Location loc, StringRef name,
                             StringRef bytes, uint64_t alignment) {
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), bytes.size());
  LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                         LLVM::Linkage::External, name, b.getStringAttr(bytes),
                         alignment);
}

/// A NUL-terminated string constant.
static void addString(OpBuilder &b, Location loc, StringRef name,
                      StringRef text) {
  std::string withNul = text.str();
  withNul.push_back('\0');
  addConstantBytes(b, loc, name, withNul, 1);
}

LogicalResult
neurona::addArtifactSymbols(ModuleOp module, StringRef prefix,
                            const std::vector<EntrySignature> &entries,
                            StringRef manifest, ArrayRef<char> paramsBlob,
                            bool exportPrefix) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());

  // Everything the pipeline produced stays private to this object.
  for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
    if (!fn.isExternal())
      fn.setLinkage(LLVM::Linkage::Internal);

  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  for (const EntrySignature &entry : entries) {
    std::string cifaceName = "_mlir_ciface_" + entry.name;
    auto ciface = module.lookupSymbol<LLVM::LLVMFuncOp>(cifaceName);
    if (!ciface)
      return module.emitError("no C interface for entry @") << entry.name;
    unsigned numArgs = ciface.getNumArguments();
    if (numArgs != entry.args.size())
      return module.emitError("entry @")
             << entry.name << " lowered to " << numArgs
             << " arguments, its signature has " << entry.args.size();

    // void <prefix>_<entry>(void **args): args[i] -> descriptor pointer i.
    auto fnType =
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptrType});
    auto packed = LLVM::LLVMFuncOp::create(
        b, loc, (prefix + "_" + entry.name).str(), fnType);
    Block *body = packed.addEntryBlock(b);
    OpBuilder fb = OpBuilder::atBlockBegin(body);
    SmallVector<Value> descriptors;
    for (unsigned i = 0; i < numArgs; ++i) {
      Value slot =
          LLVM::GEPOp::create(fb, loc, ptrType, ptrType, body->getArgument(0),
                              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      descriptors.push_back(LLVM::LoadOp::create(fb, loc, ptrType, slot));
    }
    LLVM::CallOp::create(fb, loc, ciface, descriptors);
    LLVM::ReturnOp::create(fb, loc, ValueRange{});
  }

  addString(b, loc, (prefix + "_manifest").str(), manifest);
  // A zero-length array is not a valid initializer; keep one byte.
  StringRef blob(paramsBlob.data(), paramsBlob.size());
  addConstantBytes(b, loc, (prefix + "_params").str(),
                   blob.empty() ? StringRef("\0", 1) : blob, 64);
  LLVM::GlobalOp::create(b, loc, b.getI64Type(), /*isConstant=*/true,
                         LLVM::Linkage::External,
                         (prefix + "_params_size").str(),
                         b.getI64IntegerAttr(paramsBlob.size()), 8);
  if (exportPrefix)
    addString(b, loc, "neurona_model_prefix", prefix);
  return success();
}
