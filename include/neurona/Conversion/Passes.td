//===- Passes.td - Neurona conversion passes ---------------*- tablegen -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_CONVERSION_PASSES_TD
#define NEURONA_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalg : Pass<"convert-nn-to-linalg"> {
  let summary = "Lower the nn dialect to linalg, tensor, arith and math";
  let description = [{
    Every `nn` op becomes destination-style `linalg.generic` (or `linalg.fill`
    and tensor reshapes) on tensors, so that upstream elementwise fusion,
    tiling and bufferization apply unchanged. Dynamic batch sizes are read
    with `tensor.dim`. Matmuls order their loops so that the innermost one
    walks contiguous memory in the absence of later tiling.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // NEURONA_CONVERSION_PASSES_TD
