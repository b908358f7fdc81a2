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
/// accepts: only those it is tested at. 9 is the lowest version the
/// end-to-end tests check against onnxruntime (test/e2e: Slice at opset 9,
/// Clip and Dropout at 10, most ops at 13 and 18); 25 is the highest at
/// which ONNX's own node tests pass in the conformance runner
/// (scripts/onnx_conformance.py: tests at opsets 11 to 25 pass; none of its
/// tests at 26 to 28 runs yet, and no test covers 7 or 8).
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
