// RUN: %neurona-opt %s | %neurona-opt | FileCheck %s

// The sequence ops round-trip; result types are inferred.
// CHECK-LABEL: func.func @sequence
// CHECK: nn.embedding %{{.+}}, %{{.+}} padding_idx = 0 : tensor<?x6xi64>, tensor<10x4xf32>
// CHECK: nn.sequence_mask %{{.+}} padding_idx = 0 : tensor<?x6xi64>
// CHECK: nn.lstm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} mask %{{.+}} : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32>, tensor<?x6xf32>
// CHECK: nn.rnn %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x6x3xf32>, tensor<5x3xf32>, tensor<5x5xf32>, tensor<10xf32>
// CHECK: nn.embedding_backward
// CHECK: nn.lstm_backward
// CHECK: nn.rnn_backward
func.func @sequence(%ids: tensor<?x6xi64>, %t: tensor<10x4xf32>, %w: tensor<12x4xf32>, %r: tensor<12x3xf32>, %b: tensor<24xf32>, %w2: tensor<5x3xf32>, %r2: tensor<5x5xf32>, %b2: tensor<10xf32>) -> (tensor<?x5xf32>, tensor<10x4xf32>, tensor<?x6x4xf32>, tensor<5x3xf32>) {
  %e = nn.embedding %ids, %t padding_idx = 0 : tensor<?x6xi64>, tensor<10x4xf32>
  %m = nn.sequence_mask %ids padding_idx = 0 : tensor<?x6xi64>
  %s, %h, %a, %c = nn.lstm %e, %w, %r, %b mask %m : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32>, tensor<?x6xf32>
  %s2, %h2, %a2 = nn.rnn %s, %w2, %r2, %b2 : tensor<?x6x3xf32>, tensor<5x3xf32>, tensor<5x5xf32>, tensor<10xf32>
  %ge = nn.embedding_backward %e, %ids, %t padding_idx = 0 : tensor<?x6x4xf32>, tensor<?x6xi64>, tensor<10x4xf32>
  %dx, %dw, %dr, %db, %dh0, %dc0 = nn.lstm_backward %s, %h, %c, %e, %w, %r, %a mask %m : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<?x6x18xf32>, tensor<?x6xf32>
  %dx2, %dw2, %dr2, %db2, %dh2 = nn.rnn_backward %s2, %h2, %s, %w2, %r2, %a2 : tensor<?x6x5xf32>, tensor<?x5xf32>, tensor<?x6x3xf32>, tensor<5x3xf32>, tensor<5x5xf32>, tensor<?x6x5xf32>
  return %h2, %ge, %dx, %dw2 : tensor<?x5xf32>, tensor<10x4xf32>, tensor<?x6x4xf32>, tensor<5x3xf32>
}

// -----

// CHECK-LABEL: func.func @gru
// CHECK: nn.gru %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} mask %{{.+}} linear_before_reset : tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32>, tensor<?x6xf32>
// CHECK: nn.gru_backward %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} mask %{{.+}} linear_before_reset : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<?x6x15xf32>, tensor<?x6xf32>
func.func @gru(%x: tensor<?x6x4xf32>, %w: tensor<9x4xf32>, %r: tensor<9x3xf32>, %b: tensor<18xf32>, %m: tensor<?x6xf32>) -> tensor<?x6x4xf32> {
  %s, %h, %a = nn.gru %x, %w, %r, %b mask %m linear_before_reset : tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32>, tensor<?x6xf32>
  %dx, %dw, %dr, %db, %dh0 = nn.gru_backward %s, %h, %x, %w, %r, %a mask %m linear_before_reset : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<?x6x15xf32>, tensor<?x6xf32>
  return %dx : tensor<?x6x4xf32>
}

// -----

// An LSTM from given states returns its last cell state too; its BPTT
// returns the states' gradients.
// CHECK-LABEL: func.func @lstm_states
// CHECK: nn.lstm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} mask %{{.+}} initial_h %{{.+}} initial_c %{{.+}} : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32>, tensor<?x6xf32> initial_h tensor<?x3xf32> initial_c tensor<?x3xf32>
// CHECK: nn.lstm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} initial_c %{{.+}} : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32> initial_c tensor<?x3xf32>
// CHECK: nn.lstm_backward {{.+}} initial_h %{{.+}} initial_c %{{.+}} :
func.func @lstm_states(%x: tensor<?x6x4xf32>, %w: tensor<12x4xf32>, %r: tensor<12x3xf32>, %b: tensor<24xf32>, %m: tensor<?x6xf32>, %h0: tensor<?x3xf32>, %c0: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) {
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b mask %m initial_h %h0 initial_c %c0 : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32>, tensor<?x6xf32> initial_h tensor<?x3xf32> initial_c tensor<?x3xf32>
  %s2, %h2, %a2, %c2 = nn.lstm %x, %w, %r, %b initial_c %c : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32> initial_c tensor<?x3xf32>
  %dx, %dw, %dr, %db, %dh0, %dc0 = nn.lstm_backward %s, %h, %c, %x, %w, %r, %a initial_h %h0 initial_c %c0 : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<?x6x18xf32> initial_h tensor<?x3xf32> initial_c tensor<?x3xf32>
  return %h2, %dh0, %dc0 : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// An RNN and a GRU from a given h_0; their BPTT takes it and returns its
// gradient.
// CHECK-LABEL: func.func @rnn_gru_states
// CHECK: nn.rnn %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} mask %{{.+}} initial_h %{{.+}} : tensor<?x6x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>, tensor<6xf32>, tensor<?x6xf32> initial_h tensor<?x3xf32>
// CHECK: nn.rnn_backward {{.+}} mask %{{.+}} initial_h %{{.+}} : {{.+}}, tensor<?x6xf32> initial_h tensor<?x3xf32>
// CHECK: nn.gru %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} initial_h %{{.+}} linear_before_reset : tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32> initial_h tensor<?x3xf32>
// CHECK: nn.gru_backward {{.+}} initial_h %{{.+}} linear_before_reset : {{.+}} initial_h tensor<?x3xf32>
func.func @rnn_gru_states(%x: tensor<?x6x4xf32>, %w: tensor<3x4xf32>, %r: tensor<3x3xf32>, %b: tensor<6xf32>, %m: tensor<?x6xf32>, %h0: tensor<?x3xf32>, %gw: tensor<9x4xf32>, %gr: tensor<9x3xf32>, %gb: tensor<18xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %s, %h, %a = nn.rnn %x, %w, %r, %b mask %m initial_h %h0 : tensor<?x6x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>, tensor<6xf32>, tensor<?x6xf32> initial_h tensor<?x3xf32>
  %dx, %dw, %dr, %db, %dh0 = nn.rnn_backward %s, %h, %x, %w, %r, %a mask %m initial_h %h0 : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>, tensor<?x6x3xf32>, tensor<?x6xf32> initial_h tensor<?x3xf32>
  %s2, %h2, %a2 = nn.gru %x, %gw, %gr, %gb initial_h %h linear_before_reset : tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32> initial_h tensor<?x3xf32>
  %dx2, %dw2, %dr2, %db2, %dh2 = nn.gru_backward %s2, %h2, %x, %gw, %gr, %a2 initial_h %h linear_before_reset : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<?x6x15xf32> initial_h tensor<?x3xf32>
  return %dh0, %dh2 : tensor<?x3xf32>, tensor<?x3xf32>
}
