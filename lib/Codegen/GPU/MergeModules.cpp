//===- MergeModules.cpp - neurona-gpu-merge-modules -----------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/GPUPasses.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace neurona {
#define GEN_PASS_DEF_GPUMERGEMODULES
#include "neurona/Codegen/GPUPasses.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

struct GPUMergeModulesPass
    : neurona::impl::GPUMergeModulesBase<GPUMergeModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernels(module.getOps<gpu::GPUModuleOp>());
    if (kernels.size() < 2)
      return;
    gpu::GPUModuleOp target = kernels.front();
    MLIRContext *ctx = &getContext();
    // Old (module, function) -> new function name in `target`.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp source : kernels) {
      StringAttr moduleName = source.getSymNameAttr();
      auto body = source.getBody()->without_terminator();
      bool single = llvm::hasSingleElement(body);
      for (Operation &op : llvm::make_early_inc_range(body)) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        if (!symbol) {
          op.emitOpError("cannot be merged into one GPU module");
          return signalPassFailure();
        }
        // Outlined kernels are named after their entry, so several share a
        // name; their modules' names are unique in the host module.
        StringAttr oldName = symbol.getNameAttr();
        StringAttr newName =
            single ? moduleName
                   : StringAttr::get(ctx, moduleName.getValue() + "_" +
                                              oldName.getValue());
        symbol.setName(newName);
        if (source != target) {
          Block *body = target.getBody();
          if (body->mightHaveTerminator())
            op.moveBefore(body->getTerminator());
          else
            op.moveBefore(body, body->end());
        }
        renamed[{moduleName, oldName}] = newName;
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it = renamed.find(
          {kernel.getRootReference(), kernel.getLeafReference()});
      if (it == renamed.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getSymNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp source : ArrayRef(kernels).drop_front())
      source->erase();
  }
};

} // namespace
