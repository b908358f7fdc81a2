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
        return nn::inferMatmul(loc, aType, bType, transA, transB, types);
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

static Error importMatMul(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  auto ab = node.inputs<2>();
  if (!ab)
    return ab.takeError();
  auto [a, b] = *ab;
  if (Error err = checkContraction(node, a, b, false, false))
    return err;
  return node.setOutput(0,
                        nn::MatmulOp::create(node.builder(), node.loc(), a, b));
}

void registerLinearOps(OpTable &table) {
  table["Gemm"] = importGemm;
  table["MatMul"] = importMatMul;
}

} // namespace neurona::onnx_import
