//===- Logical.cpp - comparison, logic, selection, cast and gather ops ----===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The ops that carry ONNX's integer and boolean tensors: shape inference,
// verifiers and the gradient rules of the few that pass one (where, gather,
// a cast between float types). Comparisons, logic, argmax/argmin and integer
// results have no gradient: nn-autodiff never marks an integer value active.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::nn;
using grad::unbroadcast;

static RankedTensorType ranked(Type t) { return cast<RankedTensorType>(t); }

//===----------------------------------------------------------------------===//
// Shape inference
//===----------------------------------------------------------------------===//

LogicalResult mlir::nn::inferCompare(std::optional<Location> loc, Type lhs,
                                     Type rhs, SmallVectorImpl<Type> &types) {
  SmallVector<Type> same;
  if (failed(inferBroadcast(loc, lhs, rhs, same)))
    return failure();
  types.push_back(RankedTensorType::get(ranked(same[0]).getShape(),
                                        IntegerType::get(lhs.getContext(), 1)));
  return success();
}

LogicalResult mlir::nn::inferWhere(std::optional<Location> loc, Type condition,
                                   Type x, Type y,
                                   SmallVectorImpl<Type> &types) {
  auto c = ranked(condition), xt = ranked(x), yt = ranked(y);
  if (xt.getElementType() != yt.getElementType())
    return emitOptionalError(loc, "x and y have different element types (",
                             xt.getElementType(), " and ",
                             yt.getElementType(), ")");
  auto shape = broadcastShapes(xt.getShape(), yt.getShape());
  if (shape)
    shape = broadcastShapes(c.getShape(), *shape);
  if (!shape)
    return emitOptionalError(loc, "condition, x and y shapes ", c, ", ", xt,
                             " and ", yt, " do not broadcast");
  types.push_back(RankedTensorType::get(*shape, xt.getElementType()));
  return success();
}

LogicalResult mlir::nn::inferArgReduce(std::optional<Location> loc, Type input,
                                       int64_t axis, bool keepdims,
                                       SmallVectorImpl<Type> &types) {
  auto type = ranked(input);
  int64_t a = normalizeAxis(axis, type.getRank());
  if (a < 0)
    return emitOptionalError(loc, "axis ", axis, " is out of range for ",
                             type);
  if (type.isDynamicDim(a))
    return emitOptionalError(loc, "cannot reduce over the dynamic batch "
                                  "dimension of ",
                             type);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (d != a)
      shape.push_back(type.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  types.push_back(
      RankedTensorType::get(shape, IntegerType::get(input.getContext(), 64)));
  return success();
}

LogicalResult mlir::nn::inferGather(std::optional<Location> loc, Type data,
                                    Type indices, int64_t axis,
                                    SmallVectorImpl<Type> &types) {
  auto d = ranked(data), i = ranked(indices);
  int64_t a = normalizeAxis(axis, d.getRank());
  if (a < 0)
    return emitOptionalError(loc, "axis ", axis, " is out of range for ", d);
  if (d.isDynamicDim(a))
    return emitOptionalError(loc, "cannot gather along the dynamic batch "
                                  "dimension of ",
                             d);
  // A dynamic dimension may only lead the result (the batch).
  for (int64_t k = 0; k < i.getRank(); ++k)
    if (i.isDynamicDim(k) && (a != 0 || k != 0))
      return emitOptionalError(loc, "indices ", i,
                               " would put a dynamic dimension after the "
                               "leading one");
  SmallVector<int64_t> shape(d.getShape().take_front(a));
  llvm::append_range(shape, i.getShape());
  llvm::append_range(shape, d.getShape().drop_front(a + 1));
  types.push_back(RankedTensorType::get(shape, d.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Cast
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  auto in = ranked(getInput().getType()), out = ranked(getType());
  if (in.getShape() != out.getShape())
    return emitOpError("changes the shape from ")
           << in << " to " << out << "; a cast only converts elements";
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult CastOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  // Only a float-to-float cast is differentiable: the gradient converts
  // back. Integer results are never active (nn-autodiff), so an integer
  // result's rule only runs when nothing needs it.
  Type in = getInput().getType();
  bool floats = isa<FloatType>(ranked(in).getElementType()) &&
                isa<FloatType>(getType().getElementType());
  grads.push_back(floats ? CastOp::create(b, getLoc(), in, resultGrads[0])
                               .getResult()
                         : Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Mod
//===----------------------------------------------------------------------===//

LogicalResult ModOp::buildGradients(OpBuilder &, ValueRange,
                                    SmallVectorImpl<Value> &) {
  return emitOpError("nn-autodiff: mod has no gradient rule");
}

//===----------------------------------------------------------------------===//
// Where and gather
//===----------------------------------------------------------------------===//

LogicalResult WhereOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                      SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  Value g = resultGrads[0];
  Value zero = grad::scalar(b, loc, 0.0f);
  grads.push_back(Value());
  grads.push_back(unbroadcast(
      b, loc, WhereOp::create(b, loc, getCondition(), g, zero),
      getX().getType()));
  grads.push_back(unbroadcast(
      b, loc, WhereOp::create(b, loc, getCondition(), zero, g),
      getY().getType()));
  return success();
}

/// An integer constant of `type`'s element type and rank 0.
static Value indexScalar(OpBuilder &b, Location loc, Type elementType,
                         int64_t v) {
  auto type = RankedTensorType::get({}, elementType);
  return ConstantOp::create(b, loc,
                            DenseElementsAttr::get(
                                type, APInt(elementType.getIntOrFloatBitWidth(),
                                            v, /*isSigned=*/true)));
}

LogicalResult GatherOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  // The data's gradient is a scatter-add of the result's gradient into the
  // gathered entries: moved so that the index dimensions lead and the rest
  // of the data is one row, it is exactly embedding_backward's, whose
  // accumulation order is fixed.
  Location loc = getLoc();
  auto data = ranked(getData().getType());
  auto indices = ranked(getIndices().getType());
  if (!data.hasStaticShape())
    return emitOpError("nn-autodiff: gather has a gradient only for data of "
                       "static shape, got ")
           << data;
  int64_t rank = data.getRank();
  int64_t axis = normalizeAxis(getAxis(), rank);
  int64_t nIdx = indices.getRank();
  Value g = resultGrads[0];
  auto gType = ranked(g.getType());

  // g: D[:a] ++ I ++ D[a+1:]  ->  I ++ D[:a] ++ D[a+1:].
  SmallVector<int64_t> perm;
  for (int64_t k = 0; k < nIdx; ++k)
    perm.push_back(axis + k);
  for (int64_t k = 0; k < gType.getRank(); ++k)
    if (k < axis || k >= axis + nIdx)
      perm.push_back(k);
  if (!llvm::equal(perm, llvm::seq<int64_t>(0, gType.getRank())))
    g = TransposeOp::create(b, loc, g, b.getDenseI64ArrayAttr(perm));

  int64_t rest = 1;
  SmallVector<int64_t> restDims;
  for (int64_t k = 0; k < rank; ++k)
    if (k != axis) {
      rest *= data.getDimSize(k);
      restDims.push_back(data.getDimSize(k));
    }
  // Indices as [N, T]: the leading index dimension (perhaps the batch) and
  // the product of the others.
  int64_t n = nIdx == 0 ? 1 : indices.getDimSize(0);
  int64_t t = 1;
  for (int64_t k = 1; k < nIdx; ++k)
    t *= indices.getDimSize(k);
  Type idxElem = indices.getElementType();
  Value ids = getIndices();
  auto idsType = RankedTensorType::get({n, t}, idxElem);
  if (ids.getType() != idsType)
    ids = ReshapeOp::create(b, loc, idsType, ids);
  // Negative indices count from the end, as in the forward.
  int64_t size = data.getDimSize(axis);
  Value negative =
      LessOp::create(b, loc, ids, indexScalar(b, loc, idxElem, 0));
  ids = WhereOp::create(
      b, loc, negative,
      AddOp::create(b, loc, ids, indexScalar(b, loc, idxElem, size)), ids);

  auto rowsType = RankedTensorType::get({n, t, rest}, gType.getElementType());
  g = ReshapeOp::create(b, loc, rowsType, g);
  auto tableType = RankedTensorType::get({size, rest}, gType.getElementType());
  Value table = ConstantOp::create(
      b, loc, DenseElementsAttr::get(tableType, b.getF32FloatAttr(0.0f)));
  Value dTable = EmbeddingBackwardOp::create(b, loc, g, ids, table,
                                             /*padding_idx=*/nullptr);

  // [size, rest] -> [size] ++ D[:a] ++ D[a+1:] -> D.
  SmallVector<int64_t> moved{size};
  llvm::append_range(moved, restDims);
  auto movedType = RankedTensorType::get(moved, gType.getElementType());
  if (movedType != dTable.getType())
    dTable = ReshapeOp::create(b, loc, movedType, dTable);
  if (axis != 0) {
    SmallVector<int64_t> back;
    for (int64_t k = 0; k < rank; ++k)
      back.push_back(k < axis ? k + 1 : k == axis ? 0 : k);
    dTable = TransposeOp::create(b, loc, dTable, b.getDenseI64ArrayAttr(back));
  }
  grads.push_back(dTable);
  grads.push_back(Value());
  return success();
}
