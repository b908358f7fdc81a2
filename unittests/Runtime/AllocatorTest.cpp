//===- AllocatorTest.cpp - the runtime's buffer cache ---------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>

using namespace neurona::runtime;

namespace {

TEST(AllocatorTest, AFreedBlockServesTheNextRequestOfItsSize) {
  releaseThreadCache();
  void *a = cachedAlloc(1 << 20, 64);
  ASSERT_NE(a, nullptr);
  std::memset(a, 1, 1 << 20);
  cachedFree(a);
  EXPECT_EQ(threadCacheBytes(), size_t(1) << 20);
  void *b = cachedAlloc(1 << 20, 64);
  EXPECT_EQ(a, b);
  EXPECT_EQ(threadCacheBytes(), 0u);
  // Another size is a new block.
  void *c = cachedAlloc(1000, 64);
  EXPECT_NE(c, b);
  cachedFree(b);
  cachedFree(c);
  releaseThreadCache();
  EXPECT_EQ(threadCacheBytes(), 0u);
}

TEST(AllocatorTest, BlocksHonourTheirAlignment) {
  for (size_t alignment : {1u, 16u, 64u, 128u, 4096u}) {
    void *p = cachedAlloc(333, alignment);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % std::max<size_t>(alignment, 64),
              0u)
        << alignment;
    cachedFree(p);
  }
  // A cached 64-aligned block does not serve a 4096-aligned request.
  void *small = cachedAlloc(512, 64);
  cachedFree(small);
  void *big = cachedAlloc(512, 4096);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big) % 4096, 0u);
  cachedFree(big);
  EXPECT_EQ(cachedAlloc(16, 48), nullptr); // not a power of two
  releaseThreadCache();
}

TEST(AllocatorTest, TheCacheIsBoundedAndPerThread) {
  releaseThreadCache();
  void *blocks[40];
  for (void *&b : blocks)
    b = cachedAlloc(4096, 64);
  for (void *b : blocks)
    cachedFree(b);
  EXPECT_LE(threadCacheBytes(), 32u * 4096); // the oldest were evicted
  size_t other = 1;
  std::thread([&] { other = threadCacheBytes(); }).join();
  EXPECT_EQ(other, 0u);
  // A block freed on another thread goes to that thread's cache.
  void *p = cachedAlloc(8192, 64);
  std::thread([&] { cachedFree(p); }).join();
  releaseThreadCache();
}

TEST(AllocatorTest, OversizedRequestsFailCleanly) {
  EXPECT_EQ(cachedAlloc(SIZE_MAX - 8, 64), nullptr);
  cachedFree(nullptr);
}

} // namespace
