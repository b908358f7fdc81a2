//===- GPUPasses.td - GPU code generation passes -----------*- tablegen -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_CODEGEN_GPUPASSES_TD
#define NEURONA_CODEGEN_GPUPASSES_TD

include "mlir/Pass/PassBase.td"

def GPUMapParallelLoops
    : Pass<"neurona-gpu-map-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Lower bufferized linalg ops to parallel loops mapped onto "
                "blocks and threads";
  let description = [{
    Each bufferized `linalg` op is generalized, its iterators reordered
    parallel first, and lowered to an `scf.parallel` over its parallel
    iterators holding `scf.for` loops over its reductions. The parallel
    loop (and any other outermost `scf.parallel`) has its dimensions
    collapsed into one, row-major, and is tiled by `block-size`: the tiles are the grid's
    x blocks and the elements of a tile its x threads, with a bounds check
    for the last tile, so a dynamic batch needs no special case. Reduction
    loops inside stay sequential in their thread, in their original order,
    so sums do not depend on the launch shape. `scf.parallel` loops nested
    deeper run sequentially. The mapping attributes are what upstream
    `convert-parallel-loops-to-gpu` turns into `gpu.launch`.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads of a block (elements of a tile)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect"];
}

def GPULaunchHostCode
    : Pass<"neurona-gpu-launch-host-code", "::mlir::func::FuncOp"> {
  let summary = "Run host code that reads or writes buffers as "
                "single-thread kernels";
  let description = [{
    Every buffer of a CUDA entry lives in device memory, so host code must
    not touch their elements. What is left of an entry after the parallel
    loops became kernels (scalar loads and stores of a loss, sequential
    loops such as an embedding's scatter-add) is grouped into maximal runs
    of consecutive operations and each run becomes a `gpu.launch` of one
    block of one thread. The deallocation pipeline's ownership bookkeeping
    (`memref.alloca`s, allocations handed to its private helpers, and the
    calls of those helpers) stays on the host. Control flow that itself
    launches kernels (the step loop of a recurrent layer) stays on the host
    and its body is processed in turn. A host value computed from device memory is an
    error: nothing in the pipeline produces one.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect"];
}

def GPUDeviceAllocations
    : Pass<"neurona-gpu-device-allocations", "::mlir::func::FuncOp"> {
  let summary = "Allocate host-side buffers in device memory";
  let description = [{
    `memref.alloc` and `memref.dealloc` outside kernels become `gpu.alloc`
    and `gpu.dealloc` (plain device allocations, never managed memory).
    Allocations inside a kernel are refused. The deallocation pipeline's
    ownership bookkeeping (`memref.alloca`s, and allocations handed to its
    private helper functions, which are skipped) stays in host memory.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUMergeModules : Pass<"neurona-gpu-merge-modules", "::mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` gives each kernel a module of its own, which
    would make one PTX text, one driver JIT compilation and one module load
    per kernel. All kernels move into the first module, each renamed after
    the module it came from (names are unique there), and every
    `gpu.launch_func` is redirected: an artifact carries one PTX module.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // NEURONA_CODEGEN_GPUPASSES_TD
