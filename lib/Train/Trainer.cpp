//===- Trainer.cpp - Training and evaluation loops ------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Train/Trainer.h"

#include "Checkpoint.h"
#include "Config.h"
#include "Curves.h"
#include "Losses.h"
#include "Shuffle.h"

#include "neurona/Data/Source.h"
#include "neurona/Runtime/Half.h"
#include "neurona/Runtime/NPY.h"
#include "neurona/Train/Interrupt.h"
#include "neurona/Train/Schedule.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

using namespace neurona;
using namespace neurona::data;
using namespace neurona::train;

static Status apiError(nr_status code, const std::string &context) {
  return Status::error(code, context + ": " + nr_last_error());
}

static bool isFloat(nr_dtype t) { return t == NR_F32 || t == NR_F64; }

static std::string typeString(const nr_arg_info &a) {
  return std::string(nr_dtype_name(a.dtype)) + " " +
         (a.rank == 0 ? std::string("scalar")
                      : formatShape(a.shape, size_t(a.rank)));
}

/// Elements per sample of a batched argument (all dimensions but the first).
static int64_t perSample(const nr_arg_info &a) {
  int64_t n = 1;
  for (int32_t i = 1; i < a.rank; ++i)
    n *= a.shape[i];
  return n;
}

//===----------------------------------------------------------------------===//
// Train config
//===----------------------------------------------------------------------===//

/// Whether the manifest's train line lists `metric=<name>`.
static bool hasMetric(const nr_model *model, const char *name) {
  size_t count = 0;
  if (nr_model_num_train_config(model, &count) != NR_OK)
    return false;
  for (size_t i = 0; i < count; ++i) {
    const char *key = nullptr, *value = nullptr;
    if (nr_model_train_config_at(model, i, &key, &value) == NR_OK &&
        std::strcmp(key, "metric") == 0 && std::strcmp(value, name) == 0)
      return true;
  }
  return false;
}

static Status configInt(const nr_model *model, const char *key,
                        int64_t fallback, int64_t &out) {
  std::string text;
  if (!configValue(model, key, text)) {
    out = fallback;
    return Status::success();
  }
  char *end;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno || *end || end == text.c_str() || v < 1)
    return Status::error(NR_ERROR_FORMAT, std::string("train setting ") + key +
                                              "=" + text +
                                              " is not a positive integer");
  out = v;
  return Status::success();
}

Status neurona::train::lossSpecFromModel(const nr_model *model, LossSpec &out) {
  std::string loss;
  if (!configValue(model, "loss", loss))
    return Status::error(NR_ERROR_NOT_FOUND,
                         "the model's manifest has no train setting 'loss' "
                         "(compile it with a loss to train or evaluate it)");
  LossSpec spec;
  if (loss == "cross_entropy")
    spec.kind = LossKind::CrossEntropy;
  else if (loss == "binary_cross_entropy")
    spec.kind = LossKind::BinaryCrossEntropy;
  else if (loss == "mse")
    spec.kind = LossKind::MeanSquaredError;
  else if (loss == "mae")
    spec.kind = LossKind::MeanAbsoluteError;
  else
    return Status::error(NR_ERROR_FORMAT,
                         "unknown loss '" + loss +
                             "' in the train settings (expected "
                             "cross_entropy, binary_cross_entropy, mse or "
                             "mae)");
  // The compiled losses take logits for cross_entropy and probabilities
  // (after a sigmoid) for binary_cross_entropy.
  spec.fromLogits = spec.kind != LossKind::BinaryCrossEntropy;
  std::string logits;
  if (configValue(model, "from_logits", logits)) {
    if (logits == "true" || logits == "1")
      spec.fromLogits = true;
    else if (logits == "false" || logits == "0")
      spec.fromLogits = false;
    else
      return Status::error(NR_ERROR_FORMAT,
                           "train setting from_logits=" + logits +
                               " is not true or false");
  }
  std::string reduction;
  if (configValue(model, "reduction", reduction)) {
    if (reduction != "mean" && reduction != "sum")
      return Status::error(NR_ERROR_FORMAT,
                           "train setting reduction=" + reduction +
                               " is not mean or sum");
    if (reduction == "sum" && spec.kind == LossKind::CrossEntropy)
      return Status::error(NR_ERROR_FORMAT,
                           "train setting reduction=sum does not apply to "
                           "cross_entropy");
    spec.sumPerSample = reduction == "sum";
  }
  out = spec;
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

namespace {
/// How the trainer feeds one entry: its single input, optional target and
/// optional output, checked against a dataset.
struct Plan {
  std::string entry;
  nr_arg_info input{};
  int64_t featureCount = 0;
  /// The inputs after the first (Dataset::moreInputs, in order).
  std::vector<nr_arg_info> moreInputs;
  /// SequenceLabels: steps T and classes V of the output [?, T, V].
  int64_t steps = 0, classes = 0;
  bool hasTarget = false;
  nr_arg_info target{};
  int64_t targetCount = 0;
  bool hasOutput = false;
  nr_arg_info output{};
  int64_t outputWidth = 0;
};

/// Reusable host buffers for one batch of one argument.
struct BatchBuffer {
  AlignedBuffer memory;
  nr_tensor tensor{};

  void prepare(const nr_arg_info &arg, int64_t batch) {
    size_t bytes =
        nr_dtype_size(arg.dtype) * size_t(batch) * size_t(perSample(arg));
    if (memory.size() < bytes)
      memory = AlignedBuffer(bytes);
    tensor.dtype = arg.dtype;
    tensor.rank = arg.rank;
    std::memcpy(tensor.shape, arg.shape, sizeof(tensor.shape));
    tensor.shape[0] = batch;
    tensor.data = memory.data();
  }
  /// Element `i` as double (for reading predictions).
  double at(int64_t i) const {
    if (tensor.dtype == NR_F64)
      return static_cast<const double *>(tensor.data)[i];
    return static_cast<const float *>(tensor.data)[i];
  }
  void set(int64_t i, double v) {
    switch (tensor.dtype) {
    case NR_F32:
      static_cast<float *>(tensor.data)[i] = float(v);
      break;
    case NR_F64:
      static_cast<double *>(tensor.data)[i] = v;
      break;
    case NR_F16:
      static_cast<uint16_t *>(tensor.data)[i] = floatToHalf(float(v));
      break;
    case NR_BF16:
      static_cast<uint16_t *>(tensor.data)[i] = floatToBfloat16(float(v));
      break;
    case NR_I32:
      static_cast<int32_t *>(tensor.data)[i] = int32_t(v);
      break;
    case NR_I64:
      static_cast<int64_t *>(tensor.data)[i] = int64_t(v);
      break;
    case NR_U8:
      static_cast<uint8_t *>(tensor.data)[i] = uint8_t(v);
      break;
    case NR_I8:
      static_cast<int8_t *>(tensor.data)[i] = int8_t(v);
      break;
    case NR_I16:
      static_cast<int16_t *>(tensor.data)[i] = int16_t(v);
      break;
    case NR_U16:
      static_cast<uint16_t *>(tensor.data)[i] = uint16_t(v);
      break;
    case NR_U32:
      static_cast<uint32_t *>(tensor.data)[i] = uint32_t(v);
      break;
    case NR_U64:
      static_cast<uint64_t *>(tensor.data)[i] = uint64_t(v);
      break;
    case NR_BOOL:
      static_cast<uint8_t *>(tensor.data)[i] = v != 0;
      break;
    }
  }
};
} // namespace

static Status makePlan(nr_model *model, const char *entry, const Dataset &ds,
                       const LossSpec &spec, bool wantTarget, Plan &plan) {
  plan = Plan();
  plan.entry = entry;
  size_t nArgs;
  if (nr_status s = nr_model_num_args(model, entry, &nArgs))
    return apiError(s, std::string("entry '") + entry + "'");
  int inputs = 0, targets = 0, outputs = 0;
  for (size_t i = 0; i < nArgs; ++i) {
    nr_arg_info a;
    if (nr_status s = nr_model_arg_info(model, entry, i, &a))
      return apiError(s, std::string("entry '") + entry + "'");
    if (a.role == NR_ROLE_INPUT && inputs++ == 0)
      plan.input = a;
    else if (a.role == NR_ROLE_INPUT)
      plan.moreInputs.push_back(a);
    else if (a.role == NR_ROLE_TARGET && targets++ == 0)
      plan.target = a;
    else if (a.role == NR_ROLE_OUTPUT && outputs++ == 0)
      plan.output = a;
  }
  std::string where = std::string("entry '") + entry + "'";
  if (inputs != 1 + int(ds.moreInputs.size()))
    return Status::error(
        NR_ERROR_INVALID_ARGUMENT,
        where + " has " + std::to_string(inputs) + " inputs, the dataset " +
            std::to_string(1 + ds.moreInputs.size()) +
            (ds.moreInputs.empty()
                 ? " (several inputs need translation pairs)"
                 : ""));
  for (size_t k = 0; k < plan.moreInputs.size(); ++k) {
    const nr_arg_info &a = plan.moreInputs[k];
    int64_t want = 1;
    for (int64_t d : ds.moreInputs[k].shape)
      want *= d;
    if (a.rank < 1 || a.shape[0] >= 0 || (a.dtype != NR_I64 && a.dtype != NR_I32) ||
        perSample(a) != want)
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           where + ": input '" + a.name + "' (" +
                               typeString(a) + ") cannot take the dataset's "
                               "ids of shape " +
                               formatShape(ds.moreInputs[k].shape));
  }
  if (wantTarget && targets != 1)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + " has " + std::to_string(targets) +
                             " targets; the trainer handles exactly one");
  if (outputs > 1)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + " has " + std::to_string(outputs) +
                             " outputs; the trainer handles at most one");
  if (!wantTarget && outputs != 1)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + " has no output to evaluate");
  plan.hasTarget = wantTarget;
  plan.hasOutput = outputs == 1;

  const nr_arg_info &in = plan.input;
  if (in.rank < 1 || in.shape[0] >= 0)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + ": input '" + in.name + "' (" +
                             typeString(in) +
                             ") has no dynamic batch dimension");
  if (!isFloat(in.dtype) && in.dtype != NR_I64 && in.dtype != NR_I32)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + ": input '" + in.name + "' is " +
                             typeString(in) +
                             "; the trainer feeds float features or integer "
                             "ids");
  if (ds.integerFeatures && isFloat(in.dtype))
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + ": input '" + in.name + "' is " +
                             typeString(in) +
                             " but the dataset holds integer ids; declare "
                             "the input as 'ids[...]'");
  plan.featureCount = perSample(in);
  if (plan.featureCount != ds.featureSize())
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + ": input '" + in.name + "' takes samples of " +
                             std::to_string(plan.featureCount) + " values (" +
                             typeString(in) +
                             "), the dataset's samples have shape " +
                             formatShape(ds.featureShape) + " (" +
                             std::to_string(ds.featureSize()) + " values)");

  if (plan.hasOutput) {
    const nr_arg_info &out = plan.output;
    if (out.rank < 1 || out.shape[0] >= 0 || !isFloat(out.dtype))
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           where + ": output '" + out.name + "' (" +
                               typeString(out) +
                               ") is not a batched float tensor");
    plan.outputWidth = perSample(out);
  }

  // Targets and labels must make sense for the loss and the output width.
  int64_t width = plan.hasOutput ? plan.outputWidth : 0;
  if (ds.targetKind == TargetKind::SequenceLabels) {
    int64_t steps = ds.targetSize();
    if (spec.kind != LossKind::CrossEntropy || !spec.fromLogits)
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           where + ": sequence labels need the "
                                   "cross_entropy loss on logits");
    if (plan.hasOutput) {
      const nr_arg_info &out = plan.output;
      if (out.rank != 3 || out.shape[1] != steps)
        return Status::error(NR_ERROR_INVALID_ARGUMENT,
                             where + ": output '" + out.name + "' (" +
                                 typeString(out) +
                                 ") must score every step of the dataset's "
                                 "label sequences [?, " +
                                 std::to_string(steps) + ", classes]");
      plan.steps = steps;
      plan.classes = out.shape[2];
      for (size_t i = 0; i < ds.labels.size(); ++i)
        if (ds.labels[i] < 0 || ds.labels[i] >= plan.classes)
          return Status::error(
              NR_ERROR_INVALID_ARGUMENT,
              "label " + std::to_string(ds.labels[i]) + " at step " +
                  std::to_string(int64_t(i) % steps) + " of sample " +
                  std::to_string(int64_t(i) / steps) +
                  " is out of range (expected a class in [0, " +
                  std::to_string(plan.classes) + "))");
    }
  } else if (ds.targetKind == TargetKind::Labels) {
    for (int64_t i = 0; i < ds.numSamples; ++i) {
      int64_t label = ds.labels[size_t(i)];
      bool bad = false;
      std::string expected;
      if (spec.kind == LossKind::CrossEntropy && width > 0 &&
          (label < 0 || label >= width)) {
        bad = true;
        expected = "a class in [0, " + std::to_string(width) + ")";
      } else if (spec.kind == LossKind::BinaryCrossEntropy && label != 0 &&
                 label != 1) {
        bad = true;
        expected = "0 or 1 for binary_cross_entropy";
      }
      if (bad)
        return Status::error(NR_ERROR_INVALID_ARGUMENT,
                             "label " + std::to_string(label) + " of sample " +
                                 std::to_string(i) +
                                 " is out of range (expected " + expected +
                                 ")");
    }
  } else if (plan.hasOutput && ds.targetSize() != width) {
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + ": output '" + plan.output.name + "' has " +
                             std::to_string(width) +
                             " values per sample, the dataset's targets " +
                             std::to_string(ds.targetSize()));
  }

  if (!wantTarget) {
    // Evaluation scores labels one-hot over a wide output (Losses.h), as
    // training feeds them, and training rejects a label that does not fit.
    if (ds.targetKind == TargetKind::Labels && width > 1)
      for (int64_t i = 0; i < ds.numSamples; ++i)
        if (ds.labels[size_t(i)] < 0 || ds.labels[size_t(i)] >= width)
          return Status::error(
              NR_ERROR_INVALID_ARGUMENT,
              "label " + std::to_string(ds.labels[size_t(i)]) + " of sample " +
                  std::to_string(i) + " does not fit one-hot output '" +
                  plan.output.name + "' (" + typeString(plan.output) + ")");
    return Status::success();
  }
  const nr_arg_info &t = plan.target;
  if (t.rank < 1 || t.shape[0] >= 0)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + ": target '" + t.name + "' (" + typeString(t) +
                             ") has no dynamic batch dimension");
  plan.targetCount = perSample(t);
  bool ok;
  if (ds.targetKind == TargetKind::SequenceLabels)
    ok = (t.dtype == NR_I64 || t.dtype == NR_I32) &&
         plan.targetCount == ds.targetSize();
  else if (ds.targetKind == TargetKind::Labels)
    // A label as an integer or float, or one-hot over the target's width.
    ok = (plan.targetCount == 1 && t.dtype != NR_U8) ||
         (plan.targetCount > 1 && isFloat(t.dtype));
  else
    ok = isFloat(t.dtype) && plan.targetCount == ds.targetSize();
  if (!ok)
    return Status::error(
        NR_ERROR_INVALID_ARGUMENT,
        where + ": target '" + t.name + "' (" + typeString(t) +
            ") cannot take the dataset's " +
            (ds.targetKind == TargetKind::SequenceLabels
                 ? "label sequences of shape " + formatShape(ds.targetShape)
             : ds.targetKind == TargetKind::Labels
                 ? std::string("integer labels")
                 : "float targets of shape " + formatShape(ds.targetShape)));
  if (ds.targetKind == TargetKind::Labels && plan.targetCount > 1)
    for (int64_t i = 0; i < ds.numSamples; ++i)
      if (ds.labels[size_t(i)] < 0 || ds.labels[size_t(i)] >= plan.targetCount)
        return Status::error(NR_ERROR_INVALID_ARGUMENT,
                             "label " + std::to_string(ds.labels[size_t(i)]) +
                                 " of sample " + std::to_string(i) +
                                 " does not fit one-hot target '" + t.name +
                                 "' (" + typeString(t) + ")");
  return Status::success();
}

static void fillFeatures(const Dataset &ds, const int64_t *indices, int64_t n,
                         int64_t featureCount, BatchBuffer &buf) {
  for (int64_t b = 0; b < n; ++b) {
    if (ds.integerFeatures) {
      const int64_t *src = ds.sampleIds(indices[b]);
      if (buf.tensor.dtype == NR_I64)
        std::memcpy(static_cast<int64_t *>(buf.tensor.data) + b * featureCount,
                    src, size_t(featureCount) * sizeof(int64_t));
      else
        for (int64_t j = 0; j < featureCount; ++j)
          buf.set(b * featureCount + j, double(src[j]));
      continue;
    }
    const float *src = ds.sampleFeatures(indices[b]);
    if (buf.tensor.dtype == NR_F32) {
      std::memcpy(static_cast<float *>(buf.tensor.data) + b * featureCount, src,
                  size_t(featureCount) * sizeof(float));
    } else {
      for (int64_t j = 0; j < featureCount; ++j)
        buf.set(b * featureCount + j, src[j]);
    }
  }
}

/// The ids of `ds.moreInputs[k]` for the batch.
static void fillMoreInput(const Dataset &ds, size_t k, const int64_t *indices,
                          int64_t n, int64_t count, BatchBuffer &buf) {
  const std::vector<int64_t> &ids = ds.moreInputs[k].ids;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < count; ++j)
      buf.set(b * count + j, double(ids[size_t(indices[b] * count + j)]));
}

/// One BatchBuffer per input after the first, prepared and filled.
static std::vector<nr_tensor>
fillInputs(const Dataset &ds, const Plan &plan, const int64_t *indices,
           int64_t n, BatchBuffer &first, std::vector<BatchBuffer> &more) {
  first.prepare(plan.input, n);
  fillFeatures(ds, indices, n, plan.featureCount, first);
  std::vector<nr_tensor> tensors = {first.tensor};
  more.resize(plan.moreInputs.size());
  for (size_t k = 0; k < plan.moreInputs.size(); ++k) {
    more[k].prepare(plan.moreInputs[k], n);
    fillMoreInput(ds, k, indices, n, perSample(plan.moreInputs[k]), more[k]);
    tensors.push_back(more[k].tensor);
  }
  return tensors;
}

/// Token-level cross-entropy and accuracy of `out`'s row `b`, logits
/// [T, V], against `labels` [T], skipping padding (label 0) as PyTorch's
/// ignore_index: adds -log softmax(x_t)[y_t] to `lossSum`, hits to
/// `correct` (argmax, first maximum on ties) and scored steps to `tokens`.
static void scoreSequence(const BatchBuffer &out, int64_t b, const Plan &plan,
                          const int64_t *labels, double &lossSum,
                          int64_t &correct, int64_t &tokens) {
  int64_t steps = plan.steps, classes = plan.classes;
  for (int64_t t = 0; t < steps; ++t) {
    int64_t y = labels[t];
    if (y == 0)
      continue;
    int64_t base = (b * steps + t) * classes;
    double max = out.at(base);
    int64_t arg = 0;
    for (int64_t j = 1; j < classes; ++j)
      if (out.at(base + j) > max) {
        max = out.at(base + j);
        arg = j;
      }
    double sum = 0;
    for (int64_t j = 0; j < classes; ++j)
      sum += std::exp(out.at(base + j) - max);
    lossSum += std::log(sum) + max - out.at(base + y);
    correct += arg == y;
    ++tokens;
  }
}

static void fillTargets(const Dataset &ds, const int64_t *indices, int64_t n,
                        int64_t targetCount, BatchBuffer &buf) {
  for (int64_t b = 0; b < n; ++b) {
    int64_t i = indices[b];
    if (ds.targetKind == TargetKind::SequenceLabels) {
      for (int64_t j = 0; j < targetCount; ++j)
        buf.set(b * targetCount + j, double(ds.labels[size_t(i * targetCount + j)]));
    } else if (ds.targetKind == TargetKind::Labels) {
      int64_t label = ds.labels[size_t(i)];
      if (targetCount == 1) {
        buf.set(b, double(label));
      } else {
        for (int64_t j = 0; j < targetCount; ++j)
          buf.set(b * targetCount + j, j == label ? 1.0 : 0.0);
      }
    } else {
      const float *src = ds.targets.data() + i * targetCount;
      for (int64_t j = 0; j < targetCount; ++j)
        buf.set(b * targetCount + j, src[j]);
    }
  }
}

static SampleTarget sampleTarget(const Dataset &ds, int64_t i) {
  SampleTarget t;
  if (ds.targetKind == TargetKind::Labels) {
    t.isLabel = true;
    t.label = ds.labels[size_t(i)];
  } else {
    t.isLabel = false;
    t.values = ds.targets.data() + i * ds.targetSize();
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

static Status evaluateWith(nr_model *model, const Dataset &ds,
                           const LossSpec &spec, const Plan &plan,
                           int64_t batchSize, EvalResult &result) {
  // A per-sample sum (a VAE) reconstructs values: errors, not accuracy.
  bool hasAccuracy = !isRegression(spec.kind) && !spec.sumPerSample;
  BatchBuffer in, out;
  std::vector<BatchBuffer> more;
  double squared = 0, absolute = 0;
  std::vector<int64_t> indices(size_t(std::min(batchSize, ds.numSamples)));
  std::vector<double> pred(size_t(plan.outputWidth));
  double lossSum = 0;
  int64_t correct = 0, tokens = 0;
  bool sequences = ds.targetKind == TargetKind::SequenceLabels;
  for (int64_t start = 0; start < ds.numSamples; start += batchSize) {
    int64_t n = std::min(batchSize, ds.numSamples - start);
    for (int64_t b = 0; b < n; ++b)
      indices[size_t(b)] = start + b;
    std::vector<nr_tensor> inputs =
        fillInputs(ds, plan, indices.data(), n, in, more);
    out.prepare(plan.output, n);
    if (nr_status s = nr_model_forward(model, inputs.data(), inputs.size(),
                                       &out.tensor, 1))
      return apiError(s, "evaluation");
    if (sequences) {
      for (int64_t b = 0; b < n; ++b)
        scoreSequence(out, b, plan,
                      ds.labels.data() + (start + b) * plan.steps, lossSum,
                      correct, tokens);
      continue;
    }
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t j = 0; j < plan.outputWidth; ++j)
        pred[size_t(j)] = out.at(b * plan.outputWidth + j);
      SampleTarget target = sampleTarget(ds, start + b);
      lossSum += sampleLoss(spec, pred.data(), plan.outputWidth, target);
      if (hasAccuracy)
        correct += sampleCorrect(spec, pred.data(), plan.outputWidth, target);
      else
        addSampleErrors(pred.data(), plan.outputWidth, target, squared,
                        absolute);
    }
  }
  result.numSamples = ds.numSamples;
  if (sequences) {
    // Means over the tokens that are not padding.
    result.loss = tokens ? lossSum / double(tokens) : 0.0;
    result.accuracy = tokens ? double(correct) / double(tokens) : 0.0;
    result.rmse = result.mae = std::nan("");
    return Status::success();
  }
  result.loss = lossSum / double(ds.numSamples);
  result.accuracy =
      hasAccuracy ? double(correct) / double(ds.numSamples) : std::nan("");
  double elements = double(ds.numSamples) * double(plan.outputWidth);
  result.rmse = hasAccuracy ? std::nan("") : std::sqrt(squared / elements);
  result.mae = hasAccuracy ? std::nan("") : absolute / elements;
  if (!std::isfinite(result.loss))
    return Status::error(
        NR_ERROR_NUMERIC,
        "evaluation loss is " +
            std::string(std::isnan(result.loss) ? "NaN" : "infinite"));
  return Status::success();
}

Status neurona::train::evaluate(nr_model *model, const Dataset &dataset,
                                int64_t batchSize, EvalResult &result) {
  if (!model)
    return Status::error(NR_ERROR_INVALID_ARGUMENT, "evaluate: model is NULL");
  if (Status s = dataset.validate(); !s)
    return s;
  if (dataset.numSamples == 0)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "evaluate: the dataset is empty");
  LossSpec spec;
  if (Status s = lossSpecFromModel(model, spec); !s)
    return s;
  if (batchSize <= 0)
    if (Status s = configInt(model, "batch", 256, batchSize); !s)
      return s;
  Plan plan;
  if (Status s = makePlan(model, "forward", dataset, spec, false, plan); !s)
    return s;
  return evaluateWith(model, dataset, spec, plan, batchSize, result);
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

std::string neurona::train::formatEpochLine(const EpochStats &stats,
                                            int64_t epochs) {
  char buf[256];
  std::string line =
      "epoch " + std::to_string(stats.epoch) + "/" + std::to_string(epochs);
  auto field = [&](const char *name, double v) {
    if (std::isnan(v))
      return;
    std::snprintf(buf, sizeof(buf), "  %s %.4f", name, v);
    line += buf;
  };
  field("loss", stats.loss);
  field("acc", stats.accuracy);
  field("rmse", stats.rmse);
  field("mae", stats.mae);
  field("ppl", stats.perplexity);
  field("test_loss", stats.testLoss);
  field("test_acc", stats.testAccuracy);
  field("test_rmse", stats.testRmse);
  field("test_mae", stats.testMae);
  field("test_ppl", stats.testPerplexity);
  std::snprintf(buf, sizeof(buf), "  (%.1f s)", stats.seconds);
  return line + buf;
}

namespace {
/// The in-place progress bar; drawn only on a terminal.
class Progress {
public:
  explicit Progress(bool enabled) : enabled(enabled) {}

  void update(int64_t epoch, int64_t epochs, int64_t batch, int64_t batches,
              double loss, double accuracy, bool force) {
    if (!enabled)
      return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last < std::chrono::milliseconds(100))
      return;
    last = now;
    const int width = 24;
    int filled = int(double(width) * double(batch) / double(batches));
    std::string bar(size_t(filled), '=');
    if (filled < width)
      bar += '>' + std::string(size_t(width - filled - 1), ' ');
    std::fprintf(stderr, "\r\033[Kepoch %lld/%lld [%s] %lld/%lld  loss %.4f",
                 (long long)epoch, (long long)epochs, bar.c_str(),
                 (long long)batch, (long long)batches, loss);
    if (!std::isnan(accuracy))
      std::fprintf(stderr, "  acc %.4f", accuracy);
    std::fflush(stderr);
  }
  void clear() {
    if (enabled) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
    }
  }

private:
  bool enabled;
  std::chrono::steady_clock::time_point last{};
};

/// Closes a FILE on every exit path.
struct FileCloser {
  std::FILE *f = nullptr;
  ~FileCloser() { close(); }
  void close() {
    if (f)
      std::fclose(f);
    f = nullptr;
  }
};
} // namespace

static std::string csvNumber(double v) {
  if (std::isnan(v))
    return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

namespace {
/// The epochs of one train() call, after its arguments have been checked.
struct Loop {
  Loop(nr_model *model, const Dataset &trainSet, const TrainOptions &options,
       const LossSpec &spec, const Plan &plan, const Plan &evalPlan,
       int64_t epochs, int64_t batchSize, double lr, TrainResult &result)
      : model(model), trainSet(trainSet), options(options), spec(spec),
        plan(plan), evalPlan(evalPlan), epochs(epochs), batchSize(batchSize),
        lr(lr), result(result) {}

  nr_model *model;
  const Dataset &trainSet;
  const TrainOptions &options;
  const LossSpec &spec;
  const Plan &plan, &evalPlan;
  int64_t epochs, batchSize;
  /// The base learning rate; `schedule` gives each epoch's.
  double lr;
  TrainResult &result;
  LRSchedule schedule;
  /// The shuffling seed (the checkpoint's when resuming).
  uint64_t seed = 0;
  /// The first epoch to run (1, or the checkpoint's epoch + 1).
  int64_t firstEpoch = 1;

  FileCloser curves;
  bool createdCsv = false;
  ParamSnapshot snapshot;

  Status run();

private:
  Status stopped(int64_t epoch, const std::string &where) {
    result.stoppedBy = int(*options.stop);
    return Status::error(NR_ERROR_INTERNAL,
                         "training interrupted by " +
                             signalName(result.stoppedBy) + " in epoch " +
                             std::to_string(epoch) + ", " + where);
  }
  bool stopRequested() const { return options.stop && *options.stop != 0; }
};
} // namespace

Status Loop::run() {
  std::FILE *summary = options.summary ? options.summary : stdout;
  // A .svg path gets a picture redrawn after every epoch; any other path the
  // CSV, one line per epoch.
  bool svgCurves =
      options.curvesPath.size() >= 4 &&
      options.curvesPath.compare(options.curvesPath.size() - 4, 4, ".svg") == 0;
  std::vector<EpochStats> drawn;
  if (!options.curvesPath.empty() && !svgCurves) {
    curves.f = std::fopen(options.curvesPath.c_str(), "w");
    if (!curves.f)
      return Status::error(NR_ERROR_IO, "cannot write curves file '" +
                                            options.curvesPath +
                                            "': " + std::strerror(errno));
    createdCsv = true;
    std::fprintf(curves.f, "epoch,loss,acc,rmse,mae,test_loss,test_acc,"
                           "test_rmse,test_mae,lr,seconds\n");
    std::fflush(curves.f);
  }
  // Without a checkpoint, the parameters of the last finished epoch are
  // kept in memory for keepPath.
  bool snapshots = options.checkpointPath.empty() && !options.keepPath.empty();

  // train_step's loss is the objective: say so when it is not the data
  // loss alone (Keras reports the same sum).
  const char *penalty = nullptr;
  if (!options.quiet &&
      (nr_model_train_config(model, "penalty", &penalty) == NR_OK ||
       nr_model_train_config(model, "activity", &penalty) == NR_OK)) {
    std::fprintf(summary, "loss includes the penalties of the train "
                          "section; test_loss, rmse and mae do not\n");
    std::fflush(summary);
  }
  bool regression = isRegression(spec.kind) || spec.sumPerSample;
  bool trainAccuracy = !regression && plan.hasOutput;
  bool trainErrors = regression && plan.hasOutput;
  bool testAccuracy = !regression;
  bool perplexity = hasMetric(model, "perplexity");
  Progress progress(!options.quiet && isatty(fileno(stderr)));
  std::vector<int64_t> order(size_t(trainSet.numSamples));
  int64_t batches = (trainSet.numSamples + batchSize - 1) / batchSize;
  BatchBuffer in, target, out;
  std::vector<BatchBuffer> more;
  std::vector<double> pred(size_t(plan.outputWidth));
  // Sequence labels: the loss and accuracy are means over the tokens that
  // are not padding, and train_step's loss is its batch's token mean.
  bool sequences = trainSet.targetKind == TargetKind::SequenceLabels;

  for (int64_t epoch = firstEpoch; epoch <= epochs; ++epoch) {
    auto started = std::chrono::steady_clock::now();
    if (options.shuffle) {
      order = permutation(trainSet.numSamples, epochSeed(seed, epoch));
    } else {
      for (size_t i = 0; i < order.size(); ++i)
        order[i] = int64_t(i);
    }
    double epochLr = schedule.at(lr, epoch - 1);
    double lossSum = 0, squared = 0, absolute = 0;
    int64_t seen = 0, correct = 0;
    double tokenLoss = 0;
    int64_t tokens = 0, tokenCorrect = 0;
    for (int64_t b = 0; b < batches; ++b) {
      if (stopRequested()) {
        progress.clear();
        return stopped(epoch, "before batch " + std::to_string(b + 1) + "/" +
                                  std::to_string(batches));
      }
      int64_t start = b * batchSize;
      int64_t n = std::min(batchSize, trainSet.numSamples - start);
      const int64_t *indices = order.data() + start;
      std::vector<nr_tensor> inputs =
          fillInputs(trainSet, plan, indices, n, in, more);
      target.prepare(plan.target, n);
      fillTargets(trainSet, indices, n, plan.targetCount, target);
      if (plan.hasOutput)
        out.prepare(plan.output, n);
      double loss = 0;
      nr_status s = nr_model_train_step(
          model, inputs.data(), inputs.size(), &target.tensor, 1, epochLr,
          &loss, plan.hasOutput ? &out.tensor : nullptr,
          plan.hasOutput ? 1 : 0);
      if (s != NR_OK) {
        progress.clear();
        return apiError(s, "epoch " + std::to_string(epoch) + ", batch " +
                               std::to_string(b + 1) + "/" +
                               std::to_string(batches));
      }
      lossSum += loss * double(n);
      seen += n;
      if (sequences && plan.hasOutput) {
        int64_t batchTokens = 0, batchCorrect = 0;
        double ignored = 0;
        for (int64_t k = 0; k < n; ++k)
          scoreSequence(out, k, plan,
                        trainSet.labels.data() + indices[k] * plan.steps,
                        ignored, batchCorrect, batchTokens);
        tokenLoss += loss * double(batchTokens);
        tokens += batchTokens;
        tokenCorrect += batchCorrect;
      } else if (trainAccuracy)
        for (int64_t k = 0; k < n; ++k) {
          for (int64_t j = 0; j < plan.outputWidth; ++j)
            pred[size_t(j)] = out.at(k * plan.outputWidth + j);
          correct += sampleCorrect(spec, pred.data(), plan.outputWidth,
                                   sampleTarget(trainSet, indices[k]));
        }
      if (trainErrors)
        for (int64_t k = 0; k < n; ++k) {
          for (int64_t j = 0; j < plan.outputWidth; ++j)
            pred[size_t(j)] = out.at(k * plan.outputWidth + j);
          addSampleErrors(pred.data(), plan.outputWidth,
                          sampleTarget(trainSet, indices[k]), squared,
                          absolute);
        }
      if (sequences && tokens > 0) {
        lossSum = tokenLoss / double(tokens) * double(seen);
        correct = int64_t(double(tokenCorrect) / double(tokens) * double(seen));
      }
      progress.update(epoch, epochs, b + 1, batches, lossSum / double(seen),
                      trainAccuracy ? double(correct) / double(seen)
                                    : std::nan(""),
                      b + 1 == batches);
    }
    progress.clear();

    EpochStats stats;
    stats.epoch = epoch;
    stats.loss = lossSum / double(seen);
    stats.accuracy =
        trainAccuracy ? double(correct) / double(seen) : std::nan("");
    if (sequences && tokens > 0) {
      stats.loss = tokenLoss / double(tokens);
      stats.accuracy = double(tokenCorrect) / double(tokens);
    }
    double elements = double(seen) * double(plan.outputWidth);
    stats.rmse = trainErrors ? std::sqrt(squared / elements) : std::nan("");
    stats.mae = trainErrors ? absolute / elements : std::nan("");
    stats.learningRate = epochLr;
    stats.testLoss = stats.testAccuracy = std::nan("");
    stats.testRmse = stats.testMae = std::nan("");
    stats.perplexity = perplexity ? std::exp(stats.loss) : std::nan("");
    stats.testPerplexity = std::nan("");
    if (options.testSet) {
      if (stopRequested())
        return stopped(epoch, "before the test set");
      EvalResult eval;
      if (Status s = evaluateWith(model, *options.testSet, spec, evalPlan,
                                  batchSize, eval);
          !s)
        return s.withContext("epoch " + std::to_string(epoch) + ", test set");
      stats.testLoss = eval.loss;
      stats.testAccuracy = testAccuracy ? eval.accuracy : std::nan("");
      stats.testRmse = eval.rmse;
      stats.testMae = eval.mae;
      if (perplexity)
        stats.testPerplexity = std::exp(eval.loss);
    }
    stats.seconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - started)
                        .count();

    if (!options.quiet) {
      std::fprintf(summary, "%s\n", formatEpochLine(stats, epochs).c_str());
      std::fflush(summary);
    }
    if (curves.f) {
      std::fprintf(
          curves.f, "%lld,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.3f\n", (long long)epoch,
          csvNumber(stats.loss).c_str(), csvNumber(stats.accuracy).c_str(),
          csvNumber(stats.rmse).c_str(), csvNumber(stats.mae).c_str(),
          csvNumber(stats.testLoss).c_str(),
          csvNumber(stats.testAccuracy).c_str(),
          csvNumber(stats.testRmse).c_str(), csvNumber(stats.testMae).c_str(),
          csvNumber(stats.learningRate).c_str(), stats.seconds);
      if (std::fflush(curves.f) != 0)
        return Status::error(NR_ERROR_IO, "error writing curves file '" +
                                              options.curvesPath + "'");
    }
    if (svgCurves) {
      drawn.push_back(stats);
      const char *name = nullptr;
      nr_model_name(model, &name);
      if (Status s = writeCurvesSvg(
              options.curvesPath,
              std::string(name ? name : "model") + " learning curves", drawn);
          !s)
        return s;
    }
    if (!options.checkpointPath.empty())
      if (Status s = writeEpochCheckpoint(model, options.checkpointPath, epoch,
                                          seed, batchSize, lr);
          !s)
        return s;
    if (snapshots)
      if (Status s = snapshot.take(model); !s)
        return s;
    // The epoch has finished: the curves and the checkpoint include it.
    result.history.push_back(stats);
  }
  return Status::success();
}

Status neurona::train::train(nr_model *model, const Dataset &trainSet,
                             const TrainOptions &options, TrainResult &result) {
  result = TrainResult();
  if (!model)
    return Status::error(NR_ERROR_INVALID_ARGUMENT, "train: model is NULL");
  if (Status s = trainSet.validate(); !s)
    return s;
  if (trainSet.numSamples == 0)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "train: the training set is empty");
  int has = 0;
  if (nr_model_has_entry(model, "train_step", &has) != NR_OK || !has)
    return Status::error(NR_ERROR_NOT_FOUND,
                         "the model has no 'train_step' entry; compile it "
                         "with training enabled");
  LossSpec spec;
  if (Status s = lossSpecFromModel(model, spec); !s)
    return s;

  int64_t epochs = options.epochs, batchSize = options.batchSize;
  if (epochs < 0 || batchSize < 0)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "train: epochs and batch size must not be negative");
  if (epochs == 0)
    if (Status s = configInt(model, "epochs", 1, epochs); !s)
      return s;
  if (batchSize == 0)
    if (Status s = configInt(model, "batch", 32, batchSize); !s)
      return s;
  double lr = options.learningRate;
  if (!(lr >= 0) || !std::isfinite(lr))
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "train: the learning rate must be a positive number");
  if (lr == 0) {
    std::string text;
    if (!configValue(model, "lr", text))
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           "no learning rate: pass one, or compile the model "
                           "with lr in its train settings");
    char *end;
    lr = std::strtod(text.c_str(), &end);
    if (*end || end == text.c_str() || !(lr > 0) || !std::isfinite(lr))
      return Status::error(NR_ERROR_FORMAT, "train setting lr=" + text +
                                                " is not a positive number");
  }

  Plan plan, evalPlan;
  if (Status s = makePlan(model, "train_step", trainSet, spec, true, plan); !s)
    return s;
  if (options.testSet) {
    if (Status s = options.testSet->validate(); !s)
      return s.withContext("test set");
    if (options.testSet->numSamples == 0)
      return Status::error(NR_ERROR_INVALID_ARGUMENT, "the test set is empty");
    if (Status s =
            makePlan(model, "forward", *options.testSet, spec, false, evalPlan);
        !s)
      return s.withContext("test set");
  }
  Loop loop(model, trainSet, options, spec, plan, evalPlan, epochs, batchSize,
            lr, result);
  if (Status s = scheduleFromModel(model, loop.schedule); !s)
    return s;
  loop.seed = options.seed;
  if (options.initParams)
    if (nr_status s = nr_model_init_params(model, options.seed))
      return apiError(s, "initialising parameters");
  // Also when training continues from loaded parameters: one seed, one run.
  // The random ops' step restarts at 0, or at the checkpoint's below.
  if (nr_status s = nr_model_set_seed(model, options.seed))
    return apiError(s, "seeding the random ops");
  if (!options.resumePath.empty()) {
    TrainPosition position;
    if (Status s =
            resumeCheckpoint(model, options.resumePath, batchSize, lr, epochs,
                             options.seed, options.seedGiven, position);
        !s)
      return s;
    loop.seed = position.seed;
    loop.firstEpoch = position.epoch + 1;
  }
  Status status = loop.run();
  if (status)
    return status;
  loop.curves.close();
  // What is kept of a failed run: a curves CSV with no epoch in it says
  // nothing; the parameters of the last finished epoch are in the checkpoint
  // already, or are written to keepPath.
  if (!options.curvesPath.empty()) {
    if (result.history.empty()) {
      if (loop.createdCsv)
        std::remove(options.curvesPath.c_str());
    } else {
      result.keptCurves = options.curvesPath;
    }
  }
  if (result.history.empty())
    return status;
  if (!options.checkpointPath.empty()) {
    result.keptParams = options.checkpointPath;
  } else if (!options.keepPath.empty()) {
    if (Status s = loop.snapshot.write(options.keepPath); !s)
      return Status::error(status.getCode(),
                           status.getMessage() +
                               " (and the parameters of epoch " +
                               std::to_string(result.history.back().epoch) +
                               " could not be kept: " + s.getMessage() + ")");
    result.keptParams = options.keepPath;
  }
  return status;
}

Status neurona::train::train(nr_model *model, const Dataset &trainSet,
                             const TrainOptions &options,
                             std::vector<EpochStats> *history) {
  TrainResult result;
  Status s = train(model, trainSet, options, result);
  if (history)
    *history = std::move(result.history);
  return s;
}
