//===- LaunchHostCode.cpp - neurona-gpu-launch-host-code ------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// After the parallel loops became kernels, an entry's host code may still
// read or write buffer elements: the scalar divisions of a loss, the
// sequential scatter of an embedding gradient, copies of 0-d tensors. Their
// buffers are in device memory, so each maximal run of such operations moves
// into a kernel of one thread. Runs are cut at operations that must stay on
// the host: allocations, deallocations, kernels and control flow that
// launches kernels (whose bodies are processed in turn).
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/GPUPasses.h"

#include "HostBuffers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace neurona {
#define GEN_PASS_DEF_GPULAUNCHHOSTCODE
#include "neurona/Codegen/GPUPasses.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

enum class Placement {
  /// Reads or writes buffer elements: must run on the device.
  Device,
  /// Free of memory effects: may run on either side.
  Either,
  /// Allocation, deallocation, terminator, kernel, or control flow holding
  /// kernels: stays on the host and ends a run.
  Host,
};

bool launchesKernels(Operation *op) {
  return op
      ->walk([](gpu::LaunchOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

Placement placement(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>() || isa<gpu::LaunchOp>(op) ||
      launchesKernels(op))
    return Placement::Host;
  // Allocation and deallocation, and the deallocation pipeline's helper
  // calls, which only read host bookkeeping (HostBuffers.h).
  if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
          func::CallOp>(op))
    return Placement::Host;
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  if (!effects)
    return Placement::Device; // unknown effects: be safe, run it there
  bool hostOnly = false;
  for (const MemoryEffects::EffectInstance &effect : *effects) {
    if (!isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect()))
      continue;
    Value buffer = effect.getValue();
    if (!buffer || !neurona::isHostBuffer(buffer))
      return Placement::Device;
    hostOnly = true;
  }
  if (hostOnly)
    return Placement::Host;
  if (!effects->empty())
    return Placement::Host; // allocates or frees
  return Placement::Either;
}

struct GPULaunchHostCodePass
    : neurona::impl::GPULaunchHostCodeBase<GPULaunchHostCodePass> {
  void runOnOperation() override {
    // Private functions are the deallocation pipeline's helpers, which work
    // on host bookkeeping only.
    if (getOperation().isPrivate())
      return;
    if (failed(processBlock(getOperation().getBody().front())))
      signalPassFailure();
  }

  LogicalResult processBlock(Block &block) {
    SmallVector<Operation *> run;
    for (Operation &op : llvm::make_early_inc_range(block)) {
      Placement where = placement(&op);
      if (where == Placement::Device) {
        run.push_back(&op);
        continue;
      }
      if (where == Placement::Either) {
        if (!run.empty())
          run.push_back(&op);
        continue;
      }
      if (failed(launch(run)))
        return failure();
      run.clear();
      if (isa<gpu::LaunchOp>(op))
        continue;
      for (Region &region : op.getRegions())
        for (Block &nested : region)
          if (failed(processBlock(nested)))
            return failure();
    }
    return launch(run);
  }

  /// A scalar computed from device memory that later code needs (a loss's
  /// mean that a gradient kernel scales by, the seed and step of a random
  /// op) is stored into a 0-d device buffer by the run's kernel and loaded
  /// again where it is used: inside kernels, or by code that becomes one.
  /// Host code proper (an allocation size, a launch bound, a loop bound)
  /// cannot wait for the device, and is an error.
  /// Returns the store, which belongs to the run, or null when no use is
  /// outside it.
  FailureOr<Operation *>
  passThroughMemory(Value value, Operation *runStart,
                    llvm::function_ref<bool(Operation *)> insideRun) {
    SmallVector<OpOperand *> outside;
    for (OpOperand &use : value.getUses())
      if (!insideRun(use.getOwner()))
        outside.push_back(&use);
    if (outside.empty())
      return static_cast<Operation *>(nullptr);
    for (OpOperand *use : outside) {
      Operation *user = use->getOwner();
      bool inKernel = user->getParentOfType<gpu::LaunchOp>() != nullptr;
      if (!inKernel && (isa<gpu::LaunchOp>(user) ||
                        placement(user) == Placement::Host)) {
        user->emitOpError("needs, on the host, a value computed from device "
                          "memory (operand ")
            << use->getOperandNumber()
            << "); a CUDA entry cannot wait for buffer elements";
        return failure();
      }
    }
    if (!MemRefType::isValidElementType(value.getType())) {
      value.getDefiningOp()->emitOpError(
          "computes a value later kernels need that cannot be kept in a "
          "buffer");
      return failure();
    }
    Location loc = value.getLoc();
    OpBuilder builder(runStart);
    auto type = MemRefType::get({}, value.getType());
    Value buffer = memref::AllocOp::create(builder, loc, type);
    builder.setInsertionPointAfterValue(value);
    Operation *store =
        memref::StoreOp::create(builder, loc, value, buffer, ValueRange());
    for (OpOperand *use : outside) {
      builder.setInsertionPoint(use->getOwner());
      use->set(memref::LoadOp::create(builder, loc, buffer, ValueRange()));
    }
    Block *block = runStart->getBlock();
    builder.setInsertionPoint(block->getTerminator());
    memref::DeallocOp::create(builder, loc, buffer);
    return store;
  }

  /// Moves `run` (consecutive operations of one block) into a kernel of one
  /// thread. Effect-free operations whose results the host needs are left
  /// before it when they do not depend on the run.
  LogicalResult launch(ArrayRef<Operation *> ops) {
    // Trailing effect-free operations belong to whatever follows.
    while (!ops.empty() && placement(ops.back()) == Placement::Either)
      ops = ops.drop_back();
    if (ops.empty())
      return success();
    llvm::SetVector<Operation *> run(ops.begin(), ops.end());
    auto insideRun = [&](Operation *user) {
      Operation *ancestor = ops.front()->getBlock()->findAncestorOpInBlock(*user);
      return ancestor && run.contains(ancestor);
    };
    auto dependsOnRun = [&](Operation *op) {
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          if (run.contains(def))
            return true;
      return false;
    };
    for (Operation *op : ops) {
      bool escapes = llvm::any_of(op->getUsers(), [&](Operation *user) {
        return !insideRun(user);
      });
      if (!escapes)
        continue;
      if (placement(op) == Placement::Either && !dependsOnRun(op)) {
        op->moveBefore(ops.front());
        run.remove(op);
        continue;
      }
      for (Value result : op->getResults()) {
        FailureOr<Operation *> store =
            passThroughMemory(result, ops.front(), insideRun);
        if (failed(store))
          return failure();
        if (*store)
          run.insert(*store);
      }
    }
    if (run.empty())
      return success();

    // Program order: the stores of passThroughMemory sit among the run.
    SmallVector<Operation *> ordered;
    for (Operation *op = ops.front(); ordered.size() < run.size();
         op = op->getNextNode())
      if (run.contains(op))
        ordered.push_back(op);
    Operation *first = ordered.front();
    OpBuilder builder(first);
    Value one = arith::ConstantIndexOp::create(builder, first->getLoc(), 1);
    auto kernel =
        gpu::LaunchOp::create(builder, first->getLoc(), one, one, one, one,
                              one, one);
    Block &body = kernel.getBody().front();
    builder.setInsertionPointToEnd(&body);
    auto terminator = gpu::TerminatorOp::create(builder, first->getLoc());
    for (Operation *op : ordered)
      op->moveBefore(terminator);
    return success();
  }
};

} // namespace
