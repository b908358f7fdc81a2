//===- ModelLoader.cpp - reading and checking an ONNX file ----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Everything about a model that can be checked before looking at its nodes:
// the file itself, the protobuf encoding, the IR version and the operator
// sets. The file is parsed from memory in one piece so that truncation and
// trailing garbage are detected, with protobuf's nesting limit lowered: a
// model nests only a few levels (graphs inside attributes inside nodes), so a
// deeply nested message is hostile, not a model.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Frontend/ONNX/ONNXImporter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

#include <climits>

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona::onnx_import {

/// Protobuf's default recursion limit is 100; real models stay far below 32.
static constexpr int kMaxMessageNesting = 32;

static Error fileError(StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + message);
}

/// The canonical folder holding `path`.
static Expected<std::string> canonicalFolder(StringRef path) {
  llvm::SmallString<256> absolute(path);
  if (std::error_code ec = llvm::sys::fs::make_absolute(absolute))
    return fileError(path, "cannot resolve the path: " + ec.message());
  llvm::sys::path::remove_filename(absolute);
  llvm::SmallString<256> real;
  if (std::error_code ec = llvm::sys::fs::real_path(absolute, real))
    return fileError(path,
                     "cannot resolve the model's folder: " + ec.message());
  return std::string(real);
}

static Error checkOpsets(LoadedModel &model) {
  const onnx::ModelProto &proto = model.proto;
  bool found = false;
  for (const onnx::OperatorSetIdProto &opset : proto.opset_import()) {
    if (!opset.domain().empty() && opset.domain() != "ai.onnx")
      continue; // Only nodes in another domain would need it; they fail then.
    if (found)
      return fileError(model.path,
                       "imports the default operator set more than once");
    found = true;
    model.opset = opset.version();
  }
  if (!found)
    return fileError(model.path,
                     "imports no version of the default ONNX operator set "
                     "(opset_import has no entry for domain \"\")");
  // An older opset is checked node by node (GraphImporter::checkOpVersions):
  // what matters is the version each op resolves to.
  if (model.opset < 1 || model.opset > kMaxONNXOpset)
    return fileError(model.path,
                     llvm::formatv("uses ONNX opset {0}; supported opsets "
                                   "are 1 to {1} (older than {2} only where "
                                   "every node's op is unchanged since)",
                                   model.opset, kMaxONNXOpset, kMinONNXOpset));
  return Error::success();
}

Expected<std::unique_ptr<LoadedModel>> loadModel(StringRef path) {
  auto model = std::make_unique<LoadedModel>();
  model->path = path.str();

  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return fileError(path, "cannot open: " + ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return fileError(path, "is not a regular file");
  // Protobuf cannot parse a message over 2 GiB; such models keep their
  // weights in external data files.
  if (status.getSize() > static_cast<uint64_t>(INT_MAX))
    return fileError(path, "is larger than 2 GiB; store the weights as "
                           "external data");

  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError(path, "cannot read: " + buffer.getError().message());
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.empty())
    return fileError(path, "is empty");

  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      static_cast<int>(bytes.size()));
  stream.SetRecursionLimit(kMaxMessageNesting);
  if (!model->proto.ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage() ||
      stream.CurrentPosition() != static_cast<int>(bytes.size()))
    return fileError(path, "is not a valid ONNX model: the protobuf data is "
                           "malformed or truncated");

  const onnx::ModelProto &proto = model->proto;
  if (!proto.has_ir_version())
    return fileError(path, "is not an ONNX model: it has no ir_version");
  if (proto.ir_version() < kMinONNXIRVersion ||
      proto.ir_version() > kMaxONNXIRVersion)
    return fileError(path, llvm::formatv("has ONNX IR version {0}; supported "
                                         "versions are {1} to {2}",
                                         proto.ir_version(), kMinONNXIRVersion,
                                         kMaxONNXIRVersion));
  if (!proto.has_graph())
    return fileError(path, "is not an ONNX model: it has no graph");
  if (proto.graph().sparse_initializer_size() != 0)
    return fileError(path, "has sparse initializers, which are not supported");
  if (Error err = checkOpsets(*model))
    return err;

  auto folder = canonicalFolder(path);
  if (!folder)
    return folder.takeError();
  model->folder = std::move(*folder);
  return model;
}

} // namespace neurona::onnx_import
