//===- TextDataTest.cpp - CSV and text readers, the text pipeline, splits -===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "neurona/Data/Readers.h"
#include "neurona/Data/Source.h"
#include "neurona/Data/Text.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <set>

using namespace neurona;
using namespace neurona::data;
using namespace neurona::test;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

TEST(Csv, QuotesEscapesAndLineBreaks) {
  TempDir dir;
  // The house-sales file's quirks: quoted numbers, exponent notation, CRLF,
  // and a quoted field holding a comma, a quote and a line break.
  writeBytes(dir.path("t.csv"),
             "\xEF\xBB\xBFid,price,note\r\n"
             "\"0012\",1.225e+006,\"a, \"\"b\"\"\"\r\n"
             "\n"
             "7,2e+006,\"two\nlines\"\n"
             "8,3,plain");
  CsvTable t;
  ASSERT_TRUE(readCsv(dir.path("t.csv"), t).ok());
  ASSERT_EQ(t.columns, (std::vector<std::string>{"id", "price", "note"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][0], "0012");
  EXPECT_EQ(t.rows[0][2], "a, \"b\"");
  EXPECT_EQ(t.rows[1][2], "two\nlines");
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 4, 6}));

  Dataset ds;
  ASSERT_TRUE(csvDataset(t, {"price", {}, {"note"}}, ds).ok());
  EXPECT_EQ(ds.numSamples, 3);
  EXPECT_EQ(ds.featureShape, std::vector<int64_t>{1});
  EXPECT_EQ(ds.features, (std::vector<float>{12, 7, 8}));
  EXPECT_EQ(ds.targets, (std::vector<float>{1225000, 2000000, 3}));
}

TEST(Csv, ErrorsNameFileLineAndColumn) {
  TempDir dir;
  writeBytes(dir.path("a.csv"), "x,y\n1,2\n3\n");
  CsvTable t;
  Status s = readCsv(dir.path("a.csv"), t);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.getMessage(), "a.csv:3: 1 fields, but the header has 2"))
      << s.getMessage();

  writeBytes(dir.path("b.csv"), "x,y\n1,\"2\n");
  s = readCsv(dir.path("b.csv"), t);
  EXPECT_TRUE(contains(s.getMessage(), "b.csv:2: a quoted field is never closed"))
      << s.getMessage();

  writeBytes(dir.path("c.csv"), "x,x\n1,2\n");
  s = readCsv(dir.path("c.csv"), t);
  EXPECT_TRUE(contains(s.getMessage(), "names column 'x' twice"));

  writeBytes(dir.path("d.csv"), "x,y\n");
  s = readCsv(dir.path("d.csv"), t);
  EXPECT_TRUE(contains(s.getMessage(), "a header but no rows"));

  writeBytes(dir.path("e.csv"), "date,y\n20141013T000000,1\n");
  ASSERT_TRUE(readCsv(dir.path("e.csv"), t).ok());
  Dataset ds;
  s = csvDataset(t, {"y", {}, {}}, ds);
  EXPECT_TRUE(contains(s.getMessage(), "e.csv:2: column 'date' holds "
                                       "'20141013T000000', which is not a "
                                       "finite number"))
      << s.getMessage();
  s = csvDataset(t, {"price", {}, {}}, ds);
  EXPECT_TRUE(contains(s.getMessage(), "no column 'price'; the header has "
                                       "'date', 'y'"))
      << s.getMessage();
  s = csvDataset(t, {"y", {"y"}, {}}, ds);
  EXPECT_TRUE(contains(s.getMessage(), "is the target"));
}

//===----------------------------------------------------------------------===//
// Text files
//===----------------------------------------------------------------------===//

TEST(TextFiles, LabelledSentences) {
  TempDir dir;
  // U+0085 (C2 85) inside a sentence is not a line break; trailing spaces
  // before the TAB go; a TAB inside the sentence stays.
  writeBytes(dir.path("s.txt"), "Good\xC2\x85 film.  \t1\nbad\tworse\t0\n\n");
  LabelledTexts texts;
  ASSERT_TRUE(readLabelledSentences(dir.path("s.txt"), texts).ok());
  ASSERT_EQ(texts.texts.size(), 2u);
  EXPECT_EQ(texts.texts[0], "Good\xC2\x85 film.");
  EXPECT_EQ(texts.texts[1], "bad\tworse");
  EXPECT_EQ(texts.labels, (std::vector<int64_t>{1, 0}));

  writeBytes(dir.path("bad.txt"), "fine\t1\nno label here\n");
  Status s = readLabelledSentences(dir.path("bad.txt"), texts);
  EXPECT_TRUE(contains(s.getMessage(), "bad.txt:2: expected 'sentence<TAB>label'"))
      << s.getMessage();
  writeBytes(dir.path("bad2.txt"), "fine\tx\n");
  s = readLabelledSentences(dir.path("bad2.txt"), texts);
  EXPECT_TRUE(contains(s.getMessage(), "bad2.txt:1: the label after the last "
                                       "TAB is 'x'"));
  writeBytes(dir.path("empty.txt"), "\n \n");
  s = readLabelledSentences(dir.path("empty.txt"), texts);
  EXPECT_TRUE(contains(s.getMessage(), "empty.txt: the file is empty"));
}

TEST(TextFiles, LinesAndPairs) {
  TempDir dir;
  writeBytes(dir.path("pos"), "a fine film \nsecond \n");
  LabelledTexts texts;
  ASSERT_TRUE(readTextLines(dir.path("pos"), 1, texts).ok());
  EXPECT_EQ(texts.texts, (std::vector<std::string>{"a fine film", "second"}));
  EXPECT_EQ(texts.labels, (std::vector<int64_t>{1, 1}));

  writeBytes(dir.path("spa.txt"), "Go.\tVe.\nRun!\t¡Corre!\tCC-BY 2.0\n");
  std::vector<std::string> src, dst;
  ASSERT_TRUE(readSentencePairs(dir.path("spa.txt"), src, dst).ok());
  EXPECT_EQ(src, (std::vector<std::string>{"Go.", "Run!"}));
  EXPECT_EQ(dst, (std::vector<std::string>{"Ve.", "¡Corre!"}));
  writeBytes(dir.path("bad"), "Go.\n");
  Status s = readSentencePairs(dir.path("bad"), src, dst);
  EXPECT_TRUE(contains(s.getMessage(), "bad:1: expected 'source<TAB>target'"));
}

//===----------------------------------------------------------------------===//
// The text pipeline
//===----------------------------------------------------------------------===//

TEST(Text, NormalizeFiltersAndLowercases) {
  // Keras's filters, C1 controls (U+0096 is a mojibake dash in the imdb
  // file), Latin-1 capitals; the apostrophe and U+00D7 stay.
  EXPECT_EQ(Tokenizer::normalize("Don't STOP\xC2\x96now! \xC3\x81rbol \xC3\x97",
                                 true, true),
            "don't stop now  \xC3\xA1rbol \xC3\x97");
  EXPECT_EQ(Tokenizer::normalize("A-b", false, false), "A-b");
}

TEST(Text, SnowballStemming) {
  std::unique_ptr<Tokenizer> t;
  ASSERT_TRUE(Tokenizer::create({true, true, "english"}, t).ok());
  // Pairs from the Snowball English (Porter2) algorithm's description.
  EXPECT_EQ(t->tokenize("Running, generously; CARESSES ponies."),
            (std::vector<std::string>{"run", "generous", "caress", "poni"}));
  ASSERT_TRUE(Tokenizer::create({true, true, ""}, t).ok());
  EXPECT_EQ(t->tokenize("  Running,  ponies "),
            (std::vector<std::string>{"running", "ponies"}));

  Status s = Tokenizer::create({true, true, "klingon"}, t);
  EXPECT_TRUE(contains(s.getMessage(), "no Snowball stemmer for 'klingon'"));
  EXPECT_TRUE(contains(s.getMessage(), "english"));
}

TEST(Text, VocabularyBagOfWordsAndSequences) {
  std::vector<std::vector<std::string>> texts = {
      {"b", "a", "c"}, {"a", "b"}, {"a", "d"}};
  Vocabulary v;
  // Counts a:3 b:2 c:1 d:1; ties in byte order; room for 3 words.
  ASSERT_TRUE(Vocabulary::build(texts, 5, 1, v).ok());
  EXPECT_EQ(v.wordList(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(v.id("a"), 2);
  EXPECT_EQ(v.id("d"), Vocabulary::kUnknown);
  EXPECT_EQ(v.capacity(), 5);

  std::vector<float> bow(5);
  bagOfWords({"a", "a", "zz", "c"}, v, /*binary=*/false, bow.data());
  EXPECT_EQ(bow, (std::vector<float>{0, 1, 2, 0, 1}));
  bagOfWords({"a", "a", "zz", "c"}, v, /*binary=*/true, bow.data());
  EXPECT_EQ(bow, (std::vector<float>{0, 1, 1, 0, 1}));

  std::vector<int64_t> ids(4);
  idSequence({"b", "zz"}, v, 4, ids.data());
  EXPECT_EQ(ids, (std::vector<int64_t>{3, 1, 0, 0}));
  idSequence({"a", "b", "c", "a", "b"}, v, 4, ids.data());
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 3, 4, 2}));

  // Windows keep the last ids, padded at the start.
  std::vector<std::string> sentence = {"a", "b", "c", "a", "b"};
  idWindow(sentence.data(), 2, v, 4, ids.data());
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 0, 2, 3}));
  idWindow(sentence.data(), 5, v, 4, ids.data());
  EXPECT_EQ(ids, (std::vector<int64_t>{3, 4, 2, 3}));

  // encodeTokens dispatches on the form, as a deployed model's input.
  TextEncoding e;
  e.vocabularySize = v.capacity();
  e.binary = false;
  std::vector<float> counts(size_t(e.width()));
  encodeTokens(e, {"b", "b", "zz"}, v, counts.data());
  EXPECT_EQ(counts, (std::vector<float>{0, 1, 0, 2, 0}));
  e.form = TextEncoding::Form::Window;
  e.length = 3;
  encodeTokens(e, sentence, v, ids.data());
  EXPECT_EQ(std::vector<int64_t>(ids.begin(), ids.begin() + 3),
            (std::vector<int64_t>{4, 2, 3}));
  TextEncoding::Form form;
  EXPECT_TRUE(TextEncoding::parseForm("sequence", form));
  EXPECT_EQ(form, TextEncoding::Form::Sequence);
  EXPECT_TRUE(TextEncoding::parseForm("decoder", form));
  EXPECT_EQ(form, TextEncoding::Form::Decoder);

  // A decoder input: <start>, then the words, cut to the length.
  Vocabulary target;
  ASSERT_TRUE(
      Vocabulary::fromWords({"<start>", "<end>", "hola", "mundo"}, 8, target)
          .ok());
  e.form = TextEncoding::Form::Decoder;
  e.length = 4;
  encodeTokens(e, {"hola", "zz"}, target, ids.data());
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 4, 1, 0}));
  encodeTokens(e, {"hola", "mundo", "hola", "mundo"}, target, ids.data());
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 4, 5, 4}));
  EXPECT_FALSE(TextEncoding::parseForm("tfidf", form));

  ASSERT_TRUE(Vocabulary::build(texts, 100, 2, v).ok());
  EXPECT_EQ(v.wordList(), (std::vector<std::string>{"a", "b"}));
  Status s = Vocabulary::build(texts, 100, 5, v);
  EXPECT_TRUE(contains(s.getMessage(), "empty vocabulary"));
  s = Vocabulary::build({{}, {}}, 100, 1, v);
  EXPECT_TRUE(contains(s.getMessage(), "the training texts hold no tokens"));
  s = Vocabulary::build(texts, 2, 1, v);
  EXPECT_TRUE(contains(s.getMessage(), "size >= 3"));
}

//===----------------------------------------------------------------------===//
// Preparation: splits, statistics, text vectors
//===----------------------------------------------------------------------===//

TEST(Source, PermutationIsFixedAndComplete) {
  std::vector<int64_t> p = permutation(1000, 7);
  EXPECT_EQ(p, permutation(1000, 7));
  EXPECT_NE(p, permutation(1000, 8));
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i)
    ASSERT_EQ(sorted[size_t(i)], i);
}

TEST(Source, CsvSplitAndStatistics) {
  TempDir dir;
  std::string csv = "x,big,y\n";
  for (int i = 0; i < 100; ++i)
    csv += std::to_string(i) + "," + std::to_string(1000000000 + i) + "," +
           std::to_string(2 * i) + "\n";
  writeBytes(dir.path("d.csv"), csv);
  DataSpec spec;
  spec.kind = DataSpec::Kind::Csv;
  spec.paths = {dir.path("d.csv")};
  spec.csv.target = "y";
  spec.testSplit = 0.2;
  spec.splitSeed = 3;
  spec.standardize = true;
  PreparedData data;
  ASSERT_TRUE(prepareData(spec, true, data).ok());
  ASSERT_TRUE(data.hasTest);
  EXPECT_EQ(data.train.numSamples, 80);
  EXPECT_EQ(data.test.numSamples, 20);
  // Every row lands in exactly one set, with its own target.
  std::vector<int> seen(100, 0);
  for (const Dataset *set : {&data.train, &data.test})
    for (int64_t i = 0; i < set->numSamples; ++i) {
      int x = int(set->features[size_t(2 * i)]);
      EXPECT_EQ(set->targets[size_t(i)], 2.0f * float(x));
      ++seen[size_t(x)];
    }
  for (int c : seen)
    EXPECT_EQ(c, 1);
  // Statistics of the training split only, against a direct computation.
  double mean = 0, var = 0;
  for (int64_t i = 0; i < 80; ++i)
    mean += data.train.features[size_t(2 * i)];
  mean /= 80;
  for (int64_t i = 0; i < 80; ++i)
    var += std::pow(data.train.features[size_t(2 * i)] - mean, 2);
  EXPECT_NEAR(data.mean[0], mean, 1e-4);
  EXPECT_NEAR(data.stddev[0], std::sqrt(var / 80), 1e-4);
  // A 1e9 offset loses nothing: float rounds the column to multiples of 64,
  // so its deviation is close to x's, not zero or huge.
  EXPECT_GT(data.stddev[1], 10);
  EXPECT_LT(data.stddev[1], 60);

  spec.testSplit = 0.001;
  Status s = prepareData(spec, true, data);
  EXPECT_TRUE(contains(s.getMessage(), "leaves one of the sets empty"));
}

TEST(Source, BagOfWordsFromTrainingSplitOnly) {
  TempDir dir;
  writeBytes(dir.path("neg"), "bad awful\nawful plot\nbad\nboring\n");
  writeBytes(dir.path("pos"), "good fine\ngreat good\nfine\nsuperb\n");
  DataSpec spec;
  spec.kind = DataSpec::Kind::TextFiles;
  spec.paths = {dir.path("neg"), dir.path("pos")};
  spec.vocabularySize = 16;
  spec.testSplit = 0.25;
  PreparedData data;
  ASSERT_TRUE(prepareData(spec, true, data).ok());
  EXPECT_EQ(data.train.numSamples, 6);
  EXPECT_EQ(data.test.numSamples, 2);
  EXPECT_EQ(data.train.featureShape, std::vector<int64_t>{16});
  // The test texts' words that occur nowhere in training are unknown.
  std::set<std::string> trainWords(data.vocabulary.wordList().begin(),
                                   data.vocabulary.wordList().end());
  int64_t unknownInTest = 0;
  for (int64_t i = 0; i < data.test.numSamples; ++i)
    unknownInTest += int64_t(data.test.features[size_t(i * 16 + 1)]);
  EXPECT_LT(trainWords.size(), 8u);
  EXPECT_GT(unknownInTest + int64_t(trainWords.size()), 0);
  // Labels follow the file order of `paths`.
  for (int64_t i = 0; i < data.train.numSamples; ++i)
    EXPECT_TRUE(data.train.labels[size_t(i)] == 0 ||
                data.train.labels[size_t(i)] == 1);

  spec.vocabularySize = 0;
  Status s = prepareData(spec, true, data);
  EXPECT_TRUE(contains(s.getMessage(), "needs a vocabulary size"));
}

TEST(Source, IdSequencesPaddedAtTheEnd) {
  TempDir dir;
  writeBytes(dir.path("neg"), "bad bad plot\nbad\n");
  writeBytes(dir.path("pos"), "good good good film\ngood\n");
  DataSpec spec;
  spec.kind = DataSpec::Kind::TextFiles;
  spec.paths = {dir.path("neg"), dir.path("pos")};
  spec.vocabularySize = 16;
  spec.textForm = DataSpec::TextForm::Sequences;
  spec.length = 3;
  PreparedData data;
  ASSERT_TRUE(prepareData(spec, true, data).ok());
  ASSERT_TRUE(data.train.validate().ok());
  EXPECT_TRUE(data.train.integerFeatures);
  EXPECT_TRUE(data.train.features.empty());
  EXPECT_EQ(data.train.featureShape, std::vector<int64_t>{3});
  int64_t good = data.vocabulary.id("good"), bad = data.vocabulary.id("bad");
  int64_t plot = data.vocabulary.id("plot"), film = data.vocabulary.id("film");
  EXPECT_EQ(data.train.ids,
            (std::vector<int64_t>{bad, bad, plot, bad, 0, 0, good, good, good,
                                  good, 0, 0}));
  EXPECT_NE(film, Vocabulary::kUnknown); // cut at 3, but in the vocabulary
  EXPECT_EQ(data.train.labels, (std::vector<int64_t>{0, 0, 1, 1}));
}

TEST(Source, NextWordWindowsStayInsideSentences) {
  TempDir dir;
  writeBytes(dir.path("a"), "a b c d\t0\ne f\t1\n");
  DataSpec spec;
  spec.kind = DataSpec::Kind::LabelledSentences;
  spec.paths = {dir.path("a")};
  spec.vocabularySize = 16;
  spec.textForm = DataSpec::TextForm::NextWord;
  spec.length = 2;
  PreparedData data;
  ASSERT_TRUE(prepareData(spec, true, data).ok());
  ASSERT_TRUE(data.train.validate().ok());
  auto id = [&](const char *w) { return data.vocabulary.id(w); };
  // a b c d -> (_ a | b), (a b | c), (b c | d); e f -> (_ e | f).
  EXPECT_EQ(data.train.numSamples, 4);
  EXPECT_EQ(data.train.ids,
            (std::vector<int64_t>{0, id("a"), id("a"), id("b"), id("b"),
                                  id("c"), 0, id("e")}));
  EXPECT_EQ(data.train.labels,
            (std::vector<int64_t>{id("b"), id("c"), id("d"), id("f")}));
  EXPECT_EQ(data.trainIndices, (std::vector<int64_t>{0, 0, 0, 1}));
}

} // namespace
