// RUN: %neurona-opt %s --neurona-gpu-launch-host-code --split-input-file --verify-diagnostics | FileCheck %s

// A loss's mean: a scalar load, a division and a store run in a kernel of one
// thread. The quotient is also read by a later kernel, so it travels through
// a 0-d device buffer: stored in the first kernel, loaded in the second.
// CHECK-LABEL: func.func @mean_then_scale
// CHECK:         %[[BUF:.*]] = memref.alloc() : memref<f32>
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE:.*]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]]) threads({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]])
// CHECK:           %[[SUM:.*]] = memref.load %arg0[]
// CHECK:           %[[MEAN:.*]] = arith.divf %[[SUM]], %arg1
// CHECK:           memref.store %[[MEAN]], %[[BUF]][]
// CHECK:           memref.store %[[MEAN]], %arg2[]
// CHECK:           gpu.terminator
// CHECK:         gpu.launch
// CHECK:           %[[AGAIN:.*]] = memref.load %[[BUF]][]
// CHECK:           arith.mulf %{{.*}}, %[[AGAIN]]
// CHECK:         memref.dealloc %[[BUF]]
// CHECK-NEXT:    return
func.func @mean_then_scale(%sum: memref<f32>, %n: f32, %mean: memref<f32>,
                           %x: memref<64xf32>) {
  %s = memref.load %sum[] : memref<f32>
  %m = arith.divf %s, %n : f32
  memref.store %m, %mean[] : memref<f32>
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%tx] : memref<64xf32>
    %w = arith.mulf %v, %m : f32
    memref.store %w, %x[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

// Control flow that launches kernels stays on the host; the scalar code in
// its body becomes kernels of its own. Effect-free index arithmetic stays on
// the host.
// CHECK-LABEL: func.func @steps
// CHECK:         scf.for
// CHECK-NEXT:      arith.addi
// CHECK-NEXT:      arith.constant 1 : index
// CHECK-NEXT:      gpu.launch
// CHECK-NEXT:        memref.load
// CHECK-NEXT:        memref.store
// CHECK-NEXT:        gpu.terminator
// CHECK:           gpu.launch
func.func @steps(%h: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %t = %c0 to %n step %c1 {
    %next = arith.addi %t, %c1 : index
    %v = memref.load %h[%c0] : memref<8xf32>
    memref.store %v, %h[%c1] : memref<8xf32>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
      %w = memref.load %h[%tx] : memref<8xf32>
      memref.store %w, %h[%tx] : memref<8xf32>
      gpu.terminator
    }
  }
  return
}

// -----

// The deallocation pipeline's bookkeeping is host memory: flags in an
// allocation handed to its helper are read on the host.
// CHECK-LABEL: func.func @bookkeeping
// CHECK-NOT:     gpu.launch
func.func private @dealloc_helper(memref<?xi1>)
func.func @bookkeeping(%x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %flags = memref.alloc() : memref<1xi1>
  %cast = memref.cast %flags : memref<1xi1> to memref<?xi1>
  call @dealloc_helper(%cast) : (memref<?xi1>) -> ()
  %owned = memref.load %flags[%c0] : memref<1xi1>
  scf.if %owned {
    memref.dealloc %x : memref<8xf32>
  }
  memref.dealloc %flags : memref<1xi1>
  return
}

// -----

// A size read from device memory cannot steer host code.
func.func @size_from_device(%n: memref<index>) {
  %size = memref.load %n[] : memref<index>
  // expected-error @+1 {{'memref.alloc' op needs, on the host, a value computed from device memory (operand 0)}}
  %buf = memref.alloc(%size) : memref<?xf32>
  memref.dealloc %buf : memref<?xf32>
  return
}
