//===- Source.cpp - A model's data, from files to sets --------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Data/Source.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sys/stat.h>

using namespace neurona;
using namespace neurona::data;

std::vector<int64_t> neurona::data::permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    order[size_t(i)] = i;
  std::mt19937_64 engine(seed);
  for (uint64_t i = uint64_t(n); i > 1; --i) {
    // Rejection sampling removes modulo bias.
    uint64_t limit = UINT64_MAX - UINT64_MAX % i;
    uint64_t x;
    do
      x = engine();
    while (x >= limit);
    std::swap(order[i - 1], order[x % i]);
  }
  return order;
}

Dataset neurona::data::selectSamples(const Dataset &set,
                                     const std::vector<int64_t> &indices) {
  Dataset out;
  out.numSamples = int64_t(indices.size());
  out.featureShape = set.featureShape;
  out.targetKind = set.targetKind;
  out.targetShape = set.targetShape;
  int64_t f = set.featureSize(), t = set.targetSize();
  out.integerFeatures = set.integerFeatures;
  (set.integerFeatures ? out.ids.reserve(indices.size() * size_t(f))
                       : out.features.reserve(indices.size() * size_t(f)));
  for (const IdsInput &input : set.moreInputs)
    out.moreInputs.push_back({input.shape, {}});
  for (int64_t i : indices) {
    if (set.integerFeatures) {
      const int64_t *x = set.sampleIds(i);
      out.ids.insert(out.ids.end(), x, x + f);
    } else {
      const float *x = set.sampleFeatures(i);
      out.features.insert(out.features.end(), x, x + f);
    }
    for (size_t k = 0; k < set.moreInputs.size(); ++k) {
      const IdsInput &input = set.moreInputs[k];
      size_t m = input.ids.size() / size_t(std::max<int64_t>(set.numSamples, 1));
      out.moreInputs[k].ids.insert(out.moreInputs[k].ids.end(),
                                   input.ids.begin() + long(size_t(i) * m),
                                   input.ids.begin() + long(size_t(i + 1) * m));
    }
    if (set.targetKind == TargetKind::Labels)
      out.labels.push_back(set.labels[size_t(i)]);
    else if (set.targetKind == TargetKind::SequenceLabels)
      out.labels.insert(out.labels.end(), set.labels.begin() + i * t,
                        set.labels.begin() + (i + 1) * t);
    else
      out.targets.insert(out.targets.end(), set.targets.begin() + i * t,
                         set.targets.begin() + (i + 1) * t);
  }
  return out;
}

/// Splits `n` samples into (train, test) index lists: the test set is the
/// last round(n * fraction) of a seeded permutation; both lists are sorted,
/// so each set keeps the file's order.
static void splitIndices(int64_t n, double fraction, uint64_t seed,
                         std::vector<int64_t> &train,
                         std::vector<int64_t> &test) {
  std::vector<int64_t> order = permutation(n, seed);
  int64_t numTest = int64_t(std::llround(double(n) * fraction));
  train.assign(order.begin(), order.end() - numTest);
  test.assign(order.end() - numTest, order.end());
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
}

std::string neurona::data::idxFile(const std::string &dir,
                                  const std::string &name) {
  std::string path = dir.empty() || dir.back() == '/' ? dir + name
                                                      : dir + "/" + name;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    path += ".gz";
  return path;
}

static Status checkSplit(const DataSpec &spec, int64_t n,
                         const std::string &what) {
  if (spec.testSplit < 0 || spec.testSplit >= 1)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "the test split must lie in [0, 1), got " +
                             std::to_string(spec.testSplit));
  int64_t numTest = int64_t(std::llround(double(n) * spec.testSplit));
  if (spec.testSplit > 0 && (numTest == 0 || numTest == n))
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         what + ": a test split of " +
                             std::to_string(spec.testSplit) + " of " +
                             std::to_string(n) +
                             " samples leaves one of the sets empty");
  return Status::success();
}

/// The sample numbers of each set of `n` samples: the spec's seeded test
/// split (splitIndices), or every sample in training and none in test.
static Status chooseSamples(const DataSpec &spec, int64_t n,
                            const std::string &what,
                            std::vector<int64_t> &train,
                            std::vector<int64_t> &test) {
  if (Status s = checkSplit(spec, n, what); !s)
    return s;
  if (spec.testSplit > 0) {
    splitIndices(n, spec.testSplit, spec.splitSeed, train, test);
    return Status::success();
  }
  train.resize(size_t(n));
  std::iota(train.begin(), train.end(), 0);
  test.clear();
  return Status::success();
}

/// Splits a whole dataset into out.train and out.test by the spec.
static Status splitDataset(const DataSpec &spec, Dataset all,
                           const std::string &what, PreparedData &out) {
  if (Status s = chooseSamples(spec, all.numSamples, what, out.trainIndices,
                               out.testIndices);
      !s)
    return s;
  if (out.testIndices.empty()) {
    out.train = std::move(all);
    return Status::success();
  }
  out.train = selectSamples(all, out.trainIndices);
  out.test = selectSamples(all, out.testIndices);
  out.hasTest = true;
  return Status::success();
}

static Status loadIdxSource(const DataSpec &spec, bool flatten,
                            PreparedData &out) {
  const std::string &dir = spec.paths.at(0);
  Dataset all;
  if (Status s = loadIdx(idxFile(dir, "train-images-idx3-ubyte"),
                         idxFile(dir, "train-labels-idx1-ubyte"), flatten,
                         all);
      !s)
    return s;
  if (Status s = splitDataset(spec, std::move(all), dir, out); !s)
    return s;
  if (spec.testSplit > 0)
    return Status::success();
  std::string testImages = idxFile(dir, "t10k-images-idx3-ubyte");
  struct stat st;
  if (::stat(testImages.c_str(), &st) == 0) {
    if (Status s = loadIdx(testImages, idxFile(dir, "t10k-labels-idx1-ubyte"),
                           flatten, out.test);
        !s)
      return s;
    // The test files are a source of their own.
    out.testIndices.resize(size_t(out.test.numSamples));
    std::iota(out.testIndices.begin(), out.testIndices.end(), 0);
    out.hasTest = true;
  }
  return Status::success();
}

TextEncoding DataSpec::textEncoding() const {
  TextEncoding e;
  e.form = textForm == TextForm::BagOfWords ? TextEncoding::Form::BagOfWords
           : textForm == TextForm::NextWord ? TextEncoding::Form::Window
                                            : TextEncoding::Form::Sequence;
  e.options = text;
  e.vocabularySize = vocabularySize;
  e.length = length;
  e.binary = binary;
  return e;
}

std::vector<TextEncoding> DataSpec::textEncodings() const {
  if (kind != Kind::LabelledSentences && kind != Kind::TextFiles &&
      kind != Kind::SentencePairs)
    return {};
  std::vector<TextEncoding> encodings{textEncoding()};
  if (kind == Kind::SentencePairs) {
    TextEncoding target = encodings.front();
    target.form = TextEncoding::Form::Decoder;
    target.vocabularySize = targetVocabularySize;
    target.length = targetLength;
    encodings.push_back(target);
  }
  return encodings;
}

/// Texts to bag-of-words vectors over a vocabulary of the training split.
static Status vectorizeTexts(const DataSpec &spec, const LabelledTexts &texts,
                             const std::string &what, PreparedData &out) {
  if (spec.vocabularySize <= 0)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         what + ": text needs a vocabulary size "
                                "(bag_of_words(vocab=N))");
  int64_t n = int64_t(texts.texts.size());
  std::vector<int64_t> train, test;
  if (Status s = chooseSamples(spec, n, what, train, test); !s)
    return s;

  std::unique_ptr<Tokenizer> tokenizer;
  if (Status s = Tokenizer::create(spec.text, tokenizer); !s)
    return s;
  std::vector<std::vector<std::string>> tokens(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    tokens[size_t(i)] = tokenizer->tokenize(texts.texts[size_t(i)]);
  std::vector<std::vector<std::string>> trainTokens;
  for (int64_t i : train)
    trainTokens.push_back(tokens[size_t(i)]);
  Status built = spec.savedVocabulary
                     ? Vocabulary::fromWords(spec.vocabularyWords,
                                             spec.vocabularySize,
                                             out.vocabulary)
                     : Vocabulary::build(trainTokens, spec.vocabularySize,
                                         spec.minCount, out.vocabulary);
  if (!built)
    return built.withContext(what);

  // Next-word samples: the text each window came from.
  std::vector<int64_t> origins;
  auto build = [&](const std::vector<int64_t> &indices, Dataset &set) {
    set.targetKind = TargetKind::Labels;
    origins.clear();
    if (spec.textForm == DataSpec::TextForm::Sequences) {
      int64_t length = spec.length;
      set.numSamples = int64_t(indices.size());
      set.featureShape = {length};
      set.integerFeatures = true;
      set.ids.assign(indices.size() * size_t(length), Vocabulary::kPad);
      for (size_t k = 0; k < indices.size(); ++k) {
        idSequence(tokens[size_t(indices[k])], out.vocabulary, length,
                   set.ids.data() + k * size_t(length));
        set.labels.push_back(texts.labels[size_t(indices[k])]);
      }
      return;
    }
    if (spec.textForm == DataSpec::TextForm::NextWord) {
      // Windows are cut within each sentence of the set, so no window
      // spans two sentences or the train/test boundary.
      int64_t window = spec.length;
      set.numSamples = 0;
      set.featureShape = {window};
      set.integerFeatures = true;
      for (int64_t i : indices) {
        // The same windows a deployed model makes of raw text (idWindow).
        const std::vector<std::string> &words = tokens[size_t(i)];
        for (size_t p = 1; p < words.size(); ++p) {
          size_t at = set.ids.size();
          set.ids.resize(at + size_t(window));
          idWindow(words.data(), p, out.vocabulary, window,
                   set.ids.data() + at);
          set.labels.push_back(out.vocabulary.id(words[p]));
          origins.push_back(i);
          ++set.numSamples;
        }
      }
      return;
    }
    int64_t width = out.vocabulary.capacity();
    set.numSamples = int64_t(indices.size());
    set.featureShape = {width};
    set.targetKind = TargetKind::Labels;
    set.features.assign(indices.size() * size_t(width), 0.0f);
    for (size_t k = 0; k < indices.size(); ++k) {
      bagOfWords(tokens[size_t(indices[k])], out.vocabulary, spec.binary,
                 set.features.data() + k * size_t(width));
      set.labels.push_back(texts.labels[size_t(indices[k])]);
    }
  };
  bool windows = spec.textForm == DataSpec::TextForm::NextWord;
  build(train, out.train);
  out.trainIndices = windows ? origins : train;
  out.testIndices = test;
  if (!test.empty()) {
    build(test, out.test);
    if (windows)
      out.testIndices = origins;
    out.hasTest = true;
  }
  return Status::success();
}

/// Translation pairs to (source ids, decoder input ids, label ids); see
/// DataSpec::TextForm::Translation.
static Status prepareTranslation(const DataSpec &spec,
                                 const std::vector<std::string> &sources,
                                 const std::vector<std::string> &targets,
                                 const std::string &what, PreparedData &out) {
  if (spec.length <= 0 || spec.targetLength < 2 || spec.vocabularySize < 3 ||
      spec.targetVocabularySize < 5)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         what + ": translation needs source and target "
                                "lengths and vocabularies (a target length "
                                "of at least 2, a target vocabulary of at "
                                "least 5 ids)");
  std::unique_ptr<Tokenizer> tokenizer;
  if (Status s = Tokenizer::create(spec.text, tokenizer); !s)
    return s;
  // Pairs that fit, as token lists; the target framed by <start>, <end>.
  std::vector<std::vector<std::string>> src, tgt;
  std::vector<int64_t> kept; // the pairs' numbers in the file
  size_t n = sources.size();
  if (spec.limit > 0)
    n = std::min(n, size_t(spec.limit));
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> s = tokenizer->tokenize(sources[i]);
    std::vector<std::string> t = tokenizer->tokenize(targets[i]);
    if (s.empty() || t.empty() || int64_t(s.size()) > spec.length ||
        int64_t(t.size()) + 1 > spec.targetLength) {
      ++out.dropped;
      continue;
    }
    t.insert(t.begin(), kStartWord);
    t.push_back(kEndWord);
    src.push_back(std::move(s));
    tgt.push_back(std::move(t));
    kept.push_back(int64_t(i));
  }
  std::vector<int64_t> train, test;
  if (Status s = chooseSamples(spec, int64_t(src.size()), what, train, test);
      !s)
    return s;
  std::vector<std::vector<std::string>> trainSrc, trainTgt;
  for (int64_t i : train) {
    trainSrc.push_back(src[size_t(i)]);
    trainTgt.push_back(tgt[size_t(i)]);
  }
  if (Status s = Vocabulary::build(trainSrc, spec.vocabularySize,
                                   spec.minCount, out.vocabulary);
      !s)
    return s.withContext(what + " (source vocabulary)");
  if (Status s = Vocabulary::build(trainTgt, spec.targetVocabularySize,
                                   spec.minCount, out.targetVocabulary);
      !s)
    return s.withContext(what + " (target vocabulary)");
  if (out.targetVocabulary.id(kStartWord) == Vocabulary::kUnknown ||
      out.targetVocabulary.id(kEndWord) == Vocabulary::kUnknown)
    return Status::error(NR_ERROR_INTERNAL,
                         what + ": <start> and <end> missed the target "
                                "vocabulary");

  int64_t ls = spec.length, lt = spec.targetLength;
  auto build = [&](const std::vector<int64_t> &indices, Dataset &set) {
    size_t m = indices.size();
    set.numSamples = int64_t(m);
    set.featureShape = {ls};
    set.integerFeatures = true;
    set.ids.assign(m * size_t(ls), Vocabulary::kPad);
    set.moreInputs.assign(1, IdsInput{{lt}, {}});
    std::vector<int64_t> &decoder = set.moreInputs[0].ids;
    decoder.assign(m * size_t(lt), Vocabulary::kPad);
    set.targetKind = TargetKind::SequenceLabels;
    set.targetShape = {lt};
    set.labels.assign(m * size_t(lt), Vocabulary::kPad);
    for (size_t k = 0; k < m; ++k) {
      size_t i = size_t(indices[k]);
      idSequence(src[i], out.vocabulary, ls, set.ids.data() + k * size_t(ls));
      // tgt[i] = <start> w1 ... wk <end>: the decoder reads all but the
      // last, and predicts all but the first.
      const std::vector<std::string> &t = tgt[i];
      for (size_t p = 0; p + 1 < t.size(); ++p) {
        decoder[k * size_t(lt) + p] = out.targetVocabulary.id(t[p]);
        set.labels[k * size_t(lt) + p] = out.targetVocabulary.id(t[p + 1]);
      }
    }
  };
  build(train, out.train);
  for (int64_t i : train)
    out.trainIndices.push_back(kept[size_t(i)]);
  for (int64_t i : test)
    out.testIndices.push_back(kept[size_t(i)]);
  if (!test.empty()) {
    build(test, out.test);
    out.hasTest = true;
  }
  return Status::success();
}

/// Mean and population standard deviation of every feature of `set`.
static void fitStatistics(const Dataset &set, std::vector<float> &mean,
                          std::vector<float> &stddev) {
  int64_t f = set.featureSize();
  std::vector<double> sum(size_t(f), 0.0), sq(size_t(f), 0.0);
  for (int64_t i = 0; i < set.numSamples; ++i) {
    const float *x = set.sampleFeatures(i);
    for (int64_t j = 0; j < f; ++j)
      sum[size_t(j)] += x[j];
  }
  mean.resize(size_t(f));
  stddev.resize(size_t(f));
  for (int64_t j = 0; j < f; ++j)
    mean[size_t(j)] = float(sum[size_t(j)] / double(set.numSamples));
  // A second pass about the mean: the one-pass formula loses every digit
  // on columns such as a 10-digit id or a year.
  for (int64_t i = 0; i < set.numSamples; ++i) {
    const float *x = set.sampleFeatures(i);
    for (int64_t j = 0; j < f; ++j) {
      double d = double(x[j]) - sum[size_t(j)] / double(set.numSamples);
      sq[size_t(j)] += d * d;
    }
  }
  for (int64_t j = 0; j < f; ++j) {
    double sd = std::sqrt(sq[size_t(j)] / double(set.numSamples));
    stddev[size_t(j)] = sd > 0 ? float(sd) : 1.0f;
  }
}

Status neurona::data::prepareData(const DataSpec &spec, bool flattenImages,
                                  PreparedData &out) {
  PreparedData result;
  if (spec.paths.empty())
    return Status::error(NR_ERROR_INVALID_ARGUMENT, "the data has no source");
  std::string what = spec.paths[0];
  switch (spec.kind) {
  case DataSpec::Kind::None:
    return Status::error(NR_ERROR_INVALID_ARGUMENT, "the data has no source");
  case DataSpec::Kind::Idx:
    if (Status s = loadIdxSource(spec, flattenImages, result); !s)
      return s;
    break;
  case DataSpec::Kind::Csv: {
    CsvTable table;
    if (Status s = readCsv(spec.paths[0], table); !s)
      return s;
    Dataset all;
    if (Status s = csvDataset(table, spec.csv, all); !s)
      return s;
    if (Status s = splitDataset(spec, std::move(all), what, result); !s)
      return s;
    break;
  }
  case DataSpec::Kind::SentencePairs: {
    std::vector<std::string> sources, targets;
    if (Status s = readSentencePairs(spec.paths[0], sources, targets); !s)
      return s;
    if (Status s = prepareTranslation(spec, sources, targets, what, result);
        !s)
      return s;
    break;
  }
  case DataSpec::Kind::LabelledSentences:
  case DataSpec::Kind::TextFiles: {
    LabelledTexts texts;
    for (size_t i = 0; i < spec.paths.size(); ++i) {
      Status s = spec.kind == DataSpec::Kind::TextFiles
                     ? readTextLines(spec.paths[i], int64_t(i), texts)
                     : readLabelledSentences(spec.paths[i], texts);
      if (!s)
        return s;
    }
    if (spec.paths.size() > 1)
      what += " and " + std::to_string(spec.paths.size() - 1) + " more";
    if (Status s = vectorizeTexts(spec, texts, what, result); !s)
      return s;
    break;
  }
  }
  if (spec.targetIsInput)
    for (Dataset *set : {&result.train, &result.test}) {
      set->targetKind = TargetKind::Values;
      set->targetShape = set->featureShape;
      set->targets = set->features;
      set->labels.clear();
    }
  if (spec.standardize)
    fitStatistics(result.train, result.mean, result.stddev);
  result.summary = what + ": " + std::to_string(result.train.numSamples) +
                   " training samples" +
                   (result.hasTest ? ", " +
                                         std::to_string(result.test.numSamples) +
                                         " test samples"
                                   : std::string(", no test set"));
  if (result.vocabulary.capacity() > 0)
    result.summary += ", vocabulary of " +
                      std::to_string(result.vocabulary.wordList().size()) +
                      " words";
  if (result.targetVocabulary.capacity() > 0)
    result.summary +=
        " (source) and " +
        std::to_string(result.targetVocabulary.wordList().size()) +
        " (target, <start> and <end> included), " +
        std::to_string(result.dropped) + " pairs dropped as too long";
  out = std::move(result);
  return Status::success();
}
