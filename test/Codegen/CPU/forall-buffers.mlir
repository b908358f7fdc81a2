// RUN: %neurona-opt %s -neurona-cpu-pipeline="vector-width=16 register-tile-m=8" --mlir-print-ir-after=neurona-cpu-lower-vectors -o /dev/null 2>&1 | FileCheck %s

// A convolution runs image by image in an scf.forall (an OpenMP loop) with
// each image's patches in a buffer of their own; that buffer is freed at
// the end of the iteration, not leaked (which cost a fresh, page-faulting
// allocation per image and call).
// CHECK-LABEL: func.func @conv
// CHECK:         omp.loop_nest
// CHECK:           %[[COL:.+]] = memref.alloc() {{.+}} : memref<1x3x3x3x8x8xf32>
// CHECK:           memref.dealloc %[[COL]] : memref<1x3x3x3x8x8xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    omp.yield
func.func @conv(%x: tensor<?x3x8x8xf32>, %w: tensor<32x3x3x3xf32>) -> tensor<?x32x8x8xf32> {
  %0 = nn.conv2d %x, %w padding = [1, 1, 1, 1] : tensor<?x3x8x8xf32>, tensor<32x3x3x3xf32>
  return %0 : tensor<?x32x8x8xf32>
}
