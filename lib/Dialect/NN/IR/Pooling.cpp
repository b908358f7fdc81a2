//===- Pooling.cpp - max, average and global average pooling --------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Shape inference, verifiers and VJP rules of the pools. Max and average
// pooling differentiate to dedicated backward ops (the scatter of a window's
// gradient back onto the image is not expressible with elementwise nn ops);
// the global average is a broadcast and a scale.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::nn;

/// Checks a pool's input: an NCHW batch whose channels and image sizes are
/// static, since the output sizes and the windows derive from them.
static LogicalResult checkPoolInput(std::optional<Location> loc,
                                    RankedTensorType input) {
  if (input.getRank() != 4)
    return emitOptionalError(loc, "expects an NCHW input of rank 4, got ",
                             input);
  if (llvm::any_of(input.getShape().drop_front(), ShapedType::isDynamic))
    return emitOptionalError(
        loc, "expects static channels and image sizes, got ", input);
  return success();
}

LogicalResult mlir::nn::inferPool2d(std::optional<Location> loc, Type inputType,
                                    ArrayRef<int64_t> kernel,
                                    ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> padding, bool ceilMode,
                                    SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(inputType);
  if (failed(checkPoolInput(loc, input)))
    return failure();
  if (kernel.size() != 2 ||
      llvm::any_of(kernel, [](int64_t k) { return k <= 0; }))
    return emitOptionalError(loc, "expects a kernel of 2 positive sizes");
  if (failed(checkStridesAndPadding(loc, strides, padding)))
    return failure();
  SmallVector<int64_t> shape(input.getShape().take_front(2));
  for (int64_t d = 0; d < 2; ++d) {
    // A window wholly inside the padding would have no input to reduce.
    if (padding[d] >= kernel[d] || padding[d + 2] >= kernel[d])
      return emitOptionalError(loc, "padding ", padding[d], "/", padding[d + 2],
                               " must be smaller than the kernel size ",
                               kernel[d]);
    int64_t out =
        windowOutputSize(input.getDimSize(2 + d), kernel[d], strides[d],
                         padding[d], padding[d + 2], 1, ceilMode);
    if (out <= 0)
      return emitOptionalError(loc, "kernel ", kernel[0], "x", kernel[1],
                               " is larger than the padded input ",
                               input.getDimSize(2) + padding[0] + padding[2],
                               "x",
                               input.getDimSize(3) + padding[1] + padding[3]);
    shape.push_back(out);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult mlir::nn::inferGlobalPool2d(std::optional<Location> loc,
                                          Type inputType,
                                          SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(inputType);
  if (failed(checkPoolInput(loc, input)))
    return failure();
  types.push_back(
      RankedTensorType::get({input.getDimSize(0), input.getDimSize(1), 1, 1},
                            input.getElementType()));
  return success();
}

LogicalResult MaxPool2dOp::verify() {
  if (getCountIncludePad())
    return emitOpError("count_include_pad only applies to average pooling");
  return success();
}

LogicalResult AvgPool2dOp::verify() { return success(); }

/// Checks that `grad` has the type the forward pool gives `input`.
template <typename BackwardOp>
static LogicalResult verifyPoolBackward(BackwardOp op) {
  SmallVector<Type> types;
  if (failed(inferPool2d(op.getLoc(), op.getInput().getType(), op.getKernel(),
                         op.getStrides(), op.getPadding(), op.getCeilMode(),
                         types)))
    return failure();
  if (failed(verifyCompatibleShape(op.getGrad().getType(), types[0])))
    return op.emitOpError("expects a gradient of the pool's result type ")
           << types[0] << ", got " << op.getGrad().getType();
  return success();
}

LogicalResult MaxPool2dBackwardOp::verify() {
  if (getCountIncludePad())
    return emitOpError("count_include_pad only applies to average pooling");
  return verifyPoolBackward(*this);
}

LogicalResult AvgPool2dBackwardOp::verify() {
  return verifyPoolBackward(*this);
}

LogicalResult MaxPool2dOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(MaxPool2dBackwardOp::create(
      b, getLoc(), resultGrads[0], getInput(), getKernelAttr(),
      getStridesAttr(), getPaddingAttr(), getCeilModeAttr(),
      getCountIncludePadAttr()));
  return success();
}

LogicalResult AvgPool2dOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(AvgPool2dBackwardOp::create(
      b, getLoc(), resultGrads[0], getInput(), getKernelAttr(),
      getStridesAttr(), getPaddingAttr(), getCeilModeAttr(),
      getCountIncludePadAttr()));
  return success();
}

LogicalResult GlobalAvgPool2dOp::buildGradients(OpBuilder &b,
                                                ValueRange resultGrads,
                                                SmallVectorImpl<Value> &grads) {
  // Every position of an image gets 1 / (H * W) of its channel's gradient.
  Location loc = getLoc();
  auto type = getInput().getType();
  float scale = 1.0f / float(type.getDimSize(2) * type.getDimSize(3));
  Value spread = BroadcastLikeOp::create(b, loc, resultGrads[0], getInput());
  grads.push_back(MulOp::create(b, loc, spread, grad::scalar(b, loc, scale)));
  return success();
}
