//===- LexerTest.cpp - tokens of the model DSL ----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Frontend/DSL/Lexer.h"

#include <gtest/gtest.h>

#include <vector>

using namespace neurona::dsl;

namespace {

std::vector<Token> lexAll(llvm::StringRef source) {
  Lexer lexer(source);
  std::vector<Token> tokens;
  while (true) {
    tokens.push_back(lexer.next());
    if (tokens.back().is(TokenKind::EndOfFile) ||
        tokens.back().is(TokenKind::Error))
      return tokens;
  }
}

std::vector<TokenKind> kinds(const std::vector<Token> &tokens) {
  std::vector<TokenKind> result;
  for (const Token &token : tokens)
    result.push_back(token.kind);
  return result;
}

TEST(DSLLexer, TokenKindsAndLocations) {
  auto tokens = lexAll("model m {\n  h = dense(128, activation=relu) # c\n}");
  using K = TokenKind;
  EXPECT_EQ(kinds(tokens),
            (std::vector<K>{K::KwModel, K::Identifier, K::LBrace, K::Identifier,
                            K::Equal, K::Identifier, K::LParen, K::Integer,
                            K::Comma, K::Identifier, K::Equal, K::Identifier,
                            K::RParen, K::RBrace, K::EndOfFile}));
  const Token &dense = tokens[5];
  EXPECT_EQ(dense.spelling, "dense");
  EXPECT_EQ(dense.loc.line, 2u);
  EXPECT_EQ(dense.loc.column, 7u);
  EXPECT_EQ(dense.end.column, 12u);
  EXPECT_EQ(tokens[7].intValue, 128);
  const Token &close = tokens[13];
  EXPECT_EQ(close.loc.line, 3u);
  EXPECT_EQ(close.loc.column, 1u);
}

TEST(DSLLexer, KeywordsAreWholeWords) {
  auto tokens = lexAll("model models input_x true false output train input");
  using K = TokenKind;
  EXPECT_EQ(kinds(tokens),
            (std::vector<K>{K::KwModel, K::Identifier, K::Identifier, K::KwTrue,
                            K::KwFalse, K::KwOutput, K::KwTrain, K::KwInput,
                            K::EndOfFile}));
}

TEST(DSLLexer, Numbers) {
  auto tokens = lexAll("0.001 1e-3 42 .5 2E+2 0");
  ASSERT_EQ(tokens.size(), 7u);
  EXPECT_TRUE(tokens[0].is(TokenKind::Float));
  EXPECT_DOUBLE_EQ(tokens[0].floatValue, 0.001);
  EXPECT_TRUE(tokens[1].is(TokenKind::Float));
  EXPECT_DOUBLE_EQ(tokens[1].floatValue, 0.001);
  EXPECT_TRUE(tokens[2].is(TokenKind::Integer));
  EXPECT_EQ(tokens[2].intValue, 42);
  EXPECT_DOUBLE_EQ(tokens[3].floatValue, 0.5);
  EXPECT_DOUBLE_EQ(tokens[4].floatValue, 200.0);
  EXPECT_EQ(tokens[5].intValue, 0);
}

TEST(DSLLexer, MinusIsItsOwnToken) {
  auto tokens = lexAll("axis=-1");
  using K = TokenKind;
  EXPECT_EQ(kinds(tokens), (std::vector<K>{K::Identifier, K::Equal, K::Minus,
                                           K::Integer, K::EndOfFile}));
}

TEST(DSLLexer, Strings) {
  auto tokens = lexAll(R"("a \"quoted\" \\ word\n")");
  ASSERT_TRUE(tokens[0].is(TokenKind::String));
  EXPECT_EQ(tokens[0].text, "a \"quoted\" \\ word\n");
}

struct BadToken {
  const char *source;
  const char *message;
  unsigned column;
};

class DSLLexerErrors : public testing::TestWithParam<BadToken> {};

TEST_P(DSLLexerErrors, ReportsMalformedTokens) {
  const BadToken &bad = GetParam();
  auto tokens = lexAll(bad.source);
  ASSERT_TRUE(tokens.back().is(TokenKind::Error)) << bad.source;
  EXPECT_EQ(tokens.back().text, bad.message);
  EXPECT_EQ(tokens.back().loc.column, bad.column);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DSLLexerErrors,
    testing::Values(
        BadToken{"dense(12abc)", "invalid number '12abc'", 7},
        BadToken{"x = 1.2.3", "invalid number '1.2.3'", 5},
        BadToken{"1.", "invalid number '1.'", 1},
        BadToken{"1e", "invalid number '1e'", 1},
        BadToken{"99999999999999999999",
                 "integer '99999999999999999999' is too large (the limit is "
                 "2^63 - 1)",
                 1},
        BadToken{"1e999", "number '1e999' is out of range", 1},
        BadToken{"dense @", "unexpected character '@'", 7},
        BadToken{"\"open", "unterminated string", 1},
        BadToken{"\"line\nbreak\"", "unterminated string", 1},
        BadToken{"\"a\\qb\"", "unknown escape '\\q' in string", 1},
        BadToken{"\x01",
                 "unexpected byte 0x1 (the DSL is plain ASCII outside "
                 "strings)",
                 1}));

TEST(DSLLexer, EndOfFileRepeats) {
  Lexer lexer("  # only a comment");
  EXPECT_TRUE(lexer.next().is(TokenKind::EndOfFile));
  EXPECT_TRUE(lexer.next().is(TokenKind::EndOfFile));
}

} // namespace
