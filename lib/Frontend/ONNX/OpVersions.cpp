//===- OpVersions.cpp - per-node ONNX operator versions -------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// ONNX versions each op separately: a model imports an operator set version
// (its opset), and each node runs the newest version of its op whose
// `since_version` is not above that opset. The table of since_versions is
// generated from the onnx package (OpVersions.inc) rather than read from
// libonnx's schema registry at run time: one table covers every opset up to
// the newest (Debian's libonnx stops at 17), and the importer keeps linking
// only the protobuf classes.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>

namespace neurona::onnx_import {

namespace {
struct OpHistory {
  const char *name;
  /// Ascending since_versions, zero-padded.
  std::array<uint8_t, 12> versions;
};
} // namespace

static constexpr OpHistory kOpHistories[] = {
#define NEURONA_ONNX_OP(NAME, ...) {#NAME, {__VA_ARGS__}},
#include "OpVersions.inc"
#undef NEURONA_ONNX_OP
};

int64_t resolveOpVersion(llvm::StringRef opType, int64_t opset) {
  // The generated table is sorted by name (byte order).
  const OpHistory *end = std::end(kOpHistories);
  const OpHistory *it = std::lower_bound(
      std::begin(kOpHistories), end, opType,
      [](const OpHistory &h, llvm::StringRef name) {
        return llvm::StringRef(h.name) < name;
      });
  if (it == end || opType != it->name)
    return -1;
  int64_t resolved = 0;
  for (uint8_t version : it->versions)
    if (version != 0 && version <= opset)
      resolved = version;
  return resolved;
}

} // namespace neurona::onnx_import
