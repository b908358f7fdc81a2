// RUN: %neurona-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(neurona-cpu-tile-contractions{vector-width=16 register-tile-m=8 register-tile-n=32 remainder-tile-n=128}))' | FileCheck %s

// A batch of rows times a static weight. Full 8x32 tiles are static and keep
// their accumulator in registers across k (no C traffic in the k loop); the
// rows below 8 (all of them at batch 1) run one at a time, 128 columns wide.
// CHECK-LABEL: func.func @dense
// CHECK-SAME:    (%[[A:.+]]: tensor<?x784xf32>, %[[B:.+]]: tensor<784x128xf32>, %[[C:.+]]: tensor<?x128xf32>)
// CHECK:         %[[M:.+]] = tensor.dim %[[A]]
// CHECK:         %[[FULL:.+]] = affine.apply #{{.+}}()[%[[M]]]
// CHECK:         scf.for %{{.+}} = %c0 to %[[FULL]] step %c8
// CHECK:           scf.for %{{.+}} = %c0 to %c128 step %c32
// CHECK:             %[[ACC:.+]] = vector.transfer_read {{.+}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:             %[[SUM:.+]] = scf.for %{{.+}} = %c0 to %c784 step %c1 iter_args(%[[IT:.+]] = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK-NOT:           tensor.insert_slice
// CHECK:               vector.transfer_read {{.+}} vector<8x1xf32>
// CHECK:               vector.transfer_read {{.+}} vector<1x32xf32>
// CHECK:               vector.contract {{.+}} %[[IT]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:             vector.transfer_write %[[SUM]]
// CHECK:         scf.for %{{.+}} = %[[FULL]] to %[[M]] step %c8
// CHECK:           scf.for %{{.+}} = %c0 to %{{.+}} step %c1
// CHECK:             scf.for {{.+}} -> (vector<1x128xf32>)
// CHECK:               vector.contract {{.+}} into vector<1x128xf32>
// CHECK-NOT:     linalg.matmul
func.func @dense(%a: tensor<?x784xf32>, %b: tensor<784x128xf32>,
                 %c: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x784xf32>, tensor<784x128xf32>)
                     outs(%c : tensor<?x128xf32>) -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

// Ten output columns: the tile is one register wide. Its extra lanes read
// zeros and are never stored (transfers that may run out of bounds, no
// masks left on the contraction).
// CHECK-LABEL: func.func @narrow
// CHECK:         scf.for {{.+}} step %c8
// CHECK:           vector.transfer_read {{.+}} {in_bounds = [true, false]} : tensor<8x10xf32>, vector<8x16xf32>
// CHECK:           scf.for {{.+}} -> (vector<8x16xf32>)
// CHECK:             vector.transfer_read {{.+}} {in_bounds = [true, false]} : tensor<1x10xf32>, vector<1x16xf32>
// CHECK:             vector.contract {{.+}} into vector<8x16xf32>
// CHECK:           vector.transfer_write {{.+}} {in_bounds = [true, false]} : vector<8x16xf32>, tensor<8x10xf32>
// CHECK-NOT:     vector.mask
func.func @narrow(%a: tensor<64x128xf32>, %b: tensor<128x10xf32>,
                  %c: tensor<64x10xf32>) -> tensor<64x10xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x128xf32>, tensor<128x10xf32>)
                     outs(%c : tensor<64x10xf32>) -> tensor<64x10xf32>
  return %r : tensor<64x10xf32>
}

// -----

// The weight gradient X^T dY as convert-nn-to-linalg emits it: a generic
// contraction over the (dynamic) batch with the lhs transposed. The 8x1 tile
// of A^T is a contiguous piece of one row of X.
// CHECK-LABEL: func.func @weight_gradient
// CHECK:         scf.for {{.+}} step %c8
// CHECK:           scf.for {{.+}} step %c32
// CHECK:             scf.for {{.+}} -> (vector<8x32xf32>)
// CHECK:               vector.transfer_read {{.+}} : tensor<1x8xf32>, vector<1x8xf32>
// CHECK:               vector.contract {{.+}} : vector<1x8xf32>, vector<1x32xf32> into vector<8x32xf32>
#xt = affine_map<(k, m, n) -> (k, m)>
#dy = affine_map<(k, m, n) -> (k, n)>
#dw = affine_map<(k, m, n) -> (m, n)>
func.func @weight_gradient(%x: tensor<?x784xf32>, %dy: tensor<?x128xf32>,
                           %dw: tensor<784x128xf32>) -> tensor<784x128xf32> {
  %r = linalg.generic {indexing_maps = [#xt, #dy, #dw],
                       iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : tensor<?x784xf32>, tensor<?x128xf32>)
      outs(%dw : tensor<784x128xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<784x128xf32>
  return %r : tensor<784x128xf32>
}

// -----

// A B panel larger than L2, with rows enough to amortize a copy: B is packed
// once into 32 strips of 1024 x 32 (one register tile wide), so a register
// tile reads its row of B from consecutive lines rather than 4 KiB apart.
// Then blocks of 128 x 256 of packed B stay in L2 while 64-row blocks of A
// pass over them, and each 8 x 32 tile reads its strip.
// CHECK-LABEL: func.func @large
// CHECK:         %[[EMPTY:.+]] = tensor.empty() : tensor<32x1024x32xf32>
// CHECK:         %[[PACKED:.+]] = scf.for %[[S:.+]] = %c0 to %c32 step %c1 iter_args(%{{.+}} = %[[EMPTY]])
// CHECK:           scf.for %[[R:.+]] = %c0 to %c1024 step %c1
// CHECK:             %[[ROW:.+]] = vector.transfer_read %{{.+}}[%[[R]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<1024x1024xf32>, vector<32xf32>
// CHECK:             vector.transfer_write %[[ROW]], %{{.+}}[%[[S]], %[[R]], %c0] {in_bounds = [true]} : vector<32xf32>, tensor<32x1024x32xf32>
// CHECK:         scf.for {{.+}} step %c128
// CHECK:           scf.for {{.+}} step %c256
// CHECK:             scf.for {{.+}} step %c64
// CHECK:               scf.for {{.+}} step %c8
// CHECK:                 scf.for {{.+}} step %c32
// CHECK:                   scf.for {{.+}} -> (vector<8x32xf32>)
// CHECK:                     tensor.extract_slice %[[PACKED]][{{.+}}] [1, 1, 32] [1, 1, 1] : tensor<32x1024x32xf32> to tensor<1x32xf32>
// CHECK:                     vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
func.func @large(%a: tensor<1024x1024xf32>, %b: tensor<1024x1024xf32>,
                 %c: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<1024x1024xf32>, tensor<1024x1024xf32>)
                     outs(%c : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  return %r : tensor<1024x1024xf32>
}

// -----

// Materialized transposed weights (backward of x W) move in 16x16 register
// blocks; the 10-wide edge reads and writes within bounds only.
// CHECK-LABEL: func.func @transpose
// CHECK:         scf.for {{.+}} step %c16
// CHECK:           vector.transfer_read {{.+}} {in_bounds = [true, false]} : tensor<16x10xf32>, vector<16x16xf32>
// CHECK:           vector.transpose {{.+}} [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK:           vector.transfer_write {{.+}} {in_bounds = [false, true]} : vector<16x16xf32>, tensor<10x16xf32>
// CHECK-NOT:     linalg.transpose
func.func @transpose(%w: tensor<784x10xf32>, %t: tensor<10x784xf32>) -> tensor<10x784xf32> {
  %r = linalg.transpose ins(%w : tensor<784x10xf32>) outs(%t : tensor<10x784xf32>) permutation = [1, 0]
  return %r : tensor<10x784xf32>
}

// -----

// Dynamic N (a product with a batch-sized transposed operand) is left for
// the loop lowering.
// CHECK-LABEL: func.func @dynamic_n
// CHECK:         linalg.matmul
func.func @dynamic_n(%a: tensor<8x16xf32>, %b: tensor<16x?xf32>,
                     %c: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x?xf32>)
                     outs(%c : tensor<8x?xf32>) -> tensor<8x?xf32>
  return %r : tensor<8x?xf32>
}

// -----

// B stored N x K (ONNX Gemm transB, PyTorch's Linear): dot products along
// k. A 4x4 tile keeps 16 lanes of partial sums per element across the k
// loop (one FMA per element and step) and adds the lanes once after it.
// CHECK-LABEL: func.func @rhs_transposed
// CHECK:         scf.for {{.+}} step %c4
// CHECK:           scf.for {{.+}} step %c4
// CHECK:             %[[C:.+]] = vector.transfer_read {{.+}} : tensor<4x4xf32>, vector<4x4xf32>
// CHECK:             %[[SUMS:.+]] = scf.for {{.+}} step %c16 iter_args(%{{.+}} = %cst{{.*}}) -> (vector<4x4x16xf32>)
// CHECK-COUNT-16:      vector.fma {{.+}} : vector<16xf32>
// CHECK:             vector.multi_reduction <add>, %[[SUMS]], %[[C]] [2] : vector<4x4x16xf32> to vector<4x4xf32>
// CHECK-NOT:     linalg.transpose
#a = affine_map<(m, n, k) -> (m, k)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @rhs_transposed(%x: tensor<?x784xf32>, %w: tensor<128x784xf32>,
                          %y: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %r = linalg.generic {indexing_maps = [#a, #bt, #c],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x784xf32>, tensor<128x784xf32>)
      outs(%y : tensor<?x128xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

// K = 10 is no whole number of vectors: B is transposed once (16x16
// register blocks) and the outer-product kernels read the copy.
// CHECK-LABEL: func.func @rhs_transposed_short_k
// CHECK:         vector.transpose
// CHECK:         scf.for {{.+}} -> (vector<8x32xf32>)
// CHECK:           vector.contract {{.+}} into vector<8x32xf32>
#a = affine_map<(m, n, k) -> (m, k)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @rhs_transposed_short_k(%x: tensor<?x10xf32>, %w: tensor<128x10xf32>,
                                  %y: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %r = linalg.generic {indexing_maps = [#a, #bt, #c],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x10xf32>, tensor<128x10xf32>)
      outs(%y : tensor<?x128xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

// Static rows that leave some below the register tile (20 = 2 x 8 + 4):
// the last 4 are split off and computed as one 4 x 32 block (one load of B
// per 4 broadcasts), not one row at a time.
// CHECK-LABEL: func.func @leftover_rows
// CHECK:         scf.for {{.+}} = %c0 to %c16 step %c8
// CHECK:           scf.for {{.+}} -> (vector<8x32xf32>)
// CHECK:         scf.for {{.+}} = %c0 to %c64 step %c32
// CHECK:           scf.for {{.+}} -> (vector<4x32xf32>)
// CHECK:             vector.contract {{.+}} : vector<4x1xf32>, vector<1x32xf32> into vector<4x32xf32>
// CHECK-NOT:     vector<1x128xf32>
func.func @leftover_rows(%a: tensor<20x128xf32>, %b: tensor<128x64xf32>,
                         %c: tensor<20x64xf32>) -> tensor<20x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<20x128xf32>, tensor<128x64xf32>)
                     outs(%c : tensor<20x64xf32>) -> tensor<20x64xf32>
  return %r : tensor<20x64xf32>
}
