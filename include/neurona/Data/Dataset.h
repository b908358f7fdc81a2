//===- neurona/Data/Dataset.h - In-memory training datasets -----*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Datasets for `neurona train` and `neurona eval`: features as float32 rows
// and either integer class labels or float target values, all in memory.
// Readers cover the IDX format of MNIST-style data (raw or gzip-compressed)
// and NumPy .npy files. Every failure is a Status whose message names the
// file and what is wrong with it; this library has no LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DATA_DATASET_H
#define NEURONA_DATA_DATASET_H

#include "neurona/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace neurona {
namespace data {

/// What a dataset's targets are.
enum class TargetKind {
  /// Integer class labels, one per sample (`labels`).
  Labels,
  /// Float values of `targetShape` per sample (`targets`), e.g. regression
  /// outputs or one-hot rows.
  Values,
  /// Integer class labels per position of a sequence: `targetShape` is
  /// {T} and `labels` holds numSamples * T of them, sample-major. Label 0
  /// is padding, which losses and metrics skip (PyTorch's ignore_index):
  /// a decoder's next-word targets.
  SequenceLabels,
};

/// A further integer input of a model with several (the decoder input of
/// an encoder-decoder): numSamples * product(shape) ids, sample-major.
struct IdsInput {
  std::vector<int64_t> shape;
  std::vector<int64_t> ids;
};

struct Dataset {
  int64_t numSamples = 0;
  /// Shape of one sample, e.g. {784} or {28, 28}.
  std::vector<int64_t> featureShape;
  /// numSamples * featureSize() values, sample-major (float features).
  std::vector<float> features;
  /// Integer features instead (token ids): numSamples * featureSize() ids,
  /// sample-major, in `ids`, and `features` is empty.
  bool integerFeatures = false;
  std::vector<int64_t> ids;
  /// The model's inputs after the first, in the model's order.
  std::vector<IdsInput> moreInputs;

  TargetKind targetKind = TargetKind::Labels;
  /// One per sample when targetKind is Labels; targetSize() per sample
  /// when it is SequenceLabels.
  std::vector<int64_t> labels;
  /// Shape of one sample's target when targetKind is Values ({} = scalar).
  std::vector<int64_t> targetShape;
  /// numSamples * targetSize() values when targetKind is Values.
  std::vector<float> targets;

  /// Elements per sample.
  int64_t featureSize() const;
  int64_t targetSize() const;
  const float *sampleFeatures(int64_t i) const {
    return features.data() + i * featureSize();
  }
  const int64_t *sampleIds(int64_t i) const {
    return ids.data() + i * featureSize();
  }
  /// Checks that the vectors agree with numSamples and the shapes.
  Status validate() const;
};

/// Reads a whole file, inflating it when it starts with the gzip magic
/// (1f 8b); concatenated gzip members are joined, and a truncated or corrupt
/// stream is an error.
Status readMaybeGzip(const std::string &path, std::string &out);

/// Reads an IDX image file (magic 2051: u8 [count, rows, cols]).
Status readIdxImages(const std::string &path, std::vector<uint8_t> &pixels,
                     int64_t &count, int64_t &rows, int64_t &cols);

/// Reads an IDX label file (magic 2049: u8 [count]).
Status readIdxLabels(const std::string &path, std::vector<uint8_t> &labels);

/// Loads an IDX image / label pair as a classification dataset. Pixels are
/// scaled from [0, 255] to [0, 1]; each sample has shape [rows * cols] when
/// `flatten` is set, else [rows, cols]. The two files must hold the same
/// number of samples.
Status loadIdx(const std::string &imagesPath, const std::string &labelsPath,
               bool flatten, Dataset &out);

/// Loads a dataset from two .npy files: features [N, ...] and targets [N] or
/// [N, ...]. u8 features are scaled to [0, 1], other dtypes converted as
/// they are. Integer targets of shape [N] (or [N, 1]) become labels; float
/// targets become values of shape [...].
Status loadNpy(const std::string &featuresPath, const std::string &targetsPath,
               Dataset &out);

/// Loads a dataset from a features file and a targets file of either format,
/// detected from the content (IDX, .npy, gzip-compressed or not). IDX images
/// are flattened when `flatten` is set.
Status loadDataset(const std::string &featuresPath,
                   const std::string &targetsPath, bool flatten, Dataset &out);

} // namespace data
} // namespace neurona

#endif // NEURONA_DATA_DATASET_H
