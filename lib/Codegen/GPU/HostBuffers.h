//===- HostBuffers.h - buffers that stay in host memory ---------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_CODEGEN_GPU_HOSTBUFFERS_H
#define NEURONA_LIB_CODEGEN_GPU_HOSTBUFFERS_H

#include "mlir/IR/Value.h"

namespace neurona {

/// Whether `buffer` (or the buffer it is a view of) is host memory in a CUDA
/// entry: a `memref.alloca`, or an allocation passed to a function call.
/// Both only come from the deallocation pipeline's ownership bookkeeping
/// (base pointers and flags handed to its private `dealloc_helper`); every
/// other buffer holds tensor data and lives on the device.
bool isHostBuffer(mlir::Value buffer);

} // namespace neurona

#endif // NEURONA_LIB_CODEGEN_GPU_HOSTBUFFERS_H
