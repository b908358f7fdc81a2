//===- DatasetTest.cpp - Tests of the IDX and .npy dataset readers --------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "neurona/Data/Dataset.h"
#include "neurona/Runtime/NPY.h"

#include "gtest/gtest.h"

#include <zlib.h>

using namespace neurona;
using namespace neurona::data;
using namespace neurona::test;

namespace {
std::string be32(uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8)
    s += char((v >> shift) & 0xff);
  return s;
}

/// An IDX image file of `count` images of rows x cols with pixel (i, p) =
/// (i * 7 + p) % 256.
std::string idxImages(uint32_t count, uint32_t rows, uint32_t cols) {
  std::string s = be32(2051) + be32(count) + be32(rows) + be32(cols);
  for (uint32_t i = 0; i < count; ++i)
    for (uint32_t p = 0; p < rows * cols; ++p)
      s += char((i * 7 + p) % 256);
  return s;
}

std::string idxLabels(uint32_t count) {
  std::string s = be32(2049) + be32(count);
  for (uint32_t i = 0; i < count; ++i)
    s += char(i % 10);
  return s;
}

std::string gzip(const std::string &data) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef *>(&out[0]);
  zs.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}
} // namespace

TEST(DatasetTest, LoadsRawAndGzippedIdx) {
  TempDir dir;
  writeBytes(dir.path("img"), idxImages(5, 4, 3));
  writeBytes(dir.path("lbl"), idxLabels(5));
  writeBytes(dir.path("img.gz"), gzip(idxImages(5, 4, 3)));
  writeBytes(dir.path("lbl.gz"), gzip(idxLabels(5)));
  for (const char *suffix : {"", ".gz"}) {
    Dataset ds;
    Status s = loadIdx(dir.path(std::string("img") + suffix),
                       dir.path(std::string("lbl") + suffix), true, ds);
    ASSERT_TRUE(s.ok()) << s.getMessage();
    EXPECT_EQ(ds.numSamples, 5);
    EXPECT_EQ(ds.featureShape, (std::vector<int64_t>{12}));
    EXPECT_EQ(ds.targetKind, TargetKind::Labels);
    EXPECT_EQ(ds.labels, (std::vector<int64_t>{0, 1, 2, 3, 4}));
    EXPECT_FLOAT_EQ(ds.sampleFeatures(2)[5], float(2 * 7 + 5) / 255.0f);
    EXPECT_TRUE(ds.validate().ok());
  }
  Dataset ds;
  ASSERT_TRUE(loadIdx(dir.path("img"), dir.path("lbl"), false, ds).ok());
  EXPECT_EQ(ds.featureShape, (std::vector<int64_t>{4, 3}));
  // Pixels are scaled to [0, 1].
  std::string white =
      be32(2051) + be32(1) + be32(1) + be32(2) + std::string("\xff\x00", 2);
  writeBytes(dir.path("white"), white);
  writeBytes(dir.path("one"), idxLabels(1));
  ASSERT_TRUE(loadIdx(dir.path("white"), dir.path("one"), true, ds).ok());
  EXPECT_EQ(ds.features, (std::vector<float>{1.0f, 0.0f}));
}

TEST(DatasetTest, ConcatenatedGzipMembersAreJoined) {
  TempDir dir;
  std::string images = idxImages(3, 2, 2);
  writeBytes(dir.path("img.gz"),
             gzip(images.substr(0, 10)) + gzip(images.substr(10)));
  std::string out;
  ASSERT_TRUE(readMaybeGzip(dir.path("img.gz"), out).ok());
  EXPECT_EQ(out, images);
}

TEST(DatasetTest, ReportsBrokenIdxFiles) {
  TempDir dir;
  writeBytes(dir.path("lbl"), idxLabels(5));
  auto expectError = [&](const std::string &images, const char *expected) {
    writeBytes(dir.path("bad-images"), images);
    Dataset ds;
    Status s = loadIdx(dir.path("bad-images"), dir.path("lbl"), true, ds);
    ASSERT_FALSE(s.ok()) << expected;
    EXPECT_EQ(s.getCode(), NR_ERROR_FORMAT);
    EXPECT_TRUE(contains(s.getMessage(), expected))
        << "expected '" << expected << "' in: " << s.getMessage();
    EXPECT_TRUE(contains(s.getMessage(), "bad-images")) << s.getMessage();
  };
  std::string good = idxImages(5, 4, 3);
  expectError(idxLabels(5), "bad magic number 0x00000801 (2049), expected "
                            "2051 for an IDX image file; this is an IDX "
                            "label file");
  expectError(be32(0x12345678) + good.substr(4), "bad magic number 0x12345678");
  expectError(good.substr(0, good.size() - 7),
              "truncated file: the header promises 60 bytes of data (5 "
              "images), only 53 present");
  expectError(good.substr(0, 10), "truncated header");
  expectError(good + "xx", "2 unexpected bytes after the data");
  expectError("", "not an IDX image or .npy file");
  std::string gz = gzip(good);
  expectError(gz.substr(0, gz.size() / 2), "truncated gzip file");
  std::string corrupt = gz;
  corrupt[12] ^= 0x55;
  corrupt[13] ^= 0x55;
  writeBytes(dir.path("bad-images"), corrupt);
  Dataset ds;
  Status s = loadIdx(dir.path("bad-images"), dir.path("lbl"), true, ds);
  EXPECT_FALSE(s.ok());

  // Count mismatch between images and labels names both files.
  writeBytes(dir.path("img"), good);
  writeBytes(dir.path("lbl4"), idxLabels(4));
  s = loadIdx(dir.path("img"), dir.path("lbl4"), true, ds);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(
      contains(s.getMessage(), "sample count mismatch: " + dir.path("img") +
                                   " has 5 samples "
                                   "but " +
                                   dir.path("lbl4") + " has 4"))
      << s.getMessage();
  // Labels given where images are expected and vice versa.
  s = loadIdx(dir.path("img"), dir.path("img"), true, ds);
  EXPECT_TRUE(contains(s.getMessage(), "expected 2049")) << s.getMessage();
  // Missing file.
  s = loadIdx(dir.path("nope"), dir.path("lbl"), true, ds);
  EXPECT_EQ(s.getCode(), NR_ERROR_IO);
  EXPECT_TRUE(contains(s.getMessage(), dir.path("nope"))) << s.getMessage();
}

TEST(DatasetTest, LoadsNpyDatasets) {
  TempDir dir;
  uint8_t pixels[2 * 2 * 2] = {0, 255, 51, 102, 0, 0, 0, 255};
  int64_t pShape[3] = {2, 2, 2};
  ASSERT_TRUE(writeNpy(dir.path("x.npy"), NR_U8, pShape, 3, pixels).ok());
  int32_t labels[2] = {3, 1};
  int64_t lShape[1] = {2};
  ASSERT_TRUE(writeNpy(dir.path("y.npy"), NR_I32, lShape, 1, labels).ok());
  Dataset ds;
  Status s = loadNpy(dir.path("x.npy"), dir.path("y.npy"), ds);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  EXPECT_EQ(ds.numSamples, 2);
  EXPECT_EQ(ds.featureShape, (std::vector<int64_t>{2, 2}));
  EXPECT_FLOAT_EQ(ds.features[1], 1.0f);
  EXPECT_FLOAT_EQ(ds.features[2], 0.2f);
  EXPECT_EQ(ds.labels, (std::vector<int64_t>{3, 1}));

  double x64[3 * 2] = {1, 2, 3, 4, 5, 6};
  int64_t xShape[2] = {3, 2};
  ASSERT_TRUE(writeNpy(dir.path("x64.npy"), NR_F64, xShape, 2, x64).ok());
  float t[3] = {0.5f, 1.5f, 2.5f};
  int64_t tShape[2] = {3, 1};
  ASSERT_TRUE(writeNpy(dir.path("t.npy"), NR_F32, tShape, 2, t).ok());
  s = loadDataset(dir.path("x64.npy"), dir.path("t.npy"), true, ds);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  EXPECT_EQ(ds.targetKind, TargetKind::Values);
  EXPECT_EQ(ds.targetShape, (std::vector<int64_t>{1}));
  EXPECT_EQ(ds.features[5], 6.0f);
  EXPECT_EQ(ds.targets[2], 2.5f);

  // Mixed formats through loadDataset: IDX images, .npy labels.
  writeBytes(dir.path("img"), idxImages(2, 2, 2));
  s = loadDataset(dir.path("img"), dir.path("y.npy"), true, ds);
  ASSERT_TRUE(s.ok()) << s.getMessage();
  EXPECT_EQ(ds.featureShape, (std::vector<int64_t>{4}));

  // Errors: count mismatch, scalar features, IDX passed to loadNpy.
  s = loadNpy(dir.path("x64.npy"), dir.path("y.npy"), ds);
  EXPECT_TRUE(contains(s.getMessage(), "sample count mismatch"))
      << s.getMessage();
  float scalar = 1;
  ASSERT_TRUE(writeNpy(dir.path("s.npy"), NR_F32, nullptr, 0, &scalar).ok());
  s = loadNpy(dir.path("s.npy"), dir.path("y.npy"), ds);
  EXPECT_TRUE(contains(s.getMessage(), "got a scalar")) << s.getMessage();
  s = loadNpy(dir.path("img"), dir.path("y.npy"), ds);
  EXPECT_TRUE(contains(s.getMessage(), "not a .npy file")) << s.getMessage();
}
