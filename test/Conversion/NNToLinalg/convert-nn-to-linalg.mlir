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

// A layer at every step: the steps become rows of one 2-D contraction,
// which the tiling pass matches like any dense layer.
// CHECK-DAG: #[[MK:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[KN:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MN:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul_steps
// CHECK:      %[[ROWS:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<?x9x8xf32> into tensor<?x8xf32>
// CHECK:      %[[P:.+]] = linalg.generic {indexing_maps = [#[[MK]], #[[KN]], #[[MN]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME:   ins(%[[ROWS]], %{{.+}} : tensor<?x8xf32>, tensor<8x3xf32>)
// CHECK:      tensor.expand_shape %[[P]] {{\[}}[0, 1], [2]] output_shape [%{{.+}}, 9, 3] : tensor<?x3xf32> into tensor<?x9x3xf32>
func.func @matmul_steps(%x: tensor<?x9x8xf32>, %w: tensor<8x3xf32>) -> tensor<?x9x3xf32> {
  %0 = nn.matmul %x, %w : tensor<?x9x8xf32>, tensor<8x3xf32>
  return %0 : tensor<?x9x3xf32>
}

// -----

// Its weight gradient sums over the batch inside the contraction: (N, T)
// merge into K of one 2-D contraction, nothing [N, 8, 3] in between.
// CHECK-DAG: #[[KM:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[KN:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[MN:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @matmul_batch_reduce
// CHECK-DAG:  %[[G:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<?x9x3xf32> into tensor<?x3xf32>
// CHECK-DAG:  %[[X:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<?x9x8xf32> into tensor<?x8xf32>
// CHECK:      linalg.generic {indexing_maps = [#[[KM]], #[[KN]], #[[MN]]], iterator_types = ["reduction", "parallel", "parallel"]}
// CHECK-SAME:   ins(%[[X]], %[[G]] : tensor<?x8xf32>, tensor<?x3xf32>) outs(%{{.+}} : tensor<8x3xf32>)
func.func @matmul_batch_reduce(%x: tensor<?x9x8xf32>, %g: tensor<?x9x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %x, %g transpose_lhs batch_reduce : tensor<?x9x8xf32>, tensor<?x9x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

// Batch dimensions broadcast through the maps: the rhs's [3] aligns with
// the lhs's second batch dimension; batch loops come first.
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4)>
// CHECK-DAG: #[[C:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-LABEL: func.func @matmul_broadcast
// CHECK:      linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
func.func @matmul_broadcast(%a: tensor<?x3x1x4xf32>, %b: tensor<3x4x5xf32>) -> tensor<?x3x1x5xf32> {
  %0 = nn.matmul %a, %b : tensor<?x3x1x4xf32>, tensor<3x4x5xf32>
  return %0 : tensor<?x3x1x5xf32>
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

// One fused kernel per parameter, three results; the bias corrections
// 1 - beta^t are computed once, in a rank-0 loop before it.
// CHECK-LABEL: func.func @adam
// CHECK:      %[[C:.+]]:2 = linalg.generic {{.+}} iterator_types = []
// CHECK-COUNT-2: math.powf
// CHECK:      %{{.+}}:3 = linalg.generic {{.+}} ins({{.+}}, %[[C]]#0, %[[C]]#1 :
// CHECK-NOT:    math.powf
// CHECK:        math.sqrt
// CHECK:        linalg.yield %{{.+}}, %{{.+}}, %{{.+}} : f32, f32, f32
func.func @adam(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %t: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %lr, %t : tensor<4xf32>
  return %p1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Activations with parameters are one elementwise generic each, so the
// fusion pass can merge them with their neighbours.
// CHECK-LABEL: func.func @parametric_activations
// CHECK:      linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK:        %[[ALPHA:.+]] = arith.constant 2.000000e-01 : f32
// CHECK:        %[[SCALED:.+]] = arith.mulf %[[IN:.+]], %[[ALPHA]]
// CHECK:        %[[POS:.+]] = arith.cmpf ogt, %[[IN]]
// CHECK:        arith.select %[[POS]], %[[IN]], %[[SCALED]]
// ELU's e^x - 1 avoids cancellation: (e^x - 1) * x / log(e^x).
// CHECK:      linalg.generic
// CHECK:        math.exp
// CHECK:        math.log
// CHECK:        arith.cmpf ogt
// CHECK:        arith.select
// CHECK:      linalg.generic
// CHECK:        arith.mulf
// CHECK:        arith.addf
// CHECK:        arith.minimumf
// CHECK:        arith.maximumf
// CHECK:      linalg.generic
// CHECK:        %[[MIN:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:        arith.maximumf %{{.+}}, %[[MIN]]
// CHECK:        %[[MAX:.+]] = arith.constant 6.000000e+00 : f32
// CHECK:        arith.minimumf %{{.+}}, %[[MAX]]
// CHECK-NOT:  nn.
func.func @parametric_activations(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = nn.leaky_relu %x alpha = 0.2 : tensor<?x3xf32>
  %1 = nn.elu %0 : tensor<?x3xf32>
  %2 = nn.hard_sigmoid %1 : tensor<?x3xf32>
  %3 = nn.clip %2 min = 0.0 max = 6.0 : tensor<?x3xf32>
  return %3 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @math
// CHECK:      arith.minimumf
// CHECK:      math.powf
// CHECK:      math.absf
// CHECK:      math.ceil
// CHECK:      math.floor
// CHECK:      math.erf
// Softplus as max(x, 0) + log1p(e^-|x|), never overflowing.
// CHECK:      linalg.generic
// CHECK:        arith.maximumf
// CHECK:        math.absf
// CHECK:        arith.negf
// CHECK:        math.exp
// CHECK:        math.log
// CHECK-NOT:  nn.
func.func @math(%a: tensor<?x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = nn.minimum %a, %b : tensor<?x3xf32>, tensor<3xf32>
  %1 = nn.pow %0, %b : tensor<?x3xf32>, tensor<3xf32>
  %2 = nn.abs %1 : tensor<?x3xf32>
  %3 = nn.ceil %2 : tensor<?x3xf32>
  %4 = nn.floor %3 : tensor<?x3xf32>
  %5 = nn.erf %4 : tensor<?x3xf32>
  %6 = nn.softplus %5 : tensor<?x3xf32>
  return %6 : tensor<?x3xf32>
}

// -----

// A transpose reads its input through the inverse permutation.
// CHECK-DAG: #[[PERM:.+]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @transpose
// CHECK-SAME: %[[X:.+]]: tensor<?x3x4xf32>
// CHECK:      %[[DIM:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x3x4xf32>
// CHECK:      %[[EMPTY:.+]] = tensor.empty(%[[DIM]]) : tensor<?x4x3xf32>
// CHECK:      linalg.generic {indexing_maps = [#[[PERM]], #[[ID]]]
// CHECK-SAME:   ins(%[[X]] : tensor<?x3x4xf32>) outs(%[[EMPTY]] : tensor<?x4x3xf32>)
func.func @transpose(%x: tensor<?x3x4xf32>) -> tensor<?x4x3xf32> {
  %0 = nn.transpose %x perm = [0, 2, 1] : tensor<?x3x4xf32>
  return %0 : tensor<?x4x3xf32>
}

// -----

// Concat, slice and slice_scatter compute where each element comes from
// and read it with tensor.extract (no insert_slice, whose strided copies
// would need MLIR's runtime library). Concat reads every input at a clamped
// index and keeps the one whose stretch the index is in.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: %[[A:.+]]: tensor<?x3x4xf32>, %[[B:.+]]: tensor<?x3x2xf32>
// CHECK:      %[[EMPTY:.+]] = tensor.empty(%{{.+}}) : tensor<?x3x6xf32>
// CHECK:      linalg.generic {{.+}} outs(%[[EMPTY]] : tensor<?x3x6xf32>)
// CHECK:        %[[K:.+]] = linalg.index 2 : index
// CHECK:        %[[FROM_B:.+]] = tensor.extract %[[B]]
// CHECK:        %[[FROM_A:.+]] = tensor.extract %[[A]]
// CHECK:        %[[IN_A:.+]] = arith.cmpi slt, %[[K]], %{{.+}} : index
// CHECK:        %[[V:.+]] = arith.select %[[IN_A]], %[[FROM_A]], %[[FROM_B]] : f32
// CHECK:        linalg.yield %[[V]] : f32
func.func @concat(%a: tensor<?x3x4xf32>, %b: tensor<?x3x2xf32>) -> tensor<?x3x6xf32> {
  %0 = nn.concat %a, %b axis = -1 : tensor<?x3x4xf32>, tensor<?x3x2xf32>
  return %0 : tensor<?x3x6xf32>
}

// -----

// Result element i of a slice reads start + step * i.
// CHECK-LABEL: func.func @slice
// CHECK-SAME: %[[X:.+]]: tensor<?x3x4xf32>
// CHECK:      linalg.generic {{.+}} outs(%{{.+}} : tensor<?x2x2xf32>)
// CHECK:        %[[I:.+]] = linalg.index 1 : index
// CHECK:        %[[J:.+]] = linalg.index 2 : index
// CHECK:        %[[MINUS_TWO:.+]] = arith.constant -2 : index
// CHECK:        %[[SI:.+]] = arith.muli %[[I]], %[[MINUS_TWO]] : index
// CHECK:        %[[TWO:.+]] = arith.constant 2 : index
// CHECK:        %[[ROW:.+]] = arith.addi %[[SI]], %[[TWO]] : index
// CHECK:        arith.muli %[[J]]
// CHECK:        %[[COL:.+]] = arith.addi
// CHECK:        tensor.extract %[[X]][%{{.+}}, %[[ROW]], %[[COL]]] : tensor<?x3x4xf32>
func.func @slice(%x: tensor<?x3x4xf32>) -> tensor<?x2x2xf32> {
  %0 = nn.slice %x axes = [1, 2] starts = [2, 1] ends = [-1, 4] steps = [-2, 2] : tensor<?x3x4xf32>
  return %0 : tensor<?x2x2xf32>
}

// -----

// slice_scatter reads the base elementwise and replaces the elements the
// slice reads: those where (i - start) / step is exact and within the length.
// CHECK-LABEL: func.func @slice_scatter
// CHECK-SAME: %[[BASE:.+]]: tensor<?x10xf32>, %[[SRC:.+]]: tensor<?x3xf32>
// CHECK:      linalg.generic {{.+}} ins(%[[BASE]] : tensor<?x10xf32>)
// CHECK:      ^bb0(%[[OLD:.+]]: f32, %{{.+}}: f32):
// CHECK:        %[[OFF:.+]] = arith.subi
// CHECK:        %[[K:.+]] = arith.divsi %[[OFF]]
// CHECK:        %[[BACK:.+]] = arith.muli %[[K]]
// CHECK:        arith.cmpi eq, %[[BACK]], %[[OFF]] : index
// CHECK:        %[[NEW:.+]] = tensor.extract %[[SRC]]
// CHECK:        arith.select %{{.+}}, %[[NEW]], %[[OLD]] : f32
func.func @slice_scatter(%base: tensor<?x10xf32>, %src: tensor<?x3xf32>) -> tensor<?x10xf32> {
  %0 = nn.slice_scatter %base, %src axes = [1] starts = [8] ends = [1] steps = [-3] : tensor<?x10xf32>, tensor<?x3xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_min
// CHECK:      %[[INF:.+]] = arith.constant 0x7F800000 : f32
// CHECK:      linalg.fill ins(%[[INF]] : f32)
// CHECK:      linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:        arith.minimumf
func.func @reduce_min(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  %0 = nn.reduce_min %x axes = [1] : tensor<?x3xf32>
  return %0 : tensor<?xf32>
}

// -----

// An ungrouped convolution: the zero-padded image, its patches as the 6-D
// Col[n, c, kh, kw, oh, ow] (gathered through a window map, written in
// order), and one contraction over (n, oc, oh, ow, c, kh, kw) with the
// weight read as it is stored, accumulating onto the broadcast bias. The
// result is NCHW: no transposing copy, and no loop adds the bias after.
// CHECK-DAG: #[[IMAGE:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>
// CHECK-DAG: #[[ID6:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-DAG: #[[WMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CHECK-DAG: #[[CMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d5, d6, d2, d3)>
// CHECK-DAG: #[[OMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv2d
// CHECK-SAME: %[[X:.+]]: tensor<?x3x8x8xf32>, %[[W:.+]]: tensor<16x3x3x3xf32>, %[[B:.+]]: tensor<16xf32>
// The zero-padded image, read inside with tensor.extract.
// CHECK:      %[[PAD:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<?x3x10x10xf32>)
// CHECK:        tensor.extract %[[X]]
// CHECK:        arith.select
// CHECK:      %[[COL:.+]] = linalg.generic {indexing_maps = [#[[IMAGE]], #[[ID6]]]{{.+}} ins(%[[PAD]] : tensor<?x3x10x10xf32>) outs(%{{.+}} : tensor<?x3x3x3x8x8xf32>)
// CHECK:      %[[ACC:.+]] = linalg.generic {{.+}} ins(%[[B]] : tensor<16xf32>) outs(%{{.+}} : tensor<?x16x8x8xf32>)
// CHECK:      %[[OUT:.+]] = linalg.generic {indexing_maps = [#[[WMAP]], #[[CMAP]], #[[OMAP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[W]], %[[COL]] : tensor<16x3x3x3xf32>, tensor<?x3x3x3x8x8xf32>) outs(%[[ACC]] : tensor<?x16x8x8xf32>)
// CHECK:        arith.mulf
// CHECK:        arith.addf
// CHECK:      return %[[OUT]]
// CHECK-NOT:  nn.
func.func @conv2d(%x: tensor<?x3x8x8xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>) -> tensor<?x16x8x8xf32> {
  %0 = nn.conv2d %x, %w, %b padding = [1, 1, 1, 1] : tensor<?x3x8x8xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
  return %0 : tensor<?x16x8x8xf32>
}

// -----

// A grouped convolution: im2col + one 2-D contraction with a block-diagonal
// weight. W^T [(c,kh,kw), oc] and the patches [(n,oh,ow), (c,kh,kw)] are
// copies (no reshapes, which fusion would push through the contraction),
// the contraction is a linalg.matmul with the dynamic rows as M and the
// static OC as N, and the result goes back to NCHW in one loop. The patches
// are gathered over (n, oh, ow, c, kh, kw) and written through linear maps,
// without divisions in the loops; the extents of oh, ow, kh and kw come
// from an operand that is never read.
// CHECK-DAG: #[[WT:.+]] = affine_map<(d0, d1) -> (d1, (d0 floordiv 9) mod 2, (d0 floordiv 3) mod 3, d0 mod 3)>
// CHECK-DAG: #[[GCOL:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 + d4, d2 + d5)>
// CHECK-DAG: #[[EXTENT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d4, d5)>
// CHECK-DAG: #[[ROWS:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0 * 64 + d1 * 8 + d2, d3 * 9 + d4 * 3 + d5)>
// CHECK-DAG: #[[NCHW:.+]] = affine_map<(d0, d1, d2, d3) -> (d0 * 64 + d2 * 8 + d3, d1)>
// CHECK-LABEL: func.func @conv2d_groups
// CHECK-SAME: %[[X:.+]]: tensor<?x4x8x8xf32>, %[[W:.+]]: tensor<8x2x3x3xf32>
// The weight is block diagonal: zero where o and c are in different groups.
// CHECK:      %[[WTV:.+]] = linalg.generic {indexing_maps = [#[[WT]], #{{.+}}]{{.+}} ins(%[[W]] : tensor<8x2x3x3xf32>) outs(%{{.+}} : tensor<36x8xf32>)
// CHECK:        arith.divui
// CHECK:        arith.select
// CHECK:      %[[PAD:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<?x4x10x10xf32>)
// CHECK:      %[[COLV:.+]] = linalg.generic {indexing_maps = [#[[GCOL]], #[[EXTENT]], #[[ROWS]]]{{.+}} ins(%[[PAD]], %{{.+}} : tensor<?x4x10x10xf32>, tensor<8x8x3x3xf32>) outs(%{{.+}} : tensor<?x36xf32>)
// CHECK:      %[[OUT:.+]] = linalg.matmul ins(%[[COLV]], %[[WTV]] : tensor<?x36xf32>, tensor<36x8xf32>) outs(%{{.+}} : tensor<?x8xf32>)
// CHECK:      linalg.generic {indexing_maps = [#[[NCHW]], #{{.+}}]{{.+}} ins(%[[OUT]] : tensor<?x8xf32>) outs(%{{.+}} : tensor<?x8x8x8xf32>)
// CHECK-NOT:  nn.
func.func @conv2d_groups(%x: tensor<?x4x8x8xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<?x8x8x8xf32> {
  %0 = nn.conv2d %x, %w padding = [1, 1, 1, 1] groups = 2 : tensor<?x4x8x8xf32>, tensor<8x2x3x3xf32>
  return %0 : tensor<?x8x8x8xf32>
}

// -----

// The gradients: dWeight contracts over the batch-derived rows (K dynamic,
// M = OC and N = C*KH*KW static); dInput contracts dOut rows with the
// weight's rows and scatters the patches back (col2im): one generic over
// (n, c, oh, ow, kh, kw) adds each patch entry into a zero padded image
// through the linear maps of im2col (no divisions or bounds tests), and the
// inside is a slice of it.
// The rows of dOut (transposed for dWeight) are read over the NCHW image
// and written through linear maps.
// CHECK-DAG: #[[DOUTT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 * 64 + d2 * 8 + d3)>
// CHECK-DAG: #[[PATCH:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0 * 64 + d2 * 8 + d3, d1 * 9 + d4 * 3 + d5)>
// CHECK-DAG: #[[IMAGE:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>
// CHECK-DAG: #[[DOUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0 * 64 + d2 * 8 + d3, d1)>
// CHECK-LABEL: func.func @conv2d_backward
// CHECK:      linalg.generic {indexing_maps = [#{{.+}}, #[[DOUTT]]]{{.+}} outs(%{{.+}} : tensor<16x?xf32>)
// CHECK:      linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<16x?xf32>, tensor<?x27xf32>) outs(%{{.+}} : tensor<16x27xf32>)
// CHECK:      linalg.generic {indexing_maps = [#{{.+}}, #[[DOUT]]]{{.+}} outs(%{{.+}} : tensor<?x16xf32>)
// CHECK:      %[[DCOL:.+]] = linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x16xf32>, tensor<16x27xf32>) outs(%{{.+}} : tensor<?x27xf32>)
// CHECK:      %[[ZEROS:.+]] = linalg.fill {{.+}} -> tensor<?x3x10x10xf32>
// CHECK:      %[[SUMS:.+]] = linalg.generic {indexing_maps = [#[[PATCH]], #{{.+}}, #[[IMAGE]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]} ins(%[[DCOL]], %{{.+}} : tensor<?x27xf32>, tensor<8x8x3x3xf32>) outs(%[[ZEROS]] : tensor<?x3x10x10xf32>)
// CHECK:        arith.addf
// CHECK:      tensor.extract_slice %[[SUMS]][0, 0, 1, 1] [%{{.+}}, 3, 8, 8] [1, 1, 1, 1] : tensor<?x3x10x10xf32> to tensor<?x3x8x8xf32>
// CHECK-NOT:  nn.
func.func @conv2d_backward(%g: tensor<?x16x8x8xf32>, %x: tensor<?x3x8x8xf32>, %w: tensor<16x3x3x3xf32>) -> (tensor<16x3x3x3xf32>, tensor<?x3x8x8xf32>) {
  %dw = nn.conv2d_backward_filter %g, %x, %w padding = [1, 1, 1, 1] : tensor<?x16x8x8xf32>, tensor<?x3x8x8xf32>, tensor<16x3x3x3xf32>
  %dx = nn.conv2d_backward_data %g, %x, %w padding = [1, 1, 1, 1] : tensor<?x16x8x8xf32>, tensor<?x3x8x8xf32>, tensor<16x3x3x3xf32>
  return %dw, %dx : tensor<16x3x3x3xf32>, tensor<?x3x8x8xf32>
}

// -----

// A transposed convolution is conv2d_backward_data of its input: the input's
// rows [(n,h,w), c] times the weight [c, (oc,kh,kw)] in one linalg.matmul
// (dynamic rows as M), then col2im: the patch entries added over
// (n, oc, oh, ow, kh, kw) into the padded output, whose inside is a slice,
// then the bias in a loop of its own. No scalar convolution loop: the only
// multiplication is the matmul.
// CHECK-LABEL: func.func @conv_transpose2d
// CHECK-SAME: %[[X:.+]]: tensor<?x16x7x7xf32>, %[[W:.+]]: tensor<16x8x3x3xf32>, %[[B:.+]]: tensor<8xf32>
// CHECK-DAG:  %[[ROWS:.+]] = linalg.generic {{.+}} ins(%[[X]] : tensor<?x16x7x7xf32>) outs(%{{.+}} : tensor<?x16xf32>)
// CHECK-DAG:  %[[FLATW:.+]] = linalg.generic {{.+}} ins(%[[W]] : tensor<16x8x3x3xf32>) outs(%{{.+}} : tensor<16x72xf32>)
// CHECK:      %[[COL:.+]] = linalg.matmul ins(%[[ROWS]], %[[FLATW]] : tensor<?x16xf32>, tensor<16x72xf32>) outs(%{{.+}} : tensor<?x72xf32>)
// CHECK:      %[[PAD:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]} ins(%[[COL]], %{{.+}} : tensor<?x72xf32>, tensor<7x7x3x3xf32>) outs(%{{.+}} : tensor<?x8x16x16xf32>)
// CHECK:        arith.addf
// CHECK:      %[[Y:.+]] = tensor.extract_slice %[[PAD]][0, 0, 1, 1] [%{{.+}}, 8, 14, 14] [1, 1, 1, 1]
// CHECK:      linalg.generic {{.+}} ins(%[[Y]], %[[B]] : tensor<?x8x14x14xf32>, tensor<8xf32>) outs(%{{.+}} : tensor<?x8x14x14xf32>)
// CHECK:        arith.addf
// CHECK-NOT:  nn.
func.func @conv_transpose2d(%x: tensor<?x16x7x7xf32>, %w: tensor<16x8x3x3xf32>, %b: tensor<8xf32>) -> tensor<?x8x14x14xf32> {
  %0 = nn.conv_transpose2d %x, %w, %b strides = [2, 2] padding = [1, 1, 1, 1] output_padding = [1, 1] : tensor<?x16x7x7xf32>, tensor<16x8x3x3xf32>, tensor<8xf32>
  return %0 : tensor<?x8x14x14xf32>
}

// -----

// Pools: one window reduction over the padded image (-inf for max), the
// window's extent from an operand that is never read; average pooling then
// scales by a constant table of 1 / window sizes.
// CHECK-DAG: #[[WIN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-LABEL: func.func @pools
// CHECK:      arith.constant 0xFF800000 : f32
// CHECK:      linalg.generic {indexing_maps = [#[[WIN]], {{.+}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK:        arith.maximumf
// CHECK:      linalg.generic {indexing_maps = [#[[WIN]], {{.+}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK:        arith.addf
// CHECK:      arith.constant dense<{{.+}}> : tensor<2x2xf32>
// CHECK:      arith.mulf
// CHECK-NOT:  nn.
func.func @pools(%x: tensor<?x3x4x4xf32>) -> (tensor<?x3x2x2xf32>, tensor<?x3x2x2xf32>) {
  %0 = nn.max_pool2d %x kernel = [2, 2] strides = [2, 2] : tensor<?x3x4x4xf32>
  %1 = nn.avg_pool2d %x kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<?x3x4x4xf32>
  return %0, %1 : tensor<?x3x2x2xf32>, tensor<?x3x2x2xf32>
}

// -----

// The gradient of a pool whose windows tile the image (stride = kernel, no
// padding) is one all-parallel loop over the image: each position lies in
// one window, at offset (h mod 2, w mod 2). Overlapping windows keep the
// general scatter with its kernel reduction loops.
// CHECK-LABEL: func.func @pool_backward
// CHECK:      linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]{{.+}} outs(%{{.+}} : tensor<?x3x4x4xf32>)
// CHECK:        arith.divui
// CHECK:        arith.remui
// CHECK:        arith.cmpi eq
// CHECK:      linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]{{.+}} outs(%{{.+}} : tensor<?x3x4x4xf32>)
// CHECK-NOT:  nn.
func.func @pool_backward(%g: tensor<?x3x2x2xf32>, %x: tensor<?x3x4x4xf32>, %ga: tensor<?x3x2x2xf32>) -> (tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>) {
  %0 = nn.max_pool2d_backward %g, %x kernel = [2, 2] strides = [2, 2] : tensor<?x3x2x2xf32>, tensor<?x3x4x4xf32>
  %1 = nn.avg_pool2d_backward %ga, %x kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<?x3x2x2xf32>, tensor<?x3x4x4xf32>
  return %0, %1 : tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>
}
