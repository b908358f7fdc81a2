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
#include <vector>

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

/// The files one command produces, put in place together once it has
/// succeeded. Each is written under a temporary name in its destination's
/// folder (so that the final rename is atomic) and commit() renames them all
/// over their destinations. Destroying the set without commit(), because the
/// command failed or was interrupted, removes the temporary files and leaves
/// every destination byte for byte as it was. Not copyable.
class OutputSet {
public:
  OutputSet() = default;
  ~OutputSet();
  OutputSet(const OutputSet &) = delete;
  OutputSet &operator=(const OutputSet &) = delete;

  /// Creates an empty temporary file beside `destination` (with the mode of
  /// the file it will replace, or 0644) and returns its path in `tempPath`
  /// for any writer to fill, atomic ones included. Fails when the folder
  /// cannot take the file, so a command can find out before it works.
  Status stage(const std::string &destination, std::string &tempPath);

  /// Adds `tempPath`, a file the caller writes itself in `destination`'s
  /// folder (e.g. the header a compiler writes beside a staged object), to
  /// be renamed over `destination` on commit and removed if discarded.
  void stageAt(const std::string &tempPath, const std::string &destination);

  /// Adds `source`, a finished file that is worth keeping on its own (e.g. a
  /// checkpoint written during training), to be renamed over `destination`
  /// on commit; it is left where it is if the set is discarded.
  void promote(const std::string &source, const std::string &destination);

  /// Renames every file over its destination, in the order they were added,
  /// and makes the renames durable. A rename that fails stops the commit
  /// with an error naming the destinations that were already replaced and
  /// those that were not; the files not renamed are removed as by discard().
  Status commit();

  /// Removes the staged temporary files (not the promoted ones).
  void discard();

  /// The destinations, in order.
  std::vector<std::string> destinations() const;

private:
  struct Entry {
    std::string file, destination;
    bool removeIfDiscarded;
  };
  std::vector<Entry> entries;
};

/// Where a file "dir/name.ext" that stands in for `path` until a run
/// succeeds is kept: "dir/name.partial.ext" ("dir/name.partial" without an
/// extension).
std::string partialPath(const std::string &path);

} // namespace neurona

#endif // NEURONA_RUNTIME_FILEIO_H
