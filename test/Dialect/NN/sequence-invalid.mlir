// RUN: %neurona-opt %s -split-input-file -verify-diagnostics

func.func @embedding_rank(%ids: tensor<?xi64>, %t: tensor<10x4xf32>) {
  // expected-error @+1 {{expects ids [N, T] with a static T, got 'tensor<?xi64>'}}
  %0 = nn.embedding %ids, %t : tensor<?xi64>, tensor<10x4xf32>
  return
}

// -----

func.func @embedding_float_ids(%ids: tensor<?x5xf32>, %t: tensor<10x4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = nn.embedding %ids, %t : tensor<?x5xf32>, tensor<10x4xf32>
  return
}

// -----

func.func @lstm_needs_sequence(%x: tensor<?x8xf32>, %w: tensor<16x8xf32>, %r: tensor<16x4xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{expects a sequence input [N, T, F] with static T and F, got 'tensor<?x8xf32>'}}
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b : tensor<?x8xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<32xf32>
  return
}

// -----

func.func @lstm_weight(%x: tensor<?x5x8xf32>, %w: tensor<16x7xf32>, %r: tensor<16x4xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{expects W [4*H, 8], got 'tensor<16x7xf32>'}}
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b : tensor<?x5x8xf32>, tensor<16x7xf32>, tensor<16x4xf32>, tensor<32xf32>
  return
}

// -----

func.func @lstm_recurrent(%x: tensor<?x5x8xf32>, %w: tensor<16x8xf32>, %r: tensor<16x5xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{expects R [16, 4], got 'tensor<16x5xf32>'}}
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b : tensor<?x5x8xf32>, tensor<16x8xf32>, tensor<16x5xf32>, tensor<32xf32>
  return
}

// -----

func.func @rnn_bias(%x: tensor<?x5x8xf32>, %w: tensor<4x8xf32>, %r: tensor<4x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expects B [8] (Wb then Rb), got 'tensor<4xf32>'}}
  %s, %h, %a = nn.rnn %x, %w, %r, %b : tensor<?x5x8xf32>, tensor<4x8xf32>, tensor<4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @rnn_mask(%x: tensor<?x5x8xf32>, %w: tensor<4x8xf32>, %r: tensor<4x4xf32>, %b: tensor<8xf32>, %m: tensor<?x6xf32>) {
  // expected-error @+1 {{expects a mask [N, 5] like the input's steps, got 'tensor<?x6xf32>'}}
  %s, %h, %a = nn.rnn %x, %w, %r, %b mask %m : tensor<?x5x8xf32>, tensor<4x8xf32>, tensor<4x4xf32>, tensor<8xf32>, tensor<?x6xf32>
  return
}

// -----

func.func @lstm_initial_h(%x: tensor<?x5x8xf32>, %w: tensor<16x8xf32>, %r: tensor<16x4xf32>, %b: tensor<32xf32>, %h0: tensor<?x5xf32>) {
  // expected-error @+1 {{expects initial_h 'tensor<?x4xf32>' (batch, hidden), got 'tensor<?x5xf32>'}}
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b initial_h %h0 : tensor<?x5x8xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<32xf32> initial_h tensor<?x5xf32>
  return
}

// -----

func.func @lstm_initial_c_batch(%x: tensor<2x5x8xf32>, %w: tensor<16x8xf32>, %r: tensor<16x4xf32>, %b: tensor<32xf32>, %c0: tensor<3x4xf32>) {
  // expected-error @+1 {{expects initial_c 'tensor<2x4xf32>' (batch, hidden), got 'tensor<3x4xf32>'}}
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b initial_c %c0 : tensor<2x5x8xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<32xf32> initial_c tensor<3x4xf32>
  return
}

// -----

func.func @backward_last_cell(%g: tensor<?x5x4xf32>, %gl: tensor<?x4xf32>, %x: tensor<?x5x8xf32>, %w: tensor<16x8xf32>, %r: tensor<16x4xf32>, %a: tensor<?x5x24xf32>, %gc: tensor<?x3xf32>) {
  // expected-error @+1 {{expects the last cell state's gradient 'tensor<?x4xf32>', got 'tensor<?x3xf32>'}}
  %dx, %dw, %dr, %db, %dh0, %dc0 = nn.lstm_backward %g, %gl, %gc, %x, %w, %r, %a : tensor<?x5x4xf32>, tensor<?x4xf32>, tensor<?x3xf32>, tensor<?x5x8xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<?x5x24xf32>
  return
}

// -----

func.func @backward_activations(%g: tensor<?x5x4xf32>, %gl: tensor<?x4xf32>, %x: tensor<?x5x8xf32>, %w: tensor<16x8xf32>, %r: tensor<16x4xf32>, %a: tensor<?x5x16xf32>, %gc: tensor<?x4xf32>) {
  // expected-error @+1 {{expects gradients 'tensor<?x5x4xf32>' and 'tensor<?x4xf32>' and activations 'tensor<?x5x24xf32>'}}
  %dx, %dw, %dr, %db, %dh0, %dc0 = nn.lstm_backward %g, %gl, %gc, %x, %w, %r, %a : tensor<?x5x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x5x8xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<?x5x16xf32>
  return
}

// -----

func.func @gru_weight(%x: tensor<?x5x8xf32>, %w: tensor<16x8xf32>, %r: tensor<16x4xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{expects W [3*H, 8], got 'tensor<16x8xf32>'}}
  %s, %h, %a = nn.gru %x, %w, %r, %b : tensor<?x5x8xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<32xf32>
  return
}

// -----

func.func @gru_bias(%x: tensor<?x5x8xf32>, %w: tensor<12x8xf32>, %r: tensor<12x4xf32>, %b: tensor<12xf32>) {
  // expected-error @+1 {{expects B [24] (Wb then Rb), got 'tensor<12xf32>'}}
  %s, %h, %a = nn.gru %x, %w, %r, %b : tensor<?x5x8xf32>, tensor<12x8xf32>, tensor<12x4xf32>, tensor<12xf32>
  return
}

// -----

func.func @gru_backward_activations(%g: tensor<?x5x4xf32>, %gl: tensor<?x4xf32>, %x: tensor<?x5x8xf32>, %w: tensor<12x8xf32>, %r: tensor<12x4xf32>, %a: tensor<?x5x24xf32>) {
  // expected-error @+1 {{expects gradients 'tensor<?x5x4xf32>' and 'tensor<?x4xf32>' and activations 'tensor<?x5x20xf32>'}}
  %dx, %dw, %dr, %db, %dh0 = nn.gru_backward %g, %gl, %x, %w, %r, %a : tensor<?x5x4xf32>, tensor<?x4xf32>, tensor<?x5x8xf32>, tensor<12x8xf32>, tensor<12x4xf32>, tensor<?x5x24xf32>
  return
}

// -----

func.func @rnn_initial_h(%x: tensor<?x5x8xf32>, %w: tensor<4x8xf32>, %r: tensor<4x4xf32>, %b: tensor<8xf32>, %h0: tensor<?x3xf32>) {
  // expected-error @+1 {{expects initial_h 'tensor<?x4xf32>' (batch, hidden), got 'tensor<?x3xf32>'}}
  %s, %h, %a = nn.rnn %x, %w, %r, %b initial_h %h0 : tensor<?x5x8xf32>, tensor<4x8xf32>, tensor<4x4xf32>, tensor<8xf32> initial_h tensor<?x3xf32>
  return
}

// -----

func.func @gru_initial_h_batch(%x: tensor<2x5x8xf32>, %w: tensor<12x8xf32>, %r: tensor<12x4xf32>, %b: tensor<24xf32>, %h0: tensor<3x4xf32>) {
  // expected-error @+1 {{expects initial_h 'tensor<2x4xf32>' (batch, hidden), got 'tensor<3x4xf32>'}}
  %s, %h, %a = nn.gru %x, %w, %r, %b initial_h %h0 : tensor<2x5x8xf32>, tensor<12x8xf32>, tensor<12x4xf32>, tensor<24xf32> initial_h tensor<3x4xf32>
  return
}
