//===- Allocator.cpp - per-thread cache of compiled code's buffers --------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Allocator.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace neurona::runtime;

namespace {

/// Every block starts with this header, `offset` bytes before the pointer
/// handed out; the offset is the block's alignment, so any alignment up to
/// 4096 is honoured and free() needs nothing but the pointer.
struct Header {
  size_t size;      // usable bytes
  size_t alignment; // and the header's distance from the block's start
};

constexpr size_t kMinAlignment = 64;
constexpr size_t kMaxCached = 32;
/// Blocks above this stay with the system: they are rare and a cache of
/// them would pin memory.
constexpr size_t kMaxCachedBytes = size_t(512) << 20;

struct Cache {
  void *blocks[kMaxCached] = {};
  size_t count = 0;
  size_t bytes = 0;
  ~Cache() { release(); }

  void release() {
    for (size_t i = 0; i < count; ++i)
      std::free(static_cast<char *>(blocks[i]) -
                headerOf(blocks[i])->alignment);
    count = 0;
    bytes = 0;
  }
  static Header *headerOf(void *block) {
    return reinterpret_cast<Header *>(static_cast<char *>(block) -
                                      sizeof(Header));
  }
};

thread_local Cache cache;

} // namespace

void *neurona::runtime::cachedAlloc(size_t size, size_t alignment) {
  if (alignment & (alignment - 1))
    return nullptr;
  if (alignment < kMinAlignment)
    alignment = kMinAlignment;
  // Most recently freed first: a call's buffers come back in the order it
  // frees them, and the next call asks for them again.
  for (size_t i = cache.count; i-- > 0;) {
    void *block = cache.blocks[i];
    Header *h = Cache::headerOf(block);
    if (h->size == size && h->alignment >= alignment &&
        h->alignment % alignment == 0) {
      std::memmove(&cache.blocks[i], &cache.blocks[i + 1],
                   (cache.count - i - 1) * sizeof(void *));
      --cache.count;
      cache.bytes -= size;
      return block;
    }
  }
  if (size > SIZE_MAX - 2 * alignment)
    return nullptr;
  void *base = nullptr;
  if (posix_memalign(&base, alignment, size + alignment) != 0)
    return nullptr;
  void *block = static_cast<char *>(base) + alignment;
  *Cache::headerOf(block) = Header{size, alignment};
  return block;
}

void neurona::runtime::cachedFree(void *block) {
  if (!block)
    return;
  Header *h = Cache::headerOf(block);
  if (h->size <= kMaxCachedBytes && cache.bytes + h->size <= kMaxCachedBytes) {
    if (cache.count == kMaxCached) {
      // Evict the oldest.
      void *old = cache.blocks[0];
      cache.bytes -= Cache::headerOf(old)->size;
      std::free(static_cast<char *>(old) - Cache::headerOf(old)->alignment);
      std::memmove(&cache.blocks[0], &cache.blocks[1],
                   (kMaxCached - 1) * sizeof(void *));
      --cache.count;
    }
    cache.blocks[cache.count++] = block;
    cache.bytes += h->size;
    return;
  }
  std::free(static_cast<char *>(block) - h->alignment);
}

void neurona::runtime::releaseThreadCache() { cache.release(); }

size_t neurona::runtime::threadCacheBytes() { return cache.bytes; }
