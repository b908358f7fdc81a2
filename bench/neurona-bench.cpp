//===- neurona-bench.cpp - time a compiled model's entries ----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Loads a compiled shared library through the runtime and times `forward`
// (and `train_step` when present, or the entries named in ENTRIES) on random
// inputs of a given batch size: one warm-up call, then at least SECONDS of
// calls (at least 5), median reported. Prints one line per entry:
// "entry <name> batch <n> median_ms <t> calls <c>". Inputs and the model come
// from bench/run.py, which also times the peers.
//
//===----------------------------------------------------------------------===//

#include "neurona-c/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Buffers {
  std::vector<std::vector<char>> storage;
  std::vector<nr_tensor> tensors;
};

/// Allocates tensors for the args of `entry` with the given roles, filling
/// inputs with values valid for their role (labels in range).
bool makeArgs(nr_model *model, const char *entry, bool wantInputs,
              int64_t batch, int64_t numClasses, Buffers &out) {
  size_t n = 0;
  if (nr_model_num_args(model, entry, &n) != NR_OK)
    return false;
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) {
    nr_arg_info info;
    nr_model_arg_info(model, entry, i, &info);
    bool isInput = info.role == NR_ROLE_INPUT || info.role == NR_ROLE_TARGET ||
                   info.role == NR_ROLE_HYPER;
    bool isOutput = info.role == NR_ROLE_OUTPUT || info.role == NR_ROLE_LOSS ||
                    info.role == NR_ROLE_GRAD;
    if (wantInputs ? !isInput : !isOutput)
      continue;
    nr_tensor t{};
    t.dtype = info.dtype;
    t.rank = info.rank;
    int64_t count = 1;
    for (int32_t d = 0; d < info.rank; ++d) {
      t.shape[d] = info.shape[d] < 0 ? batch : info.shape[d];
      count *= t.shape[d];
    }
    out.storage.emplace_back(std::max<int64_t>(count, 1) *
                             nr_dtype_size(info.dtype));
    t.data = out.storage.back().data();
    if (info.dtype == NR_F32) {
      float *p = static_cast<float *>(t.data);
      for (int64_t k = 0; k < count; ++k)
        p[k] = info.role == NR_ROLE_HYPER ? 1e-3f : uniform(rng);
    } else if (info.dtype == NR_I64) {
      int64_t *p = static_cast<int64_t *>(t.data);
      for (int64_t k = 0; k < count; ++k)
        p[k] = static_cast<int64_t>(rng() % numClasses);
    }
    out.tensors.push_back(t);
  }
  // Storage may have moved while growing: rebind.
  for (size_t k = 0; k < out.tensors.size(); ++k)
    out.tensors[k].data = out.storage[k].data();
  return true;
}

double medianMs(nr_model *model, const char *entry, Buffers &in, Buffers &out,
                double minSeconds, size_t &calls) {
  std::vector<double> times;
  nr_model_run(model, entry, in.tensors.data(), in.tensors.size(),
               out.tensors.data(), out.tensors.size()); // warm-up
  auto begin = std::chrono::steady_clock::now();
  while (true) {
    auto t0 = std::chrono::steady_clock::now();
    nr_status s =
        nr_model_run(model, entry, in.tensors.data(), in.tensors.size(),
                     out.tensors.data(), out.tensors.size());
    auto t1 = std::chrono::steady_clock::now();
    if (s != NR_OK && s != NR_ERROR_NUMERIC) {
      std::fprintf(stderr, "neurona-bench: %s: %s\n", entry, nr_last_error());
      std::exit(1);
    }
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    double elapsed = std::chrono::duration<double>(t1 - begin).count();
    if (times.size() >= 5 && elapsed >= minSeconds)
      break;
  }
  std::sort(times.begin(), times.end());
  calls = times.size();
  return times[times.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: neurona-bench LIB.so BATCH [CLASSES] [SECONDS] "
                 "[ENTRY,...]\n");
    return 2;
  }
  int64_t batch = std::atoll(argv[2]);
  int64_t classes = argc > 3 ? std::atoll(argv[3]) : 10;
  double seconds = argc > 4 ? std::atof(argv[4]) : 1.0;
  std::vector<std::string> entries = {"forward", "train_step"};
  if (argc > 5) {
    entries.clear();
    std::string list = argv[5];
    for (size_t begin = 0, end; begin <= list.size(); begin = end + 1) {
      end = list.find(',', begin);
      if (end == std::string::npos)
        end = list.size();
      if (end > begin)
        entries.push_back(list.substr(begin, end - begin));
    }
  }
  nr_model *model = nullptr;
  if (nr_model_open(argv[1], &model) != NR_OK) {
    std::fprintf(stderr, "neurona-bench: %s\n", nr_last_error());
    return 1;
  }
  for (const std::string &name : entries) {
    const char *entry = name.c_str();
    int has = 0;
    nr_model_has_entry(model, entry, &has);
    if (!has) {
      if (argc > 5) {
        std::fprintf(stderr, "neurona-bench: %s has no entry '%s'\n", argv[1],
                     entry);
        return 1;
      }
      continue;
    }
    Buffers in, out;
    if (!makeArgs(model, entry, true, batch, classes, in) ||
        !makeArgs(model, entry, false, batch, classes, out))
      return 1;
    size_t calls = 0;
    double ms = medianMs(model, entry, in, out, seconds, calls);
    std::printf("entry %s batch %lld median_ms %.5f calls %zu\n", entry,
                static_cast<long long>(batch), ms, calls);
  }
  nr_model_close(model);
  return 0;
}
