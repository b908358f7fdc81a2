//===- Reduction.cpp - ONNX ReduceSum, ReduceMean, ReduceMax, ReduceMin ---===//
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

template <typename OpTy, int64_t AxesInputOpset>
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
  auto input = node.input(0);
  if (!input)
    return input.takeError();
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
  OpBuilder &b = node.builder();
  return node.setOutput(0, OpTy::create(b, node.loc(), *input,
                                        b.getDenseI64ArrayAttr(*axes),
                                        *keepdims != 0));
}

void registerReductionOps(OpTable &table) {
  table["ReduceSum"] = importReduce<nn::ReduceSumOp, 13>;
  table["ReduceMean"] = importReduce<nn::ReduceMeanOp, 18>;
  table["ReduceMax"] = importReduce<nn::ReduceMaxOp, 18>;
  table["ReduceMin"] = importReduce<nn::ReduceMinOp, 18>;
}

} // namespace neurona::onnx_import
