// RUN: %neurona-opt %s | %neurona-opt | FileCheck %s

// The random ops in inference mode (no rng) and in training mode (with the
// (seed, step) pair), printed and parsed back.

// CHECK-LABEL: func.func @inference
// CHECK:      nn.dropout %{{.+}} rate = 5.000000e-01 stream = 0 : tensor<?x8xf32>
// CHECK:      nn.gaussian_noise %{{.+}} stddev = 1.000000e-01 stream = 1 : tensor<?x8xf32>
// CHECK:      nn.random_normal %{{.+}} stream = 2 : tensor<?x8xf32>
// CHECK:      nn.random_uniform %{{.+}} stream = 3 : tensor<3x2xi64>
func.func @inference(%x: tensor<?x8xf32>, %i: tensor<3x2xi64>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<3x2xf32>) {
  %0 = nn.dropout %x rate = 0.5 stream = 0 : tensor<?x8xf32>
  %1 = nn.gaussian_noise %0 stddev = 0.1 stream = 1 : tensor<?x8xf32>
  %2 = nn.random_normal %x stream = 2 : tensor<?x8xf32>
  %3 = nn.random_uniform %i stream = 3 : tensor<3x2xi64>
  return %0, %1, %2, %3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<3x2xf32>
}

// CHECK-LABEL: func.func @training
// CHECK-SAME: %[[X:.+]]: tensor<?x8xf32>, %[[R:.+]]: tensor<2xi64>
// CHECK:      nn.dropout %[[X]], %[[R]] rate = 2.500000e-01 stream = 4 : tensor<?x8xf32>, tensor<2xi64>
// CHECK:      nn.gaussian_noise %{{.+}}, %[[R]] stddev = 0.000000e+00 stream = 5 : tensor<?x8xf32>, tensor<2xi64>
// CHECK:      nn.random_normal %[[X]], %[[R]] stream = 6 : tensor<?x8xf32>, tensor<2xi64>
// CHECK:      nn.random_uniform %[[X]], %[[R]] stream = 4294967295 : tensor<?x8xf32>, tensor<2xi64>
func.func @training(%x: tensor<?x8xf32>, %rng: tensor<2xi64>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = nn.dropout %x, %rng rate = 0.25 stream = 4 : tensor<?x8xf32>, tensor<2xi64>
  %1 = nn.gaussian_noise %0, %rng stddev = 0.0 stream = 5 : tensor<?x8xf32>, tensor<2xi64>
  %2 = nn.random_normal %x, %rng stream = 6 : tensor<?x8xf32>, tensor<2xi64>
  %3 = nn.random_uniform %x, %rng stream = 4294967295 : tensor<?x8xf32>, tensor<2xi64>
  return %1, %2, %3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}
