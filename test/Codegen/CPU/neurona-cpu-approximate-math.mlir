// RUN: %neurona-opt %s -pass-pipeline='builtin.module(func.func(neurona-cpu-approximate-math))' | FileCheck %s

// exp, log and tanh become arithmetic that vectorizes; erf and pow stay
// library calls.
// CHECK-LABEL: func.func @functions
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.log
// CHECK-NOT:     math.tanh
// CHECK:         math.fma
// CHECK:         math.erf
// CHECK:         math.powf
func.func @functions(%x: f32) -> (f32, f32, f32, f32, f32) {
  %e = math.exp %x : f32
  %l = math.log %x : f32
  %t = math.tanh %x : f32
  %r = math.erf %x : f32
  %p = math.powf %x, %x : f32
  return %e, %l, %t, %r, %p : f32, f32, f32, f32, f32
}
