//===- Logical.cpp - ONNX comparison, logic, Cast, Where, ArgMax ----------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The ops of ONNX's integer and boolean world: Cast, Equal, Greater,
// GreaterOrEqual, Less, LessOrEqual, Not, And, Or, Xor, Where, ArgMax,
// ArgMin and Mod. On inputs that are all known integers or bools (shape
// arithmetic) they fold at import; otherwise each maps to the `nn` op of
// the same name.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

static Type elementOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

static std::string typeName(Value v) {
  return dataTypeName(dataTypeOf(elementOf(v)));
}

//===----------------------------------------------------------------------===//
// Cast
//===----------------------------------------------------------------------===//

/// `in` converted to `to` with ONNX Cast's rules, when that is exact enough
/// to do at import.
static Expected<TensorValue> foldCast(const NodeContext &node,
                                      const TensorValue &in, int32_t to) {
  TensorValue out;
  out.dataType = to;
  out.dims = in.dims;
  int64_t n = in.numElements();
  // UINT64 elements are stored as their bit pattern.
  bool fromU64 = in.dataType == onnx::TensorProto::UINT64;
  auto get = [&](int64_t i) -> double {
    return in.isFloat()    ? double(in.floats[i])
           : in.isDouble() ? in.doubles[i]
           : fromU64       ? double(static_cast<uint64_t>(in.ints[i]))
                           : double(in.ints[i]);
  };
  bool toInt = to == onnx::TensorProto::INT32 || to == onnx::TensorProto::INT64;
  if (in.isSymbolic() && !toInt)
    return node.error("cannot cast the dynamic batch size to " +
                      dataTypeName(to));
  for (int64_t i = 0; i < n; ++i) {
    switch (to) {
    case onnx::TensorProto::FLOAT:
      out.floats.push_back(
          in.isIntegral() ? (fromU64 ? float(static_cast<uint64_t>(in.ints[i]))
                                     : float(in.ints[i]))
                          : float(get(i)));
      break;
    case onnx::TensorProto::DOUBLE:
      out.doubles.push_back(get(i));
      break;
    case onnx::TensorProto::BOOL:
      out.ints.push_back(in.isIntegral() ? in.ints[i] != 0 : get(i) != 0.0);
      break;
    default: {
      if (in.isIntegral()) {
        // Integer to integer wraps (two's complement), as C++ and numpy do.
        int64_t v = in.ints[i];
        if (v != TensorValue::kDynamicBatch)
          v = wrapInteger(to, v);
        out.ints.push_back(v);
        break;
      }
      // Truncation toward zero; values the integer cannot hold are
      // undefined in ONNX and refused here.
      double v = std::trunc(get(i));
      int bits = static_cast<int>(
          elementTypeOf(node.loc().getContext(), to).getIntOrFloatBitWidth());
      bool isUnsigned = isUnsignedDataType(to);
      double low = isUnsigned ? 0.0 : -std::ldexp(1.0, bits - 1);
      double high = std::ldexp(1.0, isUnsigned ? bits : bits - 1);
      if (!(v >= low && v < high)) {
        char text[32];
        std::snprintf(text, sizeof(text), "%.9g", get(i));
        return node.error(llvm::formatv("element {0} ({1}) does not fit {2}",
                                        i, text, dataTypeName(to)));
      }
      out.ints.push_back(
          v >= 9223372036854775808.0
              ? static_cast<int64_t>(static_cast<uint64_t>(v))
              : static_cast<int64_t>(v));
    }
    }
  }
  return out;
}

static Error importCast(NodeContext &node) {
  // `saturate` (opset 19) and `round_mode` (opset 24) only concern the
  // float8 and float4 types, which are refused below.
  if (Error err = node.checkSignature({"to", "saturate", "round_mode"}, 1, 1))
    return err;
  const onnx::AttributeProto *toAttr = node.findAttribute("to");
  if (!toAttr || toAttr->type() != onnx::AttributeProto::INT)
    return node.error("needs an INT attribute 'to'");
  int32_t to = static_cast<int32_t>(toAttr->i());
  Type toType = elementTypeOf(node.builder().getContext(), to);
  if (!toType)
    return node.error("cast to " + dataTypeName(to) +
                      " is not supported (" + kSupportedDataTypes + " are)");
  // Known integers and conversions to integers fold (shape arithmetic); a
  // known float cast to a float stays in the graph, so that a FLOAT
  // initializer behind it is still a trainable parameter. Conversions to
  // FLOAT16 and BFLOAT16 are the graph's (knownInput never gives values of
  // those types).
  const TensorValue *known = node.knownInput(0);
  bool toFloat = to == onnx::TensorProto::FLOAT ||
                 to == onnx::TensorProto::DOUBLE || isNarrowFloatDataType(to);
  if (known && known->dataType == to && known->isFloat())
    return node.aliasOutput(0, 0);
  if (known && !isNarrowFloatDataType(to) &&
      (known->isIntegral() || !toFloat)) {
    auto folded = foldCast(node, *known, to);
    if (!folded)
      return folded.takeError();
    return node.setConstantOutput(0, std::move(*folded));
  }
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  auto type = cast<RankedTensorType>(input->getType());
  if (type.getElementType() == toType)
    return node.setOutput(0, *input);
  return node.setOutput(
      0, nn::CastOp::create(node.builder(), node.loc(),
                            RankedTensorType::get(type.getShape(), toType),
                            *input));
}

//===----------------------------------------------------------------------===//
// Comparisons and logic
//===----------------------------------------------------------------------===//

/// The checks of a binary op on any one element type; `boolOnly` for
/// And/Or/Xor.
static Error checkOperands(const NodeContext &node, Value a, Value b,
                           bool boolOnly) {
  if (elementOf(a) != elementOf(b))
    return node.error("operands have different element types (" +
                      typeName(a) + " and " + typeName(b) + ")");
  if (boolOnly && !elementOf(a).isInteger(1))
    return node.error("takes BOOL operands, got " + typeName(a));
  if (auto type = broadcastOrError(node, a, b); !type)
    return type.takeError();
  return Error::success();
}

template <typename OpTy>
static int64_t compareScalar(int64_t a, int64_t b) {
  if constexpr (std::is_same_v<OpTy, nn::EqualOp>)
    return a == b;
  if constexpr (std::is_same_v<OpTy, nn::GreaterOp>)
    return a > b;
  if constexpr (std::is_same_v<OpTy, nn::GreaterEqualOp>)
    return a >= b;
  if constexpr (std::is_same_v<OpTy, nn::LessOp>)
    return a < b;
  if constexpr (std::is_same_v<OpTy, nn::LessEqualOp>)
    return a <= b;
  if constexpr (std::is_same_v<OpTy, nn::LogicalAndOp>)
    return a && b;
  if constexpr (std::is_same_v<OpTy, nn::LogicalOrOp>)
    return a || b;
  return a != b; // LogicalXorOp
}

template <typename OpTy, bool BoolOnly>
static Error importCompare(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  if (allIntegralKnown(node)) {
    auto a = node.constantInput(0);
    if (!a)
      return a.takeError();
    auto b = node.constantInput(1);
    if (!b)
      return b.takeError();
    if ((*a)->dataType != (*b)->dataType || (BoolOnly && !(*a)->isBool()))
      return node.error("operands have element types " +
                        dataTypeName((*a)->dataType) + " and " +
                        dataTypeName((*b)->dataType) +
                        (BoolOnly ? "; both must be BOOL" : "; they must match"));
    auto folded = foldBroadcast(node, **a, **b, onnx::TensorProto::BOOL,
                                compareScalar<OpTy>);
    if (!folded)
      return folded.takeError();
    return node.setConstantOutput(0, std::move(*folded));
  }
  auto lhs = node.anyInput(0);
  if (!lhs)
    return lhs.takeError();
  auto rhs = node.anyInput(1);
  if (!rhs)
    return rhs.takeError();
  if (Error err = checkOperands(node, *lhs, *rhs, BoolOnly))
    return err;
  return node.setOutput(0,
                        OpTy::create(node.builder(), node.loc(), *lhs, *rhs));
}

static Error importNot(NodeContext &node) {
  if (Error err = node.checkSignature({}, 1, 1))
    return err;
  if (const TensorValue *known = node.knownInput(0); known && known->isBool()) {
    TensorValue out = *known;
    for (int64_t &v : out.ints)
      v = !v;
    return node.setConstantOutput(0, std::move(out));
  }
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  if (!elementOf(*input).isInteger(1))
    return node.error("takes a BOOL input, got " + typeName(*input));
  return node.setOutput(
      0, nn::LogicalNotOp::create(node.builder(), node.loc(), *input));
}

//===----------------------------------------------------------------------===//
// Where
//===----------------------------------------------------------------------===//

static Error importWhere(NodeContext &node) {
  if (Error err = node.checkSignature({}, 3, 3))
    return err;
  if (allIntegralKnown(node)) {
    auto c = node.constantInput(0);
    if (!c)
      return c.takeError();
    auto x = node.constantInput(1);
    if (!x)
      return x.takeError();
    auto y = node.constantInput(2);
    if (!y)
      return y.takeError();
    if (!(*c)->isBool() || (*x)->dataType != (*y)->dataType)
      return node.error("needs a BOOL condition and x, y of one type, got " +
                        dataTypeName((*c)->dataType) + ", " +
                        dataTypeName((*x)->dataType) + " and " +
                        dataTypeName((*y)->dataType));
    auto xy = nn::broadcastShapes((*x)->dims, (*y)->dims);
    auto shape = xy ? nn::broadcastShapes((*c)->dims, *xy) : std::nullopt;
    if (!shape)
      return node.error("condition, x and y shapes " +
                        formatShape((*c)->dims) + ", " +
                        formatShape((*x)->dims) + " and " +
                        formatShape((*y)->dims) + " do not broadcast");
    auto ic = broadcastIndex(*shape, (*c)->dims);
    auto ix = broadcastIndex(*shape, (*x)->dims);
    auto iy = broadcastIndex(*shape, (*y)->dims);
    TensorValue out;
    out.dataType = (*x)->dataType;
    out.dims = *shape;
    for (size_t k = 0; k < ic.size(); ++k)
      out.ints.push_back((*c)->ints[ic[k]] ? (*x)->ints[ix[k]]
                                           : (*y)->ints[iy[k]]);
    return node.setConstantOutput(0, std::move(out));
  }
  auto c = node.anyInput(0);
  if (!c)
    return c.takeError();
  auto x = node.anyInput(1);
  if (!x)
    return x.takeError();
  auto y = node.anyInput(2);
  if (!y)
    return y.takeError();
  if (!elementOf(*c).isInteger(1))
    return node.error("the condition must be BOOL, got " + typeName(*c));
  if (elementOf(*x) != elementOf(*y))
    return node.error("x and y have different element types (" +
                      typeName(*x) + " and " + typeName(*y) + ")");
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferWhere(loc, c->getType(), x->getType(),
                                  y->getType(), types);
          }))
    return err;
  return node.setOutput(
      0, nn::WhereOp::create(node.builder(), node.loc(), *c, *x, *y));
}

//===----------------------------------------------------------------------===//
// ArgMax, ArgMin and Mod
//===----------------------------------------------------------------------===//

template <typename OpTy> static Error importArgReduce(NodeContext &node) {
  if (Error err = node.checkSignature(
          {"axis", "keepdims", "select_last_index"}, 1, 1))
    return err;
  auto axis = node.intAttribute("axis", 0);
  if (!axis)
    return axis.takeError();
  auto keepdims = node.intAttribute("keepdims", 1);
  if (!keepdims)
    return keepdims.takeError();
  auto last = node.intAttribute("select_last_index", 0);
  if (!last)
    return last.takeError();
  auto input = node.anyInput(0);
  if (!input)
    return input.takeError();
  Type t = elementOf(*input);
  if (!(t.isF32() || isIntegerElement(t)))
    return node.error("takes FLOAT or an integer type here, got " +
                      typeName(*input));
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferArgReduce(loc, input->getType(), *axis,
                                      *keepdims != 0, types);
          }))
    return err;
  OpBuilder &b = node.builder();
  auto op = OpTy::create(b, node.loc(), *input, static_cast<uint64_t>(*axis),
                         *keepdims != 0, *last != 0);
  return node.setOutput(0, op);
}

static Error importMod(NodeContext &node) {
  if (Error err = node.checkSignature({"fmod"}, 2, 2))
    return err;
  auto fmod = node.intAttribute("fmod", 0);
  if (!fmod)
    return fmod.takeError();
  if (allIntegralKnown(node)) {
    auto a = node.constantInput(0);
    if (!a)
      return a.takeError();
    auto b = node.constantInput(1);
    if (!b)
      return b.takeError();
    if ((*a)->dataType != (*b)->dataType || (*a)->isBool())
      return node.error("operands must be the same INT32 or INT64 type");
    if (llvm::is_contained((*b)->ints, 0))
      return node.error("divides by zero");
    bool c = *fmod != 0;
    auto folded = foldBroadcast(
        node, **a, **b, (*a)->dataType, [c](int64_t x, int64_t y) -> int64_t {
          if (y == -1)
            return 0;
          int64_t r = x % y;
          if (!c && r != 0 && ((r < 0) != (y < 0)))
            r += y;
          return r;
        });
    if (!folded)
      return folded.takeError();
    return node.setConstantOutput(0, std::move(*folded));
  }
  auto lhs = node.anyInput(0);
  if (!lhs)
    return lhs.takeError();
  auto rhs = node.anyInput(1);
  if (!rhs)
    return rhs.takeError();
  if (Error err = checkOperands(node, *lhs, *rhs, false))
    return err;
  Type t = elementOf(*lhs);
  if (!(t.isF32() || isIntegerElement(t)))
    return node.error("takes FLOAT or an integer type here, got " +
                      typeName(*lhs));
  // Before opset 28 fmod = 0 (Python's %) is for integers only.
  if (node.opset() < 28 && t.isF32() && !*fmod)
    return node.error("fmod = 0 on FLOAT operands; before opset 28 ONNX "
                      "requires fmod = 1 for floats");
  OpBuilder &b = node.builder();
  return node.setOutput(
      0, nn::ModOp::create(b, node.loc(), *lhs, *rhs, *fmod != 0));
}

void registerLogicalOps(OpTable &table) {
  table["Cast"] = importCast;
  table["Equal"] = importCompare<nn::EqualOp, false>;
  table["Greater"] = importCompare<nn::GreaterOp, false>;
  table["GreaterOrEqual"] = importCompare<nn::GreaterEqualOp, false>;
  table["Less"] = importCompare<nn::LessOp, false>;
  table["LessOrEqual"] = importCompare<nn::LessEqualOp, false>;
  table["And"] = importCompare<nn::LogicalAndOp, true>;
  table["Or"] = importCompare<nn::LogicalOrOp, true>;
  table["Xor"] = importCompare<nn::LogicalXorOp, true>;
  table["Not"] = importNot;
  table["Where"] = importWhere;
  table["ArgMax"] = importArgReduce<nn::ArgMaxOp>;
  table["ArgMin"] = importArgReduce<nn::ArgMinOp>;
  table["Mod"] = importMod;
}

} // namespace neurona::onnx_import
