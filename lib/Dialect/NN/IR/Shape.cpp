//===- Shape.cpp - reshape and broadcast ops ------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

using namespace mlir;
using namespace mlir::nn;

//===----------------------------------------------------------------------===//
// Helpers shared by gradient rules
//===----------------------------------------------------------------------===//

Value mlir::nn::grad::unbroadcast(OpBuilder &b, Location loc, Value grad,
                                  Type target) {
  auto gradType = cast<RankedTensorType>(grad.getType());
  auto targetType = cast<RankedTensorType>(target);
  if (gradType == targetType)
    return grad;
  int64_t lead = gradType.getRank() - targetType.getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < gradType.getRank(); ++d) {
    if (d < lead) {
      axes.push_back(d);
      continue;
    }
    int64_t want = targetType.getDimSize(d - lead);
    if (want == 1 && gradType.getDimSize(d) != 1)
      axes.push_back(d);
  }
  Value reduced = grad;
  if (!axes.empty())
    reduced =
        ReduceSumOp::create(b, loc, grad, b.getDenseI64ArrayAttr(axes), true);
  if (reduced.getType() == targetType)
    return reduced;
  return ReshapeOp::create(b, loc, targetType, reduced);
}

Value mlir::nn::grad::keepReducedDims(OpBuilder &b, Location loc, Value value,
                                      RankedTensorType input,
                                      ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(input.getShape());
  for (int64_t axis : axes)
    shape[axis] = 1;
  auto type = RankedTensorType::get(
      shape, cast<RankedTensorType>(value.getType()).getElementType());
  if (value.getType() == type)
    return value;
  return ReshapeOp::create(b, loc, type, value);
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

/// Number of elements, ignoring a dynamic leading (batch) dimension.
static std::optional<int64_t> staticElementCount(RankedTensorType type) {
  int64_t count = 1;
  for (auto [i, d] : llvm::enumerate(type.getShape())) {
    if (ShapedType::isDynamic(d)) {
      if (i != 0)
        return std::nullopt;
      continue;
    }
    count *= d;
  }
  return count;
}

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("cannot change the element type");
  bool inBatch = in.getRank() > 0 && in.isDynamicDim(0);
  bool outBatch = out.getRank() > 0 && out.isDynamicDim(0);
  auto inCount = staticElementCount(in), outCount = staticElementCount(out);
  if (!inCount || !outCount)
    return emitOpError("only the leading (batch) dimension may be dynamic");
  if (inBatch != outBatch)
    return emitOpError("must keep a dynamic batch dimension on both sides: ")
           << in << " vs " << out;
  if (*inCount != *outCount)
    return emitOpError("element counts differ: ")
           << in << " has " << *inCount << (inBatch ? " per batch row" : "")
           << ", " << out << " has " << *outCount;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    // reshape(reshape(x)) -> reshape(x): rewire in place.
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  grads.push_back(
      ReshapeOp::create(b, getLoc(), getInput().getType(), resultGrads[0]));
  return success();
}

//===----------------------------------------------------------------------===//
// BroadcastLikeOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastLikeOp::verify() {
  auto in = getInput().getType(), like = getLike().getType();
  auto shape = broadcastShapes(in.getShape(), like.getShape());
  if (!shape || in.getRank() > like.getRank() ||
      RankedTensorType::get(*shape, like.getElementType()) != like)
    return emitOpError("cannot broadcast ")
           << in << " to the shape of " << like;
  return success();
}

LogicalResult BroadcastLikeOp::buildGradients(OpBuilder &b,
                                              ValueRange resultGrads,
                                              SmallVectorImpl<Value> &grads) {
  grads.push_back(
      grad::unbroadcast(b, getLoc(), resultGrads[0], getInput().getType()));
  grads.push_back(Value()); // `like` only contributes its shape.
  return success();
}
