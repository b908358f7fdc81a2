//===- Random.cpp - the random ops to linalg (Philox-4x32-10) -------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Each random op in training mode becomes one `linalg.generic` whose body
// computes the Philox-4x32-10 block of its element from
//   key     = (seed low word, seed high word),
//   counter = (index low word, index high word, stream, step low word),
// where `index` is the element's row-major position in the result, so a
// value depends on nothing but (seed, step, stream, index): not on threads,
// tiles or the order of the loops. include/neurona/Runtime/Philox.h is the
// reference this code must match. In inference mode (no rng) dropout and
// gaussian_noise are their input, random_normal is zeros and random_uniform
// is 0.5.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

#include <array>
#include <cmath>

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
constexpr int kRounds = 10;

using Block = std::array<Value, 4>;

Value i32(OpBuilder &b, Location l, uint32_t v) {
  return arith::ConstantOp::create(b, l, b.getI32IntegerAttr(int32_t(v)));
}

/// Low and high 32-bit words of an i64.
std::pair<Value, Value> splitWords(OpBuilder &b, Location l, Value v) {
  Value lo = arith::TruncIOp::create(b, l, b.getI32Type(), v);
  Value shifted = arith::ShRUIOp::create(
      b, l, v, arith::ConstantOp::create(b, l, b.getI64IntegerAttr(32)));
  Value hi = arith::TruncIOp::create(b, l, b.getI32Type(), shifted);
  return {lo, hi};
}

/// What every element of one op's draw shares, computed before its loop:
/// the round keys, the counter's stream and step words, and the strides that
/// turn loop indices into the row-major element index.
struct Draw {
  SmallVector<std::pair<Value, Value>> keys; // one per round
  Value stream, step;
  SmallVector<Value> strides; // index-typed, one per dimension
};

Draw prepareDraw(OpBuilder &b, Location l, Value rng, uint32_t stream,
                 Value shaped) {
  Draw d;
  auto extract = [&](int64_t i) {
    Value at = arith::ConstantIndexOp::create(b, l, i);
    return tensor::ExtractOp::create(b, l, rng, at).getResult();
  };
  auto [k0, k1] = splitWords(b, l, extract(0));
  d.step = splitWords(b, l, extract(1)).first;
  d.stream = i32(b, l, stream);
  d.keys.push_back({k0, k1});
  for (int r = 1; r < kRounds; ++r) {
    k0 = arith::AddIOp::create(b, l, k0, i32(b, l, kWeyl0));
    k1 = arith::AddIOp::create(b, l, k1, i32(b, l, kWeyl1));
    d.keys.push_back({k0, k1});
  }
  auto type = cast<RankedTensorType>(shaped.getType());
  int64_t rank = type.getRank();
  d.strides.resize(rank);
  Value stride = arith::ConstantIndexOp::create(b, l, 1);
  for (int64_t i = rank; i-- > 0;) {
    d.strides[i] = stride;
    if (i > 0)
      stride = arith::MulIOp::create(
          b, l, stride, tensor::DimOp::create(b, l, shaped, i).getResult());
  }
  return d;
}

/// The Philox-4x32-10 block of the current element of the enclosing generic.
Block drawBlock(OpBuilder &b, Location l, const Draw &d) {
  Value index = arith::ConstantIndexOp::create(b, l, 0);
  for (auto [dim, stride] : llvm::enumerate(d.strides)) {
    Value i = linalg::IndexOp::create(b, l, dim);
    index = arith::AddIOp::create(b, l, index,
                                  arith::MulIOp::create(b, l, i, stride));
  }
  Value index64 = arith::IndexCastUIOp::create(b, l, b.getI64Type(), index);
  auto [lo, hi] = splitWords(b, l, index64);
  Block c{lo, hi, d.stream, d.step};
  Value m0 = i32(b, l, kMul0), m1 = i32(b, l, kMul1);
  for (auto [k0, k1] : d.keys) {
    auto p0 = arith::MulUIExtendedOp::create(b, l, m0, c[0]);
    auto p1 = arith::MulUIExtendedOp::create(b, l, m1, c[2]);
    Value x0 = arith::XOrIOp::create(
        b, l, arith::XOrIOp::create(b, l, p1.getHigh(), c[1]), k0);
    Value x2 = arith::XOrIOp::create(
        b, l, arith::XOrIOp::create(b, l, p0.getHigh(), c[3]), k1);
    c = Block{x0, p1.getLow(), x2, p0.getLow()};
  }
  return c;
}

/// The top 24 bits of `word`, as an i32.
Value top24(OpBuilder &b, Location l, Value word) {
  return arith::ShRUIOp::create(b, l, word, i32(b, l, 8));
}

/// (word >> 8) * 2^-24, in [0, 1).
Value uniform(OpBuilder &b, Location l, Value word) {
  Value bits = arith::UIToFPOp::create(b, l, b.getF32Type(), top24(b, l, word));
  return arith::MulFOp::create(b, l, bits, f32(b, l, 0x1p-24));
}

/// Box-Muller, cosine branch: sqrt(-2 ln u1) cos(2 pi u2) with u1 in (0, 1].
Value normal(OpBuilder &b, Location l, const Block &block) {
  Value u1 =
      arith::AddFOp::create(b, l, uniform(b, l, block[0]), f32(b, l, 0x1p-24));
  Value u2 = uniform(b, l, block[1]);
  Value radius = math::SqrtOp::create(
      b, l,
      arith::MulFOp::create(b, l, f32(b, l, -2.0),
                            math::LogOp::create(b, l, u1)));
  Value angle =
      arith::MulFOp::create(b, l, f32(b, l, 6.28318530717958647692), u2);
  return arith::MulFOp::create(b, l, radius, math::CosOp::create(b, l, angle));
}

/// Dynamic sizes of `shaped`, for a result of its shape.
SmallVector<Value> dynSizesOf(OpBuilder &b, Location l, Value shaped) {
  SmallVector<Value> sizes;
  auto type = cast<RankedTensorType>(shaped.getType());
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(tensor::DimOp::create(b, l, shaped, i));
  return sizes;
}

/// Signature of the per-element computation: the element of the input (null
/// for the ops without one) and its random block.
using ElementFn = function_ref<Value(OpBuilder &, Location, Value, Block)>;

/// One generic over the result of `op`, drawing a block per element.
Value buildRandomGeneric(OpBuilder &b, Location l, RankedTensorType resultType,
                         Value shaped, Value input, Value rng, uint32_t stream,
                         ElementFn element) {
  Draw d = prepareDraw(b, l, rng, stream, shaped);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (input) {
    inputs.push_back(input);
    maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  }
  return buildGeneric(
      b, l, resultType, dynSizesOf(b, l, shaped), inputs, maps,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        return element(nb, nl, input ? args[0] : Value(),
                       drawBlock(nb, nl, d));
      });
}

struct DropoutLowering : OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!adaptor.getRng()) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    float rate = op.getRate().convertToFloat();
    // u = k * 2^-24 >= rate  <=>  k >= ceil(rate * 2^24), exactly.
    auto threshold = uint32_t(std::ceil(double(rate) * 0x1p24));
    float scale = 1.0f / (1.0f - rate);
    Value result = buildRandomGeneric(
        rewriter, op.getLoc(), op.getType(), adaptor.getInput(),
        adaptor.getInput(), adaptor.getRng(), uint32_t(op.getStream()),
        [&](OpBuilder &b, Location l, Value x, Block block) -> Value {
          Value keep =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge,
                                    top24(b, l, block[0]), i32(b, l, threshold));
          Value scaled = arith::MulFOp::create(b, l, x, f32(b, l, scale));
          return arith::SelectOp::create(b, l, keep, scaled, f32(b, l, 0.0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GaussianNoiseLowering : OpConversionPattern<GaussianNoiseOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GaussianNoiseOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!adaptor.getRng()) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    float stddev = op.getStddev().convertToFloat();
    Value result = buildRandomGeneric(
        rewriter, op.getLoc(), op.getType(), adaptor.getInput(),
        adaptor.getInput(), adaptor.getRng(), uint32_t(op.getStream()),
        [&](OpBuilder &b, Location l, Value x, Block block) -> Value {
          Value noise =
              arith::MulFOp::create(b, l, f32(b, l, stddev), normal(b, l, block));
          return arith::AddFOp::create(b, l, x, noise);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// random_normal and random_uniform: `sample` turns a block into a value;
/// `mean` fills the result in inference mode.
template <typename OpTy>
struct SampleLowering : OpConversionPattern<OpTy> {
  using SampleFn = Value (*)(OpBuilder &, Location, const Block &);
  SampleLowering(MLIRContext *ctx, SampleFn sample, double mean)
      : OpConversionPattern<OpTy>(ctx), sample(sample), mean(mean) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value like = adaptor.getLike();
    Value result;
    if (!adaptor.getRng())
      result = filledTensor(rewriter, loc, op.getType(),
                            dynSizesOf(rewriter, loc, like), mean);
    else
      result = buildRandomGeneric(
          rewriter, loc, op.getType(), like, Value(), adaptor.getRng(),
          uint32_t(op.getStream()),
          [&](OpBuilder &b, Location l, Value, Block block) {
            return sample(b, l, block);
          });
    rewriter.replaceOp(op, result);
    return success();
  }

  SampleFn sample;
  double mean;
};

Value uniformSample(OpBuilder &b, Location l, const Block &block) {
  return uniform(b, l, block[0]);
}

} // namespace

void mlir::nn::populateNNRandomToLinalgPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<DropoutLowering, GaussianNoiseLowering>(ctx);
  patterns.add<SampleLowering<RandomNormalOp>>(ctx, normal, 0.0);
  patterns.add<SampleLowering<RandomUniformOp>>(ctx, uniformSample, 0.5);
}
