// RUN: %neurona-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// Unsigned element types (ONNX's UINT8 to UINT64) become signless, function
// signature included; the ops whose meaning depends on signedness pick
// unsigned arith ops, and x / 0 is steered away from the trapping divui
// (no -1 special case, which is UINT_MAX here).
// CHECK-LABEL: func.func @unsigned_arith
// CHECK-SAME:    (%{{.+}}: tensor<?x4xi8>, %{{.+}}: tensor<4xi8>) -> (tensor<?x4xi8>, tensor<?x4xi8>, tensor<?x4xi8>, tensor<?x4xi8>)
// CHECK:         linalg.generic
// CHECK:           arith.cmpi eq
// CHECK-NOT:       arith.cmpi
// CHECK:           arith.divui
// CHECK:         linalg.generic
// CHECK:           arith.remui
// CHECK:         linalg.generic
// CHECK:           arith.maxui
// CHECK:         linalg.generic
// CHECK:           arith.minui
// CHECK-NOT:     ui8
func.func @unsigned_arith(%a: tensor<?x4xui8>, %b: tensor<4xui8>) -> (tensor<?x4xui8>, tensor<?x4xui8>, tensor<?x4xui8>, tensor<?x4xui8>) {
  %d = nn.div %a, %b : tensor<?x4xui8>, tensor<4xui8>
  %m = nn.mod %a, %b : tensor<?x4xui8>, tensor<4xui8>
  %x = nn.maximum %a, %b : tensor<?x4xui8>, tensor<4xui8>
  %n = nn.minimum %a, %b : tensor<?x4xui8>, tensor<4xui8>
  return %d, %m, %x, %n : tensor<?x4xui8>, tensor<?x4xui8>, tensor<?x4xui8>, tensor<?x4xui8>
}

// -----

// Signed narrow types keep the signed ops.
// CHECK-LABEL: func.func @signed_narrow
// CHECK:           arith.divsi
// CHECK:           arith.maxsi
// CHECK:           arith.cmpi slt
func.func @signed_narrow(%a: tensor<4xi16>, %b: tensor<4xi16>) -> (tensor<4xi16>, tensor<4xi16>, tensor<4xi1>) {
  %d = nn.div %a, %b : tensor<4xi16>, tensor<4xi16>
  %x = nn.maximum %a, %b : tensor<4xi16>, tensor<4xi16>
  %l = nn.less %a, %b : tensor<4xi16>, tensor<4xi16>
  return %d, %x, %l : tensor<4xi16>, tensor<4xi16>, tensor<4xi1>
}

// -----

// Comparisons and argmax compare unsigned; abs is the value itself and sign
// is x != 0.
// CHECK-LABEL: func.func @unsigned_compare
// CHECK:           arith.cmpi ugt
// CHECK:           arith.cmpi ule
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK:           arith.cmpi ult
// CHECK:         linalg.generic
// CHECK-NOT:       arith.
// CHECK:           linalg.yield %{{.+}} : i32
// CHECK:         linalg.generic
// CHECK:           arith.cmpi ne
// CHECK:           arith.extui %{{.+}} : i1 to i32
func.func @unsigned_compare(%a: tensor<3x4xui32>, %b: tensor<3x4xui32>) -> (tensor<3x4xi1>, tensor<3x4xi1>, tensor<3xi64>, tensor<3x4xui32>, tensor<3x4xui32>) {
  %g = nn.greater %a, %b : tensor<3x4xui32>, tensor<3x4xui32>
  %l = nn.less_equal %a, %b : tensor<3x4xui32>, tensor<3x4xui32>
  %i = nn.argmin %a axis = 1 : tensor<3x4xui32>
  %abs = nn.abs %a : tensor<3x4xui32>
  %s = nn.sign %a : tensor<3x4xui32>
  return %g, %l, %i, %abs, %s : tensor<3x4xi1>, tensor<3x4xi1>, tensor<3xi64>, tensor<3x4xui32>, tensor<3x4xui32>
}

// -----

// Casts: an unsigned source zero-extends (extui, uitofp), a signed one
// sign-extends; an unsigned result from a float is fptoui; a same-width cast
// between signednesses keeps the bits (it folds away once both are i8).
// CHECK-LABEL: func.func @unsigned_cast
// CHECK:           arith.extui %{{.+}} : i8 to i32
// CHECK:           arith.extsi %{{.+}} : i8 to i32
// CHECK:           arith.uitofp %{{.+}} : i16 to f32
// CHECK:           arith.fptoui %{{.+}} : f32 to i16
// CHECK:         return %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %arg0 :
func.func @unsigned_cast(%u: tensor<4xui8>, %s: tensor<4xi8>, %h: tensor<4xui16>, %f: tensor<4xf32>) -> (tensor<4xi32>, tensor<4xui32>, tensor<4xf32>, tensor<4xui16>, tensor<4xi8>) {
  %a = nn.cast %u : tensor<4xui8> to tensor<4xi32>
  %b = nn.cast %s : tensor<4xi8> to tensor<4xui32>
  %c = nn.cast %h : tensor<4xui16> to tensor<4xf32>
  %d = nn.cast %f : tensor<4xf32> to tensor<4xui16>
  %e = nn.cast %u : tensor<4xui8> to tensor<4xi8>
  return %a, %b, %c, %d, %e : tensor<4xi32>, tensor<4xui32>, tensor<4xf32>, tensor<4xui16>, tensor<4xi8>
}

// -----

// Constants keep their bits: 200 as ui8 is -56 as i8.
// CHECK-LABEL: func.func @unsigned_constant
// CHECK:         arith.constant dense<[-56, 1]> : tensor<2xi8>
func.func @unsigned_constant() -> tensor<2xui8> {
  %c = nn.constant dense<[200, 1]> : tensor<2xui8>
  return %c : tensor<2xui8>
}

// -----

// An op whose unsigned operands are all results of other ops (not function
// arguments) is still unsigned: Clip's maximum then minimum.
// CHECK-LABEL: func.func @unsigned_chain
// CHECK:           arith.maxui
// CHECK:           arith.minui
// CHECK:           arith.cmpi ult
func.func @unsigned_chain(%x: tensor<6xui16>) -> (tensor<6xui16>, tensor<6xi1>) {
  %lo = nn.constant dense<3> : tensor<ui16>
  %hi = nn.constant dense<40000> : tensor<ui16>
  %a = nn.maximum %x, %lo : tensor<6xui16>, tensor<ui16>
  %b = nn.minimum %a, %hi : tensor<6xui16>, tensor<ui16>
  %c = nn.less %b, %a : tensor<6xui16>, tensor<6xui16>
  return %b, %c : tensor<6xui16>, tensor<6xi1>
}
