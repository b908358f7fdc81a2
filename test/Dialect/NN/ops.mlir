// RUN: %neurona-opt %s -split-input-file | %neurona-opt -split-input-file | FileCheck %s
// Round trip of every op's custom syntax, with inferred result types.

// CHECK-LABEL: func.func @dense
func.func @dense(%x: tensor<?x784xf32>, %w: tensor<784x128xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  // CHECK: %[[H:.+]] = nn.matmul %{{.+}}, %{{.+}} : tensor<?x784xf32>, tensor<784x128xf32>
  %h = nn.matmul %x, %w : tensor<?x784xf32>, tensor<784x128xf32>
  // CHECK-NEXT: %[[Y:.+]] = nn.add %[[H]], %{{.+}} : tensor<?x128xf32>, tensor<128xf32>
  %y = nn.add %h, %b : tensor<?x128xf32>, tensor<128xf32>
  // CHECK-NEXT: nn.relu %[[Y]] : tensor<?x128xf32>
  %r = nn.relu %y : tensor<?x128xf32>
  return %r : tensor<?x128xf32>
}

// -----

// CHECK-LABEL: func.func @transposed
func.func @transposed(%a: tensor<?x8xf32>, %g: tensor<?x3xf32>) -> tensor<8x3xf32> {
  // CHECK: nn.matmul %{{.+}}, %{{.+}} transpose_lhs : tensor<?x8xf32>, tensor<?x3xf32>
  %0 = nn.matmul %a, %g transpose_lhs : tensor<?x8xf32>, tensor<?x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

// Batch dimensions broadcast as numpy's; batch_reduce sums them away.
// CHECK-LABEL: func.func @batched
func.func @batched(%x: tensor<?x9x8xf32>, %w: tensor<8x3xf32>, %v: tensor<1x3x5xf32>, %g: tensor<?x9x3xf32>, %y: tensor<?x9xi64>) -> (tensor<?x9x5xf32>, tensor<8x3xf32>, tensor<f32>) {
  // CHECK: nn.matmul %{{.+}}, %{{.+}} : tensor<?x9x8xf32>, tensor<8x3xf32>
  %0 = nn.matmul %x, %w : tensor<?x9x8xf32>, tensor<8x3xf32>
  // CHECK: nn.matmul %{{.+}}, %{{.+}} : tensor<?x9x3xf32>, tensor<1x3x5xf32>
  %1 = nn.matmul %0, %v : tensor<?x9x3xf32>, tensor<1x3x5xf32>
  // CHECK: nn.matmul %{{.+}}, %{{.+}} transpose_lhs batch_reduce : tensor<?x9x8xf32>, tensor<?x9x3xf32>
  %2 = nn.matmul %x, %g transpose_lhs batch_reduce : tensor<?x9x8xf32>, tensor<?x9x3xf32>
  // CHECK: nn.cross_entropy %{{.+}}, %{{.+}} {ignore_index = 0 : i64} : tensor<?x9x5xf32>, tensor<?x9xi64>
  %3 = nn.cross_entropy %1, %y {ignore_index = 0 : i64} : tensor<?x9x5xf32>, tensor<?x9xi64>
  return %1, %2, %3 : tensor<?x9x5xf32>, tensor<8x3xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<?x10xf32>, %b: tensor<1x10xf32>, %s: tensor<f32>) -> tensor<?x10xf32> {
  // CHECK: nn.sub
  %0 = nn.sub %a, %b : tensor<?x10xf32>, tensor<1x10xf32>
  // CHECK: nn.mul
  %1 = nn.mul %0, %s : tensor<?x10xf32>, tensor<f32>
  // CHECK: nn.div
  %2 = nn.div %1, %a : tensor<?x10xf32>, tensor<?x10xf32>
  // CHECK: nn.maximum
  %3 = nn.maximum %2, %s : tensor<?x10xf32>, tensor<f32>
  // CHECK: nn.sigmoid
  %4 = nn.sigmoid %3 : tensor<?x10xf32>
  // CHECK: nn.tanh
  %5 = nn.tanh %4 : tensor<?x10xf32>
  // CHECK: nn.exp
  %6 = nn.exp %5 : tensor<?x10xf32>
  // CHECK: nn.log
  %7 = nn.log %6 : tensor<?x10xf32>
  // CHECK: nn.sqrt
  %8 = nn.sqrt %7 : tensor<?x10xf32>
  // CHECK: nn.neg
  %9 = nn.neg %8 : tensor<?x10xf32>
  // CHECK: nn.step
  %10 = nn.step %9 : tensor<?x10xf32>
  return %10 : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @softmax_and_reductions
func.func @softmax_and_reductions(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x1xf32>, tensor<10xf32>, tensor<?xf32>, tensor<f32>) {
  // CHECK: nn.softmax %{{.+}} axis = 1 : tensor<?x10xf32>
  %0 = nn.softmax %x axis = 1 : tensor<?x10xf32>
  // CHECK: nn.log_softmax %{{.+}} : tensor<?x10xf32>
  %1 = nn.log_softmax %x : tensor<?x10xf32>
  // CHECK: nn.reduce_sum %{{.+}} axes = [1] keepdims : tensor<?x10xf32>
  %2 = nn.reduce_sum %x axes = [1] keepdims : tensor<?x10xf32>
  // CHECK: nn.reduce_mean %{{.+}} axes = [0] : tensor<?x10xf32>
  %3 = nn.reduce_mean %x axes = [0] : tensor<?x10xf32>
  // CHECK: nn.reduce_max %{{.+}} axes = [-1] : tensor<?x10xf32>
  %4 = nn.reduce_max %x axes = [-1] : tensor<?x10xf32>
  // CHECK: nn.numel %{{.+}} : tensor<?x10xf32>
  %5 = nn.numel %x : tensor<?x10xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x1xf32>, tensor<10xf32>, tensor<?xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @shape
func.func @shape(%img: tensor<?x28x28xf32>, %g: tensor<?x1xf32>, %x: tensor<?x10xf32>) -> (tensor<?x784xf32>, tensor<?x10xf32>) {
  // CHECK: nn.reshape %{{.+}} : tensor<?x28x28xf32> -> tensor<?x784xf32>
  %0 = nn.reshape %img : tensor<?x28x28xf32> -> tensor<?x784xf32>
  // CHECK: nn.broadcast_like %{{.+}}, %{{.+}} : tensor<?x1xf32>, tensor<?x10xf32>
  %1 = nn.broadcast_like %g, %x : tensor<?x1xf32>, tensor<?x10xf32>
  return %0, %1 : tensor<?x784xf32>, tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @losses
func.func @losses(%logits: tensor<?x10xf32>, %labels: tensor<?xi64>, %p: tensor<?x1xf32>, %t: tensor<?x1xf32>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<?x10xf32>) {
  // CHECK: nn.cross_entropy %{{.+}}, %{{.+}} : tensor<?x10xf32>, tensor<?xi64>
  %0 = nn.cross_entropy %logits, %labels : tensor<?x10xf32>, tensor<?xi64>
  // CHECK: nn.mse
  %1 = nn.mse %p, %t : tensor<?x1xf32>, tensor<?x1xf32>
  // CHECK: nn.binary_cross_entropy
  %2 = nn.binary_cross_entropy %p, %t : tensor<?x1xf32>, tensor<?x1xf32>
  // CHECK: nn.one_hot %{{.+}} depth = 10 : tensor<?xi64>
  %3 = nn.one_hot %labels depth = 10 : tensor<?xi64>
  return %0, %1, %2, %3 : tensor<f32>, tensor<f32>, tensor<f32>, tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @optimizers
func.func @optimizers(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %t: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK: nn.sgd_update %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {momentum = 0.899999976 : f32} : tensor<4xf32>
  %p1, %v1 = nn.sgd_update %p, %g, %v, %lr {momentum = 0.9 : f32} : tensor<4xf32>
  // CHECK: nn.adam_update %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<4xf32>
  %p2, %m2, %v2 = nn.adam_update %p1, %g, %m, %v1, %lr, %t : tensor<4xf32>
  return %p2, %m2 : tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @math
func.func @math(%a: tensor<?x10xf32>, %b: tensor<10xf32>) -> tensor<?x10xf32> {
  // CHECK: nn.minimum %{{.+}}, %{{.+}} : tensor<?x10xf32>, tensor<10xf32>
  %0 = nn.minimum %a, %b : tensor<?x10xf32>, tensor<10xf32>
  // CHECK: nn.pow %{{.+}}, %{{.+}} : tensor<?x10xf32>, tensor<10xf32>
  %1 = nn.pow %0, %b : tensor<?x10xf32>, tensor<10xf32>
  // CHECK: nn.abs
  %2 = nn.abs %1 : tensor<?x10xf32>
  // CHECK: nn.sign
  %3 = nn.sign %2 : tensor<?x10xf32>
  // CHECK: nn.ceil
  %4 = nn.ceil %3 : tensor<?x10xf32>
  // CHECK: nn.floor
  %5 = nn.floor %4 : tensor<?x10xf32>
  // CHECK: nn.reciprocal
  %6 = nn.reciprocal %5 : tensor<?x10xf32>
  // CHECK: nn.erf
  %7 = nn.erf %6 : tensor<?x10xf32>
  // CHECK: nn.softplus
  %8 = nn.softplus %7 : tensor<?x10xf32>
  // CHECK: nn.softsign %{{.+}} : tensor<?x10xf32>
  %9 = nn.softsign %8 : tensor<?x10xf32>
  return %9 : tensor<?x10xf32>
}

// -----

// Default attribute values are not printed.
// CHECK-LABEL: func.func @activations
func.func @activations(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  // CHECK: nn.leaky_relu %{{.+}} : tensor<?x10xf32>
  %0 = nn.leaky_relu %x : tensor<?x10xf32>
  // CHECK: nn.leaky_relu %{{.+}} alpha = 2.000000e-01 : tensor<?x10xf32>
  %1 = nn.leaky_relu %0 alpha = 0.2 : tensor<?x10xf32>
  // CHECK: nn.elu %{{.+}} : tensor<?x10xf32>
  %2 = nn.elu %1 alpha = 1.0 : tensor<?x10xf32>
  // CHECK: nn.elu %{{.+}} alpha = 5.000000e-01 : tensor<?x10xf32>
  %3 = nn.elu %2 alpha = 0.5 : tensor<?x10xf32>
  // CHECK: nn.selu %{{.+}} : tensor<?x10xf32>
  %4 = nn.selu %3 : tensor<?x10xf32>
  // CHECK: nn.selu %{{.+}} alpha = 2.000000e+00 gamma = 3.000000e+00 : tensor<?x10xf32>
  %5 = nn.selu %4 alpha = 2.0 gamma = 3.0 : tensor<?x10xf32>
  // CHECK: nn.hard_sigmoid %{{.+}} : tensor<?x10xf32>
  %6 = nn.hard_sigmoid %5 : tensor<?x10xf32>
  // CHECK: nn.hard_sigmoid %{{.+}} alpha = 2.500000e-01 : tensor<?x10xf32>
  %7 = nn.hard_sigmoid %6 alpha = 0.25 beta = 0.5 : tensor<?x10xf32>
  // CHECK: nn.clip %{{.+}} min = 0.000000e+00 max = 6.000000e+00 : tensor<?x10xf32>
  %8 = nn.clip %7 min = 0.0 max = 6.0 : tensor<?x10xf32>
  // CHECK: nn.clip %{{.+}} max = 1.000000e+00 : tensor<?x10xf32>
  %9 = nn.clip %8 max = 1.0 : tensor<?x10xf32>
  return %9 : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<?x3x4xf32>, %y: tensor<?x3x2xf32>) -> (tensor<?x4x3xf32>, tensor<?x3x6xf32>, tensor<?x2x2xf32>, tensor<?x3x4xf32>, tensor<?x4xf32>) {
  // CHECK: nn.transpose %{{.+}} perm = [0, 2, 1] : tensor<?x3x4xf32>
  %0 = nn.transpose %x perm = [0, 2, 1] : tensor<?x3x4xf32>
  // CHECK: nn.concat %{{.+}}, %{{.+}} axis = 2 : tensor<?x3x4xf32>, tensor<?x3x2xf32>
  %1 = nn.concat %x, %y axis = 2 : tensor<?x3x4xf32>, tensor<?x3x2xf32>
  // CHECK: nn.slice %{{.+}} axes = [1, 2] starts = [2, 3] ends = [-1, 0] steps = [-2, -2] : tensor<?x3x4xf32>
  %2 = nn.slice %x axes = [1, 2] starts = [2, 3] ends = [-1, 0] steps = [-2, -2] : tensor<?x3x4xf32>
  // CHECK: nn.slice_scatter %{{.+}}, %{{.+}} axes = [1, 2] starts = [2, 3] ends = [-1, 0] steps = [-2, -2] : tensor<?x3x4xf32>, tensor<?x2x2xf32>
  %3 = nn.slice_scatter %x, %2 axes = [1, 2] starts = [2, 3] ends = [-1, 0] steps = [-2, -2] : tensor<?x3x4xf32>, tensor<?x2x2xf32>
  // CHECK: nn.reduce_min %{{.+}} axes = [1] : tensor<?x3x4xf32>
  %4 = nn.reduce_min %x axes = [1] : tensor<?x3x4xf32>
  return %0, %1, %2, %3, %4 : tensor<?x4x3xf32>, tensor<?x3x6xf32>, tensor<?x2x2xf32>, tensor<?x3x4xf32>, tensor<?x4xf32>
}

// -----

// Steps of 1 are the default and a slice may omit them.
// CHECK-LABEL: func.func @slice_unit_steps
func.func @slice_unit_steps(%x: tensor<?x10xf32>) -> tensor<?x5xf32> {
  // CHECK: nn.slice %{{.+}} axes = [-1] starts = [2] ends = [7] : tensor<?x10xf32>
  %0 = nn.slice %x axes = [-1] starts = [2] ends = [7] : tensor<?x10xf32>
  return %0 : tensor<?x5xf32>
}

// -----

// CHECK-LABEL: func.func @conv_and_pools
func.func @conv_and_pools(%x: tensor<?x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>, %wg: tensor<8x4x3x3xf32>) -> tensor<?x8x1x1xf32> {
  // CHECK: nn.conv2d %{{.+}}, %{{.+}}, %{{.+}} strides = [2, 2] padding = [1, 1, 1, 1] : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
  %0 = nn.conv2d %x, %w, %b strides = [2, 2] padding = [1, 1, 1, 1] : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
  // CHECK: nn.max_pool2d %{{.+}} kernel = [2, 2] strides = [2, 2] : tensor<?x16x16x16xf32>
  %1 = nn.max_pool2d %0 kernel = [2, 2] strides = [2, 2] : tensor<?x16x16x16xf32>
  // CHECK: nn.avg_pool2d %{{.+}} kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] ceil_mode count_include_pad : tensor<?x16x8x8xf32>
  %2 = nn.avg_pool2d %1 kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] ceil_mode count_include_pad : tensor<?x16x8x8xf32>
  // CHECK: nn.conv2d %{{.+}}, %{{.+}} padding = [1, 1, 1, 1] dilations = [2, 2] groups = 4 : tensor<?x16x5x5xf32>, tensor<8x4x3x3xf32>
  %3 = nn.conv2d %2, %wg padding = [1, 1, 1, 1] dilations = [2, 2] groups = 4 : tensor<?x16x5x5xf32>, tensor<8x4x3x3xf32>
  // CHECK: nn.global_avg_pool2d %{{.+}} : tensor<?x8x3x3xf32>
  %4 = nn.global_avg_pool2d %3 : tensor<?x8x3x3xf32>
  return %4 : tensor<?x8x1x1xf32>
}

// -----

// CHECK-LABEL: func.func @backward_ops
func.func @backward_ops(%g: tensor<?x16x30x30xf32>, %x: tensor<?x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %gp: tensor<?x3x16x16xf32>) -> (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<?x3x32x32xf32>, tensor<?x3x32x32xf32>) {
  // CHECK: nn.conv2d_backward_data %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x16x30x30xf32>, tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>
  %0 = nn.conv2d_backward_data %g, %x, %w : tensor<?x16x30x30xf32>, tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>
  // CHECK: nn.conv2d_backward_filter %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x16x30x30xf32>, tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>
  %1 = nn.conv2d_backward_filter %g, %x, %w : tensor<?x16x30x30xf32>, tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>
  // CHECK: nn.max_pool2d_backward %{{.+}}, %{{.+}} kernel = [2, 2] strides = [2, 2] : tensor<?x3x16x16xf32>, tensor<?x3x32x32xf32>
  %2 = nn.max_pool2d_backward %gp, %x kernel = [2, 2] strides = [2, 2] : tensor<?x3x16x16xf32>, tensor<?x3x32x32xf32>
  // CHECK: nn.avg_pool2d_backward %{{.+}}, %{{.+}} kernel = [2, 2] strides = [2, 2] : tensor<?x3x16x16xf32>, tensor<?x3x32x32xf32>
  %3 = nn.avg_pool2d_backward %gp, %x kernel = [2, 2] strides = [2, 2] : tensor<?x3x16x16xf32>, tensor<?x3x32x32xf32>
  return %0, %1, %2, %3 : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<?x3x32x32xf32>, tensor<?x3x32x32xf32>
}

// -----

// CHECK-LABEL: func.func @conv_transpose
func.func @conv_transpose(%x: tensor<?x16x7x7xf32>, %w: tensor<16x8x3x3xf32>, %b: tensor<8xf32>, %wg: tensor<8x2x2x2xf32>) -> (tensor<?x8x14x14xf32>, tensor<?x8x29x29xf32>) {
  // CHECK: nn.conv_transpose2d %{{.+}}, %{{.+}}, %{{.+}} strides = [2, 2] padding = [1, 1, 1, 1] output_padding = [1, 1] : tensor<?x16x7x7xf32>, tensor<16x8x3x3xf32>, tensor<8xf32>
  %0 = nn.conv_transpose2d %x, %w, %b strides = [2, 2] padding = [1, 1, 1, 1] output_padding = [1, 1] : tensor<?x16x7x7xf32>, tensor<16x8x3x3xf32>, tensor<8xf32>
  // CHECK: nn.conv_transpose2d %{{.+}}, %{{.+}} strides = [2, 2] dilations = [2, 2] groups = 4 : tensor<?x8x14x14xf32>, tensor<8x2x2x2xf32>
  %1 = nn.conv_transpose2d %0, %wg strides = [2, 2] dilations = [2, 2] groups = 4 : tensor<?x8x14x14xf32>, tensor<8x2x2x2xf32>
  return %0, %1 : tensor<?x8x14x14xf32>, tensor<?x8x29x29xf32>
}
