// RUN: %neurona-opt %s -split-input-file -verify-diagnostics

func.func @cast_shape(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'nn.cast' op changes the shape from 'tensor<3x4xf32>' to 'tensor<12xi64>'; a cast only converts elements}}
  %0 = nn.cast %x : tensor<3x4xf32> to tensor<12xi64>
  return
}

// -----

func.func @compare_mixed(%a: tensor<4xf32>, %b: tensor<4xi64>) {
  // expected-error @+1 {{operands have different element types}}
  %0 = nn.less %a, %b : tensor<4xf32>, tensor<4xi64>
  return
}

// -----

func.func @logical_float(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = nn.logical_and %a, %b : tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @where_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xi64>) {
  // expected-error @+1 {{x and y have different element types ('f32' and 'i64')}}
  %0 = nn.where %c, %x, %y : tensor<4xi1>, tensor<4xf32>, tensor<4xi64>
  return
}

// -----

func.func @where_shapes(%c: tensor<3xi1>, %x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{condition, x and y shapes 'tensor<3xi1>', 'tensor<4xf32>' and 'tensor<4xf32>' do not broadcast}}
  %0 = nn.where %c, %x, %y : tensor<3xi1>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @argmax_axis(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{axis 2 is out of range for 'tensor<?x4xf32>'}}
  %0 = nn.argmax %x axis = 2 : tensor<?x4xf32>
  return
}

// -----

func.func @argmax_batch(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{cannot reduce over the dynamic batch dimension of 'tensor<?x4xf32>'}}
  %0 = nn.argmin %x axis = 0 : tensor<?x4xf32>
  return
}

// -----

func.func @argmax_bool(%x: tensor<4xi1>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer or 8-bit unsigned integer or 16-bit unsigned integer or 32-bit unsigned integer or 64-bit unsigned integer values}}
  %0 = nn.argmax %x axis = 0 : tensor<4xi1>
  return
}

// -----

func.func @gather_batch(%x: tensor<?x4xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{cannot gather along the dynamic batch dimension of 'tensor<?x4xf32>'}}
  %0 = nn.gather %x, %i axis = 0 : tensor<?x4xf32>, tensor<2xi64>
  return
}

// -----

func.func @gather_dynamic_indices(%x: tensor<3x4xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{indices 'tensor<?xi64>' would put a dynamic dimension after the leading one}}
  %0 = nn.gather %x, %i axis = 1 : tensor<3x4xf32>, tensor<?xi64>
  return
}

// -----

func.func @gather_float_indices(%x: tensor<3x4xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = nn.gather %x, %i axis = 1 : tensor<3x4xf32>, tensor<2xf32>
  return
}

// -----

func.func @add_mixed(%a: tensor<4xi32>, %b: tensor<4xi64>) {
  // expected-error @+1 {{operands have different element types}}
  %0 = nn.add %a, %b : tensor<4xi32>, tensor<4xi64>
  return
}

// -----

func.func @exp_int(%a: tensor<4xi64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %0 = nn.exp %a : tensor<4xi64>
  return
}
