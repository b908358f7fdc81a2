//===- Elementwise.cpp - ONNX elementwise ops -----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Add, Sub, Mul, Div, Pow (numpy broadcasting, as ONNX since opset 7), the
// variadic Max, Min, Sum and Mean, and the unary math ops. Each maps to `nn`
// ops of the same meaning.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

Expected<RankedTensorType> broadcastOrError(const NodeContext &node, Value lhs,
                                            Value rhs) {
  auto l = cast<RankedTensorType>(lhs.getType());
  auto r = cast<RankedTensorType>(rhs.getType());
  auto shape = nn::broadcastShapes(l.getShape(), r.getShape());
  if (!shape)
    return node.error("operand shapes " + formatShape(l) + " and " +
                      formatShape(r) + " do not broadcast");
  return f32Tensor(lhs.getContext(), *shape);
}

template <typename OpTy> static Error importBinary(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  auto operands = node.inputs<2>();
  if (!operands)
    return operands.takeError();
  auto [lhs, rhs] = *operands;
  if (auto type = broadcastOrError(node, lhs, rhs); !type)
    return type.takeError();
  return node.setOutput(0, OpTy::create(node.builder(), node.loc(), lhs, rhs));
}

/// Max, Min, Sum and Mean take one or more inputs, all broadcast together:
/// folded left into binary ops (Mean then divides by the count).
template <typename OpTy> static Error importVariadic(NodeContext &node) {
  unsigned n = node.numInputs();
  if (Error err = node.checkSignature({}, 1, std::max(n, 1u)))
    return err;
  auto first = node.input(0);
  if (!first)
    return first.takeError();
  Value acc = *first;
  for (unsigned i = 1; i < n; ++i) {
    auto next = node.input(i);
    if (!next)
      return next.takeError();
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

/// Pow's exponent may be an integer tensor (T2 in the ONNX schema); a
/// constant one is converted to f32, where powf treats it exactly.
static Error importPow(NodeContext &node) {
  if (Error err = node.checkSignature({}, 2, 2))
    return err;
  auto base = node.input(0);
  if (!base)
    return base.takeError();
  Value exponent;
  if (auto constant = node.constantInput(1);
      constant && !(*constant)->isFloat()) {
    const TensorValue &ints = **constant;
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
  table["Neg"] = importUnary<nn::NegOp>;
  table["Abs"] = importUnary<nn::AbsOp>;
  table["Sign"] = importUnary<nn::SignOp>;
  table["Ceil"] = importUnary<nn::CeilOp>;
  table["Floor"] = importUnary<nn::FloorOp>;
  table["Reciprocal"] = importUnary<nn::ReciprocalOp>;
  table["Erf"] = importUnary<nn::ErfOp>;
  table["Softplus"] = importUnary<nn::SoftplusOp>;
  table["Softsign"] = importUnary<nn::SoftsignOp>;
}

} // namespace neurona::onnx_import
