//===- Linear.cpp - ONNX Gemm and MatMul ----------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// `Gemm` is `alpha * op(A) op(B) + beta * C`. It becomes an `nn.matmul` with
// the transposes as flags, then an `nn.add` of C; the scalings appear only
// when alpha or beta differ from 1, so the common exported dense layer
// (alpha = beta = 1) imports exactly as the DSL's `dense` does.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;

namespace neurona::onnx_import {

/// Checks that `a` (transposed if `transA`) and `b` (if `transB`) multiply,
/// with a message that names ONNX's operands rather than the `nn` op's.
static Error checkContraction(const NodeContext &node, Value a, Value b,
                              bool transA, bool transB) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(b.getType());
  if (aType.getRank() != 2 || bType.getRank() != 2)
    return node.error("only 2-D operands are supported; A is " +
                      formatShape(aType) + " and B is " + formatShape(bType));
  int64_t kA = aType.getDimSize(transA ? 0 : 1);
  int64_t kB = bType.getDimSize(transB ? 1 : 0);
  if (!ShapedType::isDynamic(kA) && !ShapedType::isDynamic(kB) && kA != kB)
    return node.error(llvm::formatv(
        "shape mismatch: A is {0}{1} and B is {2}{3}, so the inner "
        "dimensions are {4} and {5}",
        formatShape(aType), transA ? " (transposed)" : "", formatShape(bType),
        transB ? " (transposed)" : "", kA, kB));
  return node.checkInference(
      [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
        return nn::inferMatmul(loc, aType, bType, transA, transB,
                                /*batchReduce=*/false, types);
      });
}

static Error importGemm(NodeContext &node) {
  if (Error err =
          node.checkSignature({"alpha", "beta", "transA", "transB"}, 2, 3))
    return err;
  auto alpha = node.floatAttribute("alpha", 1.0f);
  auto beta = node.floatAttribute("beta", 1.0f);
  auto transA = node.intAttribute("transA", 0);
  auto transB = node.intAttribute("transB", 0);
  if (!alpha)
    return alpha.takeError();
  if (!beta)
    return beta.takeError();
  if (!transA)
    return transA.takeError();
  if (!transB)
    return transB.takeError();

  // Operands in order, so parameters get their first-use order (B, then C).
  auto ab = node.inputs<2>();
  if (!ab)
    return ab.takeError();
  auto [a, b] = *ab;
  std::optional<Value> c;
  if (node.hasInput(2)) {
    auto value = node.input(2);
    if (!value)
      return value.takeError();
    c = *value;
  }
  if (Error err = checkContraction(node, a, b, *transA != 0, *transB != 0))
    return err;

  OpBuilder &builder = node.builder();
  Location loc = node.loc();
  Value result =
      nn::MatmulOp::create(builder, loc, a, b, *transA != 0, *transB != 0);
  if (*alpha != 1.0f)
    result =
        nn::MulOp::create(builder, loc, result,
                          nn::ConstantOp::createScalar(builder, loc, *alpha));
  if (c) {
    // C broadcasts to the product, never the other way round.
    auto resultType = cast<RankedTensorType>(result.getType());
    auto sum = broadcastOrError(node, result, *c);
    if (!sum)
      return sum.takeError();
    if (*sum != resultType)
      return node.error("C of shape " + formatShape(c->getType()) +
                        " does not broadcast to the product's shape " +
                        formatShape(resultType));
    Value bias = *c;
    if (*beta != 1.0f)
      bias =
          nn::MulOp::create(builder, loc, bias,
                            nn::ConstantOp::createScalar(builder, loc, *beta));
    result = nn::AddOp::create(builder, loc, result, bias);
  }
  return node.setOutput(0, result);
}

/// `value` reshaped to `shape` (nothing emitted when it already has it).
static Value reshaped(NodeContext &node, Value value,
                      llvm::ArrayRef<int64_t> shape) {
  auto type = f32Tensor(value.getContext(), shape);
  if (type == value.getType())
    return value;
  return nn::ReshapeOp::create(node.builder(), node.loc(), type, value);
}

/// MatMul with numpy's semantics: a 1-D A is promoted to [1, K] and a 1-D B
/// to [K, 1], the promoted dimension being removed from the result again
/// (1-D x 1-D is a rank-0 dot product); dimensions before the last two are
/// batch dimensions that broadcast, which `nn.matmul` takes as they are.
static Error importMatMul(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  auto ab = node.inputs<2>();
  if (!ab)
    return ab.takeError();
  auto [a, b] = *ab;
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(b.getType());
  if (aType.getRank() == 0 || bType.getRank() == 0)
    return node.error("MatMul needs operands of rank 1 or more; A is " +
                      formatShape(aType) + " and B is " + formatShape(bType));
  SmallVector<int64_t> aShape(aType.getShape()), bShape(bType.getShape());
  bool aVector = aShape.size() == 1, bVector = bShape.size() == 1;
  if (aVector)
    aShape.insert(aShape.begin(), 1);
  if (bVector)
    bShape.push_back(1);
  // A dynamic dimension is the batch; as K, M or N of a promoted vector it
  // would move away from the front.
  auto dynamicAt = [](llvm::ArrayRef<int64_t> shape, size_t from) {
    for (size_t i = from; i < shape.size(); ++i)
      if (ShapedType::isDynamic(shape[i]))
        return true;
    return false;
  };
  int64_t kA = aShape.back(), kB = bShape[bShape.size() - 2];
  if (ShapedType::isDynamic(kA) || ShapedType::isDynamic(kB) || dynamicAt(aShape, 1) ||
      dynamicAt(bShape, 1) || (aVector && dynamicAt(aShape, 0)))
    return node.error("A " + formatShape(aType) + " and B " +
                      formatShape(bType) +
                      ": only a leading (batch) dimension may be dynamic, "
                      "and it cannot be the contracted dimension");
  if (kA != kB)
    return node.error(llvm::formatv(
        "shape mismatch: A is {0} and B is {1}, so the inner dimensions are "
        "{2} and {3}",
        formatShape(aType), formatShape(bType), kA, kB));
  int64_t m = aShape[aShape.size() - 2], n = bShape.back();
  SmallVector<int64_t> aBatch(aShape.begin(), aShape.end() - 2);
  SmallVector<int64_t> bBatch(bShape.begin(), bShape.end() - 2);
  auto batch = nn::broadcastShapes(aBatch, bBatch);
  if (!batch)
    return node.error("the batch dimensions of A " + formatShape(aType) +
                      " and B " + formatShape(bType) + " do not broadcast");
  if (dynamicAt(*batch, 1) ||
      (!batch->empty() && ShapedType::isDynamic(m)))
    return node.error("A " + formatShape(aType) + " and B " +
                      formatShape(bType) +
                      " would move the dynamic batch dimension away from "
                      "the front");

  Value lhs = reshaped(node, a, aShape), rhs = reshaped(node, b, bShape);
  if (Error err = node.checkInference(
          [&](std::optional<Location> loc, SmallVectorImpl<Type> &types) {
            return nn::inferMatmul(loc, lhs.getType(), rhs.getType(), false,
                                   false, /*batchReduce=*/false, types);
          }))
    return err;
  Value product = nn::MatmulOp::create(node.builder(), node.loc(), lhs, rhs);
  // Remove the dimensions the promotion added.
  SmallVector<int64_t> resultShape(*batch);
  if (!aVector)
    resultShape.push_back(m);
  if (!bVector)
    resultShape.push_back(n);
  return node.setOutput(0, reshaped(node, product, resultShape));
}

void registerLinearOps(OpTable &table) {
  table["Gemm"] = importGemm;
  table["MatMul"] = importMatMul;
}

} // namespace neurona::onnx_import
