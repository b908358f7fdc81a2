// RUN: %neurona-opt %s -pass-pipeline='builtin.module(func.func(neurona-cpu-tile-contractions{vector-width=16 register-tile-m=8 register-tile-n=32 remainder-tile-n=128 dot-product-rows=32}))' | FileCheck %s

// B stored N x K, deep enough for dot products, with a dynamic row count
// and dot-product-rows=32 (what the pipeline sets with AVX-512): the batch
// chooses at run time. Below 32 rows the 4x4 dot-product tiles read B as
// stored; from 32 rows on, B is transposed once (16x16 register blocks) and
// the 8x32 outer-product kernels read the copy.
// CHECK-LABEL: func.func @rhs_transposed_by_rows
// CHECK:         %[[ROWS:.+]] = tensor.dim %{{.+}}, %c0 : tensor<?x784xf32>
// CHECK:         %[[FEW:.+]] = arith.cmpi ult, %[[ROWS]], %c32
// CHECK:         scf.if %[[FEW]] -> (tensor<?x128xf32>)
// CHECK:           scf.for {{.+}} step %c16 iter_args(%{{.+}} = %cst{{.*}}) -> (vector<4x4x16xf32>)
// CHECK:             vector.fma {{.+}} : vector<16xf32>
// CHECK:         } else {
// CHECK:           vector.transpose
// CHECK:           scf.for {{.+}} -> (vector<8x32xf32>)
// CHECK:             vector.contract {{.+}} into vector<8x32xf32>
#a = affine_map<(m, n, k) -> (m, k)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @rhs_transposed_by_rows(%x: tensor<?x784xf32>, %w: tensor<128x784xf32>,
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
