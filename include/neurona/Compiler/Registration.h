//===- Registration.h - dialects the compiler uses --------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_COMPILER_REGISTRATION_H
#define NEURONA_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace neurona {

/// The dialects that `nn` IR passes through on its way to LLVM, with the
/// external interface models (bufferization, deallocation, LLVM IR
/// translation) those passes need. Nothing else is registered.
void registerCompilerDialects(mlir::DialectRegistry &registry);

} // namespace neurona

#endif // NEURONA_COMPILER_REGISTRATION_H
