// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// f16 converts with arith's extf/truncf (round to nearest even); f16 to
// bf16 goes through f32, and f32 to bf16 rounds in integer ops: add
// 0x7fff plus the kept lowest bit, shift, and a quiet NaN for NaN.
// CHECK-LABEL: func.func @f16_bf16
// CHECK:         linalg.generic
// CHECK:           %[[W:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK:           %[[BITS:.+]] = arith.bitcast %[[W]] : f32 to i32
// CHECK:           arith.shrui %[[BITS]]
// CHECK:           arith.addi
// CHECK:           %[[NAN:.+]] = arith.cmpf uno, %[[W]], %[[W]] : f32
// CHECK:           %[[R:.+]] = arith.select %[[NAN]]
// CHECK:           %[[H:.+]] = arith.trunci %[[R]] : i32 to i16
// CHECK:           arith.bitcast %[[H]] : i16 to bf16
// CHECK:         linalg.generic
// CHECK:           arith.truncf %{{.+}} : f32 to f16
func.func @f16_bf16(%h: tensor<?x4xf16>, %x: tensor<?x4xf32>) -> (tensor<?x4xbf16>, tensor<?x4xf16>) {
  %b = nn.cast %h : tensor<?x4xf16> to tensor<?x4xbf16>
  %n = nn.cast %x : tensor<?x4xf32> to tensor<?x4xf16>
  return %b, %n : tensor<?x4xbf16>, tensor<?x4xf16>
}

// -----

// bf16 widens exactly by shifting its bits into the upper half of an f32;
// to an integer it then truncates toward zero like any f32.
// CHECK-LABEL: func.func @bf16_to
// CHECK:         linalg.generic
// CHECK:           %[[B:.+]] = arith.bitcast %{{.+}} : bf16 to i16
// CHECK:           %[[E:.+]] = arith.extui %[[B]] : i16 to i32
// CHECK:           %[[S:.+]] = arith.shli %[[E]], %{{.+}} : i32
// CHECK:           %[[F:.+]] = arith.bitcast %[[S]] : i32 to f32
// CHECK:           arith.extf %[[F]] : f32 to f64
// CHECK:         linalg.generic
// CHECK:           arith.bitcast %{{.+}} : bf16 to i16
// CHECK:           arith.fptosi %{{.+}} : f32 to i32
func.func @bf16_to(%b: tensor<3xbf16>) -> (tensor<3xf64>, tensor<3xi32>) {
  %d = nn.cast %b : tensor<3xbf16> to tensor<3xf64>
  %i = nn.cast %b : tensor<3xbf16> to tensor<3xi32>
  return %d, %i : tensor<3xf64>, tensor<3xi32>
}

// -----

// f64 and integers reach f16 with one rounding: f64 rounds to f32 "to odd"
// (the nearest f32, one ulp toward zero when that rounded away, with the
// last bit set when inexact), and then to nearest even. Integers go to f64
// first.
// CHECK-LABEL: func.func @to_f16
// CHECK:         linalg.generic
// CHECK:           %[[N:.+]] = arith.truncf %[[X:.+]] : f64 to f32
// CHECK:           %[[BACK:.+]] = arith.extf %[[N]] : f32 to f64
// CHECK:           %[[INEXACT:.+]] = arith.cmpf one, %[[BACK]], %[[X]] : f64
// CHECK:           arith.cmpf ogt, %[[BACK]], %[[X]] : f64
// CHECK:           arith.xori
// CHECK:           arith.subi
// CHECK:           arith.ori
// CHECK:           %[[ODD:.+]] = arith.select %[[INEXACT]]
// CHECK:           %[[F:.+]] = arith.bitcast %[[ODD]] : i32 to f32
// CHECK:           arith.truncf %[[F]] : f32 to f16
// CHECK:         linalg.generic
// CHECK:           arith.sitofp %{{.+}} : i64 to f64
// CHECK:           arith.truncf %{{.+}} : f64 to f32
// CHECK:           arith.truncf %{{.+}} : f32 to f16
func.func @to_f16(%d: tensor<2xf64>, %i: tensor<2xi64>) -> (tensor<2xf16>, tensor<2xf16>) {
  %a = nn.cast %d : tensor<2xf64> to tensor<2xf16>
  %b = nn.cast %i : tensor<2xi64> to tensor<2xf16>
  return %a, %b : tensor<2xf16>, tensor<2xf16>
}
