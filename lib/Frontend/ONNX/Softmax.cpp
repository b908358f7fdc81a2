//===- Softmax.cpp - ONNX Softmax and LogSoftmax --------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Opset 13 made Softmax and LogSoftmax normalise along one axis (default -1).
// Before it they coerced the input to 2-D at `axis` (default 1) and
// normalised each row of that matrix; that older meaning is imported as
// reshape, softmax over the last axis, reshape back, which is the same thing
// whenever `axis` is the last axis anyway.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;

namespace neurona::onnx_import {

/// The first opset with the per-axis semantics.
static constexpr int64_t kPerAxisOpset = 13;

template <typename OpTy> static Error importSoftmax(NodeContext &node) {
  if (Error err = node.checkSignature({"axis"}, 1, 1))
    return err;
  bool perAxis = node.opset() >= kPerAxisOpset;
  auto axisAttr = node.intAttribute("axis", perAxis ? -1 : 1);
  if (!axisAttr)
    return axisAttr.takeError();
  auto input = node.input(0);
  if (!input)
    return input.takeError();
  auto type = cast<RankedTensorType>(input->getType());
  int64_t rank = type.getRank();
  int64_t axis = nn::normalizeAxis(*axisAttr, rank);
  if (axis < 0)
    return node.error(llvm::formatv("axis {0} is out of range for an input "
                                    "of rank {1}",
                                    *axisAttr, rank));

  OpBuilder &builder = node.builder();
  Location loc = node.loc();
  if (perAxis || axis == rank - 1) {
    int64_t canonical = canonicalSoftmaxAxis(axis, rank);
    return node.setOutput(0,
                          OpTy::create(builder, loc, *input,
                                       builder.getI64IntegerAttr(canonical)));
  }

  // Opset < 13 with an inner axis: normalise over all dimensions from `axis`
  // on, as rows of a 2-D matrix.
  llvm::ArrayRef<int64_t> dims = type.getShape();
  bool dynamicBatch = type.isDynamicDim(0);
  if (dynamicBatch && axis != 1)
    return node.error(llvm::formatv(
        "axis {0} (opset {1} semantics) would merge the dynamic batch "
        "dimension of {2} with other dimensions",
        *axisAttr, node.opset(), formatShape(type)));
  int64_t inner = 1;
  for (int64_t d : dims.drop_front(axis))
    inner *= d;
  int64_t outer = ShapedType::kDynamic;
  if (!dynamicBatch) {
    outer = 1;
    for (int64_t d : dims.take_front(axis))
      outer *= d;
  }
  auto matrixType = f32Tensor(type.getContext(), {outer, inner});
  Value matrix = nn::ReshapeOp::create(builder, loc, matrixType, *input);
  Value normalized =
      OpTy::create(builder, loc, matrix, builder.getI64IntegerAttr(-1));
  return node.setOutput(0,
                        nn::ReshapeOp::create(builder, loc, type, normalized));
}

void registerSoftmaxOps(OpTable &table) {
  table["Softmax"] = importSoftmax<nn::SoftmaxOp>;
  table["LogSoftmax"] = importSoftmax<nn::LogSoftmaxOp>;
}

} // namespace neurona::onnx_import
