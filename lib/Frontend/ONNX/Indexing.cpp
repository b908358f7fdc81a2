//===- Indexing.cpp - ONNX Shape, Gather, Split, Expand, Tile, Pad, ... ---===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Shape, Size, ConstantOfShape, Range, Gather, Split, Expand, Tile and Pad.
// Shapes are static except a dynamic batch, so Shape and Size are known at
// import (the batch size as the symbolic element TensorValue::kDynamicBatch)
// and chains of these ops on known integers fold into constants, which is
// what makes a PyTorch export's Shape -> Gather -> Concat -> Reshape static.
// On tensors computed at run time, Split, Expand, Tile and Pad become
// slices, concatenations and broadcasts of existing differentiable `nn` ops,
// and Gather becomes `nn.gather`, or `nn.embedding` where it is a lookup of
// rows of an f32 table, so that imported models train.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "TensorBlocks.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

/// Folded tensors hold their elements in memory; a file that asks for more
/// than this (a hostile ConstantOfShape or Expand) is refused.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

static RankedTensorType typeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// A 1-D INT64 (or INT32) constant input, as a list.
static Expected<SmallVector<int64_t>>
intList(NodeContext &node, unsigned i, llvm::StringRef what) {
  auto known = node.constantInput(i);
  if (!known)
    return known.takeError();
  const TensorValue &v = **known;
  if (!v.isIntegral() || v.isBool() || v.dims.size() > 1)
    return node.error(llvm::formatv("{0} must be a 1-D INT64 tensor, got {1} "
                                    "{2}",
                                    what, dataTypeName(v.dataType),
                                    formatShape(v.dims)));
  return SmallVector<int64_t>(v.ints.begin(), v.ints.end());
}

/// Checks a shape that the file asks to create: positive dimensions (zero
/// sizes are refused: `nn` has no empty tensors) and a bounded count.
static Error checkNewShape(const NodeContext &node,
                           llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d == 0)
      return node.error("the shape " + formatShape(shape) +
                        " has a zero-size dimension; empty tensors are not "
                        "supported");
    if (d < 0 && !ShapedType::isDynamic(d))
      return node.error("the shape " + formatShape(shape) +
                        " has a negative dimension");
    if (!ShapedType::isDynamic(d) &&
        (llvm::MulOverflow(n, d, n) || n > kMaxFoldedElements * 64))
      return node.error("the shape " + formatShape(shape) +
                        " is impossibly large");
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Shape, Size, ConstantOfShape, Range
//===----------------------------------------------------------------------===//

static Error importShape(NodeContext &node) {
  if (Error err = node.checkSignature({"start", "end"}, 1, 1))
    return err;
  auto shape = node.inputShape(0);
  if (!shape)
    return shape.takeError();
  int64_t rank = shape->size();
  auto start = node.intAttribute("start", 0);
  if (!start)
    return start.takeError();
  auto end = node.intAttribute("end", rank);
  if (!end)
    return end.takeError();
  // Opset 15: negative values count from the end; both are clamped.
  auto clampIndex = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t s = clampIndex(*start), e = clampIndex(*end);
  if (s >= e)
    return node.error(llvm::formatv("start {0} and end {1} select no "
                                    "dimensions of a rank-{2} input; empty "
                                    "tensors are not supported",
                                    *start, *end, rank));
  TensorValue out;
  out.dataType = onnx::TensorProto::INT64;
  for (int64_t d = s; d < e; ++d)
    out.ints.push_back(ShapedType::isDynamic((*shape)[d])
                           ? TensorValue::kDynamicBatch
                           : (*shape)[d]);
  out.dims.push_back(static_cast<int64_t>(out.ints.size()));
  return node.setConstantOutput(0, std::move(out));
}

static Error importSize(NodeContext &node) {
  if (Error err = node.checkSignature({}, 1, 1))
    return err;
  auto shape = node.inputShape(0);
  if (!shape)
    return shape.takeError();
  int64_t n = 1;
  for (int64_t d : *shape) {
    if (ShapedType::isDynamic(d))
      return node.error("the size of " + formatShape(*shape) +
                        " depends on the dynamic batch, which is only known "
                        "at run time");
    n *= d;
  }
  TensorValue out;
  out.dataType = onnx::TensorProto::INT64;
  out.ints.push_back(n);
  return node.setConstantOutput(0, std::move(out));
}

static Error importConstantOfShape(NodeContext &node) {
  if (Error err = node.checkSignature({"value"}, 1, 1))
    return err;
  auto shape = intList(node, 0, "the shape");
  if (!shape)
    return shape.takeError();
  if (Error err = checkNewShape(node, *shape))
    return err;
  TensorValue fill;
  fill.dataType = onnx::TensorProto::FLOAT;
  fill.floats.push_back(0.0f);
  if (const onnx::AttributeProto *attr = node.findAttribute("value")) {
    if (attr->type() != onnx::AttributeProto::TENSOR)
      return node.error("attribute 'value' must be a TENSOR");
    auto decoded = decodeTensor(attr->t(), node.model());
    if (!decoded)
      return node.error("value " + llvm::toString(decoded.takeError()));
    if (decoded->numElements() != 1)
      return node.error("attribute 'value' must hold one element");
    fill = std::move(*decoded);
  }
  int64_t n = 1;
  for (int64_t d : *shape)
    n *= d;
  if (n > kMaxFoldedElements)
    return node.error(llvm::formatv("the shape {0} holds {1} elements; at "
                                    "most {2} are supported",
                                    formatShape(*shape), n,
                                    kMaxFoldedElements));
  TensorValue out;
  out.dataType = fill.dataType;
  out.dims.assign(shape->begin(), shape->end());
  if (fill.isFloat() || fill.isNarrowFloat())
    out.floats.assign(n, fill.floats[0]);
  else if (fill.isDouble())
    out.doubles.assign(n, fill.doubles[0]);
  else
    out.ints.assign(n, fill.ints[0]);
  return node.setConstantOutput(0, std::move(out));
}

static Error importRange(NodeContext &node) {
  // `stash_type` (opset 27) only concerns float16 and bfloat16.
  if (Error err = node.checkSignature({"stash_type"}, 3, 3))
    return err;
  const TensorValue *in[3];
  for (unsigned i = 0; i < 3; ++i) {
    auto known = node.constantInput(i);
    if (!known)
      return known.takeError();
    if ((*known)->numElements() != 1 || !(*known)->dims.empty())
      return node.error(llvm::formatv("input #{0} must be a scalar", i));
    in[i] = *known;
  }
  int32_t type = in[0]->dataType;
  if (in[1]->dataType != type || in[2]->dataType != type || in[0]->isBool())
    return node.error("start, limit and delta must have one numeric type");
  auto get = [&](const TensorValue *v) {
    return v->isFloat()    ? double(v->floats[0])
           : v->isDouble() ? v->doubles[0]
                           : double(v->ints[0]);
  };
  double start = get(in[0]), limit = get(in[1]), delta = get(in[2]);
  if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) ||
      !std::isfinite(delta))
    return node.error("delta must be nonzero and all three finite");
  double count = std::max(std::ceil((limit - start) / delta), 0.0);
  if (count == 0)
    return node.error("the range is empty; empty tensors are not supported");
  if (count > double(kMaxFoldedElements))
    return node.error(llvm::formatv("the range has {0} elements; at most {1} "
                                    "are supported",
                                    count, kMaxFoldedElements));
  TensorValue out;
  out.dataType = type;
  int64_t n = static_cast<int64_t>(count);
  out.dims.push_back(n);
  // ONNX's reference adds delta repeatedly; for integers that is exact, for
  // floats start + i * delta differs from it by rounding only.
  for (int64_t i = 0; i < n; ++i) {
    if (in[0]->isFloat())
      out.floats.push_back(float(start + double(i) * delta));
    else if (in[0]->isDouble())
      out.doubles.push_back(start + double(i) * delta);
    else
      out.ints.push_back(in[0]->ints[0] + i * in[2]->ints[0]);
  }
  return node.setConstantOutput(0, std::move(out));
}

//===----------------------------------------------------------------------===//
// Helpers on IR values
//===----------------------------------------------------------------------===//

Value sliceAxis(NodeContext &node, Value value, int64_t axis, int64_t start,
                int64_t end, int64_t step) {
  OpBuilder &b = node.builder();
  int64_t size = typeOf(value).getDimSize(axis);
  if (start == 0 && end == size && step == 1)
    return value;
  return nn::SliceOp::create(
      b, node.loc(), value, b.getDenseI64ArrayAttr({axis}),
      b.getDenseI64ArrayAttr({start}), b.getDenseI64ArrayAttr({end}),
      step == 1 ? DenseI64ArrayAttr() : b.getDenseI64ArrayAttr({step}));
}

Value concatAxis(NodeContext &node, llvm::ArrayRef<Value> parts,
                 int64_t axis) {
  if (parts.size() == 1)
    return parts[0];
  OpBuilder &b = node.builder();
  return nn::ConcatOp::create(b, node.loc(), parts, b.getI64IntegerAttr(axis));
}

static Value reshapeValue(NodeContext &node, Value value,
                          llvm::ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, typeOf(value).getElementType());
  if (type == value.getType())
    return value;
  return nn::ReshapeOp::create(node.builder(), node.loc(), type, value);
}

/// An all-true bool [?, 1, ..., 1] of `like`'s rank and batch, to broadcast
/// a static block across a dynamic batch with `where` (true | !true keeps
/// it true even where an element is NaN).
static Value batchTrue(NodeContext &node, Value like) {
  auto type = typeOf(like);
  Value v = like;
  for (int64_t d = 1; d < type.getRank(); ++d)
    v = sliceAxis(node, v, d, 0, 1);
  OpBuilder &b = node.builder();
  Value eq = nn::EqualOp::create(b, node.loc(), v, v);
  Value ne = nn::LogicalNotOp::create(b, node.loc(), eq);
  return nn::LogicalOrOp::create(b, node.loc(), eq, ne);
}

/// A constant of `shape` filled with `fill` (one element of `like`'s type),
/// broadcast over `like`'s batch when `shape` leads with a dynamic one.
Value filled(NodeContext &node, Value like, llvm::ArrayRef<int64_t> shape,
             const TensorValue &fill) {
  SmallVector<int64_t> dims(shape);
  bool dynamic = !dims.empty() && ShapedType::isDynamic(dims[0]);
  if (dynamic)
    dims[0] = 1;
  TensorValue block;
  block.dataType = fill.dataType;
  block.dims = dims;
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  if (fill.isFloat())
    block.floats.assign(n, fill.floats[0]);
  else if (fill.isDouble())
    block.doubles.assign(n, fill.doubles[0]);
  else
    block.ints.assign(n, fill.ints[0]);
  OpBuilder &b = node.builder();
  Value constant = nn::ConstantOp::create(
      b, node.loc(), toAttribute(b.getContext(), block));
  if (!dynamic)
    return constant;
  return nn::WhereOp::create(b, node.loc(), batchTrue(node, like), constant,
                             constant);
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

/// Folds Gather on known data (which may hold the dynamic batch size, as a
/// Shape output does) and known indices.
static Expected<TensorValue> foldGather(const NodeContext &node,
                                        const TensorValue &data,
                                        const TensorValue &indices,
                                        int64_t axis) {
  int64_t outer = 1, inner = 1, size = data.dims[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= data.dims[d];
  for (size_t d = axis + 1; d < data.dims.size(); ++d)
    inner *= data.dims[d];
  TensorValue out;
  out.dataType = data.dataType;
  out.dims.assign(data.dims.begin(), data.dims.begin() + axis);
  out.dims.append(indices.dims.begin(), indices.dims.end());
  out.dims.append(data.dims.begin() + axis + 1, data.dims.end());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t idx : indices.ints) {
      int64_t k = idx < 0 ? idx + size : idx;
      if (k < 0 || k >= size)
        return node.error(llvm::formatv("index {0} is out of range for axis "
                                        "{1} of size {2}",
                                        idx, axis, size));
      for (int64_t i = 0; i < inner; ++i) {
        int64_t at = (o * size + k) * inner + i;
        if (data.isFloat())
          out.floats.push_back(data.floats[at]);
        else if (data.isDouble())
          out.doubles.push_back(data.doubles[at]);
        else
          out.ints.push_back(data.ints[at]);
      }
    }
  return out;
}

/// Gather of rows of a static f32 table [V, D] by indices computed at run
/// time: nn.embedding (differentiable, the course's layer), with negative
/// indices counted from the end first.
static Error gatherRows(NodeContext &node, Value table, Value ids) {
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  auto tableType = typeOf(table), idsType = typeOf(ids);
  int64_t rows = tableType.getDimSize(0), width = tableType.getDimSize(1);
  Type idElem = idsType.getElementType();
  auto scalar = [&](int64_t v) -> Value {
    auto type = RankedTensorType::get({}, idElem);
    return nn::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type, APInt(idElem.getIntOrFloatBitWidth(), v,
                                           /*isSigned=*/true)));
  };
  Value negative = nn::LessOp::create(b, loc, ids, scalar(0));
  ids = nn::WhereOp::create(b, loc, negative,
                            nn::AddOp::create(b, loc, ids, scalar(rows)), ids);
  // embedding takes ids [N, T]: the leading dimension and the rest.
  llvm::ArrayRef<int64_t> shape = idsType.getShape();
  int64_t n = shape.empty() ? 1 : shape[0], t = 1;
  for (int64_t d : shape.drop_front(shape.empty() ? 0 : 1))
    t *= d;
  Value flat = reshapeValue(node, ids, {n, t});
  Value rowsOut = nn::EmbeddingOp::create(b, loc, flat, table, IntegerAttr());
  SmallVector<int64_t> outShape(shape);
  outShape.push_back(width);
  return node.setOutput(0, reshapeValue(node, rowsOut, outShape));
}

static Error importGather(NodeContext &node) {
  if (Error err = node.checkSignature({"axis"}, 2, 2))
    return err;
  auto axisAttr = node.intAttribute("axis", 0);
  if (!axisAttr)
    return axisAttr.takeError();
  auto dataShape = node.inputShape(0);
  if (!dataShape)
    return dataShape.takeError();
  int64_t rank = dataShape->size();
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  if (axis < 0 || axis >= rank)
    return node.error(llvm::formatv("axis {0} is out of range for data of "
                                    "rank {1}",
                                    *axisAttr, rank));
  auto indexType = node.inputDataType(1);
  if (!indexType)
    return indexType.takeError();
  if (*indexType != onnx::TensorProto::INT64 &&
      *indexType != onnx::TensorProto::INT32)
    return node.error("indices must be INT32 or INT64, got " +
                      dataTypeName(*indexType));

  const TensorValue *knownData = node.knownInput(0);
  const TensorValue *knownIdx = node.knownInput(1);
  if (knownData && knownData->isIntegral() && knownIdx) {
    auto indices = node.constantInput(1);
    if (!indices)
      return indices.takeError();
    auto folded = foldGather(node, *knownData, **indices, axis);
    if (!folded)
      return folded.takeError();
    return node.setConstantOutput(0, std::move(*folded));
  }

  auto data = node.anyInput(0);
  if (!data)
    return data.takeError();
  auto type = typeOf(*data);
  if (type.isDynamicDim(axis))
    return node.error("cannot gather along the dynamic batch dimension of " +
                      formatShape(type));

  if (knownIdx) {
    // Known indices: a few become slices and a concatenation (any data,
    // a dynamic batch included, and differentiable); more become a gather
    // from a constant.
    auto indices = node.constantInput(1);
    if (!indices)
      return indices.takeError();
    int64_t size = type.getDimSize(axis);
    SmallVector<int64_t> resolved;
    for (int64_t idx : (*indices)->ints) {
      int64_t k = idx < 0 ? idx + size : idx;
      if (k < 0 || k >= size)
        return node.error(llvm::formatv("index {0} is out of range for axis "
                                        "{1} of size {2}",
                                        idx, axis, size));
      resolved.push_back(k);
    }
    SmallVector<int64_t> outShape(type.getShape().take_front(axis));
    llvm::append_range(outShape, (*indices)->dims);
    llvm::append_range(outShape, type.getShape().drop_front(axis + 1));
    if (resolved.size() <= 16) {
      SmallVector<Value> parts;
      for (int64_t k : resolved)
        parts.push_back(sliceAxis(node, *data, axis, k, k + 1));
      Value joined = concatAxis(node, parts, axis);
      return node.setOutput(0, reshapeValue(node, joined, outShape));
    }
  }

  auto ids = node.anyInput(1);
  if (!ids)
    return ids.takeError();
  if (axis == 0 && rank == 2 && type.hasStaticShape() &&
      type.getElementType().isF32())
    return gatherRows(node, *data, *ids);
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferGather(loc, type, ids->getType(), axis, types);
          }))
    return err;
  OpBuilder &b = node.builder();
  return node.setOutput(0, nn::GatherOp::create(b, node.loc(), *data, *ids,
                                                b.getI64IntegerAttr(axis)));
}

//===----------------------------------------------------------------------===//
// Split
//===----------------------------------------------------------------------===//

/// Folds a slice [start, end) of `axis` of a known tensor.
static TensorValue sliceKnown(const TensorValue &v, int64_t axis,
                              int64_t start, int64_t end) {
  int64_t outer = 1, inner = 1, size = v.dims[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= v.dims[d];
  for (size_t d = axis + 1; d < v.dims.size(); ++d)
    inner *= v.dims[d];
  TensorValue out;
  out.dataType = v.dataType;
  out.dims = v.dims;
  out.dims[axis] = end - start;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = start; k < end; ++k)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t at = (o * size + k) * inner + i;
        if (v.isFloat())
          out.floats.push_back(v.floats[at]);
        else if (v.isDouble())
          out.doubles.push_back(v.doubles[at]);
        else
          out.ints.push_back(v.ints[at]);
      }
  return out;
}

static Error importSplit(NodeContext &node) {
  bool splitIsInput = node.opset() >= 13;
  if (Error err = node.checkSignature({"axis", "split", "num_outputs"}, 1,
                                      splitIsInput ? 2 : 1))
    return err;
  auto shape = node.inputShape(0);
  if (!shape)
    return shape.takeError();
  int64_t rank = shape->size();
  auto axisAttr = node.intAttribute("axis", 0);
  if (!axisAttr)
    return axisAttr.takeError();
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  if (axis < 0 || axis >= rank)
    return node.error(llvm::formatv("axis {0} is out of range for rank {1}",
                                    *axisAttr, rank));
  int64_t size = (*shape)[axis];
  if (ShapedType::isDynamic(size))
    return node.error("cannot split the dynamic batch dimension");
  int64_t outputs = node.node().output_size();

  SmallVector<int64_t> sizes;
  const onnx::AttributeProto *splitAttr = node.findAttribute("split");
  if (splitAttr && splitIsInput)
    return node.error("from opset 13 'split' is an input, not an attribute");
  if (node.findAttribute("num_outputs") && node.opset() < 18)
    return node.error("'num_outputs' exists from opset 18");
  if (splitIsInput && node.hasInput(1)) {
    auto list = intList(node, 1, "split");
    if (!list)
      return list.takeError();
    sizes = std::move(*list);
  } else if (splitAttr) {
    sizes.assign(splitAttr->ints().begin(), splitAttr->ints().end());
  } else {
    auto n = node.intAttribute("num_outputs", outputs);
    if (!n)
      return n.takeError();
    if (*n != outputs)
      return node.error(llvm::formatv("num_outputs is {0} but the node has "
                                      "{1} outputs",
                                      *n, outputs));
    if (node.opset() >= 18 && node.findAttribute("num_outputs")) {
      // Opset 18: equal parts of ceil(size / n), the last one smaller.
      int64_t part = (size + *n - 1) / *n;
      for (int64_t i = 0, left = size; i < *n; ++i, left -= part)
        sizes.push_back(std::min(part, left));
    } else {
      if (*n <= 0 || size % *n != 0)
        return node.error(llvm::formatv("cannot split a dimension of {0} "
                                        "into {1} equal parts",
                                        size, *n));
      sizes.assign(*n, size / *n);
    }
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return node.error(llvm::formatv("split has {0} parts but the node has "
                                    "{1} outputs",
                                    sizes.size(), outputs));
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return node.error(llvm::formatv("a part of size {0}", s));
    // An empty part is a known tensor without elements: only Concat takes
    // it (and drops it); anything else that computes on it is refused.
    if (s == 0 && llvm::any_of(*shape, ShapedType::isDynamic))
      return node.error("a part of size 0 of a tensor with a dynamic batch; "
                        "empty tensors are not supported");
    total += s;
  }
  if (total != size)
    return node.error(llvm::formatv("the parts add up to {0}, but axis {1} "
                                    "has {2}",
                                    total, axis, size));

  const TensorValue *known = node.knownInput(0);
  Value data;
  if (!known || !known->isIntegral()) {
    auto value = node.anyInput(0);
    if (!value)
      return value.takeError();
    data = *value;
  }
  int64_t start = 0;
  for (auto [i, s] : llvm::enumerate(sizes)) {
    if (s == 0 && data) {
      TensorValue empty;
      empty.dataType = dataTypeOf(typeOf(data).getElementType());
      empty.dims.assign(shape->begin(), shape->end());
      empty.dims[axis] = 0;
      if (Error err = node.setConstantOutput(i, std::move(empty)))
        return err;
      continue;
    }
    Error err = data ? node.setOutput(i, sliceAxis(node, data, axis, start,
                                                   start + s))
                     : node.setConstantOutput(
                           i, sliceKnown(*known, axis, start, start + s));
    if (err)
      return err;
    start += s;
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Expand and Tile
//===----------------------------------------------------------------------===//

/// `v` broadcast to `shape` for a known tensor.
static TensorValue expandKnown(const TensorValue &v,
                               llvm::ArrayRef<int64_t> shape) {
  TensorValue out;
  out.dataType = v.dataType;
  out.dims.assign(shape.begin(), shape.end());
  for (int64_t at : broadcastIndex(shape, v.dims)) {
    if (v.isFloat())
      out.floats.push_back(v.floats[at]);
    else if (v.isDouble())
      out.doubles.push_back(v.doubles[at]);
    else
      out.ints.push_back(v.ints[at]);
  }
  return out;
}

/// A one-element TensorValue of `value`'s type holding zero (false).
static TensorValue zeroOf(Type element) {
  TensorValue zero;
  zero.dataType = dataTypeOf(element);
  if (zero.isFloat())
    zero.floats.push_back(0.0f);
  else if (zero.isDouble())
    zero.doubles.push_back(0.0);
  else
    zero.ints.push_back(0);
  return zero;
}

static Error importExpand(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  auto target = intList(node, 1, "the shape");
  if (!target)
    return target.takeError();
  auto inShape = node.inputShape(0);
  if (!inShape)
    return inShape.takeError();
  auto shape = nn::broadcastShapes(*inShape, *target);
  if (!shape)
    return node.error("cannot expand " + formatShape(*inShape) + " to " +
                      formatShape(*target) + ": the shapes do not broadcast");
  if (Error err = checkNewShape(node, *shape))
    return err;
  const TensorValue *known = node.knownInput(0);
  if (known && known->isIntegral()) {
    if (known->isSymbolic())
      return node.error("cannot expand a tensor holding the dynamic batch "
                        "size");
    int64_t n = 1;
    for (int64_t d : *shape)
      n *= d;
    if (n > kMaxFoldedElements)
      return node.error("the expanded shape " + formatShape(*shape) +
                        " is too large to fold");
    return node.setConstantOutput(0, expandKnown(*known, *shape));
  }
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  auto type = typeOf(*input);
  if (llvm::equal(type.getShape(), *shape))
    return node.setOutput(0, *input);
  // Broadcasting against zeros of the target shape: x + 0 (x or false for
  // bools) is x, and the add's gradient is the sum over the broadcast.
  Type element = type.getElementType();
  SmallVector<int64_t> zerosShape(*target);
  Value zeros = filled(node, *input, zerosShape, zeroOf(element));
  OpBuilder &b = node.builder();
  if (element.isInteger(1))
    return node.setOutput(
        0, nn::LogicalOrOp::create(b, node.loc(), *input, zeros));
  if (element.isF64())
    return node.error("Expand of DOUBLE tensors computed at run time is not "
                      "supported");
  return node.setOutput(0, nn::AddOp::create(b, node.loc(), *input, zeros));
}

static Error importTile(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  auto repeats = intList(node, 1, "repeats");
  if (!repeats)
    return repeats.takeError();
  auto shape = node.inputShape(0);
  if (!shape)
    return shape.takeError();
  if (repeats->size() != shape->size())
    return node.error(llvm::formatv("repeats has {0} entries for an input of "
                                    "rank {1}",
                                    repeats->size(), shape->size()));
  SmallVector<int64_t> outShape;
  for (auto [d, r] : llvm::zip(*shape, *repeats)) {
    if (r <= 0)
      return node.error(llvm::formatv("repeat {0}: only positive repeats are "
                                      "supported (0 makes an empty tensor)",
                                      r));
    if (ShapedType::isDynamic(d) && r != 1)
      return node.error("cannot tile the dynamic batch dimension");
    outShape.push_back(ShapedType::isDynamic(d) ? d : d * r);
  }
  if (Error err = checkNewShape(node, outShape))
    return err;
  const TensorValue *known = node.knownInput(0);
  if (known && known->isIntegral() && !known->isSymbolic()) {
    TensorValue out = *known;
    for (auto [axis, r] : llvm::enumerate(*repeats)) {
      if (r == 1)
        continue;
      // Repeat along `axis`: every outer block is copied r times.
      int64_t outer = 1, block = 1;
      for (size_t d = 0; d < axis; ++d)
        outer *= out.dims[d];
      for (size_t d = axis; d < out.dims.size(); ++d)
        block *= out.dims[d];
      std::vector<int64_t> ints;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < r; ++k)
          ints.insert(ints.end(), out.ints.begin() + o * block,
                      out.ints.begin() + (o + 1) * block);
      out.ints = std::move(ints);
      out.dims[axis] *= r;
    }
    return node.setConstantOutput(0, std::move(out));
  }
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  Value v = *input;
  for (auto [axis, r] : llvm::enumerate(*repeats))
    if (r > 1)
      v = concatAxis(node, SmallVector<Value>(r, v), axis);
  return node.setOutput(0, v);
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

static Error importPad(NodeContext &node) {
  bool padsAreInputs = node.opset() >= 11;
  if (Error err = padsAreInputs
                      ? node.checkSignature({"mode"}, 2, 4)
                      : node.checkSignature({"mode", "pads", "value"}, 1, 1))
    return err;
  std::string mode = "constant";
  if (const onnx::AttributeProto *attr = node.findAttribute("mode")) {
    if (attr->type() != onnx::AttributeProto::STRING)
      return node.error("attribute 'mode' must be a STRING");
    mode = attr->s();
  }
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      !(mode == "wrap" && node.opset() >= 19))
    return node.error("unsupported mode '" + mode + "'");
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  auto type = typeOf(*input);
  int64_t rank = type.getRank();

  SmallVector<int64_t> pads;
  TensorValue fill = zeroOf(type.getElementType());
  Value fillValue;
  if (padsAreInputs) {
    auto list = intList(node, 1, "pads");
    if (!list)
      return list.takeError();
    pads = std::move(*list);
    if (node.hasInput(2) && !node.knownInput(2)) {
      // A value the graph computes fills the pads through `where` on an
      // all-true block.
      auto value = node.anyInput(2);
      if (!value)
        return value.takeError();
      auto valueType = typeOf(*value);
      if (!valueType.hasStaticShape() || valueType.getNumElements() != 1 ||
          valueType.getElementType() != type.getElementType())
        return node.error("constant_value must be one element of the "
                          "input's type " +
                          dataTypeName(fill.dataType) + ", got " +
                          formatShape(valueType));
      fillValue = *value;
    } else if (node.hasInput(2)) {
      auto value = node.constantInput(2);
      if (!value)
        return value.takeError();
      if ((*value)->numElements() != 1 ||
          (*value)->dataType != fill.dataType)
        return node.error("constant_value must be one element of the "
                          "input's type " +
                          dataTypeName(fill.dataType));
      fill = **value;
      fill.dims.clear();
    }
  } else {
    const onnx::AttributeProto *attr = node.findAttribute("pads");
    if (!attr)
      return node.error("needs the 'pads' attribute");
    pads.assign(attr->ints().begin(), attr->ints().end());
    auto value = node.floatAttribute("value", 0.0f);
    if (!value)
      return value.takeError();
    if (!fill.isFloat())
      return node.error("before opset 11 Pad takes FLOAT");
    fill.floats[0] = *value;
  }
  // Opset 18: `axes` says which axes the pads are for.
  SmallVector<int64_t> axes;
  if (node.hasInput(3)) {
    auto list = intList(node, 3, "axes");
    if (!list)
      return list.takeError();
    for (int64_t a : *list) {
      int64_t n = a < 0 ? a + rank : a;
      if (n < 0 || n >= rank || llvm::is_contained(axes, n))
        return node.error(llvm::formatv("axis {0} is out of range or "
                                        "repeated",
                                        a));
      axes.push_back(n);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size())
    return node.error(llvm::formatv("pads has {0} entries; {1} axes need {2}",
                                    pads.size(), axes.size(),
                                    2 * axes.size()));

  Value v = *input;
  for (auto [k, axis] : llvm::enumerate(axes)) {
    int64_t before = pads[k], after = pads[k + axes.size()];
    if (before == 0 && after == 0)
      continue;
    if (typeOf(v).isDynamicDim(axis))
      return node.error("cannot pad the dynamic batch dimension");
    // Negative pads remove elements.
    int64_t size = typeOf(v).getDimSize(axis);
    int64_t cropStart = std::max<int64_t>(-before, 0);
    int64_t cropEnd = size - std::max<int64_t>(-after, 0);
    if (cropEnd - cropStart <= 0)
      return node.error("negative pads remove every element of an axis; "
                        "empty tensors are not supported");
    v = sliceAxis(node, v, axis, cropStart, cropEnd);
    before = std::max<int64_t>(before, 0);
    after = std::max<int64_t>(after, 0);
    size = cropEnd - cropStart;
    if (before > (int64_t(1) << 20) || after > (int64_t(1) << 20))
      return node.error("pads are impossibly large");
    SmallVector<Value> parts;
    auto block = [&](int64_t n, bool atStart) -> Expected<Value> {
      if (mode == "constant") {
        SmallVector<int64_t> shape(typeOf(v).getShape());
        shape[axis] = n;
        if (Error err = checkNewShape(node, shape))
          return std::move(err);
        if (!fillValue)
          return filled(node, v, shape, fill);
        TensorValue yes;
        yes.dataType = onnx::TensorProto::BOOL;
        yes.ints.push_back(1);
        return Value(nn::WhereOp::create(node.builder(), node.loc(),
                                         filled(node, v, shape, yes),
                                         fillValue, fillValue));
      }
      if (mode == "edge") {
        Value edge = atStart ? sliceAxis(node, v, axis, 0, 1)
                             : sliceAxis(node, v, axis, size - 1, size);
        return concatAxis(node, SmallVector<Value>(n, edge), axis);
      }
      if (mode == "wrap") {
        if (n > size)
          return node.error("wrap padding larger than the axis");
        return atStart ? sliceAxis(node, v, axis, size - n, size)
                       : sliceAxis(node, v, axis, 0, n);
      }
      // reflect: the mirror image without the edge element.
      if (n > size - 1)
        return node.error(llvm::formatv("reflect padding of {0} needs an "
                                        "axis longer than {0}, got {1}",
                                        n, size));
      return atStart ? sliceAxis(node, v, axis, n, 0, -1)
                     : sliceAxis(node, v, axis, size - 2, size - 2 - n, -1);
    };
    if (before) {
      auto b = block(before, true);
      if (!b)
        return b.takeError();
      parts.push_back(*b);
    }
    parts.push_back(v);
    if (after) {
      auto a = block(after, false);
      if (!a)
        return a.takeError();
      parts.push_back(*a);
    }
    v = concatAxis(node, parts, axis);
  }
  return node.setOutput(0, v);
}

void registerIndexingOps(OpTable &table) {
  table["Shape"] = importShape;
  table["Size"] = importSize;
  table["ConstantOfShape"] = importConstantOfShape;
  table["Range"] = importRange;
  table["Gather"] = importGather;
  table["Split"] = importSplit;
  table["Expand"] = importExpand;
  table["Tile"] = importTile;
  table["Pad"] = importPad;
}

} // namespace neurona::onnx_import
