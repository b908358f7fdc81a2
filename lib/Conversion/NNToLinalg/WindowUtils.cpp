//===- WindowUtils.cpp - builders shared by conv and pooling --------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "WindowUtils.h"

using namespace mlir;
using namespace mlir::nn::lowering;

SmallVector<OpFoldResult> mlir::nn::lowering::mixedSizes(OpBuilder &b,
                                                         Location loc,
                                                         Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, value, d).getResult());
    else
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  return sizes;
}

Value mlir::nn::lowering::padImage(OpBuilder &b, Location loc, Value image,
                                   ArrayRef<int64_t> before,
                                   ArrayRef<int64_t> after, double fill) {
  if (llvm::all_of(before, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(after, [](int64_t p) { return p == 0; }))
    return image;
  // A filled tensor with the image inserted rather than `tensor.pad`: both
  // bufferize to a fill and a copy, but these are linalg ops the rest of the
  // pipeline already lowers.
  auto type = cast<RankedTensorType>(image.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += before[0] + after[0];
  shape[3] += before[1] + after[1];
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<Value> dynSizes;
  if (type.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, image, 0));
  Value padded = filledTensor(b, loc, paddedType, dynSizes, fill);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(before[0]),
                                       b.getIndexAttr(before[1])};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, image, padded, offsets,
                                       mixedSizes(b, loc, image), strides);
}

Value mlir::nn::lowering::sliceDim(OpBuilder &b, Location loc, Value value,
                                   int64_t dim, int64_t offset, int64_t size) {
  auto type = cast<RankedTensorType>(value.getType());
  if (offset == 0 && size == type.getDimSize(dim))
    return value;
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = mixedSizes(b, loc, value);
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  offsets[dim] = b.getIndexAttr(offset);
  sizes[dim] = b.getIndexAttr(size);
  return tensor::ExtractSliceOp::create(b, loc, value, offsets, sizes,
                                        strides);
}

Value mlir::nn::lowering::insertDim(OpBuilder &b, Location loc, Value part,
                                    Value whole, int64_t dim, int64_t offset) {
  auto type = cast<RankedTensorType>(part.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  offsets[dim] = b.getIndexAttr(offset);
  return tensor::InsertSliceOp::create(b, loc, part, whole, offsets,
                                       mixedSizes(b, loc, part), strides);
}

Value mlir::nn::lowering::buildWindowScatter(
    OpBuilder &b, Location loc, RankedTensorType resultType, Value like,
    ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
    ArrayRef<int64_t> padding, ArrayRef<int64_t> dilations,
    ArrayRef<int64_t> outSize, ScatterFn contribution) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> dynSizes;
  if (resultType.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, like, 0));
  Value acc = filledTensor(b, loc, resultType, dynSizes, 0.0);
  // The kernel's extent only enters through this operand's shape; its
  // elements are never read.
  Value window = tensor::EmptyOp::create(b, loc, kernel, b.getF32Type());
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap windowMap = AffineMap::get(6, 0, {d(4), d(5)}, ctx);
  AffineMap outMap = AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx);
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(2, utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{window}, acc,
      ArrayRef<AffineMap>{windowMap, outMap}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        SmallVector<Value> idx;
        for (int64_t i = 0; i < 6; ++i)
          idx.push_back(linalg::IndexOp::create(nb, l, i));
        auto cst = [&](int64_t v) {
          return arith::ConstantIndexOp::create(nb, l, v).getResult();
        };
        Value zero = cst(0);
        Value valid;
        SmallVector<Value> windowPos;
        for (int64_t s = 0; s < 2; ++s) {
          // offset = pos + pad - k * dilation; the window index is
          // offset / stride when that divides evenly and is in range.
          Value offset = arith::SubIOp::create(
              nb, l, arith::AddIOp::create(nb, l, idx[2 + s], cst(padding[s])),
              arith::MulIOp::create(nb, l, idx[4 + s], cst(dilations[s])));
          Value stride = cst(strides[s]);
          Value q = arith::DivSIOp::create(nb, l, offset, stride);
          Value r = arith::RemSIOp::create(nb, l, offset, stride);
          Value ok = arith::AndIOp::create(
              nb, l,
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, offset,
                                    zero),
              arith::AndIOp::create(
                  nb, l,
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, r,
                                        zero),
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, q,
                                        cst(outSize[s]))));
          valid = valid ? arith::AndIOp::create(nb, l, valid, ok).getResult()
                        : ok;
          windowPos.push_back(q);
        }
        for (Value &pos : windowPos)
          pos = arith::SelectOp::create(nb, l, valid, pos, zero);
        Value share =
            contribution(nb, l, ValueRange(idx).take_front(4), idx[4], idx[5],
                         windowPos[0], windowPos[1]);
        Value kept = arith::SelectOp::create(nb, l, valid, share,
                                             f32(nb, l, 0.0));
        linalg::YieldOp::create(
            nb, l, Value(arith::AddFOp::create(nb, l, args[1], kept)));
      });
  return generic.getResult(0);
}
