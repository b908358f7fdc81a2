//===- Init.h - Deterministic parameter initialisation ----------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Parameter initializers and the random generator behind them. Results must
// be reproducible across machines and compilers, so nothing here uses
// <random> distributions (whose algorithms are implementation-defined): the
// generator is xoshiro256** seeded through splitmix64, and uniform floats are
// built from its top bits.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_INIT_H
#define NEURONA_RUNTIME_INIT_H

#include "neurona-c/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace neurona {
namespace runtime {

/// xoshiro256** (Blackman and Vigna), seeded with splitmix64.
class Rng {
public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();

private:
  uint64_t s[4];
};

/// The seed of a parameter's own stream: the model seed mixed with the
/// FNV-1a hash of the parameter name.
uint64_t paramStreamSeed(uint64_t seed, const std::string &name);

/// Fan-in and fan-out of a weight of `shape` (conventions in
/// neurona-c/runtime.h, nr_model_init_params).
void computeFans(const std::vector<int64_t> &shape, double &fanIn,
                 double &fanOut);

/// The bound `a` of U(-a, a) for glorot_uniform / he_uniform; 0 for the
/// other initializers.
double initBound(nr_init init, const std::vector<int64_t> &shape);

/// Fills `count` elements of `dtype` at `data` from `init` (not
/// NR_INIT_DATA) with the stream for (`seed`, `name`).
void initializeValues(nr_init init, nr_dtype dtype,
                      const std::vector<int64_t> &shape, uint64_t seed,
                      const std::string &name, void *data, int64_t count);

} // namespace runtime
} // namespace neurona

#endif // NEURONA_RUNTIME_INIT_H
