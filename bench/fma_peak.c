/*===- fma_peak.c - single-core FP32 FMA throughput probe -----------------===*
 *
 * Part of Neurona.
 *
 *===----------------------------------------------------------------------===*
 *
 * Measures the machine's single-core FP32 peak: independent vector FMA chains
 * (enough accumulators to cover FMA latency times the number of FMA ports),
 * timed for about half a second, best of several rounds. Built with
 * -O3 -march=native it uses AVX-512 when the compiler targets it (__AVX512F__),
 * otherwise AVX2/FMA. Prints one line:
 *   fma_peak gflops <G> isa <avx512|avx2> seconds <s>
 * bench/run.py uses <G> as the peak that "% of peak" refers to.
 *
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define ISA "avx512"
#define SET1(x) _mm512_set1_ps(x)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define ADD(a, b) _mm512_add_ps(a, b)
static float hsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__FMA__) && defined(__AVX2__)
typedef __m256 vec;
#define LANES 8
#define ISA "avx2"
#define SET1(x) _mm256_set1_ps(x)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define ADD(a, b) _mm256_add_ps(a, b)
static float hsum(vec v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#else
#error "fma_peak needs FMA (build with -march=native on an AVX2 or AVX-512 CPU)"
#endif

/* 12 chains: covers a 4-cycle FMA latency on 2 ports with headroom (Zen 4/5,
 * Skylake-X, Ice Lake); 16 registers stay free for the compiler. */
#define CHAINS 12
#define INNER 1000

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs `outer` * INNER * CHAINS vector FMAs; returns a value that depends on
 * all of them so the compiler keeps the work. */
static float run(long outer, float m, float a) {
  vec acc[CHAINS];
  vec mv = SET1(m), av = SET1(a);
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = SET1((float)c * 1e-3f);
  for (long o = 0; o < outer; ++o) {
    for (int i = 0; i < INNER; ++i) {
#pragma GCC unroll 12
      for (int c = 0; c < CHAINS; ++c)
        acc[c] = FMA(acc[c], mv, av);
    }
    __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]));
  }
  vec s = acc[0];
  for (int c = 1; c < CHAINS; ++c)
    s = ADD(s, acc[c]);
  return hsum(s);
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.5;
  /* m slightly below 1 and a small: the chains converge, no overflow or
   * denormals, however long they run. */
  volatile float vm = 0.999f, va = 1e-3f; /* opaque to the optimiser */
  float m = vm, a = va;
  /* Calibrate: grow `outer` until one round takes ~1/5 of the budget. */
  long outer = 10;
  double t;
  float sink = 0;
  for (;;) {
    double t0 = now();
    sink += run(outer, m, a);
    t = now() - t0;
    if (t > seconds / 5 || outer > (1L << 40))
      break;
    outer *= 2;
  }
  double best = 0, begin = now();
  while (now() - begin < seconds) {
    double t0 = now();
    sink += run(outer, m, a);
    double dt = now() - t0;
    double flops = 2.0 * LANES * CHAINS * (double)INNER * (double)outer;
    if (flops / dt > best)
      best = flops / dt;
  }
  printf("fma_peak gflops %.1f isa %s seconds %.2f\n", best * 1e-9, ISA,
         now() - begin);
  if (sink == 12345.678f)
    puts("");
  return 0;
}
