//===- Model.h - Internal state behind an nr_model handle -------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// The definition of the opaque nr_model and helpers shared by the files that
// implement the C API. Nothing here is visible to API users.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_MODEL_H
#define NEURONA_RUNTIME_MODEL_H

#include "Manifest.h"

#include "neurona-c/runtime.h"
#include "neurona/Runtime/NPY.h"
#include "neurona/Runtime/Status.h"

#include <exception>
#include <new>
#include <string>
#include <vector>

namespace neurona {
namespace runtime {

/// Signature of every compiled entry (docs/design.md, "ABI").
using EntryFn = void (*)(void **);

/// A parameter or state buffer pair for double buffering: entries read
/// `current` and write `next`; after a successful call the two swap.
struct BufferPair {
  AlignedBuffer current;
  AlignedBuffer next; // allocated on first use by an updating entry
  size_t bytes = 0;
  int64_t count = 0;
  /// False for `data` params with no embedded blob until the caller sets
  /// them; running an entry that reads them fails.
  bool initialized = false;
  /// CUDA models keep parameters and optimizer state on the device between
  /// calls: `device` holds the values when deviceValid, `current` when
  /// hostValid, and at least one of them always does. An updating entry
  /// writes `deviceNext`, which then swaps with `device`.
  void *device = nullptr;
  void *deviceNext = nullptr;
  bool hostValid = true;
  bool deviceValid = false;

  /// Makes `current` hold the values: downloads them when the device has
  /// newer ones.
  Status syncHost();
  /// Makes `device` hold the values: uploads them when the host has newer
  /// ones (allocating the device buffer on first use).
  Status syncDevice();
  /// Call when the host writes `current` (or hands out a view that may be
  /// written): the device copy is stale from then on.
  void hostWritten() {
    hostValid = true;
    deviceValid = false;
  }
  /// Frees the device buffers (the host values stay valid only if they
  /// were synced).
  void releaseDevice();
};

/// Records `status` as the calling thread's last error and returns its code.
nr_status fail(const Status &status);
nr_status fail(nr_status code, const std::string &message);

/// Runs `body` (returning nr_status), turning C++ exceptions into error codes
/// so that none crosses the C API.
template <typename Body> nr_status guarded(const char *function, Body &&body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(NR_ERROR_OUT_OF_MEMORY,
                std::string(function) + ": out of memory");
  } catch (const std::exception &e) {
    return fail(NR_ERROR_INTERNAL,
                std::string(function) + ": internal error: " + e.what());
  } catch (...) {
    return fail(NR_ERROR_INTERNAL,
                std::string(function) + ": internal error (unknown exception)");
  }
}

/// Fills an nr_tensor header from a manifest type (data left null).
void describe(const TensorType &type, nr_tensor &out);

/// The name of the parameter-file member that holds text input `input`'s
/// vocabulary: "vocabulary:<input>", a uint8 array of its words (from id 2)
/// each followed by '\n'.
std::string vocabularyMember(const std::string &input);

} // namespace runtime
} // namespace neurona

struct nr_model {
  void *handle = nullptr;
  /// Path it was opened from, or "the running executable", for messages.
  std::string origin;
  neurona::runtime::Manifest manifest;
  /// Parallel to manifest.entries.
  std::vector<neurona::runtime::EntryFn> functions;
  const unsigned char *blob = nullptr;
  uint64_t blobSize = 0;
  std::vector<neurona::runtime::BufferPair> params;
  std::vector<neurona::runtime::BufferPair> states;
  /// The global step: successful runs of an entry that updates parameters
  /// (train_step) since the model was opened, its parameters initialised or
  /// its seed set, or the value last set with nr_model_set_step (a resumed
  /// checkpoint). The one counter the trainer and per-step hyperparameters
  /// read; the `rng` hyper argument of train_step and gradients is
  /// (rngSeed, step).
  uint64_t step = 0;
  uint64_t rngSeed = 0;
  /// Parallel to manifest.texts: the vocabulary each text input is encoded
  /// with; capacity() 0 until one is known (from the manifest, a parameter
  /// file or nr_model_set_vocabulary).
  std::vector<neurona::data::Vocabulary> vocabularies;
};

#endif // NEURONA_RUNTIME_MODEL_H
