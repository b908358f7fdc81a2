// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// Mean absolute error: one reduction over |p - t|, divided by the count.
// CHECK-LABEL: func.func @mae
// CHECK:      linalg.generic
// CHECK:        arith.subf
// CHECK:        math.absf
// CHECK:        arith.addf
// CHECK:      arith.divf
func.func @mae(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>) -> tensor<f32> {
  %0 = nn.mae %p, %t : tensor<?x3xf32>, tensor<?x3xf32>
  return %0 : tensor<f32>
}

// -----

// From logits: max(z, 0) - z t + log1p(exp(-|z|)), no log of a probability.
// CHECK-LABEL: func.func @bce_logits
// CHECK:      linalg.generic
// CHECK:        arith.maximumf
// CHECK:        math.absf
// CHECK:        arith.negf
// CHECK:        math.exp
// CHECK:        math.log1p
// CHECK-NOT:    math.log
// CHECK:      arith.divf
func.func @bce_logits(%z: tensor<?x1xf32>, %t: tensor<?x1xf32>) -> tensor<f32> {
  %0 = nn.binary_cross_entropy %z, %t {from_logits} : tensor<?x1xf32>, tensor<?x1xf32>
  return %0 : tensor<f32>
}

// -----

// Class probabilities: the row pass sums exp, t x and t together; a row's
// loss is logsumexp * sum(t) - sum(t x).
// CHECK-LABEL: func.func @soft_cross_entropy
// CHECK:      linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:      %[[ROWS:.+]]:3 = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
// CHECK:        math.exp
// CHECK:        linalg.yield %{{.+}}, %{{.+}}, %{{.+}} : f32, f32, f32
// CHECK:      math.log
// CHECK:      arith.mulf
// CHECK:      arith.subf
// CHECK:      arith.divf
func.func @soft_cross_entropy(%x: tensor<?x10xf32>, %t: tensor<?x10xf32>) -> tensor<f32> {
  %0 = nn.cross_entropy %x, %t : tensor<?x10xf32>, tensor<?x10xf32>
  return %0 : tensor<f32>
}

// -----

// Scores per step: rows [N * 9, 10]; with ignore_index the kept labels are
// counted (at least 1) and an ignored row's term is selected away.
// CHECK-LABEL: func.func @sequence_cross_entropy
// CHECK-DAG:  %[[X:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<?x9x10xf32> into tensor<?x10xf32>
// CHECK-DAG:  %[[Y:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1]] : tensor<?x9xi64> into tensor<?xi64>
// CHECK:      linalg.generic {{.+}} ins(%[[Y]] : tensor<?xi64>)
// CHECK:        arith.cmpi ne
// CHECK:      %[[COUNT:.+]] = arith.maximumf
// CHECK:      linalg.generic {{.+}} iterator_types = ["reduction"]
// CHECK:        arith.cmpi ne
// CHECK:        arith.select
// CHECK:      arith.divf %{{.+}}, %[[COUNT]]
func.func @sequence_cross_entropy(%x: tensor<?x9x10xf32>, %y: tensor<?x9xi64>) -> tensor<f32> {
  %0 = nn.cross_entropy %x, %y {ignore_index = 0 : i64} : tensor<?x9x10xf32>, tensor<?x9xi64>
  return %0 : tensor<f32>
}

// -----

// Nesterov SGD with weight decay stays one kernel: g + wd p, the velocity,
// then g + momentum v' as the step.
// CHECK-LABEL: func.func @sgd_nesterov
// CHECK:      %{{.+}}:2 = linalg.generic
// CHECK:        %[[WD:.+]] = arith.mulf %{{.+}}, %[[P:[a-z0-9_]+]] : f32
// CHECK:        %[[G:.+]] = arith.addf %{{.+}}, %[[WD]] : f32
// CHECK:        %[[MV:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:        %[[V1:.+]] = arith.addf %[[MV]], %[[G]] : f32
// CHECK:        %[[MV1:.+]] = arith.mulf %{{.+}}, %[[V1]] : f32
// CHECK:        %[[D:.+]] = arith.addf %[[G]], %[[MV1]] : f32
// CHECK:        %[[S:.+]] = arith.mulf %{{.+}}, %[[D]] : f32
// CHECK:        %[[P1:.+]] = arith.subf %[[P]], %[[S]] : f32
// CHECK:        linalg.yield %[[P1]], %[[V1]] : f32, f32
func.func @sgd_nesterov(%p: tensor<4xf32>, %g: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %p1, %v1 = nn.sgd_update %p, %g, %v, %lr {momentum = 0.9 : f32, nesterov, weight_decay = 1.0e-4 : f32} : tensor<4xf32>
  return %p1, %v1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// AdamW decays the parameter by (1 - lr wd) outside the moments; Adam's
// coupled decay adds wd p to the gradient before them.
// CHECK-LABEL: func.func @adamw
// CHECK:      %{{.+}}:3 = linalg.generic
// CHECK:        ^bb0(%[[P:[a-z0-9_]+]]: f32, %[[G:[a-z0-9_]+]]: f32, %{{[a-z0-9_]+}}: f32, %{{[a-z0-9_]+}}: f32, %[[LR:[a-z0-9_]+]]: f32,
// CHECK:        %[[LRWD:.+]] = arith.mulf %[[LR]], %{{.+}} : f32
// CHECK:        %[[KEEP:.+]] = arith.subf %{{.+}}, %[[LRWD]] : f32
// CHECK:        %[[PD:.+]] = arith.mulf %[[P]], %[[KEEP]] : f32
// CHECK:        arith.mulf %{{.+}}, %[[G]] : f32
// CHECK:        arith.subf %[[PD]], %{{.+}} : f32
// CHECK-LABEL: func.func @adam_coupled
// CHECK:      %{{.+}}:3 = linalg.generic
// CHECK:        ^bb0(%[[P2:[a-z0-9_]+]]: f32, %[[G2:[a-z0-9_]+]]: f32,
// CHECK:        %[[WD2:.+]] = arith.mulf %{{.+}}, %[[P2]] : f32
// CHECK:        %[[GD:.+]] = arith.addf %[[G2]], %[[WD2]] : f32
// CHECK:        arith.mulf %{{.+}}, %[[GD]] : f32
func.func @adamw(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %t: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %lr, %t {decoupled, weight_decay = 0.01 : f32} : tensor<4xf32>
  return %p1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
func.func @adam_coupled(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %t: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %lr, %t {weight_decay = 0.01 : f32} : tensor<4xf32>
  return %p1, %m1, %v1 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
