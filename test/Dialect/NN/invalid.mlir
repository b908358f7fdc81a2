// RUN: %neurona-opt %s -split-input-file -verify-diagnostics

func.func @matmul_inner_mismatch(%a: tensor<?x4xf32>, %b: tensor<5x3xf32>) {
  // expected-error @+1 {{contraction sizes differ: 4 (lhs) vs 5 (rhs)}}
  %0 = nn.matmul %a, %b : tensor<?x4xf32>, tensor<5x3xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{expects 2-D operands}}
  %0 = nn.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x3xf32>
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
  // expected-error @+1 {{expects 1-D integer labels}}
  %0 = nn.cross_entropy %l, %y : tensor<?x10xf32>, tensor<?x10xi64>
  return
}

// -----

func.func @cross_entropy_batch(%l: tensor<8x10xf32>, %y: tensor<4xi64>) {
  // expected-error @+1 {{batch sizes differ}}
  %0 = nn.cross_entropy %l, %y : tensor<8x10xf32>, tensor<4xi64>
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
