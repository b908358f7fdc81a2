//===- NPZ.cpp - NumPy .npz (zip of .npy) reading and writing -------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// A minimal zip implementation: the reader walks the central directory (the
// authoritative list of members; local headers may carry zero sizes when a
// data descriptor follows), handles ZIP64 records as numpy.savez writes them,
// inflates deflated members with zlib and checks every CRC-32. All offsets
// and sizes are bounds-checked against the file since archives may be
// corrupted or hostile. The writer emits stored members with sizes known up
// front, so no data descriptors are needed.
//
//===----------------------------------------------------------------------===//

#include "neurona/Runtime/FileIO.h"
#include "neurona/Runtime/NPY.h"

#include <set>
#include <zlib.h>

using namespace neurona;

namespace {
enum : uint32_t {
  LocalHeaderSig = 0x04034b50,
  CentralHeaderSig = 0x02014b50,
  EndOfCentralDirSig = 0x06054b50,
  Zip64EndSig = 0x06064b50,
  Zip64LocatorSig = 0x07064b50,
};

/// Bounds-checked little-endian reads from a byte range.
class ByteReader {
public:
  ByteReader(const std::string &bytes) : bytes(bytes) {}
  bool has(uint64_t offset, uint64_t n) const {
    return offset <= bytes.size() && n <= bytes.size() - offset;
  }
  uint64_t le(uint64_t offset, unsigned n) const {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i)
      v |= uint64_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
    return v;
  }
  uint32_t u32(uint64_t offset) const {
    return static_cast<uint32_t>(le(offset, 4));
  }
  uint16_t u16(uint64_t offset) const {
    return static_cast<uint16_t>(le(offset, 2));
  }
  uint64_t u64(uint64_t offset) const { return le(offset, 8); }

private:
  const std::string &bytes;
};
} // namespace

static uint32_t crc32Of(const void *data, size_t size, uint32_t crc = 0) {
  const Bytef *p = static_cast<const Bytef *>(data);
  if (crc == 0)
    crc = static_cast<uint32_t>(::crc32(0L, Z_NULL, 0));
  // zlib's length argument is a uInt; feed large buffers in pieces.
  while (size > 0) {
    uInt chunk = size > (1u << 30) ? (1u << 30) : static_cast<uInt>(size);
    crc = static_cast<uint32_t>(::crc32(crc, p, chunk));
    p += chunk;
    size -= chunk;
  }
  return crc;
}

static Status inflateRaw(const char *src, uint64_t srcSize, uint64_t dstSize,
                         std::string &out, const std::string &what) {
  out.assign(dstSize, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
    return Status::error(NR_ERROR_INTERNAL, "inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(src));
  zs.next_out = reinterpret_cast<Bytef *>(out.empty() ? nullptr : &out[0]);
  uint64_t inLeft = srcSize, outLeft = dstSize;
  int rc = Z_OK;
  while (rc == Z_OK) {
    uInt inChunk = inLeft > (1u << 30) ? (1u << 30) : uInt(inLeft);
    uInt outChunk = outLeft > (1u << 30) ? (1u << 30) : uInt(outLeft);
    zs.avail_in = inChunk;
    zs.avail_out = outChunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    inLeft -= inChunk - zs.avail_in;
    outLeft -= outChunk - zs.avail_out;
    if (rc == Z_OK && zs.avail_in == inChunk && zs.avail_out == outChunk)
      break; // no progress: input exhausted or output full
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END)
    return Status::error(NR_ERROR_FORMAT,
                         what + ": corrupted or truncated deflate data");
  if (outLeft != 0)
    return Status::error(NR_ERROR_FORMAT,
                         what +
                             ": deflate data shorter than its recorded size");
  return Status::success();
}

Status neurona::readNpz(const std::string &path, std::vector<NpzEntry> &out) {
  std::string bytes;
  if (Status s = readFile(path, bytes); !s)
    return s;
  auto fail = [&](const std::string &msg) {
    return Status::error(NR_ERROR_FORMAT, path + ": " + msg);
  };
  ByteReader r(bytes);
  const uint64_t size = bytes.size();
  if (size >= 4 && r.u32(0) != LocalHeaderSig && r.u32(0) != EndOfCentralDirSig)
    return fail("not an .npz file (no zip signature)");

  // The end-of-central-directory record is the last 22 bytes plus an
  // optional comment of up to 64 KiB; search backwards for it.
  uint64_t eocd = UINT64_MAX;
  if (size >= 22) {
    uint64_t lowest = size - 22 > 0xffff ? size - 22 - 0xffff : 0;
    for (uint64_t pos = size - 22 + 1; pos-- > lowest;)
      if (r.u32(pos) == EndOfCentralDirSig &&
          pos + 22 + r.u16(pos + 20) == size) {
        eocd = pos;
        break;
      }
  }
  if (eocd == UINT64_MAX)
    return fail("not an .npz file or truncated (no end-of-central-directory "
                "record)");
  if (r.u16(eocd + 4) != 0 || r.u16(eocd + 6) != 0)
    return fail("multi-volume zip archives are not supported");
  uint64_t count = r.u16(eocd + 10);
  uint64_t cdSize = r.u32(eocd + 12);
  uint64_t cdOffset = r.u32(eocd + 16);
  if (count == 0xffff || cdSize == 0xffffffff || cdOffset == 0xffffffff) {
    // ZIP64: the locator sits right before the classic record.
    if (eocd < 20 || r.u32(eocd - 20) != Zip64LocatorSig)
      return fail("ZIP64 archive without a ZIP64 locator");
    uint64_t z64 = r.u64(eocd - 20 + 8);
    if (!r.has(z64, 56) || r.u32(z64) != Zip64EndSig)
      return fail("bad ZIP64 end-of-central-directory offset");
    count = r.u64(z64 + 32);
    cdSize = r.u64(z64 + 40);
    cdOffset = r.u64(z64 + 48);
  }
  if (!r.has(cdOffset, cdSize))
    return fail("central directory lies outside the file");
  // Each central entry takes at least 46 bytes; this also bounds the loop.
  if (count > cdSize / 46)
    return fail("member count " + std::to_string(count) +
                " does not fit the central directory");

  std::vector<NpzEntry> entries;
  std::set<std::string> seen;
  uint64_t pos = cdOffset;
  for (uint64_t i = 0; i < count; ++i) {
    if (!r.has(pos, 46) || pos + 46 > cdOffset + cdSize ||
        r.u32(pos) != CentralHeaderSig)
      return fail("corrupted central directory entry " + std::to_string(i));
    uint16_t flags = r.u16(pos + 8);
    uint16_t method = r.u16(pos + 10);
    uint32_t crc = r.u32(pos + 16);
    uint64_t compSize = r.u32(pos + 20);
    uint64_t rawSize = r.u32(pos + 24);
    uint16_t nameLen = r.u16(pos + 28);
    uint16_t extraLen = r.u16(pos + 30);
    uint16_t commentLen = r.u16(pos + 32);
    uint64_t localOffset = r.u32(pos + 42);
    uint64_t next = pos + 46 + nameLen + extraLen + commentLen;
    if (next > cdOffset + cdSize)
      return fail("corrupted central directory entry " + std::to_string(i));
    std::string member = bytes.substr(pos + 46, nameLen);
    // ZIP64 extended information: present fields replace the 0xffffffff
    // placeholders, in the fixed order raw size, compressed size, offset.
    uint64_t ex = pos + 46 + nameLen, exEnd = ex + extraLen;
    while (ex + 4 <= exEnd) {
      uint16_t id = r.u16(ex), len = r.u16(ex + 2);
      if (ex + 4 + len > exEnd)
        return fail("corrupted extra field of member '" + member + "'");
      if (id == 0x0001) {
        uint64_t f = ex + 4, fEnd = f + len;
        auto take = [&](uint64_t &field) {
          if (field != 0xffffffff)
            return true;
          if (f + 8 > fEnd)
            return false;
          field = r.u64(f);
          f += 8;
          return true;
        };
        if (!take(rawSize) || !take(compSize) || !take(localOffset))
          return fail("corrupted ZIP64 field of member '" + member + "'");
      }
      ex += 4 + len;
    }
    pos = next;

    if (flags & 1)
      return fail("member '" + member + "' is encrypted");
    if (method != 0 && method != 8)
      return fail("member '" + member + "' uses compression method " +
                  std::to_string(method) + " (only stored and deflate)");
    if (member.size() < 5 || member.compare(member.size() - 4, 4, ".npy") != 0)
      return fail("member '" + member + "' is not a .npy file");
    std::string name = member.substr(0, member.size() - 4);
    if (!seen.insert(name).second)
      return fail("duplicate member '" + member + "'");
    if (!r.has(localOffset, 30) || r.u32(localOffset) != LocalHeaderSig)
      return fail("bad local header offset for member '" + member + "'");
    uint64_t dataStart =
        localOffset + 30 + r.u16(localOffset + 26) + r.u16(localOffset + 28);
    if (!r.has(dataStart, compSize))
      return fail("data of member '" + member + "' lies outside the file");
    if (method == 0 && compSize != rawSize)
      return fail("stored member '" + member + "' has inconsistent sizes");
    // A .npy member is at least its header; far larger claims than the
    // compressed data can expand to are corruption, not data.
    if (method == 8 && rawSize / 1032 > compSize + 1)
      return fail("member '" + member + "' claims an impossible size");

    std::string inflated;
    const char *data = bytes.data() + dataStart;
    uint64_t dataSize = compSize;
    if (method == 8) {
      if (Status s = inflateRaw(data, compSize, rawSize, inflated,
                                path + ": member '" + member + "'");
          !s)
        return s;
      data = inflated.data();
      dataSize = rawSize;
    }
    if (crc32Of(data, dataSize) != crc)
      return fail("CRC-32 mismatch in member '" + member +
                  "' (the file is corrupted)");
    NpzEntry entry;
    entry.name = name;
    if (Status s = parseNpy(data, dataSize, path + ": member '" + member + "'",
                            entry.array);
        !s)
      return s;
    entries.push_back(std::move(entry));
  }
  out = std::move(entries);
  return Status::success();
}

namespace {
/// Little-endian serialisation of zip records.
struct RecordBuilder {
  std::string bytes;
  void u16(uint32_t v) {
    bytes += static_cast<char>(v & 0xff);
    bytes += static_cast<char>((v >> 8) & 0xff);
  }
  void u32(uint32_t v) {
    u16(v & 0xffff);
    u16(v >> 16);
  }
};
} // namespace

Status neurona::writeNpz(const std::string &path,
                         const std::vector<NpzMember> &members) {
  // A fixed timestamp (1980-01-01 00:00, the zip epoch) keeps archives of the
  // same parameters byte-identical.
  const uint16_t dosTime = 0, dosDate = (0 << 9) | (1 << 5) | 1;
  const uint64_t limit = 0xfffffffeULL;
  if (members.size() >= 0xffff)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         path + ": too many arrays for an .npz archive");
  std::set<std::string> names;
  for (const NpzMember &m : members)
    if (m.name.empty() || !names.insert(m.name).second)
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           path + ": empty or duplicate array name '" + m.name +
                               "'");

  AtomicFile file;
  if (Status s = file.open(path); !s)
    return s;
  RecordBuilder central;
  for (const NpzMember &m : members) {
    std::string header;
    if (Status s = npyHeader(m.dtype, m.shape.data(), m.shape.size(), header);
        !s)
      return s.withContext(path + ": array '" + m.name + "'");
    int64_t count;
    if (Status s = checkedNumElements(m.shape.data(), m.shape.size(),
                                      dtypeSize(m.dtype), count);
        !s)
      return s.withContext(path + ": array '" + m.name + "'");
    size_t dataSize = static_cast<size_t>(count) * dtypeSize(m.dtype);
    uint64_t memberSize = header.size() + dataSize;
    uint64_t offset = file.tell();
    if (memberSize > limit || offset > limit)
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           path + ": parameters exceed the 4 GiB limit of the "
                                  ".npz writer");
    uint32_t crc = crc32Of(header.data(), header.size());
    crc = crc32Of(m.data, dataSize, crc);
    std::string member = m.name + ".npy";

    RecordBuilder local;
    local.u32(LocalHeaderSig);
    local.u16(20); // version needed: 2.0
    local.u16(0);  // flags
    local.u16(0);  // method: stored
    local.u16(dosTime);
    local.u16(dosDate);
    local.u32(crc);
    local.u32(static_cast<uint32_t>(memberSize));
    local.u32(static_cast<uint32_t>(memberSize));
    local.u16(static_cast<uint32_t>(member.size()));
    local.u16(0); // extra length
    local.bytes += member;
    if (Status s = file.write(local.bytes.data(), local.bytes.size()); !s)
      return s;
    if (Status s = file.write(header.data(), header.size()); !s)
      return s;
    if (Status s = file.write(m.data, dataSize); !s)
      return s;

    central.u32(CentralHeaderSig);
    central.u16((3 << 8) | 20); // made by: Unix, zip 2.0
    central.u16(20);
    central.u16(0);
    central.u16(0);
    central.u16(dosTime);
    central.u16(dosDate);
    central.u32(crc);
    central.u32(static_cast<uint32_t>(memberSize));
    central.u32(static_cast<uint32_t>(memberSize));
    central.u16(static_cast<uint32_t>(member.size()));
    central.u16(0);              // extra length
    central.u16(0);              // comment length
    central.u16(0);              // disk number
    central.u16(0);              // internal attributes
    central.u32(0100644u << 16); // external attributes: regular file 0644
    central.u32(static_cast<uint32_t>(offset));
    central.bytes += member;
  }
  uint64_t cdOffset = file.tell();
  if (cdOffset > limit)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         path + ": parameters exceed the 4 GiB limit of the "
                                ".npz writer");
  RecordBuilder end;
  end.u32(EndOfCentralDirSig);
  end.u16(0);
  end.u16(0);
  end.u16(static_cast<uint32_t>(members.size()));
  end.u16(static_cast<uint32_t>(members.size()));
  end.u32(static_cast<uint32_t>(central.bytes.size()));
  end.u32(static_cast<uint32_t>(cdOffset));
  end.u16(0); // comment length
  if (Status s = file.write(central.bytes.data(), central.bytes.size()); !s)
    return s;
  if (Status s = file.write(end.bytes.data(), end.bytes.size()); !s)
    return s;
  return file.commit();
}
