//===- DeviceAllocations.cpp - neurona-gpu-device-allocations -------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/GPUPasses.h"

#include "HostBuffers.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace neurona {
#define GEN_PASS_DEF_GPUDEVICEALLOCATIONS
#include "neurona/Codegen/GPUPasses.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

struct GPUDeviceAllocationsPass
    : neurona::impl::GPUDeviceAllocationsBase<GPUDeviceAllocationsPass> {
  void runOnOperation() override {
    if (getOperation().isPrivate())
      return; // the deallocation pipeline's helpers allocate nothing
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      // The deallocation pipeline's bookkeeping stays in host memory.
      if (isa<memref::AllocOp>(op) && !neurona::isHostBuffer(op->getResult(0)))
        ops.push_back(op);
      if (auto dealloc = dyn_cast<memref::DeallocOp>(op))
        if (!neurona::isHostBuffer(dealloc.getMemref()))
          ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      if (op->getParentOfType<gpu::LaunchOp>()) {
        op->emitOpError("allocates inside a kernel; a CUDA kernel's buffers "
                        "must come from the host");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(rewriter, op->getLoc(), Type(), ValueRange(),
                               dealloc.getMemref());
        rewriter.eraseOp(op);
        continue;
      }
      auto alloc = cast<memref::AllocOp>(op);
      auto device = gpu::AllocOp::create(
          rewriter, op->getLoc(), alloc.getType(), Type(), ValueRange(),
          alloc.getDynamicSizes(), alloc.getSymbolOperands(),
          /*hostShared=*/false);
      rewriter.replaceOp(op, device.getMemref());
    }
  }
};

} // namespace
