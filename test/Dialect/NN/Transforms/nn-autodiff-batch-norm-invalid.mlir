// RUN: %neurona-opt %s -split-input-file -nn-autodiff -verify-diagnostics

// Running statistics must be parameters the optimizer leaves alone.
func.func @forward(%x: tensor<?x3xf32> {nn.role = "input", nn.name = "x"},
                   %g: tensor<3xf32> {nn.role = "param", nn.name = "g"},
                   %m: tensor<3xf32> {nn.role = "param", nn.name = "m"},
                   %v: tensor<3xf32> {nn.role = "param", nn.name = "v", nn.trainable = false})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  // expected-error @+1 {{nn-autodiff: operand #3 is state that this op updates in training, so it must be a parameter of forward with nn.trainable = false}}
  %y, %m1, %v1 = nn.batch_norm %x, %g, %g, %m, %v : tensor<?x3xf32>, tensor<3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// ... and arguments, not computed values.
func.func @forward(%x: tensor<?x3xf32> {nn.role = "input", nn.name = "x"},
                   %g: tensor<3xf32> {nn.role = "param", nn.name = "g"},
                   %m: tensor<3xf32> {nn.role = "param", nn.name = "m", nn.trainable = false})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %v = nn.mul %m, %m : tensor<3xf32>, tensor<3xf32>
  // expected-error @+1 {{nn-autodiff: operand #4 is state that this op updates in training}}
  %y, %m1, %v1 = nn.batch_norm %x, %g, %g, %m, %v : tensor<?x3xf32>, tensor<3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// One step cannot update a statistic twice.
func.func @forward(%x: tensor<?x3xf32> {nn.role = "input", nn.name = "x"},
                   %g: tensor<3xf32> {nn.role = "param", nn.name = "g"},
                   %m: tensor<3xf32> {nn.role = "param", nn.name = "m", nn.trainable = false},
                   %v: tensor<3xf32> {nn.role = "param", nn.name = "v", nn.trainable = false},
                   %v2: tensor<3xf32> {nn.role = "param", nn.name = "v2", nn.trainable = false})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  // expected-note @+1 {{first updated here}}
  %y, %m1, %v1 = nn.batch_norm %x, %g, %g, %m, %v : tensor<?x3xf32>, tensor<3xf32>
  // expected-error @+1 {{nn-autodiff: parameter 'm' is updated in training by two ops}}
  %z, %m2, %v3 = nn.batch_norm %y, %g, %g, %m, %v2 : tensor<?x3xf32>, tensor<3xf32>
  return %z : tensor<?x3xf32>
}
