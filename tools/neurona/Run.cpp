//===- Run.cpp - neurona run ----------------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "neurona/Runtime/EntryIO.h"
#include "neurona/Runtime/FileIO.h"

#include <cstring>

using namespace neurona;
using namespace neurona::driver;
namespace cl = llvm::cl;

static cl::opt<std::string> modelPath(cl::Positional,
                                      cl::desc("<model.onnx|model.nn|lib.so>"),
                                      cl::Required, cl::sub(runCommand));
static cl::list<std::string> inputs("input",
                                    cl::desc("An input .npy, in model order"),
                                    cl::value_desc("file.npy"),
                                    cl::sub(runCommand));
static cl::list<std::string>
    outputs("output", cl::desc("Where to write an output .npy, in model order"),
            cl::value_desc("file.npy"), cl::sub(runCommand));
static cl::opt<std::string> params("params",
                                   cl::desc("Load parameters from a .npz"),
                                   cl::value_desc("file.npz"),
                                   cl::sub(runCommand));
static cl::opt<std::string>
    saveParams("save-params",
               cl::desc("Write the parameters after the run (.npz)"),
               cl::value_desc("file.npz"), cl::sub(runCommand));
static cl::opt<unsigned>
    repeat("repeat",
           cl::desc("Run the entry this many times on the same inputs "
                    "(e.g. several train_step updates)"),
           cl::init(1), cl::sub(runCommand));
static cl::opt<std::string>
    entry("entry", cl::desc("Entry to run: forward, gradients or train_step"),
          cl::init("forward"), cl::sub(runCommand));

int driver::runRun() {
  LoadedModel loaded;
  if (auto err = loaded.load(modelPath, entry != "forward"))
    return fail(std::move(err));
  nr_model *model = loaded.get();
  if (!params.empty())
    if (nr_status s = nr_model_load_params(model, params.c_str()))
      return failRuntime(s);

  NpyEntryCall call;
  if (Status s = call.describe(model, entry.c_str()); !s)
    return fail(s);
  if (inputs.size() != call.fed.size())
    return fail("entry '" + entry + "' takes " + llvm::Twine(call.fed.size()) +
                " inputs, " + llvm::Twine(inputs.size()) + " given");
  if (outputs.size() != call.produced.size())
    return fail("entry '" + entry + "' produces " +
                llvm::Twine(call.produced.size()) + " outputs, " +
                llvm::Twine(outputs.size()) + " --output given");
  // Unlike the compiled executables, `run` does not convert dtypes: a
  // mismatch is reported by the runtime.
  if (Status s = call.prepare(inputs, /*convertDTypes=*/false); !s)
    return fail(s);

  // Results and parameters are written under temporary names and put in
  // place together once every run has succeeded: a failure leaves every
  // existing output as it was. Staging first finds unwritable folders
  // before anything runs.
  OutputSet staged;
  std::vector<std::string> outputTemps(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i)
    if (Status s = staged.stage(outputs[i], outputTemps[i]); !s)
      return fail(s);
  std::string paramsTemp;
  if (!saveParams.empty())
    if (Status s = staged.stage(saveParams, paramsTemp); !s)
      return fail(s);

  for (unsigned i = 0; i < repeat; ++i)
    if (nr_status s = nr_model_run(model, entry.c_str(), call.inputs.data(),
                                   call.inputs.size(), call.results.data(),
                                   call.results.size()))
      return failRuntime(s);
  if (!saveParams.empty())
    if (nr_status s = nr_model_save_params(model, paramsTemp.c_str()))
      return failRuntime(s);
  if (Status s = call.writeResults(outputTemps); !s)
    return fail(s);
  if (Status s = staged.commit(); !s)
    return fail(s);
  return 0;
}
