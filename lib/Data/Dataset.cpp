//===- Dataset.cpp - Dataset assembly from IDX and .npy files -------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Data/Dataset.h"

#include "IDX.h"

#include "neurona/Runtime/Half.h"
#include "neurona/Runtime/NPY.h"

#include <cstring>

using namespace neurona;
using namespace neurona::data;

static int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t Dataset::featureSize() const { return product(featureShape); }

int64_t Dataset::targetSize() const {
  return targetKind == TargetKind::Labels ? 1 : product(targetShape);
}

Status Dataset::validate() const {
  auto fail = [](const std::string &msg) {
    return Status::error(NR_ERROR_INVALID_ARGUMENT, "invalid dataset: " + msg);
  };
  if (numSamples < 0)
    return fail("negative sample count");
  const size_t count = integerFeatures ? ids.size() : features.size();
  if (int64_t(count) != numSamples * featureSize())
    return fail(std::to_string(count) +
                (integerFeatures ? " ids for " : " feature values for ") +
                std::to_string(numSamples) + " samples of shape " +
                formatShape(featureShape));
  if (integerFeatures && !features.empty())
    return fail("integer features with float feature values beside them");
  for (const IdsInput &input : moreInputs)
    if (int64_t(input.ids.size()) != numSamples * product(input.shape))
      return fail(std::to_string(input.ids.size()) + " ids for " +
                  std::to_string(numSamples) + " samples of shape " +
                  formatShape(input.shape));
  if (targetKind == TargetKind::Labels) {
    if (int64_t(labels.size()) != numSamples)
      return fail(std::to_string(labels.size()) + " labels for " +
                  std::to_string(numSamples) + " samples");
  } else if (targetKind == TargetKind::SequenceLabels) {
    if (int64_t(labels.size()) != numSamples * targetSize())
      return fail(std::to_string(labels.size()) + " labels for " +
                  std::to_string(numSamples) + " sequences of shape " +
                  formatShape(targetShape));
  } else if (int64_t(targets.size()) != numSamples * targetSize()) {
    return fail(std::to_string(targets.size()) + " target values for " +
                std::to_string(numSamples) + " samples of shape " +
                formatShape(targetShape));
  }
  return Status::success();
}

static bool isNpy(const std::string &bytes) {
  return bytes.size() >= 6 && std::memcmp(bytes.data(), "\x93NUMPY", 6) == 0;
}

/// Converts `n` values of `dtype` to float, scaling u8 to [0, 1].
static void toFloat(nr_dtype dtype, const void *src, int64_t n, float *dst) {
  for (int64_t i = 0; i < n; ++i) {
    switch (dtype) {
    case NR_F32:
      dst[i] = static_cast<const float *>(src)[i];
      break;
    case NR_F64:
      dst[i] = float(static_cast<const double *>(src)[i]);
      break;
    case NR_F16:
      dst[i] = halfToFloat(static_cast<const uint16_t *>(src)[i]);
      break;
    case NR_BF16:
      dst[i] = bfloat16ToFloat(static_cast<const uint16_t *>(src)[i]);
      break;
    case NR_I32:
      dst[i] = float(static_cast<const int32_t *>(src)[i]);
      break;
    case NR_I64:
      dst[i] = float(static_cast<const int64_t *>(src)[i]);
      break;
    case NR_U8:
      dst[i] = float(static_cast<const uint8_t *>(src)[i]) / 255.0f;
      break;
    case NR_I8:
      dst[i] = float(static_cast<const int8_t *>(src)[i]);
      break;
    case NR_I16:
      dst[i] = float(static_cast<const int16_t *>(src)[i]);
      break;
    case NR_U16:
      dst[i] = float(static_cast<const uint16_t *>(src)[i]);
      break;
    case NR_U32:
      dst[i] = float(static_cast<const uint32_t *>(src)[i]);
      break;
    case NR_U64:
      dst[i] = float(static_cast<const uint64_t *>(src)[i]);
      break;
    case NR_BOOL:
      dst[i] = float(static_cast<const uint8_t *>(src)[i]);
      break;
    }
  }
}

/// Parses the in-memory .npy file `bytes` into `a`, whose first dimension
/// counts the samples: a scalar is an error that names `what` the file holds
/// and the `shapes` it may have.
static Status parseSamples(const std::string &bytes, const std::string &path,
                           const char *what, const char *shapes, NpyArray &a) {
  if (Status s = parseNpy(bytes.data(), bytes.size(), path, a); !s)
    return s;
  if (a.shape.empty())
    return Status::error(NR_ERROR_FORMAT,
                         path + ": " + what +
                             " must have a sample dimension (shape " + shapes +
                             "), got a scalar");
  return Status::success();
}

/// The error for `bytes` that the features or targets reader recognised as
/// neither an IDX file (of `magic`) nor a .npy file: when IDX is allowed, the
/// IDX parser explains the magic it found.
static Status unrecognised(const std::string &bytes, const std::string &path,
                           bool allowIdx, uint32_t magic) {
  if (allowIdx && bytes.size() >= 4 && !isNpy(bytes)) {
    std::vector<int64_t> dims;
    size_t start;
    return parseIdx(bytes, path, magic, dims, start);
  }
  if (!allowIdx)
    return Status::error(NR_ERROR_FORMAT,
                         path + ": not a .npy file (bad magic)");
  return Status::error(NR_ERROR_FORMAT,
                       path + (magic == IdxImagesMagic
                                   ? ": not an IDX image or .npy file"
                                   : ": not an IDX label or .npy file"));
}

/// Fills the feature half of `ds` from an in-memory IDX image or .npy file.
static Status featuresFromBytes(const std::string &bytes,
                                const std::string &path, bool flatten,
                                bool allowIdx, bool allowNpy, Dataset &ds) {
  if (allowIdx && isIdx(bytes)) {
    std::vector<int64_t> dims;
    size_t start;
    if (Status s = parseIdx(bytes, path, IdxImagesMagic, dims, start); !s)
      return s;
    ds.numSamples = dims[0];
    ds.featureShape = flatten ? std::vector<int64_t>{dims[1] * dims[2]}
                              : std::vector<int64_t>{dims[1], dims[2]};
    ds.features.resize(bytes.size() - start);
    toFloat(NR_U8, bytes.data() + start, int64_t(ds.features.size()),
            ds.features.data());
    return Status::success();
  }
  if (allowNpy && isNpy(bytes)) {
    NpyArray a;
    if (Status s = parseSamples(bytes, path, "features", "[N, ...]", a); !s)
      return s;
    ds.numSamples = a.shape[0];
    ds.featureShape.assign(a.shape.begin() + 1, a.shape.end());
    if (flatten && ds.featureShape.size() > 1)
      ds.featureShape = {product(ds.featureShape)};
    ds.features.resize(size_t(a.numElements()));
    toFloat(a.dtype, a.data.data(), a.numElements(), ds.features.data());
    return Status::success();
  }
  return unrecognised(bytes, path, allowIdx, IdxImagesMagic);
}

/// Fills the target half of `ds` from an in-memory IDX label or .npy file;
/// `count` receives the number of samples it holds.
static Status targetsFromBytes(const std::string &bytes,
                               const std::string &path, bool allowIdx,
                               bool allowNpy, Dataset &ds, int64_t &count) {
  if (allowIdx && isIdx(bytes)) {
    std::vector<int64_t> dims;
    size_t start;
    if (Status s = parseIdx(bytes, path, IdxLabelsMagic, dims, start); !s)
      return s;
    count = dims[0];
    ds.targetKind = TargetKind::Labels;
    ds.labels.resize(size_t(count));
    for (int64_t i = 0; i < count; ++i)
      ds.labels[size_t(i)] = static_cast<unsigned char>(bytes[start + i]);
    return Status::success();
  }
  if (allowNpy && isNpy(bytes)) {
    NpyArray a;
    if (Status s = parseSamples(bytes, path, "targets", "[N] or [N, ...]", a);
        !s)
      return s;
    count = a.shape[0];
    bool integer = a.dtype == NR_I32 || a.dtype == NR_I64 || a.dtype == NR_U8;
    if (integer &&
        (a.shape.size() == 1 || (a.shape.size() == 2 && a.shape[1] == 1))) {
      ds.targetKind = TargetKind::Labels;
      ds.labels.resize(size_t(count));
      for (int64_t i = 0; i < count; ++i) {
        if (a.dtype == NR_I32)
          ds.labels[size_t(i)] = static_cast<const int32_t *>(a.data.data())[i];
        else if (a.dtype == NR_I64)
          ds.labels[size_t(i)] = static_cast<const int64_t *>(a.data.data())[i];
        else
          ds.labels[size_t(i)] = static_cast<const uint8_t *>(a.data.data())[i];
      }
      return Status::success();
    }
    ds.targetKind = TargetKind::Values;
    ds.targetShape.assign(a.shape.begin() + 1, a.shape.end());
    ds.targets.resize(size_t(a.numElements()));
    // Values are taken as they are; u8 scaling is only for image features.
    if (a.dtype == NR_U8)
      for (int64_t i = 0; i < a.numElements(); ++i)
        ds.targets[size_t(i)] = static_cast<const uint8_t *>(a.data.data())[i];
    else
      toFloat(a.dtype, a.data.data(), a.numElements(), ds.targets.data());
    return Status::success();
  }
  return unrecognised(bytes, path, allowIdx, IdxLabelsMagic);
}

static Status load(const std::string &featuresPath,
                   const std::string &targetsPath, bool flatten, bool allowIdx,
                   bool allowNpy, Dataset &out) {
  Dataset ds;
  std::string bytes;
  if (Status s = readMaybeGzip(featuresPath, bytes); !s)
    return s;
  if (Status s = featuresFromBytes(bytes, featuresPath, flatten, allowIdx,
                                   allowNpy, ds);
      !s)
    return s;
  if (Status s = readMaybeGzip(targetsPath, bytes); !s)
    return s;
  int64_t count = 0;
  if (Status s =
          targetsFromBytes(bytes, targetsPath, allowIdx, allowNpy, ds, count);
      !s)
    return s;
  if (count != ds.numSamples)
    return Status::error(NR_ERROR_FORMAT,
                         "sample count mismatch: " + featuresPath + " has " +
                             std::to_string(ds.numSamples) + " samples but " +
                             targetsPath + " has " + std::to_string(count));
  if (ds.numSamples == 0)
    return Status::error(NR_ERROR_FORMAT,
                         featuresPath + ": the dataset has no samples");
  if (Status s = ds.validate(); !s)
    return Status::error(NR_ERROR_INTERNAL, s.getMessage());
  out = std::move(ds);
  return Status::success();
}

Status neurona::data::loadIdx(const std::string &imagesPath,
                              const std::string &labelsPath, bool flatten,
                              Dataset &out) {
  return load(imagesPath, labelsPath, flatten, true, false, out);
}

Status neurona::data::loadNpy(const std::string &featuresPath,
                              const std::string &targetsPath, Dataset &out) {
  return load(featuresPath, targetsPath, false, false, true, out);
}

Status neurona::data::loadDataset(const std::string &featuresPath,
                                  const std::string &targetsPath, bool flatten,
                                  Dataset &out) {
  return load(featuresPath, targetsPath, flatten, true, true, out);
}
