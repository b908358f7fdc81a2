// RUN: %neurona-opt %s -split-input-file -nn-autodiff="loss=mse optimizer=sgd" | FileCheck %s
// RUN: %neurona-opt %s -split-input-file -nn-autodiff="loss=mse optimizer=adam" | FileCheck %s --check-prefix=ADAM

// Random ops put `rng` (seed, step) among the hyper arguments of gradients
// and train_step; their copies there take it (training mode), while forward
// keeps them in inference mode. The dropout VJP is a dropout of the
// gradient with the same rng and stream, and gaussian_noise passes the
// gradient through.

// CHECK-LABEL: func.func @forward
// CHECK:      nn.dropout %{{.+}} rate = 5.000000e-01 stream = 0 : tensor<?x4xf32>
// CHECK:      nn.gaussian_noise %{{.+}} stddev = 1.000000e-01 stream = 1 : tensor<?x3xf32>

// CHECK-LABEL: func.func @gradients
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?x4xf32> {nn.name = "x", nn.role = "input"}
// CHECK-SAME: %{{[a-z0-9]+}}: tensor<?x3xf32> {nn.name = "target", nn.role = "target"}
// CHECK-SAME: %[[RNG:[a-z0-9]+]]: tensor<2xi64> {nn.name = "rng", nn.role = "hyper"}
// CHECK-SAME: %{{[a-z0-9]+}}: tensor<4x3xf32> {nn.name = "w", nn.role = "param"}
// CHECK:      %[[D:.+]] = nn.dropout %[[X]], %[[RNG]] rate = 5.000000e-01 stream = 0 : tensor<?x4xf32>, tensor<2xi64>
// CHECK:      %[[H:.+]] = nn.matmul %[[D]], %{{.+}}
// CHECK:      %[[N:.+]] = nn.gaussian_noise %[[H]], %[[RNG]] stddev = 1.000000e-01 stream = 1 : tensor<?x3xf32>, tensor<2xi64>
// CHECK:      nn.mse %[[N]]
// The weight gradient reads the dropped-out input, and the noise passes dH.
// CHECK:      %[[DY:.+]] = nn.mul %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<f32>
// CHECK-NOT:  nn.gaussian_noise
// CHECK:      nn.matmul %[[D]], %[[DY]] transpose_lhs

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: {nn.name = "target", nn.role = "target"}
// CHECK-SAME: %{{[a-z0-9]+}}: tensor<f32> {nn.name = "lr", nn.role = "hyper"}
// CHECK-SAME: %[[RNG2:[a-z0-9]+]]: tensor<2xi64> {nn.name = "rng", nn.role = "hyper"}
// CHECK-SAME: {nn.name = "w", nn.role = "param"}
// CHECK:      nn.dropout %{{.+}}, %[[RNG2]] rate = 5.000000e-01 stream = 0
// CHECK:      nn.gaussian_noise %{{.+}}, %[[RNG2]] stddev = 1.000000e-01 stream = 1

// ADAM-LABEL: func.func @train_step
// ADAM-SAME: {nn.name = "lr", nn.role = "hyper"}, %{{[a-z0-9]+}}: tensor<2xi64> {nn.name = "rng", nn.role = "hyper"}, %{{[a-z0-9]+}}: tensor<4x3xf32> {nn.name = "w", nn.role = "param"}
// ADAM-SAME: {nn.name = "adam.step", nn.role = "state"}
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4x3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.dropout %x rate = 0.5 stream = 0 : tensor<?x4xf32>
  %1 = nn.matmul %0, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %2 = nn.gaussian_noise %1 stddev = 0.1 stream = 1 : tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}

// -----

// Dropout after a parameter: its VJP redraws the mask of the forward
// (same rng, same stream) on the gradient.
// CHECK-LABEL: func.func @gradients
// CHECK-SAME: %[[RNG:[a-z0-9]+]]: tensor<2xi64> {nn.name = "rng", nn.role = "hyper"}
// CHECK:      nn.dropout %{{.+}}, %[[RNG]] rate = 2.500000e-01 stream = 7 : tensor<?x3xf32>, tensor<2xi64>
// CHECK:      nn.mse
// CHECK:      %[[DY:.+]] = nn.mul %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<f32>
// CHECK:      %[[DH:.+]] = nn.dropout %[[DY]], %[[RNG]] rate = 2.500000e-01 stream = 7 : tensor<?x3xf32>, tensor<2xi64>
// CHECK:      nn.matmul %{{.+}}, %[[DH]] transpose_lhs
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4x3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %1 = nn.dropout %0 rate = 0.25 stream = 7 : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// A user's value already called "rng": the hyper argument gets a fresh name.
// CHECK-LABEL: func.func @gradients
// CHECK-SAME: tensor<2xi64> {nn.name = "rng_1", nn.role = "hyper"}
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "rng"},
                   %w: tensor<4x3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %1 = nn.random_normal %0 stream = 0 : tensor<?x3xf32>
  %2 = nn.add %0, %1 : tensor<?x3xf32>, tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}
