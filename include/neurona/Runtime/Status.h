//===- neurona/Runtime/Status.h - Error type without exceptions -*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// A small success-or-error value used by the runtime's C++ internals and by
// the libraries that must not depend on LLVM (Data, Train). It carries an
// nr_status code so errors cross the C API unchanged, and a message that
// already names the file or argument at fault.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_RUNTIME_STATUS_H
#define NEURONA_RUNTIME_STATUS_H

#include "neurona-c/runtime.h"

#include <string>
#include <utility>

namespace neurona {

class [[nodiscard]] Status {
public:
  /// A success value.
  Status() = default;

  static Status success() { return Status(); }
  static Status error(nr_status code, std::string message) {
    return Status(code, std::move(message));
  }

  bool ok() const { return code == NR_OK; }
  explicit operator bool() const { return ok(); }

  nr_status getCode() const { return code; }
  const std::string &getMessage() const { return message; }

  /// Returns this error with `context` prepended ("context: message"), for
  /// callers that know which file or step the failure belongs to.
  Status withContext(const std::string &context) const {
    if (ok())
      return *this;
    return Status(code, context + ": " + message);
  }

private:
  Status(nr_status code, std::string message)
      : code(code), message(std::move(message)) {}

  nr_status code = NR_OK;
  std::string message;
};

} // namespace neurona

#endif // NEURONA_RUNTIME_STATUS_H
