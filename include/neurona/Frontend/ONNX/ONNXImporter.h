//===- ONNXImporter.h - ONNX models to `nn` IR ------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model (`.onnx` protobuf, optionally with external weight
// files beside it) into `nn` IR. FLOAT initializers that ops consume as data
// become parameters with their values in `ImportedModel::params`; integer
// initializers and `Constant` nodes that only feed shapes are read at import
// time. Every failure, including malformed or hostile files, is an error
// naming the file and, where one is involved, the node and its op.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_FRONTEND_ONNX_ONNXIMPORTER_H
#define NEURONA_FRONTEND_ONNX_ONNXIMPORTER_H

#include "neurona/Frontend/ImportedModel.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace neurona {

/// Versions of the default operator set (domain "" / "ai.onnx") whose
/// semantics the importer implements for every op it supports.
inline constexpr int64_t kMinONNXOpset = 7;
inline constexpr int64_t kMaxONNXOpset = 28;

/// ONNX IR versions accepted (3 introduced `opset_import`).
inline constexpr int64_t kMinONNXIRVersion = 3;
inline constexpr int64_t kMaxONNXIRVersion = 14;

/// Reads and imports the model at `path`. External-data tensors are resolved
/// relative to the model's folder and must stay inside it.
llvm::Expected<ImportedModel> importONNXFile(mlir::MLIRContext &context,
                                             llvm::StringRef path);

} // namespace neurona

#endif // NEURONA_FRONTEND_ONNX_ONNXIMPORTER_H
