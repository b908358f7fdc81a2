//===- ShapeInferenceTest.cpp - nn shape rules ----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::nn;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

TEST(Broadcast, NumpyRules) {
  using Shape = SmallVector<int64_t>;
  EXPECT_EQ(broadcastShapes({kDyn, 10}, {10}), Shape({kDyn, 10}));
  EXPECT_EQ(broadcastShapes({kDyn, 1}, {kDyn, 10}), Shape({kDyn, 10}));
  EXPECT_EQ(broadcastShapes({}, {kDyn, 3}), Shape({kDyn, 3}));
  EXPECT_EQ(broadcastShapes({1, 3}, {kDyn, 3}), Shape({kDyn, 3}));
  EXPECT_EQ(broadcastShapes({2, 1, 4}, {3, 1}), Shape({2, 3, 4}));
}

TEST(Broadcast, RejectsMismatches) {
  EXPECT_FALSE(broadcastShapes({kDyn, 4}, {3}));
  // The dynamic batch never unifies with a fixed size other than 1.
  EXPECT_FALSE(broadcastShapes({kDyn, 4}, {1000, 4}));
  EXPECT_FALSE(broadcastShapes({1000, 4}, {kDyn, 4}));
}

TEST(Axes, NormalizeSortsDeduplicatesAndChecksRange) {
  EXPECT_EQ(normalizeAxes({-1, 0, 1}, 2), SmallVector<int64_t>({0, 1}));
  EXPECT_FALSE(normalizeAxes({2}, 2));
  EXPECT_FALSE(normalizeAxes({-3}, 2));
  EXPECT_EQ(normalizeAxis(-1, 3), 2);
  EXPECT_EQ(normalizeAxis(3, 3), -1);
}

TEST(Inference, MatmulTransposes) {
  MLIRContext ctx;
  Type f32 = Float32Type::get(&ctx);
  auto t = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32);
  };
  SmallVector<Type> types;
  ASSERT_TRUE(succeeded(inferMatmul(std::nullopt, t({kDyn, 8}), t({kDyn, 3}),
                                    true, false, false, types)));
  EXPECT_EQ(types.back(), t({8, 3}));
  ASSERT_TRUE(succeeded(inferMatmul(std::nullopt, t({kDyn, 3}), t({4, 3}),
                                    false, true, false, types)));
  EXPECT_EQ(types.back(), t({kDyn, 4}));
  EXPECT_TRUE(failed(inferMatmul(std::nullopt, t({kDyn, 4}), t({5, 3}), false,
                                 false, false, types)));
  EXPECT_TRUE(failed(inferMatmul(std::nullopt, t({3, 50000}), t({kDyn, 4}),
                                 false, false, false, types)));
}

TEST(Inference, MatmulBatches) {
  MLIRContext ctx;
  Type f32 = Float32Type::get(&ctx);
  auto t = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32);
  };
  SmallVector<Type> types;
  // A layer at every step, and numpy's broadcasting of batch dimensions.
  ASSERT_TRUE(succeeded(inferMatmul(std::nullopt, t({kDyn, 9, 8}), t({8, 3}),
                                    false, false, false, types)));
  EXPECT_EQ(types.back(), t({kDyn, 9, 3}));
  ASSERT_TRUE(succeeded(inferMatmul(std::nullopt, t({kDyn, 1, 2, 8}),
                                    t({5, 3, 8}), false, true, false, types)));
  EXPECT_EQ(types.back(), t({kDyn, 5, 2, 3}));
  // batch_reduce sums the batch away; it needs one.
  ASSERT_TRUE(succeeded(inferMatmul(std::nullopt, t({kDyn, 9, 8}),
                                    t({kDyn, 9, 3}), true, false, true, types)));
  EXPECT_EQ(types.back(), t({8, 3}));
  EXPECT_TRUE(failed(inferMatmul(std::nullopt, t({8, 4}), t({4, 3}), false,
                                 false, true, types)));
  EXPECT_TRUE(failed(inferMatmul(std::nullopt, t({2, 3, 4}), t({5, 4, 3}),
                                 false, false, false, types)));
  EXPECT_TRUE(failed(inferMatmul(std::nullopt, t({4}), t({4, 3}), false, false,
                                 false, types)));
}

TEST(Inference, ReductionsKeepOrDropAxes) {
  MLIRContext ctx;
  auto in = RankedTensorType::get({kDyn, 10}, Float32Type::get(&ctx));
  SmallVector<Type> types;
  ASSERT_TRUE(succeeded(inferReduce(std::nullopt, in, {1}, true, types)));
  EXPECT_EQ(cast<RankedTensorType>(types.back()).getShape(),
            ArrayRef<int64_t>({kDyn, 1}));
  ASSERT_TRUE(succeeded(inferReduce(std::nullopt, in, {0}, false, types)));
  EXPECT_EQ(cast<RankedTensorType>(types.back()).getShape(),
            ArrayRef<int64_t>({10}));
  EXPECT_TRUE(failed(inferReduce(std::nullopt, in, {}, false, types)));
}

TEST(Inference, TransposePermutes) {
  MLIRContext ctx;
  Type f32 = Float32Type::get(&ctx);
  auto t = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, f32);
  };
  SmallVector<Type> types;
  ASSERT_TRUE(succeeded(
      inferTranspose(std::nullopt, t({kDyn, 2, 3, 4}), {0, 3, 1, 2}, types)));
  EXPECT_EQ(types.back(), t({kDyn, 4, 2, 3}));
  EXPECT_TRUE(
      failed(inferTranspose(std::nullopt, t({kDyn, 2}), {1, 0}, types)));
  EXPECT_TRUE(failed(inferTranspose(std::nullopt, t({2, 3}), {0, 0}, types)));
  EXPECT_TRUE(failed(inferTranspose(std::nullopt, t({2, 3}), {0}, types)));
}

TEST(Inference, SliceLengths) {
  // ceil((end - start) / step), counting down for a negative step.
  EXPECT_EQ(sliceLength(1, 6, 2), 3);
  EXPECT_EQ(sliceLength(0, 7, 3), 3);
  EXPECT_EQ(sliceLength(5, -1, -2), 3);
  EXPECT_EQ(sliceLength(4, -1, -3), 2);
  EXPECT_EQ(sliceLength(3, 3, 1), 0);
  EXPECT_EQ(sliceLength(3, 1, 1), 0);

  MLIRContext ctx;
  auto in = RankedTensorType::get({kDyn, 10}, Float32Type::get(&ctx));
  SmallVector<Type> types;
  ASSERT_TRUE(
      succeeded(inferSlice(std::nullopt, in, {-1}, {9}, {-1}, {-4}, types)));
  EXPECT_EQ(cast<RankedTensorType>(types.back()).getShape(),
            ArrayRef<int64_t>({kDyn, 3}));
  EXPECT_TRUE(failed(inferSlice(std::nullopt, in, {0}, {0}, {1}, {}, types)));
  EXPECT_TRUE(failed(inferSlice(std::nullopt, in, {1}, {0}, {11}, {}, types)));
}

} // namespace
