// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// Inference mode: a per-channel affine map of the running statistics, which
// pass through unchanged; no reduction over the batch.
// CHECK-LABEL: func.func @inference
// CHECK-SAME: %[[M:[a-z0-9]+]]: tensor<3xf32>, %[[V:[a-z0-9]+]]: tensor<3xf32>)
// CHECK-NOT:  nn.
// CHECK-NOT:  linalg.reduce
// CHECK:      tensor.expand_shape %{{.+}} {{\[\[}}0, 1, 2]] output_shape [3, 1, 1] : tensor<3xf32> into tensor<3x1x1xf32>
// CHECK-NOT:  nn.
// CHECK:      return %{{.+}}, %[[M]], %[[V]]
func.func @inference(%x: tensor<?x3x4x4xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m1, %v1 = nn.batch_norm %x, %g, %b, %m, %v : tensor<?x3x4x4xf32>, tensor<3xf32>
  return %y, %m1, %v1 : tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Training mode: the batch statistics are reductions over the batch and the
// image; everything becomes linalg.
// CHECK-LABEL: func.func @training
// CHECK-NOT:  nn.
// CHECK:      linalg.generic
// CHECK-NOT:  nn.
// CHECK:      return
func.func @training(%x: tensor<?x3x4x4xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> (tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m1, %v1 = nn.batch_norm %x, %g, %b, %m, %v training : tensor<?x3x4x4xf32>, tensor<3xf32>
  return %y, %m1, %v1 : tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
}
