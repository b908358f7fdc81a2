//===- Checkpoint.cpp - Training checkpoints that resume exactly ----------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"

#include "neurona/Runtime/NPY.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <tuple>
#include <vector>

using namespace neurona;
using namespace neurona::train;

static const char kEpoch[] = "trainer:epoch", kStep[] = "trainer:step",
                  kSeed[] = "trainer:seed", kBatch[] = "trainer:batch",
                  kLr[] = "trainer:lr";

static Status apiError(nr_status code, const std::string &context) {
  return Status::error(code, context + ": " + nr_last_error());
}

namespace {
/// One parameter or state buffer of the model.
struct Buffer {
  nr_param_info info;
  bool isState;
};
} // namespace

static Status listBuffers(nr_model *model, std::vector<Buffer> &out) {
  size_t nParams = 0, nStates = 0;
  if (nr_status s = nr_model_num_params(model, &nParams))
    return apiError(s, "checkpoint");
  if (nr_status s = nr_model_num_states(model, &nStates))
    return apiError(s, "checkpoint");
  for (size_t i = 0; i < nParams + nStates; ++i) {
    Buffer b{{}, i >= nParams};
    nr_status s = b.isState ? nr_model_state_info(model, i - nParams, &b.info)
                            : nr_model_param_info(model, i, &b.info);
    if (s)
      return apiError(s, "checkpoint");
    out.push_back(b);
  }
  return Status::success();
}

static std::string typeText(nr_dtype dtype, const int64_t *shape, size_t rank) {
  return std::string(nr_dtype_name(dtype)) + " " +
         (rank == 0 ? std::string("scalar") : formatShape(shape, rank));
}

Status neurona::train::writeCheckpoint(nr_model *model, const std::string &path,
                                       const TrainPosition &position) {
  std::vector<Buffer> buffers;
  if (Status s = listBuffers(model, buffers); !s)
    return s;
  std::vector<NpzMember> members;
  for (const Buffer &b : buffers) {
    if (std::strncmp(b.info.name, "trainer:", 8) == 0)
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           path + ": cannot write a checkpoint: " +
                               (b.isState ? "state '" : "param '") +
                               b.info.name +
                               "' uses the prefix reserved for the "
                               "trainer's entries ('trainer:')");
    nr_tensor view;
    nr_status s = b.isState ? nr_model_get_state(model, b.info.name, &view)
                            : nr_model_get_param(model, b.info.name, &view);
    if (s)
      return apiError(s, "writing checkpoint " + path);
    members.push_back(
        {b.info.name, b.info.dtype,
         std::vector<int64_t>(b.info.shape, b.info.shape + b.info.rank),
         view.data});
  }
  int64_t epoch = position.epoch, step = int64_t(position.step),
          batch = position.batch, seed;
  std::memcpy(&seed, &position.seed, sizeof(seed));
  double lr = position.learningRate;
  members.push_back({kEpoch, NR_I64, {}, &epoch});
  members.push_back({kStep, NR_I64, {}, &step});
  members.push_back({kSeed, NR_I64, {}, &seed});
  members.push_back({kBatch, NR_I64, {}, &batch});
  members.push_back({kLr, NR_F64, {}, &lr});
  return writeNpz(path, members);
}

Status neurona::train::readCheckpoint(nr_model *model, const std::string &path,
                                      TrainPosition &position) {
  std::vector<NpzEntry> entries;
  if (Status s = readNpz(path, entries); !s)
    return s;
  std::map<std::string, const NpyArray *> byName;
  for (const NpzEntry &e : entries)
    byName[e.name] = &e.array;
  const char *modelName = "?";
  nr_model_name(model, &modelName);
  std::string where = path + ": ";

  // The trainer's entries first: without them this is a parameter file.
  auto scalar = [&](const char *key, nr_dtype dtype, void *out) -> Status {
    auto it = byName.find(key);
    if (it == byName.end())
      return Status::error(NR_ERROR_FORMAT,
                           where + "not a training checkpoint (no '" + key +
                               "'); --resume needs a file written by "
                               "--checkpoint");
    const NpyArray &a = *it->second;
    if (a.dtype != dtype || !a.shape.empty())
      return Status::error(
          NR_ERROR_FORMAT,
          where + "'" + key + "' is " +
              typeText(a.dtype, a.shape.data(), a.shape.size()) +
              ", expected " + nr_dtype_name(dtype) + " scalar");
    std::memcpy(out, a.data.data(), nr_dtype_size(dtype));
    byName.erase(it);
    return Status::success();
  };
  int64_t epoch, step, seed, batch;
  double lr;
  for (auto [key, dtype, out] :
       {std::tuple<const char *, nr_dtype, void *>{kEpoch, NR_I64, &epoch},
        {kStep, NR_I64, &step},
        {kSeed, NR_I64, &seed},
        {kBatch, NR_I64, &batch},
        {kLr, NR_F64, &lr}})
    if (Status s = scalar(key, dtype, out); !s)
      return s;
  if (epoch < 1 || step < 0 || batch < 1 || !(lr > 0))
    return Status::error(NR_ERROR_FORMAT,
                         where + "the trainer's position is corrupt (epoch " +
                             std::to_string(epoch) + ", step " +
                             std::to_string(step) + ", batch " +
                             std::to_string(batch) + ")");

  // Every buffer must be there with its exact type before anything changes.
  std::vector<Buffer> buffers;
  if (Status s = listBuffers(model, buffers); !s)
    return s;
  std::vector<const NpyArray *> sources;
  for (const Buffer &b : buffers) {
    const char *kind = b.isState ? "optimizer state" : "param";
    std::string need =
        typeText(b.info.dtype, b.info.shape, size_t(b.info.rank));
    auto it = byName.find(b.info.name);
    if (it == byName.end())
      return Status::error(
          NR_ERROR_INVALID_ARGUMENT,
          where + "missing " + kind + " '" + b.info.name + "' (" + need +
              ") of model '" + modelName +
              "': the checkpoint comes from another model or optimizer");
    const NpyArray &a = *it->second;
    if (a.dtype != b.info.dtype ||
        a.shape !=
            std::vector<int64_t>(b.info.shape, b.info.shape + b.info.rank))
      return Status::error(
          NR_ERROR_INVALID_ARGUMENT,
          where + kind + " '" + b.info.name + "' is " +
              typeText(a.dtype, a.shape.data(), a.shape.size()) +
              " in the checkpoint, model '" + modelName + "' needs " + need);
    sources.push_back(&a);
    byName.erase(it);
  }
  if (!byName.empty())
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         where + "unexpected array '" + byName.begin()->first +
                             "': model '" + modelName +
                             "' has no such param or optimizer state");

  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer &b = buffers[i];
    nr_tensor value{};
    value.dtype = b.info.dtype;
    value.rank = b.info.rank;
    std::memcpy(value.shape, b.info.shape, sizeof(value.shape));
    value.data = const_cast<void *>(sources[i]->data.data());
    nr_status s = b.isState ? nr_model_set_state(model, b.info.name, &value)
                            : nr_model_set_param(model, b.info.name, &value);
    if (s)
      return apiError(s, "loading checkpoint " + path);
  }
  if (nr_status s = nr_model_set_step(model, uint64_t(step)))
    return apiError(s, "loading checkpoint " + path);
  position.epoch = epoch;
  position.step = uint64_t(step);
  std::memcpy(&position.seed, &seed, sizeof(seed));
  position.batch = batch;
  position.learningRate = lr;
  return Status::success();
}

Status neurona::train::resumeCheckpoint(nr_model *model,
                                        const std::string &path, int64_t batch,
                                        double learningRate, int64_t epochs,
                                        uint64_t seed, bool seedGiven,
                                        TrainPosition &position) {
  // The checkpoint's run must be this run, or the result would not be what
  // an uninterrupted run gives.
  TrainPosition &saved = position;
  if (Status s = readCheckpoint(model, path, saved); !s)
    return s;
  auto mismatch = [&](const std::string &what, const std::string &was,
                      const std::string &now) {
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         path + ": the checkpoint was trained with " + what +
                             " " + was + ", this run uses " + now +
                             "; resume with the same setting");
  };
  auto number = [](double v) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.6g", v);
    return std::string(buf);
  };
  if (saved.batch != batch)
    return mismatch("batch size", std::to_string(saved.batch),
                    std::to_string(batch));
  if (saved.learningRate != learningRate)
    return mismatch("learning rate", number(saved.learningRate),
                    number(learningRate));
  if (seedGiven && saved.seed != seed)
    return mismatch("seed", std::to_string(saved.seed), std::to_string(seed));
  if (saved.epoch >= epochs)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         path + ": the checkpoint has finished epoch " +
                             std::to_string(saved.epoch) +
                             " already; pass more epochs (--epochs N counts "
                             "from the start of training)");
  // Seeding resets the step that readCheckpoint restored.
  if (nr_status s = nr_model_set_seed(model, position.seed))
    return apiError(s, "seeding the random ops");
  if (nr_status s = nr_model_set_step(model, position.step))
    return apiError(s, "seeding the random ops");
  return Status::success();
}

Status ParamSnapshot::take(nr_model *model) {
  size_t n = 0;
  if (nr_status s = nr_model_num_params(model, &n))
    return apiError(s, "saving the parameters of the epoch");
  infos.resize(n);
  values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    nr_tensor view;
    if (nr_status s = nr_model_param_info(model, i, &infos[i]))
      return apiError(s, "saving the parameters of the epoch");
    if (nr_status s = nr_model_get_param(model, infos[i].name, &view))
      return apiError(s, "saving the parameters of the epoch");
    size_t bytes = nr_dtype_size(view.dtype);
    for (int32_t d = 0; d < view.rank; ++d)
      bytes *= size_t(view.shape[d]);
    const char *data = static_cast<const char *>(view.data);
    values[i].assign(data, data + bytes);
  }
  return Status::success();
}

Status ParamSnapshot::write(const std::string &path) const {
  std::vector<NpzMember> members;
  for (size_t i = 0; i < infos.size(); ++i)
    members.push_back(
        {infos[i].name, infos[i].dtype,
         std::vector<int64_t>(infos[i].shape, infos[i].shape + infos[i].rank),
         values[i].data()});
  return writeNpz(path, members);
}

Status neurona::train::writeEpochCheckpoint(nr_model *model,
                                            const std::string &path,
                                            int64_t epoch, uint64_t seed,
                                            int64_t batch,
                                            double learningRate) {
  TrainPosition position;
  position.epoch = epoch;
  if (nr_status s = nr_model_get_step(model, &position.step))
    return apiError(s, "saving the checkpoint");
  position.seed = seed;
  position.batch = batch;
  position.learningRate = learningRate;
  if (Status s = writeCheckpoint(model, path, position); !s)
    return s.withContext("saving the checkpoint after epoch " +
                         std::to_string(epoch));
  return Status::success();
}
