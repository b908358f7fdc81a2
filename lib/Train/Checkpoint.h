//===- Checkpoint.h - Training checkpoints that resume exactly --*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// A checkpoint is one .npz archive, written atomically (writeNpz): every
// parameter and every optimizer-state buffer under its manifest name, and
// the trainer's position as scalar arrays:
//
//   trainer:epoch  i64  epochs finished
//   trainer:step   i64  the model's global step (nr_model_get_step)
//   trainer:seed   i64  the shuffling seed (bit pattern of the uint64)
//   trainer:batch  i64  batch size
//   trainer:lr     f64  the base learning rate (before the schedule)
//
// The per-epoch order of the samples and the learning rate are pure
// functions of (seed, epoch), so nothing else is needed to continue exactly.
// numpy.load reads it; nr_model_load_params reads its parameters (and
// ignores the rest), so `neurona eval --params` works on a checkpoint.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_TRAIN_CHECKPOINT_H
#define NEURONA_LIB_TRAIN_CHECKPOINT_H

#include "neurona-c/runtime.h"
#include "neurona/Runtime/Status.h"

#include <cstdint>
#include <string>

namespace neurona {
namespace train {

struct TrainPosition {
  int64_t epoch = 0;
  uint64_t step = 0;
  uint64_t seed = 0;
  int64_t batch = 0;
  double learningRate = 0;
};

/// Writes `model`'s parameters and state and `position` to `path`.
Status writeCheckpoint(nr_model *model, const std::string &path,
                       const TrainPosition &position);

/// Checks that `path` is a checkpoint of `model` (every parameter and state
/// buffer present with its dtype and shape, nothing else but the trainer's
/// entries) and only then loads it: parameters, state and global step.
/// Errors name the file and the tensor.
Status readCheckpoint(nr_model *model, const std::string &path,
                      TrainPosition &position);

} // namespace train
} // namespace neurona

#endif // NEURONA_LIB_TRAIN_CHECKPOINT_H
