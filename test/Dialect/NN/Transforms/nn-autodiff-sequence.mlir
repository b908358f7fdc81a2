// RUN: %neurona-opt %s -nn-autodiff="loss=mse optimizer=sgd" | FileCheck %s

// The recurrent op's VJP is one backward op over its saved activations
// (third result), with the mask passed along and no gradient for the ids;
// the table's gradient is the scatter-add op, keeping padding_idx.
// CHECK-LABEL: func.func @gradients
// CHECK:         %[[E:.+]] = nn.embedding %arg0, %{{.+}} padding_idx = 0
// CHECK:         %[[M:.+]] = nn.sequence_mask %arg0 padding_idx = 0
// CHECK:         %{{.+}}, %{{.+}}, %[[A:.+]] = nn.lstm %[[E]], %{{.+}}, %{{.+}}, %{{.+}} mask %[[M]]
// CHECK:         nn.lstm_backward %{{.+}}, %{{.+}}, %[[E]], %{{.+}}, %{{.+}}, %[[A]] mask %[[M]]
// CHECK:         nn.embedding_backward %{{.+}}, %arg0, %{{.+}} padding_idx = 0
func.func @forward(%ids: tensor<?x6xi64> {nn.role = "input", nn.name = "words"},
                   %t: tensor<10x4xf32> {nn.role = "param", nn.name = "emb.weight"},
                   %w: tensor<12x4xf32> {nn.role = "param", nn.name = "lstm.W"},
                   %r: tensor<12x3xf32> {nn.role = "param", nn.name = "lstm.R"},
                   %b: tensor<24xf32> {nn.role = "param", nn.name = "lstm.B"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "h"}) {
  %e = nn.embedding %ids, %t padding_idx = 0 : tensor<?x6xi64>, tensor<10x4xf32>
  %m = nn.sequence_mask %ids padding_idx = 0 : tensor<?x6xi64>
  %s, %h, %a = nn.lstm %e, %w, %r, %b mask %m : tensor<?x6x4xf32>, tensor<12x4xf32>, tensor<12x3xf32>, tensor<24xf32>, tensor<?x6xf32>
  return %h : tensor<?x3xf32>
}
