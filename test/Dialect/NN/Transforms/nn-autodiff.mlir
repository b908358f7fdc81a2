// RUN: %neurona-opt %s -split-input-file -nn-autodiff="loss=mse optimizer=sgd" | FileCheck %s
// RUN: %neurona-opt %s -split-input-file -nn-autodiff="loss=cross_entropy optimizer=adam" | FileCheck %s --check-prefix=ADAM
// RUN: %neurona-opt %s -split-input-file -nn-autodiff="loss=mse optimizer=sgd momentum=0.9" | FileCheck %s --check-prefix=MOMENTUM
// RUN: not %neurona-opt %s -split-input-file -nn-autodiff="loss=hinge" 2>&1 | FileCheck %s --check-prefix=BADLOSS

// A dense layer with a sigmoid: the VJP of sigmoid reuses its result, the
// bias gradient sums over the batch, and the weight gradient is one
// transposed matmul.

// CHECK-LABEL: func.func @gradients
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?x4xf32> {nn.name = "x", nn.role = "input"}
// CHECK-SAME: %[[T:[a-z0-9]+]]: tensor<?x3xf32> {nn.name = "target", nn.role = "target"}
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<4x3xf32> {nn.name = "w", nn.role = "param"}
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<4x3xf32> {nn.name = "w", nn.role = "grad"}, tensor<3xf32> {nn.name = "b", nn.role = "grad"})
// CHECK:      %[[Y:.+]] = nn.sigmoid
// CHECK:      %[[LOSS:.+]] = nn.mse %[[Y]], %[[T]]
// CHECK:      %[[DIFF:.+]] = nn.sub %[[Y]], %[[T]]
// CHECK:      %[[N:.+]] = nn.numel %[[Y]]
// CHECK:      %[[DY:.+]] = nn.mul %[[DIFF]]
// CHECK:      %[[ONE_MINUS:.+]] = nn.sub %{{.+}}, %[[Y]] : tensor<f32>, tensor<?x3xf32>
// CHECK:      %[[SLOPE:.+]] = nn.mul %[[Y]], %[[ONE_MINUS]]
// CHECK:      %[[DZ:.+]] = nn.mul %[[DY]], %[[SLOPE]]
// CHECK:      %[[DB:.+]] = nn.reduce_sum %[[DZ]] axes = [0] keepdims
// CHECK:      %[[DB1:.+]] = nn.reshape %[[DB]] : tensor<1x3xf32> -> tensor<3xf32>
// CHECK:      %[[DW:.+]] = nn.matmul %[[X]], %[[DZ]] transpose_lhs
// CHECK:      return %[[LOSS]], %[[DW]], %[[DB1]]

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: %{{.+}}: tensor<f32> {nn.name = "lr", nn.role = "hyper"}
// CHECK-NOT:  nn.role = "state"
// CHECK:      %[[G:.+]] = nn.matmul {{.+}} transpose_lhs
// CHECK:      %[[STEP:.+]] = nn.mul %[[G]], %{{.+}} : tensor<4x3xf32>, tensor<f32>
// CHECK:      nn.sub %{{.+}}, %[[STEP]] : tensor<4x3xf32>, tensor<4x3xf32>

// ADAM-LABEL: func.func @train_step
// ADAM-SAME: tensor<?xi64> {nn.name = "target", nn.role = "target"}
// ADAM-SAME: {nn.name = "w.adam_m", nn.role = "state"}
// ADAM-SAME: {nn.name = "adam.step", nn.role = "state"}
// ADAM:      nn.cross_entropy
// ADAM:      nn.softmax %{{.+}} axis = 1
// ADAM:      nn.one_hot %{{.+}} depth = 3
// ADAM:      %[[T1:.+]] = nn.add %{{.+}}, %{{.+}} : tensor<f32>, tensor<f32>
// ADAM:      nn.adam_update {{.+}}, %[[T1]] : tensor<4x3xf32>
// ADAM:      nn.adam_update {{.+}}, %[[T1]] : tensor<3xf32>

// MOMENTUM-LABEL: func.func @train_step
// MOMENTUM-SAME: {nn.name = "w.momentum", nn.role = "state"}
// MOMENTUM:      nn.sgd_update {{.+}} {momentum = 0.899999976 : f32} : tensor<4x3xf32>

// BADLOSS: error: nn-autodiff: unknown loss 'hinge'
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4x3xf32> {nn.role = "param", nn.name = "w"},
                   %b: tensor<3xf32> {nn.role = "param", nn.name = "b"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  %1 = nn.add %0, %b : tensor<?x3xf32>, tensor<3xf32>
  %2 = nn.sigmoid %1 : tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}

// -----

// A value used twice accumulates both contributions.
// CHECK-LABEL: func.func @gradients
// CHECK:      %[[H:.+]] = nn.mul %[[A:.+]], %[[A]]
// CHECK:      %[[G1:.+]] = nn.mul %[[DH:.+]], %[[A]]
// CHECK-NEXT: %[[G2:.+]] = nn.mul %[[DH]], %[[A]]
// CHECK-NEXT: nn.add %[[G1]], %[[G2]]
func.func @forward(%x: tensor<?x3xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %a = nn.mul %x, %w : tensor<?x3xf32>, tensor<3xf32>
  %h = nn.mul %a, %a : tensor<?x3xf32>, tensor<?x3xf32>
  return %h : tensor<?x3xf32>
}

// -----

// Generated names never shadow the model's own: an input called "target" and
// an output called "loss" push the generated ones to fresh names. A count
// (numel) in the forward pass has no gradient of its own.
// CHECK-LABEL: func.func @gradients
// CHECK-SAME: {nn.name = "target", nn.role = "input"}
// CHECK-SAME: {nn.name = "target_1", nn.role = "target"}
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss_1", nn.role = "loss"}
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: {nn.name = "lr", nn.role = "hyper"}
// CHECK-SAME: {nn.name = "loss", nn.role = "output"}
func.func @forward(%x: tensor<?x3xf32> {nn.role = "input", nn.name = "target"},
                   %w: tensor<3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "loss"}) {
  %a = nn.mul %x, %w : tensor<?x3xf32>, tensor<3xf32>
  %n = nn.numel %a : tensor<?x3xf32>
  %h = nn.div %a, %n : tensor<?x3xf32>, tensor<f32>
  return %h : tensor<?x3xf32>
}

// -----

// maximum splits the gradient on ties, as PyTorch does:
// lhs share = (1 + step(a - b) - step(b - a)) / 2.
// CHECK-LABEL: func.func @gradients
// CHECK:      %[[AB:.+]] = nn.step
// CHECK:      %[[BA:.+]] = nn.step
// CHECK:      %[[SUM:.+]] = nn.add %{{.+}}, %[[AB]]
// CHECK:      %[[TWICE:.+]] = nn.sub %[[SUM]], %[[BA]]
// CHECK:      %[[HALF:.+]] = nn.constant dense<5.000000e-01>
// CHECK:      nn.mul %[[TWICE]], %[[HALF]]
func.func @forward(%x: tensor<?x3xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.maximum %x, %w : tensor<?x3xf32>, tensor<3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Data movement: slice scatters its gradient back into zeros, concat hands
// each input its stretch of the gradient, leaky_relu's slope is
// alpha + (1 - alpha) * step(x).
// CHECK-LABEL: func.func @gradients
// CHECK:      %[[C:.+]] = nn.concat %[[A:.+]], %{{.+}} axis = 1
// CHECK:      %[[S:.+]] = nn.slice %[[C]] axes = [1] starts = [1] ends = [5] steps = [2]
// CHECK:      %[[STEP:.+]] = nn.step %[[S]]
// CHECK:      %[[ONE_MINUS:.+]] = nn.constant dense<8.000000e-01>
// CHECK:      %[[SCALED:.+]] = nn.mul %[[STEP]], %[[ONE_MINUS]]
// CHECK:      %[[ALPHA:.+]] = nn.constant dense<2.000000e-01>
// CHECK:      %[[SLOPE:.+]] = nn.add %[[ALPHA]], %[[SCALED]]
// CHECK:      %[[DS:.+]] = nn.mul %{{.+}}, %[[SLOPE]]
// CHECK:      %[[ZERO:.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK:      %[[ZEROS:.+]] = nn.broadcast_like %[[ZERO]], %[[C]] : tensor<f32>, tensor<?x12xf32>
// CHECK:      %[[DC:.+]] = nn.slice_scatter %[[ZEROS]], %[[DS]] axes = [1] starts = [1] ends = [5] steps = [2] : tensor<?x12xf32>, tensor<?x2xf32>
// CHECK:      %[[DA:.+]] = nn.slice %[[DC]] axes = [1] starts = [0] ends = [6] : tensor<?x12xf32>
// CHECK:      nn.slice %[[DC]] axes = [1] starts = [6] ends = [12] : tensor<?x12xf32>
// CHECK:      nn.mul %[[DA]], %{{.+}} : tensor<?x6xf32>, tensor<?x6xf32>
func.func @forward(%x: tensor<?x6xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<6xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x2xf32> {nn.role = "output", nn.name = "y"}) {
  %a = nn.mul %x, %w : tensor<?x6xf32>, tensor<6xf32>
  %c = nn.concat %a, %x axis = 1 : tensor<?x6xf32>, tensor<?x6xf32>
  %s = nn.slice %c axes = [1] starts = [1] ends = [5] steps = [2] : tensor<?x12xf32>
  %l = nn.leaky_relu %s alpha = 0.2 : tensor<?x2xf32>
  return %l : tensor<?x2xf32>
}

// -----

// transpose's gradient is the inverse permutation; reduce_min's goes to the
// minima (mask 1 - step(x - min)), shared among ties; clip's passes where
// min < x < max: step(x - min) * step(max - x).
// CHECK-LABEL: func.func @gradients
// CHECK:      %[[T:.+]] = nn.transpose %{{.+}} perm = [0, 2, 1] : tensor<?x2x3xf32>
// CHECK:      %[[M:.+]] = nn.reduce_min %[[T]] axes = [2] : tensor<?x3x2xf32>
// CHECK:      %[[LOW:.+]] = nn.constant dense<-1.000000e+00>
// CHECK:      %[[ABOVE:.+]] = nn.sub %[[M]], %[[LOW]]
// CHECK:      nn.step %[[ABOVE]] : tensor<?x3xf32>
// CHECK:      %[[HIGH:.+]] = nn.constant dense<1.000000e+00>
// CHECK:      %[[BELOW:.+]] = nn.sub %[[HIGH]], %[[M]]
// CHECK:      nn.step %[[BELOW]] : tensor<?x3xf32>
// CHECK:      %[[KEPT:.+]] = nn.reshape %[[M]] : tensor<?x3xf32> -> tensor<?x3x1xf32>
// CHECK:      %[[GAP:.+]] = nn.sub %[[T]], %[[KEPT]]
// CHECK:      %[[AWAY:.+]] = nn.step %[[GAP]]
// CHECK:      %[[MASK:.+]] = nn.sub %{{.+}}, %[[AWAY]]
// CHECK:      %[[TIES:.+]] = nn.reduce_sum %[[MASK]] axes = [2] keepdims
// CHECK:      nn.div %[[MASK]], %[[TIES]]
// CHECK:      nn.transpose %{{.+}} perm = [0, 2, 1] : tensor<?x3x2xf32>
func.func @forward(%x: tensor<?x2x3xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %a = nn.mul %x, %w : tensor<?x2x3xf32>, tensor<3xf32>
  %t = nn.transpose %a perm = [0, 2, 1] : tensor<?x2x3xf32>
  %m = nn.reduce_min %t axes = [2] : tensor<?x3x2xf32>
  %c = nn.clip %m min = -1.0 max = 1.0 : tensor<?x3xf32>
  return %c : tensor<?x3xf32>
}

// -----

// A conv -> max pool -> average pool -> global average pool chain: each
// pool's VJP is its backward op, the global average a broadcast and a
// scale, and the conv's weight and bias gradients the backward filter op
// and a sum over (n, oh, ow).

// CHECK-LABEL: func.func @gradients
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<4x2x3x3xf32> {nn.name = "w", nn.role = "grad"}, tensor<4xf32> {nn.name = "b", nn.role = "grad"})
// CHECK:      %[[C:.+]] = nn.conv2d %[[X:.+]], %[[W:.+]], %{{.+}} padding = [1, 1, 1, 1]
// CHECK:      %[[M:.+]] = nn.max_pool2d %[[C]] kernel = [2, 2] strides = [2, 2]
// CHECK:      %[[A:.+]] = nn.avg_pool2d %[[M]] kernel = [2, 2] strides = [2, 2]
// CHECK:      %[[G:.+]] = nn.global_avg_pool2d %[[A]]
// CHECK:      %[[SPREAD:.+]] = nn.broadcast_like %{{.+}}, %[[A]] : tensor<?x4x1x1xf32>, tensor<?x4x2x2xf32>
// CHECK:      %[[QUARTER:.+]] = nn.constant dense<2.500000e-01> : tensor<f32>
// CHECK:      %[[DA:.+]] = nn.mul %[[SPREAD]], %[[QUARTER]]
// CHECK:      %[[DM:.+]] = nn.avg_pool2d_backward %[[DA]], %[[M]] kernel = [2, 2] strides = [2, 2]
// CHECK:      %[[DC:.+]] = nn.max_pool2d_backward %[[DM]], %[[C]] kernel = [2, 2] strides = [2, 2]
// CHECK:      %[[DW:.+]] = nn.conv2d_backward_filter %[[DC]], %[[X]], %[[W]] padding = [1, 1, 1, 1]
// CHECK:      %[[DB:.+]] = nn.reduce_sum %[[DC]] axes = [0, 2, 3] : tensor<?x4x8x8xf32>
// CHECK:      return %{{.+}}, %[[DW]], %[[DB]]
func.func @forward(%x: tensor<?x2x8x8xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4x2x3x3xf32> {nn.role = "param", nn.name = "w"},
                   %b: tensor<4xf32> {nn.role = "param", nn.name = "b"})
    -> (tensor<?x4xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.conv2d %x, %w, %b padding = [1, 1, 1, 1] : tensor<?x2x8x8xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>
  %1 = nn.max_pool2d %0 kernel = [2, 2] strides = [2, 2] : tensor<?x4x8x8xf32>
  %2 = nn.avg_pool2d %1 kernel = [2, 2] strides = [2, 2] : tensor<?x4x4x4xf32>
  %3 = nn.global_avg_pool2d %2 : tensor<?x4x2x2xf32>
  %4 = nn.reshape %3 : tensor<?x4x1x1xf32> -> tensor<?x4xf32>
  return %4 : tensor<?x4xf32>
}

// -----

// A transposed convolution's VJP: a conv2d of the output gradient for its
// input (here reaching the first layer), the backward filter op with the
// input in the role of conv2d's output gradient for its weight, and a sum
// for its bias.
// CHECK-LABEL: func.func @gradients
// CHECK:      %[[H:.+]] = nn.conv2d %[[X:[^,]+]], %[[W1:[^, ]+]] : tensor<?x2x5x5xf32>, tensor<4x2x1x1xf32>
// CHECK:      %[[Y:.+]] = nn.conv_transpose2d %[[H]], %[[W2:[^,]+]], %{{.+}} strides = [2, 2] padding = [1, 1, 1, 1] output_padding = [1, 1]
// CHECK:      %[[DH:.+]] = nn.conv2d %[[DY:[^,]+]], %[[W2]] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<?x3x10x10xf32>, tensor<4x3x3x3xf32>
// CHECK:      %[[DW2:.+]] = nn.conv2d_backward_filter %[[H]], %[[DY]], %[[W2]] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<?x4x5x5xf32>, tensor<?x3x10x10xf32>, tensor<4x3x3x3xf32>
// CHECK:      %[[DB:.+]] = nn.reduce_sum %[[DY]] axes = [0, 2, 3] : tensor<?x3x10x10xf32>
// CHECK:      %[[DW1:.+]] = nn.conv2d_backward_filter %[[DH]], %[[X]], %[[W1]]
// CHECK:      return %{{.+}}, %[[DW1]], %[[DW2]], %[[DB]]
func.func @forward(%x: tensor<?x2x5x5xf32> {nn.role = "input", nn.name = "x"},
                   %w1: tensor<4x2x1x1xf32> {nn.role = "param", nn.name = "w1"},
                   %w2: tensor<4x3x3x3xf32> {nn.role = "param", nn.name = "w2"},
                   %b: tensor<3xf32> {nn.role = "param", nn.name = "b"})
    -> (tensor<?x300xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.conv2d %x, %w1 : tensor<?x2x5x5xf32>, tensor<4x2x1x1xf32>
  %1 = nn.conv_transpose2d %0, %w2, %b strides = [2, 2] padding = [1, 1, 1, 1] output_padding = [1, 1] : tensor<?x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>
  %2 = nn.reshape %1 : tensor<?x3x10x10xf32> -> tensor<?x300xf32>
  return %2 : tensor<?x300xf32>
}
