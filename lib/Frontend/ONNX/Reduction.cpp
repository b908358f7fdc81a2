//===- Reduction.cpp - ONNX ReduceSum, ReduceMean, ReduceProd, ... -------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The axes moved from an attribute to an optional second input: in opset 13
// for ReduceSum, in opset 18 for the others. With no axes the reduction is
// over every axis, unless `noop_with_empty_axes` asks for the identity.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;

namespace neurona::onnx_import {

/// The axes of a reduction node, as written (possibly negative); empty when
/// none are given.
static llvm::Expected<SmallVector<int64_t>>
reductionAxes(NodeContext &node, int64_t axesInputOpset) {
  SmallVector<int64_t> axes;
  if (node.opset() >= axesInputOpset) {
    if (node.findAttribute("axes"))
      return node.error(llvm::formatv(
          "from opset {0} the axes are an input, not an attribute",
          axesInputOpset));
    if (!node.hasInput(1))
      return axes;
    auto constant = node.constantInput(1);
    if (!constant)
      return constant.takeError();
    if ((*constant)->isFloat() || (*constant)->dims.size() > 1)
      return node.error("axes must be a 1-D integer constant");
    axes.append((*constant)->ints.begin(), (*constant)->ints.end());
    return axes;
  }
  if (node.hasInput(1))
    return node.error(llvm::formatv(
        "before opset {0} the axes are an attribute, not an input",
        axesInputOpset));
  if (const onnx::AttributeProto *attr = node.findAttribute("axes"))
    axes.append(attr->ints().begin(), attr->ints().end());
  return axes;
}

/// Builds a reduction of `input` over `axes` (normalised, non-empty).
using ReduceBuilder = Value (*)(OpBuilder &, Location, Value, DenseI64ArrayAttr,
                                bool);

template <typename OpTy>
static Value buildReduce(OpBuilder &b, Location loc, Value input,
                         DenseI64ArrayAttr axes, bool keepdims) {
  return OpTy::create(b, loc, input, axes, keepdims);
}

/// ReduceSumSquare: sum(x * x).
static Value buildSumSquare(OpBuilder &b, Location loc, Value input,
                            DenseI64ArrayAttr axes, bool keepdims) {
  Value square = nn::MulOp::create(b, loc, input, input);
  return nn::ReduceSumOp::create(b, loc, square, axes, keepdims);
}

/// ReduceL1: sum(|x|).
static Value buildL1(OpBuilder &b, Location loc, Value input,
                     DenseI64ArrayAttr axes, bool keepdims) {
  Value magnitude = nn::AbsOp::create(b, loc, input);
  return nn::ReduceSumOp::create(b, loc, magnitude, axes, keepdims);
}

/// ReduceL2: sqrt(sum(x * x)).
static Value buildL2(OpBuilder &b, Location loc, Value input,
                     DenseI64ArrayAttr axes, bool keepdims) {
  return nn::SqrtOp::create(b, loc,
                            buildSumSquare(b, loc, input, axes, keepdims));
}

/// ReduceLogSumExp, computed stably: m + log(sum(exp(x - m))) with m the
/// maximum over the axes (a -inf maximum, all elements -inf, gives NaN as
/// x - m does in any stable form; finite inputs never do).
static Value buildLogSumExp(OpBuilder &b, Location loc, Value input,
                            DenseI64ArrayAttr axes, bool keepdims) {
  Value max = nn::ReduceMaxOp::create(b, loc, input, axes, /*keepdims=*/true);
  Value shifted = nn::SubOp::create(b, loc, input, max);
  Value sum = nn::ReduceSumOp::create(
      b, loc, nn::ExpOp::create(b, loc, shifted), axes, keepdims);
  Value log = nn::LogOp::create(b, loc, sum);
  Value offset = max;
  if (!keepdims)
    offset = nn::ReduceMaxOp::create(b, loc, input, axes, /*keepdims=*/false);
  return nn::AddOp::create(b, loc, log, offset);
}

/// `value` sliced along `axis` to [start, end).
static Value sliceAlong(OpBuilder &b, Location loc, Value value, int64_t axis,
                        int64_t start, int64_t end) {
  return nn::SliceOp::create(b, loc, value, b.getDenseI64ArrayAttr({axis}),
                             b.getDenseI64ArrayAttr({start}),
                             b.getDenseI64ArrayAttr({end}),
                             DenseI64ArrayAttr());
}

/// ReduceProd: along each axis, a tree of products of the two halves
/// (log2(n) multiplications of shrinking slices; an odd element is folded
/// into the first), so it builds only differentiable `nn` ops whose
/// gradient is exact where elements are zero (unlike prod / x) and no op of
/// its own is needed. Null when an axis is the dynamic batch.
static Value buildProd(OpBuilder &b, Location loc, Value input,
                       DenseI64ArrayAttr axes, bool keepdims) {
  Value v = input;
  for (int64_t axis : axes.asArrayRef()) {
    auto type = cast<RankedTensorType>(v.getType());
    int64_t n = type.getDimSize(axis);
    if (ShapedType::isDynamic(n))
      return Value();
    // The product over an empty axis is 1 (ONNX's reduce_prod_empty_set).
    if (n == 0 && type.getNumDynamicDims() == 0) {
      SmallVector<int64_t> shape(type.getShape());
      shape[axis] = 1;
      auto ones = RankedTensorType::get(shape, type.getElementType());
      v = nn::ConstantOp::create(b, loc, DenseElementsAttr::get(ones, 1.0f));
      continue;
    }
    while (n > 1) {
      if (n % 2 == 1) {
        Value ends =
            nn::MulOp::create(b, loc, sliceAlong(b, loc, v, axis, 0, 1),
                              sliceAlong(b, loc, v, axis, n - 1, n));
        Value middle = sliceAlong(b, loc, v, axis, 1, n - 1);
        v = nn::ConcatOp::create(b, loc, ValueRange{ends, middle},
                                 b.getI64IntegerAttr(axis));
        --n;
      }
      int64_t half = n / 2;
      v = nn::MulOp::create(b, loc, sliceAlong(b, loc, v, axis, 0, half),
                            sliceAlong(b, loc, v, axis, half, n));
      n = half;
    }
  }
  if (keepdims)
    return v;
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(type.getShape()))
    if (!llvm::is_contained(axes.asArrayRef(), static_cast<int64_t>(d)))
      shape.push_back(size);
  return nn::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v);
}

template <ReduceBuilder Build, int64_t AxesInputOpset>
static Error importReduce(NodeContext &node) {
  if (Error err = node.checkSignature(
          {"axes", "keepdims", "noop_with_empty_axes"}, 1, 2))
    return err;
  auto keepdims = node.intAttribute("keepdims", 1);
  if (!keepdims)
    return keepdims.takeError();
  auto noop = node.intAttribute("noop_with_empty_axes", 0);
  if (!noop)
    return noop.takeError();
  auto axes = reductionAxes(node, AxesInputOpset);
  if (!axes)
    return axes.takeError();
  // ReduceMax and ReduceMin take BOOL too (any and all), and INT8, INT16,
  // UINT8 and UINT16: exact through f32, which holds every such value (0
  // and 1 order as false and true).
  auto dataType = node.inputDataType(0);
  if (!dataType)
    return dataType.takeError();
  OpBuilder &b = node.builder();
  Type original = elementTypeOf(b.getContext(), *dataType);
  bool narrow =
      *dataType == onnx::TensorProto::BOOL ||
      (isIntegerDataType(*dataType) && original.getIntOrFloatBitWidth() <= 16);
  bool viaFloat =
      narrow && (node.opType() == "ReduceMax" || node.opType() == "ReduceMin");
  auto input = viaFloat ? node.anyInput(0) : node.input(0);
  if (!input)
    return input.takeError();
  if (viaFloat)
    *input = nn::CastOp::create(
        b, node.loc(),
        RankedTensorType::get(
            cast<RankedTensorType>(input->getType()).getShape(),
            b.getF32Type()),
        *input);
  auto type = cast<RankedTensorType>(input->getType());
  if (axes->empty()) {
    if (*noop)
      return node.aliasOutput(0, 0);
    for (int64_t d = 0; d < type.getRank(); ++d)
      axes->push_back(d);
  }
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferReduce(loc, type, *axes, *keepdims != 0, types);
          }))
    return err;
  auto normalized = nn::normalizeAxes(*axes, type.getRank());
  Value y = Build(b, node.loc(), *input, b.getDenseI64ArrayAttr(*normalized),
                  *keepdims != 0);
  if (!y)
    return node.error("cannot reduce over the dynamic batch dimension");
  if (viaFloat)
    y = nn::CastOp::create(
        b, node.loc(),
        RankedTensorType::get(cast<RankedTensorType>(y.getType()).getShape(),
                              original),
        y);
  return node.setOutput(0, y);
}

/// GlobalMaxPool: the maximum over every spatial position, kept as 1s.
static Error importGlobalMaxPool(NodeContext &node) {
  if (Error err = node.checkSignature({}, 1, 1))
    return err;
  auto input = node.input(0);
  if (!input)
    return input.takeError();
  auto type = cast<RankedTensorType>(input->getType());
  if (type.getRank() < 3)
    return node.error("expects an N x C x D1 x ... input, got " +
                      formatShape(type));
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < type.getRank(); ++d)
    axes.push_back(d);
  OpBuilder &b = node.builder();
  return node.setOutput(0, nn::ReduceMaxOp::create(b, node.loc(), *input,
                                                   b.getDenseI64ArrayAttr(axes),
                                                   true));
}

void registerReductionOps(OpTable &table) {
  // The opset from which each op takes its axes as an input.
  table["ReduceSum"] = importReduce<buildReduce<nn::ReduceSumOp>, 13>;
  table["ReduceMean"] = importReduce<buildReduce<nn::ReduceMeanOp>, 18>;
  table["ReduceMax"] = importReduce<buildReduce<nn::ReduceMaxOp>, 18>;
  table["ReduceMin"] = importReduce<buildReduce<nn::ReduceMinOp>, 18>;
  table["ReduceSumSquare"] = importReduce<buildSumSquare, 18>;
  table["ReduceL1"] = importReduce<buildL1, 18>;
  table["ReduceL2"] = importReduce<buildL2, 18>;
  table["ReduceLogSumExp"] = importReduce<buildLogSumExp, 18>;
  table["ReduceProd"] = importReduce<buildProd, 18>;
  table["GlobalMaxPool"] = importGlobalMaxPool;
}

} // namespace neurona::onnx_import
