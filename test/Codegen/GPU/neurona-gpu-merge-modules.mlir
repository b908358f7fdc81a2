// RUN: %neurona-opt %s --neurona-gpu-merge-modules | FileCheck %s

// Outlined kernels share their entry's name, each in a module of its own;
// they end up in the first module, named after the modules they came from.
// CHECK:       gpu.module @forward_kernel {
// CHECK-NEXT:    gpu.func @forward_kernel() kernel
// CHECK:         gpu.func @forward_kernel_0() kernel
// CHECK:       }
// CHECK-NOT:   gpu.module
// CHECK-LABEL: func.func @forward
// CHECK:         gpu.launch_func  @forward_kernel::@forward_kernel
// CHECK:         gpu.launch_func  @forward_kernel::@forward_kernel_0
module attributes {gpu.container_module} {
  gpu.module @forward_kernel {
    gpu.func @forward_kernel() kernel {
      gpu.return
    }
  }
  gpu.module @forward_kernel_0 {
    gpu.func @forward_kernel() kernel {
      gpu.return
    }
  }
  func.func @forward() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @forward_kernel::@forward_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @forward_kernel_0::@forward_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
