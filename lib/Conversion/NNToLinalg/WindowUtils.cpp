//===- WindowUtils.cpp - builders shared by conv and pooling --------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "WindowUtils.h"

using namespace mlir;
using namespace mlir::nn::lowering;

Value mlir::nn::lowering::padImage(OpBuilder &b, Location loc, Value image,
                                   ArrayRef<int64_t> before,
                                   ArrayRef<int64_t> after, double fill) {
  if (llvm::all_of(before, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(after, [](int64_t p) { return p == 0; }))
    return image;
  // A generic over the padded image that reads the inside with
  // tensor.extract, rather than tensor.pad or an insert_slice into a filled
  // tensor: those bufferize to memref.copy between strided buffers, which
  // lowers to a call into MLIR's C runner library that compiled models do
  // not link.
  auto type = cast<RankedTensorType>(image.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += before[0] + after[0];
  shape[3] += before[1] + after[1];
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<Value> dynSizes;
  if (type.isDynamicDim(0))
    dynSizes.push_back(tensor::DimOp::create(b, loc, image, 0));
  Value init = emptyTensor(b, loc, paddedType, dynSizes);
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, paddedType, ValueRange{}, init,
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(4)}, iterators,
             [&](OpBuilder &nb, Location l, ValueRange) {
               auto cst = [&](int64_t v) {
                 return arith::ConstantIndexOp::create(nb, l, v).getResult();
               };
               SmallVector<Value> at = {linalg::IndexOp::create(nb, l, 0),
                                        linalg::IndexOp::create(nb, l, 1)};
               Value inside;
               for (int64_t d = 0; d < 2; ++d) {
                 Value pos = arith::SubIOp::create(
                     nb, l, linalg::IndexOp::create(nb, l, 2 + d),
                     cst(before[d]));
                 Value ok = arith::AndIOp::create(
                     nb, l,
                     arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                           pos, cst(0)),
                     arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                           pos, cst(type.getDimSize(2 + d))));
                 inside =
                     inside
                         ? arith::AndIOp::create(nb, l, inside, ok).getResult()
                         : ok;
                 at.push_back(pos);
               }
               for (Value &pos : llvm::MutableArrayRef(at).drop_front(2))
                 pos = arith::SelectOp::create(nb, l, inside, pos, cst(0));
               Value value = tensor::ExtractOp::create(nb, l, image, at);
               linalg::YieldOp::create(
                   nb, l,
                   Value(arith::SelectOp::create(nb, l, inside, value,
                                                 f32(nb, l, fill))));
             })
      .getResult(0);
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

  // Windows that tile the image without overlap or padding (pooling with
  // stride = kernel, the usual 2x2): a position lies in at most one window,
  // at offset (h mod stride, w mod stride) of window (h / stride, w /
  // stride). One all-parallel loop over the image, without the kernel loops
  // and their divisibility tests; the value is the one share itself (the
  // general form adds it to zeros).
  bool tiles = true;
  for (int64_t d = 0; d < 2; ++d)
    tiles &= kernel[d] == strides[d] && dilations[d] == 1 &&
             padding[d] == 0 && padding[d + 2] == 0;
  if (tiles) {
    Value init = emptyTensor(b, loc, resultType, dynSizes);
    SmallVector<utils::IteratorType> parallel(4,
                                              utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, resultType, ValueRange{}, init,
               ArrayRef<AffineMap>{b.getMultiDimIdentityMap(4)}, parallel,
               [&](OpBuilder &nb, Location l, ValueRange) {
                 auto cst = [&](int64_t v) {
                   return arith::ConstantIndexOp::create(nb, l, v).getResult();
                 };
                 SmallVector<Value> idx;
                 for (int64_t i = 0; i < 4; ++i)
                   idx.push_back(linalg::IndexOp::create(nb, l, i));
                 Value valid;
                 SmallVector<Value> offsets, windowPos;
                 for (int64_t d = 0; d < 2; ++d) {
                   Value stride = cst(strides[d]);
                   Value q = arith::DivUIOp::create(nb, l, idx[2 + d], stride);
                   Value ok = arith::CmpIOp::create(
                       nb, l, arith::CmpIPredicate::ult, q, cst(outSize[d]));
                   valid = valid ? arith::AndIOp::create(nb, l, valid, ok)
                                       .getResult()
                                 : ok;
                   // Rows and columns past the last window (a floor-mode
                   // remainder) read window 0 and are discarded.
                   windowPos.push_back(q);
                   offsets.push_back(
                       arith::RemUIOp::create(nb, l, idx[2 + d], stride));
                 }
                 Value zero = cst(0);
                 for (Value &pos : windowPos)
                   pos = arith::SelectOp::create(nb, l, valid, pos, zero);
                 Value share = contribution(nb, l, ValueRange(idx), offsets[0],
                                            offsets[1], windowPos[0],
                                            windowPos[1]);
                 linalg::YieldOp::create(
                     nb, l,
                     Value(arith::SelectOp::create(nb, l, valid, share,
                                                   f32(nb, l, 0.0))));
               })
        .getResult(0);
  }

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
          valid =
              valid ? arith::AndIOp::create(nb, l, valid, ok).getResult() : ok;
          windowPos.push_back(q);
        }
        for (Value &pos : windowPos)
          pos = arith::SelectOp::create(nb, l, valid, pos, zero);
        Value share = contribution(nb, l, ValueRange(idx).take_front(4), idx[4],
                                   idx[5], windowPos[0], windowPos[1]);
        Value kept =
            arith::SelectOp::create(nb, l, valid, share, f32(nb, l, 0.0));
        linalg::YieldOp::create(
            nb, l, Value(arith::AddFOp::create(nb, l, args[1], kept)));
      });
  return generic.getResult(0);
}
