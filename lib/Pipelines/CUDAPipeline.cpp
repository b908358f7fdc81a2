//===- CUDAPipeline.cpp - neurona-cuda-pipeline ---------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The same nn -> linalg -> buffers front as the CPU pipeline, then every
// buffer in device memory and every loop nest a kernel: parallel loops on a
// grid of blocks, what remains of the host code in single-thread kernels.
// Kernels go through NVVM to PTX, embedded in the module as a `gpu.binary`;
// the host code calls the `mgpu*` functions of upstream's GPU lowering,
// which the runtime implements on the CUDA driver API it loads at run time.
//
//===----------------------------------------------------------------------===//

#include "neurona/Pipelines/Pipelines.h"

#include "neurona/Codegen/GPUPasses.h"
#include "neurona/Codegen/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void neurona::buildCUDAPipeline(OpPassManager &pm,
                                const CUDAPipelineOptions &options) {
  // nn -> linalg on tensors, as for the CPU. Transcendentals become the
  // same polynomials as on the CPU, so both targets compute the same
  // function and kernels need libdevice only for what has no polynomial.
  addNNToLinalgPasses(pm, options.fuseElementwise);
  pm.addNestedPass<func::FuncOp>(neurona::createCPUApproximateMath());
  addBufferizationPasses(pm);

  // Buffers -> kernels. Every copy becomes a loop nest, every loop nest a
  // kernel; allocations move to device memory.
  pm.addNestedPass<func::FuncOp>(neurona::createExpandMemRefCopies());
  neurona::GPUMapParallelLoopsOptions map;
  map.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(neurona::createGPUMapParallelLoops(map));
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addNestedPass<func::FuncOp>(neurona::createGPULaunchHostCode());
  pm.addNestedPass<func::FuncOp>(neurona::createGPUDeviceAllocations());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(neurona::createGPUMergeModules());
  // Kernels, allocations and frees queue on one stream per call, in program
  // order; the host waits once, before it returns (and before host code
  // that would need a result, which the passes above leave none of).
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());

  // Host and device to the LLVM dialect (upstream's NVVM pipeline, with the
  // toolkit path for libdevice and the host conversions of the CPU side).
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.ptxFeatures;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());
  pm.addPass(createGpuToLLVMConversionPass());
  // PTX text ("isa"): the driver compiles it for the GPU it finds, so the
  // artifact needs no toolkit where it runs.
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.cudaPath;
  binary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(binary));
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}
