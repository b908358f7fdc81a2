/* A stand-in for libcuda.so.1 that tests load through NEURONA_CUDA_DRIVER on
 * machines without a GPU. Memory is host memory; a module is the PTX text;
 * functions are the `.entry` names found in it. Launching refuses with
 * CUDA_ERROR_NOT_SUPPORTED (801), so a test sees the runtime's whole host
 * protocol (driver start, module JIT, function lookup, stream-ordered
 * allocation, error report, frees) without executing PTX. Each call is
 * logged to stderr when FAKE_CUDA_LOG is set; at exit it prints how many
 * device allocations are still live. With FAKE_CUDA_LAUNCH=noop launches
 * succeed and do nothing (device memory starts zeroed), so that a test can
 * follow the copies of several calls; FAKE_CUDA_LOG=copies logs only the
 * host-to-device copies of the runtime, with their sizes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
static int live, logging = -1;

static int copiesOnly(void) {
  const char *v = getenv("FAKE_CUDA_LOG");
  return v && strcmp(v, "copies") == 0;
}

static void note(const char *fmt, const char *arg) {
  if (logging < 0)
    logging = getenv("FAKE_CUDA_LOG") != NULL && !copiesOnly();
  if (logging) {
    fprintf(stderr, "fake-cuda: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
  }
}

__attribute__((destructor)) static void report(void) {
  if (getenv("FAKE_CUDA_LOG"))
    fprintf(stderr, "fake-cuda: live allocations at exit: %d\n", live);
}

CUresult cuInit(unsigned flags) { (void)flags; note("cuInit%s", ""); return 0; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int i) { *d = i; return 0; }
CUresult cuDeviceGetName(char *name, int len, int d) {
  (void)d; snprintf(name, (size_t)len, "Fake GPU"); return 0;
}
CUresult cuDeviceGetAttribute(int *v, int attr, int d) {
  (void)d; *v = attr == 75 ? 9 : 0; return 0;
}
static int context;
CUresult cuDevicePrimaryCtxRetain(void **c, int d) { (void)d; *c = &context; return 0; }
CUresult cuCtxSetCurrent(void *c) { return c == &context ? 0 : 201; }
CUresult cuGetErrorName(CUresult r, const char **s) {
  *s = r == 801 ? "CUDA_ERROR_NOT_SUPPORTED"
     : r == 218 ? "CUDA_ERROR_INVALID_PTX"
     : r == 500 ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_UNKNOWN";
  return 0;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == 801 ? "operation not supported" : "fake error";
  return 0;
}
CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n,
                            int *options, void **values) {
  const char *ptx = image;
  (void)n; (void)options; (void)values;
  if (!strstr(ptx, ".version") || !strstr(ptx, ".target sm_"))
    return 218;
  note("module loaded (%s)", strstr(ptx, ".target sm_90") ? "sm_90" : "other");
  *m = (void *)ptx;
  return 0;
}
CUresult cuModuleUnload(void *m) { (void)m; note("module unloaded%s", ""); return 0; }
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  char entry[512];
  snprintf(entry, sizeof entry, ".entry %s(", name);
  if (!strstr((const char *)m, entry))
    return 500;
  note("function %s", name);
  *f = (void *)name;
  return 0;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  (void)gx; (void)gy; (void)gz; (void)bx; (void)by; (void)bz; (void)smem;
  (void)stream; (void)params; (void)extra;
  const char *mode = getenv("FAKE_CUDA_LAUNCH");
  if (mode && strcmp(mode, "noop") == 0) {
    note("launch %s (no-op)", (const char *)f);
    return 0;
  }
  note("launch %s refused", (const char *)f);
  return 801;
}
static int stream;
CUresult cuStreamCreate(void **s, unsigned flags) { (void)flags; *s = &stream; return 0; }
CUresult cuStreamSynchronize(void *s) { return s == &stream ? 0 : 400; }
CUresult cuStreamDestroy_v2(void *s) { return s == &stream ? 0 : 400; }
CUresult cuMemAlloc_v2(unsigned long long *p, size_t n) {
  *p = (unsigned long long)(size_t)calloc(n ? n : 1, 1); ++live; return 0;
}
CUresult cuMemFree_v2(unsigned long long p) { free((void *)(size_t)p); --live; return 0; }
CUresult cuMemAllocAsync(unsigned long long *p, size_t n, void *s) {
  (void)s; return cuMemAlloc_v2(p, n);
}
CUresult cuMemFreeAsync(unsigned long long p, void *s) { (void)s; return cuMemFree_v2(p); }
CUresult cuMemcpyHtoD_v2(unsigned long long d, const void *h, size_t n) {
  if (copiesOnly())
    fprintf(stderr, "fake-cuda: HtoD %zu\n", n);
  memcpy((void *)(size_t)d, h, n); return 0;
}
CUresult cuMemcpyDtoH_v2(void *h, unsigned long long d, size_t n) {
  memcpy(h, (const void *)(size_t)d, n); return 0;
}
