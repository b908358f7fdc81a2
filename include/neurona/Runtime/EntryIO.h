//===- EntryIO.h - running an entry on .npy files ---------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// What both `neurona run` and the main of compiled executables do: split an
// entry's arguments into what the caller feeds and what it gets back, read
// the fed ones from .npy files, size the results from the batch the inputs
// carry, run, and write the results as .npy.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_ENTRYIO_H
#define NEURONA_RUNTIME_ENTRYIO_H

#include "neurona-c/runtime.h"
#include "neurona/Runtime/NPY.h"
#include "neurona/Runtime/Status.h"

#include <string>
#include <vector>

namespace neurona {

/// "f32 [?, 784]" or "f32 scalar".
std::string formatArgType(nr_dtype dtype, int32_t rank, const int64_t *shape);

/// Converts `array` in place to `dtype`; false if that would turn floats
/// into integers, or convert f16/bf16 from or to anything but f32 and f64
/// (f64 only widened to: narrowing a double through f32 would round twice).
bool convertArray(NpyArray &array, nr_dtype dtype);

/// One call of an entry with .npy inputs and outputs.
class NpyEntryCall {
public:
  /// Reads the entry's signature. `fed` are the input, target and hyper
  /// arguments (in manifest order), `produced` the output, loss and grad
  /// results.
  Status describe(nr_model *model, const char *entry);

  /// Reads one .npy file per fed argument and allocates the results for the
  /// batch size the inputs carry. Each array must have its argument's rank;
  /// with `convertDTypes` its values are converted to the argument's dtype
  /// (never floats to integers), otherwise the runtime checks the dtype.
  Status prepare(const std::vector<std::string> &files, bool convertDTypes);

  /// Feeds `array` to fed argument `index` in the next prepare() instead of
  /// reading files[index], which then only names it in messages.
  void provide(size_t index, NpyArray array);

  /// Writes result i to files[i].
  Status writeResults(const std::vector<std::string> &files) const;

  std::vector<nr_arg_info> fed, produced;
  std::vector<nr_tensor> inputs, results;

private:
  std::vector<NpyArray> arrays;
  std::vector<std::pair<size_t, NpyArray>> provided;
  std::vector<AlignedBuffer> storage;
};

} // namespace neurona

#endif // NEURONA_RUNTIME_ENTRYIO_H
