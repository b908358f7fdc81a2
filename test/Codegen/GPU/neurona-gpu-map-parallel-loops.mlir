// RUN: %neurona-opt %s --neurona-gpu-map-parallel-loops --split-input-file | FileCheck %s

// A contraction written (m, k, n), as the CPU lowering likes it, is reordered
// so that its parallel iterators (m, n) come first: one thread per output
// element, its reduction over k sequential inside. The two parallel loops
// are collapsed into one and tiled into blocks of 256 threads.
// CHECK-LABEL: func.func @matmul_mkn
// CHECK:         %[[MN:.*]] = arith.muli %{{.*}}, %[[C128:c128[_0-9]*]] : index
// CHECK:         %[[C256:.*]] = arith.constant 256 : index
// CHECK:         %[[STEP:.*]] = arith.muli %{{.*}}, %[[C256]] : index
// CHECK:         scf.parallel (%[[BLOCK:.*]]) = (%{{.*}}) to (%[[MN]]) step (%[[STEP]])
// CHECK:           scf.parallel (%[[THREAD:.*]]) = (%{{.*}}) to (%[[STEP]])
// CHECK:             %[[I:.*]] = arith.addi %[[THREAD]], %[[BLOCK]]
// CHECK:             arith.cmpi ult, %{{.*}}, %[[MN]]
// CHECK:             scf.if
// CHECK:               arith.remsi %[[I]], %[[C128]]
// CHECK:               arith.divsi %[[I]], %[[C128]]
// CHECK:               scf.for %{{.*}} = %{{.*}} to %c784
// CHECK:                 memref.load %arg0
// CHECK:                 memref.load %arg1
// CHECK:                 memref.load %arg2
// CHECK:                 memref.store
// CHECK-NOT:       scf.parallel
// CHECK:           {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK:         {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @matmul_mkn(%a: memref<?x784xf32>, %b: memref<784x128xf32>,
                      %c: memref<?x128xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(m, k, n) -> (m, k)>,
                       affine_map<(m, k, n) -> (k, n)>,
                       affine_map<(m, k, n) -> (m, n)>],
      iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<?x784xf32>, memref<784x128xf32>)
      outs(%c : memref<?x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A full reduction has no parallel iterator: plain sequential loops, left to
// neurona-gpu-launch-host-code.
// CHECK-LABEL: func.func @sum_all
// CHECK-NOT:     scf.parallel
// CHECK:         scf.for
// CHECK:           scf.for
func.func @sum_all(%x: memref<?x10xf32>, %out: memref<f32>) {
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
      iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<?x10xf32>) outs(%out : memref<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A 0-d op (a loss's division by the batch size) becomes its body on
// loaded scalars.
// CHECK-LABEL: func.func @scalar
// CHECK:         %[[V:.*]] = memref.load %arg0[] : memref<f32>
// CHECK:         %[[Q:.*]] = arith.divf %[[V]], %arg1 : f32
// CHECK:         memref.store %[[Q]], %arg2[] : memref<f32>
func.func @scalar(%x: memref<f32>, %n: f32, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>],
                  iterator_types = []}
      ins(%x : memref<f32>) outs(%out : memref<f32>) {
  ^bb0(%v: f32, %o: f32):
    %q = arith.divf %v, %n : f32
    linalg.yield %q : f32
  }
  return
}

// -----

// Private functions (the deallocation pipeline's helpers) are host code.
// CHECK-LABEL: func.func private @helper
// CHECK-NOT:     mapping
func.func private @helper(%x: memref<4xi1>) {
  %t = arith.constant true
  linalg.fill ins(%t : i1) outs(%x : memref<4xi1>)
  return
}
