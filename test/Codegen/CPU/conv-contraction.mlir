// RUN: %neurona-opt %s -split-input-file -neurona-cpu-pipeline="vector-width=16 register-tile-m=8" --mlir-print-ir-after=neurona-cpu-tile-contractions -o /dev/null 2>&1 | FileCheck %s

// An ungrouped convolution runs image by image (an scf.forall over the
// dynamic batch, one image per thread chunk), each image's patches
// computed inside the loop, and per image the product
// W[oc, (c,kh,kw)] x Col[(c,kh,kw), (oh,ow)] gets the register-blocked
// kernels of a dense layer: static 8x32 tiles with the accumulator in
// registers across the k loop. No 7-D generic and no matmul remain.
// CHECK-LABEL: func.func @conv
// CHECK:         scf.forall (%{{.+}}) in (%{{.+}}) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<?x32x8x8xf32>)
// CHECK:           linalg.generic {{.+}} ins(%{{.+}} : tensor<1x3x10x10xf32>) outs(%{{.+}} : tensor<1x3x3x3x8x8xf32>)
// CHECK:           tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2, 3], [4, 5]] : tensor<1x3x3x3x8x8xf32> into tensor<1x27x64xf32>
// CHECK:           scf.for %{{.+}} = %c0 to %c32 step %c8
// CHECK:             scf.for %{{.+}} = %c0 to %c64 step %c32
// CHECK:               scf.for %{{.+}} = %c0 to %c27 step %c1 iter_args(%{{.+}} = %{{.+}}) -> (vector<8x32xf32>)
// CHECK:                 vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:           scf.forall.in_parallel
// CHECK-NOT:     iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-NOT:     linalg.matmul
func.func @conv(%x: tensor<?x3x8x8xf32>, %w: tensor<32x3x3x3xf32>, %b: tensor<32xf32>) -> tensor<?x32x8x8xf32> {
  %0 = nn.conv2d %x, %w, %b padding = [1, 1, 1, 1] : tensor<?x3x8x8xf32>, tensor<32x3x3x3xf32>, tensor<32xf32>
  return %0 : tensor<?x32x8x8xf32>
}

// -----

// A grouped convolution keeps the im2col rows [(n,oh,ow), (c,kh,kw)] times
// the block-diagonal weight (k spans all 4 x 3 x 3 patch entries): static
// 8x32 tiles over the dynamic rows, then
// the leftover rows one at a time.
// CHECK-LABEL: func.func @conv_groups
// CHECK:         scf.for %{{.+}} = %c0 to %{{.+}} step %c8
// CHECK:           scf.for %{{.+}} = %c0 to %c36 step %c1 iter_args(%{{.+}} = %{{.+}}) -> (vector<8x32xf32>)
// CHECK:             vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:         scf.for %{{.+}} step %c8
// CHECK:           scf.for %{{.+}} step %c1
// CHECK:             vector.contract {{.+}} into vector<1x32xf32>
// CHECK-NOT:     linalg.matmul
func.func @conv_groups(%x: tensor<?x4x8x8xf32>, %w: tensor<32x2x3x3xf32>) -> tensor<?x32x8x8xf32> {
  %0 = nn.conv2d %x, %w padding = [1, 1, 1, 1] groups = 2 : tensor<?x4x8x8xf32>, tensor<32x2x3x3xf32>
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
