//===- CPUPipeline.cpp - neurona-cpu-pipeline -----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Pipelines/Pipelines.h"

#include "neurona/Codegen/GPUPasses.h"
#include "neurona/Codegen/Passes.h"
#include "neurona/Conversion/Passes.h"
#include "neurona/Dialect/NN/Transforms/Passes.h"
#include "neurona/Target/Artifact.h"
#include "neurona/Target/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

int64_t neurona::hostVectorWidth() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return f32VectorWidth(
      [&](llvm::StringRef feature) { return features.lookup(feature); });
}

void neurona::addNNToLinalgPasses(OpPassManager &pm, bool fuseElementwise) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertNNToLinalg());
  pm.addPass(createCanonicalizerPass());
  if (fuseElementwise)
    pm.addPass(neurona::createFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void neurona::addBufferizationPasses(OpPassManager &pm) {
  pm.addPass(neurona::createEntryABI());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Recurrent layers carry their state through scf.for iter_args; a step
  // may yield a fresh buffer (the deallocation pipeline frees the old one).
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  bufferization::buildBufferDeallocationPipeline(pm);
}

void neurona::buildCPUPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options) {
  // The f32 lanes the pipeline targets: the option, else the host's.
  int64_t width =
      options.vectorWidth ? options.vectorWidth : neurona::hostVectorWidth();

  // nn -> linalg on tensors.
  addNNToLinalgPasses(pm, options.fuseElementwise);

  // Register-blocked, vectorized contractions, still on tensors.
  if (options.tileContractions) {
    neurona::CPUTileContractionsOptions tiling;
    tiling.vectorWidth = width;
    // An accumulator tile two registers wide, with as many rows as leave
    // room for one row of B and a broadcast of A: 8 rows of the 32
    // registers of AVX-512, 6 of AVX2's 16.
    tiling.registerTileN = 2 * width;
    tiling.registerTileM = width >= 16 ? 8 : 6;
    tiling.remainderTileN = 8 * width;
    // Deep products with B stored N x K (PyTorch's Linear, ONNX Gemm with
    // transB): with AVX-512 the outer-product kernels on a transposed copy
    // beat the dot products from 4 register tiles of rows on (measured at
    // 64x784x128: 0.107 against 0.137 ms); with AVX2 the dot products were
    // as fast or faster at 64 rows (0.17 against 0.24 ms), so they stay.
    if (width >= 16)
      tiling.dotProductRows = 4 * tiling.registerTileM;
    if (options.registerTileM)
      tiling.registerTileM = options.registerTileM;
    if (options.registerTileN)
      tiling.registerTileN = options.registerTileN;
    if (options.packBytes >= 0)
      tiling.packBytes = options.packBytes;
    // Two register tiles of rows per thread: 64 rows make 5 chunks and a
    // short one, which two cores share within a chunk of each other.
    if (options.threads)
      tiling.parallelRows = 2 * tiling.registerTileM;
    pm.addNestedPass<func::FuncOp>(neurona::createCPUTileContractions(tiling));
  }
  // Everything else that is parallel along its innermost dimension: one
  // vector register per step; with threads, loops of more than two chunks of
  // 16K elements (64 KiB of f32, tens of microseconds, well above the fork
  // cost) are shared.
  if (options.vectorizeElementwise) {
    neurona::CPUVectorizeElementwiseOptions elementwise;
    elementwise.vectorWidth = width;
    if (options.threads)
      elementwise.parallelElements = 16384;
    pm.addNestedPass<func::FuncOp>(
        neurona::createCPUVectorizeElementwise(elementwise));
  }
  pm.addNestedPass<func::FuncOp>(neurona::createCPUApproximateMath());

  // Tensors -> buffers, entries in destination-passing style.
  addBufferizationPasses(pm);

  // Buffers -> loops -> LLVM. Chunks of rows become OpenMP work-sharing
  // loops (Debian's libomp at run time).
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  neurona::CPULowerVectorsOptions lowerVectors;
  lowerVectors.avx2Transpose = width == 8;
  pm.addNestedPass<func::FuncOp>(neurona::createCPULowerVectors(lowerVectors));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addNestedPass<func::FuncOp>(neurona::createExpandMemRefCopies());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  // Horizontal sums (the lanes of dot-product tiles) as a shuffle tree; its
  // order is fixed by the code, not the data or the thread count.
  vectorToLLVM.reassociateFPReductions = true;
  vectorToLLVM.vectorContractLowering =
      vector::VectorContractLowering::OuterProduct;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  // Buffers are allocated through functions the artifact defines, so that
  // the runtime can serve them from a cache instead of fresh pages per call.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void neurona::registerPipelines() {
  mlir::nn::registerNNTransformsPasses();
  mlir::registerNeuronaConversionPasses();
  neurona::registerNeuronaCodegenPasses();
  neurona::registerNeuronaGPUCodegenPasses();
  neurona::registerNeuronaTargetPasses();
  PassPipelineRegistration<CPUPipelineOptions>(
      "neurona-cpu-pipeline",
      "Lower nn to LLVM dialect for the host CPU (what `neurona compile` runs)",
      buildCPUPipeline);
  PassPipelineRegistration<CUDAPipelineOptions>(
      "neurona-cuda-pipeline",
      "Lower nn to LLVM dialect host code calling PTX kernels for NVIDIA GPUs "
      "(what `neurona compile --target=cuda` runs)",
      buildCUDAPipeline);
}
