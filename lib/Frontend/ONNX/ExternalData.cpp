//===- ExternalData.cpp - tensors stored beside the model -----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// An external-data tensor names a file by a path relative to the model. The
// model is untrusted input, so that path must not reach anything outside the
// model's folder: absolute paths and `..` components are refused outright,
// and the path is then resolved with symlinks followed and must still lie
// inside the (equally resolved) folder. Offsets and lengths are checked
// against the file's real size before reading.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona::onnx_import {

static Error dataError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A non-negative decimal `offset` or `length` value.
static Expected<uint64_t> parseSize(StringRef key, StringRef text) {
  uint64_t value;
  if (text.empty() || !llvm::all_of(text, llvm::isDigit) ||
      text.getAsInteger(10, value))
    return dataError("has an invalid external-data " + key + " '" + text + "'");
  return value;
}

/// Checks the `location` string itself: relative, no `..`, no NUL bytes.
static Error checkLocation(StringRef location) {
  if (location.empty())
    return dataError("has an empty external-data location");
  if (location.contains('\0'))
    return dataError("has an external-data location with a NUL byte");
  if (llvm::sys::path::is_absolute(location, llvm::sys::path::Style::posix) ||
      llvm::sys::path::is_absolute(location, llvm::sys::path::Style::windows))
    return dataError("has an absolute external-data location '" + location +
                     "'; it must be relative to the model's folder");
  for (StringRef component : llvm::make_range(
           llvm::sys::path::begin(location, llvm::sys::path::Style::posix),
           llvm::sys::path::end(location)))
    if (component == "..")
      return dataError("has an external-data location '" + location +
                       "' with a '..' component; it must stay inside the "
                       "model's folder");
  return Error::success();
}

Expected<std::string> readExternalData(const onnx::TensorProto &tensor,
                                       const LoadedModel &model,
                                       uint64_t expectedBytes) {
  std::optional<StringRef> location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    StringRef key = entry.key(), value = entry.value();
    if (key == "location") {
      location = value;
    } else if (key == "offset") {
      auto parsed = parseSize(key, value);
      if (!parsed)
        return parsed.takeError();
      offset = *parsed;
    } else if (key == "length") {
      auto parsed = parseSize(key, value);
      if (!parsed)
        return parsed.takeError();
      length = *parsed;
    } else if (key != "checksum" && key != "basepath") {
      return dataError("has an unknown external-data key '" + key + "'");
    }
  }
  if (!location)
    return dataError("is stored externally but has no 'location'");
  if (Error err = checkLocation(*location))
    return err;

  llvm::SmallString<256> path(model.folder);
  llvm::sys::path::append(path, *location);
  llvm::SmallString<256> real;
  if (std::error_code ec = llvm::sys::fs::real_path(path, real))
    return dataError("has external data '" + *location +
                     "' that cannot be opened: " + ec.message());
  // Symlinks are resolved now; the target must still be inside the folder.
  StringRef folder = model.folder;
  StringRef resolved = real;
  bool inside = resolved.starts_with(folder) &&
                resolved.size() > folder.size() &&
                (llvm::sys::path::is_separator(folder.back()) ||
                 llvm::sys::path::is_separator(resolved[folder.size()]));
  if (!inside)
    return dataError("has external data '" + *location +
                     "' that resolves to '" + resolved +
                     "', outside the model's folder");

  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(resolved, status))
    return dataError("has external data '" + *location +
                     "' that cannot be opened: " + ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return dataError("has external data '" + *location +
                     "' that is not a regular file");
  uint64_t fileSize = status.getSize();
  if (offset > fileSize)
    return dataError(llvm::formatv("has an external-data offset {0} past the "
                                   "end of '{1}' ({2} bytes)",
                                   offset, *location, fileSize));
  uint64_t available = fileSize - offset;
  uint64_t size = length.value_or(expectedBytes);
  if (size > available)
    return dataError(llvm::formatv("has external data at offset {0}, length "
                                   "{1}, beyond the end of '{2}' ({3} bytes)",
                                   offset, size, *location, fileSize));
  if (size != expectedBytes)
    return dataError(llvm::formatv("has an external-data length of {0} "
                                   "bytes, but its shape needs {1}",
                                   size, expectedBytes));
  if (size == 0)
    return std::string();

  auto buffer = llvm::MemoryBuffer::getFileSlice(resolved, size, offset);
  if (!buffer)
    return dataError("has external data '" + *location +
                     "' that cannot be read: " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

} // namespace neurona::onnx_import
