//===- NNToLinalg.cpp - the convert-nn-to-linalg pass ---------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/SmallVectorExtras.h"

namespace mlir {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "neurona/Conversion/Passes.h.inc"
} // namespace mlir

using namespace mlir;

void mlir::nn::populateNNToLinalgPatterns(RewritePatternSet &patterns) {
  populateNNElementwiseToLinalgPatterns(patterns);
  populateNNActivationToLinalgPatterns(patterns);
  populateNNLinearToLinalgPatterns(patterns);
  populateNNConvToLinalgPatterns(patterns);
  populateNNPoolingToLinalgPatterns(patterns);
  populateNNReductionToLinalgPatterns(patterns);
  populateNNShapeToLinalgPatterns(patterns);
  populateNNLossToLinalgPatterns(patterns);
  populateNNOptimizerToLinalgPatterns(patterns);
  populateNNRandomToLinalgPatterns(patterns);
  populateNNEmbeddingToLinalgPatterns(patterns);
  populateNNRecurrentToLinalgPatterns(patterns);
  populateNNLogicalToLinalgPatterns(patterns);
  populateNNNormalizationToLinalgPatterns(patterns);
}

/// `type` with unsigned integer element types made signless.
static Type signless(Type type) {
  if (auto integer = dyn_cast<IntegerType>(type))
    return integer.isUnsigned()
               ? IntegerType::get(type.getContext(), integer.getWidth())
               : type;
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.clone(signless(tensor.getElementType()));
  if (auto tensor = dyn_cast<UnrankedTensorType>(type))
    return UnrankedTensorType::get(signless(tensor.getElementType()));
  if (auto fn = dyn_cast<FunctionType>(type)) {
    auto erase = [](Type t) { return signless(t); };
    auto inputs = llvm::map_to_vector(fn.getInputs(), erase);
    auto results = llvm::map_to_vector(fn.getResults(), erase);
    return FunctionType::get(type.getContext(), inputs, results);
  }
  return type;
}

static bool isUnsignedElement(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  return shaped && shaped.getElementType().isUnsignedInteger();
}

/// `attr` with unsigned element types made signless (same bits).
static Attribute signless(Attribute attr) {
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    Type element = dense.getType().getElementType();
    return element.isUnsignedInteger() ? dense.bitcast(signless(element))
                                       : attr;
  }
  if (auto integer = dyn_cast<IntegerAttr>(attr))
    return integer.getType().isUnsignedInteger()
               ? IntegerAttr::get(signless(integer.getType()),
                                  integer.getValue())
               : attr;
  return attr;
}

void mlir::nn::eraseSignedness(Operation *root) {
  // Every op is marked before any type changes: an op's operands are other
  // ops' results and block arguments, which the second walk rewrites.
  root->walk([](Operation *op) {
    if (!isa_and_nonnull<nn::NNDialect>(op->getDialect()))
      return;
    MLIRContext *ctx = op->getContext();
    if (llvm::any_of(op->getOperandTypes(), isUnsignedElement))
      op->setAttr(kUnsignedAttr, UnitAttr::get(ctx));
    if (llvm::any_of(op->getResultTypes(), isUnsignedElement))
      op->setAttr(kUnsignedResultAttr, UnitAttr::get(ctx));
  });
  root->walk([](Operation *op) {
    for (OpResult result : op->getResults())
      result.setType(signless(result.getType()));
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(signless(arg.getType()));
    for (NamedAttribute named : op->getAttrs()) {
      Attribute attr = named.getValue();
      Attribute erased = signless(attr);
      if (auto type = dyn_cast<TypeAttr>(attr))
        erased = TypeAttr::get(signless(type.getValue()));
      if (erased != attr)
        op->setAttr(named.getName(), erased);
    }
  });
}

bool mlir::nn::hasUnsignedOperands(Operation *op) {
  return op->hasAttr(kUnsignedAttr);
}

bool mlir::nn::hasUnsignedResults(Operation *op) {
  return op->hasAttr(kUnsignedResultAttr);
}

namespace {
struct ConvertNNToLinalgPass
    : impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<nn::NNDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    nn::eraseSignedness(getOperation());
    RewritePatternSet patterns(ctx);
    nn::populateNNToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
