//===- Init.cpp - Deterministic parameter initialisation ------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "Init.h"

#include "neurona/Runtime/Half.h"

#include <cmath>
#include <cstring>

using namespace neurona::runtime;

static uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

Rng::Rng(uint64_t seed) {
  // splitmix64 never yields four zero words, the one state xoshiro must
  // avoid.
  for (uint64_t &word : s)
    word = splitmix64(seed);
}

uint64_t Rng::next() {
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double Rng::uniform() { return double(next() >> 11) * 0x1.0p-53; }

uint64_t neurona::runtime::paramStreamSeed(uint64_t seed,
                                           const std::string &name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  uint64_t mix = seed ^ h;
  return splitmix64(mix);
}

void neurona::runtime::computeFans(const std::vector<int64_t> &shape,
                                   double &fanIn, double &fanOut) {
  if (shape.empty()) {
    fanIn = fanOut = 1;
  } else if (shape.size() == 1) {
    fanIn = fanOut = double(shape[0]);
  } else if (shape.size() == 2) {
    // Dense weights are [in, out] (x @ W).
    fanIn = double(shape[0]);
    fanOut = double(shape[1]);
  } else {
    // Convolution weights are [out, in, k...] (ONNX / PyTorch OIHW).
    double receptive = 1;
    for (size_t i = 2; i < shape.size(); ++i)
      receptive *= double(shape[i]);
    fanIn = double(shape[1]) * receptive;
    fanOut = double(shape[0]) * receptive;
  }
}

double neurona::runtime::initBound(nr_init init,
                                   const std::vector<int64_t> &shape) {
  double fanIn, fanOut;
  computeFans(shape, fanIn, fanOut);
  switch (init) {
  case NR_INIT_GLOROT_UNIFORM:
    return std::sqrt(6.0 / (fanIn + fanOut));
  case NR_INIT_HE_UNIFORM:
    return std::sqrt(6.0 / fanIn);
  case NR_INIT_SMALL_UNIFORM:
    return 0.05;
  default:
    return 0;
  }
}

template <typename T>
static void fill(nr_init init, double bound, Rng &rng, T *out, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    switch (init) {
    case NR_INIT_ONES:
      out[i] = T(1);
      break;
    case NR_INIT_GLOROT_UNIFORM:
    case NR_INIT_HE_UNIFORM:
    case NR_INIT_SMALL_UNIFORM: {
      // Rounding to f32 can land exactly on the bound; redraw to keep the
      // interval open, as the documented U(-a, a) promises.
      T v;
      do
        v = T(bound * (2 * rng.uniform() - 1));
      while (std::fabs(double(v)) >= bound);
      out[i] = v;
      break;
    }
    default:
      out[i] = T(0);
      break;
    }
  }
}

/// A [rows, cols] matrix with orthonormal columns (rows >= cols) or rows:
/// modified Gram-Schmidt, in double, of a standard normal draw (Box-Muller
/// of the stream's uniforms). A column that collapses is redrawn.
static std::vector<double> orthogonal(const std::vector<int64_t> &shape,
                                      Rng &rng) {
  int64_t rows = shape[0], cols = shape[1];
  bool byColumns = rows >= cols;
  int64_t len = byColumns ? rows : cols, count = byColumns ? cols : rows;
  std::vector<double> q(size_t(len * count)); // vector v at q[v * len]
  auto normal = [&] {
    double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  for (int64_t v = 0; v < count; ++v) {
    double *x = q.data() + v * len;
    for (int attempt = 0;; ++attempt) {
      for (int64_t i = 0; i < len; ++i)
        x[i] = normal();
      for (int64_t u = 0; u < v; ++u) {
        const double *y = q.data() + u * len;
        double dot = 0;
        for (int64_t i = 0; i < len; ++i)
          dot += x[i] * y[i];
        for (int64_t i = 0; i < len; ++i)
          x[i] -= dot * y[i];
      }
      double norm = 0;
      for (int64_t i = 0; i < len; ++i)
        norm += x[i] * x[i];
      norm = std::sqrt(norm);
      if (norm > 1e-6 || attempt > 16) {
        for (int64_t i = 0; i < len; ++i)
          x[i] /= norm;
        break;
      }
    }
  }
  std::vector<double> out(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[size_t(r * cols + c)] =
          byColumns ? q[size_t(c * len + r)] : q[size_t(r * len + c)];
  return out;
}

template <typename T>
static void fillValues(const std::vector<double> &values, T *out,
                       int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    out[i] = T(values[size_t(i)]);
}

void neurona::runtime::initializeValues(nr_init init, nr_dtype dtype,
                                        const std::vector<int64_t> &shape,
                                        uint64_t seed, const std::string &name,
                                        void *data, int64_t count) {
  Rng rng(paramStreamSeed(seed, name));
  if ((init == NR_INIT_ORTHOGONAL && shape.size() == 2) ||
      init == NR_INIT_LSTM_BIAS) {
    std::vector<double> values;
    if (init == NR_INIT_ORTHOGONAL) {
      values = orthogonal(shape, rng);
    } else {
      // Gate blocks of H in ONNX order i, o, f, c: Wb's f block is the
      // third of the eight.
      values.assign(size_t(count), 0.0);
      int64_t h = count / 8;
      for (int64_t i = 2 * h; i < 3 * h; ++i)
        values[size_t(i)] = 1.0;
    }
    if (dtype == NR_F32)
      fillValues(values, static_cast<float *>(data), count);
    else if (dtype == NR_F64)
      fillValues(values, static_cast<double *>(data), count);
    return;
  }
  double bound = initBound(init, shape);
  switch (dtype) {
  case NR_F32:
    fill(init, bound, rng, static_cast<float *>(data), count);
    break;
  case NR_F64:
    fill(init, bound, rng, static_cast<double *>(data), count);
    break;
  case NR_I32:
    fill(init, bound, rng, static_cast<int32_t *>(data), count);
    break;
  case NR_I64:
    fill(init, bound, rng, static_cast<int64_t *>(data), count);
    break;
  case NR_U8:
    fill(init, bound, rng, static_cast<uint8_t *>(data), count);
    break;
  case NR_I8:
    fill(init, bound, rng, static_cast<int8_t *>(data), count);
    break;
  case NR_I16:
    fill(init, bound, rng, static_cast<int16_t *>(data), count);
    break;
  case NR_U16:
    fill(init, bound, rng, static_cast<uint16_t *>(data), count);
    break;
  case NR_U32:
    fill(init, bound, rng, static_cast<uint32_t *>(data), count);
    break;
  case NR_U64:
    fill(init, bound, rng, static_cast<uint64_t *>(data), count);
    break;
  case NR_F16:
  case NR_BF16: {
    // Drawn as float, then rounded to the 16-bit type.
    std::vector<float> values(static_cast<size_t>(count));
    fill(init, bound, rng, values.data(), count);
    auto *out = static_cast<uint16_t *>(data);
    for (int64_t i = 0; i < int64_t(count); ++i)
      out[i] = dtype == NR_F16 ? floatToHalf(values[size_t(i)])
                               : floatToBfloat16(values[size_t(i)]);
    break;
  }
  case NR_BOOL: {
    // Bytes other than 0 and 1 are not bools: any nonzero draw is true.
    auto *bytes = static_cast<uint8_t *>(data);
    fill(init, bound, rng, bytes, count);
    for (int64_t i = 0; i < int64_t(count); ++i)
      bytes[i] = bytes[i] != 0;
    break;
  }
  }
}
