//===- Losses.cpp - Per-sample losses and accuracy ------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "Losses.h"

#include <algorithm>
#include <cmath>

using namespace neurona::train;

/// log(p) clamped at -100, as PyTorch and the compiled
/// nn.binary_cross_entropy do, so that a confident wrong answer costs a large
/// finite loss rather than infinity.
static double clampedLog(double p) {
  return p > 0 ? std::max(std::log(p), -100.0) : -100.0;
}

/// -log sigmoid(z) without overflow: softplus(-z).
static double softplus(double x) {
  return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
}

/// Target value j of a sample for the element-wise losses (binary
/// cross-entropy, mse), as the trainer feeds train_step (fillTargets in
/// Trainer.cpp): a label is one-hot over a prediction of several columns and
/// its own value for a single column.
static double elementTarget(const SampleTarget &target, int64_t width,
                            int64_t j) {
  if (!target.isLabel)
    return target.values[j];
  if (width == 1)
    return double(target.label);
  return j == target.label ? 1.0 : 0.0;
}

template <typename T> static int64_t argmax(const T *v, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (v[i] > v[best])
      best = i;
  return best;
}

double neurona::train::sampleLoss(const LossSpec &spec, const double *pred,
                                  int64_t width, const SampleTarget &target) {
  switch (spec.kind) {
  case LossKind::CrossEntropy: {
    if (spec.fromLogits) {
      double maxLogit = pred[argmax(pred, width)];
      double sum = 0;
      for (int64_t j = 0; j < width; ++j)
        sum += std::exp(pred[j] - maxLogit);
      double logSumExp = maxLogit + std::log(sum);
      if (target.isLabel)
        return logSumExp - pred[target.label];
      double loss = 0;
      for (int64_t j = 0; j < width; ++j)
        loss += double(target.values[j]) * (logSumExp - pred[j]);
      return loss;
    }
    if (target.isLabel)
      return -clampedLog(pred[target.label]);
    double loss = 0;
    for (int64_t j = 0; j < width; ++j)
      loss -= double(target.values[j]) * clampedLog(pred[j]);
    return loss;
  }
  case LossKind::BinaryCrossEntropy: {
    double sum = 0;
    for (int64_t j = 0; j < width; ++j) {
      double t = elementTarget(target, width, j);
      if (spec.fromLogits) {
        // t * softplus(-z) + (1 - t) * softplus(z)
        sum += t * softplus(-pred[j]) + (1 - t) * softplus(pred[j]);
      } else {
        sum -= t * clampedLog(pred[j]) + (1 - t) * clampedLog(1 - pred[j]);
      }
    }
    return spec.sumPerSample ? sum : sum / double(width);
  }
  case LossKind::MeanSquaredError:
  case LossKind::MeanAbsoluteError: {
    double squared = 0, absolute = 0;
    addSampleErrors(pred, width, target, squared, absolute);
    double sum = spec.kind == LossKind::MeanSquaredError ? squared : absolute;
    return spec.sumPerSample ? sum : sum / double(width);
  }
  }
  return 0;
}

void neurona::train::addSampleErrors(const double *pred, int64_t width,
                                     const SampleTarget &target,
                                     double &squared, double &absolute) {
  for (int64_t j = 0; j < width; ++j) {
    double d = pred[j] - elementTarget(target, width, j);
    squared += d * d;
    absolute += std::fabs(d);
  }
}

bool neurona::train::sampleCorrect(const LossSpec &spec, const double *pred,
                                   int64_t width, const SampleTarget &target) {
  if (width > 1) {
    int64_t expected =
        target.isLabel ? target.label : argmax(target.values, width);
    return argmax(pred, width) == expected;
  }
  bool positive = spec.fromLogits ? pred[0] > 0 : pred[0] > 0.5;
  bool expected = target.isLabel ? target.label != 0 : target.values[0] > 0.5f;
  return positive == expected;
}
