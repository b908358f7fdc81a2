// RUN: %neurona-opt %s | %neurona-opt | FileCheck %s

// The integer and boolean ops round-trip; result types are inferred (cast's
// is given).
// CHECK-LABEL: func.func @logical
// CHECK: nn.cast %{{.+}} : tensor<?x4xf32> to tensor<?x4xi64>
// CHECK: nn.equal %{{.+}}, %{{.+}} : tensor<?x4xi64>, tensor<4xi64>
// CHECK: nn.greater_equal %{{.+}}, %{{.+}} : tensor<?x4xf32>, tensor<f32>
// CHECK: nn.logical_xor %{{.+}}, %{{.+}} : tensor<?x4xi1>, tensor<?x4xi1>
// CHECK: nn.logical_not %{{.+}} : tensor<?x4xi1>
// CHECK: nn.where %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32>
// CHECK: nn.argmax %{{.+}} axis = 1 keepdims select_last_index : tensor<?x4xf32>
// CHECK: nn.argmin %{{.+}} axis = -1 : tensor<?x4xi64>
// CHECK: nn.gather %{{.+}}, %{{.+}} axis = 1 : tensor<?x4xf32>, tensor<2x3xi64>
// CHECK: nn.mod %{{.+}}, %{{.+}} fmod : tensor<?x4xi64>, tensor<4xi64>
// CHECK: nn.add %{{.+}}, %{{.+}} : tensor<?x4xi64>, tensor<4xi64>
// CHECK: nn.sign %{{.+}} : tensor<?x4xi64>
func.func @logical(%x: tensor<?x4xf32>, %v: tensor<4xi64>, %s: tensor<f32>, %i: tensor<2x3xi64>) -> (tensor<?x4xi1>, tensor<?x4xf32>, tensor<?x1xi64>, tensor<?xi64>, tensor<?x2x3xf32>, tensor<?x4xi64>, tensor<?x4xi64>) {
  %c = nn.cast %x : tensor<?x4xf32> to tensor<?x4xi64>
  %e = nn.equal %c, %v : tensor<?x4xi64>, tensor<4xi64>
  %g = nn.greater_equal %x, %s : tensor<?x4xf32>, tensor<f32>
  %o = nn.logical_xor %e, %g : tensor<?x4xi1>, tensor<?x4xi1>
  %n = nn.logical_not %o : tensor<?x4xi1>
  %w = nn.where %n, %x, %s : tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32>
  %a = nn.argmax %x axis = 1 keepdims select_last_index : tensor<?x4xf32>
  %b = nn.argmin %c axis = -1 : tensor<?x4xi64>
  %h = nn.gather %x, %i axis = 1 : tensor<?x4xf32>, tensor<2x3xi64>
  %m = nn.mod %c, %v fmod : tensor<?x4xi64>, tensor<4xi64>
  %p = nn.add %m, %v : tensor<?x4xi64>, tensor<4xi64>
  %q = nn.sign %p : tensor<?x4xi64>
  return %n, %w, %a, %b, %h, %p, %q : tensor<?x4xi1>, tensor<?x4xf32>, tensor<?x1xi64>, tensor<?xi64>, tensor<?x2x3xf32>, tensor<?x4xi64>, tensor<?x4xi64>
}
