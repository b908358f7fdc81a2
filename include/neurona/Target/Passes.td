//===- Passes.td - target passes ---------------------------*- tablegen -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_TARGET_PASSES_TD
#define NEURONA_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def EntryABI : Pass<"neurona-entry-abi", "::mlir::ModuleOp"> {
  let summary = "Give model entries the runtime's calling convention";
  let description = [{
    Rewrites every function whose arguments carry `nn.role` from value
    semantics to destination-passing style on memrefs: tensor arguments become
    memref arguments read through `bufferization.to_tensor restrict`, and
    each result becomes a trailing memref out-parameter written with
    `bufferization.materialize_in_destination`. The caller (the runtime)
    allocates every buffer and guarantees that none alias, which is what
    `restrict` promises. Entries get `llvm.emit_c_interface`, so each memref
    is passed as a pointer to its descriptor. Runs on tensors, before
    one-shot bufferization.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // NEURONA_TARGET_PASSES_TD
