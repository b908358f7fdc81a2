//===- NPYTest.cpp - Tests of .npy / .npz reading and writing -------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "neurona/Runtime/EntryIO.h"
#include "neurona/Runtime/FileIO.h"
#include "neurona/Runtime/Half.h"
#include "neurona/Runtime/NPY.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <sys/stat.h>
#include <zlib.h>

using namespace neurona;
using namespace neurona::test;

static std::string readAll(const std::string &path) {
  std::string bytes;
  Status s = readFile(path, bytes);
  EXPECT_TRUE(s.ok()) << s.getMessage();
  return bytes;
}

/// A .npy image with a hand-written header dict, padded like numpy does.
static std::string npyWithHeader(const std::string &dict,
                                 const std::string &data, int major = 1) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(major);
  out += '\0';
  out += char(header.size() & 0xff);
  out += char((header.size() >> 8) & 0xff);
  if (major != 1) {
    out += '\0';
    out += '\0';
  }
  return out + header + data;
}

template <typename T>
static void roundTrip(nr_dtype dtype, std::vector<int64_t> shape,
                      std::vector<T> values) {
  TempDir dir;
  std::string path = dir.path("a.npy");
  Status s = writeNpy(path, dtype, shape.data(), shape.size(), values.data());
  ASSERT_TRUE(s.ok()) << s.getMessage();
  std::string bytes = readAll(path);
  // numpy aligns the data start to 64 bytes.
  uint16_t headerLen = uint16_t(uint8_t(bytes[8]) | uint8_t(bytes[9]) << 8);
  EXPECT_EQ((10 + headerLen) % 64, 0);
  NpyArray a;
  s = readNpy(path, a);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  EXPECT_EQ(a.dtype, dtype);
  EXPECT_EQ(a.shape, shape);
  ASSERT_EQ(a.numBytes(), values.size() * sizeof(T));
  if (!values.empty()) {
    EXPECT_EQ(std::memcmp(a.data.data(), values.data(), a.numBytes()), 0);
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data.data()) % 64, 0u);
}

TEST(NPYTest, RoundTripsEveryDType) {
  roundTrip<float>(NR_F32, {2, 3}, {1, 2, 3, 4, 5, -6.5f});
  roundTrip<double>(NR_F64, {3}, {1e300, -2, 3.25});
  roundTrip<int32_t>(NR_I32, {1, 2, 2}, {1, -2, 3, 2147483647});
  roundTrip<int64_t>(NR_I64, {2}, {-(int64_t(1) << 62), 7});
  roundTrip<uint8_t>(NR_U8, {4}, {0, 1, 254, 255});
  roundTrip<uint8_t>(NR_BOOL, {2, 2}, {0, 1, 1, 0});
  roundTrip<int8_t>(NR_I8, {3}, {-128, 0, 127});
  roundTrip<int16_t>(NR_I16, {2}, {-32768, 32767});
  roundTrip<uint16_t>(NR_U16, {2}, {0, 65535});
  roundTrip<uint32_t>(NR_U32, {2}, {0, 4294967295u});
  roundTrip<uint64_t>(NR_U64, {2}, {0, 18446744073709551615ull});
  roundTrip<uint16_t>(NR_F16, {3}, {0x3c00, 0x7c00, 0x0001});
  roundTrip<uint16_t>(NR_BF16, {2}, {0x3f80, 0xff80});
  roundTrip<float>(NR_F32, {}, {42});
  roundTrip<float>(NR_F32, {0, 3}, {});
}

TEST(NPYTest, WritesTheHeaderNumpyWrites) {
  std::string header;
  int64_t shape1[] = {3};
  ASSERT_TRUE(npyHeader(NR_F32, shape1, 1, header).ok());
  EXPECT_NE(header.find("{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (3,), }"),
            std::string::npos);
  int64_t shape2[] = {2, 5};
  ASSERT_TRUE(npyHeader(NR_I64, shape2, 2, header).ok());
  EXPECT_NE(header.find("'shape': (2, 5), }"), std::string::npos);
  // numpy's descrs of the integer types.
  for (auto [dtype, descr] :
       {std::pair{NR_I8, "'|i1'"}, std::pair{NR_I16, "'<i2'"},
        std::pair{NR_U16, "'<u2'"}, std::pair{NR_U32, "'<u4'"},
        std::pair{NR_U64, "'<u8'"}, std::pair{NR_F16, "'<f2'"},
        std::pair{NR_BF16, "'<V2'"}}) {
    ASSERT_TRUE(npyHeader(dtype, shape1, 1, header).ok());
    EXPECT_NE(header.find(std::string("'descr': ") + descr),
              std::string::npos)
        << header;
  }
  ASSERT_TRUE(npyHeader(NR_U8, nullptr, 0, header).ok());
  EXPECT_NE(header.find("'descr': '|u1'"), std::string::npos);
  EXPECT_NE(header.find("'shape': (), }"), std::string::npos);
  EXPECT_EQ(header.back(), '\n');
}

TEST(NPYTest, ParsesHeaderVariants) {
  float v[2] = {1.5f, 2.5f};
  std::string data(reinterpret_cast<char *>(v), sizeof(v));
  for (const char *dict :
       {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
        "{\"shape\": (2,), \"descr\": \"<f4\", \"fortran_order\": False}",
        "{'descr':'<f4','fortran_order':True,'shape':(2,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }"}) {
    NpyArray a;
    std::string bytes = npyWithHeader(dict, data);
    Status s = parseNpy(bytes.data(), bytes.size(), "t.npy", a);
    ASSERT_TRUE(s.ok()) << dict << ": " << s.getMessage();
    EXPECT_EQ(a.numElements(), 2);
    EXPECT_EQ(static_cast<float *>(a.data.data())[1], 2.5f);
  }
  NpyArray a;
  std::string v2 = npyWithHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data, 2);
  EXPECT_TRUE(parseNpy(v2.data(), v2.size(), "v2.npy", a).ok());
  std::string v3 = npyWithHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data, 3);
  EXPECT_TRUE(parseNpy(v3.data(), v3.size(), "v3.npy", a).ok());
}

TEST(NPYTest, BoolsAreOneByteZeroOrOne) {
  std::string header;
  int64_t shape[] = {3};
  ASSERT_TRUE(npyHeader(NR_BOOL, shape, 1, header).ok());
  EXPECT_NE(header.find("'descr': '|b1'"), std::string::npos);
  // A compiled model reads one bit of each byte: other bytes are refused.
  std::string bytes = npyWithHeader(
      "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
      std::string("\x01\x00\x02", 3));
  NpyArray a;
  Status s = parseNpy(bytes.data(), bytes.size(), "b.npy", a);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.getMessage().find("bool element 2 is the byte 2; bools must be "
                                "0 or 1"),
            std::string::npos)
      << s.getMessage();
}

TEST(NPYTest, RejectsBadFilesWithClearMessages) {
  std::string eight(8, '\0');
  struct Case {
    std::string bytes;
    const char *expected;
  } cases[] = {
      {"not numpy at all", "bad.npy: not a .npy file (bad magic)"},
      {"\x93NUMPY", "not a .npy file"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': "
                     "(2,), }",
                     "1234"),
       "truncated data: shape [2] of <f4 needs 8 bytes, 4 present"},
      {npyWithHeader("{'descr': '>f4', 'fortran_order': False, 'shape': "
                     "(2,), }",
                     eight),
       "big-endian"},
      {npyWithHeader("{'descr': '<c8', 'fortran_order': False, 'shape': "
                     "(1,), }",
                     eight),
       "unsupported dtype '<c8'"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': "
                     "(1, 2), }",
                     eight),
       "Fortran-order"},
      {npyWithHeader("{'descr': '<f4', 'shape': (2,), }", eight),
       "missing key"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': "
                     "(2,), 'extra': 1}",
                     eight),
       "unexpected key 'extra'"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': "
                     "(-2,), }",
                     eight),
       "expected a non-negative integer"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': "
                     "(4611686018427387904, 4611686018427387904), }",
                     eight),
       "too large"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': maybe, 'shape': "
                     "(2,), }",
                     eight),
       "expected True or False"},
      {npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': "
                     "(2,), ",
                     eight),
       "malformed header"},
      {std::string("\x93NUMPY\x07\x00\x10\x00", 10) + eight,
       "unsupported .npy version 7.0"},
      {std::string("\x93NUMPY\x01\x00\xff\xff", 10) + eight,
       "truncated header"},
  };
  for (const Case &c : cases) {
    NpyArray a;
    Status s = parseNpy(c.bytes.data(), c.bytes.size(), "bad.npy", a);
    ASSERT_FALSE(s.ok()) << c.expected;
    EXPECT_EQ(s.getCode(), NR_ERROR_FORMAT);
    EXPECT_NE(s.getMessage().find(c.expected), std::string::npos)
        << "expected '" << c.expected << "' in: " << s.getMessage();
    EXPECT_EQ(s.getMessage().rfind("bad.npy", 0), 0u) << s.getMessage();
  }
}

TEST(NPYTest, MissingFileIsAnIOError) {
  NpyArray a;
  Status s = readNpy("/nonexistent/dir/x.npy", a);
  EXPECT_EQ(s.getCode(), NR_ERROR_IO);
  EXPECT_NE(s.getMessage().find("/nonexistent/dir/x.npy"), std::string::npos);
}

TEST(NPYTest, SurvivesRandomCorruption) {
  std::string header;
  int64_t shape[] = {4, 4};
  ASSERT_TRUE(npyHeader(NR_F64, shape, 2, header).ok());
  std::string good = header + std::string(16 * 8, '\1');
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string bytes = good;
    for (int e = 0; e < 3; ++e)
      bytes[rng() % 128] = char(rng() % 256);
    bytes.resize(rng() % (bytes.size() + 1));
    NpyArray a;
    Status s = parseNpy(bytes.data(), bytes.size(), "fuzz.npy", a);
    if (s.ok()) {
      EXPECT_LE(a.numBytes(), bytes.size());
    }
  }
}

//===----------------------------------------------------------------------===//
// .npz
//===----------------------------------------------------------------------===//

TEST(NPZTest, RoundTripsParameters) {
  TempDir dir;
  std::string path = dir.path("p.npz");
  float w[6] = {1, 2, 3, 4, 5, 6};
  int64_t step = 17;
  std::vector<NpzMember> members = {
      {"dense.weight", NR_F32, {2, 3}, w},
      {"step", NR_I64, {}, &step},
  };
  Status s = writeNpz(path, members);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  std::vector<NpzEntry> entries;
  s = readNpz(path, entries);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "dense.weight");
  EXPECT_EQ(entries[0].array.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(entries[0].array.data.data(), w, sizeof(w)), 0);
  EXPECT_EQ(entries[1].name, "step");
  EXPECT_EQ(*static_cast<int64_t *>(entries[1].array.data.data()), 17);
  // The same parameters give the same bytes (no timestamps).
  std::string again = dir.path("q.npz");
  ASSERT_TRUE(writeNpz(again, members).ok());
  EXPECT_EQ(readAll(path), readAll(again));
  // No temporary files are left behind.
  std::string listing = dir.path("listing");
  ASSERT_EQ(
      std::system(("ls -A '" + dir.root() + "' > '" + listing + "'").c_str()),
      0);
  EXPECT_EQ(readAll(listing), "listing\np.npz\nq.npz\n");
}

TEST(NPZTest, RejectsDuplicateNames) {
  TempDir dir;
  float v = 1;
  Status s = writeNpz(dir.path("d.npz"),
                      {{"a", NR_F32, {}, &v}, {"a", NR_F32, {}, &v}});
  EXPECT_EQ(s.getCode(), NR_ERROR_INVALID_ARGUMENT);
}

TEST(NPZTest, AtomicWriteKeepsTheOldFileOnFailure) {
  TempDir dir;
  std::string path = dir.path("keep.npz");
  float v = 1;
  ASSERT_TRUE(writeNpz(path, {{"a", NR_F32, {}, &v}}).ok());
  std::string before = readAll(path);
  // A negative dimension fails in the middle of writing.
  Status s = writeNpz(path, {{"a", NR_F32, {}, &v}, {"b", NR_F32, {-1}, &v}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(readAll(path), before);
  // And writing into a missing directory is an I/O error naming the path.
  s = writeNpz(dir.path("missing/x.npz"), {{"a", NR_F32, {}, &v}});
  EXPECT_EQ(s.getCode(), NR_ERROR_IO);
  EXPECT_NE(s.getMessage().find("missing/x.npz"), std::string::npos);
}

namespace {
/// Builds zip archives by hand, for members the writer never produces
/// (deflated, ZIP64 extras as numpy.savez writes them, broken ones).
struct ZipBuilder {
  std::string bytes, central;
  int count = 0;

  static void u16(std::string &s, uint32_t v) {
    s += char(v & 0xff);
    s += char((v >> 8) & 0xff);
  }
  static void u32(std::string &s, uint32_t v) {
    u16(s, v & 0xffff);
    u16(s, v >> 16);
  }
  static void u64(std::string &s, uint64_t v) {
    u32(s, uint32_t(v));
    u32(s, uint32_t(v >> 32));
  }

  void add(const std::string &name, const std::string &content,
           bool compress = false, bool zip64 = false) {
    uint32_t crc =
        uint32_t(crc32(0, reinterpret_cast<const Bytef *>(content.data()),
                       uInt(content.size())));
    std::string stored = content;
    if (compress) {
      z_stream zs{};
      deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
      std::string out(deflateBound(&zs, uLong(content.size())), '\0');
      zs.next_in =
          reinterpret_cast<Bytef *>(const_cast<char *>(content.data()));
      zs.avail_in = uInt(content.size());
      zs.next_out = reinterpret_cast<Bytef *>(&out[0]);
      zs.avail_out = uInt(out.size());
      ::deflate(&zs, Z_FINISH);
      out.resize(zs.total_out);
      deflateEnd(&zs);
      stored = out;
    }
    uint32_t offset = uint32_t(bytes.size());
    std::string extra;
    if (zip64) {
      u16(extra, 1);
      u16(extra, 16);
      u64(extra, content.size());
      u64(extra, stored.size());
    }
    u32(bytes, 0x04034b50);
    u16(bytes, zip64 ? 45 : 20);
    u16(bytes, 0);
    u16(bytes, compress ? 8 : 0);
    u32(bytes, 0);
    u32(bytes, crc);
    u32(bytes, zip64 ? 0xffffffff : uint32_t(stored.size()));
    u32(bytes, zip64 ? 0xffffffff : uint32_t(content.size()));
    u16(bytes, uint32_t(name.size()));
    u16(bytes, uint32_t(extra.size()));
    bytes += name + extra + stored;

    u32(central, 0x02014b50);
    u16(central, 45);
    u16(central, zip64 ? 45 : 20);
    u16(central, 0);
    u16(central, compress ? 8 : 0);
    u32(central, 0);
    u32(central, crc);
    u32(central, zip64 ? 0xffffffff : uint32_t(stored.size()));
    u32(central, zip64 ? 0xffffffff : uint32_t(content.size()));
    u16(central, uint32_t(name.size()));
    u16(central, uint32_t(extra.size()));
    u16(central, 0);
    u16(central, 0);
    u16(central, 0);
    u32(central, 0);
    u32(central, offset);
    central += name + extra;
    ++count;
  }

  std::string finish() {
    std::string out = bytes + central;
    u32(out, 0x06054b50);
    u16(out, 0);
    u16(out, 0);
    u16(out, uint32_t(count));
    u16(out, uint32_t(count));
    u32(out, uint32_t(central.size()));
    u32(out, uint32_t(bytes.size()));
    u16(out, 0);
    return out;
  }
};

std::string smallNpy(float value) {
  std::string header;
  int64_t shape[] = {1};
  EXPECT_TRUE(npyHeader(NR_F32, shape, 1, header).ok());
  return header + std::string(reinterpret_cast<char *>(&value), 4);
}
} // namespace

TEST(NPZTest, ReadsDeflatedAndZip64Members) {
  TempDir dir;
  ZipBuilder zip;
  zip.add("a.npy", smallNpy(1.5f), /*compress=*/true);
  zip.add("b.npy", smallNpy(2.5f), /*compress=*/false, /*zip64=*/true);
  zip.add("c.npy", smallNpy(3.5f), /*compress=*/true, /*zip64=*/true);
  std::string path = dir.path("z.npz");
  writeBytes(path, zip.finish());
  std::vector<NpzEntry> entries;
  Status s = readNpz(path, entries);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(*static_cast<float *>(entries[0].array.data.data()), 1.5f);
  EXPECT_EQ(*static_cast<float *>(entries[1].array.data.data()), 2.5f);
  EXPECT_EQ(*static_cast<float *>(entries[2].array.data.data()), 3.5f);
}

TEST(NPZTest, RejectsCorruptedArchives) {
  TempDir dir;
  std::string path = dir.path("p.npz");
  float v[4] = {1, 2, 3, 4};
  ASSERT_TRUE(writeNpz(path, {{"w", NR_F32, {4}, v}}).ok());
  std::string good = readAll(path);

  auto expectError = [&](const std::string &bytes, const char *expected) {
    std::string bad = dir.path("bad.npz");
    writeBytes(bad, bytes);
    std::vector<NpzEntry> entries;
    Status s = readNpz(bad, entries);
    ASSERT_FALSE(s.ok()) << expected;
    EXPECT_EQ(s.getCode(), NR_ERROR_FORMAT);
    EXPECT_NE(s.getMessage().find(expected), std::string::npos)
        << "expected '" << expected << "' in: " << s.getMessage();
    EXPECT_NE(s.getMessage().find("bad.npz"), std::string::npos);
  };
  // Flip a data byte: the CRC catches it.
  std::string flipped = good;
  size_t dataAt = good.find(std::string(reinterpret_cast<char *>(v), 16));
  ASSERT_NE(dataAt, std::string::npos);
  flipped[dataAt + 5] ^= 0x40;
  expectError(flipped, "CRC-32 mismatch in member 'w.npy'");
  expectError(good.substr(0, good.size() - 10), "end-of-central-directory");
  expectError(good.substr(0, 40), "end-of-central-directory");
  expectError("hello world, this is not a zip file at all", "no zip signature");
  expectError("", "end-of-central-directory");

  ZipBuilder notNpy;
  notNpy.add("readme.txt", "hi");
  expectError(notNpy.finish(), "member 'readme.txt' is not a .npy file");
  ZipBuilder dup;
  dup.add("a.npy", smallNpy(1));
  dup.add("a.npy", smallNpy(2));
  expectError(dup.finish(), "duplicate member 'a.npy'");
  ZipBuilder badNpy;
  badNpy.add("a.npy", "\x93NUMPY garbage");
  expectError(badNpy.finish(), "member 'a.npy'");
}

TEST(NPZTest, SurvivesRandomCorruption) {
  TempDir dir;
  std::string path = dir.path("p.npz");
  float v[8] = {};
  double d[3] = {1, 2, 3};
  ASSERT_TRUE(
      writeNpz(path, {{"w", NR_F32, {2, 4}, v}, {"b", NR_F64, {3}, d}}).ok());
  std::string good = readAll(path);
  ZipBuilder deflated;
  deflated.add("w.npy", smallNpy(3), true);
  std::string goodDeflated = deflated.finish();
  std::mt19937 rng(99);
  std::string bad = dir.path("fuzz.npz");
  for (int i = 0; i < 1500; ++i) {
    std::string bytes = i % 2 ? good : goodDeflated;
    for (int e = 0; e < 4; ++e)
      bytes[rng() % bytes.size()] = char(rng() % 256);
    if (rng() % 4 == 0)
      bytes.resize(rng() % bytes.size());
    writeBytes(bad, bytes);
    std::vector<NpzEntry> entries;
    (void)readNpz(bad, entries); // must not crash
  }
}

// The runtime's f16 conversions against the compiler's _Float16 (GCC and
// Clang on x86-64 and AArch64 round to nearest even, IEEE 754): every
// binary16 pattern widened, and a spread of float patterns narrowed.
#ifdef __FLT16_MANT_DIG__
TEST(HalfTest, MatchesTheCompilersFloat16) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    _Float16 h;
    uint16_t pattern = uint16_t(bits);
    std::memcpy(&h, &pattern, sizeof h);
    float want = float(h), got = halfToFloat(pattern);
    if (std::isnan(want))
      EXPECT_TRUE(std::isnan(got)) << bits;
    else
      EXPECT_EQ(floatBits(got), floatBits(want)) << bits;
  }
  auto check = [](uint32_t bits) {
    float f = floatFromBits(bits);
    _Float16 h = _Float16(f);
    uint16_t want;
    std::memcpy(&want, &h, sizeof want);
    uint16_t got = floatToHalf(f);
    if (std::isnan(f))
      EXPECT_TRUE((got & 0x7c00) == 0x7c00 && (got & 0x3ff)) << bits;
    else
      EXPECT_EQ(got, want) << std::hex << bits;
  };
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 0xfff)
    check(uint32_t(bits));
  // Ties and their neighbours around every binade of binary16, subnormal
  // ones included, and the overflow threshold 65520.
  for (uint32_t e = 100; e < 145; ++e)
    for (uint32_t m :
         {0x1000u, 0x0fffu, 0x1001u, 0x3000u, 0x7fefffu, 0x7ff000u, 0x7fffffu})
      for (uint32_t sign : {0u, 0x80000000u})
        check(sign | (e << 23) | m);
}
#endif

// bfloat16 narrowing against the definition: the nearer of the two
// bfloat16 values around x, the even one on a tie, computed in double.
TEST(HalfTest, RoundsToTheNearestBfloat16) {
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 0x3fff) {
    float f = floatFromBits(uint32_t(bits));
    uint16_t got = floatToBfloat16(f);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bfloat16ToFloat(got))) << bits;
      continue;
    }
    uint16_t low = uint16_t(bits >> 16), high = uint16_t(low + 1);
    double x = std::fabs(double(f));
    double dl = x - std::fabs(double(bfloat16ToFloat(low)));
    // Past the largest finite value, `high` is infinity: the rounding
    // point is halfway to 2^128.
    double dh = (high & 0x7fff) == 0x7f80
                    ? std::ldexp(1.0, 128) - x
                    : std::fabs(double(bfloat16ToFloat(high))) - x;
    uint16_t want = dl == 0 || dl < dh || (dl == dh && !(low & 1)) ? low : high;
    EXPECT_EQ(got, want) << std::hex << bits;
  }
  EXPECT_EQ(bfloat16ToFloat(floatToBfloat16(1.0f + 0x1p-8f)), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(floatToBfloat16(1.0f + 0x3p-8f)), 1.0f + 0x1p-6f);
  EXPECT_TRUE(std::isinf(bfloat16ToFloat(floatToBfloat16(3.4e38f))));
}

// neurona run's conversions: f16/bf16 widen to f32 and f64, f32 narrows
// to them; nothing else converts to or from them.
TEST(HalfTest, ConvertsArraysOnlyBetweenFloats) {
  NpyArray a;
  a.dtype = NR_F32;
  a.shape = {3};
  a.data = AlignedBuffer(12);
  float values[] = {1.0f + 0x1p-11f, -65520.0f, 0.5f};
  std::memcpy(a.data.data(), values, sizeof values);
  ASSERT_TRUE(convertArray(a, NR_F16));
  const auto *h = static_cast<const uint16_t *>(a.data.data());
  EXPECT_EQ(h[0], 0x3c00); // a tie, to even
  EXPECT_EQ(h[1], 0xfc00); // overflow to -infinity
  EXPECT_EQ(h[2], 0x3800);
  ASSERT_TRUE(convertArray(a, NR_F64));
  EXPECT_EQ(static_cast<const double *>(a.data.data())[2], 0.5);
  EXPECT_FALSE(convertArray(a, NR_BF16)); // from f64: would round twice
  NpyArray b;
  b.dtype = NR_BF16;
  b.shape = {1};
  b.data = AlignedBuffer(2);
  uint16_t minusTwo = 0xc000;
  std::memcpy(b.data.data(), &minusTwo, 2);
  EXPECT_FALSE(convertArray(b, NR_I64));
  ASSERT_TRUE(convertArray(b, NR_F32));
  EXPECT_EQ(static_cast<const float *>(b.data.data())[0], -2.0f);
}
