//===- NNDialect.h - nn dialect ---------------------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DIALECT_NN_IR_NNDIALECT_H
#define NEURONA_DIALECT_NN_IR_NNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "neurona/Dialect/NN/IR/NNOpsDialect.h.inc"

#endif // NEURONA_DIALECT_NN_IR_NNDIALECT_H
