// RUN: %neurona-opt %s -split-input-file -nn-autodiff -verify-diagnostics

// Two random ops on one stream would draw the same numbers.
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4x3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  // expected-note @+1 {{first used here}}
  %0 = nn.dropout %x rate = 0.5 stream = 3 : tensor<?x4xf32>
  %1 = nn.matmul %0, %w : tensor<?x4xf32>, tensor<4x3xf32>
  // expected-error @+1 {{nn-autodiff: stream 3 is used by two random ops; each needs its own so that they draw independent numbers}}
  %2 = nn.dropout %1 rate = 0.5 stream = 3 : tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}
