// RUN: %neurona-opt %s -split-input-file -verify-diagnostics

func.func @rate_one(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.dropout' op rate must be in [0, 1), got 1}}
  %0 = nn.dropout %x rate = 1.0 stream = 0 : tensor<?x8xf32>
  return
}

// -----

func.func @rate_negative(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.dropout' op rate must be in [0, 1), got -1.000000e-01}}
  %0 = nn.dropout %x rate = -0.1 stream = 0 : tensor<?x8xf32>
  return
}

// -----

func.func @rate_nan(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.dropout' op rate must be in [0, 1), got nan}}
  %0 = nn.dropout %x rate = 0x7FC00000 stream = 0 : tensor<?x8xf32>
  return
}

// -----

func.func @stddev_negative(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.gaussian_noise' op stddev must be finite and >= 0, got -1}}
  %0 = nn.gaussian_noise %x stddev = -1.0 stream = 0 : tensor<?x8xf32>
  return
}

// -----

func.func @stddev_inf(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.gaussian_noise' op stddev must be finite and >= 0, got INF}}
  %0 = nn.gaussian_noise %x stddev = 0x7F800000 stream = 0 : tensor<?x8xf32>
  return
}

// -----

func.func @stream_negative(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.random_normal' op stream must be in [0, 2^32), got -1}}
  %0 = nn.random_normal %x stream = -1 : tensor<?x8xf32>
  return
}

// -----

func.func @stream_too_wide(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'nn.random_uniform' op stream must be in [0, 2^32), got 4294967296}}
  %0 = nn.random_uniform %x stream = 4294967296 : tensor<?x8xf32>
  return
}

// -----

func.func @rng_shape(%x: tensor<?x8xf32>, %rng: tensor<3xi64>) {
  // expected-error @+1 {{'nn.dropout' op rng must be tensor<2xi64> (seed, step), got 'tensor<3xi64>'}}
  %0 = nn.dropout %x, %rng rate = 0.5 stream = 0 : tensor<?x8xf32>, tensor<3xi64>
  return
}

// -----

func.func @rng_element_type(%x: tensor<?x8xf32>, %rng: tensor<2xi32>) {
  // expected-error @+1 {{'nn.dropout' op operand #1 must be ranked tensor of 64-bit signless integer values}}
  %0 = nn.dropout %x, %rng rate = 0.5 stream = 0 : tensor<?x8xf32>, tensor<2xi32>
  return
}

// -----

func.func @dropout_integer_input(%x: tensor<?x8xi64>) {
  // expected-error @+1 {{'nn.dropout' op operand #0 must be ranked tensor of 32-bit float values}}
  %0 = nn.dropout %x rate = 0.5 stream = 0 : tensor<?x8xi64>
  return
}

// -----

func.func @missing_stream(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{expected 'stream'}}
  %0 = nn.dropout %x rate = 0.5 : tensor<?x8xf32>
  return
}
