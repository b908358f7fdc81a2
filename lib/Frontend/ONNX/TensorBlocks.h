//===- TensorBlocks.h - slices, concatenations, filled blocks ---*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The building blocks that ops without an `nn` op of their own (Pad, Split,
// Tile, dilated and N-D pools) are made of, in Indexing.cpp. They only build
// differentiable `nn` ops, so what they make trains.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_FRONTEND_ONNX_TENSORBLOCKS_H
#define NEURONA_LIB_FRONTEND_ONNX_TENSORBLOCKS_H

#include "GraphImporter.h"

namespace neurona::onnx_import {

/// `value` sliced along `axis` to [start, end) with `step`.
mlir::Value sliceAxis(NodeContext &node, mlir::Value value, int64_t axis,
                      int64_t start, int64_t end, int64_t step = 1);

/// `parts` concatenated along `axis` (the one part itself when alone).
mlir::Value concatAxis(NodeContext &node, llvm::ArrayRef<mlir::Value> parts,
                       int64_t axis);

/// A tensor of `shape` holding `fill` (a one-element TensorValue) everywhere;
/// a dynamic leading dimension takes `like`'s batch.
mlir::Value filled(NodeContext &node, mlir::Value like,
                   llvm::ArrayRef<int64_t> shape, const TensorValue &fill);

} // namespace neurona::onnx_import

#endif // NEURONA_LIB_FRONTEND_ONNX_TENSORBLOCKS_H
