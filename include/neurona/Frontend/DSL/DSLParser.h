//===- DSLParser.h - the `.nn` model language -------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Entry points of the DSL frontend. Parsing (text to `ast::Program`) and
// emission (AST to `nn` IR) are separate stages; `importDSL*` runs both.
// Errors are formatted like a compiler's, ready to print:
//
//   model.nn:3:5: error: unknown layer 'desne'; did you mean 'dense'?
//     desne(128)
//     ^
//
// The language is described, with its grammar, in docs/dsl.md.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_FRONTEND_DSL_DSLPARSER_H
#define NEURONA_FRONTEND_DSL_DSLPARSER_H

#include "neurona/Frontend/DSL/AST.h"
#include "neurona/Frontend/ImportedModel.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace neurona {

/// Parses `source` into a syntax tree. Locations in the tree point into
/// `source`, which must outlive it. `bufferName` is the file name used in
/// messages.
llvm::Expected<dsl::ast::Program> parseDSLSource(llvm::StringRef source,
                                                 llvm::StringRef bufferName);

/// Parses and imports `source`: the model named by the `train` section, or
/// else the first model. Every model in the file is checked, and anything
/// the emitter does not support yet is an error rather than ignored.
llvm::Expected<ImportedModel> importDSLSource(mlir::MLIRContext &context,
                                              llvm::StringRef source,
                                              llvm::StringRef bufferName);

/// Reads `path` and imports it as `importDSLSource` does.
llvm::Expected<ImportedModel> importDSLFile(mlir::MLIRContext &context,
                                            llvm::StringRef path);

} // namespace neurona

#endif // NEURONA_FRONTEND_DSL_DSLPARSER_H
