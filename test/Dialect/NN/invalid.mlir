// RUN: %neurona-opt %s -split-input-file -verify-diagnostics

func.func @matmul_inner_mismatch(%a: tensor<?x4xf32>, %b: tensor<5x3xf32>) {
  // expected-error @+1 {{contraction sizes differ: 4 (lhs) vs 5 (rhs)}}
  %0 = nn.matmul %a, %b : tensor<?x4xf32>, tensor<5x3xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{expects operands of rank 2 or more}}
  %0 = nn.matmul %a, %b : tensor<4xf32>, tensor<4x3xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<5x4x3xf32>) {
  // expected-error @+1 {{batch dimensions of 'tensor<2x3x4xf32>' and 'tensor<5x4x3xf32>' do not broadcast}}
  %0 = nn.matmul %a, %b : tensor<2x3x4xf32>, tensor<5x4x3xf32>
  return
}

// -----

func.func @matmul_batch_reduce_2d(%a: tensor<3x4xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{batch_reduce needs batch dimensions}}
  %0 = nn.matmul %a, %b batch_reduce : tensor<3x4xf32>, tensor<4x3xf32>
  return
}

// -----

func.func @no_broadcast(%a: tensor<?x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{do not broadcast}}
  %0 = nn.add %a, %b : tensor<?x4xf32>, tensor<3xf32>
  return
}

// -----

func.func @wrong_result_type(%a: tensor<?x4xf32>) {
  // expected-error @+2 {{'nn.relu' op inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<?x5xf32>'}}
  // expected-error @+1 {{'nn.relu' op failed to infer returned types}}
  %0 = "nn.relu"(%a) : (tensor<?x4xf32>) -> tensor<?x5xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{axis 2 is out of range for 'tensor<?x4xf32>'}}
  %0 = nn.softmax %a axis = 2 : tensor<?x4xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<?x28x28xf32>) {
  // expected-error @+1 {{element counts differ}}
  %0 = nn.reshape %a : tensor<?x28x28xf32> -> tensor<?x780xf32>
  return
}

// -----

func.func @reshape_batch(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{must keep a dynamic batch dimension on both sides}}
  %0 = nn.reshape %a : tensor<?x4xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @reduce_axis(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{reduction axis out of range}}
  %0 = nn.reduce_sum %a axes = [3] : tensor<?x4xf32>
  return
}

// -----

func.func @cross_entropy_labels(%l: tensor<?x10xf32>, %y: tensor<?x10xi64>) {
  // expected-error @+1 {{expects integer labels of rank 1 for logits 'tensor<?x10xf32>'}}
  %0 = nn.cross_entropy %l, %y : tensor<?x10xf32>, tensor<?x10xi64>
  return
}

// -----

func.func @cross_entropy_batch(%l: tensor<8x10xf32>, %y: tensor<4xi64>) {
  // expected-error @+1 {{label positions differ from the logits}}
  %0 = nn.cross_entropy %l, %y : tensor<8x10xf32>, tensor<4xi64>
  return
}

// -----

func.func @cross_entropy_steps(%l: tensor<?x9x10xf32>, %y: tensor<?x8xi64>) {
  // expected-error @+1 {{label positions differ from the logits'}}
  %0 = nn.cross_entropy %l, %y : tensor<?x9x10xf32>, tensor<?x8xi64>
  return
}

// -----

func.func @cross_entropy_ignore_soft(%l: tensor<?x10xf32>, %t: tensor<?x10xf32>) {
  // expected-error @+1 {{ignore_index needs integer class indices}}
  %0 = nn.cross_entropy %l, %t {ignore_index = 0 : i64} : tensor<?x10xf32>, tensor<?x10xf32>
  return
}

// -----

func.func @mse_shapes(%p: tensor<?x2xf32>, %t: tensor<?x3xf32>) {
  // expected-error @+1 {{have different shapes}}
  %0 = nn.mse %p, %t : tensor<?x2xf32>, tensor<?x3xf32>
  return
}

// -----

func.func @broadcast_like(%g: tensor<?x3xf32>, %x: tensor<?x10xf32>) {
  // expected-error @+1 {{cannot broadcast 'tensor<?x3xf32>' to the shape of 'tensor<?x10xf32>'}}
  %0 = nn.broadcast_like %g, %x : tensor<?x3xf32>, tensor<?x10xf32>
  return
}

// -----

func.func @integer_elementwise(%a: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %0 = nn.relu %a : tensor<4xi32>
  return
}

// -----

func.func @one_hot_depth(%y: tensor<?xi64>) {
  // expected-error @+1 {{expects a positive depth, got 0}}
  %0 = nn.one_hot %y depth = 0 : tensor<?xi64>
  return
}

// -----

// The dynamic batch never equals a fixed size: nothing would check it at run
// time.
func.func @batch_against_fixed(%a: tensor<?x4xf32>, %b: tensor<1000x4xf32>) {
  // expected-error @+1 {{do not broadcast}}
  %0 = nn.add %a, %b : tensor<?x4xf32>, tensor<1000x4xf32>
  return
}

// -----

func.func @contract_batch_with_fixed(%w: tensor<3x50000xf32>, %x: tensor<?x4xf32>) {
  // expected-error @+1 {{cannot contract the dynamic batch dimension with a fixed size}}
  %0 = nn.matmul %w, %x : tensor<3x50000xf32>, tensor<?x4xf32>
  return
}

// -----

func.func @reduce_no_axes(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{expects at least one reduction axis}}
  %0 = nn.reduce_mean %a axes = [] : tensor<?x4xf32>
  return
}

// -----

func.func @transpose_not_a_permutation(%a: tensor<?x3x4xf32>) {
  // expected-error @+1 {{perm lists dimension 1 twice}}
  %0 = nn.transpose %a perm = [0, 1, 1] : tensor<?x3x4xf32>
  return
}

// -----

func.func @transpose_out_of_range(%a: tensor<?x3x4xf32>) {
  // expected-error @+1 {{perm entry 3 is out of range for rank 3}}
  %0 = nn.transpose %a perm = [0, 3, 1] : tensor<?x3x4xf32>
  return
}

// -----

func.func @transpose_rank(%a: tensor<?x3x4xf32>) {
  // expected-error @+1 {{perm has 2 entries but the input 'tensor<?x3x4xf32>' has rank 3}}
  %0 = nn.transpose %a perm = [0, 1] : tensor<?x3x4xf32>
  return
}

// -----

func.func @transpose_moves_batch(%a: tensor<?x3xf32>) {
  // expected-error @+1 {{the dynamic batch dimension of 'tensor<?x3xf32>' must stay first (perm[0] must be 0, got 1)}}
  %0 = nn.transpose %a perm = [1, 0] : tensor<?x3xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for 'tensor<?x3xf32>'}}
  %0 = nn.concat %a, %b axis = 2 : tensor<?x3xf32>, tensor<?x3xf32>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<?x3x4xf32>, %b: tensor<?x2x5xf32>) {
  // expected-error @+1 {{input #1 'tensor<?x2x5xf32>' differs from input #0 'tensor<?x3x4xf32>' in dimension 1, which is not the concatenation axis}}
  %0 = nn.concat %a, %b axis = 2 : tensor<?x3x4xf32>, tensor<?x2x5xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<?x3xf32>, %b: tensor<?x3x1xf32>) {
  // expected-error @+1 {{input #1 'tensor<?x3x1xf32>' has a different rank than input #0 'tensor<?x3xf32>'}}
  %0 = nn.concat %a, %b axis = 1 : tensor<?x3xf32>, tensor<?x3x1xf32>
  return
}

// -----

func.func @concat_batch(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) {
  // expected-error @+1 {{cannot concatenate along the dynamic batch dimension of 'tensor<?x3xf32>'}}
  %0 = nn.concat %a, %b axis = 0 : tensor<?x3xf32>, tensor<?x3xf32>
  return
}

// -----

func.func @concat_batch_against_fixed(%a: tensor<?x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{differs from input #0 'tensor<?x3xf32>' in dimension 0}}
  %0 = nn.concat %a, %b axis = 1 : tensor<?x3xf32>, tensor<4x3xf32>
  return
}

// -----

func.func @slice_axis(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{axis 2 is out of range for 'tensor<?x10xf32>'}}
  %0 = nn.slice %a axes = [2] starts = [0] ends = [1] : tensor<?x10xf32>
  return
}

// -----

func.func @slice_batch(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{cannot slice the dynamic batch dimension of 'tensor<?x10xf32>'}}
  %0 = nn.slice %a axes = [0] starts = [0] ends = [1] : tensor<?x10xf32>
  return
}

// -----

func.func @slice_end(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{end 11 of axis 1 must be in [3, 10] for a positive step}}
  %0 = nn.slice %a axes = [1] starts = [2] ends = [11] : tensor<?x10xf32>
  return
}

// -----

func.func @slice_negative_step_end(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{end 4 of axis 1 must be in [-1, 1] for a negative step}}
  %0 = nn.slice %a axes = [1] starts = [2] ends = [4] steps = [-1] : tensor<?x10xf32>
  return
}

// -----

func.func @slice_start(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{start -1 of axis 1 is out of range [0, 10)}}
  %0 = nn.slice %a axes = [1] starts = [-1] ends = [5] : tensor<?x10xf32>
  return
}

// -----

func.func @slice_zero_step(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{step of axis 1 is 0}}
  %0 = nn.slice %a axes = [1] starts = [0] ends = [5] steps = [0] : tensor<?x10xf32>
  return
}

// -----

func.func @slice_lengths(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{expects as many starts, ends and steps as axes (1), got 2, 1 and 0}}
  %0 = nn.slice %a axes = [1] starts = [0, 1] ends = [5] : tensor<?x10xf32>
  return
}

// -----

func.func @slice_repeated_axis(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{axis -1 is listed twice}}
  %0 = nn.slice %a axes = [1, -1] starts = [0, 1] ends = [5, 6] : tensor<?x10xf32>
  return
}

// -----

func.func @slice_scatter_source(%a: tensor<?x10xf32>, %s: tensor<?x4xf32>) {
  // expected-error @+1 {{source 'tensor<?x4xf32>' does not have the type 'tensor<?x5xf32>' of the slice it replaces}}
  %0 = nn.slice_scatter %a, %s axes = [1] starts = [0] ends = [5] : tensor<?x10xf32>, tensor<?x4xf32>
  return
}

// -----

func.func @clip_bounds(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{min 2.000000e+00 is greater than max 1.000000e+00}}
  %0 = nn.clip %a min = 2.0 max = 1.0 : tensor<?x10xf32>
  return
}

// -----

func.func @reduce_min_axis(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{reduction axis out of range}}
  %0 = nn.reduce_min %a axes = [-3] : tensor<?x4xf32>
  return
}

// -----

func.func @pow_shapes(%a: tensor<?x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{do not broadcast}}
  %0 = nn.pow %a, %b : tensor<?x4xf32>, tensor<3xf32>
  return
}

// -----

func.func @conv_kernel_too_large(%x: tensor<?x3x4x4xf32>, %w: tensor<8x3x5x5xf32>) {
  // expected-error @+1 {{kernel 5x5 (dilation 1x1) is larger than the padded input 4x4}}
  %0 = nn.conv2d %x, %w : tensor<?x3x4x4xf32>, tensor<8x3x5x5xf32>
  return
}

// -----

func.func @conv_dilated_kernel_too_large(%x: tensor<?x3x4x4xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{kernel 3x3 (dilation 2x2) is larger than the padded input 4x4}}
  %0 = nn.conv2d %x, %w dilations = [2, 2] : tensor<?x3x4x4xf32>, tensor<8x3x3x3xf32>
  return
}

// -----

func.func @conv_channel_mismatch(%x: tensor<?x3x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{weight has 4 channels per group but the input has 3 channels in 1 group(s)}}
  %0 = nn.conv2d %x, %w : tensor<?x3x8x8xf32>, tensor<8x4x3x3xf32>
  return
}

// -----

func.func @conv_groups_not_dividing(%x: tensor<?x6x8x8xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @+1 {{groups 4 must divide the input channels (6) and the output channels (8)}}
  %0 = nn.conv2d %x, %w groups = 4 : tensor<?x6x8x8xf32>, tensor<8x2x3x3xf32>
  return
}

// -----

func.func @conv_bias_size(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expects a bias of 8 elements, got 'tensor<4xf32>'}}
  %0 = nn.conv2d %x, %w, %b : tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<4xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<?x8x8xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects an NCHW input of rank 4}}
  %0 = nn.conv2d %x, %w : tensor<?x8x8xf32>, tensor<8x3x3x3xf32>
  return
}

// -----

func.func @conv_strides(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects 2 positive strides}}
  %0 = nn.conv2d %x, %w strides = [0, 1] : tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>
  return
}

// -----

func.func @conv_backward_grad_type(%g: tensor<?x8x5x5xf32>, %x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects a gradient of conv2d's result type 'tensor<?x8x6x6xf32>', got 'tensor<?x8x5x5xf32>'}}
  %0 = nn.conv2d_backward_data %g, %x, %w : tensor<?x8x5x5xf32>, tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>
  return
}

// -----

func.func @conv_transpose_weight_channels(%x: tensor<?x4x5x5xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{weight has 3 input channels but the input has 4}}
  %0 = nn.conv_transpose2d %x, %w : tensor<?x4x5x5xf32>, tensor<3x2x3x3xf32>
  return
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<?x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{output padding 2 must be smaller than the stride 2}}
  %0 = nn.conv_transpose2d %x, %w strides = [2, 2] output_padding = [2, 0] : tensor<?x4x5x5xf32>, tensor<4x2x3x3xf32>
  return
}

// -----

func.func @conv_transpose_groups(%x: tensor<?x6x5x5xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{groups 4 must divide the input channels (6)}}
  %0 = nn.conv_transpose2d %x, %w groups = 4 : tensor<?x6x5x5xf32>, tensor<6x2x3x3xf32>
  return
}

// -----

func.func @conv_transpose_padding_too_large(%x: tensor<?x4x2x2xf32>, %w: tensor<4x2x2x2xf32>) {
  // expected-error @+1 {{padding [2, 0, 1, 0] leaves no output of the 2x2 input}}
  %0 = nn.conv_transpose2d %x, %w padding = [2, 0, 1, 0] : tensor<?x4x2x2xf32>, tensor<4x2x2x2xf32>
  return
}

// -----

func.func @conv_transpose_bias(%x: tensor<?x4x5x5xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{expects a bias of 4 elements, got 'tensor<2xf32>'}}
  %0 = nn.conv_transpose2d %x, %w, %b groups = 2 : tensor<?x4x5x5xf32>, tensor<4x2x3x3xf32>, tensor<2xf32>
  return
}

// -----

func.func @conv_transpose_rank(%x: tensor<?x4x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{expects an NCHW input of rank 4}}
  %0 = nn.conv_transpose2d %x, %w : tensor<?x4x5xf32>, tensor<4x2x3x3xf32>
  return
}

// -----

func.func @conv_transpose_dilations(%x: tensor<?x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{expects 2 positive dilations}}
  %0 = nn.conv_transpose2d %x, %w dilations = [1, 0] : tensor<?x4x5x5xf32>, tensor<4x2x3x3xf32>
  return
}

// -----

func.func @pool_kernel_too_large(%x: tensor<?x3x4x4xf32>) {
  // expected-error @+1 {{kernel 5x5 is larger than the padded input 4x4}}
  %0 = nn.max_pool2d %x kernel = [5, 5] : tensor<?x3x4x4xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<?x3x8x8xf32>) {
  // expected-error @+1 {{padding 2/2 must be smaller than the kernel size 2}}
  %0 = nn.avg_pool2d %x kernel = [2, 2] padding = [2, 2, 2, 2] : tensor<?x3x8x8xf32>
  return
}

// -----

func.func @max_pool_count_include_pad(%x: tensor<?x3x8x8xf32>) {
  // expected-error @+1 {{count_include_pad only applies to average pooling}}
  %0 = nn.max_pool2d %x kernel = [2, 2] count_include_pad : tensor<?x3x8x8xf32>
  return
}

// -----

func.func @pool_backward_grad_type(%g: tensor<?x3x3x3xf32>, %x: tensor<?x3x8x8xf32>) {
  // expected-error @+1 {{expects a gradient of the pool's result type 'tensor<?x3x4x4xf32>', got 'tensor<?x3x3x3xf32>'}}
  %0 = nn.max_pool2d_backward %g, %x kernel = [2, 2] strides = [2, 2] : tensor<?x3x3x3xf32>, tensor<?x3x8x8xf32>
  return
}

// -----

func.func @global_pool_rank(%x: tensor<?x3x8xf32>) {
  // expected-error @+1 {{expects an NCHW input of rank 4}}
  %0 = nn.global_avg_pool2d %x : tensor<?x3x8xf32>
  return
}
