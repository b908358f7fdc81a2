//===- Manifest.h - The text manifest of a compiled model -------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// In-memory form of the manifest that every compiled artifact embeds as
// `<P>_manifest` (format in docs/design.md), and its parser. The parser is
// the runtime's first line of defence against a mismatched or corrupted
// artifact, so beyond syntax it checks everything the runtime later relies
// on: names resolve, param/state arguments agree with their declarations,
// inputs precede results, and a dynamic result dimension has a dynamic input
// to take its size from.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_MANIFEST_H
#define NEURONA_RUNTIME_MANIFEST_H

#include "neurona-c/runtime.h"
#include "neurona/Data/Text.h"
#include "neurona/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace neurona {
namespace runtime {

/// Dtype and shape of a manifest tensor; -1 marks the dynamic batch
/// dimension, which may only be the first.
struct TensorType {
  nr_dtype dtype = NR_F32;
  std::vector<int64_t> shape;

  bool isDynamic() const { return !shape.empty() && shape[0] < 0; }
  bool operator==(const TensorType &other) const {
    return dtype == other.dtype && shape == other.shape;
  }
  bool operator!=(const TensorType &other) const { return !(*this == other); }
  /// "f32 [?, 784]".
  std::string str() const;
};

struct ParamDecl {
  std::string name;
  TensorType type;
  nr_init init = NR_INIT_ZEROS;
};

struct StateDecl {
  std::string name;
  TensorType type;
};

struct ArgDecl {
  nr_arg_role role = NR_ROLE_INPUT;
  std::string name;
  TensorType type;
  /// Index into Manifest::params for param / param_out arguments, into
  /// Manifest::states for state / state_out arguments, -1 otherwise.
  int64_t ref = -1;
};

struct EntryDecl {
  std::string name;
  std::vector<ArgDecl> args;
};

/// `text INPUT FORM key=value...`, optionally followed by `vocabulary INPUT
/// WORD...`: raw text becomes input INPUT as the model's training data did.
struct TextDecl {
  std::string input;
  data::TextEncoding encoding;
  /// The training vocabulary's words from id 2, when the model was compiled
  /// with its trained parameters.
  bool hasVocabulary = false;
  std::vector<std::string> words;
};

struct Manifest {
  int version = 1;
  std::string prefix;
  bool hasTrain = false;
  std::vector<std::pair<std::string, std::string>> train;
  std::vector<ParamDecl> params;
  std::vector<StateDecl> states;
  std::vector<EntryDecl> entries;
  /// `bound NAME V`: integer input NAME (in every entry) takes values in
  /// [0, V), e.g. token ids that index an embedding table.
  std::vector<std::pair<std::string, int64_t>> bounds;
  std::vector<TextDecl> texts;
  /// `target cuda sm_90`: the entries take device memory and launch PTX
  /// kernels; empty for CPU artifacts.
  std::string targetKind, targetChip;

  bool isCUDA() const { return targetKind == "cuda"; }
  const EntryDecl *findEntry(const std::string &name) const;
  /// Index of the named param, or -1.
  int64_t findParam(const std::string &name) const;
  int64_t findState(const std::string &name) const;
  /// The first value of `key` on the train line, or null.
  const std::string *findTrain(const std::string &key) const;
  /// The bound of integer input `name`, or -1.
  int64_t findBound(const std::string &name) const;
  /// Index of the text declaration of input `name`, or -1.
  int64_t findText(const std::string &name) const;
};

/// True for roles the caller supplies (input, target, hyper) or the runtime
/// binds (param, state); false for results.
bool isInputRole(nr_arg_role role);

/// Parses a role / init spelling; false if unknown.
bool parseRole(const std::string &text, nr_arg_role &out);
bool parseInit(const std::string &text, nr_init &out);
const char *initName(nr_init init);

/// True if `name` is a C identifier (the prefix and entry names become
/// symbol names).
bool isIdentifier(const std::string &name);

/// Parses `text`. Errors are NR_ERROR_FORMAT and read
/// "<source>:<line>: <problem>".
Status parseManifest(const std::string &text, const std::string &source,
                     Manifest &out);

} // namespace runtime
} // namespace neurona

#endif // NEURONA_RUNTIME_MANIFEST_H
