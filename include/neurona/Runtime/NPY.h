//===- neurona/Runtime/NPY.h - .npy and .npz files --------------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// The C++ interface to the runtime's NumPy file support, for libraries that
// link neurona_runtime (the dataset readers, the trainer, the driver, the
// compiler when it embeds trained weights). It has no LLVM dependency.
//
// Supported .npy files: format versions 1.0, 2.0 and 3.0, little-endian
// (or byte-order-free u8) data in C order, dtypes f32 ('<f4'), f64 ('<f8'),
// f16 ('<f2'), bf16 ('<V2', what numpy writes for ml_dtypes' bfloat16: the
// only two-byte opaque type the runtime knows), the signed and unsigned
// integers of 8 to 64 bits and bool ('|b1'). Fortran order is accepted only
// where it is the same layout as C order (rank 0 and 1). Writers produce
// version 1.0 (2.0 when the header needs it) with a 64-byte aligned data
// start, which is what numpy itself writes.
//
// Supported .npz files: zip archives whose members are .npy files, stored or
// deflated (numpy.savez and numpy.savez_compressed), ZIP64 included. Every
// member's CRC-32 is checked. The writer produces stored (uncompressed)
// members without ZIP64, so archives are limited to 4 GiB.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_NPY_H
#define NEURONA_RUNTIME_NPY_H

#include "neurona-c/runtime.h"
#include "neurona/Runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace neurona {

/// Owned heap memory aligned to 64 bytes (a cache line, and enough for any
/// vector load the compiled code may emit). Zero-filled on construction.
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  /// Allocates `size` zeroed bytes; throws std::bad_alloc on failure.
  explicit AlignedBuffer(size_t size);

  void *data() { return ptr.get(); }
  const void *data() const { return ptr.get(); }
  size_t size() const { return bytes; }

private:
  struct FreeDeleter {
    void operator()(void *p) const { std::free(p); }
  };
  std::unique_ptr<void, FreeDeleter> ptr;
  size_t bytes = 0;
};

/// Size in bytes of one element of `dtype` (0 for an invalid value).
size_t dtypeSize(nr_dtype dtype);

/// Parses a manifest/npy dtype name ("f32", "f64", "f16", "bf16", "i8" to
/// "i64", "u8" to "u64", "bool").
bool parseDTypeName(const std::string &name, nr_dtype &out);

/// Formats a shape as "[2, 3]", with "?" for negative (dynamic) dimensions.
std::string formatShape(const int64_t *shape, size_t rank);
std::string formatShape(const std::vector<int64_t> &shape);

/// Computes the product of `shape` into `out`, failing (NR_ERROR_FORMAT) on a
/// negative dimension or when the product or its size in bytes for
/// `elementSize` would overflow.
Status checkedNumElements(const int64_t *shape, size_t rank, size_t elementSize,
                          int64_t &out);

/// A dense C-order array as held in a .npy file.
struct NpyArray {
  nr_dtype dtype = NR_F32;
  std::vector<int64_t> shape;
  AlignedBuffer data;

  int64_t numElements() const;
  size_t numBytes() const { return data.size(); }
};

/// Parses a complete .npy image of `size` bytes. `what` (usually the file
/// name) prefixes error messages.
Status parseNpy(const void *bytes, size_t size, const std::string &what,
                NpyArray &out);

/// Reads the .npy file at `path`.
Status readNpy(const std::string &path, NpyArray &out);

/// Returns the .npy header (magic, version, length and padded dict) for an
/// array; the raw data follows it. Fails only on an invalid dtype or a
/// negative dimension.
Status npyHeader(nr_dtype dtype, const int64_t *shape, size_t rank,
                 std::string &out);

/// Writes a .npy file atomically; `data` holds the product of `shape`
/// elements of `dtype` in C order.
Status writeNpy(const std::string &path, nr_dtype dtype, const int64_t *shape,
                size_t rank, const void *data);

/// One array of an .npz archive; `name` is the member name without ".npy",
/// which is the key numpy.load uses.
struct NpzEntry {
  std::string name;
  NpyArray array;
};

/// Reads every member of the .npz archive at `path`, in archive order.
Status readNpz(const std::string &path, std::vector<NpzEntry> &out);

/// A borrowed array to write into an .npz archive.
struct NpzMember {
  std::string name;
  nr_dtype dtype;
  std::vector<int64_t> shape;
  const void *data;
};

/// Writes an uncompressed .npz archive atomically, one `<name>.npy` member
/// per entry in the given order. Names must be unique.
Status writeNpz(const std::string &path, const std::vector<NpzMember> &members);

} // namespace neurona

#endif // NEURONA_RUNTIME_NPY_H
