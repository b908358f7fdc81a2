// RUN: %neurona-opt %s -split-input-file -verify-diagnostics

func.func @flat(%x: tensor<?xf32>, %s: tensor<1xf32>) {
  // expected-error @+1 {{expects an input [N, C, ...] with a static C, got 'tensor<?xf32>'}}
  %y, %m, %v = nn.batch_norm %x, %s, %s, %s, %s : tensor<?xf32>, tensor<1xf32>
  return
}

// -----

func.func @channels(%x: tensor<?x3x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{expects scale, bias and running statistics of shape [3] (the channels of 'tensor<?x3x4x4xf32>'), got 'tensor<4xf32>'}}
  %y, %m, %v = nn.batch_norm %x, %s, %s, %s, %s : tensor<?x3x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @epsilon(%x: tensor<?x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op expects a finite epsilon > 0, got 0}}
  %y, %m, %v = nn.batch_norm %x, %s, %s, %s, %s {epsilon = 0.0 : f32} : tensor<?x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @momentum(%x: tensor<?x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op expects a momentum in [0, 1], got 2}}
  %y, %m, %v = nn.batch_norm %x, %s, %s, %s, %s {momentum = 2.0 : f32} : tensor<?x4xf32>, tensor<4xf32>
  return
}
