// RUN: %neurona-opt %s -nn-autodiff -neurona-cpu-pipeline='vector-width=8' | FileCheck %s

// The whole pipeline, training entries included, reaches the LLVM dialect
// with the C interface the runtime calls, and nothing else is left.
// CHECK-NOT:  nn.
// CHECK-NOT:  linalg.
// CHECK-NOT:  memref.
// Buffers come from the allocation functions the artifact defines (see
// lib/Target/Symbols.cpp), never straight from malloc.
// CHECK-NOT:  llvm.func @malloc
// CHECK-DAG:  llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// CHECK-DAG:  llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// CHECK-DAG:  llvm.func @_mlir_ciface_forward(%{{.+}}: !llvm.ptr {nn.name = "x", nn.role = "input"}
// CHECK-DAG:  llvm.func @_mlir_ciface_gradients(
// CHECK-DAG:  llvm.func @_mlir_ciface_train_step(
// The matmuls, forward and backward, are FMAs on whole 8-lane registers.
// CHECK-DAG:  llvm.intr.fmuladd({{.+}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// CHECK-DAG:  llvm.intr.exp
// CHECK-DAG:  llvm.intr.pow
module @mlp {
  func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                     %w0: tensor<4x8xf32> {nn.role = "param", nn.name = "dense0.weight"},
                     %b0: tensor<8xf32> {nn.role = "param", nn.name = "dense0.bias"},
                     %w1: tensor<8x3xf32> {nn.role = "param", nn.name = "dense1.weight"},
                     %b1: tensor<3xf32> {nn.role = "param", nn.name = "dense1.bias"})
      -> (tensor<?x3xf32> {nn.role = "output", nn.name = "logits"}) {
    %0 = nn.matmul %x, %w0 : tensor<?x4xf32>, tensor<4x8xf32>
    %1 = nn.add %0, %b0 : tensor<?x8xf32>, tensor<8xf32>
    %2 = nn.tanh %1 : tensor<?x8xf32>
    %3 = nn.matmul %2, %w1 : tensor<?x8xf32>, tensor<8x3xf32>
    %4 = nn.add %3, %b1 : tensor<?x3xf32>, tensor<3xf32>
    return %4 : tensor<?x3xf32>
  }
}
