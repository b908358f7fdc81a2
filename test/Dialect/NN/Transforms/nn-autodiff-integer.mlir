// RUN: %neurona-opt %s -split-input-file -nn-autodiff="loss=mse optimizer=sgd" | FileCheck %s

// Integer values are never differentiated: the gradient stops at the cast
// to i64 (and at the comparison), and flows through `where` to the branch
// the condition picks, reduced back over its broadcast.
// CHECK-LABEL: func.func @gradients
// CHECK:         nn.mse
// CHECK-NOT:     nn.cast
// CHECK-NOT:     nn.greater
// CHECK:         nn.where %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32>
// CHECK:         nn.where %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x4xi1>, tensor<f32>, tensor<?x4xf32>
// CHECK:         nn.reduce_sum
// CHECK:         return
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4xf32> {nn.role = "param", nn.name = "w"}) -> tensor<?x4xf32> {
  %y = nn.mul %x, %w : tensor<?x4xf32>, tensor<4xf32>
  %i = nn.cast %y : tensor<?x4xf32> to tensor<?x4xi64>
  %f = nn.cast %i : tensor<?x4xi64> to tensor<?x4xf32>
  %c = nn.greater %y, %f : tensor<?x4xf32>, tensor<?x4xf32>
  %z = nn.where %c, %y, %f : tensor<?x4xi1>, tensor<?x4xf32>, tensor<?x4xf32>
  return %z : tensor<?x4xf32>
}

// -----

// gather's data gradient is embedding_backward's scatter-add, with the
// indices counted from the end where negative.
// CHECK-LABEL: func.func @gradients
// CHECK:         nn.mse
// CHECK:         nn.transpose %{{.+}} perm = [1, 0] : tensor<3x3xf32>
// CHECK:         nn.less
// CHECK:         nn.where
// CHECK:         nn.embedding_backward %{{.+}}, %{{.+}}, %{{.+}} : tensor<3x1x3xf32>, tensor<3x1xi64>, tensor<5x3xf32>
// CHECK-NEXT:    nn.transpose %{{.+}} perm = [1, 0] : tensor<5x3xf32>
// CHECK:         return
func.func @forward(%x: tensor<?x3xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<3x5xf32> {nn.role = "param", nn.name = "w"}) -> tensor<?x3xf32> {
  %i = nn.constant dense<[0, -1, 2]> : tensor<3xi64>
  %g = nn.gather %w, %i axis = 1 : tensor<3x5xf32>, tensor<3xi64>
  %y = nn.matmul %x, %g : tensor<?x3xf32>, tensor<3x3xf32>
  return %y : tensor<?x3xf32>
}
