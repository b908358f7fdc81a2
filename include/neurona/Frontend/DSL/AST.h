//===- AST.h - syntax tree of the model DSL ---------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The parser's output: what the file says, with no knowledge of which layers
// or losses exist. Layer calls, train entries and their arguments all share
// one `Expr` shape, so a new layer or optimizer needs no grammar change; the
// emitter decides what is valid and can point at any node it rejects.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_FRONTEND_DSL_AST_H
#define NEURONA_FRONTEND_DSL_AST_H

#include "neurona/Frontend/DSL/Lexer.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace neurona::dsl::ast {

struct Argument;

/// A value: a literal, a name, a list or a call such as `adam(lr=0.001)`.
struct Expr {
  enum class Kind { Integer, Float, Bool, Identifier, String, List, Call };

  Kind kind = Kind::Integer;
  SourceLoc loc;
  int64_t intValue = 0;
  double floatValue = 0.0;
  bool boolValue = false;
  /// Identifier or call name, or a string's value.
  std::string text;
  /// List elements.
  std::vector<Expr> elements;
  /// Call arguments, in source order.
  std::vector<Argument> args;
  /// For calls: where the '(' is, for "to match this '('" notes.
  SourceLoc openParen;

  bool isNumber() const { return kind == Kind::Integer || kind == Kind::Float; }
  double asDouble() const {
    return kind == Kind::Integer ? static_cast<double>(intValue) : floatValue;
  }
};

/// `value` or `key = value` inside a call's parentheses.
struct Argument {
  /// Empty for a positional argument.
  std::string key;
  SourceLoc keyLoc;
  Expr value;
};

/// `input NAME: [d1, d2, ...]`; the batch dimension is implicit.
struct InputStmt {
  std::string name;
  SourceLoc loc;
  SourceLoc nameLoc;
  std::vector<int64_t> dims;
  std::vector<SourceLoc> dimLocs;
  /// `input NAME: ids[dims]`: integer token ids (i64) rather than floats;
  /// `kind` is the word before '[' ("ids"), empty for floats.
  std::string kind;
  SourceLoc kindLoc;
};

/// `[NAME =] layer(args)` and, reserved for non-sequential models,
/// `[NAME =] layer(args)(operand, ...)`.
struct LayerStmt {
  /// Empty when the layer is not named.
  std::string name;
  SourceLoc nameLoc;
  Expr call;
  /// Values the layer is applied to; empty for the sequential form.
  std::vector<std::string> operands;
  std::vector<SourceLoc> operandLocs;
  SourceLoc operandsLoc;
};

/// `output NAME` names the current value; `output NAME = REF` names the
/// value of the input or layer called REF.
struct OutputStmt {
  std::string name;
  SourceLoc loc;
  SourceLoc nameLoc;
  /// Empty for the first form.
  std::string ref;
  SourceLoc refLoc;
};

using Statement = std::variant<InputStmt, LayerStmt, OutputStmt>;

/// `model NAME { statements }`.
struct ModelDecl {
  std::string name;
  SourceLoc loc;
  SourceLoc nameLoc;
  std::vector<Statement> body;
};

/// `key = value` in a train or data section.
struct TrainEntry {
  std::string key;
  SourceLoc keyLoc;
  Expr value;
};

/// `train [MODEL] { entries }`, and `data [MODEL] { entries }`, which has
/// the same shape.
struct TrainDecl {
  /// Empty when the section does not name its model.
  std::string model;
  SourceLoc loc;
  SourceLoc modelLoc;
  std::vector<TrainEntry> entries;
};

/// A whole `.nn` file, declarations in source order per kind.
struct Program {
  std::vector<ModelDecl> models;
  std::vector<TrainDecl> trains;
  std::vector<TrainDecl> data;
};

} // namespace neurona::dsl::ast

#endif // NEURONA_FRONTEND_DSL_AST_H
