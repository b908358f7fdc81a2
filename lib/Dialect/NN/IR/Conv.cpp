//===- Conv.cpp - conv2d and its gradients --------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Shape inference, verification and the VJP rules of `nn.conv2d` and
// `nn.conv_transpose2d`. The conv2d rule emits the two backward ops rather
// than a composition of smaller nn ops because both halves lower to the same
// im2col + contraction scheme as the forward, which a composition of
// reshapes and transposes could not express with a dynamic batch. A
// transposed convolution is conv2d's input adjoint, so its own gradients
// are conv2d (for its input) and conv2d_backward_filter (for its weight)
// with the roles of input and output gradient exchanged.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::nn;

int64_t mlir::nn::windowOutputSize(int64_t size, int64_t kernel, int64_t stride,
                                   int64_t before, int64_t after,
                                   int64_t dilation, bool ceilMode) {
  int64_t span = size + before + after - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // A last window that would start in the trailing padding sees no input.
  if (ceilMode && (out - 1) * stride >= size + before)
    --out;
  return out;
}

LogicalResult mlir::nn::checkStridesAndPadding(std::optional<Location> loc,
                                               ArrayRef<int64_t> strides,
                                               ArrayRef<int64_t> padding) {
  if (strides.size() != 2 ||
      llvm::any_of(strides, [](int64_t s) { return s <= 0; }))
    return emitOptionalError(loc, "expects 2 positive strides");
  if (padding.size() != 4 ||
      llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return emitOptionalError(
        loc, "expects 4 non-negative paddings [top, left, bottom, right]");
  return success();
}

/// Checks a convolution's window attributes: those pools have too, and the
/// dilations only convolutions have.
static LogicalResult checkWindowAttrs(std::optional<Location> loc,
                                      ArrayRef<int64_t> strides,
                                      ArrayRef<int64_t> padding,
                                      ArrayRef<int64_t> dilations) {
  if (failed(checkStridesAndPadding(loc, strides, padding)))
    return failure();
  if (dilations.size() != 2 ||
      llvm::any_of(dilations, [](int64_t d) { return d <= 0; }))
    return emitOptionalError(loc, "expects 2 positive dilations");
  return success();
}

/// The conv2d result type, or a diagnostic at `loc`.
static FailureOr<RankedTensorType>
conv2dResultType(std::optional<Location> loc, Type inputType, Type weightType,
                 ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
                 ArrayRef<int64_t> dilations, int64_t groups) {
  auto input = cast<RankedTensorType>(inputType);
  auto weight = cast<RankedTensorType>(weightType);
  if (input.getRank() != 4)
    return emitOptionalError(loc, "expects an NCHW input of rank 4, got ",
                             input);
  if (weight.getRank() != 4 || !weight.hasStaticShape())
    return emitOptionalError(
        loc, "expects a static weight [OC, C/groups, KH, KW], got ", weight);
  if (llvm::any_of(input.getShape().drop_front(), ShapedType::isDynamic))
    return emitOptionalError(
        loc, "expects static channels and image sizes, got ", input);
  if (failed(checkWindowAttrs(loc, strides, padding, dilations)))
    return failure();
  int64_t channels = input.getDimSize(1), outChannels = weight.getDimSize(0);
  if (groups <= 0 || channels % groups != 0 || outChannels % groups != 0)
    return emitOptionalError(loc, "groups ", groups,
                             " must divide the input channels (", channels,
                             ") and the output channels (", outChannels, ")");
  if (weight.getDimSize(1) * groups != channels)
    return emitOptionalError(loc, "weight has ", weight.getDimSize(1),
                             " channels per group but the input has ", channels,
                             " channels in ", groups, " group(s)");
  SmallVector<int64_t> shape = {input.getDimSize(0), outChannels};
  for (int64_t d = 0; d < 2; ++d) {
    int64_t size = input.getDimSize(2 + d), kernel = weight.getDimSize(2 + d);
    int64_t out = windowOutputSize(size, kernel, strides[d], padding[d],
                                   padding[d + 2], dilations[d], false);
    if (out <= 0)
      return emitOptionalError(
          loc, "kernel ", weight.getDimSize(2), "x", weight.getDimSize(3),
          " (dilation ", dilations[0], "x", dilations[1],
          ") is larger than the padded input ",
          input.getDimSize(2) + padding[0] + padding[2], "x",
          input.getDimSize(3) + padding[1] + padding[3]);
    shape.push_back(out);
  }
  return RankedTensorType::get(shape, input.getElementType());
}

LogicalResult mlir::nn::inferConv2d(std::optional<Location> loc, Type input,
                                    Type weight, Type bias,
                                    ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> padding,
                                    ArrayRef<int64_t> dilations, int64_t groups,
                                    SmallVectorImpl<Type> &types) {
  FailureOr<RankedTensorType> result =
      conv2dResultType(loc, input, weight, strides, padding, dilations, groups);
  if (failed(result))
    return failure();
  if (bias) {
    auto biasType = cast<RankedTensorType>(bias);
    if (biasType.getRank() != 1 ||
        biasType.getDimSize(0) != result->getDimSize(1))
      return emitOptionalError(loc, "expects a bias of ", result->getDimSize(1),
                               " elements, got ", biasType);
  }
  types.push_back(*result);
  return success();
}

LogicalResult mlir::nn::inferConv2dBackward(std::optional<Location> loc,
                                            Type grad, Type input, Type weight,
                                            ArrayRef<int64_t> strides,
                                            ArrayRef<int64_t> padding,
                                            ArrayRef<int64_t> dilations,
                                            int64_t groups, bool wantInput,
                                            SmallVectorImpl<Type> &types) {
  FailureOr<RankedTensorType> result =
      conv2dResultType(loc, input, weight, strides, padding, dilations, groups);
  if (failed(result))
    return failure();
  if (failed(verifyCompatibleShape(grad, *result)))
    return emitOptionalError(loc, "expects a gradient of conv2d's result type ",
                             *result, ", got ", grad);
  types.push_back(wantInput ? input : weight);
  return success();
}

LogicalResult mlir::nn::inferConvTranspose2d(
    std::optional<Location> loc, Type inputType, Type weightType, Type bias,
    ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
    ArrayRef<int64_t> outputPadding, ArrayRef<int64_t> dilations,
    int64_t groups, SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(inputType);
  auto weight = cast<RankedTensorType>(weightType);
  if (input.getRank() != 4)
    return emitOptionalError(loc, "expects an NCHW input of rank 4, got ",
                             input);
  if (weight.getRank() != 4 || !weight.hasStaticShape())
    return emitOptionalError(
        loc, "expects a static weight [C, OC/groups, KH, KW], got ", weight);
  if (llvm::any_of(input.getShape().drop_front(), ShapedType::isDynamic))
    return emitOptionalError(
        loc, "expects static channels and image sizes, got ", input);
  if (failed(checkWindowAttrs(loc, strides, padding, dilations)))
    return failure();
  if (outputPadding.size() != 2 ||
      llvm::any_of(outputPadding, [](int64_t p) { return p < 0; }))
    return emitOptionalError(loc, "expects 2 non-negative output paddings "
                                  "[rows, columns]");
  for (int64_t d = 0; d < 2; ++d)
    if (outputPadding[d] >= strides[d])
      return emitOptionalError(loc, "output padding ", outputPadding[d],
                               " must be smaller than the stride ",
                               strides[d]);
  int64_t channels = input.getDimSize(1);
  if (groups <= 0 || channels % groups != 0)
    return emitOptionalError(loc, "groups ", groups,
                             " must divide the input channels (", channels,
                             ")");
  if (weight.getDimSize(0) != channels)
    return emitOptionalError(loc, "weight has ", weight.getDimSize(0),
                             " input channels but the input has ", channels);
  int64_t outChannels = weight.getDimSize(1) * groups;
  SmallVector<int64_t> shape = {input.getDimSize(0), outChannels};
  for (int64_t d = 0; d < 2; ++d) {
    int64_t out = strides[d] * (input.getDimSize(2 + d) - 1) +
                  dilations[d] * (weight.getDimSize(2 + d) - 1) + 1 -
                  padding[d] - padding[d + 2] + outputPadding[d];
    if (out <= 0)
      return emitOptionalError(loc, "padding [", padding[0], ", ", padding[1],
                               ", ", padding[2], ", ", padding[3],
                               "] leaves no output of the ",
                               input.getDimSize(2), "x", input.getDimSize(3),
                               " input");
    shape.push_back(out);
  }
  if (bias) {
    auto biasType = cast<RankedTensorType>(bias);
    if (biasType.getRank() != 1 || biasType.getDimSize(0) != outChannels)
      return emitOptionalError(loc, "expects a bias of ", outChannels,
                               " elements, got ", biasType);
  }
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult Conv2dOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value g = resultGrads[0];
  grads.push_back(Conv2dBackwardDataOp::create(
      b, loc, g, getInput(), getWeight(), getStridesAttr(), getPaddingAttr(),
      getDilationsAttr(), getGroupsAttr()));
  grads.push_back(Conv2dBackwardFilterOp::create(
      b, loc, g, getInput(), getWeight(), getStridesAttr(), getPaddingAttr(),
      getDilationsAttr(), getGroupsAttr()));
  if (getBias())
    grads.push_back(ReduceSumOp::create(
        b, loc, g, b.getDenseI64ArrayAttr({0, 2, 3}), /*keepdims=*/false));
  return success();
}

LogicalResult ConvTranspose2dOp::buildGradients(OpBuilder &b,
                                                ValueRange resultGrads,
                                                SmallVectorImpl<Value> &grads) {
  // y = conv2d_backward_data(x, W) for a conv2d from y's shape to x's, so
  // dx = conv2d(dy, W) and dW = conv2d_backward_filter(x, dy, W): the same
  // tiled contractions with x in the role of conv2d's output gradient.
  Location loc = getLoc();
  Value g = resultGrads[0];
  grads.push_back(Conv2dOp::create(b, loc, g, getWeight(), Value(),
                                   getStridesAttr(), getPaddingAttr(),
                                   getDilationsAttr(), getGroupsAttr()));
  grads.push_back(Conv2dBackwardFilterOp::create(
      b, loc, getInput(), g, getWeight(), getStridesAttr(), getPaddingAttr(),
      getDilationsAttr(), getGroupsAttr()));
  if (getBias())
    grads.push_back(ReduceSumOp::create(
        b, loc, g, b.getDenseI64ArrayAttr({0, 2, 3}), /*keepdims=*/false));
  return success();
}
