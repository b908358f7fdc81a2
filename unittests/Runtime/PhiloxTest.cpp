//===- PhiloxTest.cpp - Tests of the reference Philox-4x32-10 -------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Runtime/Philox.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace neurona::philox;

// The philox4x32 10 lines of Random123's kat_vectors (counter, key, result).
TEST(PhiloxTest, MatchesRandom123KnownAnswers) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (Block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                          {0xffffffff, 0xffffffff}),
            (Block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                          {0xa4093822, 0x299f31d0}),
            (Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
  // Usable at compile time.
  static_assert(philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5, "");
}

TEST(PhiloxTest, DrawLaysOutCounterAndKey) {
  // key = seed's words, counter = (index lo, index hi, stream, step).
  EXPECT_EQ(draw(0, 0, 0, 0), philox4x32_10({0, 0, 0, 0}, {0, 0}));
  EXPECT_EQ(draw(0x299f31d0a4093822ull, 0x03707344, 0x13198a2e,
                 0x85a308d3243f6a88ull),
            (Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
  // Every coordinate changes the block.
  Block base = draw(7, 3, 1, 5);
  EXPECT_NE(base, draw(8, 3, 1, 5));
  EXPECT_NE(base, draw(7, 4, 1, 5));
  EXPECT_NE(base, draw(7, 3, 2, 5));
  EXPECT_NE(base, draw(7, 3, 1, 6));
  EXPECT_NE(base, draw(7, 3, 1, 5 + (uint64_t(1) << 32)));
}

TEST(PhiloxTest, UniformUsesTheTop24Bits) {
  EXPECT_EQ(uniform(0), 0.0f);
  EXPECT_EQ(uniform(0xff), 0.0f);
  EXPECT_EQ(uniform(0x100), 0x1p-24f);
  EXPECT_EQ(uniform(0xffffffff), 1.0f - 0x1p-24f);
  EXPECT_EQ(uniform(0x80000000), 0.5f);
}

TEST(PhiloxTest, DropoutKeepsAboutOneMinusRate) {
  const int n = 200000;
  const float rate = 0.3f;
  int kept = 0;
  for (int i = 0; i < n; ++i)
    kept += dropoutKeeps(draw(42, 0, 0, uint64_t(i)), rate);
  // Binomial(n, 0.7): standard deviation sqrt(n * 0.21) ~ 205; 5 sigma.
  EXPECT_NEAR(kept, 0.7 * n, 5 * std::sqrt(n * 0.21));
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(dropoutKeeps(draw(1, 2, 3, uint64_t(i)), 0.0f));
}

TEST(PhiloxTest, NormalHasUnitMoments) {
  const int n = 200000;
  double sum = 0, sumSq = 0;
  for (int i = 0; i < n; ++i) {
    float z = normal(draw(5, 1, 2, uint64_t(i)));
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sumSq += double(z) * z;
  }
  double mean = sum / n, var = sumSq / n - mean * mean;
  // Standard errors: 1/sqrt(n) ~ 0.0022 for the mean, sqrt(2/n) ~ 0.0032
  // for the variance; 5 sigma each.
  EXPECT_NEAR(mean, 0.0, 5 / std::sqrt(double(n)));
  EXPECT_NEAR(var, 1.0, 5 * std::sqrt(2.0 / n));
}
