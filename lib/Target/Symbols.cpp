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

/// Defines the allocation functions the lowered code calls
/// (`_mlir_memref_to_llvm_{alloc,aligned_alloc,free}`, from
/// finalize-memref-to-llvm with generic functions) as private functions that
/// call through `<prefix>_allocator`, a pair {alloc(size, alignment),
/// free(ptr)} of function pointers, or malloc/aligned_alloc/free while it is
/// null. The runtime installs its per-thread caching allocator there when
/// it opens an artifact, before any call; an object linked into a user's
/// program keeps the C library's.
static void defineAllocator(ModuleOp module, OpBuilder &b, Location loc,
                            StringRef prefix) {
  MLIRContext *ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  auto hooksType = LLVM::LLVMArrayType::get(ptr, 2);
  std::string hooksName = (prefix + "_allocator").str();
  auto hooks = LLVM::GlobalOp::create(b, loc, hooksType, /*isConstant=*/false,
                                      LLVM::Linkage::External, hooksName,
                                      Attribute(), 8);
  {
    // Zero-initialised: no hooks until the runtime sets them.
    Block *init = b.createBlock(&hooks.getInitializerRegion());
    OpBuilder ib = OpBuilder::atBlockBegin(init);
    Value zero = LLVM::ZeroOp::create(ib, loc, hooksType);
    LLVM::ReturnOp::create(ib, loc, zero);
    b.setInsertionPointToEnd(module.getBody());
  }

  auto declare = [&](StringRef name, Type result, ArrayRef<Type> args) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return fn;
    return LLVM::LLVMFuncOp::create(b, loc, name,
                                    LLVM::LLVMFunctionType::get(result, args));
  };
  auto voidType = LLVM::LLVMVoidType::get(ctx);

  // Builds `fn`'s body: hook = <prefix>_allocator[slot]; if (hook)
  // return hook(hookArgs...) else return fallback(args...).
  auto define =
      [&](LLVM::LLVMFuncOp fn, int32_t slot,
          function_ref<SmallVector<Value>(OpBuilder &, ValueRange)> hookArgs,
          LLVM::LLVMFuncOp fallback) {
        fn.setLinkage(LLVM::Linkage::Internal);
        Block *entry = fn.addEntryBlock(b);
        Block *hooked = b.createBlock(&fn.getBody());
        Block *plain = b.createBlock(&fn.getBody());
        OpBuilder eb = OpBuilder::atBlockBegin(entry);
        Value table = LLVM::AddressOfOp::create(eb, loc, hooks);
        Value slotPtr = LLVM::GEPOp::create(eb, loc, ptr, hooksType, table,
                                            ArrayRef<LLVM::GEPArg>{0, slot});
        Value hook = LLVM::LoadOp::create(eb, loc, ptr, slotPtr);
        Value null = LLVM::ZeroOp::create(eb, loc, ptr);
        Value isSet =
            LLVM::ICmpOp::create(eb, loc, LLVM::ICmpPredicate::ne, hook, null);
        LLVM::CondBrOp::create(eb, loc, isSet, hooked, plain);
        bool returnsValue =
            !isa<LLVM::LLVMVoidType>(fn.getFunctionType().getReturnType());
        auto finish = [&](OpBuilder &fb, Operation *call) {
          if (returnsValue)
            LLVM::ReturnOp::create(fb, loc, call->getResult(0));
          else
            LLVM::ReturnOp::create(fb, loc, ValueRange{});
        };
        OpBuilder hb = OpBuilder::atBlockBegin(hooked);
        SmallVector<Value> operands = {hook};
        llvm::append_range(operands, hookArgs(hb, entry->getArguments()));
        SmallVector<Type> argTypes;
        for (Value v : ArrayRef<Value>(operands).drop_front())
          argTypes.push_back(v.getType());
        Type result = fn.getFunctionType().getReturnType();
        auto indirect = LLVM::CallOp::create(
            hb, loc, LLVM::LLVMFunctionType::get(result, argTypes), operands);
        finish(hb, indirect);
        OpBuilder pb = OpBuilder::atBlockBegin(plain);
        finish(pb,
               LLVM::CallOp::create(pb, loc, fallback, entry->getArguments()));
        b.setInsertionPointToEnd(module.getBody());
      };

  if (auto alloc =
          module.lookupSymbol<LLVM::LLVMFuncOp>("_mlir_memref_to_llvm_alloc");
      alloc && alloc.isExternal())
    define(
        alloc, 0,
        [&](OpBuilder &hb, ValueRange args) -> SmallVector<Value> {
          Value alignment = LLVM::ConstantOp::create(hb, loc, i64, 16);
          return {args[0], alignment};
        },
        declare("malloc", ptr, {i64}));
  if (auto aligned = module.lookupSymbol<LLVM::LLVMFuncOp>(
          "_mlir_memref_to_llvm_aligned_alloc");
      aligned && aligned.isExternal())
    define(
        aligned, 0,
        [&](OpBuilder &, ValueRange args) -> SmallVector<Value> {
          return {args[1], args[0]}; // (alignment, size) -> (size, alignment)
        },
        declare("aligned_alloc", ptr, {i64, i64}));
  if (auto release =
          module.lookupSymbol<LLVM::LLVMFuncOp>("_mlir_memref_to_llvm_free");
      release && release.isExternal())
    define(
        release, 1,
        [&](OpBuilder &, ValueRange args) -> SmallVector<Value> {
          return {args[0]};
        },
        declare("free", voidType, {ptr}));
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
  defineAllocator(module, b, loc, prefix);
  return success();
}
