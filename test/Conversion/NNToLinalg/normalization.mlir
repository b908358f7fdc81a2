// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s
// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg -canonicalize -neurona-fuse-elementwise -canonicalize | FileCheck %s --check-prefix=FUSED

// Inference mode: a per-channel affine map of the running statistics, which
// pass through unchanged; no reduction over the batch.
// CHECK-LABEL: func.func @inference
// CHECK-SAME: %[[M:[a-z0-9]+]]: tensor<3xf32>, %[[V:[a-z0-9]+]]: tensor<3xf32>)
// CHECK-NOT:  nn.
// CHECK-NOT:  linalg.reduce
// CHECK:      tensor.expand_shape %{{.+}} {{\[\[}}0, 1, 2]] output_shape [3, 1, 1] : tensor<3xf32> into tensor<3x1x1xf32>
// CHECK-NOT:  nn.
// CHECK:      return %{{.+}}, %[[M]], %[[V]]
// After fusion, one loop over the image reads x and the two [C, 1, 1]
// factors, as for ONNX's BatchNormalization (test/Frontend/ONNX/batch-norm.test).
// FUSED-LABEL: func.func @inference
// FUSED-COUNT-1: ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<?x3x4x4xf32>, tensor<3x1x1xf32>, tensor<3x1x1xf32>) outs(%{{.+}} : tensor<?x3x4x4xf32>)
// FUSED-NOT:     outs(%{{.+}} : tensor<?x3x4x4xf32>)
// FUSED-LABEL: func.func @training
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
