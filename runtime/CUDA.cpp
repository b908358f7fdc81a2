//===- CUDA.cpp - the CUDA driver API, loaded at run time -----------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "CUDA.h"

#include <cstdint>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <string>

using namespace neurona;

namespace {

// The driver API's types, as cuda.h declares them (ABI-stable since CUDA 4).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUjit_option = int;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr CUjit_option CU_JIT_OPTIMIZATION_LEVEL = 7;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr unsigned CU_STREAM_NON_BLOCKING = 1;

/// The entry points Neurona uses, resolved from the loaded driver.
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned,
                                 CUjit_option *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, CUstream,
                             void **, void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  // Stream-ordered allocation (CUDA 11.2); null with older drivers.
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);

  CUdevice device = 0;
  CUcontext context = nullptr;
};

Driver driver; // constant-initialized: usable before any constructor runs
thread_local bool contextCurrent = false;

// An executable's model loads its kernels from a constructor that may run
// before this file's constructors (priority 123, ahead of C++'s default)
// and unloads them from a destructor that runs after this file's: nothing
// here is constructed before first use or destroyed at exit.
struct Loader {
  std::once_flag once;
  Status status;
};
Loader &loader() {
  static Loader *instance = new Loader; // never destroyed, see above
  return *instance;
}
/// This thread's first unreported error; null when there is none.
thread_local Status *pendingError = nullptr;

/// "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
Status driverError(const char *call, CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (driver.cuGetErrorName)
    driver.cuGetErrorName(result, &name);
  if (driver.cuGetErrorString)
    driver.cuGetErrorString(result, &text);
  // The toolkit's stub library (installed where no driver is) answers
  // every call with CUDA_ERROR_STUB_LIBRARY and knows no error names.
  if (!name && result == 34)
    name = "CUDA_ERROR_STUB_LIBRARY",
    text = "the CUDA driver loaded is the toolkit's stub, not a real driver";
  std::string message = std::string(call) + " failed: " +
                        (name ? name : "CUDA error " + std::to_string(result));
  if (text)
    message += std::string(" (") + text + ")";
  return Status::error(result == 2 ? NR_ERROR_OUT_OF_MEMORY
                                   : NR_ERROR_INTERNAL,
                       message);
}

template <typename F>
bool resolve(void *library, F &slot, const char *name, std::string &missing) {
  slot = reinterpret_cast<F>(dlsym(library, name));
  if (!slot)
    missing += (missing.empty() ? "" : ", ") + std::string(name);
  return slot != nullptr;
}

Status load() {
  const char *override = std::getenv("NEURONA_CUDA_DRIVER");
  std::string path = override && *override ? override : "libcuda.so.1";
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    return Status::error(NR_ERROR_NOT_FOUND,
                         "no CUDA driver found (" +
                             std::string(why ? why : path) +
                             "); models compiled with --target=cuda need an "
                             "NVIDIA GPU and its driver");
  }
  std::string missing;
  resolve(library, driver.cuInit, "cuInit", missing);
  resolve(library, driver.cuDeviceGetCount, "cuDeviceGetCount", missing);
  resolve(library, driver.cuDeviceGet, "cuDeviceGet", missing);
  resolve(library, driver.cuDeviceGetName, "cuDeviceGetName", missing);
  resolve(library, driver.cuDeviceGetAttribute, "cuDeviceGetAttribute",
          missing);
  resolve(library, driver.cuDevicePrimaryCtxRetain,
          "cuDevicePrimaryCtxRetain", missing);
  resolve(library, driver.cuCtxSetCurrent, "cuCtxSetCurrent", missing);
  resolve(library, driver.cuGetErrorName, "cuGetErrorName", missing);
  resolve(library, driver.cuGetErrorString, "cuGetErrorString", missing);
  resolve(library, driver.cuModuleLoadDataEx, "cuModuleLoadDataEx", missing);
  resolve(library, driver.cuModuleUnload, "cuModuleUnload", missing);
  resolve(library, driver.cuModuleGetFunction, "cuModuleGetFunction",
          missing);
  resolve(library, driver.cuLaunchKernel, "cuLaunchKernel", missing);
  resolve(library, driver.cuStreamCreate, "cuStreamCreate", missing);
  resolve(library, driver.cuStreamSynchronize, "cuStreamSynchronize",
          missing);
  resolve(library, driver.cuStreamDestroy, "cuStreamDestroy_v2", missing);
  resolve(library, driver.cuMemAlloc, "cuMemAlloc_v2", missing);
  resolve(library, driver.cuMemFree, "cuMemFree_v2", missing);
  resolve(library, driver.cuMemcpyHtoD, "cuMemcpyHtoD_v2", missing);
  resolve(library, driver.cuMemcpyDtoH, "cuMemcpyDtoH_v2", missing);
  if (!missing.empty())
    return Status::error(NR_ERROR_NOT_FOUND, "the CUDA driver '" + path +
                                                 "' lacks " + missing);
  std::string optional;
  resolve(library, driver.cuMemAllocAsync, "cuMemAllocAsync", optional);
  resolve(library, driver.cuMemFreeAsync, "cuMemFreeAsync", optional);
  if (!driver.cuMemAllocAsync || !driver.cuMemFreeAsync)
    driver.cuMemAllocAsync = nullptr, driver.cuMemFreeAsync = nullptr;

  if (CUresult r = driver.cuInit(0); r != CUDA_SUCCESS)
    return driverError("cuInit", r);
  int count = 0;
  if (CUresult r = driver.cuDeviceGetCount(&count); r != CUDA_SUCCESS)
    return driverError("cuDeviceGetCount", r);
  int ordinal = 0;
  if (const char *chosen = std::getenv("NEURONA_CUDA_DEVICE"))
    ordinal = std::atoi(chosen);
  if (ordinal < 0 || ordinal >= count)
    return Status::error(NR_ERROR_NOT_FOUND,
                         "CUDA device " + std::to_string(ordinal) +
                             " does not exist (the driver sees " +
                             std::to_string(count) + ")");
  if (CUresult r = driver.cuDeviceGet(&driver.device, ordinal);
      r != CUDA_SUCCESS)
    return driverError("cuDeviceGet", r);
  if (CUresult r =
          driver.cuDevicePrimaryCtxRetain(&driver.context, driver.device);
      r != CUDA_SUCCESS)
    return driverError("cuDevicePrimaryCtxRetain", r);
  return Status::success();
}

/// Records `status` as this thread's pending error unless one is pending.
void keep(Status status) {
  if (!pendingError && !status.ok())
    pendingError = new Status(std::move(status));
}

/// Whether an mgpu* function may call the driver: loaded, context current,
/// and no earlier error on this thread.
bool ready() {
  if (pendingError)
    return false;
  Status s = runtime::cuda::ensureDriver();
  keep(s);
  return s.ok();
}

bool check(const char *call, CUresult result) {
  if (result == CUDA_SUCCESS)
    return true;
  keep(driverError(call, result));
  return false;
}

} // namespace

Status runtime::cuda::ensureDriver() {
  Loader &l = loader();
  std::call_once(l.once, [&l] { l.status = load(); });
  if (!l.status.ok())
    return l.status;
  if (!contextCurrent) {
    if (CUresult r = driver.cuCtxSetCurrent(driver.context); r != CUDA_SUCCESS)
      return driverError("cuCtxSetCurrent", r);
    contextCurrent = true;
  }
  return Status::success();
}

Status runtime::cuda::takePendingError() {
  if (!pendingError)
    return Status::success();
  Status s = std::move(*pendingError);
  delete pendingError;
  pendingError = nullptr;
  return s;
}

Status runtime::cuda::deviceAlloc(size_t bytes, void **out) {
  if (Status s = ensureDriver(); !s.ok())
    return s;
  CUdeviceptr pointer = 0;
  // cuMemAlloc refuses 0 bytes; an empty tensor still needs an address.
  if (CUresult r = driver.cuMemAlloc(&pointer, bytes ? bytes : 1);
      r != CUDA_SUCCESS)
    return driverError("cuMemAlloc", r)
        .withContext("allocating " + std::to_string(bytes) +
                     " bytes of device memory");
  *out = reinterpret_cast<void *>(static_cast<uintptr_t>(pointer));
  return Status::success();
}

void runtime::cuda::deviceFree(void *pointer) {
  if (pointer && ensureDriver().ok())
    driver.cuMemFree(reinterpret_cast<uintptr_t>(pointer));
}

Status runtime::cuda::copyToDevice(void *device, const void *host,
                                   size_t bytes) {
  if (!bytes)
    return Status::success();
  if (CUresult r = driver.cuMemcpyHtoD(reinterpret_cast<uintptr_t>(device),
                                       host, bytes);
      r != CUDA_SUCCESS)
    return driverError("cuMemcpyHtoD", r);
  return Status::success();
}

Status runtime::cuda::copyToHost(void *host, const void *device,
                                 size_t bytes) {
  if (!bytes)
    return Status::success();
  if (CUresult r = driver.cuMemcpyDtoH(
          host, reinterpret_cast<uintptr_t>(device), bytes);
      r != CUDA_SUCCESS)
    return driverError("cuMemcpyDtoH", r);
  return Status::success();
}

std::string runtime::cuda::describeDevice() {
  if (Status s = ensureDriver(); !s.ok())
    return s.getMessage();
  char name[256] = {0};
  driver.cuDeviceGetName(name, sizeof(name) - 1, driver.device);
  int major = 0, minor = 0;
  driver.cuDeviceGetAttribute(
      &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, driver.device);
  driver.cuDeviceGetAttribute(
      &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, driver.device);
  return std::string(name) + " (sm_" + std::to_string(major) +
         std::to_string(minor) + ")";
}

//===----------------------------------------------------------------------===//
// What gpu-to-llvm's host code calls (signatures of MLIR's
// CudaRuntimeWrappers, which this replaces so that artifacts need neither
// MLIR's runtime library nor the CUDA runtime).
//===----------------------------------------------------------------------===//

extern "C" {

/// Called by the artifact's constructor with its embedded PTX (NUL
/// terminated); the driver compiles it for the GPU at hand.
void *mgpuModuleLoadJIT(void *data, int optLevel) {
  if (!ready())
    return nullptr;
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log) - 1)),
                    reinterpret_cast<void *>(uintptr_t(optLevel))};
  CUmodule module = nullptr;
  CUresult r = driver.cuModuleLoadDataEx(&module, data, 3, options, values);
  if (r != CUDA_SUCCESS) {
    Status s = driverError("cuModuleLoadDataEx", r);
    keep(log[0] ? s.withContext(std::string("PTX JIT: ") + log) : s);
    return nullptr;
  }
  return module;
}

void mgpuModuleUnload(void *module) {
  if (module && ready())
    check("cuModuleUnload",
          driver.cuModuleUnload(static_cast<CUmodule>(module)));
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!ready())
    return nullptr;
  if (!module) {
    keep(Status::error(NR_ERROR_INTERNAL,
                       "the model's CUDA kernels were not loaded"));
    return nullptr;
  }
  CUfunction function = nullptr;
  if (!check("cuModuleGetFunction",
             driver.cuModuleGetFunction(&function,
                                        static_cast<CUmodule>(module), name)))
    return nullptr;
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  if (!ready() || !function)
    return;
  check("cuLaunchKernel",
        driver.cuLaunchKernel(static_cast<CUfunction>(function),
                              unsigned(gridX), unsigned(gridY),
                              unsigned(gridZ), unsigned(blockX),
                              unsigned(blockY), unsigned(blockZ),
                              unsigned(sharedBytes),
                              static_cast<CUstream>(stream), params, extra));
}

void *mgpuStreamCreate() {
  if (!ready())
    return nullptr;
  CUstream stream = nullptr;
  check("cuStreamCreate",
        driver.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  if (stream && runtime::cuda::ensureDriver().ok())
    check("cuStreamDestroy",
          driver.cuStreamDestroy(static_cast<CUstream>(stream)));
}

void mgpuStreamSynchronize(void *stream) {
  if (stream && ready())
    check("cuStreamSynchronize",
          driver.cuStreamSynchronize(static_cast<CUstream>(stream)));
}

void *mgpuMemAlloc(uint64_t bytes, void *opaqueStream, bool /*isHostShared*/) {
  auto stream = static_cast<CUstream>(opaqueStream);
  if (!ready())
    return nullptr;
  CUdeviceptr pointer = 0;
  size_t size = bytes ? bytes : 1;
  bool ok = driver.cuMemAllocAsync && stream
                ? check("cuMemAllocAsync",
                        driver.cuMemAllocAsync(&pointer, size, stream))
                : check("cuMemAlloc", driver.cuMemAlloc(&pointer, size));
  return ok ? reinterpret_cast<void *>(static_cast<uintptr_t>(pointer))
            : nullptr;
}

void mgpuMemFree(void *pointer, void *opaqueStream) {
  auto stream = static_cast<CUstream>(opaqueStream);
  // Frees run even after an error, so that a failed call leaks nothing.
  if (!pointer || !runtime::cuda::ensureDriver().ok())
    return;
  auto address = reinterpret_cast<uintptr_t>(pointer);
  if (driver.cuMemFreeAsync && stream)
    check("cuMemFreeAsync", driver.cuMemFreeAsync(address, stream));
  else
    check("cuMemFree", driver.cuMemFree(address));
}

} // extern "C"
