//===- ParserTest.cpp - syntax of the model DSL ---------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "FashionMLP.h"

#include "neurona/Frontend/DSL/DSLParser.h"

#include <gtest/gtest.h>

using namespace neurona;
using namespace neurona::dsl;

namespace {

/// The error text of parsing `source`, or "" if it parses.
std::string parseError(llvm::StringRef source) {
  auto program = parseDSLSource(source, "t.nn");
  if (program)
    return "";
  return llvm::toString(program.takeError());
}

TEST(DSLParser, ParsesModelAndTrainSection) {
  auto program = parseDSLSource(test::kFashion, "fashion.nn");
  ASSERT_TRUE(static_cast<bool>(program))
      << llvm::toString(program.takeError());
  ASSERT_EQ(program->models.size(), 1u);
  const ast::ModelDecl &model = program->models[0];
  EXPECT_EQ(model.name, "fashion_mlp");
  EXPECT_EQ(model.loc.line, 2u);
  ASSERT_EQ(model.body.size(), 4u);

  const auto &input = std::get<ast::InputStmt>(model.body[0]);
  EXPECT_EQ(input.name, "x");
  EXPECT_EQ(input.dims, std::vector<int64_t>{784});

  const auto &dense = std::get<ast::LayerStmt>(model.body[1]);
  EXPECT_TRUE(dense.name.empty());
  EXPECT_EQ(dense.call.kind, ast::Expr::Kind::Call);
  EXPECT_EQ(dense.call.text, "dense");
  EXPECT_EQ(dense.call.loc.line, 4u);
  EXPECT_EQ(dense.call.loc.column, 3u);
  ASSERT_EQ(dense.call.args.size(), 2u);
  EXPECT_TRUE(dense.call.args[0].key.empty());
  EXPECT_EQ(dense.call.args[0].value.kind, ast::Expr::Kind::Integer);
  EXPECT_EQ(dense.call.args[0].value.intValue, 128);
  EXPECT_EQ(dense.call.args[1].key, "activation");
  EXPECT_EQ(dense.call.args[1].value.kind, ast::Expr::Kind::Identifier);
  EXPECT_EQ(dense.call.args[1].value.text, "relu");
  EXPECT_TRUE(dense.operands.empty());

  const auto &output = std::get<ast::OutputStmt>(model.body[3]);
  EXPECT_EQ(output.name, "logits");
  EXPECT_TRUE(output.ref.empty());

  ASSERT_EQ(program->trains.size(), 1u);
  const ast::TrainDecl &train = program->trains[0];
  EXPECT_TRUE(train.model.empty());
  ASSERT_EQ(train.entries.size(), 5u);
  EXPECT_EQ(train.entries[0].key, "loss");
  EXPECT_EQ(train.entries[0].value.text, "cross_entropy");
  const ast::Expr &optimizer = train.entries[1].value;
  EXPECT_EQ(optimizer.kind, ast::Expr::Kind::Call);
  EXPECT_EQ(optimizer.text, "adam");
  ASSERT_EQ(optimizer.args.size(), 1u);
  EXPECT_EQ(optimizer.args[0].key, "lr");
  EXPECT_DOUBLE_EQ(optimizer.args[0].value.floatValue, 0.001);
  const ast::Expr &metrics = train.entries[4].value;
  EXPECT_EQ(metrics.kind, ast::Expr::Kind::List);
  ASSERT_EQ(metrics.elements.size(), 1u);
  EXPECT_EQ(metrics.elements[0].text, "accuracy");
}

TEST(DSLParser, NamedLayersOperandsAndOutputReferences) {
  auto program = parseDSLSource(R"(
model m {
  input x: [2, 3,]
  h = dense(4, bias=false, init="he")(x, y);
  output out = h
}
train m { loss = mse; optimizer = sgd }
)",
                                "t.nn");
  ASSERT_TRUE(static_cast<bool>(program))
      << llvm::toString(program.takeError());
  const ast::ModelDecl &model = program->models[0];
  EXPECT_EQ(std::get<ast::InputStmt>(model.body[0]).dims,
            (std::vector<int64_t>{2, 3}));
  const auto &layer = std::get<ast::LayerStmt>(model.body[1]);
  EXPECT_EQ(layer.name, "h");
  EXPECT_EQ(layer.call.text, "dense");
  EXPECT_EQ(layer.call.args[1].value.kind, ast::Expr::Kind::Bool);
  EXPECT_FALSE(layer.call.args[1].value.boolValue);
  EXPECT_EQ(layer.call.args[2].value.kind, ast::Expr::Kind::String);
  EXPECT_EQ(layer.call.args[2].value.text, "he");
  EXPECT_EQ(layer.operands, (std::vector<std::string>{"x", "y"}));
  const auto &output = std::get<ast::OutputStmt>(model.body[2]);
  EXPECT_EQ(output.name, "out");
  EXPECT_EQ(output.ref, "h");
  EXPECT_EQ(program->trains[0].model, "m");
}

TEST(DSLParser, NegativeNumbers) {
  auto program = parseDSLSource(
      "model m { input x: [-3] softmax(axis=-1, eps=-0.5) output y }", "t.nn");
  ASSERT_TRUE(static_cast<bool>(program))
      << llvm::toString(program.takeError());
  const ast::ModelDecl &model = program->models[0];
  EXPECT_EQ(std::get<ast::InputStmt>(model.body[0]).dims,
            std::vector<int64_t>{-3});
  const auto &call = std::get<ast::LayerStmt>(model.body[1]).call;
  EXPECT_EQ(call.args[0].value.intValue, -1);
  EXPECT_DOUBLE_EQ(call.args[1].value.floatValue, -0.5);
}

TEST(DSLParser, ErrorsPointAtTheProblem) {
  EXPECT_EQ(parseError("model {"),
            "t.nn:1:7: error: expected a model name after 'model', found '{'\n"
            "model {\n"
            "      ^");
  EXPECT_EQ(parseError("dense(10)"),
            "t.nn:1:1: error: expected 'model', 'train' or 'data', found identifier "
            "'dense'\n"
            "dense(10)\n"
            "^");
}

TEST(DSLParser, MissingCloserAtLineEndHasNote) {
  EXPECT_EQ(parseError("model m {\n  dense(10\n  relu()\n}"),
            "t.nn:2:11: error: expected ')' to close the argument list\n"
            "  dense(10\n"
            "          ^\n"
            "t.nn:2:8: note: to match this '('\n"
            "  dense(10\n"
            "       ^");
  EXPECT_NE(parseError("model m { input x: [1, 2")
                .find("error: expected ']' to close the dimensions"),
            std::string::npos);
}

TEST(DSLParser, SyntaxErrors) {
  struct Case {
    const char *source;
    const char *message;
  };
  const Case cases[] = {
      {"model m { dense(units=3, 4) }",
       "1:26: error: positional argument after a keyword argument"},
      {"model m { input x [3] }",
       "1:19: error: expected ':' after the input's name, found '['"},
      {"model m { output }", "1:18: error: expected an output name after "
                             "'output', found '}'"},
      {"model m { dense(,) }", "1:17: error: expected a value"},
      {"model m { 12 }", "1:11: error: expected a layer, 'input' or 'output', "
                         "found integer '12'"},
      {"train { loss cross_entropy }",
       "1:14: error: expected '=' after 'loss', found identifier "
       "'cross_entropy'"},
      {"train { loss = - x }", "1:18: error: expected a number after '-'"},
      {"model m { x = = }", "1:15: error: expected a layer after 'x =', found "
                            "'='"},
      {"model m {", "1:10: error: expected '}' at the end of model 'm'"},
  };
  for (const Case &c : cases) {
    std::string error = parseError(c.source);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << c.source << "\n  gave: " << error;
  }
}

TEST(DSLParser, DeepNestingIsAnErrorNotAStackOverflow) {
  // 20,000 levels overflowed the stack before nesting was limited.
  auto nested = [](llvm::StringRef open, llvm::StringRef close, int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i)
      s += open;
    s += "1";
    for (int i = 0; i < depth; ++i)
      s += close;
    return s;
  };
  // Only the first line: the rest quotes the (long) source line.
  auto firstLine = [](llvm::StringRef source) {
    return llvm::StringRef(parseError(source)).split('\n').first.str();
  };
  EXPECT_EQ(firstLine("train { loss = " + nested("[", "]", 20000) + " }"),
            "t.nn:1:80: error: lists and calls nested too deeply (limit 64)");
  // The error points at the '(' that opens one level too many; the layer's
  // own call counts.
  EXPECT_EQ(firstLine("model m { dense(" + nested("f(", ")", 20000) + ") }"),
            "t.nn:1:144: error: lists and calls nested too deeply (limit 64)");
  EXPECT_EQ(firstLine("train { x = [f(" + nested("[", "]", 20000) + ")] }"),
            "t.nn:1:78: error: lists and calls nested too deeply (limit 64)");

  // 64 levels are fine.
  EXPECT_EQ(parseError("train { loss = " + nested("[", "]", 64) + " }"), "");
  EXPECT_EQ(parseError("model m { dense(" + nested("f(", ")", 63) + ") }"), "");
  EXPECT_NE(parseError("train { loss = " + nested("[", "]", 65) + " }"), "");
}

} // namespace
