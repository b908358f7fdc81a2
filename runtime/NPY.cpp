//===- NPY.cpp - NumPy .npy reading and writing ---------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// The .npy format: the magic "\x93NUMPY", a major and minor version byte, the
// header length (2 bytes little-endian in version 1, 4 bytes in 2 and 3), a
// Python dict literal with keys 'descr', 'fortran_order' and 'shape', then the
// raw data. The dict parser accepts exactly the literal syntax numpy writes
// (single or double quotes, any key order, optional trailing commas) and
// rejects everything else with a message, since the file may be hostile.
//
//===----------------------------------------------------------------------===//

#include "neurona/Runtime/NPY.h"
#include "neurona/Runtime/FileIO.h"

#include <cstring>
#include <limits>
#include <new>

using namespace neurona;

AlignedBuffer::AlignedBuffer(size_t size) {
  // aligned_alloc wants a multiple of the alignment; a zero-byte request
  // still gets a valid, unique pointer so that data() is never null.
  size_t rounded = (size + 63) / 64 * 64;
  if (rounded < size)
    throw std::bad_alloc();
  if (rounded == 0)
    rounded = 64;
  void *p = std::aligned_alloc(64, rounded);
  if (!p)
    throw std::bad_alloc();
  std::memset(p, 0, rounded);
  ptr.reset(p);
  bytes = size;
}

size_t neurona::dtypeSize(nr_dtype dtype) {
  switch (dtype) {
  case NR_F32:
  case NR_I32:
  case NR_U32:
    return 4;
  case NR_F64:
  case NR_I64:
  case NR_U64:
    return 8;
  case NR_I16:
  case NR_U16:
  case NR_F16:
  case NR_BF16:
    return 2;
  case NR_I8:
  case NR_U8:
  case NR_BOOL:
    return 1;
  }
  return 0;
}

bool neurona::parseDTypeName(const std::string &name, nr_dtype &out) {
  static const struct {
    const char *name;
    nr_dtype dtype;
  } table[] = {{"f32", NR_F32},
               {"f64", NR_F64},
               {"f16", NR_F16},
               {"bf16", NR_BF16},
               {"i8", NR_I8},
               {"i16", NR_I16},
               {"i32", NR_I32},
               {"i64", NR_I64},
               {"u8", NR_U8},
               {"u16", NR_U16},
               {"u32", NR_U32},
               {"u64", NR_U64},
               {"bool", NR_BOOL}};
  for (const auto &entry : table)
    if (name == entry.name) {
      out = entry.dtype;
      return true;
    }
  return false;
}

std::string neurona::formatShape(const int64_t *shape, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      s += ", ";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

std::string neurona::formatShape(const std::vector<int64_t> &shape) {
  return formatShape(shape.data(), shape.size());
}

Status neurona::checkedNumElements(const int64_t *shape, size_t rank,
                                   size_t elementSize, int64_t &out) {
  // Cap sizes well below SIZE_MAX so that later byte arithmetic (headers,
  // padding, offsets) cannot overflow either.
  const uint64_t limit = uint64_t(1) << 60;
  uint64_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return Status::error(NR_ERROR_FORMAT,
                           "negative dimension " + std::to_string(shape[i]) +
                               " in shape " + formatShape(shape, rank));
    uint64_t d = static_cast<uint64_t>(shape[i]);
    if (d != 0 && count > limit / d)
      return Status::error(NR_ERROR_FORMAT, "shape " +
                                                formatShape(shape, rank) +
                                                " is too large");
    count *= d;
  }
  if (elementSize && count > limit / elementSize)
    return Status::error(NR_ERROR_FORMAT,
                         "shape " + formatShape(shape, rank) + " is too large");
  out = static_cast<int64_t>(count);
  return Status::success();
}

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Header dict parsing
//===----------------------------------------------------------------------===//

namespace {
/// Recursive-descent parser for the header dict literal.
class HeaderParser {
public:
  HeaderParser(const std::string &text) : text(text) {}

  Status parse(std::string &descr, bool &fortran, std::vector<int64_t> &shape);

private:
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool consumeWord(const char *word) {
    skipSpace();
    size_t n = std::strlen(word);
    if (text.compare(pos, n, word) == 0) {
      pos += n;
      return true;
    }
    return false;
  }
  Status fail(const std::string &what) const {
    // Quote the dict without its padding, and cut it short if it is long.
    std::string shown = text.substr(0, text.find_last_not_of(" \n") + 1);
    if (shown.size() > 200)
      shown = shown.substr(0, 200) + "...";
    return Status::error(NR_ERROR_FORMAT,
                         "malformed header: " + what + " at offset " +
                             std::to_string(pos) + " in \"" + shown + "\"");
  }
  Status parseString(std::string &out);
  Status parseInt(int64_t &out);

  const std::string &text;
  size_t pos = 0;
};
} // namespace

Status HeaderParser::parseString(std::string &out) {
  skipSpace();
  if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
    return fail("expected a quoted string");
  char quote = text[pos++];
  size_t end = text.find(quote, pos);
  if (end == std::string::npos)
    return fail("unterminated string");
  out = text.substr(pos, end - pos);
  if (out.find('\\') != std::string::npos)
    return fail("escape sequences are not supported");
  pos = end + 1;
  return Status::success();
}

Status HeaderParser::parseInt(int64_t &out) {
  skipSpace();
  size_t start = pos;
  uint64_t value = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    value = value * 10 + static_cast<uint64_t>(text[pos] - '0');
    if (value > (uint64_t(1) << 62))
      return fail("dimension too large");
    ++pos;
  }
  if (pos == start)
    return fail("expected a non-negative integer");
  // numpy on some platforms writes 3L; tolerate the suffix.
  if (pos < text.size() && text[pos] == 'L')
    ++pos;
  out = static_cast<int64_t>(value);
  return Status::success();
}

Status HeaderParser::parse(std::string &descr, bool &fortran,
                           std::vector<int64_t> &shape) {
  bool haveDescr = false, haveFortran = false, haveShape = false;
  if (!consume('{'))
    return fail("expected '{'");
  while (true) {
    if (consume('}'))
      break;
    std::string key;
    if (Status s = parseString(key); !s)
      return s;
    if (!consume(':'))
      return fail("expected ':' after key '" + key + "'");
    if (key == "descr") {
      if (haveDescr)
        return fail("duplicate key 'descr'");
      haveDescr = true;
      if (Status s = parseString(descr); !s)
        return s;
    } else if (key == "fortran_order") {
      if (haveFortran)
        return fail("duplicate key 'fortran_order'");
      haveFortran = true;
      if (consumeWord("True"))
        fortran = true;
      else if (consumeWord("False"))
        fortran = false;
      else
        return fail("expected True or False for 'fortran_order'");
    } else if (key == "shape") {
      if (haveShape)
        return fail("duplicate key 'shape'");
      haveShape = true;
      shape.clear();
      if (!consume('('))
        return fail("expected '(' for 'shape'");
      while (!consume(')')) {
        if (shape.size() >= 32)
          return fail("rank above 32");
        int64_t d;
        if (Status s = parseInt(d); !s)
          return s;
        shape.push_back(d);
        if (consume(','))
          continue;
        if (!consume(')'))
          return fail("expected ',' or ')' in 'shape'");
        break;
      }
    } else {
      return fail("unexpected key '" + key + "'");
    }
    if (consume(','))
      continue;
    if (consume('}'))
      break;
    return fail("expected ',' or '}'");
  }
  skipSpace();
  if (pos != text.size())
    return fail("trailing characters after the dict");
  if (!haveDescr || !haveFortran || !haveShape)
    return fail("missing key (need 'descr', 'fortran_order' and 'shape')");
  return Status::success();
}

static Status descrToDType(const std::string &descr, nr_dtype &out) {
  if (descr == "<f4")
    out = NR_F32;
  else if (descr == "<f8")
    out = NR_F64;
  else if (descr == "<f2")
    out = NR_F16;
  else if (descr == "<V2" || descr == "|V2")
    out = NR_BF16;
  else if (descr == "|i1" || descr == "<i1" || descr == "i1")
    out = NR_I8;
  else if (descr == "<i2")
    out = NR_I16;
  else if (descr == "<i4")
    out = NR_I32;
  else if (descr == "<i8")
    out = NR_I64;
  else if (descr == "|u1" || descr == "<u1" || descr == "u1")
    out = NR_U8;
  else if (descr == "<u2")
    out = NR_U16;
  else if (descr == "<u4")
    out = NR_U32;
  else if (descr == "<u8")
    out = NR_U64;
  else if (descr == "|b1" || descr == "<b1" || descr == "b1")
    out = NR_BOOL;
  else if (!descr.empty() && descr[0] == '>')
    return Status::error(NR_ERROR_FORMAT, "big-endian data ('" + descr +
                                              "') is not supported; convert "
                                              "with arr.astype('<" +
                                              descr.substr(1) + "')");
  else
    return Status::error(
        NR_ERROR_FORMAT,
        "unsupported dtype '" + descr +
            "' (supported: '<f4', '<f8', '<f2', '<V2' (bfloat16), '|i1', "
            "'<i2', '<i4', '<i8', '|u1', '<u2', '<u4', '<u8', '|b1')");
  return Status::success();
}

static const char *dtypeDescr(nr_dtype dtype) {
  switch (dtype) {
  case NR_F32:
    return "<f4";
  case NR_F64:
    return "<f8";
  case NR_F16:
    return "<f2";
  case NR_BF16:
    return "<V2";
  case NR_I8:
    return "|i1";
  case NR_I16:
    return "<i2";
  case NR_I32:
    return "<i4";
  case NR_I64:
    return "<i8";
  case NR_U8:
    return "|u1";
  case NR_U16:
    return "<u2";
  case NR_U32:
    return "<u4";
  case NR_U64:
    return "<u8";
  case NR_BOOL:
    return "|b1";
  }
  return nullptr;
}

static const char npyMagic[] = "\x93NUMPY";

Status neurona::parseNpy(const void *bytes, size_t size,
                         const std::string &what, NpyArray &out) {
  const unsigned char *p = static_cast<const unsigned char *>(bytes);
  auto fail = [&](const std::string &msg) {
    return Status::error(NR_ERROR_FORMAT, what + ": " + msg);
  };
  if (size < 10 || std::memcmp(p, npyMagic, 6) != 0)
    return fail("not a .npy file (bad magic)");
  unsigned major = p[6], minor = p[7];
  size_t headerLen, dataStart;
  if (major == 1) {
    headerLen = size_t(p[8]) | size_t(p[9]) << 8;
    dataStart = 10 + headerLen;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return fail("truncated header");
    headerLen = size_t(p[8]) | size_t(p[9]) << 8 | size_t(p[10]) << 16 |
                size_t(p[11]) << 24;
    dataStart = 12 + headerLen;
  } else {
    return fail("unsupported .npy version " + std::to_string(major) + "." +
                std::to_string(minor));
  }
  if (dataStart > size)
    return fail("truncated header (header length " + std::to_string(headerLen) +
                ", file size " + std::to_string(size) + ")");
  std::string header(reinterpret_cast<const char *>(p) + dataStart - headerLen,
                     headerLen);
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  if (Status s = HeaderParser(header).parse(descr, fortran, shape); !s)
    return Status::error(s.getCode(), what + ": " + s.getMessage());
  nr_dtype dtype;
  if (Status s = descrToDType(descr, dtype); !s)
    return Status::error(s.getCode(), what + ": " + s.getMessage());
  if (fortran && shape.size() > 1)
    return fail("Fortran-order arrays are not supported; save with "
                "np.ascontiguousarray");
  int64_t count;
  if (Status s = checkedNumElements(shape.data(), shape.size(),
                                    dtypeSize(dtype), count);
      !s)
    return Status::error(s.getCode(), what + ": " + s.getMessage());
  size_t nbytes = static_cast<size_t>(count) * dtypeSize(dtype);
  if (size - dataStart < nbytes)
    return fail("truncated data: shape " + formatShape(shape) + " of " + descr +
                " needs " + std::to_string(nbytes) + " bytes, " +
                std::to_string(size - dataStart) + " present");
  out.dtype = dtype;
  out.shape = std::move(shape);
  out.data = AlignedBuffer(nbytes);
  if (nbytes)
    std::memcpy(out.data.data(), p + dataStart, nbytes);
  // A compiled model loads a bool as one bit of its byte: other bytes are
  // not bools, and are refused rather than misread.
  if (dtype == NR_BOOL)
    for (size_t i = 0; i < nbytes; ++i)
      if (p[dataStart + i] > 1)
        return fail("bool element " + std::to_string(i) + " is the byte " +
                    std::to_string(unsigned(p[dataStart + i])) +
                    "; bools must be 0 or 1");
  return Status::success();
}

Status neurona::readNpy(const std::string &path, NpyArray &out) {
  std::string bytes;
  if (Status s = readFile(path, bytes); !s)
    return s;
  return parseNpy(bytes.data(), bytes.size(), path, out);
}

Status neurona::npyHeader(nr_dtype dtype, const int64_t *shape, size_t rank,
                          std::string &out) {
  const char *descr = dtypeDescr(dtype);
  if (!descr)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "invalid dtype " + std::to_string(dtype));
  for (size_t i = 0; i < rank; ++i)
    if (shape[i] < 0)
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           "negative dimension in shape " +
                               formatShape(shape, rank));
  std::string dict = std::string("{'descr': '") + descr +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < rank; ++i) {
    dict += std::to_string(shape[i]);
    if (rank == 1 || i + 1 < rank)
      dict += rank == 1 ? "," : ", ";
  }
  dict += "), }";
  // Pad with spaces and a final newline so that the data starts on a 64-byte
  // boundary, as numpy does; use version 2.0 only if the header needs it.
  size_t prefix = 10;
  unsigned major = 1;
  if ((prefix + dict.size() + 1 + 63) / 64 * 64 - prefix > 65535) {
    prefix = 12;
    major = 2;
  }
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  size_t len = dict.size();
  out.assign(npyMagic, 6);
  out += static_cast<char>(major);
  out += '\0';
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  if (major == 2) {
    out += static_cast<char>((len >> 16) & 0xff);
    out += static_cast<char>((len >> 24) & 0xff);
  }
  out += dict;
  return Status::success();
}

Status neurona::writeNpy(const std::string &path, nr_dtype dtype,
                         const int64_t *shape, size_t rank, const void *data) {
  std::string header;
  if (Status s = npyHeader(dtype, shape, rank, header); !s)
    return s.withContext(path);
  int64_t count;
  if (Status s = checkedNumElements(shape, rank, dtypeSize(dtype), count); !s)
    return s.withContext(path);
  AtomicFile file;
  if (Status s = file.open(path); !s)
    return s;
  if (Status s = file.write(header.data(), header.size()); !s)
    return s;
  if (Status s =
          file.write(data, static_cast<size_t>(count) * dtypeSize(dtype));
      !s)
    return s;
  return file.commit();
}
