//===- Allocator.h - buffers for compiled code ------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The allocator the runtime installs in every artifact it opens (through the
// artifact's `<prefix>_allocator` hooks). A call of a compiled entry
// allocates and frees the same buffer sizes in the same order every time;
// serving them from a per-thread cache of freed blocks means a steady-state
// call touches no fresh pages (a first-touch page fault costs about 10 us)
// and takes no lock.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_ALLOCATOR_H
#define NEURONA_RUNTIME_ALLOCATOR_H

#include <cstddef>

namespace neurona::runtime {

/// A block of at least `size` bytes aligned to `alignment` (a power of two;
/// at least 64 is used). Returns null when memory is exhausted. Thread-safe.
void *cachedAlloc(size_t size, size_t alignment);

/// Returns a block of cachedAlloc (from any thread) to the calling thread's
/// cache, or to the system when the cache is full. Null is ignored.
void cachedFree(void *block);

/// Frees every block cached by the calling thread.
void releaseThreadCache();

/// Bytes currently held in the calling thread's cache (for tests).
size_t threadCacheBytes();

} // namespace neurona::runtime

#endif // NEURONA_RUNTIME_ALLOCATOR_H
