//===- neurona/Train/Trainer.h - Training and evaluation loops --*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// The loops behind `neurona train` and `neurona eval`. They drive a model
// opened with the runtime C API: mini-batches through the `train_step` entry
// for training, through `forward` for evaluation, with the loss kind taken
// from the manifest's `train` line (loss=cross_entropy | binary_cross_entropy
// | mse | mae). Evaluation losses are computed here from forward outputs with
// the same definitions as the compiler's nn loss ops, which train_step uses
// (PyTorch's, reduction='mean'):
//
//  - cross_entropy: mean over the batch of -log softmax(logits)[label]
//    (with soft / one-hot float targets: -sum_j t_j log softmax_j);
//  - binary_cross_entropy: mean over batch and outputs of
//    -(t log p + (1 - t) log(1 - p)) for probabilities p (the model ends in a
//    sigmoid), each log clamped at -100 as in PyTorch's BCELoss; with
//    from_logits=true (BCEWithLogitsLoss) t softplus(-z) + (1-t) softplus(z);
//  - mse: mean over batch and outputs of (y - t)^2;
//  - mae: mean over batch and outputs of |y - t| (L1Loss).
//
// Predictions are logits for cross_entropy and probabilities for
// binary_cross_entropy; a `from_logits=true|false` train setting overrides
// that (probabilities for cross_entropy use -log p[label], logits for
// binary_cross_entropy the stable sigmoid form). The compiler writes
// from_logits=true for `binary_cross_entropy(from_logits=true)`.
// Several inputs are fed from the dataset's first input and its
// `moreInputs`, in the model's order. Sequence labels (an encoder-decoder's
// next words) are scored per step, padding (label 0) skipped: token
// cross-entropy and token accuracy, both means over the labelled steps.
// Accuracy: argmax against the label when the prediction has more than one
// column; with one column, prediction > 0.5 (probabilities) or > 0 (logits)
// against label != 0; none for mse and mae, which report rmse
// (sqrt of the mean squared error over every output of the epoch) and mae
// (the mean absolute error) instead.
//
// The training loss reported per epoch is what train_step returns: the
// objective, data loss plus the train section's penalties (as Keras reports
// it). test_loss, rmse and mae are the data loss and errors alone.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_TRAIN_TRAINER_H
#define NEURONA_TRAIN_TRAINER_H

#include "neurona-c/runtime.h"
#include "neurona/Data/Dataset.h"
#include "neurona/Runtime/Status.h"

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace neurona {
namespace train {

enum class LossKind {
  CrossEntropy,
  BinaryCrossEntropy,
  MeanSquaredError,
  MeanAbsoluteError
};

/// mse and mae: no accuracy, rmse and mae reported instead.
inline bool isRegression(LossKind kind) {
  return kind == LossKind::MeanSquaredError ||
         kind == LossKind::MeanAbsoluteError;
}

struct LossSpec {
  LossKind kind = LossKind::CrossEntropy;
  /// Predictions are logits (true) or probabilities (false).
  bool fromLogits = true;
  /// `reduction=sum`: the element-wise losses are summed over each sample
  /// (then averaged over samples) instead of averaged over its elements.
  bool sumPerSample = false;
};

/// Reads `loss` (required), `from_logits` (optional; the default is true
/// for cross_entropy, false for binary_cross_entropy) and `reduction`
/// (mean or sum; optional, mean by default) from the model's train config.
Status lossSpecFromModel(const nr_model *model, LossSpec &out);

struct TrainOptions {
  /// Number of passes; 0 takes "epochs" from the train config, else 1.
  int64_t epochs = 0;
  /// Samples per step; 0 takes "batch" from the train config, else 32.
  int64_t batchSize = 0;
  /// Step size; 0 takes "lr" from the train config (an error if absent).
  /// A schedule in the train config (schedule=step|cosine) scales it per
  /// epoch (Schedule.h).
  double learningRate = 0;
  /// Seeds the shuffling, the random ops' draws (nr_model_set_seed: dropout,
  /// noise; their step counter restarts at 0, or at a resumed checkpoint's)
  /// and the parameters when initParams is set. The order of epoch e is a
  /// pure function of (seed, e), so a resumed run sees the same batches as
  /// an uninterrupted one.
  uint64_t seed = 0;
  /// Whether `seed` was chosen by the user; otherwise a resumed run takes
  /// its checkpoint's seed.
  bool seedGiven = false;
  bool shuffle = true;
  /// Re-initialise parameters with nr_model_init_params(model, seed) before
  /// training; otherwise training continues from the current values.
  bool initParams = false;
  /// Evaluated with `forward` after every epoch when set (not owned).
  const data::Dataset *testSet = nullptr;
  /// CSV of epoch,loss,acc,test_loss,test_acc,seconds; written as training
  /// goes (one flushed line per epoch). A path ending in .svg gets charts of
  /// loss and accuracy instead, redrawn after every epoch. Empty = none.
  std::string curvesPath;
  /// A training checkpoint is written here (atomically, .npz) after every
  /// epoch: the parameters, the optimizer state (every `state` buffer), and
  /// the trainer's position as `trainer:epoch`, `trainer:step` (the global
  /// step, nr_model_get_step), `trainer:seed`, `trainer:batch` and
  /// `trainer:lr` (the base learning rate; the schedule's position follows
  /// from the epoch). Empty = none.
  std::string checkpointPath;
  /// Continue from this checkpoint: its parameters, optimizer state, global
  /// step and seed replace the model's, and training runs epochs
  /// (checkpoint epoch + 1) to `epochs`, so that N/2 epochs plus a resume to
  /// N give the same parameters bit for bit as N epochs in one go. A
  /// checkpoint of another model, optimizer or shape, or one whose batch
  /// size, learning rate or seed differs from this run's, is an error that
  /// names the file and the tensor or setting. Empty = none.
  std::string resumePath;
  /// When training fails after at least one epoch has finished (an error, a
  /// NaN or infinite loss, a stop request), the parameters as they were at
  /// the end of the last finished epoch are written here (atomically, .npz),
  /// unless checkpointPath already holds them. Empty = none. The trainer
  /// never writes anything else on failure; where the final parameters go is
  /// the caller's business.
  std::string keepPath;
  /// Polled before every step and every test-set evaluation: once it reads
  /// non-zero, training stops with an error that says so, and
  /// TrainResult::stoppedBy holds the value (InterruptGuard::flag() gives the
  /// number of the signal received). nullptr = never.
  const volatile std::sig_atomic_t *stop = nullptr;
  /// No progress bar and no epoch lines.
  bool quiet = false;
  /// Where epoch summary lines go (nullptr = stdout). The progress bar is
  /// drawn on stderr, only when stderr is a terminal.
  std::FILE *summary = nullptr;
};

/// Metrics of one epoch. Accuracy fields are NaN when the loss kind has no
/// accuracy (mse, mae), rmse and mae fields when it has; test fields are
/// NaN without a test set.
struct EpochStats {
  int64_t epoch = 0;
  double loss = 0;
  double accuracy = 0;
  double rmse = std::numeric_limits<double>::quiet_NaN();
  double mae = std::numeric_limits<double>::quiet_NaN();
  double testLoss = 0;
  double testAccuracy = 0;
  double testRmse = std::numeric_limits<double>::quiet_NaN();
  double testMae = std::numeric_limits<double>::quiet_NaN();
  /// The learning rate of the epoch's steps (after the schedule).
  double learningRate = 0;
  /// exp(loss) and exp(test loss) with `metrics = [perplexity]` (a
  /// cross-entropy model), else NaN.
  double perplexity = std::numeric_limits<double>::quiet_NaN();
  double testPerplexity = std::numeric_limits<double>::quiet_NaN();
  /// GANs (trainGAN): `loss` is the discriminator's and this the
  /// generator's mean loss of the epoch; NaN otherwise.
  double generatorLoss = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;
};

/// What a train() call got done; filled in whether it succeeds or not.
struct TrainResult {
  /// One entry per finished epoch.
  std::vector<EpochStats> history;
  /// The value TrainOptions::stop had when it stopped training; 0 if it did
  /// not.
  int stoppedBy = 0;
  /// After a failure: the file that holds the parameters of the last
  /// finished epoch (history.back()), i.e. TrainOptions::checkpointPath or
  /// keepPath; empty when no epoch finished or there was nowhere to keep
  /// them.
  std::string keptParams;
  /// After a failure: the curves file with the finished epochs, or empty if
  /// there is none (a CSV with no epoch in it is removed).
  std::string keptCurves;
};

/// Result of evaluate(). accuracy is NaN when there is none (mse, mae);
/// rmse and mae are NaN for the classification losses. With sequence
/// labels (Dataset's SequenceLabels) the loss and accuracy are means over
/// the steps whose label is not padding (0): token cross-entropy and token
/// accuracy, as training reports them.
struct EvalResult {
  double loss = 0;
  double accuracy = 0;
  double rmse = 0;
  double mae = 0;
  int64_t numSamples = 0;
};

/// Trains `model` on `trainSet`. Every epoch shuffles the samples (seeded,
/// reproducible), runs all mini-batches including a last partial one through
/// nr_model_train_step, evaluates the test set, prints the summary line,
/// appends to the curves file and writes the checkpoint. A NaN or infinite
/// loss stops training with NR_ERROR_NUMERIC; the model's parameters keep the
/// values of the last good step, and options.keepPath receives those of the
/// last finished epoch. `result` says what was done and kept.
Status train(nr_model *model, const data::Dataset &trainSet,
             const TrainOptions &options, TrainResult &result);

/// The same; `history`, if given, receives one entry per finished epoch.
Status train(nr_model *model, const data::Dataset &trainSet,
             const TrainOptions &options,
             std::vector<EpochStats> *history = nullptr);

/// Trains a GAN: a model with entries `d_train_step` (inputs: real samples
/// and noise) and `g_train_step` (input: noise), as `neurona compile`
/// builds them from a train section with `generator` and `discriminator`.
/// Every batch of shuffled real samples runs one discriminator step, then
/// one generator step, each on noise drawn from N(0, I) on the host
/// (Philox normals of the seed and the global step, streams 0 and 1), so a
/// run is bit-reproducible for a seed. Epochs, batch size, learning rate
/// (with its schedule) and the seed come as for train(); the curves are a
/// CSV of epoch,d_loss,g_loss,lr,seconds. Checkpoints, resuming and test
/// sets are refused. `result.history` holds each epoch's mean discriminator
/// loss (`loss`) and generator loss (`generatorLoss`).
Status trainGAN(nr_model *model, const data::Dataset &trainSet,
                const TrainOptions &options, TrainResult &result);

/// Evaluates `model` on `dataset` in batches of `batchSize` (0 = "batch" from
/// the train config, else 256) through `forward`.
Status evaluate(nr_model *model, const data::Dataset &dataset,
                int64_t batchSize, EvalResult &result);

/// Formats a summary line such as
/// "epoch 3/5  loss 0.4123  acc 0.8512  test_loss 0.4500  test_acc 0.8421 (12.3
/// s)" or, for regression, "epoch 3/5  loss 0.0400  rmse 0.2000  mae 0.1500
/// test_loss ..." leaving out NaN fields.
std::string formatEpochLine(const EpochStats &stats, int64_t epochs);

} // namespace train
} // namespace neurona

#endif // NEURONA_TRAIN_TRAINER_H
