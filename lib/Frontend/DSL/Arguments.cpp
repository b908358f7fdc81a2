//===- Arguments.cpp - binding call arguments to parameters ---------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Layers and optimizers are calls with keyword arguments. Binding them in one
// place gives every call the same rules and the same messages: unknown
// keywords get a suggestion, and a value of the wrong kind is reported with
// what was expected and what was found.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona::dsl {

std::string formatNumber(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

std::string describeExpr(const ast::Expr &expr) {
  switch (expr.kind) {
  case ast::Expr::Kind::Integer:
    return "integer " + std::to_string(expr.intValue);
  case ast::Expr::Kind::Float:
    return "number " + formatNumber(expr.floatValue);
  case ast::Expr::Kind::Bool:
    return expr.boolValue ? "'true'" : "'false'";
  case ast::Expr::Kind::Identifier:
    return "identifier '" + expr.text + "'";
  case ast::Expr::Kind::String:
    return "string \"" + expr.text + "\"";
  case ast::Expr::Kind::List:
    return "a list";
  case ast::Expr::Kind::Call:
    return "call '" + expr.text + "(...)'";
  }
  return "a value";
}

static StringRef describeKind(ArgKind kind) {
  switch (kind) {
  case ArgKind::Integer:
    return "an integer";
  case ArgKind::Number:
    return "a number";
  case ArgKind::Identifier:
    return "a name";
  case ArgKind::Bool:
    return "true or false";
  case ArgKind::IntegerOrString:
    return "an integer or a string";
  case ArgKind::String:
    return "a string";
  case ArgKind::Strings:
    return "a string or a list of strings";
  case ArgKind::Name:
    return "a string or a name";
  case ArgKind::StringList:
    return "a list of strings";
  }
  return "a value";
}

static bool matches(const ast::Expr &expr, ArgKind kind) {
  switch (kind) {
  case ArgKind::Integer:
    return expr.kind == ast::Expr::Kind::Integer;
  case ArgKind::Number:
    return expr.isNumber();
  case ArgKind::Identifier:
    return expr.kind == ast::Expr::Kind::Identifier;
  case ArgKind::Bool:
    return expr.kind == ast::Expr::Kind::Bool;
  case ArgKind::IntegerOrString:
    return expr.kind == ast::Expr::Kind::Integer ||
           expr.kind == ast::Expr::Kind::String ||
           expr.kind == ast::Expr::Kind::Identifier;
  case ArgKind::String:
    return expr.kind == ast::Expr::Kind::String;
  case ArgKind::Strings:
    return expr.kind == ast::Expr::Kind::String ||
           (expr.kind == ast::Expr::Kind::List &&
            llvm::all_of(expr.elements, [](const ast::Expr &e) {
              return e.kind == ast::Expr::Kind::String;
            }));
  case ArgKind::Name:
    return expr.kind == ast::Expr::Kind::String ||
           expr.kind == ast::Expr::Kind::Identifier;
  case ArgKind::StringList:
    return expr.kind == ast::Expr::Kind::List &&
           llvm::all_of(expr.elements, [](const ast::Expr &e) {
             return e.kind == ast::Expr::Kind::String;
           });
  }
  return false;
}

Expected<BoundArgs> bindArguments(const ast::Expr &call,
                                  llvm::ArrayRef<ParamDecl> params,
                                  const SourceDiagnostics &diags) {
  BoundArgs bound;
  llvm::SmallVector<StringRef> names;
  llvm::SmallVector<StringRef> positional;
  for (const ParamDecl &param : params) {
    names.push_back(param.name);
    if (param.positional && positional.size() == names.size() - 1)
      positional.push_back(param.name);
  }

  for (auto [index, arg] : llvm::enumerate(call.args)) {
    const ParamDecl *param = nullptr;
    if (arg.key.empty()) {
      // The leading positional parameters may be given by position, in
      // order (the parser keeps positional arguments first).
      if (index < positional.size())
        param = &params[index];
      else if (!positional.empty())
        return diags.error(arg.value.loc,
                           "'" + call.text + "' takes " +
                               (positional.size() == 1
                                    ? std::string("one positional argument")
                                    : std::to_string(positional.size()) +
                                          " positional arguments") +
                               " ('" + llvm::join(positional, "', '") +
                               "'); write the others as key=value");
      else
        return diags.error(
            arg.value.loc,
            "'" + call.text +
                "' takes no positional "
                "arguments" +
                (params.empty() ? "" : "; write them as key=value"));
    } else {
      for (const ParamDecl &candidate : params)
        if (candidate.name == arg.key)
          param = &candidate;
      if (!param) {
        std::string hint = suggestClosest(arg.key, names);
        if (hint.empty())
          hint = names.empty() ? std::string("; it takes no arguments")
                               : "; it takes " + llvm::join(names, ", ");
        return diags.error(arg.keyLoc, "'" + call.text + "' has no argument '" +
                                           arg.key + "'" + hint);
      }
    }
    if (bound.get(param->name))
      return diags.error(arg.keyLoc, "argument '" + param->name + "' of '" +
                                         call.text + "' is given twice");
    if (!matches(arg.value, param->kind))
      return diags.error(arg.value.loc, "argument '" + param->name + "' of '" +
                                            call.text + "' must be " +
                                            describeKind(param->kind) +
                                            ", not " + describeExpr(arg.value));
    bound.values.push_back({param->name, &arg.value});
  }
  return bound;
}

const ast::Expr *BoundArgs::get(StringRef name) const {
  for (const auto &[key, value] : values)
    if (key == name)
      return value;
  return nullptr;
}

int64_t BoundArgs::getInt(StringRef name, int64_t defaultValue) const {
  const ast::Expr *expr = get(name);
  return expr ? expr->intValue : defaultValue;
}

double BoundArgs::getNumber(StringRef name, double defaultValue) const {
  const ast::Expr *expr = get(name);
  return expr ? expr->asDouble() : defaultValue;
}

StringRef BoundArgs::getIdentifier(StringRef name,
                                   StringRef defaultValue) const {
  const ast::Expr *expr = get(name);
  return expr ? StringRef(expr->text) : defaultValue;
}

bool BoundArgs::getBool(StringRef name, bool defaultValue) const {
  const ast::Expr *expr = get(name);
  return expr ? expr->boolValue : defaultValue;
}

Error checkChoice(const ast::Expr &value, StringRef what,
                  llvm::ArrayRef<StringRef> choices,
                  const SourceDiagnostics &diags) {
  if (value.kind != ast::Expr::Kind::Identifier)
    return diags.error(value.loc, what + " must be a name (one of " +
                                      llvm::join(choices, ", ") + "), not " +
                                      describeExpr(value));
  if (llvm::is_contained(choices, StringRef(value.text)))
    return Error::success();
  std::string hint = suggestClosest(value.text, choices);
  if (hint.empty())
    hint = "; expected one of " + llvm::join(choices, ", ");
  return diags.error(value.loc,
                     "unknown " + what + " '" + value.text + "'" + hint);
}

} // namespace neurona::dsl
