//===- Losses.h - Per-sample losses and accuracy for evaluation -*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// The loss definitions documented in neurona/Train/Trainer.h, one sample at a
// time, in double precision. They must agree with what the compiler emits
// for train_step, since the trainer prints both side by side.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_TRAIN_LOSSES_H
#define NEURONA_LIB_TRAIN_LOSSES_H

#include "neurona/Train/Trainer.h"

#include <cstdint>

namespace neurona {
namespace train {

/// The target of one sample: a class label, or `width` float values. For
/// binary cross-entropy and mse a label stands for a one-hot row when the
/// prediction has several columns and for its own value when it has one,
/// which is what the trainer feeds train_step.
struct SampleTarget {
  bool isLabel = true;
  int64_t label = 0;
  const float *values = nullptr;
};

/// Loss of one sample whose prediction is `pred[0..width)`.
double sampleLoss(const LossSpec &spec, const double *pred, int64_t width,
                  const SampleTarget &target);

/// Whether the prediction of one sample is correct (see Trainer.h).
bool sampleCorrect(const LossSpec &spec, const double *pred, int64_t width,
                   const SampleTarget &target);

/// Adds the sample's sum of squared errors and of absolute errors over its
/// `width` outputs (targets as the element-wise losses read them), for the
/// rmse and mae metrics of regression losses.
void addSampleErrors(const double *pred, int64_t width,
                     const SampleTarget &target, double &squared,
                     double &absolute);

} // namespace train
} // namespace neurona

#endif // NEURONA_LIB_TRAIN_LOSSES_H
