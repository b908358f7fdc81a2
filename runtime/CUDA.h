//===- CUDA.h - the CUDA driver API, loaded at run time ---------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Models compiled with `--target=cuda` are host code that launches PTX
// kernels through the `mgpu*` functions of MLIR's GPU lowering
// (gpu-to-llvm); this runtime defines them on the CUDA driver API, which it
// loads with dlopen from libcuda.so.1 (or $NEURONA_CUDA_DRIVER) on first
// use. Nothing here needs CUDA headers or libraries at build time, so the
// runtime builds and runs where there is no GPU and says so when a CUDA
// model is opened there.
//
// Errors inside the mgpu* functions cannot be returned to compiled code:
// the first one on a thread is kept, later calls on that thread do nothing,
// and the runtime reports it (the driver call, its error name and text)
// after the entry returns.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_CUDA_H
#define NEURONA_RUNTIME_CUDA_H

#include "neurona/Runtime/Status.h"

#include <cstddef>

namespace neurona {
namespace runtime {
namespace cuda {

/// Loads the driver, initializes it and makes device 0's primary context
/// ($NEURONA_CUDA_DEVICE picks another) current on this thread. Idempotent.
Status ensureDriver();

/// Takes (and clears) the first error an mgpu* function met on this thread.
Status takePendingError();

/// Plain device memory (never managed memory), freed with deviceFree.
Status deviceAlloc(size_t bytes, void **out);
void deviceFree(void *pointer);
Status copyToDevice(void *device, const void *host, size_t bytes);
Status copyToHost(void *host, const void *device, size_t bytes);

/// "NVIDIA H200 (sm_90)" for the current device, or the reason there is none.
std::string describeDevice();

} // namespace cuda
} // namespace runtime
} // namespace neurona

#endif // NEURONA_RUNTIME_CUDA_H
