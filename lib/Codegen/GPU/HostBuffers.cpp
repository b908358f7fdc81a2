//===- HostBuffers.cpp - buffers that stay in host memory -----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "HostBuffers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

/// Whether a view of `buffer` (itself included) is an operand of a call.
static bool reachesCall(Value buffer) {
  for (Operation *user : buffer.getUsers()) {
    if (isa<func::CallOp>(user))
      return true;
    if (auto view = dyn_cast<ViewLikeOpInterface>(user))
      if (view.getViewSource() == buffer &&
          reachesCall(user->getResult(0)))
        return true;
  }
  return false;
}

bool neurona::isHostBuffer(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (isa<memref::AllocaOp>(def))
      return true;
    if (isa<memref::AllocOp>(def))
      return reachesCall(buffer);
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return false;
    buffer = view.getViewSource();
  }
  return false;
}
