//===- neurona.cpp - the Neurona driver -----------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace neurona::driver;

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM registers hundreds of backend options at the top level; the
  // driver's own options all belong to subcommands.
  for (auto &[name, option] :
       llvm::cl::getRegisteredOptions(llvm::cl::SubCommand::getTopLevel()))
    if (name != "help" && name != "version")
      option->setHiddenFlag(llvm::cl::ReallyHidden);
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "neurona 0.1 (LLVM and MLIR " LLVM_VERSION_STRING ")\n";
  });
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "Neurona: compile, train and run neural networks\n\n"
      "  neurona compile MODEL --emit=mlir|mlir-llvm|llvm|obj|lib|exe -o OUT\n"
      "  neurona run MODEL --input a.npy [...] --output y.npy [...]\n"
      "  neurona train MODEL --data-dir DIR --save params.npz\n"
      "  neurona eval MODEL --params params.npz --data-dir DIR\n"
      "  neurona data MODEL.nn --out DIR\n"
      "  neurona export MODEL --params params.npz -o model.onnx\n\n"
      "MODEL is a .onnx or .nn file, or a shared library from `compile`.\n");
  if (compileCommand)
    return runCompile();
  if (runCommand)
    return runRun();
  if (trainCommand)
    return runTrain();
  if (evalCommand)
    return runEval();
  if (dataCommand)
    return runData();
  if (exportCommand)
    return runExport();
  return fail("no subcommand given; see `neurona --help`");
}
