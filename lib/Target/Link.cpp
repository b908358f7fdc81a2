//===- Link.cpp - linking objects with the system toolchain ---------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// LLVM 22 from Debian ships no linker library, so shared libraries and
// executables are linked by the C compiler driver (`cc`, or $CC), as
// onnx-mlir and IREE's CPU backends do.
//
//===----------------------------------------------------------------------===//

#include "neurona/Target/Artifact.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace neurona;

static llvm::Error runLinker(llvm::ArrayRef<std::string> args,
                             llvm::StringRef output) {
  const char *cc = std::getenv("CC");
  auto program = llvm::sys::findProgramByName(cc && *cc ? cc : "cc");
  if (!program)
    return llvm::createStringError(
        "no C compiler driver (`cc`) on PATH to link " + output.str());
  std::vector<llvm::StringRef> argv{*program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*program, argv, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0)
    return llvm::createStringError("linking " + output.str() + " failed" +
                                   (message.empty() ? "" : ": " + message));
  return llvm::Error::success();
}

/// The OpenMP runtime (Debian's libomp) for code whose contractions are
/// shared among threads; `--as-needed` keeps it out of single-threaded
/// artifacts.
static std::vector<std::string> openMPArgs() {
  return {"-Wl,--as-needed", "-L" NEURONA_OPENMP_LIBDIR,
          "-Wl,-rpath," NEURONA_OPENMP_LIBDIR, "-lomp", "-Wl,--no-as-needed"};
}

llvm::Error neurona::linkSharedLibrary(llvm::StringRef object,
                                       llvm::StringRef output) {
  std::vector<std::string> args = {"-shared", "-o", output.str(), object.str()};
  for (std::string &a : openMPArgs())
    args.push_back(std::move(a));
  args.push_back("-lm");
  return runLinker(args, output);
}

llvm::Error neurona::linkExecutable(llvm::StringRef object,
                                    llvm::StringRef output,
                                    llvm::StringRef runtimeDir) {
  llvm::SmallString<256> main(runtimeDir), runtime(runtimeDir);
  llvm::sys::path::append(main, "neurona_exe_main.o");
  llvm::sys::path::append(runtime, "libneurona_runtime.a");
  for (llvm::StringRef f : {main.str(), runtime.str()})
    if (!llvm::sys::fs::exists(f))
      return llvm::createStringError("missing runtime file " + f.str());
  std::vector<std::string> args = {"-rdynamic",      "-o",
                                   output.str(),     object.str(),
                                   main.str().str(), runtime.str().str()};
  for (std::string &a : openMPArgs())
    args.push_back(std::move(a));
  for (const char *lib : {"-lstdc++", "-lm", "-ldl", "-lz"})
    args.push_back(lib);
  return runLinker(args, output);
}
