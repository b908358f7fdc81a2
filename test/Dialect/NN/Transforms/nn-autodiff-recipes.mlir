// RUN: %neurona-opt %s -nn-autodiff="loss=mae optimizer=sgd penalties=l2:0.5,l1:0.25:b" | FileCheck %s
// RUN: %neurona-opt %s -nn-autodiff="loss=binary_cross_entropy from-logits=true optimizer=adamw weight-decay=0.01" | FileCheck %s --check-prefix=ADAMW
// RUN: %neurona-opt %s -nn-autodiff="loss=cross_entropy soft-targets=true optimizer=sgd momentum=0.9 nesterov=true weight-decay=0.001" | FileCheck %s --check-prefix=NESTEROV
// RUN: %neurona-opt %s -nn-autodiff="loss=mse optimizer=adam weight-decay=0.1 activity=l1:0.125:code" | FileCheck %s --check-prefix=ACTIVITY
// RUN: %neurona-opt %s -nn-autodiff="loss=mse optimizer=sgd weight-decay=0.1" | FileCheck %s --check-prefix=DECAY
// RUN: not %neurona-opt %s -nn-autodiff="loss=mse penalties=l2:0.1:nope" 2>&1 | FileCheck %s --check-prefix=BADPARAM
// RUN: not %neurona-opt %s -nn-autodiff="loss=mse penalties=l3:0.1" 2>&1 | FileCheck %s --check-prefix=BADKIND
// RUN: not %neurona-opt %s -nn-autodiff="loss=mse activity=l1:0.1:nowhere" 2>&1 | FileCheck %s --check-prefix=BADLAYER
// RUN: not %neurona-opt %s -nn-autodiff="loss=mse optimizer=sgd nesterov=true" 2>&1 | FileCheck %s --check-prefix=BADNESTEROV
// RUN: not %neurona-opt %s -nn-autodiff="loss=mse from-logits=true" 2>&1 | FileCheck %s --check-prefix=BADLOGITS

// Penalties join the loss before the reverse walk: `l2:0.5` covers every
// parameter of rank >= 2 (w, not the bias b), `l1:0.25:b` names b. The
// returned loss is the objective (data loss + penalties).
// CHECK-LABEL: func.func @gradients
// CHECK:      %[[Y:.+]] = nn.relu
// CHECK:      %[[L:.+]] = nn.mae %[[Y]], %{{.+}}
// CHECK:      %[[SQ:.+]] = nn.mul %[[W:arg[0-9]+]], %[[W]] : tensor<4x3xf32>, tensor<4x3xf32>
// CHECK:      %[[SUM:.+]] = nn.reduce_sum %[[SQ]] axes = [0, 1] : tensor<4x3xf32>
// CHECK:      %[[HALF:.+]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK:      %[[L2:.+]] = nn.mul %[[HALF]], %[[SUM]]
// CHECK:      %[[T1:.+]] = nn.add %[[L]], %[[L2]]
// CHECK:      %[[ABS:.+]] = nn.abs %[[B:arg[0-9]+]] : tensor<3xf32>
// CHECK:      %[[SUMB:.+]] = nn.reduce_sum %[[ABS]] axes = [0] : tensor<3xf32>
// CHECK:      %[[L1:.+]] = nn.mul %{{.+}}, %[[SUMB]]
// CHECK:      %[[TOTAL:.+]] = nn.add %[[T1]], %[[L1]]
// The L1 subgradient is sign(b), the L2 gradient 2 * 0.5 * w; MAE's is
// sign(y - t) / n.
// CHECK-DAG:  nn.sign %[[B]]
// CHECK-DAG:  nn.sign %{{.+}} : tensor<?x3xf32>
// CHECK:      return %[[TOTAL]],
// CHECK-LABEL: func.func @train_step
// CHECK:      nn.mae
// CHECK-NOT:  nn.role = "state"

// ADAMW-LABEL: func.func @gradients
// ADAMW:      nn.binary_cross_entropy %{{.+}}, %{{.+}} {from_logits}
// ADAMW:      nn.sigmoid
// ADAMW-LABEL: func.func @train_step
// ADAMW:      nn.adam_update {{.+}} {decoupled, weight_decay = 0.00999999977 : f32} : tensor<4x3xf32>
// ADAMW:      nn.adam_update {{.+}} {decoupled, weight_decay = 0.00999999977 : f32} : tensor<3xf32>

// Soft targets make the target f32 [batch, classes]; the gradient scales the
// softmax by each row's target mass.
// NESTEROV-LABEL: func.func @gradients
// NESTEROV-SAME: tensor<?x3xf32> {nn.name = "target", nn.role = "target"}
// NESTEROV:      nn.cross_entropy %{{.+}}, %{{.+}} : tensor<?x3xf32>, tensor<?x3xf32>
// NESTEROV:      nn.reduce_sum %{{.+}} axes = [1] keepdims
// NESTEROV-LABEL: func.func @train_step
// NESTEROV:      nn.sgd_update {{.+}} {momentum = 0.899999976 : f32, nesterov, weight_decay = 1.000000e-03 : f32} : tensor<4x3xf32>

// The activity penalty is the mean |code| of the op located at "code".
// ACTIVITY-LABEL: func.func @gradients
// ACTIVITY:      %[[CODE:.+]] = nn.relu
// ACTIVITY:      %[[A:.+]] = nn.abs %[[CODE]] : tensor<?x3xf32>
// ACTIVITY:      nn.reduce_mean %[[A]] axes = [0, 1] : tensor<?x3xf32>
// ACTIVITY:      nn.constant dense<1.250000e-01>
// ACTIVITY-LABEL: func.func @train_step
// ACTIVITY:      nn.adam_update {{.+}} {weight_decay = 1.000000e-01 : f32} : tensor<4x3xf32>

// Plain SGD with weight decay needs no state: p - lr (g + wd p).
// DECAY-LABEL: func.func @train_step
// DECAY-NOT:  nn.role = "state"
// DECAY:      %[[WD:.+]] = nn.constant dense<1.000000e-01>
// DECAY:      %[[PWD:.+]] = nn.mul %[[P:arg[0-9]+]], %[[WD]] : tensor<4x3xf32>, tensor<f32>
// DECAY:      %[[G:.+]] = nn.add %{{.+}}, %[[PWD]]
// DECAY:      %[[S:.+]] = nn.mul %[[G]], %{{.+}} : tensor<4x3xf32>, tensor<f32>
// DECAY:      nn.sub %[[P]], %[[S]]

// BADPARAM: error: nn-autodiff: penalty on 'nope', which is not a parameter of forward
// BADKIND: error: nn-autodiff: bad penalty 'l3:0.1'
// BADLAYER: error: nn-autodiff: activity penalty on 'nowhere': no op of forward is located at that name
// BADNESTEROV: error: nn-autodiff: nesterov needs optimizer=sgd with momentum > 0
// BADLOGITS: error: nn-autodiff: from-logits is an option of binary_cross_entropy, not mse
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4x3xf32> {nn.role = "param", nn.name = "w"},
                   %b: tensor<3xf32> {nn.role = "param", nn.name = "b"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %1 = nn.add %0, %b : tensor<?x3xf32>, tensor<3xf32>
  %2 = nn.relu %1 : tensor<?x3xf32> loc("code"("layer.nn":3:3))
  return %2 : tensor<?x3xf32>
}
