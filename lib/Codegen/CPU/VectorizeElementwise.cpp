//===- VectorizeElementwise.cpp - neurona-cpu-vectorize-elementwise -------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Everything outside the contractions (bias and activation loops, their
// gradients, the optimizer update, dropout masks, column sums) otherwise
// reaches LLVM as scalar loops, and its loop vectorizer leaves the hot ones
// scalar: a NaN-propagating maximum or a select per element becomes a
// branch, and the dynamic batch hides the trip counts. Here each such loop
// is tiled one vector wide along the output's innermost dimension and
// vectorized by `linalg::vectorize` while still on tensors, so the vector
// code is what LLVM receives. Every element keeps its scalar sequence of
// operations (a column sum still adds its rows in order), so the result is
// the scalar loop's, bit for bit, whatever the width or the thread count.
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace neurona {
#define GEN_PASS_DEF_CPUVECTORIZEELEMENTWISE
#include "neurona/Codegen/Passes.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

/// The vector sizes of a tile, between tiling and vectorization.
constexpr StringLiteral kVectorSizes = "neurona.vector_sizes";

/// The loop along which `op` is vectorized: the innermost dimension of its
/// first result, when that loop is parallel and every operand either reads
/// it as its own innermost dimension (contiguously) or not at all.
std::optional<unsigned> vectorLoop(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      op.getNumDpsInits() == 0 || linalg::isaContractionOpInterface(op))
    return std::nullopt;
  // A vector of i1 is stored as bits, but a tensor of i1 holds one byte per
  // element (the ABI's bool).
  for (OpOperand &operand : op->getOpOperands()) {
    Type element = getElementTypeOrSelf(operand.get().getType());
    if (!element.isIntOrIndexOrFloat() ||
        (!element.isIndex() && element.getIntOrFloatBitWidth() < 8))
      return std::nullopt;
  }
  // Constant indices (a broadcast of a size-1 dimension) would collapse
  // into wrong maps.
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return std::nullopt;
  AffineMap init = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (init.getNumResults() == 0)
    return std::nullopt;
  unsigned loop = cast<AffineDimExpr>(init.getResults().back()).getPosition();
  if (!linalg::isParallelIterator(op.getIteratorTypesArray()[loop]))
    return std::nullopt;
  for (AffineMap map : op.getIndexingMapsArray())
    if (map.isFunctionOfDim(loop) &&
        map.getResults().back() != getAffineDimExpr(loop, op.getContext()))
      return std::nullopt;
  // Gathers would read out of bounds in the padded lanes of the last tile,
  // and are no faster than the scalar loop.
  // Math functions other than these (erf, pow, sin, ...) become libm calls
  // after the vector lowering has run, and could not be unrolled.
  bool unsupported = false;
  op.getBody()->walk([&](Operation *inner) {
    if (isa<tensor::ExtractOp>(inner) || inner->getNumRegions())
      unsupported = true;
    if (isa<math::MathDialect>(inner->getDialect()) &&
        !isa<math::ExpOp, math::ExpM1Op, math::LogOp, math::Log1pOp,
             math::Log2Op, math::TanhOp, math::SqrtOp, math::RsqrtOp,
             math::AbsFOp, math::FloorOp, math::CeilOp, math::FmaOp,
             math::CopySignOp, math::RoundEvenOp, math::TruncOp>(inner))
      unsupported = true;
  });
  if (unsupported)
    return std::nullopt;
  return loop;
}

/// Groups of consecutive loops of one iterator type that every operand
/// stores contiguously; collapsing them gives longer vector loops (a
/// 28 x 28 image is 98 full vectors instead of 28 rows of 3.5), unless the
/// innermost loop is whole vectors already. Ops that
/// read `linalg.index` keep their loops: a collapsed index needs a
/// division per element.
SmallVector<ReassociationIndices> collapsibleLoops(linalg::GenericOp op,
                                                  int64_t vectorWidth) {
  if (op.hasIndexSemantics())
    return {};
  // Already whole vectors: keep the loops, since a result behind a reshape
  // is no longer written straight into the entry's output buffer (empty
  // tensor elimination stops at the reshape) and would be copied there.
  int64_t inner = op.getStaticLoopRanges().back();
  if (!ShapedType::isDynamic(inner) && inner % vectorWidth == 0)
    return {};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<ReassociationIndices> groups;
  bool collapses = false;
  for (unsigned loop = 0; loop < op.getNumLoops(); ++loop) {
    if (!groups.empty() && iterators[groups.back().back()] == iterators[loop]) {
      ReassociationIndices extended = groups.back();
      extended.push_back(loop);
      if (linalg::areDimSequencesPreserved(maps, {extended})) {
        groups.back() = extended;
        collapses = true;
        continue;
      }
    }
    groups.push_back({static_cast<int64_t>(loop)});
  }
  return collapses ? groups : SmallVector<ReassociationIndices>{};
}

/// Replaces the masks of remainder tiles (vectors wider than the elements
/// left) by transfers that may run out of bounds: reads pad with zeros,
/// writes drop the extra lanes, arithmetic runs on every lane. Only the
/// parallel vector loop is ever partial, so a padded lane never reaches a
/// stored one. Masked transfers on tensors do not survive canonicalization
/// (a folded cast ends up inside the mask's region), and LLVM turns
/// out-of-bounds transfers into masked loads and stores as well.
void dropMasks(RewriterBase &rewriter, Operation *root) {
  SmallVector<vector::MaskOp> masks;
  root->walk([&](vector::MaskOp mask) { masks.push_back(mask); });
  for (vector::MaskOp mask : masks) {
    Operation *inner = mask.getMaskableOp();
    if (!inner)
      continue;
    rewriter.setInsertionPoint(mask);
    Operation *unmasked = rewriter.clone(*inner);
    if (auto transfer = dyn_cast<VectorTransferOpInterface>(unmasked)) {
      SmallVector<bool> inBounds;
      for (int64_t size : transfer.getVectorType().getShape())
        inBounds.push_back(size == 1);
      unmasked->setAttr(transfer.getInBoundsAttrName(),
                        rewriter.getBoolArrayAttr(inBounds));
    }
    rewriter.replaceOp(mask, unmasked->getResults());
  }
}

/// Gives each result of `op` an init of its own when it is a `tensor.empty`
/// (CSE merges identical ones across the function) or a filled one shared
/// with other ops. A tiled loop carries its result through iter_args or
/// shared outputs, which bufferization counts as a read, so a shared init
/// would be copied before the loop instead of written in place.
void privatizeInits(RewriterBase &rewriter, linalg::GenericOp op) {
  for (OpOperand &init : op.getDpsInitsMutable()) {
    Operation *def = init.get().getDefiningOp();
    auto fill = dyn_cast_or_null<linalg::FillOp>(def);
    Value filled = fill ? fill.getOutputs()[0] : Value();
    auto empty = dyn_cast_or_null<tensor::EmptyOp>(
        fill ? filled.getDefiningOp() : def);
    if (!empty || (fill && init.get().hasOneUse() && filled.hasOneUse()))
      continue;
    rewriter.setInsertionPoint(op);
    Operation *fresh = rewriter.clone(*empty);
    if (fill) {
      IRMapping mapping;
      mapping.map(filled, fresh->getResult(0));
      fresh = rewriter.clone(*fill, mapping);
    }
    rewriter.modifyOpInPlace(op, [&] { init.set(fresh->getResult(0)); });
  }
}

/// Applies the canonicalization patterns of every loaded dialect and op.
LogicalResult canonicalize(Operation *root) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsGreedily(root, std::move(patterns));
}

struct CPUVectorizeElementwisePass
    : neurona::impl::CPUVectorizeElementwiseBase<
          CPUVectorizeElementwisePass> {
  using Base::Base;

  void runOnOperation() override;

  /// Collapses, chunks (with `threads`) and tiles `op`; marks each tile with its vector
  /// sizes (`kVectorSizes`).
  void tileOp(RewriterBase &rewriter, linalg::GenericOp op, bool threads);

  /// Splits the outermost loop of `op` into scf.forall chunks of about
  /// `parallelElements` elements when that makes at least two chunks;
  /// `outerSize` is that loop's trip count, at batch 64 when it is dynamic.
  /// Returns the op of one chunk.
  linalg::GenericOp splitAmongThreads(RewriterBase &rewriter,
                                      linalg::GenericOp op, int64_t outerSize);
};

linalg::GenericOp
CPUVectorizeElementwisePass::splitAmongThreads(RewriterBase &rewriter,
                                               linalg::GenericOp op,
                                               int64_t outerSize) {
  if (!parallelElements ||
      !linalg::isParallelIterator(op.getIteratorTypesArray()[0]))
    return op;
  SmallVector<int64_t> shape = op.getStaticLoopRanges();
  int64_t inner = 1;
  for (int64_t size : ArrayRef<int64_t>(shape).drop_front()) {
    if (ShapedType::isDynamic(size))
      return op;
    inner *= size;
  }
  // Whole vectors per chunk when the chunked loop is the vector loop.
  int64_t rows = std::max<int64_t>(
      1, (parallelElements + inner - 1) / inner);
  if (shape.size() == 1)
    rows = (rows + vectorWidth - 1) / vectorWidth * vectorWidth;
  if (outerSize < 2 * rows)
    return op;
  SmallVector<int64_t> sizes(shape.size(), 0);
  sizes[0] = rows;
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result))
    return op;
  rewriter.replaceOp(op, result->replacements);
  return cast<linalg::GenericOp>(result->tiledOps.back());
}

void CPUVectorizeElementwisePass::tileOp(RewriterBase &rewriter,
                                         linalg::GenericOp op, bool threads) {
  // Whether the body vectorizes at all (with the dynamic sizes masked).
  {
    SmallVector<int64_t> sizes = op.getStaticLoopRanges();
    for (int64_t &size : sizes)
      if (ShapedType::isDynamic(size))
        size = vectorWidth;
    if (failed(linalg::vectorizeOpPrecondition(op, sizes)))
      return;
  }

  // The outermost loop's trip count, after collapsing, at batch 64.
  privatizeInits(rewriter, op);
  SmallVector<ReassociationIndices> groups = collapsibleLoops(op, vectorWidth);
  int64_t outerSize = 1;
  {
    SmallVector<int64_t> shape = op.getStaticLoopRanges();
    for (int64_t loop : groups.empty() ? ReassociationIndices{0} : groups[0])
      outerSize *= ShapedType::isDynamic(shape[loop]) ? 64 : shape[loop];
  }
  if (!groups.empty()) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::CollapseResult> collapsed =
        linalg::collapseOpIterationDims(op, groups, rewriter);
    if (succeeded(collapsed)) {
      rewriter.replaceOp(op, collapsed->results);
      op = cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
    }
  }

  if (threads)
    op = splitAmongThreads(rewriter, op, outerSize);
  std::optional<unsigned> loop = vectorLoop(op);
  if (!loop)
    return;

  // One vector along the vector loop, one step along every other loop
  // (reductions in their order), the vector loop innermost.
  SmallVector<int64_t> shape = op.getStaticLoopRanges();
  int64_t width = shape[*loop];
  bool tiled = ShapedType::isDynamic(width) || width > vectorWidth;
  SmallVector<int64_t> sizes(shape.size(), 1);
  sizes[*loop] = tiled ? vectorWidth : 0;
  SmallVector<int64_t> interchange;
  for (unsigned i = 0; i < shape.size(); ++i)
    if (i != *loop)
      interchange.push_back(i);
  interchange.push_back(*loop);
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result))
    return;
  rewriter.replaceOp(op, result->replacements);
  auto tile = cast<linalg::LinalgOp>(result->tiledOps.back());

  SmallVector<int64_t> vectorSizes(shape.size(), 1);
  vectorSizes[*loop] = tiled ? vectorWidth : width;
  auto inner = result->loops.empty()
                   ? scf::ForOp()
                   : dyn_cast<scf::ForOp>(result->loops.back().getOperation());
  if (tiled && inner && getConstantIntValue(inner.getStep()) == vectorWidth) {
    // Full vectors in the main loop; the last partial one is masked.
    scf::ForOp partial;
    if (succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, inner,
                                                    partial))) {
      partial->walk([&](linalg::LinalgOp peeled) {
        peeled->setAttr(kVectorSizes, rewriter.getDenseI64ArrayAttr(vectorSizes));
      });
    }
  }
  tile->setAttr(kVectorSizes, rewriter.getDenseI64ArrayAttr(vectorSizes));
}

void CPUVectorizeElementwisePass::runOnOperation() {
  func::FuncOp func = getOperation();
  IRRewriter rewriter(&getContext());

  SmallVector<std::pair<linalg::GenericOp, bool>> candidates;
  func.walk([&](linalg::GenericOp op) {
    // No thread level inside another (a contraction's chunk).
    bool nested = op->getParentOfType<scf::ForallOp>() != nullptr;
    if (vectorLoop(op))
      candidates.push_back({op, !nested});
  });
  if (candidates.empty())
    return;

  for (auto &[op, threads] : candidates)
    tileOp(rewriter, op, threads);

  // Once the peeled bounds fold, full tiles (and a static remainder) have
  // static shapes and vectorize without masks; only a remainder of a
  // dynamic size is masked. The tiles carry their vector sizes through
  // canonicalization as an attribute.
  if (failed(canonicalize(func)))
    return signalPassFailure();
  SmallVector<std::pair<linalg::GenericOp, SmallVector<int64_t>>> tiles;
  func.walk([&](linalg::GenericOp op) {
    if (auto sizes = op->getAttrOfType<DenseI64ArrayAttr>(kVectorSizes)) {
      tiles.push_back({op, SmallVector<int64_t>(sizes.asArrayRef())});
      op->removeAttr(kVectorSizes);
    }
  });
  for (auto &[op, vectorSizes] : tiles) {
    rewriter.setInsertionPoint(op);
    if (op.hasDynamicShape()) {
      SmallVector<bool> scalable(vectorSizes.size(), false);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, op, vectorSizes, scalable);
      if (succeeded(vectorized))
        rewriter.replaceOp(op, vectorized->replacements);
      continue;
    }
    FailureOr<linalg::VectorizationResult> vectorized =
        linalg::vectorize(rewriter, op);
    if (succeeded(vectorized))
      rewriter.replaceOp(op, vectorized->replacements);
  }
  dropMasks(rewriter, func);

  // No CSE: it would merge the private inits again.
  if (failed(canonicalize(func)))
    return signalPassFailure();
}

} // namespace
