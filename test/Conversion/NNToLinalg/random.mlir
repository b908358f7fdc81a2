// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// Inference mode: dropout and gaussian_noise are their input.
// CHECK-LABEL: func.func @inference
// CHECK-SAME: %[[X:.+]]: tensor<?x3xf32>
// CHECK-NOT:  linalg.generic
// CHECK:      return %[[X]], %[[X]]
func.func @inference(%x: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %0 = nn.dropout %x rate = 0.5 stream = 0 : tensor<?x3xf32>
  %1 = nn.gaussian_noise %x stddev = 2.0 stream = 1 : tensor<?x3xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// Training mode: the key is the seed's two words, the counter (index lo,
// index hi, stream, step lo); ten rounds of two 32x32->64 multiplies; the
// element is kept when its top 24 bits reach ceil(0.25 * 2^24) = 4194304,
// and kept elements are scaled by 1 / (1 - 0.25).
// CHECK-LABEL: func.func @dropout
// CHECK-SAME: %[[X:.+]]: tensor<?x3xf32>, %[[RNG:.+]]: tensor<2xi64>
// CHECK:      %[[SEED:.+]] = tensor.extract %[[RNG]][%{{.+}}] : tensor<2xi64>
// CHECK:      %[[K0:.+]] = arith.trunci %[[SEED]] : i64 to i32
// CHECK:      %[[STEP:.+]] = tensor.extract %[[RNG]][%{{.+}}] : tensor<2xi64>
// CHECK:      %[[C3:.+]] = arith.trunci %[[STEP]] : i64 to i32
// CHECK:      %[[STREAM:.+]] = arith.constant 9 : i32
// CHECK:      %[[ROW:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x3xf32>
// CHECK:      linalg.generic
// CHECK-SAME:   ins(%[[X]] : tensor<?x3xf32>)
// CHECK:        linalg.index 0
// CHECK:        linalg.index 1
// CHECK:        %[[IDX:.+]] = arith.index_castui %{{.+}} : index to i64
// CHECK:        %[[C0:.+]] = arith.trunci %[[IDX]] : i64 to i32
// CHECK:        %[[M0:.+]] = arith.constant -766435501 : i32
// CHECK:        %[[M1:.+]] = arith.constant -845247145 : i32
// CHECK:        %{{.+}}, %[[HI0:.+]] = arith.mului_extended %[[M0]], %[[C0]] : i32
// CHECK:        %{{.+}}, %[[HI1:.+]] = arith.mului_extended %[[M1]], %[[STREAM]] : i32
// CHECK:        arith.xori %[[HI0]], %[[C3]] : i32
// CHECK-COUNT-18: arith.mului_extended
// CHECK:        arith.xori %{{.+}}, %{{.+}} : i32
// CHECK-NEXT:   %[[W0:.+]] = arith.xori
// CHECK-NEXT:   arith.xori
// CHECK-NEXT:   arith.xori
// CHECK:        %[[BITS:.+]] = arith.shrui %[[W0]], %{{.+}} : i32
// CHECK:        %[[KEEP:.+]] = arith.cmpi uge, %[[BITS]], %{{.+}} : i32
// CHECK:        %[[SCALED:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:        arith.select %[[KEEP]], %[[SCALED]], %{{.+}} : f32
// CHECK-NOT:  nn.
func.func @dropout(%x: tensor<?x3xf32>, %rng: tensor<2xi64>) -> tensor<?x3xf32> {
  %0 = nn.dropout %x, %rng rate = 0.25 stream = 9 : tensor<?x3xf32>, tensor<2xi64>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @dropout_constants
// CHECK-DAG:  arith.constant 4194304 : i32
// CHECK-DAG:  arith.constant 1.33333337 : f32
func.func @dropout_constants(%x: tensor<4xf32>, %rng: tensor<2xi64>) -> tensor<4xf32> {
  %0 = nn.dropout %x, %rng rate = 0.25 stream = 9 : tensor<4xf32>, tensor<2xi64>
  return %0 : tensor<4xf32>
}

// -----

// Gaussian noise: Box-Muller of the first two words, scaled by stddev.
// CHECK-LABEL: func.func @gaussian_noise
// CHECK:      linalg.generic
// CHECK-COUNT-20: arith.mului_extended
// CHECK:        math.log
// CHECK:        math.sqrt
// CHECK:        math.cos
// CHECK:        arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:        arith.addf %{{.+}}, %{{.+}} : f32
func.func @gaussian_noise(%x: tensor<2x3xf32>, %rng: tensor<2xi64>) -> tensor<2x3xf32> {
  %0 = nn.gaussian_noise %x, %rng stddev = 0.5 stream = 1 : tensor<2x3xf32>, tensor<2xi64>
  return %0 : tensor<2x3xf32>
}

// -----

// random_normal and random_uniform read only the shape of `like`; without
// rng they are their means.
// CHECK-LABEL: func.func @samples
// CHECK-SAME: %[[L:.+]]: tensor<?x5xi64>
// CHECK:      %[[N:.+]] = linalg.generic
// CHECK-SAME:   outs(%{{.+}} : tensor<?x5xf32>)
// CHECK:        math.cos
// CHECK:      %[[U:.+]] = linalg.generic
// CHECK-SAME:   outs(%{{.+}} : tensor<?x5xf32>)
// CHECK:        arith.uitofp
// CHECK-DAG:  %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG:  %[[DIM:.+]] = tensor.dim %[[L]]
// CHECK-DAG:  %[[E:.+]] = tensor.empty(%[[DIM]]) : tensor<?x5xf32>
// CHECK:      %[[M:.+]] = linalg.fill ins(%[[HALF]] : f32) outs(%[[E]] : tensor<?x5xf32>)
// CHECK:      return %[[N]], %[[U]], %[[M]]
func.func @samples(%like: tensor<?x5xi64>, %rng: tensor<2xi64>) -> (tensor<?x5xf32>, tensor<?x5xf32>, tensor<?x5xf32>) {
  %0 = nn.random_normal %like, %rng stream = 0 : tensor<?x5xi64>, tensor<2xi64>
  %1 = nn.random_uniform %like, %rng stream = 1 : tensor<?x5xi64>, tensor<2xi64>
  %2 = nn.random_uniform %like stream = 2 : tensor<?x5xi64>
  return %0, %1, %2 : tensor<?x5xf32>, tensor<?x5xf32>, tensor<?x5xf32>
}
