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

// A row sum reduces the innermost dimension: 16 lanes (whatever the vector
// width) over the row's six whole vectors, the last 4 elements read out of
// bounds with -0 (the sum's identity) in the lanes past the row's end, then
// the halving tree 8, 4, 2, 1 and the init.
// CHECK-LABEL: func.func @row_sum
// CHECK-DAG:     %[[NEGZERO:.+]] = arith.constant dense<-0.000000e+00> : vector<16xf32>
// CHECK-DAG:     %[[C96:.+]] = arith.constant 96 : index
// CHECK-DAG:     %[[C16:.+]] = arith.constant 16 : index
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[OUT:.+]] = %{{.+}}) -> (tensor<?xf32>)
// CHECK:           %[[ROW:.+]] = tensor.extract_slice %{{.+}} [1, 100] [1, 1] : tensor<?x100xf32> to tensor<1x100xf32>
// CHECK:           %[[LANES:.+]] = scf.for %[[K:.+]] = %{{.+}} to %[[C96]] step %[[C16]] iter_args(%[[ACC:.+]] = %[[NEGZERO]]) -> (vector<16xf32>)
// CHECK:             %[[V:.+]] = vector.transfer_read %[[ROW]][%{{.+}}, %[[K]]], %{{.+}} {in_bounds = [true]} : tensor<1x100xf32>, vector<16xf32>
// CHECK:             arith.addf %[[V]], %[[ACC]] : vector<16xf32>
// CHECK:           %[[MASK:.+]] = vector.constant_mask [4] : vector<16xi1>
// CHECK:           %[[TAIL:.+]] = vector.transfer_read %[[ROW]][%{{.+}}, %[[C96]]], %{{.+}} : tensor<1x100xf32>, vector<16xf32>
// CHECK:           %[[PADDED:.+]] = arith.select %[[MASK]], %[[TAIL]], %[[NEGZERO]]
// CHECK:           %[[ALL:.+]] = arith.addf %[[PADDED]], %[[LANES]] : vector<16xf32>
// CHECK:           %[[L8:.+]] = vector.extract_strided_slice %[[ALL]] {offsets = [0], sizes = [8], strides = [1]}
// CHECK:           %[[H8:.+]] = vector.extract_strided_slice %[[ALL]] {offsets = [8], sizes = [8], strides = [1]}
// CHECK:           %[[S8:.+]] = arith.addf %[[H8]], %[[L8]] : vector<8xf32>
// CHECK:           vector.extract_strided_slice %[[S8]] {offsets = [0], sizes = [4], strides = [1]}
// CHECK:           arith.addf {{.+}} : vector<4xf32>
// CHECK:           arith.addf {{.+}} : vector<2xf32>
// CHECK:           %[[S1:.+]] = arith.addf {{.+}} : vector<1xf32>
// CHECK:           %[[SUM:.+]] = vector.extract %[[S1]][0] : f32 from vector<1xf32>
// CHECK:           %[[INIT:.+]] = tensor.extract
// CHECK:           %[[RESULT:.+]] = arith.addf %[[SUM]], %[[INIT]] : f32
// CHECK:           tensor.insert %[[RESULT]]
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     vector.reduction
// CHECK-NOT:     vector.multi_reduction
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: tensor<?x100xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x100xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// A row maximum of 10 classes: no whole vector, one out-of-bounds read
// whose lanes 10 to 15 take -inf; arith.maximumf keeps propagating NaN.
// CHECK-LABEL: func.func @row_max
// CHECK-DAG:     %[[NEGINF:.+]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK:         scf.for
// CHECK-NOT:       scf.for
// CHECK:           %[[MASK:.+]] = vector.constant_mask [10] : vector<16xi1>
// CHECK:           %[[ROW:.+]] = vector.transfer_read %{{.+}} : tensor<1x10xf32>, vector<16xf32>
// CHECK:           %[[PADDED:.+]] = arith.select %[[MASK]], %[[ROW]], %[[NEGINF]]
// CHECK:           vector.extract_strided_slice %[[PADDED]] {offsets = [0], sizes = [8], strides = [1]}
// CHECK:           arith.maximumf {{.+}} : vector<8xf32>
// CHECK:           arith.maximumf {{.+}} : vector<4xf32>
// CHECK:           arith.maximumf {{.+}} : vector<2xf32>
// CHECK:           arith.maximumf {{.+}} : vector<1xf32>
// CHECK:           arith.maximumf {{.+}} : f32
// CHECK-NOT:     linalg.generic
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_max(%x: tensor<64x10xf32>) -> tensor<64xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<64xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %r = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<64x10xf32>) outs(%f : tensor<64xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  return %r : tensor<64xf32>
}

// -----

// Softmax's sum of exponentials over rows of 5000: chunks of 4 whole rows
// (about 16K elements) for the threads; the row's maximum is read once and
// broadcast; the exponential is a vector op.
// CHECK-LABEL: func.func @sum_exp
// CHECK:         scf.forall (%{{.+}}) = (0) to (%{{.+}}) step (4)
// CHECK:           scf.for
// CHECK:             %[[MAX:.+]] = tensor.extract %{{.+}}[%{{.+}}] : tensor<1xf32>
// CHECK:             %[[MAXV:.+]] = vector.broadcast %[[MAX]] : f32 to vector<16xf32>
// CHECK:             scf.for %{{.+}} = %{{.+}} to %[[C4992:.+]] step %{{.+}} iter_args(%{{.+}}) -> (vector<16xf32>)
// CHECK:               arith.subf %{{.+}}, %[[MAXV]] : vector<16xf32>
// CHECK:               math.exp %{{.+}} : vector<16xf32>
// CHECK:             vector.constant_mask [8] : vector<16xi1>
// CHECK:             vector.transfer_read %{{.+}}[%{{.+}}, %[[C4992]]], %{{.+}} : tensor<1x5000xf32>, vector<16xf32>
// CHECK:             math.exp %{{.+}} : vector<16xf32>
// CHECK:         tensor.parallel_insert_slice
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @sum_exp(%x: tensor<?x5000xf32>, %max: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x5000xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#rows, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %max : tensor<?x5000xf32>, tensor<?xf32>) outs(%f : tensor<?xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %x2 = math.exp %d : f32
    %s = arith.addf %acc, %x2 : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// Cross-entropy's row pass: two accumulators in one loop; the class index
// is a vector of lanes compared with the row's (broadcast) label.
// CHECK-LABEL: func.func @cross_entropy_rows
// CHECK:         scf.for {{.+}} -> (tensor<?xf32>, tensor<?xf32>)
// CHECK:           %[[LABEL:.+]] = tensor.extract %{{.+}} : tensor<1xi64>
// CHECK:           %[[LABELV:.+]] = vector.broadcast %[[LABEL]] : i64 to vector<16xi64>
// CHECK:           %[[MASK:.+]] = vector.constant_mask [10] : vector<16xi1>
// CHECK:           math.exp %{{.+}} : vector<16xf32>
// CHECK:           %[[LANES:.+]] = vector.step : vector<16xindex>
// CHECK:           %[[COLS:.+]] = arith.index_cast %[[LANES]] : vector<16xindex> to vector<16xi64>
// CHECK:           %[[HIT:.+]] = arith.cmpi eq, %[[COLS]], %[[LABELV]] : vector<16xi64>
// CHECK:           arith.select %[[HIT]]
// CHECK:           arith.select %[[MASK]]
// CHECK:           arith.select %[[MASK]]
// CHECK-COUNT-2:   tensor.insert %{{.+}} into
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @cross_entropy_rows(%x: tensor<?x10xf32>, %max: tensor<?xf32>, %labels: tensor<?xi64>, %s0: tensor<?xf32>, %p0: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %zero = arith.constant 0.0 : f32
  %r:2 = linalg.generic {indexing_maps = [#rows, #row, #row, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %max, %labels : tensor<?x10xf32>, tensor<?xf32>, tensor<?xi64>) outs(%s0, %p0 : tensor<?xf32>, tensor<?xf32>) {
  ^bb0(%in: f32, %m: f32, %label: i64, %sum: f32, %pick: f32):
    %d = arith.subf %in, %m : f32
    %x2 = math.exp %d : f32
    %i = linalg.index 1 : index
    %col = arith.index_cast %i : index to i64
    %hit = arith.cmpi eq, %col, %label : i64
    %picked = arith.select %hit, %in, %zero : f32
    %s = arith.addf %sum, %x2 : f32
    %p = arith.addf %pick, %picked : f32
    linalg.yield %s, %p : f32, f32
  } -> (tensor<?xf32>, tensor<?xf32>)
  return %r#0, %r#1 : tensor<?xf32>, tensor<?xf32>
}

// -----

// A loss's sum over every element: the two loops are one row of ? * 10
// elements (always collapsed, so the order does not depend on the width),
// whole vectors, then a tail of dynamic length under a mask.
// CHECK-LABEL: func.func @sum_all
// CHECK:         %[[X:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1]] : tensor<?x10xf32> into tensor<?xf32>
// CHECK:         %[[N:.+]] = tensor.dim %[[X]]
// CHECK:         %[[Q:.+]] = arith.divui %[[N]], %[[C16:.+]] : index
// CHECK:         %[[WHOLE:.+]] = arith.muli %[[Q]], %[[C16]] : index
// CHECK:         scf.for %{{.+}} = %{{.+}} to %[[WHOLE]] step %[[C16]] iter_args(%{{.+}}) -> (vector<16xf32>)
// CHECK:           arith.mulf {{.+}} : vector<16xf32>
// CHECK:         %[[LEFT:.+]] = arith.subi %[[N]], %[[WHOLE]] : index
// CHECK:         vector.create_mask %[[LEFT]] : vector<16xi1>
// CHECK-NOT:     scf.forall
// CHECK-NOT:     linalg.generic
#all = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
func.func @sum_all(%x: tensor<?x10xf32>, %t: tensor<?x10xf32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [#all, #all, #scalar], iterator_types = ["reduction", "reduction"]}
      ins(%x, %t : tensor<?x10xf32>, tensor<?x10xf32>) outs(%f : tensor<f32>) {
  ^bb0(%in: f32, %target: f32, %acc: f32):
    %d = arith.subf %in, %target : f32
    %sq = arith.mulf %d, %d : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// A row reduction over a function that would be a libm call per lane stays
// scalar.
// CHECK-LABEL: func.func @row_sum_erf
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-NOT:     vector.
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum_erf(%x: tensor<?x20xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x20xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %e = math.erf %in : f32
    %s = arith.addf %e, %acc : f32
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

// -----

// A convolution's patches, Col[n, c, kh, kw, oh, ow] = image[n, c, oh + kh,
// ow + kw]: the input is read through a window map, and along ow (unit
// stride) each (n, c, kh, kw, oh) is a contiguous run of the image row. The
// tiles read that run as a rank-1 slice: one full vector of 8 and a static
// remainder of 2 per run, no scalar copy.
// CHECK-LABEL: func.func @patches
// CHECK:         scf.for
// CHECK:           tensor.extract_slice %{{.+}} : tensor<1x1x1x8xf32> to tensor<8xf32>
// CHECK:           vector.transfer_read {{.+}} : tensor<8xf32>, vector<1x1x1x1x1x8xf32>
// CHECK:           vector.transfer_write {{.+}} : vector<1x1x1x1x1x8xf32>, tensor<1x1x1x1x1x8xf32>
// CHECK:           tensor.extract_slice %{{.+}} : tensor<1x1x1x2xf32> to tensor<2xf32>
// CHECK:           vector.transfer_read {{.+}} : tensor<2xf32>, vector<1x1x1x1x1x2xf32>
// CHECK-NOT:     linalg.generic
#image = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4 + d2, d5 + d3)>
#col = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @patches(%x: tensor<2x3x12x12xf32>) -> tensor<2x3x3x3x10x10xf32> {
  %e = tensor.empty() : tensor<2x3x3x3x10x10xf32>
  %r = linalg.generic {indexing_maps = [#image, #col], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x3x12x12xf32>) outs(%e : tensor<2x3x3x3x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x3x3x3x10x10xf32>
  return %r : tensor<2x3x3x3x10x10xf32>
}

// -----

// With a stride of 2 (a strided convolution's patches, a 2 x 2 pool) each
// run is every other element: the tile reads the 10 elements the run of 5
// spans in one vector and a shuffle picks its even lanes.
// CHECK-LABEL: func.func @strided_patches
// CHECK:         %[[WIDE:.+]] = vector.transfer_read {{.+}} : tensor<1x1x1x9xf32>, vector<10xf32>
// CHECK:         %[[LANES:.+]] = vector.shuffle %[[WIDE]], %[[WIDE]] [0, 2, 4, 6, 8] : vector<10xf32>, vector<10xf32>
// CHECK:         vector.shape_cast %[[LANES]] : vector<5xf32> to vector<1x1x1x1x1x5xf32>
// CHECK-NOT:     linalg.generic
#image = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4 * 2 + d2, d5 * 2 + d3)>
#col = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @strided_patches(%x: tensor<2x3x12x12xf32>) -> tensor<2x3x3x3x5x5xf32> {
  %e = tensor.empty() : tensor<2x3x3x3x5x5xf32>
  %r = linalg.generic {indexing_maps = [#image, #col], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x3x12x12xf32>) outs(%e : tensor<2x3x3x3x5x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x3x3x3x5x5xf32>
  return %r : tensor<2x3x3x3x5x5xf32>
}

// -----

// A 2 x 2 max pool of stride 2: the window loops are outer reductions, one
// step each, and each step takes the maximum of a vector of every other
// element of an image row with the output row.
// CHECK-LABEL: func.func @max_pool
// CHECK:         scf.for
// CHECK:           %[[WIDE:.+]] = vector.transfer_read {{.+}} vector<16xf32>
// CHECK:           %[[LANES:.+]] = vector.shuffle %[[WIDE]], %[[WIDE]] [0, 2, 4, 6, 8, 10, 12, 14]
// CHECK:           vector.shape_cast %[[LANES]] : vector<8xf32> to vector<1x1x1x8xf32>
// CHECK:           arith.maximumf {{.+}} : vector<1x1x1x8xf32>
// CHECK-NOT:     linalg.generic
#image = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
#window = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#out = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
func.func @max_pool(%x: tensor<2x3x16x16xf32>, %init: tensor<2x3x8x8xf32>) -> tensor<2x3x8x8xf32> {
  %w = tensor.empty() : tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [#image, #window, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<2x3x16x16xf32>, tensor<2x2xf32>) outs(%init : tensor<2x3x8x8xf32>) {
  ^bb0(%in: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %in, %acc : f32
    linalg.yield %m : f32
  } -> tensor<2x3x8x8xf32>
  return %r : tensor<2x3x8x8xf32>
}

// -----

// A stride of 5 along the vector loop is past kMaxWindowStride: scalar.
// CHECK-LABEL: func.func @wide_stride
// CHECK:         linalg.generic
// CHECK-NOT:     vector.transfer_read
#image = affine_map<(d0, d1) -> (d0 * 5 + d1)>
#out = affine_map<(d0, d1) -> (d1, d0)>
func.func @wide_stride(%x: tensor<64xf32>) -> tensor<3x12xf32> {
  %e = tensor.empty() : tensor<3x12xf32>
  %r = linalg.generic {indexing_maps = [#image, #out], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64xf32>) outs(%e : tensor<3x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<3x12xf32>
  return %r : tensor<3x12xf32>
}

// -----

// A window that does not move along the innermost loop (each output row
// reads one element of the image) is left scalar.
// CHECK-LABEL: func.func @window_across
// CHECK:         linalg.generic
// CHECK-NOT:     vector.transfer_read
#image = affine_map<(d0, d1, d2) -> (d0 + d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @window_across(%x: tensor<16xf32>) -> tensor<4x4x16xf32> {
  %e = tensor.empty() : tensor<4x4x16xf32>
  %r = linalg.generic {indexing_maps = [#image, #out], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<4x4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x4x16xf32>
  return %r : tensor<4x4x16xf32>
}
