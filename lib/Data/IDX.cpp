//===- IDX.cpp - IDX (MNIST-style) files and gzip input -------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// IDX files start with a 4-byte magic (two zero bytes, a type byte, the
// number of dimensions), then one big-endian 32-bit size per dimension, then
// the data in row-major order. Only unsigned-byte files (type 0x08) occur in
// practice and only those are read: 2051 (0x0803, images [N, rows, cols])
// and 2049 (0x0801, labels [N]).
//
//===----------------------------------------------------------------------===//

#include "IDX.h"

#include "neurona/Data/Dataset.h"
#include "neurona/Runtime/FileIO.h"

#include <algorithm>
#include <cstdio>
#include <zlib.h>

using namespace neurona;
using namespace neurona::data;

Status neurona::data::readMaybeGzip(const std::string &path, std::string &out) {
  std::string raw;
  if (Status s = readFile(path, raw); !s)
    return s;
  if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f ||
      static_cast<unsigned char>(raw[1]) != 0x8b) {
    out = std::move(raw);
    return Status::success();
  }
  // Inflated data beyond this is certainly not a dataset that fits in memory
  // next to its float copy; stop before a compressed bomb exhausts it.
  const uint64_t limit = uint64_t(4) << 30;
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return Status::error(NR_ERROR_INTERNAL, path + ": inflateInit2 failed");
  std::string result;
  std::vector<unsigned char> chunk(1 << 18);
  size_t inPos = 0;
  Status status;
  while (true) {
    size_t inChunk = std::min<size_t>(raw.size() - inPos, 1u << 30);
    zs.next_in = reinterpret_cast<Bytef *>(&raw[inPos]);
    zs.avail_in = static_cast<uInt>(inChunk);
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    inPos += inChunk - zs.avail_in;
    result.append(reinterpret_cast<char *>(chunk.data()),
                  chunk.size() - zs.avail_out);
    if (result.size() > limit) {
      status = Status::error(NR_ERROR_FORMAT,
                             path + ": decompressed data exceeds 4 GiB");
      break;
    }
    if (rc == Z_STREAM_END) {
      // gzip allows several members back to back; anything else after the
      // stream is corruption.
      if (inPos == raw.size())
        break;
      if (raw.size() - inPos >= 2 &&
          static_cast<unsigned char>(raw[inPos]) == 0x1f &&
          static_cast<unsigned char>(raw[inPos + 1]) == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      status = Status::error(NR_ERROR_FORMAT,
                             path + ": unexpected data after the gzip stream");
      break;
    }
    if (rc == Z_OK)
      continue;
    if (rc == Z_BUF_ERROR && inPos == raw.size()) {
      status = Status::error(NR_ERROR_FORMAT,
                             path + ": truncated gzip file (the stream ends "
                                    "early)");
      break;
    }
    status = Status::error(
        NR_ERROR_FORMAT,
        path + ": corrupt gzip data" +
            (zs.msg ? std::string(" (") + zs.msg + ")" : std::string()));
    break;
  }
  inflateEnd(&zs);
  if (!status)
    return status;
  out = std::move(result);
  return Status::success();
}

static uint32_t bigEndian32(const std::string &b, size_t at) {
  return uint32_t(static_cast<unsigned char>(b[at])) << 24 |
         uint32_t(static_cast<unsigned char>(b[at + 1])) << 16 |
         uint32_t(static_cast<unsigned char>(b[at + 2])) << 8 |
         uint32_t(static_cast<unsigned char>(b[at + 3]));
}

static std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

bool neurona::data::isIdx(const std::string &bytes) {
  return bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0 &&
         static_cast<unsigned char>(bytes[2]) == 0x08;
}

Status neurona::data::parseIdx(const std::string &bytes,
                               const std::string &path, uint32_t magic,
                               std::vector<int64_t> &dims, size_t &dataStart) {
  const char *kind = magic == IdxImagesMagic ? "IDX image" : "IDX label";
  if (bytes.size() < 4)
    return Status::error(NR_ERROR_FORMAT, path + ": file too short for an " +
                                              std::string(kind) + " header (" +
                                              std::to_string(bytes.size()) +
                                              " bytes)");
  uint32_t found = bigEndian32(bytes, 0);
  if (found != magic) {
    std::string hint;
    if (found == IdxImagesMagic)
      hint = "; this is an IDX image file";
    else if (found == IdxLabelsMagic)
      hint = "; this is an IDX label file";
    else if (isIdx(bytes))
      hint = "; an IDX file with " + std::to_string(bytes[3]) + " dimensions";
    return Status::error(NR_ERROR_FORMAT,
                         path + ": bad magic number " + hex32(found) + " (" +
                             std::to_string(found) + "), expected " +
                             std::to_string(magic) + " for an " + kind +
                             " file" + hint);
  }
  size_t rank = magic & 0xff;
  dataStart = 4 + 4 * rank;
  if (bytes.size() < dataStart)
    return Status::error(NR_ERROR_FORMAT, path + ": truncated header (" +
                                              std::to_string(bytes.size()) +
                                              " bytes)");
  dims.clear();
  uint64_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    uint32_t d = bigEndian32(bytes, 4 + 4 * i);
    // Each dimension fits in 31 bits; their product is checked against the
    // actual file size right below.
    if (d > 0x7fffffffu)
      return Status::error(NR_ERROR_FORMAT,
                           path + ": dimension " + std::to_string(i) +
                               " is too large (" + std::to_string(d) + ")");
    dims.push_back(d);
    count *= d;
    if (count > (uint64_t(1) << 40))
      return Status::error(NR_ERROR_FORMAT, path + ": header sizes too large");
  }
  uint64_t have = bytes.size() - dataStart;
  if (have < count)
    return Status::error(NR_ERROR_FORMAT,
                         path + ": truncated file: the header promises " +
                             std::to_string(count) + " bytes of data (" +
                             std::to_string(dims[0]) +
                             (magic == IdxImagesMagic ? " images" : " labels") +
                             "), only " + std::to_string(have) + " present");
  if (have > count)
    return Status::error(NR_ERROR_FORMAT,
                         path + ": " + std::to_string(have - count) +
                             " unexpected bytes after the data");
  return Status::success();
}

/// Reads the IDX file at `path` (gzip-compressed or not) with `magic`; on
/// success `dims` holds its dimensions and `data` its bytes.
static Status readIdx(const std::string &path, uint32_t magic,
                      std::vector<int64_t> &dims, std::vector<uint8_t> &data) {
  std::string bytes;
  if (Status s = readMaybeGzip(path, bytes); !s)
    return s;
  size_t start;
  if (Status s = parseIdx(bytes, path, magic, dims, start); !s)
    return s;
  data.assign(bytes.begin() + start, bytes.end());
  return Status::success();
}

Status neurona::data::readIdxImages(const std::string &path,
                                    std::vector<uint8_t> &pixels,
                                    int64_t &count, int64_t &rows,
                                    int64_t &cols) {
  std::vector<int64_t> dims;
  if (Status s = readIdx(path, IdxImagesMagic, dims, pixels); !s)
    return s;
  count = dims[0];
  rows = dims[1];
  cols = dims[2];
  return Status::success();
}

Status neurona::data::readIdxLabels(const std::string &path,
                                    std::vector<uint8_t> &labels) {
  std::vector<int64_t> dims;
  return readIdx(path, IdxLabelsMagic, dims, labels);
}
