//===- ExpandCopies.cpp - neurona-expand-memref-copies --------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Bufferization copies a tensor slice it cannot update in place with
// `memref.copy`, and the LLVM conversion lowers a copy of a strided
// (non-contiguous) view to a call of `memrefCopy`, a function of MLIR's
// C runner library that compiled models do not link: such a model fails to
// load. As `linalg.copy`, every copy becomes loops in the model itself.
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace neurona {
#define GEN_PASS_DEF_EXPANDMEMREFCOPIES
#include "neurona/Codegen/Passes.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

struct ExpandMemRefCopiesPass
    : neurona::impl::ExpandMemRefCopiesBase<ExpandMemRefCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      auto type = dyn_cast<MemRefType>(copy.getSource().getType());
      if (!type)
        continue; // unranked: left to the LLVM conversion
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
  }
};

} // namespace
