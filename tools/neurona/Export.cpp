//===- Export.cpp - neurona export ----------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "neurona/Export/ONNXExport.h"
#include "neurona/Runtime/FileIO.h"

#include "llvm/Support/Path.h"

using namespace neurona;
using namespace neurona::driver;
namespace cl = llvm::cl;

static cl::opt<std::string> input(cl::Positional,
                                  cl::desc("<model.nn|model.onnx>"),
                                  cl::Required, cl::sub(exportCommand));
static cl::opt<std::string>
    output("o", cl::desc("The ONNX file to write (default: <model>.onnx)"),
           cl::value_desc("path"), cl::sub(exportCommand));
static cl::opt<std::string>
    params("params",
           cl::desc("Trained parameters (.npz from `train`); an .onnx "
                    "model's own initializers otherwise"),
           cl::value_desc("file.npz"), cl::sub(exportCommand));

static cl::opt<std::string>
    entry("entry",
          cl::desc("The entry to export: forward (default), a GAN's "
                   "generate, a VAE's decode"),
          cl::init("forward"), cl::sub(exportCommand));

int driver::runExport() {
  auto ctx = createCompilerContext();
  auto model = importWithParams(*ctx, input, params);
  if (!model)
    return fail(model.takeError());
  auto bytes = exportONNX(*model, entry);
  if (!bytes)
    return fail(llvm::Twine(input) + ": " + llvm::toString(bytes.takeError()));
  std::string out = output.empty()
                        ? (llvm::sys::path::stem(input) + ".onnx").str()
                        : output.getValue();
  if (out == input.getValue())
    return fail("-o " + out + " would overwrite the model being exported");
  if (Status s = writeFileAtomically(out, bytes->data(), bytes->size()); !s)
    return fail(s);
  return 0;
}
