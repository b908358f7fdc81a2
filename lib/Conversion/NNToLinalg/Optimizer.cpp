//===- Optimizer.cpp - optimizer updates to linalg ------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Each update is one multi-result `linalg.generic`, so a parameter, its
// gradient and its optimizer state are each read once and written once.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

/// A parallel generic over `param`'s shape with `tensors` read elementwise,
/// `scalars` (rank 0) read everywhere, and `numResults` results of the same
/// type.
linalg::GenericOp buildUpdate(
    OpBuilder &b, Location loc, Value param, ValueRange tensors,
    ValueRange scalars, unsigned numResults,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(param.getType());
  int64_t rank = type.getRank();
  SmallVector<Value> dynSizes;
  for (int64_t d = 0; d < rank; ++d)
    if (type.isDynamicDim(d))
      dynSizes.push_back(tensor::DimOp::create(b, loc, param, d));
  SmallVector<Value> inputs(tensors), inits;
  llvm::append_range(inputs, scalars);
  SmallVector<AffineMap> maps(tensors.size(), b.getMultiDimIdentityMap(rank));
  maps.append(scalars.size(), AffineMap::get(rank, 0, {}, b.getContext()));
  for (unsigned i = 0; i < numResults; ++i) {
    inits.push_back(emptyTensor(b, loc, type, dynSizes));
    maps.push_back(b.getMultiDimIdentityMap(rank));
  }
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  SmallVector<Type> resultTypes(numResults, type);
  return linalg::GenericOp::create(
      b, loc, resultTypes, inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l,
                                body(nb, l, args.take_front(inputs.size())));
      });
}

struct SGDUpdateLowering : OpConversionPattern<SGDUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SGDUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    double momentum = op.getMomentum().convertToDouble();
    double decay = op.getWeightDecay().convertToDouble();
    bool nesterov = op.getNesterov();
    auto generic = buildUpdate(
        rewriter, op.getLoc(), adaptor.getParam(),
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getVelocity()},
        {adaptor.getLr()}, 2,
        [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
          Value p = a[0], g = a[1], v = a[2], lr = a[3];
          auto mulf = [&](Value x, Value y) -> Value {
            return arith::MulFOp::create(b, l, x, y);
          };
          auto addf = [&](Value x, Value y) -> Value {
            return arith::AddFOp::create(b, l, x, y);
          };
          if (decay != 0.0)
            g = addf(g, mulf(f32(b, l, decay), p));
          Value v1 = addf(mulf(f32(b, l, momentum), v), g);
          Value direction = nesterov ? addf(g, mulf(f32(b, l, momentum), v1))
                                     : v1;
          Value p1 = arith::SubFOp::create(b, l, p, mulf(lr, direction));
          return {p1, v1};
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct AdamUpdateLowering : OpConversionPattern<AdamUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdamUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    double beta1 = op.getBeta1().convertToDouble();
    double beta2 = op.getBeta2().convertToDouble();
    double eps = op.getEpsilon().convertToDouble();
    double decay = op.getWeightDecay().convertToDouble();
    bool decoupled = op.getDecoupled();
    // The bias corrections 1 - beta^t, once per update in a rank-0 loop
    // rather than per element: vectorized, the update would call powf
    // once per lane and vector.
    Location loc = op.getLoc();
    auto scalarType = RankedTensorType::get({}, rewriter.getF32Type());
    auto scalarMap = AffineMap::get(0, 0, {}, rewriter.getContext());
    auto corrections = linalg::GenericOp::create(
        rewriter, loc, TypeRange{scalarType, scalarType}, adaptor.getStep(),
        ValueRange{emptyTensor(rewriter, loc, scalarType, {}),
                   emptyTensor(rewriter, loc, scalarType, {})},
        SmallVector<AffineMap>(3, scalarMap),
        ArrayRef<utils::IteratorType>{},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value one = f32(b, l, 1.0), t = a[0];
          Value c1 = arith::SubFOp::create(
              b, l, one, math::PowFOp::create(b, l, f32(b, l, beta1), t));
          Value c2 = arith::SubFOp::create(
              b, l, one, math::PowFOp::create(b, l, f32(b, l, beta2), t));
          linalg::YieldOp::create(b, l, ValueRange{c1, c2});
        });
    auto generic = buildUpdate(
        rewriter, loc, adaptor.getParam(),
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getM(), adaptor.getV()},
        {adaptor.getLr(), corrections.getResult(0), corrections.getResult(1)},
        3, [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
          Value p = a[0], g = a[1], m = a[2], v = a[3], lr = a[4], c1 = a[5],
                c2 = a[6];
          Value one = f32(b, l, 1.0), b1 = f32(b, l, beta1),
                b2 = f32(b, l, beta2);
          auto mulf = [&](Value x, Value y) -> Value {
            return arith::MulFOp::create(b, l, x, y);
          };
          auto subf = [&](Value x, Value y) -> Value {
            return arith::SubFOp::create(b, l, x, y);
          };
          if (decay != 0.0 && decoupled) // AdamW: p (1 - lr wd)
            p = mulf(p, subf(one, mulf(lr, f32(b, l, decay))));
          else if (decay != 0.0) // Adam's coupled L2: g + wd p
            g = arith::AddFOp::create(b, l, g, mulf(f32(b, l, decay), p));
          Value m1 =
              arith::AddFOp::create(b, l, mulf(b1, m), mulf(subf(one, b1), g));
          Value v1 = arith::AddFOp::create(b, l, mulf(b2, v),
                                           mulf(subf(one, b2), mulf(g, g)));
          Value mHat = arith::DivFOp::create(b, l, m1, c1);
          Value vHat = arith::DivFOp::create(b, l, v1, c2);
          Value denom = arith::AddFOp::create(
              b, l, math::SqrtOp::create(b, l, vHat), f32(b, l, eps));
          Value p1 =
              subf(p, arith::DivFOp::create(b, l, mulf(lr, mHat), denom));
          return {p1, m1, v1};
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void mlir::nn::populateNNOptimizerToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SGDUpdateLowering, AdamUpdateLowering>(patterns.getContext());
}
