//===- TestSupport.h - Shared test helpers ----------------------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_UNITTESTS_RUNTIME_TESTSUPPORT_H
#define NEURONA_UNITTESTS_RUNTIME_TESTSUPPORT_H

#include "neurona-c/runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <unistd.h>

namespace neurona {
namespace test {

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
/// the test ends.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/neurona-test-XXXXXX";
    char buf[4096];
    std::snprintf(buf, sizeof(buf), "%s", pattern.c_str());
    if (!::mkdtemp(buf)) {
      std::perror("mkdtemp");
      std::abort();
    }
    dir = buf;
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + dir + "'";
    if (std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "warning: could not remove %s\n", dir.c_str());
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  std::string path(const std::string &name) const { return dir + "/" + name; }
  const std::string &root() const { return dir; }

private:
  std::string dir;
};

/// Writes `bytes` to `path`, aborting the test binary on failure.
inline void writeBytes(const std::string &path, const std::string &bytes) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    std::perror(path.c_str());
    std::abort();
  }
  std::fclose(f);
}

/// An nr_tensor over caller memory.
inline nr_tensor makeTensor(nr_dtype dtype,
                            std::initializer_list<int64_t> shape, void *data) {
  nr_tensor t = nr_tensor();
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(shape.size());
  int i = 0;
  for (int64_t d : shape)
    t.shape[i++] = d;
  t.data = data;
  return t;
}

} // namespace test
} // namespace neurona

#endif // NEURONA_UNITTESTS_RUNTIME_TESTSUPPORT_H
