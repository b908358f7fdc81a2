/*===- sgemm_openblas.c - OpenBLAS sgemm timing, the GEMM anchor ----------===*
 *
 * Part of Neurona.
 *
 *===----------------------------------------------------------------------===*
 *
 * Times cblas_sgemm (row-major, C = A * B, A MxK, B KxN) on one thread
 * (openblas_set_num_threads; --threads T for more) for each shape given, at least SECONDS of calls (at least 5) after a warm-up,
 * and prints the median:
 *   sgemm_openblas M N K median_ms <t> gflops <g> core <corename>
 * Usage: sgemm_openblas [--seconds S] [--threads T] M N K [M N K ...]
 * bench/run.py runs it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset so
 * OpenBLAS picks its kernel for the CPU it detects, and prints that kernel.
 *
 *===----------------------------------------------------------------------===*/

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Debian's cblas.h declares these for OpenBLAS; repeated here for other
 * cblas.h files that lack them. */
void openblas_set_num_threads(int);
char *openblas_get_corename(void);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  double seconds = 0.5;
  int threads = 1, i = 1;
  while (i + 1 < argc && argv[i][0] == '-') {
    if (!strcmp(argv[i], "--seconds"))
      seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads"))
      threads = atoi(argv[i + 1]);
    else
      break;
    i += 2;
  }
  if (argc - i < 3 || (argc - i) % 3 || threads < 1) {
    fprintf(stderr, "usage: sgemm_openblas [--seconds S] [--threads T] M N K "
                    "[M N K ...]\n");
    return 2;
  }
  openblas_set_num_threads(threads);
  for (; i + 2 < argc; i += 3) {
    long m = atol(argv[i]), n = atol(argv[i + 1]), k = atol(argv[i + 2]);
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n),
          *c = malloc(sizeof(float) * m * n);
    for (long j = 0; j < m * k; ++j)
      a[j] = (float)((j * 7919) % 1000) * 1e-3f;
    for (long j = 0; j < k * n; ++j)
      b[j] = (float)((j * 104729) % 1000) * 1e-3f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k,
                b, n, 0.0f, c, n);
    size_t cap = 1024, count = 0;
    double *times = malloc(sizeof(double) * cap);
    double begin = now();
    while (count < 5 || now() - begin < seconds) {
      double t0 = now();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a,
                  k, b, n, 0.0f, c, n);
      if (count == cap)
        times = realloc(times, sizeof(double) * (cap *= 2));
      times[count++] = (now() - t0) * 1e3;
    }
    qsort(times, count, sizeof(double), cmp);
    double ms = times[count / 2];
    printf("sgemm_openblas %ld %ld %ld median_ms %.5f gflops %.2f core %s\n", m,
           n, k, ms, 2.0 * m * n * k / (ms * 1e6), openblas_get_corename());
    free(times);
    free(a);
    free(b);
    free(c);
  }
  return 0;
}
