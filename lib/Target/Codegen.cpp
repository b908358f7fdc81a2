//===- Codegen.cpp - LLVM IR, optimisation and object emission ------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Target/Artifact.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace neurona;

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
neurona::createTargetMachine(const CodegenOptions &options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  // The AVX2 transpose lowering emits inline assembly (vblendps).
  llvm::InitializeNativeTargetAsmParser();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no LLVM target for " + triple.str() + ": " +
                                   error);
  std::string cpu = options.cpu, features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (feature.second ? "+" : "-") + feature.first().str() + ",";
  }
  llvm::CodeGenOptLevel level =
      options.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
      : options.optLevel == 0 ? llvm::CodeGenOptLevel::None
                              : llvm::CodeGenOptLevel::Default;
  std::unique_ptr<llvm::TargetMachine> tm(
      target->createTargetMachine(triple, cpu, features, llvm::TargetOptions(),
                                  llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm)
    return llvm::createStringError("cannot create a target machine for CPU '" +
                                   cpu + "'");
  return tm;
}

int64_t
neurona::f32VectorWidth(llvm::function_ref<bool(llvm::StringRef)> hasFeature) {
  if (hasFeature("avx512f"))
    return 16;
  if (hasFeature("avx2") && hasFeature("fma"))
    return 8;
  return 4;
}

int64_t neurona::f32VectorWidth(const llvm::TargetMachine &target) {
  const llvm::MCSubtargetInfo *subtarget = target.getMCSubtargetInfo();
  return f32VectorWidth([&](llvm::StringRef feature) {
    return subtarget->checkFeatures(("+" + feature).str());
  });
}

llvm::Expected<std::unique_ptr<llvm::Module>>
neurona::translateAndOptimize(mlir::ModuleOp llvmModule,
                              llvm::LLVMContext &context,
                              llvm::TargetMachine &target, unsigned optLevel) {
  std::unique_ptr<llvm::Module> module =
      mlir::translateModuleToLLVMIR(llvmModule, context);
  if (!module)
    return llvm::createStringError("translation to LLVM IR failed");
  module->setTargetTriple(target.getTargetTriple());
  module->setDataLayout(target.createDataLayout());

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&target);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel >= 3   ? llvm::OptimizationLevel::O3
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                                  : llvm::OptimizationLevel::O0;
  llvm::ModulePassManager mpm = level == llvm::OptimizationLevel::O0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(*module, mam);
  if (llvm::verifyModule(*module, &llvm::errs()))
    return llvm::createStringError("LLVM IR verification failed");
  return module;
}

llvm::Error neurona::writeObjectFile(llvm::Module &module,
                                     llvm::TargetMachine &target,
                                     llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError("cannot write " + path.str() + ": " +
                                   ec.message());
  llvm::legacy::PassManager pm;
  if (target.addPassesToEmitFile(pm, out, nullptr,
                                 llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  pm.run(module);
  out.flush();
  if (out.has_error())
    return llvm::createStringError("error writing " + path.str());
  return llvm::Error::success();
}
