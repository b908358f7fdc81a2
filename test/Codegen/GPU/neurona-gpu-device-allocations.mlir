// RUN: %neurona-opt %s --neurona-gpu-device-allocations --split-input-file --verify-diagnostics | FileCheck %s

// Buffers of tensor data are device allocations; the deallocation
// pipeline's bookkeeping (handed to its helper) stays in host memory.
// CHECK-LABEL: func.func @buffers
// CHECK:         %[[DATA:.*]] = gpu.alloc  (%arg0) : memref<?x128xf32>
// CHECK:         %[[FLAGS:.*]] = memref.alloc() : memref<2xi1>
// CHECK:         call @dealloc_helper
// CHECK:         gpu.dealloc  %[[DATA]] : memref<?x128xf32>
// CHECK:         memref.dealloc %[[FLAGS]] : memref<2xi1>
func.func private @dealloc_helper(memref<?xi1>)
func.func @buffers(%n: index) {
  %data = memref.alloc(%n) {alignment = 64 : i64} : memref<?x128xf32>
  %flags = memref.alloc() : memref<2xi1>
  %cast = memref.cast %flags : memref<2xi1> to memref<?xi1>
  call @dealloc_helper(%cast) : (memref<?xi1>) -> ()
  memref.dealloc %data : memref<?x128xf32>
  memref.dealloc %flags : memref<2xi1>
  return
}

// -----

func.func @inside_kernel() {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{allocates inside a kernel}}
    %b = memref.alloc() : memref<4xf32>
    gpu.terminator
  }
  return
}
