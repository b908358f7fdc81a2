//===- Diagnostics.h - compiler-style errors for the DSL --------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Formats errors as clang does (`file:line:col: error: ...`, the source line,
// a caret), using LLVM's SourceMgr so the output matches the tools users
// already read. Errors are returned as llvm::Error values holding the
// formatted text; nothing is printed here.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_FRONTEND_DSL_DIAGNOSTICS_H
#define NEURONA_LIB_FRONTEND_DSL_DIAGNOSTICS_H

#include "neurona/Frontend/DSL/Lexer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"

#include <string>

namespace neurona::dsl {

class SourceDiagnostics {
public:
  SourceDiagnostics(llvm::StringRef source, llvm::StringRef bufferName);

  llvm::StringRef getBufferName() const { return bufferName; }

  /// An error at `loc`.
  llvm::Error error(SourceLoc loc, const llvm::Twine &message) const;
  /// An error at `loc` followed by a note at `noteLoc`.
  llvm::Error error(SourceLoc loc, const llvm::Twine &message,
                    SourceLoc noteLoc, const llvm::Twine &note) const;

private:
  void print(llvm::raw_ostream &os, SourceLoc loc,
             llvm::SourceMgr::DiagKind kind, const llvm::Twine &message) const;

  std::string bufferName;
  llvm::SourceMgr sourceMgr;
};

/// "; did you mean 'X'?" for a candidate within two edits of `word`, or "".
std::string suggestClosest(llvm::StringRef word,
                           llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace neurona::dsl

#endif // NEURONA_LIB_FRONTEND_DSL_DIAGNOSTICS_H
