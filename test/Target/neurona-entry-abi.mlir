// RUN: %neurona-opt %s -neurona-entry-abi | FileCheck %s

// Tensor arguments become restrict memrefs, results become trailing
// out-parameters; attributes follow their values.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.+]]: memref<?x4xf32> {nn.name = "x", nn.role = "input"}, %[[W:.+]]: memref<4x3xf32> {nn.name = "w", nn.role = "param"}, %[[Y:.+]]: memref<?x3xf32> {nn.name = "y", nn.role = "output"})
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK:      %[[XT:.+]] = bufferization.to_tensor %[[X]] restrict : memref<?x4xf32> to tensor<?x4xf32>
// CHECK:      %[[WT:.+]] = bufferization.to_tensor %[[W]] restrict : memref<4x3xf32> to tensor<4x3xf32>
// CHECK:      %[[R:.+]] = nn.matmul %[[XT]], %[[WT]]
// CHECK:      bufferization.materialize_in_destination %[[R]] in restrict writable %[[Y]]
// CHECK-NEXT: return{{$}}
func.func @forward(%x: tensor<?x4xf32> {nn.role = "input", nn.name = "x"},
                   %w: tensor<4x3xf32> {nn.role = "param", nn.name = "w"})
    -> (tensor<?x3xf32> {nn.role = "output", nn.name = "y"}) {
  %0 = nn.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32>
  return %0 : tensor<?x3xf32>
}

// Functions without roles are not entries and keep their signature.
// CHECK-LABEL: func.func private @helper(%{{.+}}: tensor<4xf32>) -> tensor<4xf32>
func.func private @helper(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
