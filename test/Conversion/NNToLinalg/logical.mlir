// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// Float to integer truncates toward zero (fptosi); to bool is x != 0 with
// NaN true (une).
// CHECK-LABEL: func.func @cast
// CHECK:         linalg.generic
// CHECK:           arith.fptosi %{{.+}} : f32 to i64
// CHECK:         linalg.generic
// CHECK:           arith.cmpf une
// CHECK:         linalg.generic
// CHECK:           arith.uitofp %{{.+}} : i1 to f32
func.func @cast(%x: tensor<?x4xf32>, %b: tensor<4xi1>) -> (tensor<?x4xi64>, tensor<?x4xi1>, tensor<4xf32>) {
  %i = nn.cast %x : tensor<?x4xf32> to tensor<?x4xi64>
  %t = nn.cast %x : tensor<?x4xf32> to tensor<?x4xi1>
  %f = nn.cast %b : tensor<4xi1> to tensor<4xf32>
  return %i, %t, %f : tensor<?x4xi64>, tensor<?x4xi1>, tensor<4xf32>
}

// -----

// Comparisons: ordered on floats, signed on integers; where is a select.
// CHECK-LABEL: func.func @compare_where
// CHECK:         arith.cmpf olt
// CHECK:         arith.cmpi sge
// CHECK:         arith.andi
// CHECK:         arith.select
func.func @compare_where(%x: tensor<?x4xf32>, %i: tensor<?x4xi64>, %j: tensor<4xi64>) -> tensor<?x4xf32> {
  %a = nn.less %x, %x : tensor<?x4xf32>, tensor<?x4xf32>
  %b = nn.greater_equal %i, %j : tensor<?x4xi64>, tensor<4xi64>
  %c = nn.logical_and %a, %b : tensor<?x4xi1>, tensor<?x4xi1>
  %w = nn.where %c, %x, %x : tensor<?x4xi1>, tensor<?x4xf32>, tensor<?x4xf32>
  return %w : tensor<?x4xf32>
}

// -----

// Integer division never reaches the trapping cases (x / 0, MIN / -1).
// CHECK-LABEL: func.func @int_div
// CHECK:         linalg.generic
// CHECK:           arith.cmpi eq
// CHECK:           arith.select
// CHECK:           arith.divsi
func.func @int_div(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %d = nn.div %a, %b : tensor<4xi32>, tensor<4xi32>
  return %d : tensor<4xi32>
}

// -----

// argmax carries (value, index) through one sequential reduction; the
// strict comparison keeps the first of equal values.
// CHECK-LABEL: func.func @argmax
// CHECK:         linalg.fill
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK:           linalg.index 1
// CHECK:           arith.cmpf ogt
// CHECK:         tensor.expand_shape
func.func @argmax(%x: tensor<?x4xf32>) -> tensor<?x1xi64> {
  %a = nn.argmax %x axis = 1 keepdims : tensor<?x4xf32>
  return %a : tensor<?x1xi64>
}

// -----

// gather reads the data with tensor.extract at a wrapped and clamped index.
// CHECK-LABEL: func.func @gather
// CHECK:         linalg.generic
// CHECK:           arith.index_cast
// CHECK:           arith.addi
// CHECK:           arith.maxsi
// CHECK:           arith.minsi
// CHECK:           tensor.extract %arg0
func.func @gather(%x: tensor<?x5xf32>, %i: tensor<2x3xi64>) -> tensor<?x2x3xf32> {
  %g = nn.gather %x, %i axis = 1 : tensor<?x5xf32>, tensor<2x3xi64>
  return %g : tensor<?x2x3xf32>
}
