//===- Lexer.h - tokens of the model DSL ------------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The `.nn` language is free-form: newlines are whitespace and `#` starts a
// comment that runs to the end of the line. Every token records where it
// starts (pointer, line, column) so that each later stage can point at the
// exact character it objects to.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_FRONTEND_DSL_LEXER_H
#define NEURONA_FRONTEND_DSL_LEXER_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace neurona::dsl {

/// A position in the source buffer. Lines and columns are 1-based; columns
/// count bytes, as compilers do.
struct SourceLoc {
  const char *ptr = nullptr;
  unsigned line = 0;
  unsigned column = 0;
};

enum class TokenKind {
  EndOfFile,
  /// A malformed token; `Token::message` says what is wrong.
  Error,
  Identifier,
  Integer,
  Float,
  String,
  // Keywords.
  KwModel,
  KwInput,
  KwOutput,
  KwTrain,
  KwTrue,
  KwFalse,
  // Punctuation.
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equal,
  Semicolon,
  Minus,
};

struct Token {
  TokenKind kind = TokenKind::EndOfFile;
  /// The token's text in the buffer (for strings, with the quotes).
  llvm::StringRef spelling;
  SourceLoc loc;
  /// Where the token ends (one past its last character).
  SourceLoc end;
  int64_t intValue = 0;
  double floatValue = 0.0;
  /// A string literal's value with escapes resolved, or the Error message.
  std::string text;

  bool is(TokenKind k) const { return kind == k; }
};

/// How a token kind is named in messages: "'('", "identifier", ...
llvm::StringRef describeTokenKind(TokenKind kind);
/// A token as named in "found ..." messages: "identifier 'dense'", "')'".
std::string describeToken(const Token &token);

class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer);

  /// The next token; `EndOfFile` forever once the buffer is consumed.
  Token next();

private:
  char peek(size_t ahead = 0) const;
  void advance();
  SourceLoc here() const { return {cur, line, column}; }
  void skipWhitespaceAndComments();
  Token make(TokenKind kind, SourceLoc start);
  Token makeError(SourceLoc start, std::string message);
  Token lexIdentifier(SourceLoc start);
  Token lexNumber(SourceLoc start);
  Token lexString(SourceLoc start);

  const char *cur;
  const char *end;
  unsigned line = 1;
  unsigned column = 1;
};

} // namespace neurona::dsl

#endif // NEURONA_FRONTEND_DSL_LEXER_H
