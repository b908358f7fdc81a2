//===- Diagnostics.cpp - compiler-style errors for the DSL ----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace neurona::dsl {

SourceDiagnostics::SourceDiagnostics(llvm::StringRef source,
                                     llvm::StringRef bufferName)
    : bufferName(bufferName.str()) {
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(source, bufferName,
                                       /*RequiresNullTerminator=*/false),
      llvm::SMLoc());
}

void SourceDiagnostics::print(llvm::raw_ostream &os, SourceLoc loc,
                              llvm::SourceMgr::DiagKind kind,
                              const llvm::Twine &message) const {
  sourceMgr.PrintMessage(os, llvm::SMLoc::getFromPointer(loc.ptr), kind,
                         message, /*Ranges=*/{}, /*FixIts=*/{},
                         /*ShowColors=*/false);
}

/// The error text without the final newline: callers add their own.
static llvm::Error makeError(std::string text) {
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return llvm::createStringError(llvm::inconvertibleErrorCode(), text);
}

llvm::Error SourceDiagnostics::error(SourceLoc loc,
                                     const llvm::Twine &message) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  print(os, loc, llvm::SourceMgr::DK_Error, message);
  return makeError(std::move(text));
}

llvm::Error SourceDiagnostics::error(SourceLoc loc, const llvm::Twine &message,
                                     SourceLoc noteLoc,
                                     const llvm::Twine &note) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  print(os, loc, llvm::SourceMgr::DK_Error, message);
  print(os, noteLoc, llvm::SourceMgr::DK_Note, note);
  return makeError(std::move(text));
}

std::string suggestClosest(llvm::StringRef word,
                           llvm::ArrayRef<llvm::StringRef> candidates) {
  llvm::StringRef best;
  unsigned bestDistance = 0;
  for (llvm::StringRef candidate : candidates) {
    unsigned distance = word.edit_distance(candidate, true, 3);
    if (best.empty() || distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Two edits catch typos ("desne", "activaton") without offering
  // unrelated words for short names.
  if (best.empty() || bestDistance > 2 || bestDistance >= word.size())
    return {};
  return ("; did you mean '" + best + "'?").str();
}

} // namespace neurona::dsl
