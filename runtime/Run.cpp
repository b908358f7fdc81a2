//===- Run.cpp - Running compiled entries ---------------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Binds caller tensors and runtime-owned buffers to an entry's arguments as
// MLIR memref descriptors, calls the entry, checks its losses and commits
// double-buffered parameter and state updates.
//
//===----------------------------------------------------------------------===//

#include "CUDA.h"
#include "Model.h"

#include <cmath>
#include <cstring>

using namespace neurona;
using namespace neurona::runtime;

static bool isCallerInput(nr_arg_role role) {
  return role == NR_ROLE_INPUT || role == NR_ROLE_TARGET ||
         role == NR_ROLE_HYPER;
}

static bool isCallerResult(nr_arg_role role) {
  return role == NR_ROLE_OUTPUT || role == NR_ROLE_LOSS || role == NR_ROLE_GRAD;
}

static std::string describeTensor(const nr_tensor &t) {
  if (t.rank < 0 || t.rank > NR_MAX_RANK)
    return "a tensor of invalid rank " + std::to_string(t.rank);
  return std::string(nr_dtype_name(t.dtype)) + " " +
         formatShape(t.shape, size_t(t.rank));
}

/// Lists an entry's caller-supplied arguments ("x: f32 [?, 3], ...").
static std::string listArgs(const std::vector<const ArgDecl *> &args) {
  std::string s;
  for (const ArgDecl *a : args)
    s += (s.empty() ? "" : ", ") + a->name + ": " + a->type.str();
  return s.empty() ? "none" : s;
}

namespace {
/// The batch size shared by the dynamic dimensions of one call.
struct Batch {
  int64_t size = -1;
  std::string source; // the input that fixed it
};
} // namespace

/// Checks one caller tensor against its manifest argument. Inputs fix the
/// batch size; results must agree with it.
static Status checkTensor(const EntryDecl &entry, const ArgDecl &arg,
                          const nr_tensor &t, bool isInput, Batch &batch) {
  std::string what = "entry '" + entry.name +
                     "': " + (isInput ? "input '" : "result '") + arg.name +
                     "'";
  const TensorType &type = arg.type;
  if (t.dtype != type.dtype || t.rank < 0 ||
      size_t(t.rank) != type.shape.size())
    return Status::error(NR_ERROR_INVALID_ARGUMENT, what + " must be " +
                                                        type.str() + ", got " +
                                                        describeTensor(t));
  for (size_t i = 0; i < type.shape.size(); ++i) {
    int64_t d = t.shape[i];
    if (type.shape[i] >= 0) {
      if (d != type.shape[i])
        return Status::error(
            NR_ERROR_INVALID_ARGUMENT,
            what + " has shape " + formatShape(t.shape, type.shape.size()) +
                ", expected " + formatShape(type.shape) + " (dimension " +
                std::to_string(i) + " differs)");
      continue;
    }
    if (isInput) {
      if (d < 1)
        return Status::error(NR_ERROR_INVALID_ARGUMENT,
                             what + " has batch size " + std::to_string(d) +
                                 "; it must be at least 1");
      if (batch.size < 0) {
        batch.size = d;
        batch.source = arg.name;
      } else if (d != batch.size) {
        return Status::error(NR_ERROR_INVALID_ARGUMENT,
                             what + " has batch size " + std::to_string(d) +
                                 " but input '" + batch.source + "' has " +
                                 std::to_string(batch.size));
      }
    } else if (d != batch.size) {
      return Status::error(
          NR_ERROR_INVALID_ARGUMENT,
          what + " has shape " + formatShape(t.shape, type.shape.size()) +
              ", expected " + formatShape(type.shape) + " with batch size " +
              std::to_string(batch.size) + " (from input '" + batch.source +
              "')");
    }
  }
  if (!t.data)
    return Status::error(NR_ERROR_INVALID_ARGUMENT, what + ": data is NULL");
  if (reinterpret_cast<uintptr_t>(t.data) % dtypeSize(t.dtype) != 0)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         what + ": data is not aligned to its " +
                             std::to_string(dtypeSize(t.dtype)) +
                             "-byte element size");
  return Status::success();
}

static size_t tensorBytes(const nr_tensor &t) {
  size_t n = dtypeSize(t.dtype);
  for (int32_t i = 0; i < t.rank; ++i)
    n *= size_t(t.shape[i]);
  return n;
}

/// The number of classes integer labels index, or -1 if unknown: the last
/// dimension of the first output of `forward`. Entries that take labels need
/// not return the prediction (`gradients` does not), but every model has
/// `forward`.
static int64_t classCount(const Manifest &manifest, std::string &outputName) {
  const EntryDecl *forward = manifest.findEntry("forward");
  if (!forward)
    return -1;
  for (const ArgDecl &a : forward->args) {
    if (a.role != NR_ROLE_OUTPUT)
      continue;
    outputName = a.name;
    return a.type.shape.empty() ? -1 : a.type.shape.back();
  }
  return -1;
}

/// The first integer of `t` (i32 or i64) outside [0, bound): its flat
/// index in `index`, its value in `value` and the elements per sample in
/// `perSample`; false when every value is in range.
static bool findOutOfRange(const nr_tensor &t, int64_t bound, size_t &index,
                           int64_t &value, size_t &perSample) {
  perSample = 1;
  for (int32_t i = 1; i < t.rank; ++i)
    perSample *= size_t(t.shape[i]);
  size_t count = tensorBytes(t) / dtypeSize(t.dtype);
  for (index = 0; index < count; ++index) {
    value = t.dtype == NR_I32
                ? int64_t(static_cast<const int32_t *>(t.data)[index])
                : static_cast<const int64_t *>(t.data)[index];
    if (value < 0 || value >= bound)
      return true;
  }
  return false;
}

/// Checks integer target `t` of `arg` against the class count: the
/// compiled loss indexes the prediction with them unchecked, so each must be
/// a class in [0, C).
static Status checkLabels(const Manifest &manifest, const EntryDecl &entry,
                          const ArgDecl &arg, const nr_tensor &t) {
  std::string outputName;
  int64_t classes = classCount(manifest, outputName);
  size_t i, perSample;
  int64_t label;
  if (classes < 0 || !findOutOfRange(t, classes, i, label, perSample))
    return Status::success();
  return Status::error(NR_ERROR_INVALID_ARGUMENT,
                       "entry '" + entry.name + "': target '" + arg.name +
                           "': label " + std::to_string(label) +
                           " of sample " + std::to_string(i / perSample) +
                           " is out of range (expected a class in [0, " +
                           std::to_string(classes) + "), the width of output '" +
                           outputName + "' of entry 'forward')");
}

/// Checks integer input `t` of `arg` against its manifest bound: the
/// compiled embedding reads table rows by these ids, so each must lie in
/// [0, bound).
static Status checkIds(const Manifest &manifest, const EntryDecl &entry,
                       const ArgDecl &arg, const nr_tensor &t) {
  int64_t bound = manifest.findBound(arg.name);
  size_t i, perSample;
  int64_t id;
  if (bound < 0 || !findOutOfRange(t, bound, i, id, perSample))
    return Status::success();
  return Status::error(NR_ERROR_INVALID_ARGUMENT,
                       "entry '" + entry.name + "': input '" + arg.name +
                           "': id " + std::to_string(id) + " of sample " +
                           std::to_string(i / perSample) + " (position " +
                           std::to_string(i % perSample) +
                           ") is out of range (expected an id in [0, " +
                           std::to_string(bound) + "))");
}

/// Appends the descriptor words of a rank-R memref over `data` with `shape`:
/// allocated and aligned pointers, offset 0, sizes, row-major strides.
static void appendDescriptor(std::vector<int64_t> &words, void *data,
                             const int64_t *shape, size_t rank) {
  int64_t ptr = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
  words.push_back(ptr);
  words.push_back(ptr);
  words.push_back(0);
  for (size_t i = 0; i < rank; ++i)
    words.push_back(shape[i]);
  size_t stridesAt = words.size();
  words.resize(words.size() + rank);
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    words[stridesAt + i] = stride;
    stride *= shape[i];
  }
}

static double readScalar(const nr_tensor &t) {
  if (t.dtype == NR_F64)
    return *static_cast<const double *>(t.data);
  return double(*static_cast<const float *>(t.data));
}

namespace {
/// Device buffers of one call, freed when it returns.
struct DeviceStaging {
  std::vector<void *> buffers;
  DeviceStaging() = default;
  DeviceStaging(const DeviceStaging &) = delete;
  DeviceStaging &operator=(const DeviceStaging &) = delete;
  ~DeviceStaging() {
    for (void *buffer : buffers)
      cuda::deviceFree(buffer);
  }
};
} // namespace

/// The body of nr_model_run. `lossOut`, if given, receives the first loss
/// result (also when it is not finite).
static nr_status runEntry(nr_model *m, const char *entryName,
                          const nr_tensor *inputs, size_t nInputs,
                          nr_tensor *outputs, size_t nOutputs,
                          double *lossOut) {
  const EntryDecl *entry = m->manifest.findEntry(entryName);
  if (!entry) {
    std::string names;
    for (const EntryDecl &d : m->manifest.entries)
      names += (names.empty() ? "" : ", ") + d.name;
    return fail(NR_ERROR_NOT_FOUND, "model '" + m->manifest.prefix +
                                        "' has no entry '" + entryName +
                                        "' (entries: " + names + ")");
  }
  size_t entryIndex = static_cast<size_t>(entry - m->manifest.entries.data());
  std::vector<const ArgDecl *> callerIns, callerOuts;
  for (const ArgDecl &a : entry->args) {
    if (isCallerInput(a.role))
      callerIns.push_back(&a);
    else if (isCallerResult(a.role))
      callerOuts.push_back(&a);
  }
  std::string where = "entry '" + entry->name + "': ";
  if (nInputs != callerIns.size())
    return fail(NR_ERROR_INVALID_ARGUMENT,
                where + "expects " + std::to_string(callerIns.size()) +
                    " input(s) (" + listArgs(callerIns) + "), got " +
                    std::to_string(nInputs));
  if (nOutputs != callerOuts.size())
    return fail(NR_ERROR_INVALID_ARGUMENT,
                where + "expects " + std::to_string(callerOuts.size()) +
                    " output(s) (" + listArgs(callerOuts) + "), got " +
                    std::to_string(nOutputs));
  if ((nInputs && !inputs) || (nOutputs && !outputs))
    return fail(NR_ERROR_INVALID_ARGUMENT, where + "inputs or outputs is NULL");

  Batch batch;
  for (size_t i = 0; i < nInputs; ++i)
    if (Status s = checkTensor(*entry, *callerIns[i], inputs[i], true, batch);
        !s)
      return fail(s);
  // Integer targets are class labels (cross-entropy).
  for (size_t i = 0; i < nInputs; ++i) {
    const ArgDecl &arg = *callerIns[i];
    if (arg.role == NR_ROLE_TARGET &&
        (arg.type.dtype == NR_I32 || arg.type.dtype == NR_I64))
      if (Status s = checkLabels(m->manifest, *entry, arg, inputs[i]); !s)
        return fail(s);
    if (arg.role == NR_ROLE_INPUT &&
        (arg.type.dtype == NR_I32 || arg.type.dtype == NR_I64))
      if (Status s = checkIds(m->manifest, *entry, arg, inputs[i]); !s)
        return fail(s);
  }
  for (size_t i = 0; i < nOutputs; ++i) {
    if (Status s =
            checkTensor(*entry, *callerOuts[i], outputs[i], false, batch);
        !s)
      return fail(s);
    // The compiled code assumes results do not alias its inputs.
    const char *o = static_cast<const char *>(outputs[i].data);
    size_t oBytes = tensorBytes(outputs[i]);
    for (size_t j = 0; j < nInputs; ++j) {
      const char *p = static_cast<const char *>(inputs[j].data);
      if (o < p + tensorBytes(inputs[j]) && p < o + oBytes)
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    where + "result '" + callerOuts[i]->name +
                        "' overlaps input '" + callerIns[j]->name + "'");
    }
    for (size_t j = 0; j < i; ++j) {
      const char *p = static_cast<const char *>(outputs[j].data);
      if (o < p + tensorBytes(outputs[j]) && p < o + oBytes)
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    where + "result '" + callerOuts[i]->name +
                        "' overlaps result '" + callerOuts[j]->name + "'");
    }
  }

  // A CUDA model's code works on device memory: inputs are copied to
  // device buffers of the call and results back; parameters and optimizer
  // state stay on the device between calls (BufferPair::syncDevice uploads
  // them only after the host changed them), and an updating entry writes
  // their next values there too.
  bool onDevice = m->manifest.isCUDA();
  DeviceStaging staging;
  struct Download {
    void *host;
    const void *device;
    size_t bytes;
  };
  std::vector<Download> downloads;
  auto place = [&](void *host, size_t bytes, bool upload,
                   void *&where) -> Status {
    where = host;
    if (!onDevice)
      return Status::success();
    void *device = nullptr;
    if (Status s = cuda::deviceAlloc(bytes, &device); !s)
      return s;
    staging.buffers.push_back(device);
    where = device;
    if (upload)
      return cuda::copyToDevice(device, host, bytes);
    downloads.push_back({host, device, bytes});
    return Status::success();
  };

  // Descriptor words for all arguments; sized up front so that pointers
  // into the vector stay valid.
  size_t totalWords = 0;
  for (const ArgDecl &a : entry->args)
    totalWords += a.type.shape.size() * 2 + 3;
  std::vector<int64_t> words;
  words.reserve(totalWords);
  std::vector<size_t> starts;
  size_t nextIn = 0, nextOut = 0;
  for (const ArgDecl &a : entry->args) {
    starts.push_back(words.size());
    switch (a.role) {
    case NR_ROLE_INPUT:
    case NR_ROLE_TARGET:
    case NR_ROLE_HYPER: {
      const nr_tensor &t = inputs[nextIn++];
      void *data = nullptr;
      if (Status s = place(t.data, tensorBytes(t), true, data); !s)
        return fail(s.withContext(where + "input '" + a.name + "'"));
      appendDescriptor(words, data, t.shape, a.type.shape.size());
      break;
    }
    case NR_ROLE_OUTPUT:
    case NR_ROLE_LOSS:
    case NR_ROLE_GRAD: {
      const nr_tensor &t = outputs[nextOut++];
      void *data = nullptr;
      if (Status s = place(t.data, tensorBytes(t), false, data); !s)
        return fail(s.withContext(where + "result '" + a.name + "'"));
      appendDescriptor(words, data, t.shape, a.type.shape.size());
      break;
    }
    case NR_ROLE_PARAM:
    case NR_ROLE_STATE: {
      bool isParam = a.role == NR_ROLE_PARAM;
      BufferPair &buf = isParam ? m->params[a.ref] : m->states[a.ref];
      if (!buf.initialized && isParam)
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    where + "param '" + a.name +
                        "' has no value (init=data and the model embeds no "
                        "parameters); load or set parameters first");
      void *data = buf.current.data();
      if (onDevice) {
        if (Status s = buf.syncDevice(); !s)
          return fail(s.withContext(where + "param '" + a.name + "'"));
        data = buf.device;
      }
      appendDescriptor(words, data, a.type.shape.data(), a.type.shape.size());
      break;
    }
    case NR_ROLE_PARAM_OUT:
    case NR_ROLE_STATE_OUT: {
      BufferPair &buf =
          a.role == NR_ROLE_PARAM_OUT ? m->params[a.ref] : m->states[a.ref];
      void *data = nullptr;
      if (onDevice) {
        if (!buf.deviceNext)
          if (Status s = cuda::deviceAlloc(buf.bytes, &buf.deviceNext); !s)
            return fail(s.withContext(where + "result '" + a.name + "'"));
        data = buf.deviceNext;
      } else {
        if (!buf.next.data())
          buf.next = AlignedBuffer(buf.bytes);
        data = buf.next.data();
      }
      appendDescriptor(words, data, a.type.shape.data(), a.type.shape.size());
      break;
    }
    }
  }
  if (words.size() != totalWords)
    return fail(NR_ERROR_INTERNAL, where + "descriptor size mismatch");
  std::vector<void *> args;
  for (size_t start : starts)
    args.push_back(&words[start]);

  m->functions[entryIndex](args.data());
  if (onDevice) {
    if (Status s = cuda::takePendingError(); !s)
      return fail(s.withContext(where + "CUDA"));
    for (const Download &d : downloads)
      if (Status s = cuda::copyToHost(d.host, d.device, d.bytes); !s)
        return fail(s.withContext(where + "CUDA"));
  }

  bool updates = false;
  for (const ArgDecl &a : entry->args)
    if (a.role == NR_ROLE_PARAM_OUT || a.role == NR_ROLE_STATE_OUT)
      updates = true;
  bool haveLoss = false;
  for (size_t i = 0; i < nOutputs; ++i) {
    if (callerOuts[i]->role != NR_ROLE_LOSS)
      continue;
    double loss = readScalar(outputs[i]);
    if (lossOut && !haveLoss)
      *lossOut = loss;
    haveLoss = true;
    if (!std::isfinite(loss))
      return fail(NR_ERROR_NUMERIC,
                  where + "loss '" + callerOuts[i]->name + "' is " +
                      (std::isnan(loss) ? "NaN" : "infinite") +
                      (updates ? "; parameters and optimizer state were not "
                                 "updated (they keep their last values)"
                               : "") +
                      ". Try a smaller learning rate, or check the inputs "
                      "for NaN/Inf");
  }

  for (const ArgDecl &a : entry->args) {
    if (a.role != NR_ROLE_PARAM_OUT && a.role != NR_ROLE_STATE_OUT)
      continue;
    BufferPair &buf =
        a.role == NR_ROLE_PARAM_OUT ? m->params[a.ref] : m->states[a.ref];
    if (onDevice) {
      // The new values stay on the device until the host reads them.
      std::swap(buf.device, buf.deviceNext);
      buf.deviceValid = true;
      buf.hostValid = false;
    } else {
      std::swap(buf.current, buf.next);
    }
    buf.initialized = true;
  }
  if (updates)
    ++m->step;
  return NR_OK;
}

extern "C" nr_status nr_model_run(nr_model *model, const char *entry,
                                  const nr_tensor *inputs, size_t n_inputs,
                                  nr_tensor *outputs, size_t n_outputs) {
  return guarded("nr_model_run", [&] {
    if (!model || !entry)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_run: model and entry must not be NULL");
    return runEntry(model, entry, inputs, n_inputs, outputs, n_outputs,
                    nullptr);
  });
}

extern "C" nr_status nr_model_forward(nr_model *model, const nr_tensor *inputs,
                                      size_t n_inputs, nr_tensor *outputs,
                                      size_t n_outputs) {
  return guarded("nr_model_forward", [&] {
    if (!model)
      return fail(NR_ERROR_INVALID_ARGUMENT, "nr_model_forward: model is NULL");
    return runEntry(model, "forward", inputs, n_inputs, outputs, n_outputs,
                    nullptr);
  });
}

/// The hyper arguments nr_model_train_step and nr_model_gradients fill in,
/// known by the name nn-autodiff gives them ("lr", "rng"), which it suffixes
/// with "_<n>" when the model uses the name already.
enum class Hyper { LearningRate, Rng, Unknown };

static Hyper classifyHyper(const std::string &name) {
  std::string base = name;
  size_t us = base.rfind('_');
  if (us != std::string::npos && us + 1 < base.size() &&
      base.find_first_not_of("0123456789", us + 1) == std::string::npos)
    base.resize(us);
  if (base == "lr")
    return Hyper::LearningRate;
  if (base == "rng")
    return Hyper::Rng;
  return Hyper::Unknown;
}

/// Shared body of nr_model_train_step and nr_model_gradients: spreads the
/// caller's inputs and targets over the entry's arguments, fills its hyper
/// arguments (`lr` from `hyper`, which is null for gradients, and `rng` from
/// the model's seed and step), returns the loss, hands results of role
/// `resultRole` to the caller (or to scratch memory when `nResults` is 0 and
/// that is allowed) and discards other results.
static nr_status runConvenience(nr_model *m, const char *function,
                                const char *entryName, const nr_tensor *inputs,
                                size_t nInputs, const nr_tensor *targets,
                                size_t nTargets, const double *hyper,
                                double *lossOut, nr_tensor *results,
                                size_t nResults, nr_arg_role resultRole,
                                bool resultsOptional) {
  std::string where = std::string(function) + ": ";
  if (!m || !lossOut)
    return fail(NR_ERROR_INVALID_ARGUMENT, where + "model and out_loss must "
                                                   "not be NULL");
  if ((nInputs && !inputs) || (nTargets && !targets) || (nResults && !results))
    return fail(NR_ERROR_INVALID_ARGUMENT, where + "NULL array with a "
                                                   "non-zero count");
  const EntryDecl *entry = m->manifest.findEntry(entryName);
  if (!entry)
    return fail(NR_ERROR_NOT_FOUND, where + "model '" + m->manifest.prefix +
                                        "' has no '" + entryName +
                                        "' entry (was it compiled for "
                                        "training?)");
  std::vector<const ArgDecl *> ins, tgts, hypers, losses, wanted;
  for (const ArgDecl &a : entry->args) {
    if (a.role == NR_ROLE_INPUT)
      ins.push_back(&a);
    else if (a.role == NR_ROLE_TARGET)
      tgts.push_back(&a);
    else if (a.role == NR_ROLE_HYPER)
      hypers.push_back(&a);
    else if (a.role == NR_ROLE_LOSS)
      losses.push_back(&a);
    else if (a.role == resultRole)
      wanted.push_back(&a);
  }
  if (nInputs != ins.size())
    return fail(NR_ERROR_INVALID_ARGUMENT,
                where + "entry '" + entryName + "' takes " +
                    std::to_string(ins.size()) + " input(s) (" + listArgs(ins) +
                    "), got " + std::to_string(nInputs));
  if (nTargets != tgts.size())
    return fail(NR_ERROR_INVALID_ARGUMENT,
                where + "entry '" + entryName + "' takes " +
                    std::to_string(tgts.size()) + " target(s) (" +
                    listArgs(tgts) + "), got " + std::to_string(nTargets));
  // Every hyper argument must be one this call knows how to fill, and a
  // learning rate is given exactly when the entry takes one.
  size_t learningRates = 0;
  for (const ArgDecl *a : hypers) {
    Hyper kind = classifyHyper(a->name);
    learningRates += kind == Hyper::LearningRate;
    if (kind == Hyper::Unknown || (kind == Hyper::LearningRate && !hyper))
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  where + "entry '" + entryName + "' has hyper argument(s) " +
                      listArgs(hypers) + "; this call fills " +
                      (hyper ? "'lr' (the learning rate) and 'rng'"
                             : "only 'rng'") +
                      "; use nr_model_run");
  }
  if (hyper && learningRates != 1)
    return fail(NR_ERROR_INVALID_ARGUMENT,
                where + "entry '" + entryName + "' has " +
                    std::to_string(learningRates) +
                    " learning-rate argument(s) among its hyper arguments (" +
                    listArgs(hypers) + "), expected one; use nr_model_run");
  if (losses.empty())
    return fail(NR_ERROR_INVALID_ARGUMENT,
                where + "entry '" + entryName + "' has no loss result");
  if (!(nResults == wanted.size() || (resultsOptional && nResults == 0)))
    return fail(NR_ERROR_INVALID_ARGUMENT,
                where + "entry '" + entryName + "' has " +
                    std::to_string(wanted.size()) + " " +
                    nr_arg_role_name(resultRole) + " result(s) (" +
                    listArgs(wanted) + "), got " + std::to_string(nResults));

  // The batch size for scratch results; runEntry re-checks all of it.
  int64_t batch = 1;
  for (size_t i = 0; i < nInputs; ++i)
    if (ins[i]->type.isDynamic() && inputs[i].rank > 0 &&
        inputs[i].shape[0] > 0) {
      batch = inputs[i].shape[0];
      break;
    }

  double hyperF64 = hyper ? *hyper : 0;
  float hyperF32 = static_cast<float>(hyperF64);
  int64_t rngWords[2] = {static_cast<int64_t>(m->rngSeed),
                         static_cast<int64_t>(m->step)};
  std::vector<nr_tensor> callIns, callOuts;
  std::vector<AlignedBuffer> scratch;
  size_t nextIn = 0, nextTarget = 0, nextResult = 0;
  for (const ArgDecl &a : entry->args) {
    switch (a.role) {
    case NR_ROLE_INPUT:
      callIns.push_back(inputs[nextIn++]);
      break;
    case NR_ROLE_TARGET:
      callIns.push_back(targets[nextTarget++]);
      break;
    case NR_ROLE_HYPER: {
      nr_tensor t;
      describe(a.type, t);
      if (classifyHyper(a.name) == Hyper::Rng) {
        if (a.type.dtype != NR_I64 || a.type.shape.size() != 1 ||
            a.type.shape[0] != 2)
          return fail(NR_ERROR_INVALID_ARGUMENT,
                      where + "hyper argument '" + a.name + "' is " +
                          a.type.str() + "; expected i64 [2] (seed, step)");
        t.data = rngWords;
        callIns.push_back(t);
        break;
      }
      if (a.type.dtype == NR_F64)
        t.data = &hyperF64;
      else if (a.type.dtype == NR_F32)
        t.data = &hyperF32;
      else
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    where + "hyper argument '" + a.name + "' is " +
                        a.type.str() + "; expected a float scalar");
      if (!a.type.shape.empty())
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    where + "hyper argument '" + a.name + "' is " +
                        a.type.str() + "; expected a float scalar");
      callIns.push_back(t);
      break;
    }
    case NR_ROLE_OUTPUT:
    case NR_ROLE_LOSS:
    case NR_ROLE_GRAD:
      if (a.role == resultRole && nResults) {
        callOuts.push_back(results[nextResult++]);
      } else {
        nr_tensor t;
        describe(a.type, t);
        if (a.type.isDynamic())
          t.shape[0] = batch;
        size_t bytes = dtypeSize(a.type.dtype);
        for (int32_t i = 0; i < t.rank; ++i)
          bytes *= size_t(t.shape[i]);
        scratch.emplace_back(bytes);
        t.data = scratch.back().data();
        callOuts.push_back(t);
      }
      break;
    default:
      break;
    }
  }
  return runEntry(m, entryName, callIns.data(), callIns.size(), callOuts.data(),
                  callOuts.size(), lossOut);
}

extern "C" nr_status
nr_model_train_step(nr_model *model, const nr_tensor *inputs, size_t n_inputs,
                    const nr_tensor *targets, size_t n_targets,
                    double learning_rate, double *out_loss,
                    nr_tensor *out_outputs, size_t n_outputs) {
  return guarded("nr_model_train_step", [&] {
    // A successful step advances the model's step (runEntry), so the next
    // one draws new random numbers; a failed one is retried with the same.
    return runConvenience(model, "nr_model_train_step", "train_step", inputs,
                          n_inputs, targets, n_targets, &learning_rate,
                          out_loss, out_outputs, n_outputs, NR_ROLE_OUTPUT,
                          true);
  });
}

extern "C" nr_status nr_model_train_step_entry(
    nr_model *model, const char *entry, const nr_tensor *inputs,
    size_t n_inputs, const nr_tensor *targets, size_t n_targets,
    double learning_rate, double *out_loss, nr_tensor *out_outputs,
    size_t n_outputs) {
  return guarded("nr_model_train_step_entry", [&] {
    if (!entry)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_train_step_entry: entry must not be NULL");
    return runConvenience(model, "nr_model_train_step_entry", entry, inputs,
                          n_inputs, targets, n_targets, &learning_rate,
                          out_loss, out_outputs, n_outputs, NR_ROLE_OUTPUT,
                          true);
  });
}

extern "C" nr_status
nr_model_gradients(nr_model *model, const nr_tensor *inputs, size_t n_inputs,
                   const nr_tensor *targets, size_t n_targets, double *out_loss,
                   nr_tensor *out_grads, size_t n_grads) {
  return guarded("nr_model_gradients", [&] {
    return runConvenience(model, "nr_model_gradients", "gradients", inputs,
                          n_inputs, targets, n_targets, nullptr, out_loss,
                          out_grads, n_grads, NR_ROLE_GRAD, false);
  });
}
