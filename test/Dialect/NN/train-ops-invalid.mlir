// RUN: %neurona-opt %s -split-input-file -verify-diagnostics

func.func @mae_shapes(%p: tensor<?x2xf32>, %t: tensor<?x3xf32>) {
  // expected-error @+1 {{have different shapes}}
  %0 = nn.mae %p, %t : tensor<?x2xf32>, tensor<?x3xf32>
  return
}

// -----

func.func @soft_targets_shape(%l: tensor<?x10xf32>, %t: tensor<?x9xf32>) {
  // expected-error @+1 {{have different shapes}}
  %0 = nn.cross_entropy %l, %t : tensor<?x10xf32>, tensor<?x9xf32>
  return
}

// -----

func.func @soft_targets_f64(%l: tensor<?x10xf32>, %t: tensor<?x10xf64>) {
  // expected-error @+1 {{expects f32 class probabilities}}
  %0 = nn.cross_entropy %l, %t : tensor<?x10xf32>, tensor<?x10xf64>
  return
}

// -----

func.func @nesterov_without_momentum(%p: tensor<4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{nesterov needs a momentum > 0}}
  %p1, %v1 = nn.sgd_update %p, %p, %p, %lr {nesterov} : tensor<4xf32>
  return
}

// -----

func.func @negative_decay(%p: tensor<4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{weight_decay must be >= 0, got -1}}
  %p1, %v1 = nn.sgd_update %p, %p, %p, %lr {momentum = 0.5 : f32, weight_decay = -1.0 : f32} : tensor<4xf32>
  return
}

// -----

func.func @momentum_range(%p: tensor<4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{momentum must be in [0, 1), got 1}}
  %p1, %v1 = nn.sgd_update %p, %p, %p, %lr {momentum = 1.0 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_beta(%p: tensor<4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{beta1 and beta2 must be in [0, 1)}}
  %p1, %m1, %v1 = nn.adam_update %p, %p, %p, %p, %lr, %lr {beta2 = 1.5 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_eps(%p: tensor<4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{epsilon must be > 0, got 0}}
  %p1, %m1, %v1 = nn.adam_update %p, %p, %p, %p, %lr, %lr {epsilon = 0.0 : f32, decoupled} : tensor<4xf32>
  return
}
