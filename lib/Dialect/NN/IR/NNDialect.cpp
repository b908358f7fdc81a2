//===- NNDialect.cpp - nn dialect and shared shape inference --------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::nn;

#include "neurona/Dialect/NN/IR/NNInterfaces.cpp.inc"
#include "neurona/Dialect/NN/IR/NNOpsDialect.cpp.inc"

namespace mlir::nn {
/// `attr`'s values, or `defaultValue` when it is absent: the adaptors that
/// the generated `inferReturnTypes` of an op being parsed receives do not
/// have its default-valued attributes yet.
static ArrayRef<int64_t> orDefault(DenseI64ArrayAttr attr,
                                   ArrayRef<int64_t> defaultValue) {
  return attr ? attr.asArrayRef() : defaultValue;
}
} // namespace mlir::nn

#define GET_OP_CLASSES
#include "neurona/Dialect/NN/IR/NNOps.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "neurona/Dialect/NN/IR/NNOps.cpp.inc"
      >();
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

ConstantOp ConstantOp::createScalar(OpBuilder &b, Location loc, float value) {
  auto type = RankedTensorType::get({}, b.getF32Type());
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(value)));
}

//===----------------------------------------------------------------------===//
// Shape inference
//===----------------------------------------------------------------------===//

int64_t mlir::nn::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < 0)
    axis += rank;
  return (axis < 0 || axis >= rank) ? -1 : axis;
}

std::optional<SmallVector<int64_t>>
mlir::nn::normalizeAxes(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    int64_t a = normalizeAxis(axis, rank);
    if (a < 0)
      return std::nullopt;
    result.push_back(a);
  }
  llvm::sort(result);
  result.erase(llvm::unique(result), result.end());
  return result;
}

std::optional<SmallVector<int64_t>>
mlir::nn::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align on the right; missing leading dims act as 1.
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    // A dynamic dimension is the batch: it matches another dynamic one or
    // stretches a 1, but never equals a fixed size, which nothing at run time
    // would check.
    if (da == db || db == 1)
      result[i] = da;
    else if (da == 1)
      result[i] = db;
    else
      return std::nullopt;
  }
  return result;
}

LogicalResult mlir::nn::inferConstant(std::optional<Location> loc,
                                      Attribute value,
                                      SmallVectorImpl<Type> &types) {
  auto elements = dyn_cast_or_null<ElementsAttr>(value);
  if (!elements)
    return emitOptionalError(loc, "expects an elements attribute");
  types.push_back(elements.getType());
  return success();
}

LogicalResult mlir::nn::inferBroadcast(std::optional<Location> loc, Type lhs,
                                       Type rhs, SmallVectorImpl<Type> &types) {
  auto l = cast<RankedTensorType>(lhs), r = cast<RankedTensorType>(rhs);
  if (l.getElementType() != r.getElementType())
    return emitOptionalError(loc, "operands have different element types");
  auto shape = broadcastShapes(l.getShape(), r.getShape());
  if (!shape)
    return emitOptionalError(loc, "operand shapes ", l, " and ", r,
                             " do not broadcast");
  types.push_back(RankedTensorType::get(*shape, l.getElementType()));
  return success();
}

LogicalResult mlir::nn::inferSameAsInput(Type input,
                                         SmallVectorImpl<Type> &types) {
  types.push_back(input);
  return success();
}

LogicalResult mlir::nn::inferMatmul(std::optional<Location> loc, Type lhs,
                                    Type rhs, bool transposeLhs,
                                    bool transposeRhs, bool batchReduce,
                                    SmallVectorImpl<Type> &types) {
  auto l = cast<RankedTensorType>(lhs), r = cast<RankedTensorType>(rhs);
  if (l.getRank() < 2 || r.getRank() < 2)
    return emitOptionalError(loc, "expects operands of rank 2 or more, got ",
                             l, " and ", r);
  int64_t lr = l.getRank(), rr = r.getRank();
  int64_t m = l.getDimSize(transposeLhs ? lr - 1 : lr - 2);
  int64_t kl = l.getDimSize(transposeLhs ? lr - 2 : lr - 1);
  int64_t kr = r.getDimSize(transposeRhs ? rr - 1 : rr - 2);
  int64_t n = r.getDimSize(transposeRhs ? rr - 2 : rr - 1);
  if (kl != kr) {
    if (ShapedType::isDynamic(kl) || ShapedType::isDynamic(kr))
      return emitOptionalError(
          loc,
          "cannot contract the dynamic batch dimension with a fixed "
          "size: ",
          l, " and ", r);
    return emitOptionalError(loc, "contraction sizes differ: ", kl,
                             " (lhs) vs ", kr, " (rhs)");
  }
  auto batch = broadcastShapes(l.getShape().drop_back(2),
                               r.getShape().drop_back(2));
  if (!batch)
    return emitOptionalError(loc, "batch dimensions of ", l, " and ", r,
                             " do not broadcast");
  if (batchReduce && batch->empty())
    return emitOptionalError(loc, "batch_reduce needs batch dimensions, got ",
                             l, " and ", r);
  SmallVector<int64_t> shape;
  if (!batchReduce)
    shape = *batch;
  shape.append({m, n});
  types.push_back(RankedTensorType::get(shape, l.getElementType()));
  return success();
}

LogicalResult mlir::nn::inferLike(std::optional<Location> loc, Type input,
                                  Type like, SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(input),
       target = cast<RankedTensorType>(like);
  types.push_back(
      RankedTensorType::get(target.getShape(), in.getElementType()));
  (void)loc;
  return success();
}

LogicalResult mlir::nn::inferReduce(std::optional<Location> loc, Type input,
                                    ArrayRef<int64_t> axes, bool keepdims,
                                    SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(input);
  auto normalized = normalizeAxes(axes, in.getRank());
  if (!normalized)
    return emitOptionalError(loc, "reduction axis out of range for ", in);
  if (normalized->empty())
    return emitOptionalError(loc, "expects at least one reduction axis");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(*normalized, d))
      shape.push_back(in.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  types.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult mlir::nn::inferScalar(MLIRContext *context,
                                    SmallVectorImpl<Type> &types) {
  types.push_back(RankedTensorType::get({}, Float32Type::get(context)));
  return success();
}

LogicalResult mlir::nn::inferOneHot(std::optional<Location> loc, Type labels,
                                    int64_t depth,
                                    SmallVectorImpl<Type> &types) {
  auto l = cast<RankedTensorType>(labels);
  if (l.getRank() < 1)
    return emitOptionalError(loc, "expects labels of rank 1 or more, got ", l);
  if (depth <= 0)
    return emitOptionalError(loc, "expects a positive depth, got ", depth);
  SmallVector<int64_t> shape(l.getShape());
  shape.push_back(depth);
  types.push_back(
      RankedTensorType::get(shape, Float32Type::get(l.getContext())));
  return success();
}
