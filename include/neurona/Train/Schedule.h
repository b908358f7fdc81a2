//===- neurona/Train/Schedule.h - Learning-rate schedules -------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// The learning rate is a hyper argument of train_step, so schedules live on
// the host: the trainer computes the rate once per epoch (all steps of an
// epoch use the same rate) from the base rate and the 0-based epoch index,
// as PyTorch's schedulers do when `scheduler.step()` is called once per
// epoch:
//
//  - step(every, gamma): lr_e = lr * gamma^floor(e / every), multiplied out
//    one decay at a time as torch.optim.lr_scheduler.StepLR does;
//  - cosine(epochs, min_lr): lr_e = min_lr + (lr - min_lr) (1 + cos(pi e /
//    epochs)) / 2, the closed form of CosineAnnealingLR (T_max = epochs,
//    eta_min = min_lr; Loshchilov & Hutter, SGDR). Past `epochs` the rate
//    follows the cosine back up, as PyTorch's does.
//
// The schedule's position is the epoch index alone, so a checkpoint that
// stores the epoch resumes it exactly.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_TRAIN_SCHEDULE_H
#define NEURONA_TRAIN_SCHEDULE_H

#include "neurona-c/runtime.h"
#include "neurona/Runtime/Status.h"

#include <cstdint>

namespace neurona {
namespace train {

struct LRSchedule {
  enum class Kind { Constant, Step, Cosine };
  Kind kind = Kind::Constant;
  /// step: epochs between decays (>= 1) and the factor (> 0).
  int64_t every = 1;
  double gamma = 0.1;
  /// cosine: the half period in epochs (>= 1) and the floor (>= 0).
  int64_t epochs = 1;
  double minLr = 0;

  /// The rate of 0-based epoch `epoch` for base rate `lr`.
  double at(double lr, int64_t epoch) const;
};

/// Reads `schedule`, `schedule_every`, `schedule_gamma`, `schedule_epochs`
/// and `schedule_min_lr` from the model's train config; Constant when there
/// is no `schedule`. A malformed value is NR_ERROR_FORMAT naming the key.
Status scheduleFromModel(const nr_model *model, LRSchedule &out);

} // namespace train
} // namespace neurona

#endif // NEURONA_TRAIN_SCHEDULE_H
