//===- FileIO.cpp - Whole-file reads and atomic writes --------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Runtime/FileIO.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace neurona;

static std::string systemError(int err) { return std::strerror(err); }

/// The folder holding `path` ("." for a bare name).
static std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// Makes renames in `dir` durable. Some file systems cannot fsync a
/// directory; the data itself is already safe, so that is not an error.
static void syncDirectory(const std::string &dir) {
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dirFd >= 0) {
    (void)::fsync(dirFd);
    ::close(dirFd);
  }
}

/// The mode a new file replacing `destination` gets: the old file's, or the
/// usual 0644 for a new one.
static mode_t modeFor(const std::string &destination) {
  struct stat st;
  if (::stat(destination.c_str(), &st) == 0 && S_ISREG(st.st_mode))
    return st.st_mode & 07777;
  return 0644;
}

/// Creates an empty temporary file beside `destination` (in its directory,
/// so that the final rename never crosses a file system, which would not be
/// atomic) with the mode the destination will have; `fd` is open on it.
static Status createTemporaryBeside(const std::string &destination, int &fd,
                                    std::string &tempPath) {
  std::string pattern = destination + ".tmp.XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  fd = ::mkstemp(buf.data());
  if (fd < 0)
    return Status::error(NR_ERROR_IO, "cannot create a temporary file for '" +
                                          destination +
                                          "': " + systemError(errno));
  tempPath = buf.data();
  // mkstemp creates the file 0600.
  (void)::fchmod(fd, modeFor(destination));
  return Status::success();
}

Status neurona::readFile(const std::string &path, std::string &out) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return Status::error(NR_ERROR_IO,
                         "cannot open '" + path +
                             "' for reading: " + systemError(errno));
  // Read in chunks rather than trusting a size from fstat, so that pipes and
  // files that change size while being read are handled the same way.
  out.clear();
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fclose(f);
    return Status::error(NR_ERROR_IO,
                         "cannot read '" + path + "': it is a directory");
  }
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    out.reserve(static_cast<size_t>(st.st_size));
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0)
    out.append(chunk, n);
  bool failed = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (failed)
    return Status::error(NR_ERROR_IO,
                         "error reading '" + path + "': " + systemError(err));
  return Status::success();
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (stream) {
    std::fclose(stream);
    stream = nullptr;
  }
  if (!tempPath.empty()) {
    ::unlink(tempPath.c_str());
    tempPath.clear();
  }
}

Status AtomicFile::open(const std::string &destination) {
  discard();
  if (destination.empty())
    return Status::error(NR_ERROR_INVALID_ARGUMENT, "empty output path");
  path = destination;
  written = 0;
  int fd;
  if (Status s = createTemporaryBeside(destination, fd, tempPath); !s)
    return s;
  stream = ::fdopen(fd, "wb");
  if (!stream) {
    int err = errno;
    ::close(fd);
    discard();
    return Status::error(NR_ERROR_IO, "cannot open temporary file for '" +
                                          destination +
                                          "': " + systemError(err));
  }
  return Status::success();
}

Status AtomicFile::write(const void *data, size_t size) {
  if (!stream)
    return Status::error(NR_ERROR_INTERNAL,
                         "AtomicFile::write on a file that is not open");
  if (size == 0)
    return Status::success();
  if (std::fwrite(data, 1, size, stream) != size) {
    int err = errno;
    std::string dest = path;
    discard();
    return Status::error(NR_ERROR_IO,
                         "error writing '" + dest + "': " + systemError(err));
  }
  written += size;
  return Status::success();
}

Status AtomicFile::commit() {
  if (!stream)
    return Status::error(NR_ERROR_INTERNAL,
                         "AtomicFile::commit on a file that is not open");
  std::string dest = path;
  if (std::fflush(stream) != 0 || ::fsync(fileno(stream)) != 0) {
    int err = errno;
    discard();
    return Status::error(NR_ERROR_IO,
                         "error writing '" + dest + "': " + systemError(err));
  }
  int rc = std::fclose(stream);
  stream = nullptr;
  if (rc != 0) {
    int err = errno;
    discard();
    return Status::error(NR_ERROR_IO,
                         "error closing '" + dest + "': " + systemError(err));
  }
  if (std::rename(tempPath.c_str(), dest.c_str()) != 0) {
    int err = errno;
    discard();
    return Status::error(NR_ERROR_IO, "cannot rename temporary file to '" +
                                          dest + "': " + systemError(err));
  }
  tempPath.clear();
  syncDirectory(directoryOf(dest));
  return Status::success();
}

Status neurona::writeFileAtomically(const std::string &path, const void *data,
                                    size_t size) {
  AtomicFile file;
  if (Status s = file.open(path); !s)
    return s;
  if (Status s = file.write(data, size); !s)
    return s;
  return file.commit();
}

//===----------------------------------------------------------------------===//
// OutputSet
//===----------------------------------------------------------------------===//

OutputSet::~OutputSet() { discard(); }

Status OutputSet::stage(const std::string &destination, std::string &tempPath) {
  if (destination.empty())
    return Status::error(NR_ERROR_INVALID_ARGUMENT, "empty output path");
  struct stat st;
  if (::stat(destination.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Status::error(NR_ERROR_IO, "cannot write '" + destination +
                                          "': it is a directory");
  int fd;
  if (Status s = createTemporaryBeside(destination, fd, tempPath); !s)
    return s;
  ::close(fd);
  entries.push_back({tempPath, destination, true});
  return Status::success();
}

void OutputSet::stageAt(const std::string &tempPath,
                        const std::string &destination) {
  entries.push_back({tempPath, destination, true});
}

void OutputSet::promote(const std::string &source,
                        const std::string &destination) {
  entries.push_back({source, destination, false});
}

void OutputSet::discard() {
  for (const Entry &e : entries)
    if (e.removeIfDiscarded)
      ::unlink(e.file.c_str());
  entries.clear();
}

std::vector<std::string> OutputSet::destinations() const {
  std::vector<std::string> out;
  for (const Entry &e : entries)
    out.push_back(e.destination);
  return out;
}

Status OutputSet::commit() {
  std::set<std::string> dirs;
  std::vector<std::string> done;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry &e = entries[i];
    if (std::rename(e.file.c_str(), e.destination.c_str()) != 0) {
      int err = errno;
      std::string message = "cannot rename '" + e.file + "' to '" +
                            e.destination + "': " + systemError(err);
      if (!done.empty()) {
        message += " (already replaced:";
        for (const std::string &d : done)
          message += " " + d;
        message += ")";
      }
      std::string notDone;
      for (size_t j = i; j < entries.size(); ++j)
        notDone += " " + entries[j].destination;
      message += " (not written:" + notDone + ")";
      entries.erase(entries.begin(), entries.begin() + ptrdiff_t(i));
      discard();
      for (const std::string &dir : dirs)
        syncDirectory(dir);
      return Status::error(NR_ERROR_IO, message);
    }
    done.push_back(e.destination);
    dirs.insert(directoryOf(e.destination));
  }
  entries.clear();
  for (const std::string &dir : dirs)
    syncDirectory(dir);
  return Status::success();
}

std::string neurona::partialPath(const std::string &path) {
  size_t slash = path.find_last_of('/');
  size_t nameStart = slash == std::string::npos ? 0 : slash + 1;
  size_t dot = path.find_last_of('.');
  // A leading dot (".hidden") starts the name, not an extension.
  if (dot == std::string::npos || dot <= nameStart)
    return path + ".partial";
  return path.substr(0, dot) + ".partial" + path.substr(dot);
}
