// RUN: %neurona-opt %s -nn-autodiff="loss=mse optimizer=adam" | FileCheck %s

// A parameter marked `nn.trainable = false` (input statistics) is an
// argument of every entry, but has no gradient, no optimizer state and no
// param_out: the runtime keeps its buffer as it is.

func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %m: tensor<4xf32> {nn.role = "param", nn.name = "x.mean", nn.trainable = false},
                   %w: tensor<4x1xf32> {nn.role = "param", nn.name = "w"}) -> (tensor<?x1xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.sub %x, %m : tensor<?x4xf32>, tensor<4xf32>
  %1 = nn.matmul %0, %w : tensor<?x4xf32>, tensor<4x1xf32>
  return %1 : tensor<?x1xf32>
}

// CHECK-LABEL: func.func @gradients
// CHECK-SAME: {nn.name = "x.mean", nn.role = "param"}
// CHECK-SAME: {nn.name = "w", nn.role = "param"}
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<4x1xf32> {nn.name = "w", nn.role = "grad"})
// CHECK:      return %{{.+}}, %{{.+}} : tensor<f32>, tensor<4x1xf32>

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: {nn.name = "x.mean", nn.role = "param"}
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<4x1xf32> {nn.name = "w", nn.role = "param"}
// CHECK-SAME: {nn.name = "w.adam_m", nn.role = "state"}
// CHECK-SAME: {nn.name = "w.adam_v", nn.role = "state"}
// CHECK-SAME: {nn.name = "adam.step", nn.role = "state"}
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<?x1xf32> {nn.name = "y", nn.role = "output"}, tensor<4x1xf32> {nn.name = "w", nn.role = "param_out"}, tensor<4x1xf32> {nn.name = "w.adam_m", nn.role = "state_out"}, tensor<4x1xf32> {nn.name = "w.adam_v", nn.role = "state_out"}, tensor<f32> {nn.name = "adam.step", nn.role = "state_out"})
// CHECK-NOT:  x.mean.adam
// CHECK:      nn.adam_update %[[W]]
// CHECK-NOT:  nn.adam_update
