// RUN: %neurona-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(neurona-cpu-lower-vectors))' | FileCheck %s

// A 2x1 by 1x16 contraction becomes one broadcast of an A element and one
// FMA per accumulator row (convert-vector-to-scf later unrolls the 2-D
// transfers into rank-1 loads).
// CHECK-LABEL: func.func @kernel
// CHECK-NOT:     vector.contract
// CHECK:         vector.broadcast {{.+}} : f32 to vector<16xf32>
// CHECK:         vector.fma {{.+}} : vector<16xf32>
// CHECK:         vector.fma {{.+}} : vector<16xf32>
// CHECK-NOT:     vector.fma
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @kernel(%A: memref<2x16xf32>, %B: memref<16x16xf32>,
                  %acc: vector<2x16xf32>, %k: index) -> vector<2x16xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %a = vector.transfer_read %A[%c0, %k], %pad {in_bounds = [true, true]} : memref<2x16xf32>, vector<2x1xf32>
  %b = vector.transfer_read %B[%k, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32>, vector<1x16xf32>
  %r = vector.contract {indexing_maps = [#a, #b, #c],
                        iterator_types = ["parallel", "parallel", "reduction"],
                        kind = #vector.kind<add>} %a, %b, %acc
      : vector<2x1xf32>, vector<1x16xf32> into vector<2x16xf32>
  return %r : vector<2x16xf32>
}

// -----

// A narrow tile's write may run past its 10 columns: it stays a transfer,
// which the LLVM conversion turns into a masked store.
// CHECK-LABEL: func.func @narrow_store
// CHECK:         vector.transfer_write {{.+}} {in_bounds = [true, false]} : vector<2x16xf32>, memref<2x10xf32>
func.func @narrow_store(%C: memref<2x10xf32>, %v: vector<2x16xf32>) {
  %c0 = arith.constant 0 : index
  vector.transfer_write %v, %C[%c0, %c0] {in_bounds = [true, false]} : vector<2x16xf32>, memref<2x10xf32>
  return
}
