//===- Run.cpp - neurona run ----------------------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "neurona/Runtime/NPY.h"

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

  size_t numArgs = 0;
  if (nr_status s = nr_model_num_args(model, entry.c_str(), &numArgs))
    return failRuntime(s);
  std::vector<nr_arg_info> fed, produced;
  for (size_t i = 0; i < numArgs; ++i) {
    nr_arg_info info;
    if (nr_status s = nr_model_arg_info(model, entry.c_str(), i, &info))
      return failRuntime(s);
    switch (info.role) {
    case NR_ROLE_INPUT:
    case NR_ROLE_TARGET:
    case NR_ROLE_HYPER:
      fed.push_back(info);
      break;
    case NR_ROLE_OUTPUT:
    case NR_ROLE_LOSS:
    case NR_ROLE_GRAD:
      produced.push_back(info);
      break;
    default:
      break;
    }
  }
  if (inputs.size() != fed.size())
    return fail("entry '" + entry + "' takes " + llvm::Twine(fed.size()) +
                " inputs, " + llvm::Twine(inputs.size()) + " given");
  if (outputs.size() != produced.size())
    return fail("entry '" + entry + "' produces " +
                llvm::Twine(produced.size()) + " outputs, " +
                llvm::Twine(outputs.size()) + " --output given");

  std::vector<NpyArray> arrays(inputs.size());
  std::vector<nr_tensor> in(inputs.size());
  int64_t batch = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (Status s = readNpy(inputs[i], arrays[i]); !s)
      return fail(s);
    nr_tensor &t = in[i];
    t.dtype = arrays[i].dtype;
    t.rank = static_cast<int32_t>(arrays[i].shape.size());
    if (arrays[i].shape.size() > NR_MAX_RANK)
      return fail(inputs[i] + ": rank too large");
    std::copy(arrays[i].shape.begin(), arrays[i].shape.end(), t.shape);
    t.data = arrays[i].data.data();
    for (int32_t d = 0; d < fed[i].rank && d < t.rank; ++d)
      if (fed[i].shape[d] < 0)
        batch = t.shape[d];
  }

  std::vector<std::vector<char>> buffers(produced.size());
  std::vector<nr_tensor> out(produced.size());
  for (size_t i = 0; i < produced.size(); ++i) {
    nr_tensor &t = out[i];
    t.dtype = produced[i].dtype;
    t.rank = produced[i].rank;
    int64_t count = 1;
    for (int32_t d = 0; d < t.rank; ++d) {
      int64_t size = produced[i].shape[d];
      if (size < 0) {
        if (batch < 0)
          return fail("cannot size output '" + llvm::Twine(produced[i].name) +
                      "': no input carries the batch dimension");
        size = batch;
      }
      t.shape[d] = size;
      count *= size;
    }
    buffers[i].resize(std::max<int64_t>(count, 1) * dtypeSize(t.dtype));
    t.data = buffers[i].data();
  }

  for (unsigned i = 0; i < repeat; ++i)
    if (nr_status s = nr_model_run(model, entry.c_str(), in.data(), in.size(),
                                   out.data(), out.size()))
      return failRuntime(s);
  if (!saveParams.empty())
    if (nr_status s = nr_model_save_params(model, saveParams.c_str()))
      return failRuntime(s);
  for (size_t i = 0; i < out.size(); ++i)
    if (Status s = writeNpy(outputs[i], out[i].dtype, out[i].shape, out[i].rank,
                            out[i].data);
        !s)
      return fail(s);
  return 0;
}
