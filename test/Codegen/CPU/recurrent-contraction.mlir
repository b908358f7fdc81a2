// RUN: %neurona-opt %s -neurona-cpu-pipeline="vector-width=16 register-tile-m=8" --mlir-print-ir-after=neurona-cpu-tile-contractions -o /dev/null 2>&1 | FileCheck %s

// The sentiment model's LSTM (F = 100, H = 128, T = 40): inside the step
// loop, the [N, 228] x [228, 512] contraction gets the register-blocked
// 8x32 kernels like a dense layer, and the gates stay one generic.
// CHECK-LABEL: func.func @lstm
// CHECK:         scf.for %{{.+}} = %c0 to %c40 step %c1
// CHECK:           scf.forall
// CHECK:             scf.for %{{.+}} = %c0 to %c228 step %c1 iter_args(%{{.+}} = %{{.+}}) -> (vector<8x32xf32>)
// CHECK:               vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:           linalg.generic
// CHECK-NOT:     linalg.matmul
func.func @lstm(%x: tensor<?x40x100xf32>, %w: tensor<512x100xf32>, %r: tensor<512x128xf32>, %b: tensor<1024xf32>, %m: tensor<?x40xf32>) -> (tensor<?x128xf32>, tensor<?x40x768xf32>) {
  %s, %h, %a, %c = nn.lstm %x, %w, %r, %b mask %m : tensor<?x40x100xf32>, tensor<512x100xf32>, tensor<512x128xf32>, tensor<1024xf32>, tensor<?x40xf32>
  return %h, %a : tensor<?x128xf32>, tensor<?x40x768xf32>
}

// Backpropagation through time: dz x [W | R] (K = 512) and the weight
// gradient xh^T x dz (the batch as K) are both register-blocked.
// CHECK-LABEL: func.func @lstm_backward
// CHECK:         scf.for %{{.+}} = %c0 to %c40 step %c1
// CHECK:           scf.for %{{.+}} = %c0 to %c512 step %c1 iter_args(%{{.+}} = %{{.+}}) -> (vector<8x32xf32>)
// CHECK:             vector.contract {{.+}} into vector<8x32xf32>
// CHECK:           scf.forall (%{{.+}}) = (0) to (228)
// CHECK:             vector.contract {{.+}} into vector<8x32xf32>
// CHECK-NOT:     linalg.matmul
func.func @lstm_backward(%gs: tensor<?x40x128xf32>, %gl: tensor<?x128xf32>, %x: tensor<?x40x100xf32>, %w: tensor<512x100xf32>, %r: tensor<512x128xf32>, %a: tensor<?x40x768xf32>, %m: tensor<?x40xf32>, %gc: tensor<?x128xf32>) -> (tensor<?x40x100xf32>, tensor<512x100xf32>, tensor<512x128xf32>, tensor<1024xf32>) {
  %dx, %dw, %dr, %db, %dh0, %dc0 = nn.lstm_backward %gs, %gl, %gc, %x, %w, %r, %a mask %m : tensor<?x40x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x40x100xf32>, tensor<512x100xf32>, tensor<512x128xf32>, tensor<?x40x768xf32>, tensor<?x40xf32>
  return %dx, %dw, %dr, %db : tensor<?x40x100xf32>, tensor<512x100xf32>, tensor<512x128xf32>, tensor<1024xf32>
}
