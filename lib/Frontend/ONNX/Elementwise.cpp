//===- Elementwise.cpp - ONNX elementwise ops -----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Add, Sub, Mul, Div (numpy broadcasting, as ONNX since opset 7) and the
// unary math ops. Each maps to one `nn` op of the same meaning.
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
  // ONNX's Max is variadic; the two-operand form is the one networks use.
  table["Max"] = importBinary<nn::MaximumOp>;
  table["Relu"] = importUnary<nn::ReluOp>;
  table["Sigmoid"] = importUnary<nn::SigmoidOp>;
  table["Tanh"] = importUnary<nn::TanhOp>;
  table["Exp"] = importUnary<nn::ExpOp>;
  table["Log"] = importUnary<nn::LogOp>;
  table["Sqrt"] = importUnary<nn::SqrtOp>;
  table["Neg"] = importUnary<nn::NegOp>;
}

} // namespace neurona::onnx_import
