//===- neurona/Runtime/FileIO.h - File reads, atomic writes -----*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// File helpers shared by the runtime, the dataset readers and the trainer.
// Writers of result files (parameters, outputs) go through AtomicFile so that
// a crash or a full disk never leaves a half-written file where a good one
// used to be: readers see either the old file or the complete new one.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_FILEIO_H
#define NEURONA_RUNTIME_FILEIO_H

#include "neurona/Runtime/Status.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace neurona {

/// Reads the whole file at `path` into `out`. Errors are NR_ERROR_IO and name
/// the file and the system's reason.
Status readFile(const std::string &path, std::string &out);

/// A file written under a temporary name in the destination's directory and
/// renamed over the destination by commit(). Destroying an uncommitted
/// AtomicFile removes the temporary file and leaves the destination as it
/// was. Not copyable.
class AtomicFile {
public:
  AtomicFile() = default;
  ~AtomicFile();
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  /// Creates the temporary file next to `path`.
  Status open(const std::string &path);

  /// Appends `size` bytes; errors (e.g. a full disk) are reported here or by
  /// commit().
  Status write(const void *data, size_t size);

  /// Flushes, fsyncs and renames the temporary file over the destination,
  /// then fsyncs the directory so that the rename itself is durable.
  Status commit();

  /// Bytes written so far.
  uint64_t tell() const { return written; }

private:
  void discard();

  std::FILE *stream = nullptr;
  std::string path;
  std::string tempPath;
  uint64_t written = 0;
};

/// Writes `size` bytes to `path` atomically (see AtomicFile).
Status writeFileAtomically(const std::string &path, const void *data,
                           size_t size);

} // namespace neurona

#endif // NEURONA_RUNTIME_FILEIO_H
