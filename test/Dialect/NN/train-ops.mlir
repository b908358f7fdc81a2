// RUN: %neurona-opt %s -split-input-file | %neurona-opt -split-input-file | FileCheck %s

// The losses and optimizer options of the training recipes round-trip;
// attributes at their defaults are not printed.

// CHECK-LABEL: func.func @losses
func.func @losses(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>, %y: tensor<?xi64>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  // CHECK: nn.mae %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<?x3xf32>
  %0 = nn.mae %p, %t : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: nn.binary_cross_entropy %{{.+}}, %{{.+}} {from_logits} : tensor<?x3xf32>, tensor<?x3xf32>
  %1 = nn.binary_cross_entropy %p, %t {from_logits} : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: nn.cross_entropy %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<?x3xf32>
  %2 = nn.cross_entropy %p, %t : tensor<?x3xf32>, tensor<?x3xf32>
  // CHECK: nn.cross_entropy %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<?xi64>
  %3 = nn.cross_entropy %p, %y : tensor<?x3xf32>, tensor<?xi64>
  return %0, %1, %2, %3 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @optimizers
func.func @optimizers(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %t: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK: nn.sgd_update {{.+}} {momentum = 0.899999976 : f32, nesterov, weight_decay = 9.99999974E-5 : f32} : tensor<4xf32>
  %p1, %v1 = nn.sgd_update %p, %g, %v, %lr {momentum = 0.9 : f32, nesterov, weight_decay = 1.0e-4 : f32} : tensor<4xf32>
  // CHECK: nn.adam_update {{.+}} {weight_decay = 0.00999999977 : f32} : tensor<4xf32>
  %p2, %m2, %v2 = nn.adam_update %p1, %g, %m, %v1, %lr, %t {weight_decay = 0.01 : f32} : tensor<4xf32>
  // CHECK: nn.adam_update {{.+}} {decoupled, weight_decay = 0.00999999977 : f32} : tensor<4xf32>
  %p3, %m3, %v3 = nn.adam_update %p2, %g, %m2, %v2, %lr, %t {decoupled, weight_decay = 0.01 : f32} : tensor<4xf32>
  return %p3, %m3, %v3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
