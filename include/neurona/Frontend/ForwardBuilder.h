//===- ForwardBuilder.h - builds the `forward` function ---------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Every frontend ends in the same IR shape: `module @<model>` holding
// `func.func @forward`, data inputs first, then parameters in first-use order,
// each argument and result tagged with `nn.role` and `nn.name`. Building that
// shape in one place, together with the few canonical choices that would
// otherwise differ between frontends (the softmax axis), is what makes the
// same network import to byte-identical IR from ONNX and from the DSL.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_FRONTEND_FORWARDBUILDER_H
#define NEURONA_FRONTEND_FORWARDBUILDER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace neurona {

/// Argument and result attribute names of `forward`.
inline constexpr llvm::StringLiteral kRoleAttrName = "nn.role";
/// `nn.trainable = false` on a parameter the data fixes: nn-autodiff passes
/// it through train_step unchanged.
inline constexpr llvm::StringLiteral kTrainableAttrName = "nn.trainable";
inline constexpr llvm::StringLiteral kNameAttrName = "nn.name";

class ForwardBuilder {
public:
  /// Loads the dialects the frontends emit and opens an empty `forward`.
  ForwardBuilder(mlir::MLIRContext &context, llvm::StringRef modelName,
                 mlir::Location loc);
  ~ForwardBuilder();

  /// The builder, positioned at the end of `forward`'s body.
  mlir::OpBuilder &builder() { return opBuilder; }

  /// Appends a data input. All inputs must come before the first parameter.
  mlir::Value addInput(llvm::StringRef name, mlir::RankedTensorType type,
                       mlir::Location loc);
  /// Marks data input `index` as integer ids in [0, `bound`) (`nn.bound`),
  /// which the runtime checks before running the compiled code.
  void setInputBound(unsigned index, int64_t bound);
  /// Appends a parameter; `trainable = false` marks it `nn.trainable =
  /// false`.
  mlir::Value addParam(llvm::StringRef name, mlir::RankedTensorType type,
                       mlir::Location loc, bool trainable = true);
  /// Appends a result of `forward`.
  void addOutput(llvm::StringRef name, mlir::Value value);

  /// Emits the return, sets the signature and its attributes, and verifies
  /// the module. Verifier diagnostics become the error's text, each prefixed
  /// with `errorPrefix`.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  finish(llvm::StringRef errorPrefix);

private:
  void addArgAttrs(llvm::StringRef role, llvm::StringRef name,
                   bool trainable = true);

  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::Operation *function = nullptr;
  mlir::OpBuilder opBuilder;
  std::vector<mlir::DictionaryAttr> argAttrs;
  std::vector<mlir::DictionaryAttr> resultAttrs;
  llvm::SmallVector<mlir::Value> results;
  unsigned numParams = 0;
};

/// The `axis` attribute value both frontends give `nn.softmax` and
/// `nn.log_softmax` for an in-range `axis` of a rank-`rank` input: -1 (the
/// op's default, so it is not printed) for the last axis, else the
/// non-negative axis.
int64_t canonicalSoftmaxAxis(int64_t axis, int64_t rank);

/// Runs `mlir::verify` on `op`; on failure the error text holds every
/// diagnostic, one per line, each prefixed with `errorPrefix`.
llvm::Error verifyWithDiagnostics(mlir::Operation *op,
                                  llvm::StringRef errorPrefix);

} // namespace neurona

#endif // NEURONA_FRONTEND_FORWARDBUILDER_H
