//===- Passes.h - Neurona conversion passes ---------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_CONVERSION_PASSES_H
#define NEURONA_CONVERSION_PASSES_H

#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"

namespace mlir {
#define GEN_PASS_REGISTRATION
#include "neurona/Conversion/Passes.h.inc"
} // namespace mlir

#endif // NEURONA_CONVERSION_PASSES_H
