// RUN: %neurona-opt %s -nn-autodiff="loss=mse optimizer=sgd" | FileCheck %s

// Training entries replace nn.batch_norm by its training computation (batch
// statistics, differentiated through), and train_step returns the new
// running statistics as param_out after the trained parameters; `forward`
// keeps the op in inference mode.

func.func @forward(%x: tensor<?x3xf32> {nn.role = "input", nn.name = "x"},
                   %g: tensor<3xf32> {nn.role = "param", nn.name = "bn.weight"},
                   %b: tensor<3xf32> {nn.role = "param", nn.name = "bn.bias"},
                   %m: tensor<3xf32> {nn.role = "param", nn.name = "bn.running_mean", nn.trainable = false},
                   %v: tensor<3xf32> {nn.role = "param", nn.name = "bn.running_var", nn.trainable = false},
                   %w: tensor<3x1xf32> {nn.role = "param", nn.name = "w"}) -> (tensor<?x1xf32> {nn.role = "output", nn.name = "y"}) {
  %y, %m1, %v1 = nn.batch_norm %x, %g, %b, %m, %v {momentum = 0.25 : f32} : tensor<?x3xf32>, tensor<3xf32>
  %0 = nn.matmul %y, %w : tensor<?x3xf32>, tensor<3x1xf32>
  return %0 : tensor<?x1xf32>
}

// CHECK-LABEL: func.func @forward
// CHECK:      nn.batch_norm

// CHECK-LABEL: func.func @gradients
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<3xf32> {nn.name = "bn.weight", nn.role = "grad"}, tensor<3xf32> {nn.name = "bn.bias", nn.role = "grad"}, tensor<3x1xf32> {nn.name = "w", nn.role = "grad"})
// CHECK-NOT:  nn.batch_norm
// CHECK:      nn.reduce_mean %{{.+}} axes = [0] keepdims : tensor<?x3xf32>
// CHECK-NOT:  nn.batch_norm
// CHECK:      return

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: %[[M:[a-z0-9]+]]: tensor<3xf32> {nn.name = "bn.running_mean", nn.role = "param"}
// CHECK-SAME: %[[V:[a-z0-9]+]]: tensor<3xf32> {nn.name = "bn.running_var", nn.role = "param"}
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<?x1xf32> {nn.name = "y", nn.role = "output"}, tensor<3xf32> {nn.name = "bn.weight", nn.role = "param_out"}, tensor<3xf32> {nn.name = "bn.bias", nn.role = "param_out"}, tensor<3xf32> {nn.name = "bn.running_mean", nn.role = "param_out"}, tensor<3xf32> {nn.name = "bn.running_var", nn.role = "param_out"}, tensor<3x1xf32> {nn.name = "w", nn.role = "param_out"})
// CHECK-NOT:  nn.batch_norm
// CHECK:      %[[MEAN:.+]] = nn.reduce_mean %{{.+}} axes = [0] keepdims : tensor<?x3xf32>
// CHECK:      %[[N:.+]] = nn.numel %{{.+}} axes = [0] : tensor<?x3xf32>
// CHECK:      %[[KEEP:.+]] = nn.constant dense<7.500000e-01> : tensor<f32>
// CHECK:      %[[TAKE:.+]] = nn.constant dense<2.500000e-01> : tensor<f32>
// CHECK:      %[[OLD:.+]] = nn.mul %[[M]], %[[KEEP]]
// CHECK:      %[[FLAT:.+]] = nn.reshape %[[MEAN]] : tensor<1x3xf32> -> tensor<3xf32>
// CHECK:      %[[NEW:.+]] = nn.mul %[[FLAT]], %[[TAKE]]
// CHECK:      %[[MOUT:.+]] = nn.add %[[OLD]], %[[NEW]]
// CHECK:      %[[VOLD:.+]] = nn.mul %[[V]], %[[KEEP]]
// CHECK:      %[[VOUT:.+]] = nn.add %[[VOLD]], %{{.+}}
// CHECK:      return %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[MOUT]], %[[VOUT]], %{{.+}} :
