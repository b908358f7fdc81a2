// RUN: %neurona-opt %s -split-input-file -nn-autodiff -verify-diagnostics

// expected-error @+1 {{nn-autodiff: forward has no trainable parameters}}
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"}) -> tensor<?x4xf32> {
  %0 = nn.relu %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// expected-error @+1 {{cross_entropy needs a 2-D (batch x classes) prediction}}
func.func @forward(%x: tensor<?xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<1xf32> {nn.role = "param", nn.name = "w"}) -> tensor<?xf32> {
  %0 = nn.mul %x, %w : tensor<?xf32>, tensor<1xf32>
  return %0 : tensor<?xf32>
}

// -----

// expected-error @+1 {{nn-autodiff: no `func.func @forward` to differentiate}}
module {
  func.func @predict(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    return %x : tensor<?x4xf32>
  }
}

// -----

func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4xf32> {nn.role = "param", nn.name = "w"}) -> tensor<?x4xf32> {
  %0 = nn.mul %x, %w : tensor<?x4xf32>, tensor<4xf32>
  %lr = nn.constant dense<1.0> : tensor<f32>
  // An optimizer update inside forward has no gradient rule.
  // expected-error @+1 {{nn-autodiff: no gradient rule for 'nn.sgd_update'}}
  %p, %v = nn.sgd_update %w, %w, %w, %lr : tensor<4xf32>
  %2 = nn.mul %0, %p : tensor<?x4xf32>, tensor<4xf32>
  return %2 : tensor<?x4xf32>
}

// -----

// Parameters the data fixes do not count as something to train.
// expected-error @+1 {{nn-autodiff: forward has no trainable parameters}}
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %m: tensor<4xf32> {nn.role = "param", nn.name = "x.mean", nn.trainable = false}) -> tensor<?x4xf32> {
  %0 = nn.sub %x, %m : tensor<?x4xf32>, tensor<4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A loss that reaches a parameter only through an integer (a cast to i64)
// would silently get a zero gradient.
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4xf32> {nn.role = "param", nn.name = "w"}) -> tensor<?x4xf32> {
  // expected-error @+1 {{nn-autodiff: the loss depends on parameter 'w' only through this op's integer result, which has no gradient}}
  %i = nn.cast %w : tensor<4xf32> to tensor<4xi64>
  %f = nn.cast %i : tensor<4xi64> to tensor<4xf32>
  %y = nn.mul %x, %f : tensor<?x4xf32>, tensor<4xf32>
  return %y : tensor<?x4xf32>
}
