//===- MapParallelLoops.cpp - neurona-gpu-map-parallel-loops --------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// One kernel per bufferized linalg op: its iterators are reordered so the
// parallel ones come first, and its parallel loops, collapsed into one
// dimension and tiled by the block size, become a grid of x blocks of x
// threads; the reduction loops run inside each thread. (Upstream's
// `convert-linalg-to-parallel-loops` keeps the iterator order, so a
// contraction written (m, k, n) would nest a parallel loop in a sequential
// one, which `convert-parallel-loops-to-gpu` cannot map.) Upstream's greedy mapper (`gpu-map-parallel-loops`) maps loop
// dimensions one to one onto grid and block dimensions, which gives blocks of
// one thread for the 1-D loops of elementwise ops and makes the block shape
// depend on the batch; collapsing first gives every op full blocks.
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/GPUPasses.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

#include <numeric>

namespace neurona {
#define GEN_PASS_DEF_GPUMAPPARALLELLOOPS
#include "neurona/Codegen/GPUPasses.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

/// The outermost `scf.parallel` loops of `func` (those not nested in
/// another one or in a kernel).
SmallVector<scf::ParallelOp> outermostLoops(func::FuncOp func) {
  SmallVector<scf::ParallelOp> loops;
  func.walk([&](scf::ParallelOp loop) {
    if (!loop->getParentOfType<scf::ParallelOp>() &&
        !loop->getParentOfType<gpu::LaunchOp>())
      loops.push_back(loop);
  });
  return loops;
}

gpu::ParallelLoopDimMappingAttr mapTo(MLIRContext *ctx,
                                      gpu::Processor processor) {
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
  return gpu::ParallelLoopDimMappingAttr::get(ctx, processor, identity,
                                              identity);
}

/// Replaces a 0-d `linalg.generic` (a scalar update such as a loss's
/// division) by its body on loaded scalars; the loads and stores are then
/// host code that neurona-gpu-launch-host-code puts in a one-thread kernel.
void inlineZeroRankOp(RewriterBase &rewriter, linalg::GenericOp op) {
  Location loc = op.getLoc();
  IRMapping mapping;
  Block *body = op.getBody();
  for (OpOperand &operand : op->getOpOperands()) {
    Value value = operand.get();
    if (isa<MemRefType>(value.getType()))
      value = memref::LoadOp::create(rewriter, loc, value, ValueRange());
    mapping.map(body->getArgument(operand.getOperandNumber()), value);
  }
  for (Operation &inner : body->without_terminator())
    rewriter.clone(inner, mapping);
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  for (auto [result, init] :
       llvm::zip(yield.getValues(), op.getDpsInits()))
    memref::StoreOp::create(rewriter, loc, mapping.lookupOrDefault(result),
                            init, ValueRange());
  rewriter.eraseOp(op);
}

struct GPUMapParallelLoopsPass
    : neurona::impl::GPUMapParallelLoopsBase<GPUMapParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isPrivate())
      return; // the deallocation pipeline's helpers: host bookkeeping
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);

    // Linalg ops -> parallel loops over their parallel iterators, with the
    // reductions nested inside in their original order.
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> generalized =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(generalized)) {
          op->emitOpError("cannot be generalized for the GPU mapping");
          return signalPassFailure();
        }
        generic = *generalized;
      }
      if (generic.getNumLoops() == 0) {
        inlineZeroRankOp(rewriter, generic);
        continue;
      }
      SmallVector<unsigned> order;
      for (auto [i, type] : llvm::enumerate(generic.getIteratorTypesArray()))
        if (type == utils::IteratorType::parallel)
          order.push_back(i);
      for (auto [i, type] : llvm::enumerate(generic.getIteratorTypesArray()))
        if (type != utils::IteratorType::parallel)
          order.push_back(i);
      FailureOr<linalg::GenericOp> interchanged =
          linalg::interchangeGenericOp(rewriter, generic, order);
      // Without a parallel iterator (a 0-d op, a full reduction) there is
      // nothing to spread over threads: sequential loops, which
      // neurona-gpu-launch-host-code runs as a one-thread kernel.
      bool parallel = generic.getNumParallelLoops() > 0;
      if (failed(interchanged) ||
          (parallel &&
           failed(linalg::linalgOpToParallelLoops(rewriter, *interchanged))) ||
          (!parallel && failed(linalg::linalgOpToLoops(rewriter,
                                                      *interchanged)))) {
        generic->emitOpError("cannot be lowered to parallel loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(*interchanged);
    }

    // Row-major collapse: the last dimension varies fastest, so neighbouring
    // threads touch neighbouring elements.
    for (scf::ParallelOp loop : outermostLoops(func)) {
      unsigned rank = loop.getNumLoops();
      if (rank == 1)
        continue;
      std::vector<unsigned> all(rank);
      std::iota(all.begin(), all.end(), 0u);
      rewriter.setInsertionPoint(loop);
      collapseParallelLoops(rewriter, loop, {all});
    }

    for (scf::ParallelOp loop : outermostLoops(func)) {
      // Deeper parallel loops (a parallel dimension inside a reduction)
      // run in their thread.
      SmallVector<scf::ParallelOp> nested;
      loop.getBody()->walk([&](scf::ParallelOp inner) {
        nested.push_back(inner);
      });
      for (scf::ParallelOp inner : nested) {
        SmallVector<gpu::ParallelLoopDimMappingAttr> sequential(
            inner.getNumLoops(), mapTo(ctx, gpu::Processor::Sequential));
        if (failed(gpu::setMappingAttr(inner, sequential)))
          return signalPassFailure();
      }
      auto [blocks, threads] =
          scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
      if (failed(gpu::setMappingAttr(blocks,
                                     {mapTo(ctx, gpu::Processor::BlockX)})) ||
          failed(gpu::setMappingAttr(threads,
                                     {mapTo(ctx, gpu::Processor::ThreadX)})))
        return signalPassFailure();
    }
  }
};

} // namespace
