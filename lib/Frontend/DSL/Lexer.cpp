//===- Lexer.cpp - tokens of the model DSL --------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Frontend/DSL/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

namespace neurona::dsl {

llvm::StringRef describeTokenKind(TokenKind kind) {
  switch (kind) {
  case TokenKind::EndOfFile:
    return "end of file";
  case TokenKind::Error:
    return "invalid token";
  case TokenKind::Identifier:
    return "identifier";
  case TokenKind::Integer:
    return "integer";
  case TokenKind::Float:
    return "number";
  case TokenKind::String:
    return "string";
  case TokenKind::KwModel:
    return "'model'";
  case TokenKind::KwInput:
    return "'input'";
  case TokenKind::KwOutput:
    return "'output'";
  case TokenKind::KwTrain:
    return "'train'";
  case TokenKind::KwTrue:
    return "'true'";
  case TokenKind::KwFalse:
    return "'false'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Semicolon:
    return "';'";
  case TokenKind::Minus:
    return "'-'";
  }
  return "token";
}

std::string describeToken(const Token &token) {
  switch (token.kind) {
  case TokenKind::Identifier:
  case TokenKind::Integer:
  case TokenKind::Float:
    return (describeTokenKind(token.kind) + " '" + token.spelling + "'").str();
  case TokenKind::String:
    return ("string " + token.spelling).str();
  default:
    return describeTokenKind(token.kind).str();
  }
}

Lexer::Lexer(llvm::StringRef buffer) : cur(buffer.begin()), end(buffer.end()) {}

char Lexer::peek(size_t ahead) const {
  return static_cast<size_t>(end - cur) > ahead ? cur[ahead] : '\0';
}

void Lexer::advance() {
  if (cur == end)
    return;
  if (*cur == '\n') {
    ++line;
    column = 1;
  } else {
    ++column;
  }
  ++cur;
}

void Lexer::skipWhitespaceAndComments() {
  while (cur != end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
        c == '\v') {
      advance();
    } else if (c == '#') {
      while (cur != end && *cur != '\n')
        advance();
    } else {
      return;
    }
  }
}

Token Lexer::make(TokenKind kind, SourceLoc start) {
  Token token;
  token.kind = kind;
  token.loc = start;
  token.end = here();
  token.spelling = llvm::StringRef(start.ptr, cur - start.ptr);
  return token;
}

Token Lexer::makeError(SourceLoc start, std::string message) {
  Token token = make(TokenKind::Error, start);
  token.text = std::move(message);
  return token;
}

static bool isIdentifierStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentifierChar(char c) { return llvm::isAlnum(c) || c == '_'; }

Token Lexer::next() {
  skipWhitespaceAndComments();
  SourceLoc start = here();
  if (cur == end)
    return make(TokenKind::EndOfFile, start);

  char c = *cur;
  if (isIdentifierStart(c))
    return lexIdentifier(start);
  if (llvm::isDigit(c) || (c == '.' && llvm::isDigit(peek(1))))
    return lexNumber(start);
  if (c == '"')
    return lexString(start);

  advance();
  switch (c) {
  case '{':
    return make(TokenKind::LBrace, start);
  case '}':
    return make(TokenKind::RBrace, start);
  case '(':
    return make(TokenKind::LParen, start);
  case ')':
    return make(TokenKind::RParen, start);
  case '[':
    return make(TokenKind::LBracket, start);
  case ']':
    return make(TokenKind::RBracket, start);
  case ',':
    return make(TokenKind::Comma, start);
  case ':':
    return make(TokenKind::Colon, start);
  case '=':
    return make(TokenKind::Equal, start);
  case ';':
    return make(TokenKind::Semicolon, start);
  case '-':
    return make(TokenKind::Minus, start);
  default:
    break;
  }
  if (llvm::isPrint(c))
    return makeError(start, std::string("unexpected character '") + c + "'");
  return makeError(start, "unexpected byte 0x" +
                              llvm::utohexstr(static_cast<unsigned char>(c)) +
                              " (the DSL is plain ASCII outside strings)");
}

Token Lexer::lexIdentifier(SourceLoc start) {
  while (cur != end && isIdentifierChar(*cur))
    advance();
  llvm::StringRef word(start.ptr, cur - start.ptr);
  TokenKind kind = llvm::StringSwitch<TokenKind>(word)
                       .Case("model", TokenKind::KwModel)
                       .Case("input", TokenKind::KwInput)
                       .Case("output", TokenKind::KwOutput)
                       .Case("train", TokenKind::KwTrain)
                       .Case("true", TokenKind::KwTrue)
                       .Case("false", TokenKind::KwFalse)
                       .Default(TokenKind::Identifier);
  return make(kind, start);
}

Token Lexer::lexNumber(SourceLoc start) {
  // digits [ '.' digits ] [ ('e'|'E') ['+'|'-'] digits ]
  bool isFloat = false;
  auto digits = [&] {
    bool any = false;
    while (cur != end && llvm::isDigit(*cur)) {
      advance();
      any = true;
    }
    return any;
  };
  bool ok = true;
  digits();
  if (peek() == '.') {
    isFloat = true;
    advance();
    ok = digits();
  }
  if (ok && (peek() == 'e' || peek() == 'E')) {
    isFloat = true;
    advance();
    if (peek() == '+' || peek() == '-')
      advance();
    ok = digits();
  }
  // A number glued to letters, digits or another '.' ("12abc", "1.2.3") is
  // one malformed token, not a number followed by something.
  while (cur != end && (isIdentifierChar(*cur) || *cur == '.')) {
    advance();
    ok = false;
  }
  Token token = make(isFloat ? TokenKind::Float : TokenKind::Integer, start);
  if (!ok)
    return makeError(start, ("invalid number '" + token.spelling + "'").str());
  if (isFloat) {
    if (token.spelling.getAsDouble(token.floatValue) ||
        !std::isfinite(token.floatValue))
      return makeError(
          start, ("number '" + token.spelling + "' is out of range").str());
    return token;
  }
  if (token.spelling.getAsInteger(10, token.intValue))
    return makeError(start, ("integer '" + token.spelling +
                             "' is too large (the limit is 2^63 - 1)")
                                .str());
  return token;
}

Token Lexer::lexString(SourceLoc start) {
  advance(); // the opening quote
  std::string value;
  while (true) {
    if (cur == end || *cur == '\n')
      return makeError(start, "unterminated string");
    char c = *cur;
    advance();
    if (c == '"')
      break;
    if (c != '\\') {
      value += c;
      continue;
    }
    char escaped = peek();
    if (escaped == '\n' || cur == end)
      return makeError(start, "unterminated string");
    advance();
    switch (escaped) {
    case '"':
    case '\\':
      value += escaped;
      break;
    case 'n':
      value += '\n';
      break;
    case 't':
      value += '\t';
      break;
    default:
      return makeError(start, std::string("unknown escape '\\") + escaped +
                                  "' in string");
    }
  }
  Token token = make(TokenKind::String, start);
  token.text = std::move(value);
  return token;
}

} // namespace neurona::dsl
