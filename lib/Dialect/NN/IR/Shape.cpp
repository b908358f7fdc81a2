//===- Shape.cpp - reshape, broadcast, transpose, concat and slice ops ----===//
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

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult mlir::nn::inferTranspose(std::optional<Location> loc, Type input,
                                       ArrayRef<int64_t> perm,
                                       SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(input);
  int64_t rank = in.getRank();
  if (static_cast<int64_t>(perm.size()) != rank)
    return emitOptionalError(loc, "perm has ", perm.size(),
                             " entries but the input ", in, " has rank ", rank);
  SmallVector<bool> seen(rank, false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank)
      return emitOptionalError(loc, "perm entry ", p,
                               " is out of range for rank ", rank);
    if (seen[p])
      return emitOptionalError(loc, "perm lists dimension ", p, " twice");
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  if (rank > 0 && in.isDynamicDim(0) && perm[0] != 0)
    return emitOptionalError(loc, "the dynamic batch dimension of ", in,
                             " must stay first (perm[0] must be 0, got ",
                             perm[0], ")");
  types.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult TransposeOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  grads.push_back(TransposeOp::create(b, getLoc(), resultGrads[0],
                                      b.getDenseI64ArrayAttr(inverse)));
  return success();
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult mlir::nn::inferConcat(std::optional<Location> loc,
                                    ValueRange inputs, int64_t axis,
                                    SmallVectorImpl<Type> &types) {
  if (inputs.empty())
    return emitOptionalError(loc, "expects at least one input");
  auto first = cast<RankedTensorType>(inputs[0].getType());
  int64_t rank = first.getRank();
  int64_t a = normalizeAxis(axis, rank);
  if (a < 0)
    return emitOptionalError(loc, "axis ", axis, " is out of range for ",
                             first);
  SmallVector<int64_t> shape(first.getShape());
  shape[a] = 0;
  for (auto [i, input] : llvm::enumerate(inputs)) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getRank() != rank)
      return emitOptionalError(loc, "input #", i, " ", type,
                               " has a different rank than input #0 ", first);
    for (int64_t d = 0; d < rank; ++d)
      if (d != a && type.getDimSize(d) != first.getDimSize(d))
        return emitOptionalError(
            loc, "input #", i, " ", type, " differs from input #0 ", first,
            " in dimension ", d, ", which is not the concatenation axis");
    if (type.isDynamicDim(a))
      return emitOptionalError(
          loc, "cannot concatenate along the dynamic batch dimension of ",
          type);
    shape[a] += type.getDimSize(a);
  }
  types.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

int64_t ConcatOp::getNormalizedAxis() {
  return normalizeAxis(getAxis(), cast<RankedTensorType>(getType()).getRank());
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  // Each input gets its own stretch of the gradient along the axis.
  int64_t axis = getNormalizedAxis(), offset = 0;
  for (Value input : getInputs()) {
    int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(axis);
    grads.push_back(SliceOp::create(
        b, getLoc(), resultGrads[0], b.getDenseI64ArrayAttr({axis}),
        b.getDenseI64ArrayAttr({offset}),
        b.getDenseI64ArrayAttr({offset + size}), DenseI64ArrayAttr()));
    offset += size;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp and SliceScatterOp
//===----------------------------------------------------------------------===//

int64_t mlir::nn::sliceLength(int64_t start, int64_t end, int64_t step) {
  if (step > 0 && end > start)
    return (end - start + step - 1) / step;
  if (step < 0 && start > end)
    return (start - end - step - 1) / -step;
  return 0;
}

/// The shape `input` has after the slice, or an error at `loc`.
static FailureOr<SmallVector<int64_t>>
slicedShape(std::optional<Location> loc, RankedTensorType input,
            ArrayRef<int64_t> axes, ArrayRef<int64_t> starts,
            ArrayRef<int64_t> ends, ArrayRef<int64_t> steps) {
  size_t n = axes.size();
  if (n == 0)
    return emitOptionalError(loc, "expects at least one axis");
  if (starts.size() != n || ends.size() != n ||
      (!steps.empty() && steps.size() != n))
    return emitOptionalError(loc,
                             "expects as many starts, ends and steps as "
                             "axes (",
                             n, "), got ", starts.size(), ", ", ends.size(),
                             " and ", steps.size());
  int64_t rank = input.getRank();
  SmallVector<int64_t> shape(input.getShape());
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < n; ++i) {
    int64_t axis = normalizeAxis(axes[i], rank);
    if (axis < 0)
      return emitOptionalError(loc, "axis ", axes[i], " is out of range for ",
                               input);
    if (seen[axis])
      return emitOptionalError(loc, "axis ", axes[i], " is listed twice");
    seen[axis] = true;
    if (input.isDynamicDim(axis))
      return emitOptionalError(
          loc, "cannot slice the dynamic batch dimension of ", input);
    int64_t size = input.getDimSize(axis), start = starts[i], end = ends[i];
    int64_t step = steps.empty() ? 1 : steps[i];
    if (step == 0)
      return emitOptionalError(loc, "step of axis ", axes[i], " is 0");
    if (start < 0 || start >= size)
      return emitOptionalError(loc, "start ", start, " of axis ", axes[i],
                               " is out of range [0, ", size, ")");
    if (step > 0 && (end <= start || end > size))
      return emitOptionalError(loc, "end ", end, " of axis ", axes[i],
                               " must be in [", start + 1, ", ", size,
                               "] for a positive step");
    if (step < 0 && (end >= start || end < -1))
      return emitOptionalError(loc, "end ", end, " of axis ", axes[i],
                               " must be in [-1, ", start - 1,
                               "] for a negative step");
    shape[axis] = sliceLength(start, end, step);
  }
  return shape;
}

LogicalResult mlir::nn::inferSlice(std::optional<Location> loc, Type input,
                                   ArrayRef<int64_t> axes,
                                   ArrayRef<int64_t> starts,
                                   ArrayRef<int64_t> ends,
                                   ArrayRef<int64_t> steps,
                                   SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(input);
  auto shape = slicedShape(loc, in, axes, starts, ends, steps);
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, in.getElementType()));
  return success();
}

LogicalResult
mlir::nn::inferSliceScatter(std::optional<Location> loc, Type base, Type source,
                            ArrayRef<int64_t> axes, ArrayRef<int64_t> starts,
                            ArrayRef<int64_t> ends, ArrayRef<int64_t> steps,
                            SmallVectorImpl<Type> &types) {
  auto b = cast<RankedTensorType>(base), s = cast<RankedTensorType>(source);
  auto shape = slicedShape(loc, b, axes, starts, ends, steps);
  if (failed(shape))
    return failure();
  if (RankedTensorType::get(*shape, b.getElementType()) != s)
    return emitOptionalError(loc, "source ", s, " does not have the type ",
                             RankedTensorType::get(*shape, b.getElementType()),
                             " of the slice it replaces");
  types.push_back(b);
  return success();
}

/// Zeros shaped like `like` (a dynamic batch included).
static Value zerosLike(OpBuilder &b, Location loc, Value like) {
  return BroadcastLikeOp::create(b, loc, ConstantOp::createScalar(b, loc, 0.0f),
                                 like);
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                      SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  grads.push_back(SliceScatterOp::create(
      b, loc, zerosLike(b, loc, getInput()), resultGrads[0], getAxesAttr(),
      getStartsAttr(), getEndsAttr(), getStepsAttr()));
  return success();
}

LogicalResult SliceScatterOp::buildGradients(OpBuilder &b,
                                             ValueRange resultGrads,
                                             SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value g = resultGrads[0];
  grads.push_back(SliceScatterOp::create(
      b, loc, g, zerosLike(b, loc, getSource()), getAxesAttr(), getStartsAttr(),
      getEndsAttr(), getStepsAttr()));
  grads.push_back(SliceOp::create(b, loc, g, getAxesAttr(), getStartsAttr(),
                                  getEndsAttr(), getStepsAttr()));
  return success();
}
