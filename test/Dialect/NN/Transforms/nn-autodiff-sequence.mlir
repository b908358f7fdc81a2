// RUN: %neurona-opt %s -split-input-file -nn-autodiff="loss=mse optimizer=sgd" | FileCheck %s

// The recurrent op's VJP is one backward op over its saved activations
// (third result), with the mask passed along and no gradient for the ids;
// the table's gradient is the scatter-add op, keeping padding_idx.
// CHECK-LABEL: func.func @gradients
// CHECK:         %[[E:.+]] = nn.embedding %arg0, %{{.+}} padding_idx = 0
// CHECK:         %[[M:.+]] = nn.sequence_mask %arg0 padding_idx = 0
// CHECK:         %{{.+}}, %{{.+}}, %[[A:.+]], %{{.+}} = nn.lstm %[[E]], %{{.+}}, %{{.+}}, %{{.+}} mask %[[M]]
// CHECK:         nn.lstm_backward %{{.+}}, %{{.+}}, %{{.+}}, %[[E]], %{{.+}}, %{{.+}}, %[[A]] mask %[[M]]
// CHECK:         nn.embedding_backward %{{.+}}, %arg0, %{{.+}} padding_idx = 0
func.func @forward(%ids: tensor<?x6xi64> {nn.role = "input", nn.name = "words"},
                   %t: tensor<10x4xf32> {nn.role = "param", nn.name = "emb.weight"},
                   %w: tensor<12x4xf32> {nn.role = "param", nn.name = "lstm.W"},
                   %r: tensor<12x3xf32> {nn.role = "param", nn.name = "lstm.R"},
                   %b: tensor<24xf32> {nn.role = "param", nn.name = "lstm.B"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "h"}) {
  %e = nn.embedding %ids, %t padding_idx = 0 : tensor<?x6xi64>, tensor<10x4xf32>
  %m = nn.sequence_mask %ids padding_idx = 0 : tensor<?x6xi64>
  %s, %h, %a, %c = nn.lstm %e, %w, %r, %b mask %m : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32>, tensor<?x6xf32>
  return %h : tensor<?x3xf32>
}

// -----

// An LSTM started from another's last h and c: the backward op reads the
// same initial states, the gradients of the first LSTM's last h and c are
// the second's d initial_h and d initial_c (results 4 and 5).
// CHECK-LABEL: func.func @gradients
// CHECK:         %{{[^ ,]+}}, %[[H:[^ ,]+]], %[[A1:[^ ,]+]], %[[C:[^ ,]+]] = nn.lstm %arg0, %{{.+}}, %{{.+}}, %{{.+}} :
// CHECK:         %{{[^ ,]+}}, %{{[^ ,]+}}, %[[A2:[^ ,]+]], %{{[^ ,]+}} = nn.lstm %arg1, %{{.+}}, %{{.+}}, %{{.+}} initial_h %[[H]] initial_c %[[C]]
// CHECK:         %[[DH:[^ ,]+]], %[[DC:[^ ,]+]] = nn.lstm_backward %{{.+}}, %{{.+}}, %{{.+}}, %arg1, %{{.+}}, %{{.+}}, %[[A2]] initial_h %[[H]] initial_c %[[C]]
// CHECK:         nn.lstm_backward %{{.+}}, %[[DH]], %[[DC]], %arg0, %{{.+}}, %{{.+}}, %[[A1]] :
func.func @forward(%x: tensor<?x5x4xf32> {nn.role = "input", nn.name = "src"},
                   %y: tensor<?x6x4xf32> {nn.role = "input", nn.name = "tgt"},
                   %w: tensor<12x4xf32> {nn.role = "param", nn.name = "enc.W"},
                   %r: tensor<12x3xf32> {nn.role = "param", nn.name = "enc.R"},
                   %b: tensor<24xf32> {nn.role = "param", nn.name = "enc.B"},
                   %w2: tensor<12x4xf32> {nn.role = "param", nn.name = "dec.W"},
                   %r2: tensor<12x3xf32> {nn.role = "param", nn.name = "dec.R"},
                   %b2: tensor<24xf32> {nn.role = "param", nn.name = "dec.B"})
    -> (tensor<?x6x3xf32> {nn.role = "output", nn.name = "y"}) {
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b : tensor<?x5x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32>
  %s2, %h2, %a2, %c2 = nn.lstm %y, %w2, %r2, %b2 initial_h %h initial_c %c : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32> initial_h tensor<?x3xf32> initial_c tensor<?x3xf32>
  return %s2 : tensor<?x6x3xf32>
}
