//===- ExeMain.cpp - main() of standalone model executables ---------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Linked (with -rdynamic) next to a compiled model object and the runtime
// library, this file turns the model into a command-line program that reads
// its inputs from .npy files, runs one entry and writes the results as .npy
// files. The model is found through nr_model_open_self, exactly as a shared
// library would be found through nr_model_open, so executables exercise the
// same code path as every other runtime user.
//
//===----------------------------------------------------------------------===//

#include "neurona-c/runtime.h"
#include "neurona/Runtime/EntryIO.h"
#include "neurona/Runtime/Half.h"
#include "neurona/Runtime/NPY.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>
#include <string>
#include <vector>

using namespace neurona;

namespace {
struct Options {
  std::vector<std::string> inputs, outputs;
  /// Raw texts for the model's text input (--text, --text-file).
  std::vector<std::string> texts;
  bool haveTexts = false;
  std::string params, entry = "forward";
  bool info = false;
};

/// A model handle closed on every exit path.
struct ModelHandle {
  nr_model *model = nullptr;
  ~ModelHandle() { nr_model_close(model); }
};
} // namespace

static const char *programName = "model";

static void printUsage(std::FILE *out) {
  std::fprintf(
      out,
      "usage: %s [options] [INPUT.npy ...]\n"
      "\n"
      "Runs the model compiled into this program on .npy inputs.\n"
      "\n"
      "options:\n"
      "  -i, --input FILE    an input array, in the entry's input order\n"
      "                      (repeatable; bare arguments are inputs too)\n"
      "  -o, --output FILE   where to write a result, in the entry's result\n"
      "                      order (repeatable); without any, results are\n"
      "                      printed as text\n"
      "  -t, --text TEXT     a raw text for the model's text input, if it\n"
      "                      was trained on text (repeatable: one sample\n"
      "                      each); it replaces that input's .npy file\n"
      "      --text-file FILE  the same, one text per line\n"
      "                      (a translation model prints the translation\n"
      "                      of each text, one per line)\n"
      "  -p, --params FILE   load parameters from an .npz archive (as\n"
      "                      written by `neurona train`)\n"
      "  -e, --entry NAME    entry to run (default: forward)\n"
      "      --info          describe the model's entries and parameters\n"
      "  -h, --help          show this help\n"
      "\n"
      "Inputs are converted to the entry's dtype when that loses nothing\n"
      "essential (any number to float, integers to integers); the batch\n"
      "dimension is taken from the inputs.\n"
      "Exit status: 0 on success, 1 on a runtime error, 2 on a usage error.\n",
      programName);
}

/// Parses the command line; returns -1 to continue, else an exit status.
static int parseArgs(int argc, char **argv, Options &opts) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool hasValue = false;
    size_t eq = arg.find('=');
    if (arg.compare(0, 2, "--") == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasValue = true;
    }
    auto takeValue = [&](std::string &out) {
      if (hasValue) {
        out = value;
        return true;
      }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: option '%s' needs a value\n", programName,
                     arg.c_str());
        return false;
      }
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "-h" || arg == "--help") {
      printUsage(stdout);
      return 0;
    } else if (arg == "--info") {
      opts.info = true;
    } else if (arg == "-i" || arg == "--input") {
      if (!takeValue(v))
        return 2;
      opts.inputs.push_back(v);
    } else if (arg == "-o" || arg == "--output") {
      if (!takeValue(v))
        return 2;
      opts.outputs.push_back(v);
    } else if (arg == "-t" || arg == "--text") {
      if (!takeValue(v))
        return 2;
      opts.texts.push_back(v);
      opts.haveTexts = true;
    } else if (arg == "--text-file") {
      if (!takeValue(v))
        return 2;
      std::ifstream in(v, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "%s: cannot read '%s': %s\n", programName,
                     v.c_str(), std::strerror(errno));
        return 1;
      }
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
          line.pop_back();
        opts.texts.push_back(line);
      }
      opts.haveTexts = true;
    } else if (arg == "-p" || arg == "--params") {
      if (!takeValue(opts.params))
        return 2;
    } else if (arg == "-e" || arg == "--entry") {
      if (!takeValue(opts.entry))
        return 2;
    } else if (arg == "--") {
      for (++i; i < argc; ++i)
        opts.inputs.push_back(argv[i]);
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "%s: unknown option '%s' (see --help)\n",
                   programName, arg.c_str());
      return 2;
    } else {
      opts.inputs.push_back(arg);
    }
  }
  return -1;
}

static int runtimeError(const char *what) {
  std::fprintf(stderr, "%s: %s: %s\n", programName, what, nr_last_error());
  return 1;
}

/// Whether the model translates raw text (a source and a decoder text
/// input): `--text` then prints translations.
static bool isTranslator(nr_model *model) {
  size_t count = 0;
  nr_model_num_text_inputs(model, &count);
  return count > 1 &&
         nr_model_translate(model, nullptr, 0, nullptr, 0, nullptr) == NR_OK;
}

static int printInfo(nr_model *model) {
  const char *name;
  size_t nEntries = 0, nParams = 0, nConfig = 0;
  if (nr_model_name(model, &name) || nr_model_num_entries(model, &nEntries) ||
      nr_model_num_params(model, &nParams) ||
      nr_model_num_train_config(model, &nConfig))
    return runtimeError("cannot describe the model");
  std::printf("model %s\n", name);
  for (size_t i = 0; i < nConfig; ++i) {
    const char *key, *value;
    if (nr_model_train_config_at(model, i, &key, &value))
      return runtimeError("cannot describe the model");
    std::printf("  train %s=%s\n", key, value);
  }
  for (size_t i = 0; i < nParams; ++i) {
    nr_param_info p;
    if (nr_model_param_info(model, i, &p))
      return runtimeError("cannot describe the model");
    std::printf("  param %s: %s\n", p.name,
                formatArgType(p.dtype, p.rank, p.shape).c_str());
  }
  size_t nTexts = 0;
  nr_model_num_text_inputs(model, &nTexts);
  for (size_t i = 0; i < nTexts; ++i) {
    const char *input;
    int64_t width;
    int hasVocabulary;
    if (nr_model_text_input(model, i, &input, &width, &hasVocabulary))
      return runtimeError("cannot describe the model");
    std::printf("  text %s: raw text (--text) becomes %" PRId64
                " values%s\n",
                input, width,
                hasVocabulary ? "" : "; no vocabulary yet (load --params)");
  }
  if (isTranslator(model))
    std::printf("  translates: --text prints the greedy translation of "
                "each text\n");
  for (size_t e = 0; e < nEntries; ++e) {
    const char *entry;
    size_t nArgs = 0;
    if (nr_model_entry_name(model, e, &entry) ||
        nr_model_num_args(model, entry, &nArgs))
      return runtimeError("cannot describe the model");
    std::printf("entry %s\n", entry);
    for (size_t a = 0; a < nArgs; ++a) {
      nr_arg_info info;
      if (nr_model_arg_info(model, entry, a, &info))
        return runtimeError("cannot describe the model");
      std::printf("  %-9s %s: %s\n", nr_arg_role_name(info.role), info.name,
                  formatArgType(info.dtype, info.rank, info.shape).c_str());
    }
  }
  return 0;
}

/// Prints a result as text: one line per row of the last dimension.
static void printResult(const nr_arg_info &info, const nr_tensor &t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.rank; ++i)
    n *= t.shape[i];
  int64_t row = t.rank ? t.shape[t.rank - 1] : 1;
  std::printf("%s: %s\n", info.name,
              formatArgType(t.dtype, t.rank, t.shape).c_str());
  const int64_t limit = 10000;
  for (int64_t i = 0; i < n && i < limit; ++i) {
    switch (t.dtype) {
    case NR_F32:
      std::printf("%.7g", double(static_cast<const float *>(t.data)[i]));
      break;
    case NR_F64:
      std::printf("%.15g", static_cast<const double *>(t.data)[i]);
      break;
    case NR_F16:
      std::printf("%.5g", double(halfToFloat(
                              static_cast<const uint16_t *>(t.data)[i])));
      break;
    case NR_BF16:
      std::printf("%.4g", double(bfloat16ToFloat(
                              static_cast<const uint16_t *>(t.data)[i])));
      break;
    case NR_I32:
      std::printf("%" PRId32, static_cast<const int32_t *>(t.data)[i]);
      break;
    case NR_I64:
      std::printf("%" PRId64, static_cast<const int64_t *>(t.data)[i]);
      break;
    case NR_U8:
    case NR_BOOL:
      std::printf("%u", unsigned(static_cast<const uint8_t *>(t.data)[i]));
      break;
    case NR_I8:
      std::printf("%d", int(static_cast<const int8_t *>(t.data)[i]));
      break;
    case NR_I16:
      std::printf("%d", int(static_cast<const int16_t *>(t.data)[i]));
      break;
    case NR_U16:
      std::printf("%u", unsigned(static_cast<const uint16_t *>(t.data)[i]));
      break;
    case NR_U32:
      std::printf("%" PRIu32, static_cast<const uint32_t *>(t.data)[i]);
      break;
    case NR_U64:
      std::printf("%" PRIu64, static_cast<const uint64_t *>(t.data)[i]);
      break;
    }
    std::putchar((i + 1) % row == 0 ? '\n' : ' ');
  }
  if (n > limit)
    std::printf("... (%" PRId64 " more values; use --output)\n", n - limit);
}

/// Prints the greedy translation of each text, one per line.
static int translate(nr_model *model, const std::vector<std::string> &texts) {
  if (texts.empty()) {
    std::fprintf(stderr, "%s: no texts given\n", programName);
    return 2;
  }
  std::vector<const char *> pointers;
  for (const std::string &t : texts)
    pointers.push_back(t.c_str());
  std::vector<char> out(texts.size() * 256 + 1);
  size_t needed = 0;
  nr_status s = nr_model_translate(model, pointers.data(), pointers.size(),
                                   out.data(), out.size(), &needed);
  if (s == NR_ERROR_INVALID_ARGUMENT && needed > out.size()) {
    out.resize(needed);
    s = nr_model_translate(model, pointers.data(), pointers.size(),
                           out.data(), out.size(), &needed);
  }
  if (s)
    return runtimeError("cannot translate the texts");
  std::printf("%s\n", out.data());
  return 0;
}

/// Encodes `texts` for the model's text input and feeds them to `call` in
/// its place: `inputs` (the .npy files of the other inputs, in order) gets
/// a name for it at its position. Returns -1 to go on, else an exit status.
static int encodeTexts(nr_model *model, const std::vector<std::string> &texts,
                       NpyEntryCall &call, std::vector<std::string> &inputs) {
  size_t count = 0;
  nr_model_num_text_inputs(model, &count);
  if (count != 1) {
    std::fprintf(stderr,
                 "%s: --text needs a model trained on text (one text "
                 "input); this one has %zu\n",
                 programName, count);
    return 2;
  }
  const char *name = nullptr;
  int64_t width = 0;
  if (nr_model_text_input(model, 0, &name, &width, nullptr))
    return runtimeError("cannot describe the text input");
  size_t index = call.fed.size();
  for (size_t i = 0; i < call.fed.size(); ++i)
    if (std::strcmp(call.fed[i].name, name) == 0)
      index = i;
  if (index == call.fed.size()) {
    std::fprintf(stderr, "%s: this entry does not take text input '%s'\n",
                 programName, name);
    return 2;
  }
  if (texts.empty()) {
    std::fprintf(stderr, "%s: no texts given\n", programName);
    return 2;
  }
  NpyArray array;
  array.dtype = call.fed[index].dtype;
  array.shape = {int64_t(texts.size()), width};
  array.data = AlignedBuffer(texts.size() * size_t(width) *
                             nr_dtype_size(array.dtype));
  std::vector<const char *> pointers;
  for (const std::string &t : texts)
    pointers.push_back(t.c_str());
  if (nr_model_encode_text(model, name, pointers.data(), pointers.size(),
                           array.data.data(), array.data.size()))
    return runtimeError("cannot encode the texts");
  call.provide(index, std::move(array));
  inputs.insert(inputs.begin() + long(std::min(index, inputs.size())),
                std::string("the texts for '") + name + "'");
  return -1;
}

static int run(const Options &opts) {
  ModelHandle handle;
  if (nr_model_open_self(&handle.model))
    return runtimeError("cannot open the model");
  nr_model *model = handle.model;
  if (opts.info)
    return printInfo(model);
  if (!opts.params.empty() && nr_model_load_params(model, opts.params.c_str()))
    return runtimeError("cannot load parameters");

  size_t textInputs = 0;
  nr_model_num_text_inputs(model, &textInputs);
  if (opts.haveTexts && textInputs > 1) {
    // A translation model: its texts are the source sentences.
    if (!opts.inputs.empty() || !opts.outputs.empty() ||
        opts.entry != "forward") {
      std::fprintf(stderr,
                   "%s: --text translates; it takes no --input, --output or "
                   "--entry\n",
                   programName);
      return 2;
    }
    return translate(model, opts.texts);
  }

  const char *entry = opts.entry.c_str();
  int has = 0;
  if (nr_model_has_entry(model, entry, &has) || !has) {
    std::fprintf(stderr, "%s: the model has no entry '%s' (see --info)\n",
                 programName, entry);
    return 2;
  }
  NpyEntryCall call;
  if (Status s = call.describe(model, entry); !s) {
    std::fprintf(stderr, "%s: %s\n", programName, s.getMessage().c_str());
    return 1;
  }
  const std::vector<nr_arg_info> &ins = call.fed, &outs = call.produced;
  // Raw texts stand in for the text input's file.
  std::vector<std::string> files = opts.inputs;
  if (opts.haveTexts) {
    int rc = encodeTexts(model, opts.texts, call, files);
    if (rc >= 0)
      return rc;
  }
  auto listNames = [](const std::vector<nr_arg_info> &args) {
    std::string s;
    for (const nr_arg_info &a : args)
      s += (s.empty() ? "" : ", ") + std::string(a.name) + " (" +
           formatArgType(a.dtype, a.rank, a.shape) + ")";
    return s.empty() ? std::string("none") : s;
  };
  if (files.size() != ins.size()) {
    std::fprintf(stderr, "%s: entry '%s' takes %zu input(s): %s; %zu given\n",
                 programName, entry, ins.size(), listNames(ins).c_str(),
                 files.size());
    return 2;
  }
  if (!opts.outputs.empty() && opts.outputs.size() != outs.size()) {
    std::fprintf(stderr,
                 "%s: entry '%s' has %zu result(s): %s; %zu --output given\n",
                 programName, entry, outs.size(), listNames(outs).c_str(),
                 opts.outputs.size());
    return 2;
  }
  if (Status s = call.prepare(files, /*convertDTypes=*/true); !s) {
    std::fprintf(stderr, "%s: %s\n", programName, s.getMessage().c_str());
    return 1;
  }
  std::vector<nr_tensor> &inputs = call.inputs, &outputs = call.results;

  nr_status status = nr_model_run(model, entry, inputs.data(), inputs.size(),
                                  outputs.data(), outputs.size());
  if (status != NR_OK && status != NR_ERROR_NUMERIC)
    return runtimeError("cannot run the model");
  if (opts.outputs.empty()) {
    for (size_t i = 0; i < outs.size(); ++i)
      printResult(outs[i], outputs[i]);
  } else if (Status s = call.writeResults(opts.outputs); !s) {
    std::fprintf(stderr, "%s: %s\n", programName, s.getMessage().c_str());
    return 1;
  }
  // A non-finite loss still writes the results (they help to debug it), but
  // the run has failed.
  if (status == NR_ERROR_NUMERIC)
    return runtimeError("numeric error");
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 0 && argv[0]) {
    const char *slash = std::strrchr(argv[0], '/');
    programName = slash ? slash + 1 : argv[0];
  }
  Options opts;
  int rc = parseArgs(argc, argv, opts);
  if (rc >= 0)
    return rc;
  try {
    return run(opts);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "%s: out of memory\n", programName);
    return 1;
  }
}
