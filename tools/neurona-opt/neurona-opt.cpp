//===- neurona-opt.cpp - Neurona's mlir-opt -------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Registers only the dialects Neurona's IR passes through and the passes and
// pipelines it runs, so lit tests exercise exactly what the compiler does.
//
//===----------------------------------------------------------------------===//

#include "neurona/Dialect/NN/IR/NNDialect.h"
#include "neurona/Pipelines/Pipelines.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

#include "neurona/Compiler/Registration.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  neurona::registerCompilerDialects(registry);
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  neurona::registerPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Neurona optimizer driver\n", registry));
}
