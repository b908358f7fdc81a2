// RUN: %neurona-opt %s -nn-autodiff="function=d_objective prefix=d_ wrt=D. loss=objective optimizer=adam" -nn-autodiff="function=g_objective prefix=g_ wrt=G. loss=objective optimizer=adam" | FileCheck %s
// RUN: not %neurona-opt %s -nn-autodiff="function=missing loss=objective" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not %neurona-opt %s -nn-autodiff="function=generate loss=objective" 2>&1 | FileCheck %s --check-prefix=NOTSCALAR
// RUN: not %neurona-opt %s -nn-autodiff="function=d_objective wrt=X. loss=objective" 2>&1 | FileCheck %s --check-prefix=NONE

// A GAN composed of G (noise -> sample) and D (sample -> score), each step
// differentiating its objective with respect to one network. The
// discriminator's step has gradients, optimizer state and param_out for D
// only and takes G's weight as a plain parameter; no gradient flows into G
// (no product with G's weight transposed). The generator's step
// differentiates through D (D's weight in the backward product) but has no
// param_out and no state for it. loss=objective: no target, no prediction.
// Each step has its own Adam counter.

// CHECK-LABEL: func.func @d_gradients(
// CHECK-SAME:  {nn.name = "x", nn.role = "input"}
// CHECK-SAME:  {nn.name = "z", nn.role = "input"}
// CHECK-SAME:  {nn.name = "G.w", nn.role = "param"}
// CHECK-SAME:  {nn.name = "D.w", nn.role = "param"})
// CHECK-SAME:  -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<4x1xf32> {nn.name = "D.w", nn.role = "grad"})
// CHECK-NOT:   nn.role = "target"
// CHECK-LABEL: func.func @d_train_step(
// CHECK-NOT:   nn.role = "target"
// CHECK-SAME:  %[[GW:arg[0-9]+]]: tensor<2x4xf32> {nn.name = "G.w", nn.role = "param"}
// CHECK-SAME:  {nn.name = "D.w.adam_m", nn.role = "state"}
// CHECK-SAME:  {nn.name = "D.w.adam_v", nn.role = "state"}
// CHECK-SAME:  {nn.name = "d_adam.step", nn.role = "state"})
// CHECK-SAME:  -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<4x1xf32> {nn.name = "D.w", nn.role = "param_out"}, tensor<4x1xf32> {nn.name = "D.w.adam_m", nn.role = "state_out"}, tensor<4x1xf32> {nn.name = "D.w.adam_v", nn.role = "state_out"}, tensor<f32> {nn.name = "d_adam.step", nn.role = "state_out"})
// CHECK-NOT:   %[[GW]] transpose_rhs
// CHECK:       nn.adam_update {{.+}} : tensor<4x1xf32>
// CHECK-NOT:   nn.adam_update
// CHECK:       return

// CHECK-LABEL: func.func @g_gradients(
// CHECK-SAME:  -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<2x4xf32> {nn.name = "G.w", nn.role = "grad"})
// CHECK-LABEL: func.func @g_train_step(
// CHECK-SAME:  %[[DW:arg[0-9]+]]: tensor<4x1xf32> {nn.name = "D.w", nn.role = "param"}
// CHECK-SAME:  {nn.name = "G.w.adam_m", nn.role = "state"}
// CHECK-NOT:   D.w.adam
// CHECK-SAME:  {nn.name = "g_adam.step", nn.role = "state"})
// CHECK-SAME:  -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<2x4xf32> {nn.name = "G.w", nn.role = "param_out"}, tensor<2x4xf32> {nn.name = "G.w.adam_m", nn.role = "state_out"}, tensor<2x4xf32> {nn.name = "G.w.adam_v", nn.role = "state_out"}, tensor<f32> {nn.name = "g_adam.step", nn.role = "state_out"})
// CHECK:       nn.matmul %{{.+}}, %[[DW]] transpose_rhs
// CHECK:       nn.adam_update {{.+}} : tensor<2x4xf32>
// CHECK-NOT:   nn.adam_update
// CHECK:       return

// MISSING: error: nn-autodiff: no `func.func @missing` to differentiate
// NOTSCALAR: error: nn-autodiff: loss=objective needs a scalar first result (the value to minimise), got 'tensor<?x4xf32>'
// NONE: error: nn-autodiff: forward has no trainable parameters

func.func @generate(%z: tensor<?x2xf32> {nn.role = "input", nn.name = "z"},
                    %gw: tensor<2x4xf32> {nn.role = "param", nn.name = "G.w"})
    -> (tensor<?x4xf32> {nn.role = "output", nn.name = "x"}) {
  %0 = nn.matmul %z, %gw : tensor<?x2xf32>, tensor<2x4xf32>
  %1 = nn.sigmoid %0 : tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

func.func @d_objective(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                       %z: tensor<?x2xf32> {nn.role = "input", nn.name = "z"},
                       %gw: tensor<2x4xf32> {nn.role = "param", nn.name = "G.w"},
                       %dw: tensor<4x1xf32> {nn.role = "param", nn.name = "D.w"})
    -> (tensor<f32> {nn.role = "output", nn.name = "d_loss"}) {
  %0 = nn.matmul %z, %gw : tensor<?x2xf32>, tensor<2x4xf32>
  %fake = nn.sigmoid %0 : tensor<?x4xf32>
  %real = nn.matmul %x, %dw : tensor<?x4xf32>, tensor<4x1xf32>
  %fs = nn.matmul %fake, %dw : tensor<?x4xf32>, tensor<4x1xf32>
  %one = nn.constant dense<1.000000e+00> : tensor<f32>
  %ones = nn.broadcast_like %one, %real : tensor<f32>, tensor<?x1xf32>
  %zero = nn.constant dense<0.000000e+00> : tensor<f32>
  %zeros = nn.broadcast_like %zero, %fs : tensor<f32>, tensor<?x1xf32>
  %l1 = nn.binary_cross_entropy %real, %ones {from_logits} : tensor<?x1xf32>, tensor<?x1xf32>
  %l2 = nn.binary_cross_entropy %fs, %zeros {from_logits} : tensor<?x1xf32>, tensor<?x1xf32>
  %l = nn.add %l1, %l2 : tensor<f32>, tensor<f32>
  return %l : tensor<f32>
}

func.func @g_objective(%z: tensor<?x2xf32> {nn.role = "input", nn.name = "z"},
                       %gw: tensor<2x4xf32> {nn.role = "param", nn.name = "G.w"},
                       %dw: tensor<4x1xf32> {nn.role = "param", nn.name = "D.w"})
    -> (tensor<f32> {nn.role = "output", nn.name = "g_loss"}) {
  %0 = nn.matmul %z, %gw : tensor<?x2xf32>, tensor<2x4xf32>
  %fake = nn.sigmoid %0 : tensor<?x4xf32>
  %fs = nn.matmul %fake, %dw : tensor<?x4xf32>, tensor<4x1xf32>
  %one = nn.constant dense<1.000000e+00> : tensor<f32>
  %ones = nn.broadcast_like %one, %fs : tensor<f32>, tensor<?x1xf32>
  %l = nn.binary_cross_entropy %fs, %ones {from_logits} : tensor<?x1xf32>, tensor<?x1xf32>
  return %l : tensor<f32>
}
