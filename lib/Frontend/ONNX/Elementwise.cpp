//===- Elementwise.cpp - ONNX elementwise ops -----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Add, Sub, Mul, Div, Pow (numpy broadcasting, as ONNX since opset 7), the
// variadic Max, Min, Sum and Mean, and the unary math ops. Each maps to `nn`
// ops of the same meaning. Add, Sub, Mul, Div, Max, Min, Neg, Abs and Sign
// also take INT32 and INT64; on integers whose values are all known at
// import (shape arithmetic) they are folded instead.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <type_traits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

bool allIntegralKnown(NodeContext &node) {
  for (unsigned i = 0, e = node.numInputs(); i < e; ++i) {
    const TensorValue *known = node.knownInput(i);
    if (!known || !known->isShapeIntegral())
      return false;
  }
  return node.numInputs() > 0;
}

/// Wraps `v` to the range of `dataType` (INT32 wraps like the hardware).
static int64_t wrap(int32_t dataType, int64_t v) {
  return wrapInteger(dataType, v);
}

SmallVector<int64_t> broadcastIndex(llvm::ArrayRef<int64_t> shape,
                                    llvm::ArrayRef<int64_t> dims) {
  int64_t rank = shape.size(), n = 1;
  for (int64_t d : shape)
    n *= d;
  // Row-major strides of the operand over the result's index space (0
  // where it broadcasts).
  SmallVector<int64_t> strides(rank, 0);
  int64_t stride = 1, lead = rank - static_cast<int64_t>(dims.size());
  for (int64_t d = static_cast<int64_t>(dims.size()) - 1; d >= 0; --d) {
    strides[d + lead] = dims[d] == 1 ? 0 : stride;
    stride *= dims[d];
  }
  SmallVector<int64_t> out, index(rank, 0);
  out.reserve(n);
  for (int64_t k = 0; k < n; ++k) {
    int64_t at = 0;
    for (int64_t d = 0; d < rank; ++d)
      at += index[d] * strides[d];
    out.push_back(at);
    for (int64_t d = rank - 1; d >= 0 && ++index[d] == shape[d]; --d)
      index[d] = 0;
  }
  return out;
}

Expected<TensorValue>
foldBroadcast(const NodeContext &node, const TensorValue &a,
              const TensorValue &b, int32_t resultType,
              llvm::function_ref<int64_t(int64_t, int64_t)> fn) {
  auto shape = nn::broadcastShapes(a.dims, b.dims);
  if (!shape)
    return node.error("operand shapes " + formatShape(a.dims) + " and " +
                      formatShape(b.dims) + " do not broadcast");
  TensorValue out;
  out.dataType = resultType;
  out.dims = *shape;
  SmallVector<int64_t> ia = broadcastIndex(*shape, a.dims),
                       ib = broadcastIndex(*shape, b.dims);
  out.ints.reserve(ia.size());
  for (size_t k = 0; k < ia.size(); ++k)
    out.ints.push_back(wrap(resultType, fn(a.ints[ia[k]], b.ints[ib[k]])));
  return out;
}

/// The element type check shared by the integer-capable ops.
static Error checkNumeric(const NodeContext &node, Value v) {
  Type t = cast<RankedTensorType>(v.getType()).getElementType();
  if (t.isF32() || isIntegerElement(t))
    return Error::success();
  return node.error("takes FLOAT or an integer type here, got " +
                    dataTypeName(dataTypeOf(t)));
}

static Error checkSameType(const NodeContext &node, Value a, Value b) {
  Type ta = cast<RankedTensorType>(a.getType()).getElementType();
  Type tb = cast<RankedTensorType>(b.getType()).getElementType();
  if (ta == tb)
    return Error::success();
  return node.error("operands have different element types (" +
                    dataTypeName(dataTypeOf(ta)) + " and " +
                    dataTypeName(dataTypeOf(tb)) + ")");
}

/// Folds a binary op whose inputs are known integers, with C semantics on
/// int64 then wrapped to the type. Division by zero is refused.
template <typename OpTy> static int64_t foldScalar(int64_t a, int64_t b);
template <> int64_t foldScalar<nn::AddOp>(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + uint64_t(b));
}
template <> int64_t foldScalar<nn::SubOp>(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - uint64_t(b));
}
template <> int64_t foldScalar<nn::MulOp>(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * uint64_t(b));
}
template <> int64_t foldScalar<nn::DivOp>(int64_t a, int64_t b) {
  return b == -1 ? static_cast<int64_t>(0 - static_cast<uint64_t>(a)) : a / b;
}
template <> int64_t foldScalar<nn::MaximumOp>(int64_t a, int64_t b) {
  return std::max(a, b);
}
template <> int64_t foldScalar<nn::MinimumOp>(int64_t a, int64_t b) {
  return std::min(a, b);
}

/// Folds `acc op next` for known integer tensors of one type.
template <typename OpTy>
static Expected<TensorValue> foldStep(const NodeContext &node,
                                      const TensorValue &acc,
                                      const TensorValue &next) {
  if (acc.dataType != next.dataType || acc.isBool())
    return node.error(
        "operands have element types " + dataTypeName(acc.dataType) + " and " +
        dataTypeName(next.dataType) + "; they must be the same INT32 or INT64");
  if (std::is_same_v<OpTy, nn::DivOp> && llvm::is_contained(next.ints, 0))
    return node.error("divides by zero");
  return foldBroadcast(node, acc, next, acc.dataType, foldScalar<OpTy>);
}

/// Folds a node whose inputs are all known integers into a constant
/// output (inputs in order, folded left).
template <typename OpTy> static Error foldIntegral(NodeContext &node) {
  auto first = node.constantInput(0);
  if (!first)
    return first.takeError();
  TensorValue acc = **first;
  for (unsigned i = 1; i < node.numInputs(); ++i) {
    auto next = node.constantInput(i);
    if (!next)
      return next.takeError();
    auto folded = foldStep<OpTy>(node, acc, **next);
    if (!folded)
      return folded.takeError();
    acc = std::move(*folded);
  }
  return node.setConstantOutput(0, std::move(acc));
}

Expected<RankedTensorType> broadcastOrError(const NodeContext &node, Value lhs,
                                            Value rhs) {
  auto l = cast<RankedTensorType>(lhs.getType());
  auto r = cast<RankedTensorType>(rhs.getType());
  auto shape = nn::broadcastShapes(l.getShape(), r.getShape());
  if (!shape)
    return node.error("operand shapes " + formatShape(l) + " and " +
                      formatShape(r) + " do not broadcast");
  return RankedTensorType::get(*shape, l.getElementType());
}

template <typename OpTy> static Error importBinary(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  if (allIntegralKnown(node))
    return foldIntegral<OpTy>(node);
  auto lhs = node.anyInput(0);
  if (!lhs)
    return lhs.takeError();
  auto rhs = node.anyInput(1);
  if (!rhs)
    return rhs.takeError();
  if (Error err = checkNumeric(node, *lhs))
    return err;
  if (Error err = checkSameType(node, *lhs, *rhs))
    return err;
  if (auto type = broadcastOrError(node, *lhs, *rhs); !type)
    return type.takeError();
  return node.setOutput(0,
                        OpTy::create(node.builder(), node.loc(), *lhs, *rhs));
}

/// Max, Min, Sum and Mean take one or more inputs, all broadcast together:
/// folded left into binary ops (Mean then divides by the count).
template <typename OpTy> static Error importVariadic(NodeContext &node) {
  unsigned n = node.numInputs();
  if (Error err = node.checkSignature({}, 1, std::max(n, 1u)))
    return err;
  bool mean = node.opType() == "Mean";
  if (!mean && allIntegralKnown(node))
    return foldIntegral<OpTy>(node);
  auto first = mean ? node.input(0) : node.anyInput(0);
  if (!first)
    return first.takeError();
  if (Error err = checkNumeric(node, *first))
    return err;
  Value acc = *first;
  for (unsigned i = 1; i < n; ++i) {
    auto next = node.anyInput(i);
    if (!next)
      return next.takeError();
    if (Error err = checkSameType(node, acc, *next))
      return err;
    if (auto type = broadcastOrError(node, acc, *next); !type)
      return type.takeError();
    acc = OpTy::create(node.builder(), node.loc(), acc, *next);
  }
  if (node.opType() == "Mean" && n > 1)
    acc = nn::DivOp::create(
        node.builder(), node.loc(), acc,
        nn::ConstantOp::createScalar(node.builder(), node.loc(), float(n)));
  return node.setOutput(0, acc);
}

/// Pow's exponent may be an integer tensor (T2 in the ONNX schema); it must
/// be known at import, where it is converted to f32 (exact for |y| <= 2^24,
/// which is checked) and powf treats it exactly.
static Error importPow(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  auto base = node.input(0);
  if (!base)
    return base.takeError();
  auto exponentType = node.inputDataType(1);
  if (!exponentType)
    return exponentType.takeError();
  bool integerExponent = isIntegerDataType(*exponentType);
  Value exponent;
  auto constant = node.constantInput(1);
  // An integer exponent becomes f32 at import, where its range is checked;
  // one computed by the graph is refused (f32 would round it silently).
  if (integerExponent && !constant)
    return constant.takeError();
  if (constant && !(*constant)->isFloat()) {
    const TensorValue &ints = **constant;
    // UINT64 elements are stored as their bit pattern: those of 2^63 and
    // more read as negative and must not pass as negative exponents.
    bool unsignedExponent = ints.dataType == onnx::TensorProto::UINT64;
    for (int64_t v : ints.ints) {
      if (unsignedExponent && v < 0)
        return node.error(llvm::formatv("integer exponent {0} is not exact "
                                        "in FLOAT (|y| <= 2^24 is)",
                                        uint64_t(v)));
      if (v < -(int64_t(1) << 24) || v > (int64_t(1) << 24))
        return node.error(llvm::formatv("integer exponent {0} is not exact "
                                        "in FLOAT (|y| <= 2^24 is)",
                                        v));
    }
    std::vector<float> values(ints.ints.begin(), ints.ints.end());
    auto type = f32Tensor(base->getContext(), ints.dims);
    exponent = nn::ConstantOp::create(
        node.builder(), node.loc(),
        DenseElementsAttr::get(type, llvm::ArrayRef(values)));
  } else {
    if (!constant)
      llvm::consumeError(constant.takeError());
    auto value = node.input(1);
    if (!value)
      return value.takeError();
    exponent = *value;
  }
  if (auto type = broadcastOrError(node, *base, exponent); !type)
    return type.takeError();
  return node.setOutput(
      0, nn::PowOp::create(node.builder(), node.loc(), *base, exponent));
}

template <typename OpTy> static Error importUnary(NodeContext &node) {
  if (Error err = node.checkSignature({}, 1, 1))
    return err;
  auto input = node.input(0);
  if (!input)
    return input.takeError();
  return node.setOutput(0, OpTy::create(node.builder(), node.loc(), *input));
}

/// Neg, Abs and Sign: also on integers (folded when known).
template <typename OpTy> static Error importNumericUnary(NodeContext &node) {
  if (Error err = node.checkSignature({}, 1, 1))
    return err;
  if (allIntegralKnown(node)) {
    auto known = node.constantInput(0);
    if (!known)
      return known.takeError();
    TensorValue out = **known;
    if (out.isBool())
      return node.error("takes FLOAT or an integer type here, got BOOL");
    for (int64_t &v : out.ints) {
      if (std::is_same_v<OpTy, nn::NegOp>)
        v = wrap(out.dataType, static_cast<int64_t>(0 - uint64_t(v)));
      else if (std::is_same_v<OpTy, nn::AbsOp>)
        v = wrap(out.dataType,
                 v < 0 ? static_cast<int64_t>(0 - uint64_t(v)) : v);
      else
        v = (v > 0) - (v < 0);
    }
    return node.setConstantOutput(0, std::move(out));
  }
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  if (Error err = checkNumeric(node, *input))
    return err;
  return node.setOutput(0, OpTy::create(node.builder(), node.loc(), *input));
}

void registerElementwiseOps(OpTable &table) {
  table["Add"] = importBinary<nn::AddOp>;
  table["Sub"] = importBinary<nn::SubOp>;
  table["Mul"] = importBinary<nn::MulOp>;
  table["Div"] = importBinary<nn::DivOp>;
  table["Pow"] = importPow;
  table["Max"] = importVariadic<nn::MaximumOp>;
  table["Min"] = importVariadic<nn::MinimumOp>;
  table["Sum"] = importVariadic<nn::AddOp>;
  table["Mean"] = importVariadic<nn::AddOp>;
  table["Relu"] = importUnary<nn::ReluOp>;
  table["Sigmoid"] = importUnary<nn::SigmoidOp>;
  table["Tanh"] = importUnary<nn::TanhOp>;
  table["Exp"] = importUnary<nn::ExpOp>;
  table["Log"] = importUnary<nn::LogOp>;
  table["Sqrt"] = importUnary<nn::SqrtOp>;
  table["Neg"] = importNumericUnary<nn::NegOp>;
  table["Abs"] = importNumericUnary<nn::AbsOp>;
  table["Sign"] = importNumericUnary<nn::SignOp>;
  table["Ceil"] = importUnary<nn::CeilOp>;
  table["Floor"] = importUnary<nn::FloorOp>;
  table["Reciprocal"] = importUnary<nn::ReciprocalOp>;
  table["Erf"] = importUnary<nn::ErfOp>;
  table["Softplus"] = importUnary<nn::SoftplusOp>;
  table["Softsign"] = importUnary<nn::SoftsignOp>;
}

} // namespace neurona::onnx_import
