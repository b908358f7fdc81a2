//===- Model.cpp - Opening models, introspection, parameters --------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "CUDA.h"
#include "Model.h"

#include "Allocator.h"
#include "Init.h"

#include "neurona/Runtime/FileIO.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <sys/stat.h>

using namespace neurona;
using namespace neurona::runtime;

namespace {
/// Owns a model while it is being opened, so that every early return
/// releases the library and the buffers.
struct ModelDeleter {
  void operator()(nr_model *m) const {
    for (BufferPair &b : m->params)
      b.releaseDevice();
    for (BufferPair &b : m->states)
      b.releaseDevice();
    if (m->handle)
      dlclose(m->handle);
    delete m;
  }
};
using ModelPtr = std::unique_ptr<nr_model, ModelDeleter>;
} // namespace

static Status lookup(nr_model &m, const std::string &symbol, void *&out) {
  dlerror();
  out = dlsym(m.handle, symbol.c_str());
  if (!out)
    return Status::error(NR_ERROR_NOT_FOUND,
                         m.origin + ": missing symbol '" + symbol +
                             "' (not a Neurona model, or built for another "
                             "runtime version)");
  return Status::success();
}

static Status layoutOf(const std::vector<BufferPair> &params,
                       std::vector<uint64_t> &offsets, uint64_t &total) {
  std::vector<uint64_t> sizes;
  for (const BufferPair &p : params)
    sizes.push_back(p.bytes);
  offsets.resize(sizes.size());
  if (nr_params_blob_layout(sizes.data(), sizes.size(), offsets.data(),
                            &total) != NR_OK)
    return Status::error(NR_ERROR_INTERNAL, nr_last_error());
  return Status::success();
}

/// Sets parameters from their initializers (and `data` ones from the blob,
/// if any) and zeroes the state; the body of nr_model_init_params.
static void initialize(nr_model &m, uint64_t seed) {
  std::vector<uint64_t> offsets;
  uint64_t total = 0;
  if (m.blobSize)
    (void)layoutOf(m.params, offsets, total); // validated at open
  for (size_t i = 0; i < m.params.size(); ++i) {
    const ParamDecl &decl = m.manifest.params[i];
    BufferPair &buf = m.params[i];
    if (decl.init == NR_INIT_DATA) {
      if (m.blobSize) {
        std::memcpy(buf.current.data(), m.blob + offsets[i], buf.bytes);
        buf.initialized = true;
        buf.hostWritten();
      }
      continue;
    }
    initializeValues(decl.init, decl.type.dtype, decl.type.shape, seed,
                     decl.name, buf.current.data(), buf.count);
    buf.initialized = true;
    buf.hostWritten();
  }
  for (BufferPair &buf : m.states) {
    std::memset(buf.current.data(), 0, buf.bytes);
    buf.hostWritten();
  }
  m.rngSeed = seed;
  m.step = 0;
}

static BufferPair makeBuffer(const TensorType &type) {
  BufferPair buf;
  buf.count = 1;
  for (int64_t d : type.shape)
    buf.count *= d; // bounded by the manifest parser
  buf.bytes = static_cast<size_t>(buf.count) * dtypeSize(type.dtype);
  buf.current = AlignedBuffer(buf.bytes);
  return buf;
}

static nr_status openModel(const char *path, nr_model **out) {
  ModelPtr m(new nr_model);
  if (path) {
    // dlopen searches the library path for a bare name; a file of that name
    // in the working directory is what a user means.
    std::string resolved = path;
    struct stat st;
    if (::stat(path, &st) != 0)
      return fail(NR_ERROR_IO, std::string("cannot open model '") + path +
                                   "': " + std::strerror(errno));
    if (resolved.find('/') == std::string::npos)
      resolved = "./" + resolved;
    m->origin = path;
    m->handle = dlopen(resolved.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!m->handle) {
      const char *why = dlerror();
      return fail(NR_ERROR_FORMAT, std::string("cannot load model '") + path +
                                       "': " + (why ? why : "dlopen failed"));
    }
  } else {
    m->origin = "the running executable";
    m->handle = dlopen(nullptr, RTLD_NOW);
    if (!m->handle) {
      const char *why = dlerror();
      return fail(NR_ERROR_IO, std::string("cannot open the running "
                                           "executable: ") +
                                   (why ? why : "dlopen failed"));
    }
  }

  void *sym;
  if (Status s = lookup(*m, "neurona_model_prefix", sym); !s) {
    if (!path)
      return fail(NR_ERROR_NOT_FOUND,
                  s.getMessage() + "; was it linked with -rdynamic?");
    return fail(s);
  }
  const char *prefixText = static_cast<const char *>(sym);
  std::string prefix(prefixText, strnlen(prefixText, 256));
  if (!isIdentifier(prefix))
    return fail(NR_ERROR_FORMAT, m->origin + ": neurona_model_prefix '" +
                                     prefix + "' is not a C identifier");

  void *manifestSym, *paramsSym, *sizeSym;
  if (Status s = lookup(*m, prefix + "_manifest", manifestSym); !s)
    return fail(s);
  if (Status s = lookup(*m, prefix + "_params", paramsSym); !s)
    return fail(s);
  if (Status s = lookup(*m, prefix + "_params_size", sizeSym); !s)
    return fail(s);
  // Buffers of the compiled code come from the runtime's per-thread cache.
  // Artifacts of earlier versions have no hooks and use malloc.
  dlerror();
  if (void *hooks = dlsym(m->handle, (prefix + "_allocator").c_str())) {
    void *(*alloc)(size_t, size_t) = cachedAlloc;
    void (*release)(void *) = cachedFree;
    void *table[2];
    std::memcpy(&table[0], &alloc, sizeof(void *));
    std::memcpy(&table[1], &release, sizeof(void *));
    // Written once: a library opened again (same handle) while another
    // thread runs it sees the same values and no write.
    if (std::memcmp(hooks, table, sizeof(table)) != 0)
      std::memcpy(hooks, table, sizeof(table));
  }
  // Contractions run on OpenMP threads (Debian's libomp, loaded with the
  // artifact); NEURONA_NUM_THREADS sets their number for the opening
  // thread, as OMP_NUM_THREADS does for every thread.
  if (const char *threads = std::getenv("NEURONA_NUM_THREADS")) {
    int count = std::atoi(threads);
    void *setter = dlsym(m->handle, "omp_set_num_threads");
    if (count > 0 && setter) {
      void (*setNumThreads)(int);
      std::memcpy(&setNumThreads, &setter, sizeof(setter));
      setNumThreads(count);
    }
  }
  const char *manifestText = static_cast<const char *>(manifestSym);
  std::string text(manifestText, strnlen(manifestText, size_t(64) << 20));
  if (Status s = parseManifest(text, m->origin + ": manifest", m->manifest); !s)
    return fail(s);
  if (m->manifest.prefix != prefix)
    return fail(NR_ERROR_FORMAT,
                m->origin + ": manifest names model '" + m->manifest.prefix +
                    "' but neurona_model_prefix is '" + prefix + "'");
  // A CUDA artifact loaded its kernels while it was opened (its
  // constructor calls mgpuModuleLoadJIT): report what that met.
  if (m->manifest.isCUDA()) {
    Status s = cuda::takePendingError();
    if (s)
      s = cuda::ensureDriver();
    if (!s)
      return fail(s.withContext(m->origin + ": model '" + prefix +
                                "' was compiled for CUDA (" +
                                m->manifest.targetChip + ")"));
  }
  for (const EntryDecl &e : m->manifest.entries) {
    void *fn;
    if (Status s = lookup(*m, prefix + "_" + e.name, fn); !s)
      return fail(s);
    m->functions.push_back(reinterpret_cast<EntryFn>(fn));
  }

  for (const ParamDecl &p : m->manifest.params)
    m->params.push_back(makeBuffer(p.type));
  for (const StateDecl &s : m->manifest.states)
    m->states.push_back(makeBuffer(s.type));

  for (const TextDecl &t : m->manifest.texts) {
    m->vocabularies.emplace_back();
    if (t.hasVocabulary)
      if (Status s = data::Vocabulary::fromWords(
              t.words, t.encoding.vocabularySize, m->vocabularies.back());
          !s)
        return fail(s.withContext(m->origin + ": vocabulary of '" + t.input +
                                  "'"));
  }

  m->blob = static_cast<const unsigned char *>(paramsSym);
  std::memcpy(&m->blobSize, sizeSym, sizeof(uint64_t));
  if (m->blobSize) {
    std::vector<uint64_t> offsets;
    uint64_t total;
    if (Status s = layoutOf(m->params, offsets, total); !s)
      return fail(s);
    // The layout has no padding after the last parameter; a writer that pads
    // the blob to a 64-byte multiple is accepted as well.
    if (m->blobSize != total && m->blobSize != (total + 63) / 64 * 64)
      return fail(NR_ERROR_FORMAT,
                  m->origin + ": embedded parameter blob has " +
                      std::to_string(m->blobSize) + " bytes, but the " +
                      std::to_string(m->params.size()) +
                      " params of the manifest need " + std::to_string(total));
    for (size_t i = 0; i < m->params.size(); ++i) {
      std::memcpy(m->params[i].current.data(), m->blob + offsets[i],
                  m->params[i].bytes);
      m->params[i].initialized = true;
    }
  } else {
    initialize(*m, 0);
  }
  *out = m.release();
  return NR_OK;
}

extern "C" nr_status nr_model_open(const char *path, nr_model **out_model) {
  return guarded("nr_model_open", [&] {
    if (!path || !out_model)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_open: path and out_model must not be NULL");
    return openModel(path, out_model);
  });
}

extern "C" nr_status nr_model_open_self(nr_model **out_model) {
  return guarded("nr_model_open_self", [&] {
    if (!out_model)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_open_self: out_model must not be NULL");
    return openModel(nullptr, out_model);
  });
}

extern "C" nr_status nr_model_close(nr_model *model) {
  if (model)
    ModelDeleter()(model);
  // Closing a model frees the calling thread's cached buffers; other threads
  // keep theirs until they exit.
  releaseThreadCache();
  return NR_OK;
}

extern "C" nr_status nr_model_init_params(nr_model *model, uint64_t seed) {
  return guarded("nr_model_init_params", [&] {
    if (!model)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_init_params: model is NULL");
    initialize(*model, seed);
    return NR_OK;
  });
}

extern "C" nr_status nr_model_set_seed(nr_model *model, uint64_t seed) {
  return guarded("nr_model_set_seed", [&] {
    if (!model)
      return fail(NR_ERROR_INVALID_ARGUMENT, "nr_model_set_seed: model is NULL");
    model->rngSeed = seed;
    model->step = 0;
    return NR_OK;
  });
}

extern "C" nr_status nr_model_get_rng(const nr_model *model,
                                      uint64_t *out_seed, uint64_t *out_step) {
  return guarded("nr_model_get_rng", [&] {
    if (!model || !out_seed || !out_step)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_get_rng: model, out_seed and out_step must not "
                  "be NULL");
    *out_seed = model->rngSeed;
    *out_step = model->step;
    return NR_OK;
  });
}

//===----------------------------------------------------------------------===//
// Introspection
//===----------------------------------------------------------------------===//

#define REQUIRE(cond, function, what)                                          \
  do {                                                                         \
    if (!(cond))                                                               \
      return fail(NR_ERROR_INVALID_ARGUMENT,                                   \
                  std::string(function) + ": " + (what));                      \
  } while (false)

static const EntryDecl *findEntry(const nr_model *model, const char *entry,
                                  const char *function, nr_status &status) {
  const EntryDecl *e = model->manifest.findEntry(entry);
  if (!e) {
    std::string names;
    for (const EntryDecl &d : model->manifest.entries)
      names += (names.empty() ? "" : ", ") + d.name;
    status =
        fail(NR_ERROR_NOT_FOUND,
             std::string(function) + ": model '" + model->manifest.prefix +
                 "' has no entry '" + entry + "' (entries: " + names + ")");
  }
  return e;
}

/// The body of the nr_model_num_* functions: the size of the manifest's
/// `list`.
template <typename T>
static nr_status countOf(const nr_model *model, size_t *out_count,
                         std::vector<T> Manifest::*list, const char *function) {
  REQUIRE(model && out_count, function, "NULL argument");
  *out_count = (model->manifest.*list).size();
  return NR_OK;
}

extern "C" nr_status nr_model_name(const nr_model *model,
                                   const char **out_name) {
  REQUIRE(model && out_name, "nr_model_name", "NULL argument");
  *out_name = model->manifest.prefix.c_str();
  return NR_OK;
}

extern "C" nr_status nr_model_num_entries(const nr_model *model,
                                          size_t *out_count) {
  return countOf(model, out_count, &Manifest::entries, "nr_model_num_entries");
}

extern "C" nr_status nr_model_entry_name(const nr_model *model, size_t index,
                                         const char **out_name) {
  REQUIRE(model && out_name, "nr_model_entry_name", "NULL argument");
  REQUIRE(index < model->manifest.entries.size(), "nr_model_entry_name",
          "entry index " + std::to_string(index) + " out of range");
  *out_name = model->manifest.entries[index].name.c_str();
  return NR_OK;
}

extern "C" nr_status nr_model_has_entry(const nr_model *model, const char *name,
                                        int *out_has) {
  REQUIRE(model && name && out_has, "nr_model_has_entry", "NULL argument");
  *out_has = model->manifest.findEntry(name) != nullptr;
  return NR_OK;
}

extern "C" nr_status nr_model_num_args(const nr_model *model, const char *entry,
                                       size_t *out_count) {
  return guarded("nr_model_num_args", [&] {
    REQUIRE(model && entry && out_count, "nr_model_num_args", "NULL argument");
    nr_status status;
    const EntryDecl *e = findEntry(model, entry, "nr_model_num_args", status);
    if (!e)
      return status;
    *out_count = e->args.size();
    return NR_OK;
  });
}

extern "C" nr_status nr_model_arg_info(const nr_model *model, const char *entry,
                                       size_t index, nr_arg_info *out_info) {
  return guarded("nr_model_arg_info", [&] {
    REQUIRE(model && entry && out_info, "nr_model_arg_info", "NULL argument");
    nr_status status;
    const EntryDecl *e = findEntry(model, entry, "nr_model_arg_info", status);
    if (!e)
      return status;
    REQUIRE(index < e->args.size(), "nr_model_arg_info",
            "argument index " + std::to_string(index) +
                " out of range for "
                "entry '" +
                entry + "'");
    const ArgDecl &a = e->args[index];
    nr_tensor t;
    describe(a.type, t);
    *out_info = nr_arg_info();
    out_info->role = a.role;
    out_info->name = a.name.c_str();
    out_info->dtype = t.dtype;
    out_info->rank = t.rank;
    std::memcpy(out_info->shape, t.shape, sizeof(t.shape));
    return NR_OK;
  });
}

static nr_init initOf(const ParamDecl &p) { return p.init; }
static nr_init initOf(const StateDecl &) { return NR_INIT_ZEROS; }

/// The body of nr_model_param_info and nr_model_state_info: describes item
/// `index` of the manifest's `list`, whose items are `kind`s ("param" or
/// "state").
template <typename Decl>
static nr_status declInfo(const nr_model *model, size_t index,
                          nr_param_info *out_info,
                          std::vector<Decl> Manifest::*list, const char *kind,
                          const char *function) {
  return guarded(function, [&] {
    REQUIRE(model && out_info, function, "NULL argument");
    const std::vector<Decl> &decls = model->manifest.*list;
    REQUIRE(index < decls.size(), function,
            std::string(kind) + " index " + std::to_string(index) +
                " out of range");
    const Decl &decl = decls[index];
    nr_tensor t;
    describe(decl.type, t);
    *out_info = nr_param_info();
    out_info->name = decl.name.c_str();
    out_info->dtype = t.dtype;
    out_info->rank = t.rank;
    std::memcpy(out_info->shape, t.shape, sizeof(t.shape));
    out_info->init = initOf(decl);
    return NR_OK;
  });
}

extern "C" nr_status nr_model_num_params(const nr_model *model,
                                         size_t *out_count) {
  return countOf(model, out_count, &Manifest::params, "nr_model_num_params");
}

extern "C" nr_status nr_model_param_info(const nr_model *model, size_t index,
                                         nr_param_info *out_info) {
  return declInfo(model, index, out_info, &Manifest::params, "param",
                  "nr_model_param_info");
}

extern "C" nr_status nr_model_num_states(const nr_model *model,
                                         size_t *out_count) {
  return countOf(model, out_count, &Manifest::states, "nr_model_num_states");
}

extern "C" nr_status nr_model_state_info(const nr_model *model, size_t index,
                                         nr_param_info *out_info) {
  return declInfo(model, index, out_info, &Manifest::states, "state",
                  "nr_model_state_info");
}

extern "C" nr_status nr_model_train_config(const nr_model *model,
                                           const char *key,
                                           const char **out_value) {
  return guarded("nr_model_train_config", [&] {
    REQUIRE(model && key && out_value, "nr_model_train_config",
            "NULL argument");
    const std::string *value = model->manifest.findTrain(key);
    if (!value)
      return fail(NR_ERROR_NOT_FOUND,
                  std::string("nr_model_train_config: model '") +
                      model->manifest.prefix + "' has no train setting '" +
                      key + "'");
    *out_value = value->c_str();
    return NR_OK;
  });
}

extern "C" nr_status nr_model_num_train_config(const nr_model *model,
                                               size_t *out_count) {
  return countOf(model, out_count, &Manifest::train,
                 "nr_model_num_train_config");
}

extern "C" nr_status nr_model_train_config_at(const nr_model *model,
                                              size_t index,
                                              const char **out_key,
                                              const char **out_value) {
  REQUIRE(model && out_key && out_value, "nr_model_train_config_at",
          "NULL argument");
  REQUIRE(index < model->manifest.train.size(), "nr_model_train_config_at",
          "index " + std::to_string(index) + " out of range");
  *out_key = model->manifest.train[index].first.c_str();
  *out_value = model->manifest.train[index].second.c_str();
  return NR_OK;
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

static nr_status getView(nr_model *model, const char *name, bool isParam,
                         nr_tensor *out, const char *function) {
  REQUIRE(model && name && out, function, "NULL argument");
  int64_t index = isParam ? model->manifest.findParam(name)
                          : model->manifest.findState(name);
  if (index < 0)
    return fail(NR_ERROR_NOT_FOUND, std::string(function) + ": model '" +
                                        model->manifest.prefix + "' has no " +
                                        (isParam ? "param" : "state") + " '" +
                                        name + "'");
  const TensorType &type = isParam ? model->manifest.params[index].type
                                   : model->manifest.states[index].type;
  BufferPair &buf = isParam ? model->params[index] : model->states[index];
  if (Status s = buf.syncHost(); !s)
    return fail(s.withContext(function));
  // The caller may write through the view.
  buf.hostWritten();
  describe(type, *out);
  out->data = buf.current.data();
  return NR_OK;
}

extern "C" nr_status nr_model_get_param(nr_model *model, const char *name,
                                        nr_tensor *out_view) {
  return guarded("nr_model_get_param", [&] {
    return getView(model, name, true, out_view, "nr_model_get_param");
  });
}

extern "C" nr_status nr_model_get_state(nr_model *model, const char *name,
                                        nr_tensor *out_view) {
  return guarded("nr_model_get_state", [&] {
    return getView(model, name, false, out_view, "nr_model_get_state");
  });
}

/// The body of nr_model_set_param and nr_model_set_state.
static nr_status setValue(nr_model *model, const char *name,
                          const nr_tensor *value, bool isParam,
                          const char *function) {
  REQUIRE(model && name && value, function, "NULL argument");
  const char *kind = isParam ? "param" : "state";
  int64_t index = isParam ? model->manifest.findParam(name)
                          : model->manifest.findState(name);
  if (index < 0)
    return fail(NR_ERROR_NOT_FOUND, std::string(function) + ": model '" +
                                        model->manifest.prefix + "' has no " +
                                        kind + " '" + name + "'");
  const TensorType &type = isParam ? model->manifest.params[index].type
                                   : model->manifest.states[index].type;
  bool same = value->dtype == type.dtype && value->rank >= 0 &&
              size_t(value->rank) == type.shape.size();
  for (size_t i = 0; same && i < type.shape.size(); ++i)
    same = value->shape[i] == type.shape[i];
  if (!same) {
    std::string got = value->rank >= 0 && value->rank <= NR_MAX_RANK
                          ? std::string(nr_dtype_name(value->dtype)) + " " +
                                formatShape(value->shape, size_t(value->rank))
                          : "rank " + std::to_string(value->rank);
    return fail(NR_ERROR_INVALID_ARGUMENT, std::string(function) + ": " +
                                               kind + " '" + name + "' is " +
                                               type.str() + ", got " + got);
  }
  BufferPair &buf = isParam ? model->params[index] : model->states[index];
  REQUIRE(value->data, function, "value->data is NULL");
  std::memcpy(buf.current.data(), value->data, buf.bytes);
  buf.initialized = true;
  buf.hostWritten();
  return NR_OK;
}

extern "C" nr_status nr_model_set_state(nr_model *model, const char *name,
                                        const nr_tensor *value) {
  return guarded("nr_model_set_state", [&] {
    return setValue(model, name, value, false, "nr_model_set_state");
  });
}

extern "C" nr_status nr_model_get_step(const nr_model *model,
                                       uint64_t *out_step) {
  return guarded("nr_model_get_step", [&] {
    REQUIRE(model && out_step, "nr_model_get_step", "NULL argument");
    *out_step = model->step;
    return NR_OK;
  });
}

extern "C" nr_status nr_model_set_step(nr_model *model, uint64_t step) {
  return guarded("nr_model_set_step", [&] {
    REQUIRE(model, "nr_model_set_step", "NULL argument");
    model->step = step;
    return NR_OK;
  });
}

extern "C" nr_status nr_model_set_param(nr_model *model, const char *name,
                                        const nr_tensor *value) {
  return guarded("nr_model_set_param", [&] {
    return setValue(model, name, value, true, "nr_model_set_param");
  });
}

extern "C" nr_status nr_model_save_params(nr_model *model, const char *path) {
  return guarded("nr_model_save_params", [&] {
    REQUIRE(model && path, "nr_model_save_params", "NULL argument");
    std::vector<NpzMember> members;
    for (size_t i = 0; i < model->params.size(); ++i) {
      const ParamDecl &p = model->manifest.params[i];
      if (!model->params[i].initialized)
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    std::string("nr_model_save_params: param '") + p.name +
                        "' has no value yet (init=data and no embedded "
                        "blob); set or load it first");
      if (Status s = model->params[i].syncHost(); !s)
        return fail(s.withContext("nr_model_save_params"));
      members.push_back({p.name, p.type.dtype, p.type.shape,
                         model->params[i].current.data()});
    }
    // Text inputs' vocabularies travel with the parameters, so that a model
    // compiled or opened with them encodes raw text as training did.
    std::vector<std::string> lists;
    lists.reserve(model->vocabularies.size());
    for (size_t i = 0; i < model->vocabularies.size(); ++i) {
      const data::Vocabulary &v = model->vocabularies[i];
      if (v.capacity() == 0)
        continue;
      std::string &list =
          lists.emplace_back(data::vocabularyMemberText(v.wordList()));
      members.push_back({vocabularyMember(model->manifest.texts[i].input),
                         NR_U8,
                         {int64_t(list.size())},
                         list.data()});
    }
    if (Status s = writeNpz(path, members); !s)
      return fail(s);
    return NR_OK;
  });
}

std::string runtime::vocabularyMember(const std::string &input) {
  return data::kVocabularyMemberPrefix + input;
}

extern "C" nr_status nr_model_load_params(nr_model *model, const char *path) {
  return guarded("nr_model_load_params", [&] {
    REQUIRE(model && path, "nr_model_load_params", "NULL argument");
    std::vector<NpzEntry> entries;
    if (Status s = readNpz(path, entries); !s)
      return fail(s);
    std::map<std::string, NpzEntry *> byName;
    for (NpzEntry &e : entries)
      byName[e.name] = &e;
    std::string where = std::string(path) + ": ";
    // Check everything before copying anything, so that a bad file leaves
    // the model untouched.
    std::vector<const NpzEntry *> sources;
    for (const ParamDecl &p : model->manifest.params) {
      auto it = byName.find(p.name);
      if (it == byName.end())
        return fail(NR_ERROR_INVALID_ARGUMENT, where + "missing param '" +
                                                   p.name + "' (" +
                                                   p.type.str() + ")");
      const NpyArray &a = it->second->array;
      if (a.dtype != p.type.dtype || a.shape != p.type.shape)
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    where + "param '" + p.name + "' is " +
                        std::string(nr_dtype_name(a.dtype)) + " " +
                        (a.shape.empty() ? std::string("scalar")
                                         : formatShape(a.shape)) +
                        " in the file, the model needs " + p.type.str());
      sources.push_back(it->second);
      byName.erase(it);
    }
    // Vocabularies of text inputs (nr_model_save_params) are checked with
    // the parameters and replace the model's with them.
    std::vector<std::pair<size_t, data::Vocabulary>> vocabularies;
    for (size_t i = 0; i < model->manifest.texts.size(); ++i) {
      const TextDecl &t = model->manifest.texts[i];
      auto it = byName.find(vocabularyMember(t.input));
      if (it == byName.end())
        continue;
      std::vector<std::string> words;
      Status s = data::vocabularyMemberWords(it->second->array, words);
      data::Vocabulary v;
      if (s)
        s = data::Vocabulary::fromWords(words, t.encoding.vocabularySize, v);
      if (!s)
        return fail(s.withContext(where + "'" + it->first + "'"));
      vocabularies.emplace_back(i, std::move(v));
      byName.erase(it);
    }
    // A vocabulary of an input this model does not take as text is not a
    // parameter either; it has no use here.
    for (auto it = byName.begin(); it != byName.end();)
      it = it->first.rfind(vocabularyMember(""), 0) == 0 ? byName.erase(it)
                                                         : std::next(it);
    // A training checkpoint (it has `trainer:epoch`) also holds the
    // optimizer state, which a model opened for inference does not even
    // declare, and the trainer's position: only the parameters are wanted.
    if (byName.count("trainer:epoch"))
      byName.clear();
    if (!byName.empty())
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  where + "unexpected array '" + byName.begin()->first +
                      "': model '" + model->manifest.prefix +
                      "' has no such param");
    for (size_t i = 0; i < sources.size(); ++i) {
      std::memcpy(model->params[i].current.data(),
                  sources[i]->array.data.data(), model->params[i].bytes);
      model->params[i].initialized = true;
      model->params[i].hostWritten();
    }
    for (auto &[index, v] : vocabularies)
      model->vocabularies[index] = std::move(v);
    return NR_OK;
  });
}

extern "C" nr_status nr_params_blob_layout(const uint64_t *param_nbytes,
                                           size_t n_params,
                                           uint64_t *out_offsets,
                                           uint64_t *out_total) {
  REQUIRE((param_nbytes || n_params == 0) && out_total, "nr_params_blob_layout",
          "NULL argument");
  uint64_t end = 0;
  for (size_t i = 0; i < n_params; ++i) {
    uint64_t start = (end + 63) / 64 * 64;
    if (start < end || param_nbytes[i] > UINT64_MAX - start)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_params_blob_layout: sizes overflow");
    if (out_offsets)
      out_offsets[i] = start;
    end = start + param_nbytes[i];
  }
  *out_total = end;
  return NR_OK;
}

extern "C" nr_status nr_model_params_blob(const nr_model *model, void *buffer,
                                          uint64_t buffer_size,
                                          uint64_t *out_size) {
  return guarded("nr_model_params_blob", [&] {
    REQUIRE(model && out_size, "nr_model_params_blob", "NULL argument");
    std::vector<uint64_t> offsets;
    uint64_t total;
    if (Status s = layoutOf(model->params, offsets, total); !s)
      return fail(s);
    if (buffer) {
      if (buffer_size < total)
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    "nr_model_params_blob: buffer has " +
                        std::to_string(buffer_size) +
                        " bytes, the blob needs " + std::to_string(total));
      unsigned char *dst = static_cast<unsigned char *>(buffer);
      std::memset(dst, 0, total);
      // Reading a CUDA model's parameters may download them first, which
      // changes where they are, not what they are.
      auto &params = const_cast<nr_model *>(model)->params;
      for (size_t i = 0; i < params.size(); ++i) {
        if (Status s = params[i].syncHost(); !s)
          return fail(s.withContext("nr_model_params_blob"));
        std::memcpy(dst + offsets[i], params[i].current.data(),
                    params[i].bytes);
      }
    }
    *out_size = total;
    return NR_OK;
  });
}

extern "C" nr_status nr_model_write_params_blob(const nr_model *model,
                                                const char *path) {
  return guarded("nr_model_write_params_blob", [&] {
    REQUIRE(model && path, "nr_model_write_params_blob", "NULL argument");
    uint64_t size;
    if (nr_status s = nr_model_params_blob(model, nullptr, 0, &size); s)
      return s;
    std::string blob(size, '\0');
    if (nr_status s = nr_model_params_blob(model, &blob[0], size, &size); s)
      return s;
    if (Status s = writeFileAtomically(path, blob.data(), blob.size()); !s)
      return fail(s);
    return NR_OK;
  });
}

//===----------------------------------------------------------------------===//
// Device copies of parameters and state (CUDA models)
//===----------------------------------------------------------------------===//

Status BufferPair::syncHost() {
  if (hostValid)
    return Status::success();
  if (Status s = cuda::copyToHost(current.data(), device, bytes); !s)
    return s;
  hostValid = true;
  return Status::success();
}

Status BufferPair::syncDevice() {
  if (!device)
    if (Status s = cuda::deviceAlloc(bytes, &device); !s)
      return s;
  if (!deviceValid) {
    if (Status s = cuda::copyToDevice(device, current.data(), bytes); !s)
      return s;
    deviceValid = true;
  }
  return Status::success();
}

void BufferPair::releaseDevice() {
  if (device)
    cuda::deviceFree(device);
  if (deviceNext)
    cuda::deviceFree(deviceNext);
  device = deviceNext = nullptr;
  deviceValid = false;
}
