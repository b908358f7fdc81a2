//===- ManifestTest.cpp - Tests of the manifest parser --------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include "gtest/gtest.h"

#include <random>

using namespace neurona;
using namespace neurona::runtime;

static const char *goodManifest =
    "neurona-manifest 1\n"
    "model mlp\n"
    "train loss=cross_entropy optimizer=adam lr=0.001 batch=64 epochs=5 "
    "metric=accuracy metric=loss\n"
    "param dense0.weight f32 784x128 glorot_uniform\n"
    "param dense0.bias f32 128 zeros\n"
    "param scale f64 scalar ones\n"
    "state adam.m.dense0.weight f32 784x128\n"
    "entry forward\n"
    "arg input x f32 ?x784\n"
    "arg param dense0.weight f32 784x128\n"
    "arg param dense0.bias f32 128\n"
    "arg param scale f64 scalar\n"
    "arg output y f32 ?x128\n"
    "entry train_step\n"
    "arg input x f32 ?x784\n"
    "arg target label i64 ?\n"
    "arg hyper lr f32 scalar\n"
    "arg param dense0.weight f32 784x128\n"
    "arg state adam.m.dense0.weight f32 784x128\n"
    "arg loss loss f32 scalar\n"
    "arg output y f32 ?x128\n"
    "arg param_out dense0.weight f32 784x128\n"
    "arg state_out adam.m.dense0.weight f32 784x128\n"
    "end\n";

TEST(ManifestTest, ParsesAWellFormedManifest) {
  Manifest m;
  Status s = parseManifest(goodManifest, "test", m);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  EXPECT_EQ(m.prefix, "mlp");
  ASSERT_EQ(m.train.size(), 7u);
  EXPECT_EQ(*m.findTrain("metric"), "accuracy"); // repeated keys are kept
  EXPECT_EQ(m.train[6].second, "loss");
  EXPECT_EQ(*m.findTrain("loss"), "cross_entropy");
  EXPECT_EQ(*m.findTrain("lr"), "0.001");
  EXPECT_EQ(m.findTrain("momentum"), nullptr);
  ASSERT_EQ(m.params.size(), 3u);
  EXPECT_EQ(m.params[0].name, "dense0.weight");
  EXPECT_EQ(m.params[0].type.shape, (std::vector<int64_t>{784, 128}));
  EXPECT_EQ(m.params[0].init, NR_INIT_GLOROT_UNIFORM);
  EXPECT_EQ(m.params[2].type.dtype, NR_F64);
  EXPECT_TRUE(m.params[2].type.shape.empty());
  ASSERT_EQ(m.states.size(), 1u);
  ASSERT_EQ(m.entries.size(), 2u);
  const EntryDecl *fwd = m.findEntry("forward");
  ASSERT_NE(fwd, nullptr);
  ASSERT_EQ(fwd->args.size(), 5u);
  EXPECT_EQ(fwd->args[0].type.shape, (std::vector<int64_t>{-1, 784}));
  EXPECT_EQ(fwd->args[1].role, NR_ROLE_PARAM);
  EXPECT_EQ(fwd->args[1].ref, 0);
  EXPECT_EQ(fwd->args[3].ref, 2);
  const EntryDecl *step = m.findEntry("train_step");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->args[1].type.dtype, NR_I64);
  EXPECT_EQ(step->args[1].type.shape, (std::vector<int64_t>{-1}));
  EXPECT_EQ(step->args[4].role, NR_ROLE_STATE);
  EXPECT_EQ(step->args[4].ref, 0);
  EXPECT_EQ(step->args[8].role, NR_ROLE_STATE_OUT);
}

TEST(ManifestTest, AcceptsMissingFinalNewlineAndNoTrainLine) {
  Manifest m;
  Status s = parseManifest("neurona-manifest 1\nmodel m\nentry f\n"
                           "arg input x f32 ?x2\narg output y f32 ?x2\nend",
                           "test", m);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  EXPECT_FALSE(m.hasTrain);
  EXPECT_TRUE(m.params.empty());
}

TEST(ManifestTest, TakesF16AndEmptyEntryArguments) {
  // An entry argument may have size 0 (an ONNX input that only carries a
  // type); "param w f32 0x2" stays an error (MalformedManifestTest).
  Manifest m;
  Status s = parseManifest("neurona-manifest 1\nmodel m\nentry f\n"
                           "arg input x f16 ?x2\narg input like bf16 0\n"
                           "arg output y bf16 ?x2\nend\n",
                           "test", m);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  const EntryDecl *f = m.findEntry("f");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->args[0].type.dtype, NR_F16);
  EXPECT_EQ(f->args[1].type.dtype, NR_BF16);
  EXPECT_EQ(f->args[1].type.shape, (std::vector<int64_t>{0}));
}

namespace {
struct BadCase {
  const char *text;
  const char *expected; // substring of the error, including "test:<line>:"
};

// Readable test names in failure reports.
void PrintTo(const BadCase &c, std::ostream *os) {
  *os << "expecting \"" << c.expected << "\"";
}
} // namespace

class MalformedManifestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedManifestTest, IsRejectedWithALineNumber) {
  Manifest m;
  Status s = parseManifest(GetParam().text, "test", m);
  ASSERT_FALSE(s.ok()) << "accepted: " << GetParam().text;
  EXPECT_EQ(s.getCode(), NR_ERROR_FORMAT);
  EXPECT_NE(s.getMessage().find(GetParam().expected), std::string::npos)
      << "message: " << s.getMessage();
}

#define HDR "neurona-manifest 1\nmodel m\n"
#define FWD "entry f\narg input x f32 ?x2\narg output y f32 ?x2\n"

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedManifestTest,
    ::testing::Values(
        BadCase{"", "empty manifest"},
        BadCase{"hello\n", "test:1: not a Neurona manifest"},
        BadCase{"neurona-manifest 2\nmodel m\nend\n",
                "test:1: unsupported manifest version '2'"},
        BadCase{"neurona-manifest 1\nentry f\nend\n",
                "test:2: 'entry' before the 'model' record"},
        BadCase{"neurona-manifest 1\nmodel 9m\n", "not a C identifier"},
        BadCase{HDR "model m\n", "test:3: duplicate 'model'"},
        BadCase{HDR FWD, "missing 'end'"},
        BadCase{HDR "end\n", "declares no entry"},
        BadCase{HDR FWD "end\nentry g\n", "test:7: 'entry' after 'end'"},
        BadCase{HDR "\n" FWD "end\n", "test:3: empty line"},
        BadCase{HDR "param  w f32 2 zeros\n" FWD "end\n",
                "test:3: empty field"},
        BadCase{HDR "param w f32 2 zeros \n" FWD "end\n", "empty field"},
        BadCase{HDR "param w f8 2 zeros\n" FWD "end\n",
                "test:3: unknown dtype 'f8'"},
        BadCase{HDR "param w f32 0x2 zeros\n" FWD "end\n", "bad dimension '0'"},
        BadCase{HDR "param w f32 2x zeros\n" FWD "end\n", "bad dimension ''"},
        BadCase{HDR "param w f32 -2 zeros\n" FWD "end\n", "bad dimension"},
        BadCase{HDR "param w f32 ?x2 zeros\n" FWD "end\n",
                "parameters and state must have static shapes"},
        BadCase{HDR "param w f32 99999999999999x99999999999999 zeros\n" FWD
                    "end\n",
                "bad dimension"},
        BadCase{HDR "param w f32 1000000x1000000x1000000 zeros\n" FWD "end\n",
                "too large"},
        BadCase{HDR "param w f32 1x1x1x1x1x1x1x1x1 zeros\n" FWD "end\n",
                "rank above 8"},
        BadCase{HDR "param w f32 2 random\n" FWD "end\n",
                "unknown initializer 'random'"},
        BadCase{HDR "param w i32 2 glorot_uniform\n" FWD "end\n",
                "needs a float param"},
        BadCase{HDR "param w f32 2 zeros\nparam w f32 2 zeros\n" FWD "end\n",
                "test:4: duplicate param 'w'"},
        BadCase{HDR "param w f32 2\n" FWD "end\n", "'param' takes 4 field(s)"},
        BadCase{HDR "train lr\n" FWD "end\n", "is not key=value"},
        BadCase{HDR "arg input x f32 2\nend\n", "'arg' before any 'entry'"},
        BadCase{HDR "entry f\narg weird x f32 2\nend\n",
                "test:4: unknown role 'weird'"},
        BadCase{HDR "entry f\narg input x f32 2x?\nend\n",
                "only the first (batch) dimension"},
        BadCase{HDR "entry f\narg output y f32 2\narg input x f32 2\nend\n",
                "test:5: entry 'f': argument 'x' with an input role follows "
                "a result"},
        BadCase{HDR "entry f\narg input x f32 2\narg input x f32 2\nend\n",
                "duplicate input 'x'"},
        BadCase{HDR "entry f\narg param w f32 2\nend\n",
                "names no declared param"},
        BadCase{HDR "param w f32 2 zeros\nentry f\narg param w f32 3\nend\n",
                "is f32 [3] but is declared f32 [2]"},
        BadCase{HDR "param w f32 2 zeros\nentry f\narg input x f32 2\n"
                    "arg param_out w f32 2\narg param_out w f32 2\nend\n",
                "test:7: entry 'f': duplicate result 'w'"},
        BadCase{HDR "entry f\narg state s f32 2\nend\n",
                "names no declared state"},
        BadCase{HDR "entry f\narg input x f32 2\narg output y f32 ?x2\nend\n",
                "test:3: entry 'f': result 'y' has a dynamic batch dimension "
                "but no input does"},
        BadCase{HDR "entry f\narg input x f32 ?x2\narg loss l f32 2\nend\n",
                "must be an f32 or f64 scalar"},
        BadCase{HDR "entry f-g\nend\n", "is not a C identifier"},
        BadCase{HDR FWD "entry f\nend\n", "duplicate entry 'f'"},
        BadCase{HDR "param w f32 2 zeros\n" FWD "param v f32 2 zeros\nend\n",
                "'param' after the first 'entry'"},
        BadCase{HDR "frobnicate\n" FWD "end\n", "test:3: unknown record"},
        BadCase{HDR FWD "end extra\n", "'end' takes 0 field(s)"},
        BadCase{HDR "text x bag_of_words vocab=2\n" FWD "end\n",
                "test:3: 'text' of 'x' needs vocab=<size> of at least 3"},
        BadCase{HDR "text x bag_of_words\n" FWD "end\n", "'text' needs"},
        BadCase{HDR "text x tfidf vocab=4\n" FWD "end\n",
                "unknown text form 'tfidf'"},
        BadCase{HDR "text x sequence vocab=4\n" FWD "end\n",
                "needs length=<ids per text>"},
        BadCase{HDR "text x bag_of_words vocab=4 binary=yes\n" FWD "end\n",
                "binary must be true or false"},
        BadCase{HDR "text x bag_of_words vocab=4 colour=red\n" FWD "end\n",
                "unknown text setting 'colour'"},
        BadCase{HDR "text x bag_of_words vocab=2\ntext x bag_of_words "
                    "vocab=2\n" FWD "end\n",
                "at least 3"},
        BadCase{HDR "vocabulary x a\n" FWD "end\n",
                "'vocabulary' of 'x' before its 'text' record"},
        BadCase{HDR "text x bag_of_words vocab=3\nvocabulary x a b\n" FWD
                    "end\n",
                "test:4: vocabulary of 'x': 2 words do not fit"},
        BadCase{HDR "text x bag_of_words vocab=4\nvocabulary x a a\n" FWD
                    "end\n",
                "holds 'a' twice"},
        BadCase{HDR "text x bag_of_words vocab=2\n" FWD "end\n",
                "at least 3"},
        BadCase{HDR "text x bag_of_words vocab=3\n" FWD "end\n",
                "text input 'x' of entry 'f' is f32 [?, 2], its encoding "
                "makes f32 [?, 3]"},
        BadCase{HDR "text z bag_of_words vocab=2\n" FWD "end\n",
                "at least 3"},
        BadCase{HDR "text z bag_of_words vocab=3\n" FWD "end\n",
                "'text' names 'z', which no entry takes as an input"}));

TEST(ManifestTest, ParsesTextInputs) {
  Manifest m;
  Status s = parseManifest(
      HDR "text x window vocab=5 length=2 filter=false stem=english\n"
          "vocabulary x the cat\n"
          "entry f\narg input x i64 ?x2\narg output y f32 ?x5\nend\n",
      "test", m);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  ASSERT_EQ(m.texts.size(), 1u);
  const TextDecl &t = m.texts[0];
  EXPECT_EQ(t.input, "x");
  EXPECT_EQ(t.encoding.form, data::TextEncoding::Form::Window);
  EXPECT_EQ(t.encoding.vocabularySize, 5);
  EXPECT_EQ(t.encoding.width(), 2);
  EXPECT_FALSE(t.encoding.options.filter);
  EXPECT_TRUE(t.encoding.options.lowercase);
  EXPECT_EQ(t.encoding.options.stem, "english");
  ASSERT_TRUE(t.hasVocabulary);
  EXPECT_EQ(t.words, (std::vector<std::string>{"the", "cat"}));
  EXPECT_EQ(m.findText("x"), 0);
  EXPECT_EQ(m.findText("y"), -1);
}

TEST(ManifestTest, SurvivesRandomCorruption) {
  // Hostile input must produce errors, never crashes: flip, drop and insert
  // bytes of a good manifest many times.
  std::mt19937 rng(1234);
  std::string good = goodManifest;
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = good;
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % text.size();
      switch (rng() % 3) {
      case 0:
        text[pos] = char(rng() % 256);
        break;
      case 1:
        text.erase(pos, 1 + rng() % 8);
        break;
      default:
        text.insert(pos, 1, " x?\n0"[rng() % 5]);
        break;
      }
      if (text.empty())
        text = "x";
    }
    Manifest m;
    Status s = parseManifest(text, "fuzz", m);
    if (s.ok())
      ++accepted;
    else
      EXPECT_EQ(s.getMessage().rfind("fuzz", 0), 0u) << s.getMessage();
  }
  // Some edits are harmless (e.g. inside a train value); most are not.
  EXPECT_LT(accepted, 1500);
}
