//===- Embedding.cpp - embeddings and sequence masks to linalg ------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// `nn.embedding` is a gather: one generic over [N, T, D] reading the table
// row of each id. Its table gradient is a scatter-add, which no parallel
// generic expresses; it is a sequential loop nest over (n, t) and the row,
// so every row's sum is taken in sample order whatever the thread count.
// Ids are clamped to [0, V): the runtime rejects out-of-range ids of a
// model's inputs before the code runs, and the clamp keeps any other id
// from reading or writing outside the table.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

/// `id` (any integer type) as an index clamped to [0, rows).
Value clampedRow(OpBuilder &b, Location loc, Value id, int64_t rows) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value last = arith::ConstantIndexOp::create(b, loc, rows - 1);
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, i, zero),
                                last);
}

SmallVector<Value> batchSizes(OpBuilder &b, Location loc, Value ids,
                              RankedTensorType type) {
  SmallVector<Value> dyn;
  if (type.isDynamicDim(0))
    dyn.push_back(tensor::DimOp::create(b, loc, ids, 0));
  return dyn;
}

struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value ids = adaptor.getIds(), table = adaptor.getTable();
    int64_t rows = cast<RankedTensorType>(table.getType()).getDimSize(0);
    RankedTensorType type = op.getType();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    Value result = buildGeneric(
        rewriter, loc, type, batchSizes(rewriter, loc, ids, type), ids,
        AffineMap::get(3, 0, {d(0), d(1)}, ctx),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value row = clampedRow(b, l, args[0], rows);
          Value col = linalg::IndexOp::create(b, l, 2);
          return tensor::ExtractOp::create(b, l, table, ValueRange{row, col});
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct EmbeddingBackwardLowering : OpConversionPattern<EmbeddingBackwardOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(EmbeddingBackwardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value ids = adaptor.getIds(), grad = adaptor.getGrad();
    RankedTensorType type = op.getType();
    int64_t rows = type.getDimSize(0), dim = type.getDimSize(1);
    int64_t steps = cast<RankedTensorType>(ids.getType()).getDimSize(1);
    std::optional<int64_t> padding;
    if (auto attr = op.getPaddingIdxAttr())
      padding = attr.getInt();

    auto cst = [&](OpBuilder &b, Location l, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, l, v);
    };
    Value acc = filledTensor(rewriter, loc, type, {}, 0.0);
    Value n = tensor::DimOp::create(rewriter, loc, ids, 0);
    Value zero = cst(rewriter, loc, 0), one = cst(rewriter, loc, 1);
    // for n, t (in order): row = ids[n, t]; table[row, :] += grad[n, t, :]
    auto outer = scf::ForOp::create(
        rewriter, loc, zero, n, one, ValueRange{acc},
        [&](OpBuilder &b, Location l, Value i, ValueRange iterN) {
          auto mid = scf::ForOp::create(
              b, l, cst(b, l, 0), cst(b, l, steps), cst(b, l, 1), iterN,
              [&](OpBuilder &b, Location l, Value t, ValueRange iterT) {
                Value id = tensor::ExtractOp::create(b, l, ids,
                                                     ValueRange{i, t});
                Value row = clampedRow(b, l, id, rows);
                auto addRow = [&](OpBuilder &b, Location l) {
                  auto inner = scf::ForOp::create(
                      b, l, cst(b, l, 0), cst(b, l, dim), cst(b, l, 1),
                      iterT,
                      [&](OpBuilder &b, Location l, Value c, ValueRange it) {
                        Value g = tensor::ExtractOp::create(
                            b, l, grad, ValueRange{i, t, c});
                        Value old = tensor::ExtractOp::create(
                            b, l, it[0], ValueRange{row, c});
                        Value sum = arith::AddFOp::create(b, l, old, g);
                        Value next = tensor::InsertOp::create(
                            b, l, sum, it[0], ValueRange{row, c});
                        scf::YieldOp::create(b, l, next);
                      });
                  return inner.getResult(0);
                };
                if (!padding) {
                  scf::YieldOp::create(b, l, addRow(b, l));
                  return;
                }
                Value pad = arith::ConstantOp::create(
                    b, l, b.getIntegerAttr(id.getType(), *padding));
                Value skip = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::eq, id, pad);
                auto branch = scf::IfOp::create(
                    b, l, skip,
                    [&](OpBuilder &b, Location l) {
                      scf::YieldOp::create(b, l, iterT[0]);
                    },
                    [&](OpBuilder &b, Location l) {
                      scf::YieldOp::create(b, l, addRow(b, l));
                    });
                scf::YieldOp::create(b, l, branch.getResult(0));
              });
          scf::YieldOp::create(b, l, mid.getResult(0));
        });
    rewriter.replaceOp(op, outer.getResult(0));
    return success();
  }
};

struct SequenceMaskLowering : OpConversionPattern<SequenceMaskOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SequenceMaskOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value ids = adaptor.getIds();
    RankedTensorType type = op.getType();
    int64_t padding = op.getPaddingIdx();
    Value result = buildGeneric(
        rewriter, loc, type, batchSizes(rewriter, loc, ids, type), ids,
        rewriter.getMultiDimIdentityMap(2),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value pad = arith::ConstantOp::create(
              b, l, b.getIntegerAttr(args[0].getType(), padding));
          Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne,
                                              args[0], pad);
          return arith::SelectOp::create(b, l, valid, f32(b, l, 1.0),
                                         f32(b, l, 0.0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::nn::populateNNEmbeddingToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<EmbeddingLowering, EmbeddingBackwardLowering,
               SequenceMaskLowering>(patterns.getContext());
}
