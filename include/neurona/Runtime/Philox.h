//===- Philox.h - Counter-based random numbers (Philox-4x32-10) -*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Philox-4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011), the generator of PyTorch's CUDA backend and of
// JAX. A block of four 32-bit words is a pure function of a 128-bit counter
// and a 64-bit key, so any element of a random tensor can be computed on its
// own, in any order, on any thread or device.
//
// This header is the reference that the compiled code must match bit for bit
// (lib/Conversion/NNToLinalg/Random.cpp emits the same arithmetic in MLIR).
// It is header-only and depends on nothing but the C++ standard library, so
// the runtime, the trainer and the tests can all use it. docs/design.md,
// "Randomness", describes the counter layout.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_PHILOX_H
#define NEURONA_RUNTIME_PHILOX_H

#include <array>
#include <cmath>
#include <cstdint>

namespace neurona {
namespace philox {

using Block = std::array<uint32_t, 4>;
using Key = std::array<uint32_t, 2>;

/// Round multipliers and Weyl key increments of Philox-4x32.
constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;

/// Philox-4x32 with 10 rounds: the Random123 function philox4x32_R(10, ...).
constexpr Block philox4x32_10(Block ctr, Key key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kWeyl0;
      key[1] += kWeyl1;
    }
    uint64_t p0 = uint64_t(kMul0) * ctr[0];
    uint64_t p1 = uint64_t(kMul1) * ctr[2];
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    ctr = Block{hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
  }
  return ctr;
}

/// The block of random element `index` of the op with `stream`, at training
/// step `step` for model seed `seed`: key = (seed low, seed high word),
/// counter = (index low, index high, stream, step low word). The step counts
/// modulo 2^32.
constexpr Block draw(uint64_t seed, uint64_t step, uint32_t stream,
                     uint64_t index) {
  return philox4x32_10(
      Block{uint32_t(index), uint32_t(index >> 32), stream, uint32_t(step)},
      Key{uint32_t(seed), uint32_t(seed >> 32)});
}

/// A uniform float in [0, 1) from the top 24 bits of `word`: an exact
/// multiple of 2^-24.
inline float uniform(uint32_t word) {
  return float(word >> 8) * 0x1p-24f;
}

/// Dropout keeps an element iff its first word's uniform is >= `rate`
/// (probability 1 - rate). Exact: both sides are representable floats.
inline bool dropoutKeeps(const Block &block, float rate) {
  return uniform(block[0]) >= rate;
}

/// A standard normal by the Box-Muller transform (cosine branch) of the
/// block's first two words: u1 = (w0 >> 8) * 2^-24 + 2^-24 in (0, 1],
/// u2 = (w1 >> 8) * 2^-24 in [0, 1), z = sqrt(-2 ln u1) * cos(2 pi u2),
/// evaluated in float. The compiled code approximates ln and cos with
/// polynomials, so it agrees with this to a few ulps, not bit for bit.
inline float normal(const Block &block) {
  float u1 = uniform(block[0]) + 0x1p-24f;
  float u2 = uniform(block[1]);
  constexpr float kTwoPi = 6.28318530717958647692f;
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(kTwoPi * u2);
}

} // namespace philox
} // namespace neurona

#endif // NEURONA_RUNTIME_PHILOX_H
