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

/// Versions of the default operator set (domain "" / "ai.onnx") the importer
/// is written and tested for: each op's versions in effect at these opsets
/// are the ones it implements. 9 is the lowest version the end-to-end tests
/// check against onnxruntime (test/e2e: Slice at opset 9, Clip and Dropout at
/// 10, most ops at 13 and 18); ONNX's own node tests run at opsets 1 to 25
/// in the conformance runner (scripts/onnx_conformance.py). A model at an
/// older opset (1 to 8) is accepted when each node's op resolves, the ONNX
/// way, to one of those versions (And, Or and Not have not changed since
/// opset 7; Add, with its legacy `broadcast` attribute before 7, has), and
/// refused naming the node otherwise.
inline constexpr int64_t kMinONNXOpset = 9;
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
