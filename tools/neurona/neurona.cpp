//===- neurona.cpp - the Neurona driver -----------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "llvm/Support/InitLLVM.h"

using namespace neurona::driver;

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "Neurona: compile, train and run neural networks\n\n"
      "  neurona compile MODEL --emit=mlir|mlir-llvm|llvm|obj|lib|exe -o OUT\n"
      "  neurona run MODEL --input a.npy [...] --output y.npy [...]\n"
      "  neurona train MODEL --data-dir DIR --save params.npz\n"
      "  neurona eval MODEL --params params.npz --data-dir DIR\n\n"
      "MODEL is a .onnx or .nn file, or a shared library from `compile`.\n");
  if (compileCommand)
    return runCompile();
  if (runCommand)
    return runRun();
  if (trainCommand)
    return runTrain();
  if (evalCommand)
    return runEval();
  return fail("no subcommand given; see `neurona --help`");
}
