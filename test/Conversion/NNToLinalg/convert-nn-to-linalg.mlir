// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// CHECK-DAG: #[[MK:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[KN:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MN:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: %[[A:.+]]: tensor<?x4xf32>, %[[B:.+]]: tensor<4x3xf32>
// CHECK:      %[[DIM:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x4xf32>
// CHECK:      %[[EMPTY:.+]] = tensor.empty(%[[DIM]]) : tensor<?x3xf32>
// CHECK:      %[[ZERO:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[EMPTY]] : tensor<?x3xf32>)
// The k loop sits in the middle so the innermost loop is unit-stride on B and C.
// CHECK:      linalg.generic {indexing_maps = [#[[MK]], #[[KN]], #[[MN]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME:   ins(%[[A]], %[[B]] : tensor<?x4xf32>, tensor<4x3xf32>) outs(%[[ZERO]] : tensor<?x3xf32>)
// CHECK:        arith.mulf {{.+}} fastmath<reassoc,contract>
// CHECK:        arith.addf {{.+}} fastmath<reassoc,contract>
// CHECK-NOT:  nn.
func.func @matmul(%a: tensor<?x4xf32>, %b: tensor<4x3xf32>) -> tensor<?x3xf32> {
  %0 = nn.matmul %a, %b : tensor<?x4xf32>, tensor<4x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @bias_add
// CHECK:      linalg.generic {indexing_maps = [#[[ROW]], #[[BIAS]], #[[ROW]]], iterator_types = ["parallel", "parallel"]}
// CHECK:        arith.addf
func.func @bias_add(%a: tensor<?x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = nn.add %a, %b : tensor<?x3xf32>, tensor<3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A size-1 dimension broadcasts through a constant index.
// CHECK-DAG: #[[STRETCH:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @broadcasts
// CHECK:      linalg.generic {indexing_maps = [#{{.+}}, #[[STRETCH]], #{{.+}}]
// CHECK:        arith.subf
// CHECK:      linalg.generic {indexing_maps = [#{{.+}}, #[[SCALAR]], #{{.+}}]
// CHECK:        arith.mulf
func.func @broadcasts(%a: tensor<?x3xf32>, %b: tensor<?x1xf32>, %s: tensor<f32>) -> tensor<?x3xf32> {
  %0 = nn.sub %a, %b : tensor<?x3xf32>, tensor<?x1xf32>
  %1 = nn.mul %0, %s : tensor<?x3xf32>, tensor<f32>
  return %1 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @activations
// CHECK:      arith.maximumf
// CHECK:      math.exp
// CHECK:      arith.divf
// CHECK:      math.tanh
// CHECK:      arith.cmpf ogt
// CHECK:      arith.select
func.func @activations(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = nn.relu %x : tensor<?x3xf32>
  %1 = nn.sigmoid %0 : tensor<?x3xf32>
  %2 = nn.tanh %1 : tensor<?x3xf32>
  %3 = nn.step %2 : tensor<?x3xf32>
  return %3 : tensor<?x3xf32>
}

// -----

// Softmax: row max, shifted exponentials, their sum, and the quotient.
// CHECK-LABEL: func.func @softmax
// CHECK:      %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:      %[[MAX:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:        arith.maximumf
// CHECK:      linalg.generic
// CHECK:        arith.subf
// CHECK:      linalg.generic
// CHECK:        math.exp
// CHECK:      linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:        arith.addf
// CHECK:      linalg.generic
// CHECK:        arith.divf
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = nn.softmax %x axis = 1 : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @reductions
// CHECK:      %[[SUM:.+]] = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]
// CHECK:      tensor.expand_shape %[[SUM]] {{\[\[}}0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
// CHECK:      %[[ROWS:.+]] = tensor.dim
// CHECK:      arith.index_cast
// CHECK:      arith.sitofp
// CHECK:      tensor.from_elements
func.func @reductions(%x: tensor<?x3xf32>) -> (tensor<1x3xf32>, tensor<f32>) {
  %0 = nn.reduce_sum %x axes = [0] keepdims : tensor<?x3xf32>
  %1 = nn.numel %x axes = [0] : tensor<?x3xf32>
  return %0, %1 : tensor<1x3xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @flatten
// CHECK:      tensor.collapse_shape %{{.+}} {{\[\[}}0], [1, 2]] : tensor<?x28x28xf32> into tensor<?x784xf32>
func.func @flatten(%x: tensor<?x28x28xf32>) -> tensor<?x784xf32> {
  %0 = nn.reshape %x : tensor<?x28x28xf32> -> tensor<?x784xf32>
  return %0 : tensor<?x784xf32>
}

// -----

// Cross-entropy reads each logit row twice: once for the maximum, once for
// the shifted exponential sum and the picked logit together.
// CHECK-LABEL: func.func @cross_entropy
// CHECK:      linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:      %[[ROWS:.+]]:2 = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:        linalg.index 1
// CHECK:        arith.cmpi eq
// CHECK:        linalg.yield %{{.+}}, %{{.+}} : f32, f32
// CHECK:      math.log
// CHECK:      arith.divf
func.func @cross_entropy(%x: tensor<?x10xf32>, %y: tensor<?xi64>) -> tensor<f32> {
  %0 = nn.cross_entropy %x, %y : tensor<?x10xf32>, tensor<?xi64>
  return %0 : tensor<f32>
}

// -----

// One fused kernel per parameter, three results.
// CHECK-LABEL: func.func @adam
// CHECK:      %{{.+}}:3 = linalg.generic
// CHECK:        math.powf
// CHECK:        math.sqrt
// CHECK:        linalg.yield %{{.+}}, %{{.+}}, %{{.+}} : f32, f32, f32
func.func @adam(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %t: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %lr, %t : tensor<4xf32>
  return %p1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
