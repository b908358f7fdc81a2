// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// An embedding is one gather generic reading the table with clamped ids.
// CHECK-LABEL: func.func @embedding
// CHECK:         linalg.generic
// CHECK:           arith.index_cast
// CHECK:           arith.maxsi
// CHECK:           arith.minsi
// CHECK:           tensor.extract %arg1
func.func @embedding(%ids: tensor<?x6xi64>, %t: tensor<10x4xf32>) -> tensor<?x6x4xf32> {
  %e = nn.embedding %ids, %t padding_idx = 0 : tensor<?x6xi64>, tensor<10x4xf32>
  return %e : tensor<?x6x4xf32>
}

// -----

// The table gradient is a sequential scatter-add over (n, t) that skips
// the padding id: no parallel loop, so sums never depend on threads.
// CHECK-LABEL: func.func @embedding_backward
// CHECK:         linalg.fill
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             arith.cmpi eq
// CHECK:             scf.if
// CHECK:               scf.for
// CHECK:                 tensor.extract
// CHECK:                 arith.addf
// CHECK:                 tensor.insert
// CHECK-NOT:     scf.forall
func.func @embedding_backward(%g: tensor<?x6x4xf32>, %ids: tensor<?x6xi64>, %t: tensor<10x4xf32>) -> tensor<10x4xf32> {
  %d = nn.embedding_backward %g, %ids, %t padding_idx = 0 : tensor<?x6x4xf32>, tensor<?x6xi64>, tensor<10x4xf32>
  return %d : tensor<10x4xf32>
}

// -----

// An LSTM step: [x_t | h] (a copy), one matmul with [W | R]^T built before
// the loop, and one generic with seven results (i, o, f, c~, c_t, h_t, y)
// for the gates, the cell and the mask; the step is inserted into the
// sequence and the saved activations.
// CHECK-LABEL: func.func @lstm
// CHECK:         linalg.generic {{.+}} outs(%{{.+}} : tensor<7x12xf32>)
// CHECK:         scf.for %{{.+}} = %c0{{.*}} to %c6 step %c1 iter_args
// CHECK:           linalg.generic {{.+}} outs(%{{.+}} : tensor<?x7xf32>)
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x7xf32>, tensor<7x12xf32>)
// CHECK:           %{{.+}}:7 = linalg.generic
// CHECK-COUNT-2:     math.tanh
// CHECK:           tensor.insert_slice %{{.+}}#6 into %{{.+}}[0, %{{.+}}, 0] [%{{.+}}, 1, 3] [1, 1, 1] : tensor<?x3xf32> into tensor<?x6x3xf32>
// CHECK:           scf.yield
func.func @lstm(%x: tensor<?x6x4xf32>, %w: tensor<12x4xf32>, %r: tensor<12x3xf32>, %b: tensor<24xf32>, %m: tensor<?x6xf32>) -> tensor<?x3xf32> {
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b mask %m : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32>, tensor<?x6xf32>
  return %h : tensor<?x3xf32>
}

// -----

// Given states start the loop's carries; the last cell state is the
// loop's second carry. The backward loop starts its dc carry from the
// gradient of the last cell state and returns the final carries as the
// states' gradients; at t = 0 it reads the initial states where the saved
// previous step would be.
// CHECK-LABEL: func.func @lstm_states
// CHECK-SAME:    %[[H0:arg[0-9]+]]: tensor<?x3xf32>, %[[C0:arg[0-9]+]]: tensor<?x3xf32>
// CHECK:         %[[F:.+]]:4 = scf.for %{{.+}} = %c0{{.*}} to %c6 step %c1 iter_args(%{{.+}} = %[[H0]], %{{.+}} = %[[C0]],
// CHECK:         %[[B:.+]]:5 = scf.for %{{.+}} = %c0{{.*}} to %c6{{.*}} step %c1{{.*}} iter_args(%{{.+}} = %[[F]]#0, %{{.+}} = %[[F]]#1,
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %[[H0]] : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK:           arith.select
// CHECK:         return %[[F]]#1, %[[B]]#0, %[[B]]#1
func.func @lstm_states(%x: tensor<?x6x4xf32>, %w: tensor<12x4xf32>, %r: tensor<12x3xf32>, %b: tensor<24xf32>, %h0: tensor<?x3xf32>, %c0: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) {
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b initial_h %h0 initial_c %c0 : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32> initial_h tensor<?x3xf32> initial_c tensor<?x3xf32>
  %dx, %dw, %dr, %db, %dh0, %dc0 = nn.lstm_backward %s, %h, %c, %x, %w, %r, %a initial_h %h0 initial_c %c0 : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<?x6x18xf32> initial_h tensor<?x3xf32> initial_c tensor<?x3xf32>
  return %c, %dh0, %dc0 : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// BPTT walks the steps backwards (t = 5 - s): dz x [W | R] gives dx_t and
// dh, xh^T x dz accumulates the weight gradient, a reduction the bias's.
// CHECK-LABEL: func.func @rnn_backward
// CHECK:         scf.for %[[S:[^ ]+]] = %c0{{.*}} to %c6 step %c1 iter_args
// CHECK:           arith.subi %c5, %[[S]]
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<3x7xf32>)
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<7x?xf32>, tensor<?x3xf32>)
// CHECK:           iterator_types = ["reduction", "parallel"]
func.func @rnn_backward(%g: tensor<?x6x3xf32>, %gl: tensor<?x3xf32>, %x: tensor<?x6x4xf32>, %w: tensor<3x4xf32>, %r: tensor<3x3xf32>, %a: tensor<?x6x3xf32>) -> (tensor<?x6x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>, tensor<6xf32>) {
  %dx, %dw, %dr, %db, %dh0 = nn.rnn_backward %g, %gl, %x, %w, %r, %a : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>, tensor<?x6x3xf32>
  return %dx, %dw, %dr, %db : tensor<?x6x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>, tensor<6xf32>
}

// -----

// A GRU step with linear_before_reset: one matmul of [x_t | h] with the
// four blocks [z | r | x Wh^T | h Rh^T] (M built before the loop, [7, 12]),
// then a generic for z and r and one for the candidate and the new state.
// CHECK-LABEL: func.func @gru
// CHECK:         linalg.generic {{.+}} outs(%{{.+}} : tensor<7x12xf32>)
// CHECK:         scf.for %{{.+}} = %c0{{.*}} to %c6 step %c1 iter_args
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x7xf32>, tensor<7x12xf32>)
// CHECK:           %{{.+}}:3 = linalg.generic
// CHECK:           %{{.+}}:4 = linalg.generic
// CHECK:             math.tanh
// CHECK-NOT:       linalg.matmul
// CHECK:           scf.yield
func.func @gru(%x: tensor<?x6x4xf32>, %w: tensor<9x4xf32>, %r: tensor<9x3xf32>, %b: tensor<18xf32>, %m: tensor<?x6xf32>) -> tensor<?x3xf32> {
  %s, %h, %a = nn.gru %x, %w, %r, %b mask %m linear_before_reset : tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32>, tensor<?x6xf32>
  return %h : tensor<?x3xf32>
}

// -----

// Without linear_before_reset the candidate needs (r * h) x Rh^T after r:
// a second tiled matmul per step, [N, 3] x [3, 3].
// CHECK-LABEL: func.func @gru_reset_first
// CHECK:         scf.for
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x7xf32>, tensor<7x9xf32>)
// CHECK:           %[[G:.+]]:3 = linalg.generic
// CHECK:           linalg.matmul ins(%[[G]]#2, %{{.+}} : tensor<?x3xf32>, tensor<3x3xf32>)
func.func @gru_reset_first(%x: tensor<?x6x4xf32>, %w: tensor<9x4xf32>, %r: tensor<9x3xf32>, %b: tensor<18xf32>) -> tensor<?x3xf32> {
  %s, %h, %a = nn.gru %x, %w, %r, %b : tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32>
  return %h : tensor<?x3xf32>
}

// -----

// GRU BPTT: dG x M^T for dx_t and dh, xh^T x dG into dM, and without
// linear_before_reset dh~ x Rh and (r * h)^T x dh~ as well.
// CHECK-LABEL: func.func @gru_backward
// CHECK:         scf.for
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<3x3xf32>)
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<?x9xf32>, tensor<9x7xf32>)
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<7x?xf32>, tensor<?x9xf32>)
// CHECK:           linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<3x?xf32>, tensor<?x3xf32>)
func.func @gru_backward(%g: tensor<?x6x3xf32>, %gl: tensor<?x3xf32>, %x: tensor<?x6x4xf32>, %w: tensor<9x4xf32>, %r: tensor<9x3xf32>, %a: tensor<?x6x15xf32>) -> (tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32>) {
  %dx, %dw, %dr, %db, %dh0 = nn.gru_backward %g, %gl, %x, %w, %r, %a : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<?x6x15xf32>
  return %dx, %dw, %dr, %db : tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32>
}

// -----

// An RNN and a GRU start from initial_h and their BPTT reads it at t = 0
// where the saved previous step would be; the carry left after t = 0 is
// dh_0.
// CHECK-LABEL: func.func @rnn_gru_states
// CHECK-SAME:    %[[H0:arg[0-9]+]]: tensor<?x3xf32>
// CHECK:         %[[F:.+]]:4 = scf.for %{{.+}} = %c0{{.*}} to %c6 step %c1 iter_args(%{{.+}} = %[[H0]],
// CHECK:         %[[B:.+]]:5 = scf.for %{{.+}} = %c0{{.*}} to %c6{{.*}} step %c1{{.*}} iter_args(%{{.+}} = %[[F]]#0,
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %[[H0]] : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK:           arith.select
// CHECK:         %[[G:.+]]:3 = scf.for %{{.+}} = %c0{{.*}} to %c6{{.*}} step %c1{{.*}} iter_args(%{{.+}} = %[[H0]],
// CHECK:         %[[GB:.+]]:4 = scf.for %{{.+}} = %c0{{.*}} to %c6{{.*}} step %c1{{.*}} iter_args(%{{.+}} = %[[G]]#0,
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %[[H0]] : tensor<?x3xf32>, tensor<?x3xf32>)
// CHECK:           arith.select
// CHECK:         return %[[B]]#0, %[[GB]]#0
func.func @rnn_gru_states(%x: tensor<?x6x4xf32>, %w: tensor<3x4xf32>, %r: tensor<3x3xf32>, %b: tensor<6xf32>, %h0: tensor<?x3xf32>, %gw: tensor<9x4xf32>, %gr: tensor<9x3xf32>, %gb: tensor<18xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %s, %h, %a = nn.rnn %x, %w, %r, %b initial_h %h0 : tensor<?x6x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>, tensor<6xf32> initial_h tensor<?x3xf32>
  %dx, %dw, %dr, %db, %dh0 = nn.rnn_backward %s, %h, %x, %w, %r, %a initial_h %h0 : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>, tensor<?x6x3xf32> initial_h tensor<?x3xf32>
  %s2, %h2, %a2 = nn.gru %x, %gw, %gr, %gb initial_h %h0 linear_before_reset : tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<18xf32> initial_h tensor<?x3xf32>
  %dx2, %dw2, %dr2, %db2, %dh2 = nn.gru_backward %s2, %h2, %x, %gw, %gr, %a2 initial_h %h0 linear_before_reset : tensor<?x6x3xf32>, tensor<?x3xf32>, tensor<?x6x4xf32>, tensor<9x4xf32>, tensor<9x3xf32>, tensor<?x6x15xf32> initial_h tensor<?x3xf32>
  return %dh0, %dh2 : tensor<?x3xf32>, tensor<?x3xf32>
}
