//===- Shape.cpp - ONNX ops that move data --------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Flatten, Reshape, Constant, Identity, Transpose, Concat and Slice: ops that
// move or name data without computing on it. Target shapes and slice indices
// are resolved at import time, so they must be constants; the dynamic batch
// dimension may pass through a reshape but never merge with other
// dimensions, since `nn.reshape` only keeps it in place.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

/// Emits `nn.reshape` to `shape`, or nothing when the type is unchanged (so
/// flattening a 2-D tensor is a no-op, as in the DSL).
static Error reshapeTo(NodeContext &node, Value input,
                       llvm::ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(
      shape, cast<RankedTensorType>(input.getType()).getElementType());
  if (type == input.getType())
    return node.setOutput(0, input);
  return node.setOutput(
      0, nn::ReshapeOp::create(node.builder(), node.loc(), type, input));
}

/// Product of static `dims`.
static int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

static Error importFlatten(NodeContext &node) {
  if (Error err = node.checkSignature({"axis"}, 1, 1))
    return err;
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  auto axisAttr = node.intAttribute("axis", 1);
  if (!axisAttr)
    return axisAttr.takeError();
  auto type = cast<RankedTensorType>(input->getType());
  int64_t rank = type.getRank();
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  if (axis < 0 || axis > rank)
    return node.error(llvm::formatv("axis {0} is out of range for an input "
                                    "of rank {1}",
                                    *axisAttr, rank));
  llvm::ArrayRef<int64_t> dims = type.getShape();
  if (rank > 0 && type.isDynamicDim(0)) {
    // [?, a, b, ...] flattens to [?, a*b*...] only when the batch stays alone.
    if (axis != 1)
      return node.error(llvm::formatv(
          "axis {0} would merge the dynamic batch dimension of {1} with "
          "other dimensions",
          *axisAttr, formatShape(type)));
    return reshapeTo(node, *input,
                     {ShapedType::kDynamic, product(dims.drop_front())});
  }
  return reshapeTo(
      node, *input,
      {product(dims.take_front(axis)), product(dims.drop_front(axis))});
}

/// ONNX Reshape's target shape resolved against `input`: 0 copies the input
/// dimension at the same index, -1 is inferred. The batch dimension of a
/// dynamic input must come out in place, which is all `nn.reshape` allows.
static Expected<SmallVector<int64_t>>
resolveReshape(const NodeContext &node, RankedTensorType input,
               llvm::ArrayRef<int64_t> target) {
  auto fail = [&](const llvm::Twine &why) {
    return node.error("cannot reshape " + formatShape(input) + " to " +
                      formatShape(target) + ": " + why);
  };
  bool dynamicBatch = input.getRank() > 0 && input.isDynamicDim(0);
  // Elements per batch row for a dynamic input, all elements otherwise.
  int64_t available = dynamicBatch ? product(input.getShape().drop_front())
                                   : product(input.getShape());
  SmallVector<int64_t> shape;
  int64_t inferred = -1;
  for (auto [i, dim] : llvm::enumerate(target)) {
    if (dim == 0) {
      if (static_cast<int64_t>(i) >= input.getRank())
        return fail(llvm::formatv("0 at index {0} copies a dimension the "
                                  "input does not have",
                                  i));
      shape.push_back(input.getDimSize(i));
    } else if (dim == -1) {
      if (inferred >= 0)
        return fail("more than one -1");
      inferred = i;
      shape.push_back(-1);
    } else if (dim < 0) {
      return fail(llvm::formatv("invalid dimension {0}", dim));
    } else {
      shape.push_back(dim);
    }
  }

  // With a dynamic batch N the result may only keep N as its leading
  // dimension (`nn` has one dynamic dimension, the batch, and a reshape
  // keeps it in place): a 0 or a -1 at index 0 that comes out as exactly N.
  if (dynamicBatch) {
    if (shape.empty())
      return fail("a scalar cannot hold a batch of any size");
    if (!ShapedType::isDynamic(shape[0]) && inferred != 0)
      return fail(llvm::formatv(
          "the leading dimension is fixed to {0} but the input has a "
          "dynamic batch; keep the batch first with 0 or -1",
          shape[0]));
    if (inferred == 0) {
      // -1 in front: N times whatever the other dimensions leave over.
      int64_t rest = 1;
      for (int64_t dim : llvm::drop_begin(shape))
        if (llvm::MulOverflow(rest, dim, rest) || rest > (int64_t(1) << 62))
          return fail("the target shape is impossibly large");
      if (rest == 0 || (available % rest != 0 && rest % available != 0))
        return fail(llvm::formatv("{0} elements per batch row do not divide "
                                  "into the given dimensions",
                                  available));
      if (available % rest != 0)
        return fail(llvm::formatv(
            "the -1 at index 0 would be N/{0} (the dynamic batch divided "
            "by {0}); only the batch itself may be dynamic",
            rest / available));
      if (available != rest)
        return fail(llvm::formatv(
            "the -1 at index 0 would be {0}N ({0} times the dynamic batch "
            "N); the nn dialect carries one dynamic dimension, the batch, "
            "which a reshape keeps unchanged, so a leading dimension that "
            "is a multiple of the batch is not supported",
            available / rest));
    }
    // Index 0 is the batch (copied with 0, or the -1 that equals it).
    shape[0] = ShapedType::kDynamic;
    if (inferred == 0)
      inferred = -1;
  }

  // The target's dimensions come from the file, so their product may
  // overflow; no real tensor comes near 2^62 elements.
  int64_t known = 1;
  for (auto [i, dim] : llvm::enumerate(shape))
    if (static_cast<int64_t>(i) != inferred && !ShapedType::isDynamic(dim))
      if (llvm::MulOverflow(known, dim, known) || known > (int64_t(1) << 62))
        return fail("the target shape is impossibly large");
  if (inferred >= 0) {
    if (known == 0 || available % known != 0)
      return fail(llvm::formatv("{0} elements{1} do not divide into the "
                                "given dimensions",
                                available, dynamicBatch ? " per row" : ""));
    shape[inferred] = available / known;
  } else if (known != available) {
    return fail(llvm::formatv("the element counts differ ({0} vs {1}{2})",
                              available, known,
                              dynamicBatch ? " per row" : ""));
  }
  return shape;
}

static Error importReshape(NodeContext &node) {
  if (Error err = node.checkSignature({"allowzero"}, 2, 2))
    return err;
  auto allowZero = node.intAttribute("allowzero", 0);
  if (!allowZero)
    return allowZero.takeError();
  auto shape = node.symbolicInput(1);
  if (!shape)
    return shape.takeError();
  const TensorValue &target = **shape;
  if (target.dataType != onnx::TensorProto::INT64 || target.dims.size() != 1)
    return node.error("the shape input must be a 1-D INT64 tensor, got " +
                      dataTypeName(target.dataType) + " " +
                      formatShape(target.dims));
  if (*allowZero && llvm::is_contained(target.ints, 0))
    return node.error("allowzero=1 with a 0 in the shape makes an empty "
                      "tensor, which is not supported");
  // Known integers (shape arithmetic) are reshaped at import.
  if (const TensorValue *known = node.knownInput(0);
      known && known->isIntegral()) {
    if (target.isSymbolic())
      return node.error("the target shape depends on the dynamic batch size");
    auto resolved = resolveReshape(
        node, RankedTensorType::get(known->dims, IntegerType::get(
                                                     node.builder().getContext(),
                                                     64)),
        target.ints);
    if (!resolved)
      return resolved.takeError();
    TensorValue out = *known;
    out.dims = *resolved;
    return node.setConstantOutput(0, std::move(out));
  }
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  auto inputType = cast<RankedTensorType>(input->getType());
  // A dimension read by Shape from the dynamic batch (x.view(x.size(0),
  // -1)) keeps the batch: at index 0 of a batched input it is a 0.
  SmallVector<int64_t> dims(target.ints.begin(), target.ints.end());
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (d != TensorValue::kDynamicBatch)
      continue;
    if (i != 0 || inputType.getRank() == 0 || !inputType.isDynamicDim(0))
      return node.error(llvm::formatv(
          "the target shape has the dynamic batch size at index {0}; only "
          "index 0 of an input with a dynamic batch may take it",
          i));
    d = 0;
  }
  auto resolved = resolveReshape(node, inputType, dims);
  if (!resolved)
    return resolved.takeError();
  return reshapeTo(node, *input, *resolved);
}

static Error importConstant(NodeContext &node) {
  if (Error err = node.checkNumInputs(0, 0))
    return err;
  if (node.node().attribute_size() != 1)
    return node.error("expects exactly one attribute holding the value");
  const onnx::AttributeProto &attr = node.node().attribute(0);
  StringRef name = attr.name();
  auto expect = [&](onnx::AttributeProto::AttributeType type) -> Error {
    if (attr.type() == type)
      return Error::success();
    return node.error("attribute '" + name + "' has the wrong type");
  };

  TensorValue value;
  if (name == "value") {
    if (Error err = expect(onnx::AttributeProto::TENSOR))
      return err;
    auto decoded = decodeTensor(attr.t(), node.model());
    if (!decoded)
      return node.error("value " + llvm::toString(decoded.takeError()));
    value = std::move(*decoded);
  } else if (name == "value_float" || name == "value_floats") {
    bool scalar = name == "value_float";
    if (Error err = expect(scalar ? onnx::AttributeProto::FLOAT
                                  : onnx::AttributeProto::FLOATS))
      return err;
    value.dataType = onnx::TensorProto::FLOAT;
    if (scalar) {
      value.floats.push_back(attr.f());
    } else {
      value.floats.assign(attr.floats().begin(), attr.floats().end());
      value.dims.push_back(attr.floats_size());
    }
  } else if (name == "value_int" || name == "value_ints") {
    bool scalar = name == "value_int";
    if (Error err = expect(scalar ? onnx::AttributeProto::INT
                                  : onnx::AttributeProto::INTS))
      return err;
    value.dataType = onnx::TensorProto::INT64;
    if (scalar) {
      value.ints.push_back(attr.i());
    } else {
      value.ints.assign(attr.ints().begin(), attr.ints().end());
      value.dims.push_back(attr.ints_size());
    }
  } else {
    return node.error("unsupported attribute '" + name + "'");
  }
  return node.setConstantOutput(0, std::move(value));
}

static Error importIdentity(NodeContext &node) {
  if (Error err = node.checkSignature({}, 1, 1))
    return err;
  return node.aliasOutput(0, 0);
}

static Error importTranspose(NodeContext &node) {
  if (Error err = node.checkSignature({"perm"}, 1, 1))
    return err;
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  auto type = cast<RankedTensorType>(input->getType());
  SmallVector<int64_t> perm;
  if (const onnx::AttributeProto *attr = node.findAttribute("perm")) {
    if (attr->type() != onnx::AttributeProto::INTS)
      return node.error("attribute 'perm' must be INTS");
    perm.assign(attr->ints().begin(), attr->ints().end());
  } else {
    // The default reverses the dimensions.
    for (int64_t d = type.getRank() - 1; d >= 0; --d)
      perm.push_back(d);
  }
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferTranspose(loc, type, perm, types);
          }))
    return err;
  OpBuilder &b = node.builder();
  return node.setOutput(0,
                        nn::TransposeOp::create(b, node.loc(), *input,
                                                b.getDenseI64ArrayAttr(perm)));
}

/// Concat of known integer tensors (Shape pieces, which may hold the
/// dynamic batch size).
static Error foldConcat(NodeContext &node, int64_t axisAttr) {
  SmallVector<const TensorValue *> parts;
  for (unsigned i = 0; i < node.numInputs(); ++i) {
    auto part = node.symbolicInput(i);
    if (!part)
      return part.takeError();
    parts.push_back(*part);
  }
  const TensorValue &first = *parts[0];
  int64_t rank = first.dims.size();
  int64_t axis = nn::normalizeAxis(axisAttr, rank);
  if (axis < 0)
    return node.error(llvm::formatv("axis {0} is out of range for rank {1}",
                                    axisAttr, rank));
  TensorValue out;
  out.dataType = first.dataType;
  out.dims = first.dims;
  out.dims[axis] = 0;
  for (auto [i, part] : llvm::enumerate(parts)) {
    bool same = part->dataType == first.dataType &&
                static_cast<int64_t>(part->dims.size()) == rank;
    for (int64_t d = 0; same && d < rank; ++d)
      same = d == axis || part->dims[d] == first.dims[d];
    if (!same)
      return node.error(llvm::formatv(
          "input #{0} ({1} {2}) does not match input #0 ({3} {4}) outside "
          "axis {5}",
          i, dataTypeName(part->dataType), formatShape(part->dims),
          dataTypeName(first.dataType), formatShape(first.dims), axisAttr));
    out.dims[axis] += part->dims[axis];
  }
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= first.dims[d];
  for (int64_t o = 0; o < outer; ++o)
    for (const TensorValue *part : parts) {
      int64_t block = part->ints.size() / std::max<int64_t>(outer, 1);
      out.ints.insert(out.ints.end(), part->ints.begin() + o * block,
                      part->ints.begin() + (o + 1) * block);
    }
  return node.setConstantOutput(0, std::move(out));
}

static Error importConcat(NodeContext &node) {
  unsigned n = node.numInputs();
  if (Error err = node.checkSignature({"axis"}, 1, std::max(n, 1u)))
    return err;
  if (!node.findAttribute("axis"))
    return node.error("the 'axis' attribute is required");
  auto axis = node.intAttribute("axis", 0);
  if (!axis)
    return axis.takeError();
  if (allIntegralKnown(node))
    return foldConcat(node, *axis);
  SmallVector<Value> inputs;
  unsigned firstInput = 0;
  for (unsigned i = 0; i < n; ++i) {
    // Empty inputs (a Split's part of size 0) add nothing.
    if (const TensorValue *known = node.knownInput(i);
        known && known->numElements() == 0 && !known->isSymbolic()) {
      firstInput += inputs.empty();
      continue;
    }
    auto input = node.anyInput(i);
    if (!input)
      return input.takeError();
    if (!inputs.empty() &&
        cast<RankedTensorType>(input->getType()).getElementType() !=
            cast<RankedTensorType>(inputs[0].getType()).getElementType())
      return node.error(llvm::formatv(
          "input #{0} is {1} but input #{3} is {2}", i,
          formatShape(input->getType()) + " " +
              dataTypeName(dataTypeOf(
                  cast<RankedTensorType>(input->getType()).getElementType())),
          dataTypeName(dataTypeOf(
              cast<RankedTensorType>(inputs[0].getType()).getElementType())),
          firstInput));
    inputs.push_back(*input);
  }
  if (inputs.empty())
    return node.aliasOutput(0, 0); // Every input is empty: so is the result.
  if (inputs.size() == 1)
    return node.setOutput(0, inputs[0]);
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferConcat(loc, inputs, *axis, types);
          }))
    return err;
  OpBuilder &b = node.builder();
  return node.setOutput(0, nn::ConcatOp::create(b, node.loc(), inputs,
                                                b.getI64IntegerAttr(*axis)));
}

/// Slice input `i` (starts, ends, axes, steps) as integers; empty when the
/// optional input is absent.
static Expected<SmallVector<int64_t>> sliceIndices(NodeContext &node,
                                                   unsigned i) {
  static const char *const names[] = {"", "starts", "ends", "axes", "steps"};
  if (!node.hasInput(i))
    return SmallVector<int64_t>();
  auto constant = node.constantInput(i);
  if (!constant)
    return constant.takeError();
  const TensorValue &value = **constant;
  if (value.isFloat() || value.dims.size() != 1)
    return node.error(llvm::formatv("{0} must be a 1-D INT32 or INT64 "
                                    "constant, got {1} {2}",
                                    names[i], dataTypeName(value.dataType),
                                    formatShape(value.dims)));
  return SmallVector<int64_t>(value.ints.begin(), value.ints.end());
}

/// Slice attribute `name` (before opset 10); empty when absent.
static Expected<SmallVector<int64_t>> sliceAttribute(NodeContext &node,
                                                     llvm::StringRef name) {
  const onnx::AttributeProto *attr = node.findAttribute(name);
  if (!attr)
    return SmallVector<int64_t>();
  if (attr->type() != onnx::AttributeProto::INTS)
    return node.error("attribute '" + name + "' must be INTS");
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

/// ONNX Slice: indices may be negative (counted from the end) or beyond the
/// dimension (clamped), which is resolved here into `nn.slice`'s exact form.
/// Axes sliced over their full range with step 1 are dropped; the dynamic
/// batch dimension may only be sliced that way.
static Error importSlice(NodeContext &node) {
  bool indicesAreInputs = node.opset() >= 10;
  if (Error err = indicesAreInputs
                      ? node.checkSignature({}, 3, 5)
                      : node.checkSignature({"starts", "ends", "axes"}, 1, 1))
    return err;
  SmallVector<int64_t> lists[4]; // starts, ends, axes, steps
  for (unsigned i = 0; i < 4; ++i) {
    if (!indicesAreInputs && i == 3)
      break;
    static const llvm::StringRef attrNames[] = {"starts", "ends", "axes"};
    auto list = indicesAreInputs ? sliceIndices(node, i + 1)
                                 : sliceAttribute(node, attrNames[i]);
    if (!list)
      return list.takeError();
    lists[i] = std::move(*list);
  }
  auto &[starts, ends, axes, steps] = lists;
  size_t n = starts.size();
  if (ends.size() != n || (!axes.empty() && axes.size() != n) ||
      (!steps.empty() && steps.size() != n))
    return node.error(llvm::formatv(
        "starts, ends, axes and steps differ in length ({0}, {1}, {2}, {3})",
        starts.size(), ends.size(), axes.size(), steps.size()));
  // A slice of a known 1-D integer tensor (x.shape[2:]) folds, the dynamic
  // batch size included.
  if (const TensorValue *known = node.knownInput(0);
      known && known->isIntegral() && known->dims.size() == 1 && n == 1) {
    int64_t rawAxis = axes.empty() ? 0 : axes[0];
    if (rawAxis != 0 && rawAxis != -1)
      return node.error(llvm::formatv("axis {0} is out of range for rank 1",
                                      rawAxis));
    int64_t size = known->dims[0], step = steps.empty() ? 1 : steps[0];
    if (step == 0)
      return node.error("step is 0");
    int64_t start = starts[0] < 0 ? starts[0] + size : starts[0];
    int64_t end = ends[0] < 0 ? ends[0] + size : ends[0];
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, size);
      end = std::clamp<int64_t>(end, 0, size);
    } else {
      start = std::clamp<int64_t>(start, 0, size - 1);
      end = std::clamp<int64_t>(end, -1, size - 1);
    }
    TensorValue out;
    out.dataType = known->dataType;
    for (int64_t i = start; step > 0 ? i < end : i > end; i += step)
      out.ints.push_back(known->ints[i]);
    if (out.ints.empty())
      return node.error("the slice selects no elements; empty tensors are not "
                        "supported");
    out.dims.push_back(static_cast<int64_t>(out.ints.size()));
    return node.setConstantOutput(0, std::move(out));
  }
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  auto type = cast<RankedTensorType>(input->getType());
  int64_t rank = type.getRank();

  SmallVector<int64_t> outAxes, outStarts, outEnds, outSteps;
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < n; ++i) {
    int64_t rawAxis = axes.empty() ? static_cast<int64_t>(i) : axes[i];
    int64_t axis = nn::normalizeAxis(rawAxis, rank);
    if (axis < 0)
      return node.error(llvm::formatv(
          "axis {0} is out of range for an input of rank {1}", rawAxis, rank));
    if (seen[axis])
      return node.error(llvm::formatv("axis {0} is listed twice", rawAxis));
    seen[axis] = true;
    int64_t step = steps.empty() ? 1 : steps[i];
    if (step == 0)
      return node.error(llvm::formatv("step of axis {0} is 0", rawAxis));
    int64_t start = starts[i], end = ends[i];
    if (type.isDynamicDim(axis)) {
      // Exporters write "to the end" as INT32_MAX or INT64_MAX.
      if (start == 0 && step == 1 && end >= std::numeric_limits<int32_t>::max())
        continue;
      return node.error(llvm::formatv(
          "cannot slice the dynamic batch dimension (axis {0}) of {1}; only "
          "its full range (start 0, end INT_MAX, step 1) is supported",
          rawAxis, formatShape(type)));
    }
    int64_t size = type.getDimSize(axis);
    if (start < 0)
      start += size;
    if (end < 0)
      end += size;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, size);
      end = std::clamp<int64_t>(end, 0, size);
    } else {
      start = std::clamp<int64_t>(start, 0, size - 1);
      end = std::clamp<int64_t>(end, -1, size - 1);
    }
    if (nn::sliceLength(start, end, step) == 0)
      return node.error(llvm::formatv(
          "axis {0} selects no elements (start {1}, end {2}, step {3} on a "
          "dimension of {4}); empty tensors are not supported",
          rawAxis, starts[i], ends[i], step, size));
    if (start == 0 && end == size && step == 1)
      continue;
    outAxes.push_back(axis);
    outStarts.push_back(start);
    outEnds.push_back(end);
    outSteps.push_back(step);
  }
  if (outAxes.empty())
    return node.setOutput(0, *input);
  bool unitSteps = llvm::all_of(outSteps, [](int64_t s) { return s == 1; });
  if (unitSteps)
    outSteps.clear();
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferSlice(loc, type, outAxes, outStarts, outEnds,
                                  outSteps, types);
          }))
    return err;
  OpBuilder &b = node.builder();
  return node.setOutput(
      0,
      nn::SliceOp::create(
          b, node.loc(), *input, b.getDenseI64ArrayAttr(outAxes),
          b.getDenseI64ArrayAttr(outStarts), b.getDenseI64ArrayAttr(outEnds),
          unitSteps ? DenseI64ArrayAttr() : b.getDenseI64ArrayAttr(outSteps)));
}

/// Squeeze (unsqueeze = false) or Unsqueeze: axes from the attribute before
/// opset 13, from a constant input after; a reshape either way. Squeeze
/// without axes drops every static 1.
template <bool Unsqueeze> static Error importSqueeze(NodeContext &node) {
  if (Error err = node.checkSignature({"axes"}, 1, 2))
    return err;
  // Known integers (a Shape element on its way to a Concat) only change
  // their dimensions; they stay known.
  const TensorValue *known = node.knownInput(0);
  if (known && !known->isIntegral())
    known = nullptr;
  Value value;
  if (!known) {
    auto input = node.anyInput(0);
    if (!input)
      return input.takeError();
    value = *input;
  }
  auto type = known ? RankedTensorType::get(
                          known->dims,
                          IntegerType::get(node.builder().getContext(), 64))
                    : cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> axes;
  bool given = false;
  if (node.opset() >= 13) {
    if (node.findAttribute("axes"))
      return node.error("from opset 13 the axes are an input, not an "
                        "attribute");
    if (node.hasInput(1)) {
      auto constant = node.constantInput(1);
      if (!constant)
        return constant.takeError();
      if ((*constant)->isFloat() || (*constant)->dims.size() > 1)
        return node.error("axes must be a 1-D integer constant");
      axes.assign((*constant)->ints.begin(), (*constant)->ints.end());
      given = true;
    }
  } else {
    if (node.hasInput(1))
      return node.error("before opset 13 the axes are an attribute, not an "
                        "input");
    if (const onnx::AttributeProto *attr = node.findAttribute("axes")) {
      axes.assign(attr->ints().begin(), attr->ints().end());
      given = true;
    }
  }
  if (Unsqueeze && !given)
    return node.error("needs axes");

  llvm::ArrayRef<int64_t> dims = type.getShape();
  int64_t rank = type.getRank() + (Unsqueeze ? axes.size() : 0);
  SmallVector<bool> marked(rank, false);
  for (int64_t axis : axes) {
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank || marked[a])
      return node.error(llvm::formatv("axis {0} is out of range or repeated "
                                      "for {1}",
                                      axis, formatShape(type)));
    marked[a] = true;
  }
  SmallVector<int64_t> shape;
  if (Unsqueeze) {
    auto next = dims.begin();
    for (int64_t i = 0; i < rank; ++i)
      shape.push_back(marked[i] ? 1 : *next++);
  } else {
    for (auto [i, d] : llvm::enumerate(dims)) {
      bool drop = given ? marked[i] : d == 1;
      if (drop && d != 1)
        return node.error(llvm::formatv("cannot squeeze axis {0} of {1}: "
                                        "its size is not 1",
                                        i, formatShape(type)));
      if (!drop)
        shape.push_back(d);
    }
  }
  bool batchIn = type.getRank() > 0 && type.isDynamicDim(0);
  bool batchOut = !shape.empty() && ShapedType::isDynamic(shape[0]);
  if (batchIn != batchOut)
    return node.error("the result " + formatShape(shape) +
                      " would move the dynamic batch dimension of " +
                      formatShape(type) + " away from the front");
  if (known) {
    TensorValue out = *known;
    out.dims = shape;
    return node.setConstantOutput(0, std::move(out));
  }
  return reshapeTo(node, value, shape);
}

void registerShapeOps(OpTable &table) {
  table["Squeeze"] = importSqueeze<false>;
  table["Unsqueeze"] = importSqueeze<true>;
  table["Flatten"] = importFlatten;
  table["Reshape"] = importReshape;
  table["Constant"] = importConstant;
  table["Identity"] = importIdentity;
  table["Transpose"] = importTranspose;
  table["Concat"] = importConcat;
  table["Slice"] = importSlice;
}

} // namespace neurona::onnx_import
