// RUN: %neurona-opt %s | %neurona-opt | FileCheck %s

// nn.batch_norm on images and on features, in inference mode and in
// training mode, printed and parsed back; epsilon and momentum print only
// when they are not PyTorch's defaults (1e-5, 0.1).

// CHECK-LABEL: func.func @images
// CHECK:      nn.batch_norm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x3x4x4xf32>, tensor<3xf32>
func.func @images(%x: tensor<?x3x4x4xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<?x3x4x4xf32> {
  %y, %m1, %v1 = nn.batch_norm %x, %g, %b, %m, %v : tensor<?x3x4x4xf32>, tensor<3xf32>
  return %y : tensor<?x3x4x4xf32>
}

// CHECK-LABEL: func.func @features
// CHECK:      nn.batch_norm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} training {epsilon = 1.000000e-03 : f32, momentum = 2.500000e-01 : f32} : tensor<?x5xf32>, tensor<5xf32>
func.func @features(%x: tensor<?x5xf32>, %g: tensor<5xf32>, %b: tensor<5xf32>, %m: tensor<5xf32>, %v: tensor<5xf32>) -> (tensor<?x5xf32>, tensor<5xf32>, tensor<5xf32>) {
  %y, %m1, %v1 = nn.batch_norm %x, %g, %b, %m, %v training {epsilon = 1.0e-3 : f32, momentum = 0.25 : f32} : tensor<?x5xf32>, tensor<5xf32>
  return %y, %m1, %v1 : tensor<?x5xf32>, tensor<5xf32>, tensor<5xf32>
}
