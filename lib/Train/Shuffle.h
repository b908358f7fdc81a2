//===- Shuffle.h - The order of an epoch's samples --------------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_TRAIN_SHUFFLE_H
#define NEURONA_LIB_TRAIN_SHUFFLE_H

#include <cstdint>

namespace neurona {
namespace train {

/// The seed of epoch `epoch`'s shuffle, from (seed, epoch) through
/// splitmix64: an epoch's order (data::permutation of this seed) does not
/// depend on the epochs before it, so a resumed run sees the same batches.
inline uint64_t epochSeed(uint64_t seed, int64_t epoch) {
  auto mix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  return mix(seed ^ mix(uint64_t(epoch)));
}

} // namespace train
} // namespace neurona

#endif // NEURONA_LIB_TRAIN_SHUFFLE_H
