// RUN: %neurona-opt %s -pass-pipeline='builtin.module(func.func(neurona-expand-memref-copies))' | FileCheck %s

// A copy between strided views (a tile bufferized out of place) becomes a
// linalg.copy, which lowers to loops instead of a call of memrefCopy.
// CHECK-LABEL: func.func @strided
// CHECK-NOT:     memref.copy
// CHECK:         linalg.copy ins(%{{.+}} : memref<6x3xf32, strided<[3, 1], offset: ?>>) outs(%{{.+}} : memref<6x3xf32>)
func.func @strided(%src: memref<6x3xf32, strided<[3, 1], offset: ?>>,
                   %dst: memref<6x3xf32>) {
  memref.copy %src, %dst : memref<6x3xf32, strided<[3, 1], offset: ?>> to memref<6x3xf32>
  return
}
