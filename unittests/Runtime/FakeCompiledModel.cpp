//===- FakeCompiledModel.cpp - Hand-written stand-in for a compiled model -===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// TEST FIXTURE ONLY. The runtime tests need artifacts that follow the ABI of
// docs/design.md without depending on the compiler, so this file implements
// tiny models by hand: exported `neurona_model_prefix`, `<P>_manifest`,
// `<P>_params`, `<P>_params_size` and entries `void <P>_<E>(void **args)`
// reading MLIR memref descriptors. CMake builds it several times with
// FAKE_MODEL_* definitions to get the variants the tests need:
//
//   FAKE_MODEL_LINEAR     y = x W + b, W [3, 2], b [2], mse loss, SGD,
//                         a step counter as optimizer state, and a gradients
//                         entry;
//   FAKE_MODEL_SOFTMAX    logits = x W + b, W [2, 3], cross-entropy over i64
//                         labels, SGD, and a gradients entry;
//   FAKE_EMBED_PARAMS     (with LINEAR) parameters embedded in the blob;
//   FAKE_BAD_BLOB_SIZE    (with LINEAR) a blob whose size does not match;
//   FAKE_DATA_INIT        (with LINEAR) W has init=data and no blob;
//   FAKE_OMIT_GRADIENTS   (with LINEAR) the manifest lists `gradients` but
//                         the symbol is missing.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {
/// View of a rank-R memref descriptor: {allocated, aligned, offset,
/// sizes[R], strides[R]} as 64-bit words.
template <typename T> struct Memref {
  explicit Memref(void *arg, int rank) {
    int64_t *w = static_cast<int64_t *>(arg);
    data = reinterpret_cast<T *>(static_cast<intptr_t>(w[1])) + w[2];
    for (int i = 0; i < rank; ++i) {
      sizes[i] = w[3 + i];
      strides[i] = w[3 + rank + i];
    }
  }
  T &operator()() { return data[0]; }
  T &operator()(int64_t i) { return data[i * strides[0]]; }
  T &operator()(int64_t i, int64_t j) {
    return data[i * strides[0] + j * strides[1]];
  }
  T *data;
  int64_t sizes[2] = {0, 0};
  int64_t strides[2] = {0, 0};
};

/// The runtime must never hand the same buffer as a parameter input and as
/// its updated output (design.md: double buffering, no aliasing).
void checkNoAlias(const void *in, const void *out, const char *what) {
  if (in == out) {
    std::fprintf(stderr, "fake model: %s input and output alias\n", what);
    std::abort();
  }
}
} // namespace

#if defined(FAKE_MODEL_LINEAR)

#ifdef FAKE_DATA_INIT
#define WEIGHT_INIT "data"
#else
#define WEIGHT_INIT "glorot_uniform"
#endif

EXPORT const char neurona_model_prefix[] = "fake_linear";
EXPORT const char fake_linear_manifest[] =
    "neurona-manifest 1\n"
    "model fake_linear\n"
    "train loss=mse optimizer=sgd lr=0.05 batch=4 epochs=3\n"
    "param dense.weight f32 3x2 " WEIGHT_INIT "\n"
    "param dense.bias f32 2 zeros\n"
    "state step i64 scalar\n"
    "entry forward\n"
    "arg input x f32 ?x3\n"
    "arg param dense.weight f32 3x2\n"
    "arg param dense.bias f32 2\n"
    "arg output y f32 ?x2\n"
    "entry train_step\n"
    "arg input x f32 ?x3\n"
    "arg target t f32 ?x2\n"
    "arg hyper lr f32 scalar\n"
    "arg param dense.weight f32 3x2\n"
    "arg param dense.bias f32 2\n"
    "arg state step i64 scalar\n"
    "arg loss loss f32 scalar\n"
    "arg output y f32 ?x2\n"
    "arg param_out dense.weight f32 3x2\n"
    "arg param_out dense.bias f32 2\n"
    "arg state_out step i64 scalar\n"
    "entry gradients\n"
    "arg input x f32 ?x3\n"
    "arg target t f32 ?x2\n"
    "arg param dense.weight f32 3x2\n"
    "arg param dense.bias f32 2\n"
    "arg loss loss f32 scalar\n"
    "arg grad dense.weight f32 3x2\n"
    "arg grad dense.bias f32 2\n"
    "end\n";

#if defined(FAKE_EMBED_PARAMS) || defined(FAKE_BAD_BLOB_SIZE)
// W = [[1, 2], [3, 4], [5, 6]] at offset 0 (24 bytes), b = [0.5, -0.5] at
// the next 64-byte boundary.
struct Blob {
  float weight[6];
  unsigned char pad[64 - 24];
  float bias[2];
};
EXPORT const Blob fake_linear_params = {{1, 2, 3, 4, 5, 6}, {}, {0.5f, -0.5f}};
#ifdef FAKE_BAD_BLOB_SIZE
EXPORT const uint64_t fake_linear_params_size = 50;
#else
EXPORT const uint64_t fake_linear_params_size = 72;
#endif
#else
EXPORT const unsigned char fake_linear_params[1] = {0};
EXPORT const uint64_t fake_linear_params_size = 0;
#endif

/// y = x W + b for every row.
static void linear(Memref<float> &x, Memref<float> &w, Memref<float> &b,
                   Memref<float> &y) {
  for (int64_t i = 0; i < x.sizes[0]; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      float acc = b(j);
      for (int64_t k = 0; k < 3; ++k)
        acc += x(i, k) * w(k, j);
      y(i, j) = acc;
    }
}

/// Mean squared error over batch and outputs, and its gradients.
static float mseAndGrads(Memref<float> &x, Memref<float> &y, Memref<float> &t,
                         float dw[3][2], float db[2]) {
  int64_t n = x.sizes[0];
  float loss = 0;
  for (int j = 0; j < 2; ++j) {
    db[j] = 0;
    for (int k = 0; k < 3; ++k)
      dw[k][j] = 0;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      float d = y(i, j) - t(i, j);
      loss += d * d;
      float g = 2 * d / float(n * 2);
      db[j] += g;
      for (int64_t k = 0; k < 3; ++k)
        dw[k][j] += x(i, k) * g;
    }
  return loss / float(n * 2);
}

EXPORT void fake_linear_forward(void **args) {
  Memref<float> x(args[0], 2), w(args[1], 2), b(args[2], 1), y(args[3], 2);
  linear(x, w, b, y);
}

EXPORT void fake_linear_train_step(void **args) {
  Memref<float> x(args[0], 2), t(args[1], 2), lr(args[2], 0), w(args[3], 2),
      b(args[4], 1);
  Memref<int64_t> step(args[5], 0);
  Memref<float> loss(args[6], 0), y(args[7], 2), wOut(args[8], 2),
      bOut(args[9], 1);
  Memref<int64_t> stepOut(args[10], 0);
  checkNoAlias(w.data, wOut.data, "dense.weight");
  checkNoAlias(b.data, bOut.data, "dense.bias");
  checkNoAlias(step.data, stepOut.data, "step");
  linear(x, w, b, y);
  float dw[3][2], db[2];
  loss() = mseAndGrads(x, y, t, dw, db);
  for (int64_t j = 0; j < 2; ++j) {
    bOut(j) = b(j) - lr() * db[j];
    for (int64_t k = 0; k < 3; ++k)
      wOut(k, j) = w(k, j) - lr() * dw[k][j];
  }
  stepOut() = step() + 1;
}

#ifndef FAKE_OMIT_GRADIENTS
EXPORT void fake_linear_gradients(void **args) {
  Memref<float> x(args[0], 2), t(args[1], 2), w(args[2], 2), b(args[3], 1),
      loss(args[4], 0), gw(args[5], 2), gb(args[6], 1);
  float *rows = new float[size_t(x.sizes[0]) * 2];
  int64_t desc[7] = {0, static_cast<int64_t>(reinterpret_cast<intptr_t>(rows)),
                     0, x.sizes[0],
                     2, 2,
                     1};
  Memref<float> y(desc, 2);
  linear(x, w, b, y);
  float dw[3][2], db[2];
  loss() = mseAndGrads(x, y, t, dw, db);
  for (int64_t j = 0; j < 2; ++j) {
    gb(j) = db[j];
    for (int64_t k = 0; k < 3; ++k)
      gw(k, j) = dw[k][j];
  }
  delete[] rows;
}
#endif

#elif defined(FAKE_MODEL_SOFTMAX)

EXPORT const char neurona_model_prefix[] = "fake_softmax";
EXPORT const char fake_softmax_manifest[] =
    "neurona-manifest 1\n"
    "model fake_softmax\n"
    "train loss=cross_entropy optimizer=sgd lr=0.5 batch=8 epochs=20\n"
    "param w f32 2x3 zeros\n"
    "param b f32 3 zeros\n"
    "entry forward\n"
    "arg input x f32 ?x2\n"
    "arg param w f32 2x3\n"
    "arg param b f32 3\n"
    "arg output logits f32 ?x3\n"
    "entry train_step\n"
    "arg input x f32 ?x2\n"
    "arg target label i64 ?\n"
    "arg hyper lr f32 scalar\n"
    "arg param w f32 2x3\n"
    "arg param b f32 3\n"
    "arg loss loss f32 scalar\n"
    "arg output logits f32 ?x3\n"
    "arg param_out w f32 2x3\n"
    "arg param_out b f32 3\n"
    "entry gradients\n"
    "arg input x f32 ?x2\n"
    "arg target label i64 ?\n"
    "arg param w f32 2x3\n"
    "arg param b f32 3\n"
    "arg loss loss f32 scalar\n"
    "arg grad w f32 2x3\n"
    "arg grad b f32 3\n"
    "end\n";
EXPORT const unsigned char fake_softmax_params[1] = {0};
EXPORT const uint64_t fake_softmax_params_size = 0;

static void logits(Memref<float> &x, Memref<float> &w, Memref<float> &b,
                   Memref<float> &z) {
  for (int64_t i = 0; i < x.sizes[0]; ++i)
    for (int64_t j = 0; j < 3; ++j)
      z(i, j) = b(j) + x(i, 0) * w(0, j) + x(i, 1) * w(1, j);
}

EXPORT void fake_softmax_forward(void **args) {
  Memref<float> x(args[0], 2), w(args[1], 2), b(args[2], 1), z(args[3], 2);
  logits(x, w, b, z);
}

/// Mean cross-entropy of logits `z` against `label`, and its gradients.
/// Compiled code indexes the logits with the labels unchecked; the runtime
/// must reject labels outside [0, 3) before the call.
static float crossEntropyAndGrads(Memref<float> &x, Memref<float> &z,
                                  Memref<int64_t> &label, double gw[2][3],
                                  double gb[3]) {
  int64_t n = x.sizes[0];
  double total = 0;
  for (int j = 0; j < 3; ++j)
    gb[j] = gw[0][j] = gw[1][j] = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (label(i) < 0 || label(i) >= 3) {
      std::fprintf(stderr, "fake model: label %lld out of range\n",
                   (long long)label(i));
      std::abort();
    }
    double m = std::fmax(z(i, 0), std::fmax(z(i, 1), z(i, 2)));
    double sum = 0, p[3];
    for (int j = 0; j < 3; ++j)
      sum += std::exp(z(i, j) - m);
    for (int j = 0; j < 3; ++j)
      p[j] = std::exp(z(i, j) - m) / sum;
    total += m + std::log(sum) - z(i, label(i));
    for (int j = 0; j < 3; ++j) {
      double g = (p[j] - (j == label(i) ? 1 : 0)) / double(n);
      gb[j] += g;
      gw[0][j] += x(i, 0) * g;
      gw[1][j] += x(i, 1) * g;
    }
  }
  return float(total / double(n));
}

EXPORT void fake_softmax_train_step(void **args) {
  Memref<float> x(args[0], 2);
  Memref<int64_t> label(args[1], 1);
  Memref<float> lr(args[2], 0), w(args[3], 2), b(args[4], 1), loss(args[5], 0),
      z(args[6], 2), wOut(args[7], 2), bOut(args[8], 1);
  checkNoAlias(w.data, wOut.data, "w");
  checkNoAlias(b.data, bOut.data, "b");
  logits(x, w, b, z);
  double gw[2][3], gb[3];
  loss() = crossEntropyAndGrads(x, z, label, gw, gb);
  for (int j = 0; j < 3; ++j) {
    bOut(j) = b(j) - lr() * float(gb[j]);
    wOut(0, j) = w(0, j) - lr() * float(gw[0][j]);
    wOut(1, j) = w(1, j) - lr() * float(gw[1][j]);
  }
}

EXPORT void fake_softmax_gradients(void **args) {
  Memref<float> x(args[0], 2);
  Memref<int64_t> label(args[1], 1);
  Memref<float> w(args[2], 2), b(args[3], 1), loss(args[4], 0), gw(args[5], 2),
      gb(args[6], 1);
  float *rows = new float[size_t(x.sizes[0]) * 3];
  int64_t desc[7] = {0, static_cast<int64_t>(reinterpret_cast<intptr_t>(rows)),
                     0, x.sizes[0],
                     3, 3,
                     1};
  Memref<float> z(desc, 2);
  logits(x, w, b, z);
  double dw[2][3], db[3];
  loss() = crossEntropyAndGrads(x, z, label, dw, db);
  for (int j = 0; j < 3; ++j) {
    gb(j) = float(db[j]);
    gw(0, j) = float(dw[0][j]);
    gw(1, j) = float(dw[1][j]);
  }
  delete[] rows;
}

#else
#error "define FAKE_MODEL_LINEAR or FAKE_MODEL_SOFTMAX"
#endif
