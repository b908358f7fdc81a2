//===- GAN.cpp - Alternating training of a generator and a discriminator --===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// A GAN's artifact has one training entry per network; both read the
// parameters from the same runtime buffers, so the loop only alternates
// them and feeds noise. The noise is drawn here rather than in the compiled
// code because `generate` takes it as an input too: what a user feeds
// `neurona run --entry generate` is exactly what training fed.
//
//===----------------------------------------------------------------------===//

#include "neurona/Train/Trainer.h"

#include "Checkpoint.h"
#include "Config.h"
#include "Shuffle.h"

#include "neurona/Data/Source.h"
#include "neurona/Runtime/NPY.h"
#include "neurona/Runtime/Philox.h"
#include "neurona/Train/Interrupt.h"
#include "neurona/Train/Schedule.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace neurona;
using namespace neurona::train;

namespace {

/// The inputs of a training entry, all batched f32 tensors.
struct EntryInputs {
  std::vector<nr_arg_info> inputs;
};

Status entryInputs(nr_model *model, const char *entry, EntryInputs &out) {
  size_t n = 0;
  if (nr_status s = nr_model_num_args(model, entry, &n))
    return Status::error(s, std::string("entry '") + entry +
                                "': " + nr_last_error());
  for (size_t i = 0; i < n; ++i) {
    nr_arg_info a;
    nr_model_arg_info(model, entry, i, &a);
    if (a.role != NR_ROLE_INPUT)
      continue;
    if (a.dtype != NR_F32 || a.rank < 1 || a.shape[0] >= 0)
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           std::string("entry '") + entry + "': input '" +
                               a.name + "' is not a batched f32 tensor");
    out.inputs.push_back(a);
  }
  return Status::success();
}

int64_t perSample(const nr_arg_info &a) {
  int64_t n = 1;
  for (int32_t d = 1; d < a.rank; ++d)
    n *= a.shape[d];
  return n;
}

nr_tensor batchTensor(const nr_arg_info &a, int64_t batch, float *data) {
  nr_tensor t = nr_tensor();
  t.dtype = NR_F32;
  t.rank = a.rank;
  std::memcpy(t.shape, a.shape, sizeof(t.shape));
  t.shape[0] = batch;
  t.data = data;
  return t;
}

/// A positive integer train setting, or `fallback`.
int64_t configCount(const nr_model *model, const char *key, int64_t fallback) {
  std::string text;
  if (!configValue(model, key, text))
    return fallback;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  return v > 0 ? v : fallback;
}

std::string csvNumber(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

} // namespace

Status neurona::train::trainGAN(nr_model *model, const data::Dataset &trainSet,
                                const TrainOptions &options,
                                TrainResult &result) {
  result = TrainResult();
  if (trainSet.integerFeatures)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "a GAN's discriminator takes float samples, but the "
                         "dataset holds integer ids");
  EntryInputs d, g;
  if (Status s = entryInputs(model, "d_train_step", d); !s)
    return s;
  if (Status s = entryInputs(model, "g_train_step", g); !s)
    return s;
  if (d.inputs.size() != 2 || g.inputs.size() != 1)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "a GAN's d_train_step takes (samples, noise) and "
                         "g_train_step (noise)");
  const nr_arg_info &real = d.inputs[0], &noise = d.inputs[1];
  if (perSample(real) != trainSet.featureSize())
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         std::string("the discriminator's input '") +
                             real.name + "' takes " +
                             std::to_string(perSample(real)) +
                             " values per sample, the dataset's samples have " +
                             std::to_string(trainSet.featureSize()));
  int64_t noiseSize = perSample(noise);

  int64_t epochs =
      options.epochs ? options.epochs : configCount(model, "epochs", 1);
  int64_t batch =
      options.batchSize ? options.batchSize : configCount(model, "batch", 32);
  double lr = options.learningRate;
  std::string text;
  if (lr == 0 && configValue(model, "lr", text))
    lr = std::strtod(text.c_str(), nullptr);
  if (!(lr > 0))
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "no learning rate: the model's train settings have "
                         "none and none was given");
  LRSchedule schedule;
  if (Status s = scheduleFromModel(model, schedule); !s)
    return s;
  if (options.initParams)
    if (nr_status s = nr_model_init_params(model, options.seed))
      return Status::error(s, nr_last_error());
  if (nr_status s = nr_model_set_seed(model, options.seed))
    return Status::error(s, nr_last_error());
  // A checkpoint holds both networks' parameters and optimizer state, the
  // shared step and the seed: the noise and the sample order continue as
  // an uninterrupted run draws them.
  uint64_t seed = options.seed;
  int64_t firstEpoch = 1;
  if (!options.resumePath.empty()) {
    TrainPosition position;
    if (Status s =
            resumeCheckpoint(model, options.resumePath, batch, lr, epochs,
                             options.seed, options.seedGiven, position);
        !s)
      return s;
    seed = position.seed;
    firstEpoch = position.epoch + 1;
  }

  std::FILE *summary = options.summary ? options.summary : stdout;
  std::FILE *curves = nullptr;
  if (!options.curvesPath.empty()) {
    curves = std::fopen(options.curvesPath.c_str(), "w");
    if (!curves)
      return Status::error(NR_ERROR_IO, "cannot write " + options.curvesPath +
                                            ": " + std::strerror(errno));
    std::fprintf(curves, "epoch,d_loss,g_loss,lr,seconds\n");
    std::fflush(curves);
  }
  struct Closer {
    std::FILE *&f;
    ~Closer() {
      if (f)
        std::fclose(f);
    }
  } closer{curves};

  int64_t n = trainSet.numSamples;
  int64_t features = trainSet.featureSize();
  std::vector<float> realBuf(size_t(batch * features));
  std::vector<float> noiseBuf(size_t(batch * noiseSize));
  auto drawNoise = [&](int64_t rows, uint32_t stream) {
    uint64_t seed = 0, step = 0;
    nr_model_get_rng(model, &seed, &step);
    for (int64_t i = 0; i < rows * noiseSize; ++i)
      noiseBuf[size_t(i)] =
          philox::normal(philox::draw(seed, step, stream, uint64_t(i)));
  };
  // Without a checkpoint, the parameters of the last finished epoch are
  // kept in memory for keepPath.
  bool snapshots = options.checkpointPath.empty() && !options.keepPath.empty();
  ParamSnapshot snapshot;
  Status status = Status::success();
  for (int64_t epoch = firstEpoch; epoch <= epochs && status; ++epoch)
    status = [&]() -> Status {
      auto start = std::chrono::steady_clock::now();
      double epochLr = schedule.at(lr, epoch - 1);
      std::vector<int64_t> order =
          options.shuffle ? data::permutation(n, epochSeed(seed, epoch))
                          : std::vector<int64_t>();
      double dSum = 0, gSum = 0;
      for (int64_t first = 0; first < n; first += batch) {
        if (options.stop && *options.stop) {
          result.stoppedBy = int(*options.stop);
          return Status::error(NR_ERROR_INTERNAL,
                               "training interrupted by " +
                                   signalName(result.stoppedBy) + " in epoch " +
                                   std::to_string(epoch));
        }
        int64_t rows = std::min(batch, n - first);
        for (int64_t b = 0; b < rows; ++b) {
          int64_t i = options.shuffle ? order[size_t(first + b)] : first + b;
          std::memcpy(realBuf.data() + b * features, trainSet.sampleFeatures(i),
                      size_t(features) * sizeof(float));
        }
        // The discriminator's step on real samples and generated ones, then
        // the generator's step on fresh noise; each advances the step.
        drawNoise(rows, 0);
        nr_tensor dIn[2] = {batchTensor(real, rows, realBuf.data()),
                            batchTensor(noise, rows, noiseBuf.data())};
        double dLoss = 0, gLoss = 0;
        if (nr_status s = nr_model_train_step_entry(model, "d_train_step", dIn,
                                                    2, nullptr, 0, epochLr,
                                                    &dLoss, nullptr, 0))
          return Status::error(s,
                               "epoch " + std::to_string(epoch) +
                                   ", discriminator step: " + nr_last_error());
        drawNoise(rows, 1);
        nr_tensor gIn = batchTensor(g.inputs[0], rows, noiseBuf.data());
        if (nr_status s = nr_model_train_step_entry(model, "g_train_step", &gIn,
                                                    1, nullptr, 0, epochLr,
                                                    &gLoss, nullptr, 0))
          return Status::error(s, "epoch " + std::to_string(epoch) +
                                      ", generator step: " + nr_last_error());
        dSum += dLoss * double(rows);
        gSum += gLoss * double(rows);
      }
      EpochStats stats;
      stats.epoch = epoch;
      stats.loss = dSum / double(n);
      stats.generatorLoss = gSum / double(n);
      stats.learningRate = epochLr;
      stats.seconds = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      stats.accuracy = stats.testLoss = stats.testAccuracy = std::nan("");
      if (!options.quiet) {
        std::fprintf(summary,
                     "epoch %lld/%lld  d_loss %.4f  g_loss %.4f  (%.1f s)\n",
                     (long long)epoch, (long long)epochs, stats.loss,
                     stats.generatorLoss, stats.seconds);
        std::fflush(summary);
      }
      if (curves) {
        std::fprintf(curves, "%lld,%s,%s,%s,%.3f\n", (long long)epoch,
                     csvNumber(stats.loss).c_str(),
                     csvNumber(stats.generatorLoss).c_str(),
                     csvNumber(epochLr).c_str(), stats.seconds);
        std::fflush(curves);
      }
      if (!options.checkpointPath.empty())
        if (Status s = writeEpochCheckpoint(model, options.checkpointPath,
                                            epoch, seed, batch, lr);
            !s)
          return s;
      if (snapshots)
        if (Status s = snapshot.take(model); !s)
          return s;
      // The epoch has finished: the curves and the checkpoint include it.
      result.history.push_back(stats);
      return Status::success();
    }();
  if (status || result.history.empty())
    return status;
  // A failed or interrupted run keeps the parameters of its last finished
  // epoch: in the checkpoint, or written to keepPath.
  if (!options.curvesPath.empty())
    result.keptCurves = options.curvesPath;
  if (!options.checkpointPath.empty()) {
    result.keptParams = options.checkpointPath;
  } else if (!options.keepPath.empty()) {
    if (Status s = snapshot.write(options.keepPath); !s)
      return Status::error(status.getCode(),
                           status.getMessage() +
                               " (and the parameters of epoch " +
                               std::to_string(result.history.back().epoch) +
                               " could not be kept: " + s.getMessage() + ")");
    result.keptParams = options.keepPath;
  }
  return status;
}
