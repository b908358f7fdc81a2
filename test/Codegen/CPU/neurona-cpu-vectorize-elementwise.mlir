// RUN: neurona-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(neurona-cpu-vectorize-elementwise{vector-width=8 parallel-elements=16384}))' | FileCheck %s

// Bias + ReLU over an image: the two image dimensions, contiguous in every
// operand, become one loop of 36, four full vectors and a static 4-lane
// remainder; the bias is broadcast; the NaN-propagating maximum is a vector
// op, not a branch.
// CHECK-LABEL: func.func @bias_relu
// CHECK:         tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2, 3]] : tensor<?x8x6x6xf32> into tensor<?x36xf32>
// CHECK:         scf.for
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[C8:.+]] iter_args
// CHECK:             vector.transfer_read {{.+}} : tensor<1x8xf32>, vector<1x8xf32>
// CHECK:             vector.transfer_read {{.+}} permutation_map = {{.+}} : tensor<1xf32>, vector<1x8xf32>
// CHECK:             arith.addf {{.+}} : vector<1x8xf32>
// CHECK:             arith.maximumf {{.+}} : vector<1x8xf32>
// CHECK:             vector.transfer_write {{.+}} : vector<1x8xf32>, tensor<1x8xf32>
// CHECK:           arith.maximumf {{.+}} : vector<1x4xf32>
// CHECK:         tensor.expand_shape
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     scf.forall
#nchw = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#nc = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
func.func @bias_relu(%x: tensor<?x8x6x6xf32>, %b: tensor<?x8xf32>) -> tensor<?x8x6x6xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8x6x6xf32>
  %e = tensor.empty(%n) : tensor<?x8x6x6xf32>
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#nchw, #nc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %b : tensor<?x8x6x6xf32>, tensor<?x8xf32>) outs(%e : tensor<?x8x6x6xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x8x6x6xf32>
  return %r : tensor<?x8x6x6xf32>
}

// -----

// A dynamic number of elements (the batch times 10): full vectors, then one
// partial vector whose transfers may run out of bounds (masked loads and
// stores in the object code). The ReLU gradient's select is a vector select.
// CHECK-LABEL: func.func @relu_grad
// CHECK:         %[[FULL:.+]] = scf.for
// CHECK:           arith.cmpf ogt, {{.+}} : vector<8xf32>
// CHECK:           arith.select {{.+}} : vector<8xi1>, vector<8xf32>
// CHECK:           vector.transfer_write {{.+}} {in_bounds = [true]} : vector<8xf32>, tensor<8xf32>
// CHECK:         scf.for {{.+}} iter_args(%{{.+}} = %[[FULL]])
// CHECK:           vector.transfer_read %{{.+}}[%{{.+}}], %{{.+}} : tensor<?xf32>, vector<8xf32>
// CHECK:           arith.select {{.+}} : vector<8xi1>, vector<8xf32>
// CHECK:           vector.transfer_write %{{.+}}, %{{.+}}[%{{.+}}] : vector<8xf32>, tensor<?xf32>
// CHECK-NOT:     vector.mask
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @relu_grad(%x: tensor<?x10xf32>, %g: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %e = tensor.empty(%n) : tensor<?x10xf32>
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %g : tensor<?x10xf32>, tensor<?x10xf32>) outs(%e : tensor<?x10xf32>) {
  ^bb0(%in: f32, %grad: f32, %out: f32):
    %p = arith.cmpf ogt, %in, %zero : f32
    %s = arith.select %p, %grad, %zero : f32
    linalg.yield %s : f32
  } -> tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// -----

// A column sum (a bias gradient) reduces the outer dimension: vectors run
// across the columns, and each column still adds its rows in order.
// CHECK-LABEL: func.func @column_sum
// CHECK:         scf.for %[[ROW:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK:           scf.for
// CHECK:             vector.transfer_read %{{.+}} : tensor<1x8xf32>, vector<1x8xf32>
// CHECK:             arith.addf {{.+}} : vector<8xf32>
// CHECK:           arith.addf {{.+}} : vector<4xf32>
// CHECK-NOT:     linalg.generic
#rows = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%x: tensor<?x20xf32>) -> tensor<20xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<20xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<20xf32>) -> tensor<20xf32>
  %r = linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<?x20xf32>) outs(%f : tensor<20xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<20xf32>
  return %r : tensor<20xf32>
}

// -----

// A row sum reduces the innermost dimension: left to the loop lowering.
// CHECK-LABEL: func.func @row_sum
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-NOT:     vector.
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: tensor<?x20xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x20xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// An optimizer update of 2304 x 128 elements: rows already whole vectors
// stay rows (uncollapsed, the result can still be written straight into
// the entry's output); fixed chunks of 128 rows (16384 elements) for the
// threads, full vectors in each; the rank-0 learning rate is broadcast.
// CHECK-LABEL: func.func @sgd
// CHECK-NOT:     tensor.collapse_shape
// CHECK:         scf.forall (%{{.+}}) = (0) to (2304) step (128)
// CHECK:           scf.for
// CHECK:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK:               vector.transfer_read %{{.+}}[], %{{.+}} {{.+}} : tensor<f32>, vector<1x8xf32>
// CHECK:               arith.subf {{.+}} : vector<1x8xf32>
// CHECK:           tensor.parallel_insert_slice
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
func.func @sgd(%p: tensor<2304x128xf32>, %g: tensor<2304x128xf32>, %lr: tensor<f32>) -> tensor<2304x128xf32> {
  %e = tensor.empty() : tensor<2304x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %g, %lr : tensor<2304x128xf32>, tensor<2304x128xf32>, tensor<f32>) outs(%e : tensor<2304x128xf32>) {
  ^bb0(%in: f32, %grad: f32, %rate: f32, %out: f32):
    %d = arith.mulf %rate, %grad : f32
    %s = arith.subf %in, %d : f32
    linalg.yield %s : f32
  } -> tensor<2304x128xf32>
  return %r : tensor<2304x128xf32>
}

// -----

// A broadcast from a size-1 dimension reads through constant indices
// (a global pooling's gradient): not a permutation, left to the loops.
// CHECK-LABEL: func.func @constant_index_broadcast
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
#spatial = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
#image = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @constant_index_broadcast(%g: tensor<?x4x1x1xf32>, %init: tensor<?x4x5x4xf32>) -> tensor<?x4x5x4xf32> {
  %scale = arith.constant 5.000000e-02 : f32
  %r = linalg.generic {indexing_maps = [#spatial, #image], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%g : tensor<?x4x1x1xf32>) outs(%init : tensor<?x4x5x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %scale : f32
    linalg.yield %s : f32
  } -> tensor<?x4x5x4xf32>
  return %r : tensor<?x4x5x4xf32>
}

// -----

// A vector of i1 is stored as bits, a tensor of i1 one byte per element:
// comparisons into bool tensors stay loops.
// CHECK-LABEL: func.func @to_bool
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @to_bool(%x: tensor<?x16xf32>, %init: tensor<?x16xi1>) -> tensor<?x16xi1> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x16xf32>) outs(%init : tensor<?x16xi1>) {
  ^bb0(%in: f32, %out: i1):
    %c = arith.cmpf une, %in, %zero : f32
    linalg.yield %c : i1
  } -> tensor<?x16xi1>
  return %r : tensor<?x16xi1>
}

// -----

// erf has no polynomial here: a libm call per element, left to the loops.
// CHECK-LABEL: func.func @erf
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @erf(%x: tensor<?x16xf32>, %init: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x16xf32>) outs(%init : tensor<?x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.erf %in : f32
    linalg.yield %e : f32
  } -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}
