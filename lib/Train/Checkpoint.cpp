//===- Checkpoint.cpp - Training checkpoints that resume exactly ----------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"

#include "neurona/Runtime/NPY.h"

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

Status neurona::train::writeCheckpoint(nr_model *model,
                                       const std::string &path,
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
    members.push_back({b.info.name, b.info.dtype,
                       std::vector<int64_t>(b.info.shape,
                                            b.info.shape + b.info.rank),
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
  auto scalar = [&](const char *key, nr_dtype dtype,
                    void *out) -> Status {
    auto it = byName.find(key);
    if (it == byName.end())
      return Status::error(NR_ERROR_FORMAT,
                           where + "not a training checkpoint (no '" + key +
                               "'); --resume needs a file written by "
                               "--checkpoint");
    const NpyArray &a = *it->second;
    if (a.dtype != dtype || !a.shape.empty())
      return Status::error(NR_ERROR_FORMAT,
                           where + "'" + key + "' is " +
                               typeText(a.dtype, a.shape.data(),
                                        a.shape.size()) +
                               ", expected " + nr_dtype_name(dtype) +
                               " scalar");
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
    std::string need = typeText(b.info.dtype, b.info.shape, size_t(b.info.rank));
    auto it = byName.find(b.info.name);
    if (it == byName.end())
      return Status::error(
          NR_ERROR_INVALID_ARGUMENT,
          where + "missing " + kind + " '" + b.info.name + "' (" + need +
              ") of model '" + modelName +
              "': the checkpoint comes from another model or optimizer");
    const NpyArray &a = *it->second;
    if (a.dtype != b.info.dtype ||
        a.shape != std::vector<int64_t>(b.info.shape,
                                        b.info.shape + b.info.rank))
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           where + kind + " '" + b.info.name + "' is " +
                               typeText(a.dtype, a.shape.data(),
                                        a.shape.size()) +
                               " in the checkpoint, model '" + modelName +
                               "' needs " + need);
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
