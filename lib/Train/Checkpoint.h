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
#include <vector>

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

/// The checkpoint of a finished epoch: writeCheckpoint with the model's
/// global step; errors say after which epoch.
Status writeEpochCheckpoint(nr_model *model, const std::string &path,
                            int64_t epoch, uint64_t seed, int64_t batch,
                            double learningRate);

/// Checks that `path` is a checkpoint of `model` (every parameter and state
/// buffer present with its dtype and shape, nothing else but the trainer's
/// entries) and only then loads it: parameters, state and global step.
/// Errors name the file and the tensor.
Status readCheckpoint(nr_model *model, const std::string &path,
                      TrainPosition &position);

/// Continues the run saved in the checkpoint at `path`: loads it
/// (readCheckpoint), checks that it was trained with this batch size,
/// learning rate and (when `seedGiven`) seed and has epochs left before
/// `epochs`, and seeds the random ops with its seed at its step. Errors
/// name the file and the setting that differs; the caller trains nothing
/// after one.
Status resumeCheckpoint(nr_model *model, const std::string &path,
                        int64_t batch, double learningRate, int64_t epochs,
                        uint64_t seed, bool seedGiven,
                        TrainPosition &position);

/// A copy of every parameter, taken at the end of an epoch: what a run that
/// fails or is interrupted later keeps when it writes no checkpoint.
class ParamSnapshot {
public:
  Status take(nr_model *model);
  /// Writes the copy as a parameter file (nr_model_load_params reads it).
  Status write(const std::string &path) const;

private:
  std::vector<nr_param_info> infos;
  std::vector<std::vector<char>> values;
};

} // namespace train
} // namespace neurona

#endif // NEURONA_LIB_TRAIN_CHECKPOINT_H
