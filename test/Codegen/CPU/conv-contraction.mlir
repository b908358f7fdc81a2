// RUN: %neurona-opt %s -split-input-file -neurona-cpu-pipeline="vector-width=16 register-tile-m=8" --mlir-print-ir-after=neurona-cpu-tile-contractions -o /dev/null 2>&1 | FileCheck %s

// A convolution's im2col contraction [(n,oh,ow), (c,kh,kw)] x [(c,kh,kw), oc]
// gets the same register-blocked kernels as a dense layer: static 8x32
// tiles over the dynamic rows with the accumulator in registers across the
// k loop, then the leftover rows one at a time. Neither the patch gather
// nor the transposes around it fuse into the contraction.
// CHECK-LABEL: func.func @conv
// CHECK:         scf.for %{{.+}} = %c0 to %{{.+}} step %c8
// CHECK:           scf.for %{{.+}} = %c0 to %c27 step %c1 iter_args(%{{.+}} = %{{.+}}) -> (vector<8x32xf32>)
// CHECK:             vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:         scf.for %{{.+}} step %c8
// CHECK:           scf.for %{{.+}} step %c1
// CHECK:             vector.contract {{.+}} into vector<1x32xf32>
// CHECK-NOT:     linalg.matmul
func.func @conv(%x: tensor<?x3x8x8xf32>, %w: tensor<32x3x3x3xf32>, %b: tensor<32xf32>) -> tensor<?x32x8x8xf32> {
  %0 = nn.conv2d %x, %w, %b padding = [1, 1, 1, 1] : tensor<?x3x8x8xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>
  return %0 : tensor<?x32x8x8xf32>
}

// -----

// Its gradients: the weight's contracts over the batch-derived rows
// (dynamic k), the input's over the output channels; both vectorize.
// CHECK-LABEL: func.func @conv_backward
// CHECK:         vector.contract {{.+}} into vector<8x32xf32>
// CHECK:         vector.contract {{.+}} into vector<8x32xf32>
// CHECK-NOT:     linalg.matmul
func.func @conv_backward(%g: tensor<?x32x8x8xf32>, %x: tensor<?x3x8x8xf32>, %w: tensor<32x3x3x3xf32>) -> (tensor<32x3x3x3xf32>, tensor<?x3x8x8xf32>) {
  %dw = nn.conv2d_backward_filter %g, %x, %w padding = [1, 1, 1, 1] : tensor<?x32x8x8xf32>, tensor<?x3x8x8xf32>, tensor<32x3x3x3xf32>
  %dx = nn.conv2d_backward_data %g, %x, %w padding = [1, 1, 1, 1] : tensor<?x32x8x8xf32>, tensor<?x3x8x8xf32>, tensor<32x3x3x3xf32>
  return %dw, %dx : tensor<32x3x3x3xf32>, tensor<?x3x8x8xf32>
}
