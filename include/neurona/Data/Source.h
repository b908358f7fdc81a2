//===- neurona/Data/Source.h - A model's data, from files to sets -*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// What a `.nn` file's `data` section says (DataSpec), and how it becomes a
// training and a test set (prepareData): read the files, split off the test
// set by a seed, fit what must be fitted on the training split only (the
// vocabulary, the feature statistics), and turn text into vectors.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DATA_SOURCE_H
#define NEURONA_DATA_SOURCE_H

#include "neurona/Data/Dataset.h"
#include "neurona/Data/Readers.h"
#include "neurona/Data/Text.h"

#include <cstdint>
#include <string>
#include <vector>

namespace neurona {
namespace data {

/// Where a model's data comes from and how it is prepared.
struct DataSpec {
  enum class Kind {
    None,
    /// `paths[0]` is a folder with MNIST-style IDX files: train-images-
    /// idx3-ubyte, train-labels-idx1-ubyte and, optionally, the t10k pair as
    /// the test set (each gzip-compressed or not).
    Idx,
    /// `paths[0]` is a CSV file with a header; `csv` picks the columns.
    Csv,
    /// Every path holds `sentence<TAB>label` lines.
    LabelledSentences,
    /// One text per line; the texts of `paths[i]` have class i.
    TextFiles,
    /// `paths[0]` holds `source<TAB>target` lines (translation pairs); the
    /// first `limit` of them when `limit` > 0.
    SentencePairs,
  };
  Kind kind = Kind::None;
  /// Resolved file or folder names.
  std::vector<std::string> paths;
  CsvColumns csv;
  int64_t limit = 0;

  /// Text sources: how texts become tokens, and bag-of-words vectors of
  /// `vocabularySize` elements (binary, or counts) over a vocabulary built
  /// from the training split.
  TextOptions text;
  /// What a text becomes: a bag of words (float [vocabularySize]), a
  /// sequence of ids padded or cut at the end to `length` (Keras's
  /// pad_sequences with "post"), or next-word samples: every position p >= 1
  /// of every sentence gives the ids of the `length` tokens before it
  /// (padded with 0 at the start) and the id of token p as the label; the
  /// test split is drawn by sentence before the windows are cut.
  ///
  /// Translation pairs (SentencePairs) become three id sequences per pair:
  /// the source's words padded with 0 at the end to `length` (the first
  /// input), the decoder input `<start>` w1 ... wk padded to
  /// `targetLength` (the second input) and the labels w1 ... wk `<end>`
  /// (SequenceLabels, padding 0). The source vocabulary has
  /// `vocabularySize` ids, the target's `targetVocabularySize`, both from
  /// the training split's pairs only; `<start>` and `<end>` are words of
  /// the target vocabulary. Pairs whose source has more than `length`
  /// words or whose target has more than `targetLength` - 1, or either
  /// none, are dropped (PreparedData::dropped counts them).
  enum class TextForm { BagOfWords, Sequences, NextWord, Translation };
  TextForm textForm = TextForm::BagOfWords;
  int64_t length = 0;
  int64_t vocabularySize = 0;
  int64_t targetLength = 0;
  int64_t targetVocabularySize = 0;
  int64_t minCount = 1;
  bool binary = true;
  /// A trained model's vocabulary (its words from id 2), used instead of
  /// one built from the training split when `savedVocabulary` is set, so
  /// that evaluation encodes text as training did.
  bool savedVocabulary = false;
  std::vector<std::string> vocabularyWords;

  /// How one text becomes the model's input (bag of words, the sequence of
  /// a classifier, the window of a next-word model, a translation's source).
  TextEncoding textEncoding() const;
  /// How text becomes each of the model's text inputs, in input order: the
  /// text of a text source, or a translation's source and decoder input
  /// (Form::Decoder over the target vocabulary); empty for other sources.
  std::vector<TextEncoding> textEncodings() const;

  /// The fraction of samples held out as the test set, in [0, 1); 0 keeps
  /// the source's own test files (IDX) or none.
  double testSplit = 0;
  /// Seeds the split: fixed by the data, not by the training seed, so runs
  /// with different training seeds are measured on the same test set.
  uint64_t splitSeed = 0;
  /// The targets are the features themselves (autoencoders); the source's
  /// labels or target column are dropped.
  bool targetIsInput = false;
  /// Fit per-feature mean and standard deviation on the training split.
  bool standardize = false;
  /// With `standardize`: the model parameters that receive the statistics
  /// (the model computes (x - mean) / std on its input).
  std::string meanParam, stdParam;
  /// Where the section is, for messages ("model.nn:12").
  std::string origin;

  bool present() const { return kind != Kind::None; }
};

/// What prepareData produced.
struct PreparedData {
  Dataset train;
  Dataset test;
  bool hasTest = false;
  /// Per-feature statistics of the training split when the spec asked for
  /// standardization (population standard deviation, as scikit-learn's
  /// StandardScaler; a constant feature gets 1), else empty. The features
  /// are returned unscaled: the model applies them.
  std::vector<float> mean, stddev;
  /// Which samples of the source (numbered in file order, files in the
  /// order given) went to each set, in set order.
  std::vector<int64_t> trainIndices, testIndices;
  /// Text sources: the vocabulary fitted on the training split (the
  /// source side's for translation pairs).
  Vocabulary vocabulary;
  /// Translation pairs: the target side's vocabulary, and how many pairs
  /// were dropped for their length.
  Vocabulary targetVocabulary;
  int64_t dropped = 0;
  /// One line for the user: what was read and how it was split.
  std::string summary;
};

/// Reads and prepares the data. `flattenImages` flattens IDX images to
/// [rows * cols]. Errors name the file (and line) at fault.
Status prepareData(const DataSpec &spec, bool flattenImages,
                   PreparedData &out);

/// A permutation of 0..n-1 drawn from mt19937_64(seed) by Fisher-Yates with
/// unbiased index draws done here (std::uniform_int_distribution's output
/// is not fixed by the standard), so it is the same on every platform.
std::vector<int64_t> permutation(int64_t n, uint64_t seed);

/// `<dir>/<name>`, or `<dir>/<name>.gz` when the first does not exist (an
/// MNIST-style IDX file, compressed or not).
std::string idxFile(const std::string &dir, const std::string &name);

/// The samples of `set` at `indices`, in that order.
Dataset selectSamples(const Dataset &set, const std::vector<int64_t> &indices);

} // namespace data
} // namespace neurona

#endif // NEURONA_DATA_SOURCE_H
