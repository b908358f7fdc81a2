//===- Parser.cpp - recursive-descent parser of the model DSL -------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// One function per grammar rule of docs/dsl.md. The parser stops at the first
// error: its messages are meant for a person fixing a file, and a first error
// that is exact beats a cascade of guesses.
//
// When something is missing at the end of a line ("dense(128" followed by a
// new line) the error points just after the last token, where the missing
// text belongs, as clang does; otherwise it points at the unexpected token.
//
// Lists and calls nest by recursion (parseExpr -> parseList / parseCall ->
// parseExpr), so their depth is limited: a deeply nested file gets an error
// instead of overflowing the stack.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "neurona/Frontend/DSL/DSLParser.h"

using llvm::Error;
using llvm::Expected;

namespace neurona::dsl {
namespace {

class Parser {
public:
  Parser(llvm::StringRef source, const SourceDiagnostics &diags)
      : lexer(source), diags(diags) {
    tok = lexer.next();
  }

  Expected<ast::Program> parseProgram();

private:
  // Token handling.
  void consume() {
    prevEnd = tok.end;
    tok = lexer.next();
  }
  bool consumeIf(TokenKind kind) {
    if (!tok.is(kind))
      return false;
    consume();
    return true;
  }
  /// An error about the current token. A lexer error is reported as itself.
  Error unexpected(const llvm::Twine &expected);
  /// "expected X" where X is missing: after the previous token when the
  /// current one starts a new line, with an optional note.
  Error missing(const llvm::Twine &expected, SourceLoc noteLoc = {},
                const llvm::Twine &note = "");
  Error expect(TokenKind kind, const llvm::Twine &context);

  /// How deeply lists and calls may nest, counting the layer's own call.
  static constexpr unsigned kMaxNesting = 64;
  /// One level of list or call nesting, counted for as long as it lives.
  class NestingScope {
  public:
    explicit NestingScope(unsigned &depth) : depth(depth) { ++depth; }
    ~NestingScope() { --depth; }
    NestingScope(const NestingScope &) = delete;
    NestingScope &operator=(const NestingScope &) = delete;

  private:
    unsigned &depth;
  };
  /// The error for the '[' or '(' that opens one level too many.
  Error tooDeep();

  // Grammar rules.
  Error parseModel(ast::Program &program);
  Error parseSection(std::vector<ast::TrainDecl> &sections,
                     llvm::StringRef kind);
  Error parseStatement(ast::ModelDecl &model);
  Error parseInput(ast::ModelDecl &model);
  Error parseOutput(ast::ModelDecl &model);
  Error parseLayer(ast::ModelDecl &model);
  Expected<ast::Expr> parseCall();
  Expected<ast::Expr> parseExpr();
  Expected<ast::Expr> parseList();
  Expected<int64_t> parseSignedInteger(SourceLoc &loc);

  Lexer lexer;
  const SourceDiagnostics &diags;
  Token tok;
  SourceLoc prevEnd;
  /// Lists and calls currently open.
  unsigned nesting = 0;
};

Error Parser::unexpected(const llvm::Twine &expected) {
  if (tok.is(TokenKind::Error))
    return diags.error(tok.loc, tok.text);
  return diags.error(tok.loc,
                     "expected " + expected + ", found " + describeToken(tok));
}

Error Parser::missing(const llvm::Twine &expected, SourceLoc noteLoc,
                      const llvm::Twine &note) {
  if (tok.is(TokenKind::Error))
    return diags.error(tok.loc, tok.text);
  bool atLineEnd = prevEnd.ptr && (tok.is(TokenKind::EndOfFile) ||
                                   tok.loc.line > prevEnd.line);
  if (!atLineEnd)
    return unexpected(expected);
  if (noteLoc.ptr)
    return diags.error(prevEnd, "expected " + expected, noteLoc, note);
  return diags.error(prevEnd, "expected " + expected);
}

Error Parser::expect(TokenKind kind, const llvm::Twine &context) {
  if (consumeIf(kind))
    return Error::success();
  return missing(describeTokenKind(kind) + " " + context);
}

Error Parser::tooDeep() {
  return diags.error(tok.loc, "lists and calls nested too deeply (limit " +
                                  llvm::Twine(kMaxNesting) + ")");
}

Expected<ast::Program> Parser::parseProgram() {
  ast::Program program;
  while (!tok.is(TokenKind::EndOfFile)) {
    Error err = Error::success();
    if (tok.is(TokenKind::KwModel))
      err = parseModel(program);
    else if (tok.is(TokenKind::KwTrain))
      err = parseSection(program.trains, "train");
    // `data` is a keyword only here, so models may still use it as a name.
    else if (tok.is(TokenKind::Identifier) && tok.spelling == "data")
      err = parseSection(program.data, "data");
    else
      err = unexpected("'model', 'train' or 'data'");
    if (err)
      return err;
  }
  return program;
}

Error Parser::parseModel(ast::Program &program) {
  ast::ModelDecl model;
  model.loc = tok.loc;
  consume(); // 'model'
  if (!tok.is(TokenKind::Identifier))
    return unexpected("a model name after 'model'");
  model.name = tok.spelling.str();
  model.nameLoc = tok.loc;
  consume();
  SourceLoc open = tok.loc;
  if (Error err = expect(TokenKind::LBrace, "to open the model's body"))
    return err;
  while (!tok.is(TokenKind::RBrace)) {
    if (tok.is(TokenKind::EndOfFile))
      return missing("'}' at the end of model '" + model.name + "'", open,
                     "to match this '{'");
    if (Error err = parseStatement(model))
      return err;
    consumeIf(TokenKind::Semicolon);
  }
  consume(); // '}'
  program.models.push_back(std::move(model));
  return Error::success();
}

Error Parser::parseStatement(ast::ModelDecl &model) {
  switch (tok.kind) {
  case TokenKind::KwInput:
    return parseInput(model);
  case TokenKind::KwOutput:
    return parseOutput(model);
  case TokenKind::Identifier:
    return parseLayer(model);
  default:
    return unexpected("a layer, 'input' or 'output'");
  }
}

Expected<int64_t> Parser::parseSignedInteger(SourceLoc &loc) {
  loc = tok.loc;
  bool negative = consumeIf(TokenKind::Minus);
  if (!tok.is(TokenKind::Integer))
    return unexpected("an integer");
  int64_t value = negative ? -tok.intValue : tok.intValue;
  consume();
  return value;
}

Error Parser::parseInput(ast::ModelDecl &model) {
  ast::InputStmt input;
  input.loc = tok.loc;
  consume(); // 'input'
  if (!tok.is(TokenKind::Identifier))
    return unexpected("an input name after 'input'");
  input.name = tok.spelling.str();
  input.nameLoc = tok.loc;
  consume();
  if (Error err = expect(TokenKind::Colon, "after the input's name"))
    return err;
  if (tok.is(TokenKind::Identifier)) {
    // An element kind before the dimensions: `ids[40]`.
    input.kind = tok.spelling.str();
    input.kindLoc = tok.loc;
    consume();
  }
  SourceLoc open = tok.loc;
  if (!consumeIf(TokenKind::LBracket))
    return unexpected("'[' to start the input's dimensions");
  while (!tok.is(TokenKind::RBracket)) {
    SourceLoc loc;
    auto dim = parseSignedInteger(loc);
    if (!dim)
      return dim.takeError();
    input.dims.push_back(*dim);
    input.dimLocs.push_back(loc);
    if (consumeIf(TokenKind::Comma))
      continue;
    if (!tok.is(TokenKind::RBracket))
      return missing("']' to close the dimensions", open, "to match this '['");
  }
  consume(); // ']'
  model.body.push_back(std::move(input));
  return Error::success();
}

Error Parser::parseOutput(ast::ModelDecl &model) {
  ast::OutputStmt output;
  output.loc = tok.loc;
  consume(); // 'output'
  if (!tok.is(TokenKind::Identifier))
    return unexpected("an output name after 'output'");
  output.name = tok.spelling.str();
  output.nameLoc = tok.loc;
  consume();
  if (consumeIf(TokenKind::Equal)) {
    if (!tok.is(TokenKind::Identifier))
      return unexpected("the name of an input or layer after '='");
    output.ref = tok.spelling.str();
    output.refLoc = tok.loc;
    consume();
  }
  model.body.push_back(std::move(output));
  return Error::success();
}

Error Parser::parseLayer(ast::ModelDecl &model) {
  ast::LayerStmt layer;
  // `name = layer(...)` or `layer(...)`: one token of lookahead past the
  // identifier decides.
  Token first = tok;
  consume();
  if (consumeIf(TokenKind::Equal)) {
    layer.name = first.spelling.str();
    layer.nameLoc = first.loc;
    if (!tok.is(TokenKind::Identifier))
      return unexpected("a layer after '" + layer.name + " ='");
    first = tok;
    consume();
  }
  if (!tok.is(TokenKind::LParen))
    return missing("'(' after '" + first.spelling +
                   "' (layers are written "
                   "like calls, e.g. relu())");
  auto call = parseCall();
  if (!call)
    return call.takeError();
  call->text = first.spelling.str();
  call->loc = first.loc;
  layer.call = std::move(*call);

  // `layer(...)(a, b)`: the layer applied to named values.
  if (tok.is(TokenKind::LParen)) {
    layer.operandsLoc = tok.loc;
    SourceLoc open = tok.loc;
    consume();
    while (!tok.is(TokenKind::RParen)) {
      if (!tok.is(TokenKind::Identifier))
        return unexpected("the name of an input or layer");
      layer.operands.push_back(tok.spelling.str());
      layer.operandLocs.push_back(tok.loc);
      consume();
      if (consumeIf(TokenKind::Comma))
        continue;
      if (!tok.is(TokenKind::RParen))
        return missing("')' to close the layer's operands", open,
                       "to match this '('");
    }
    consume(); // ')'
  }
  model.body.push_back(std::move(layer));
  return Error::success();
}

/// Parses `( arguments )`; the caller fills in the callee's name and place.
Expected<ast::Expr> Parser::parseCall() {
  NestingScope scope(nesting);
  if (nesting > kMaxNesting)
    return tooDeep();
  ast::Expr call;
  call.kind = ast::Expr::Kind::Call;
  call.openParen = tok.loc;
  consume(); // '('
  bool sawKeyword = false;
  while (!tok.is(TokenKind::RParen)) {
    ast::Argument arg;
    // `key = value` needs a second token of lookahead: copy the lexer.
    if (tok.is(TokenKind::Identifier)) {
      Lexer probe = lexer;
      if (probe.next().is(TokenKind::Equal)) {
        arg.key = tok.spelling.str();
        arg.keyLoc = tok.loc;
        consume();
        consume(); // '='
        sawKeyword = true;
      }
    }
    if (arg.key.empty() && sawKeyword)
      return diags.error(tok.loc, "positional argument after a keyword "
                                  "argument");
    auto value = parseExpr();
    if (!value)
      return value.takeError();
    arg.value = std::move(*value);
    if (arg.key.empty())
      arg.keyLoc = arg.value.loc;
    call.args.push_back(std::move(arg));
    if (consumeIf(TokenKind::Comma))
      continue;
    if (!tok.is(TokenKind::RParen))
      return missing("')' to close the argument list", call.openParen,
                     "to match this '('");
  }
  consume(); // ')'
  return call;
}

Expected<ast::Expr> Parser::parseList() {
  NestingScope scope(nesting);
  if (nesting > kMaxNesting)
    return tooDeep();
  ast::Expr list;
  list.kind = ast::Expr::Kind::List;
  list.loc = tok.loc;
  consume(); // '['
  while (!tok.is(TokenKind::RBracket)) {
    auto element = parseExpr();
    if (!element)
      return element.takeError();
    list.elements.push_back(std::move(*element));
    if (consumeIf(TokenKind::Comma))
      continue;
    if (!tok.is(TokenKind::RBracket))
      return missing("']' to close the list", list.loc, "to match this '['");
  }
  consume(); // ']'
  return list;
}

Expected<ast::Expr> Parser::parseExpr() {
  ast::Expr expr;
  expr.loc = tok.loc;
  switch (tok.kind) {
  case TokenKind::Minus: {
    consume();
    if (tok.is(TokenKind::Integer)) {
      expr.kind = ast::Expr::Kind::Integer;
      expr.intValue = -tok.intValue;
    } else if (tok.is(TokenKind::Float)) {
      expr.kind = ast::Expr::Kind::Float;
      expr.floatValue = -tok.floatValue;
    } else {
      return unexpected("a number after '-'");
    }
    consume();
    return expr;
  }
  case TokenKind::Integer:
    expr.kind = ast::Expr::Kind::Integer;
    expr.intValue = tok.intValue;
    consume();
    return expr;
  case TokenKind::Float:
    expr.kind = ast::Expr::Kind::Float;
    expr.floatValue = tok.floatValue;
    consume();
    return expr;
  case TokenKind::KwTrue:
  case TokenKind::KwFalse:
    expr.kind = ast::Expr::Kind::Bool;
    expr.boolValue = tok.is(TokenKind::KwTrue);
    consume();
    return expr;
  case TokenKind::String:
    expr.kind = ast::Expr::Kind::String;
    expr.text = tok.text;
    consume();
    return expr;
  case TokenKind::LBracket:
    return parseList();
  case TokenKind::KwInput:
    // As a value, `input` names the model's input: `target = input` in a
    // data section.
    expr.kind = ast::Expr::Kind::Identifier;
    expr.text = "input";
    consume();
    return expr;
  case TokenKind::Identifier: {
    std::string name = tok.spelling.str();
    consume();
    if (!tok.is(TokenKind::LParen)) {
      expr.kind = ast::Expr::Kind::Identifier;
      expr.text = std::move(name);
      return expr;
    }
    auto call = parseCall();
    if (!call)
      return call.takeError();
    call->text = std::move(name);
    call->loc = expr.loc;
    return call;
  }
  default:
    return missing("a value (a number, name, string, list or call)");
  }
}

Error Parser::parseSection(std::vector<ast::TrainDecl> &sections,
                           llvm::StringRef kind) {
  ast::TrainDecl section;
  section.loc = tok.loc;
  consume(); // 'train' or 'data'
  if (tok.is(TokenKind::Identifier)) {
    section.model = tok.spelling.str();
    section.modelLoc = tok.loc;
    consume();
  }
  SourceLoc open = tok.loc;
  if (!consumeIf(TokenKind::LBrace))
    return unexpected("'{' to open the " + kind + " section");
  while (!tok.is(TokenKind::RBrace)) {
    if (tok.is(TokenKind::EndOfFile))
      return missing("'}' at the end of the " + kind + " section", open,
                     "to match this '{'");
    ast::TrainEntry entry;
    if (!tok.is(TokenKind::Identifier))
      return unexpected(kind == "train" ? "a setting such as 'loss = ...'"
                                        : "a setting such as 'source = ...'");
    entry.key = tok.spelling.str();
    entry.keyLoc = tok.loc;
    consume();
    if (Error err = expect(TokenKind::Equal, "after '" + entry.key + "'"))
      return err;
    auto value = parseExpr();
    if (!value)
      return value.takeError();
    entry.value = std::move(*value);
    section.entries.push_back(std::move(entry));
    consumeIf(TokenKind::Semicolon);
  }
  consume(); // '}'
  sections.push_back(std::move(section));
  return Error::success();
}

} // namespace

/// Parses with diagnostics owned by the caller, so that the emitter can
/// report against the same buffer.
Expected<ast::Program> parseProgram(llvm::StringRef source,
                                    const SourceDiagnostics &diags) {
  return Parser(source, diags).parseProgram();
}

} // namespace neurona::dsl

llvm::Expected<neurona::dsl::ast::Program>
neurona::parseDSLSource(llvm::StringRef source, llvm::StringRef bufferName) {
  dsl::SourceDiagnostics diags(source, bufferName);
  return dsl::parseProgram(source, diags);
}
