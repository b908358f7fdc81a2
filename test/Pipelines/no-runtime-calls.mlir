// RUN: %neurona-opt %s -neurona-cpu-pipeline='vector-width=8' | FileCheck %s

// A product over a row count the register tiles may or may not divide
// (a multiple of 42 rows against 6-row tiles) bufferizes some tiles out of
// place. The copies must stay loops of the model: a call of MLIR's
// memrefCopy would make the artifact fail to load.
// CHECK-NOT:   memrefCopy
// CHECK:       llvm.func @_mlir_ciface_forward
func.func @forward(%x: tensor<?x18xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<18x3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %c0 = arith.constant 0 : index
  %c42 = arith.constant 42 : index
  %cst = arith.constant 0.0 : f32
  %d = tensor.dim %x, %c0 : tensor<?x18xf32>
  %q = arith.divui %d, %c42 : index
  %m = arith.muli %q, %c42 : index
  %e = tensor.empty(%m) : tensor<?x3xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %xs = tensor.extract_slice %x[0, 0] [%m, 18] [1, 1] : tensor<?x18xf32> to tensor<?x18xf32>
  %r = linalg.matmul ins(%xs, %w : tensor<?x18xf32>, tensor<18x3xf32>)
                     outs(%f : tensor<?x3xf32>) -> tensor<?x3xf32>
  %z = tensor.empty(%d) : tensor<?x3xf32>
  %zf = linalg.fill ins(%cst : f32) outs(%z : tensor<?x3xf32>) -> tensor<?x3xf32>
  %o = tensor.insert_slice %r into %zf[0, 0] [%m, 3] [1, 1] : tensor<?x3xf32> into tensor<?x3xf32>
  return %o : tensor<?x3xf32>
}
