//===- TileContractions.cpp - neurona-cpu-tile-contractions ---------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Register-blocked GEMM kernels from upstream building blocks: TilingInterface
// tiling (`scf::tileUsingSCF`), loop peeling, the linalg vectorizer and
// loop-invariant subset hoisting. The schedule is the one measured in
// shared/notes/mlir22-gemm-on-this-cpu.md (81-85% of the FMA peak at 1024^3,
// the FMA limit on the course's small shapes), extended to the dynamic batch
// dimension every model entry has: full tiles are peeled off and static, the
// last partial tile is masked, and rows below the register tile run one at a
// time.
//
// It is a C++ pass rather than a transform-dialect script because the tile
// sizes depend on each contraction's shape (which dimensions are static, how
// large the B panel is) and because a contraction that does not vectorize
// must be left alone rather than fail the compile.
//
//===----------------------------------------------------------------------===//

#include "neurona/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace neurona {
#define GEN_PASS_DEF_CPUTILECONTRACTIONS
#include "neurona/Codegen/Passes.h.inc"
} // namespace neurona

using namespace mlir;

namespace {

/// Loop positions of a 2-D contraction's m, n and k dimensions.
struct ContractionLoops {
  unsigned m, n, k;
};

/// Matches f32 contractions C[m,n] += A[m,k] * B[k,n] on tensors, with either
/// operand possibly transposed and the loops in any order.
std::optional<ContractionLoops> matchContraction(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 3 ||
      !getElementTypeOrSelf(op.getDpsInits()[0].getType()).isF32() ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || !dims->batch.empty() || dims->m.size() != 1 ||
      dims->n.size() != 1 || dims->k.size() != 1)
    return std::nullopt;
  return ContractionLoops{dims->m[0], dims->n[0], dims->k[0]};
}

/// Per-loop sizes (0: not tiled) for the m, n and k loops of `loops`.
SmallVector<int64_t> perLoop(const ContractionLoops &loops, int64_t m,
                             int64_t n, int64_t k) {
  SmallVector<int64_t> sizes(3, 0);
  sizes[loops.m] = m;
  sizes[loops.n] = n;
  sizes[loops.k] = k;
  return sizes;
}

struct Tiled {
  linalg::LinalgOp op;
  SmallVector<scf::ForOp> loops; // outermost first
};

/// Tiles `op` by `sizes` with the loops generated m, n, k from the outside
/// in, and replaces it. The tiled op is the one inside the new loops.
FailureOr<Tiled> tile(RewriterBase &rewriter, linalg::LinalgOp op,
                      const ContractionLoops &loops, ArrayRef<int64_t> sizes) {
  auto tileable = dyn_cast<TilingInterface>(op.getOperation());
  if (!tileable)
    return failure();
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  options.setInterchange({loops.m, loops.n, loops.k});
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, tileable, options);
  if (failed(result))
    return failure();
  rewriter.replaceOp(op, result->replacements);
  Tiled tiled;
  tiled.op = cast<linalg::LinalgOp>(result->tiledOps.back());
  for (LoopLikeOpInterface loop : result->loops)
    tiled.loops.push_back(cast<scf::ForOp>(loop.getOperation()));
  return tiled;
}

/// Peels the last, partial iteration off `loop` (whose step is a tile size)
/// and returns the contraction inside that iteration, or null when every
/// iteration is full. The main loop keeps `loop`'s body, whose tiles are then
/// static.
linalg::LinalgOp peelLastTile(RewriterBase &rewriter, scf::ForOp loop) {
  scf::ForOp partial;
  if (failed(scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial)))
    return nullptr;
  linalg::LinalgOp inner;
  partial->walk([&](linalg::LinalgOp op) { inner = op; });
  return inner;
}

/// Rounds `size` up to a multiple of `multiple`.
int64_t alignTo(int64_t size, int64_t multiple) {
  return (size + multiple - 1) / multiple * multiple;
}

/// Replaces the masks the vectorizer put on tiles narrower than their
/// vectors: masked transfers become transfers that may run out of bounds
/// (reads pad with zeros, writes drop the extra lanes), and masked
/// arithmetic runs on every lane. That is exact because only parallel
/// dimensions are ever masked here (the k step is 1): a padded lane of A or
/// B only reaches a lane of C that is never stored. Masked contractions do
/// not lower to outer products; unmasked ones do, and LLVM turns the
/// out-of-bounds transfers into masked loads and stores.
void dropMasks(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<vector::MaskOp> masks;
  func.walk([&](vector::MaskOp mask) { masks.push_back(mask); });
  for (vector::MaskOp mask : masks) {
    Operation *inner = mask.getMaskableOp();
    if (!inner)
      continue;
    rewriter.setInsertionPoint(mask);
    Operation *unmasked = rewriter.clone(*inner);
    if (auto transfer = dyn_cast<VectorTransferOpInterface>(unmasked)) {
      SmallVector<bool> inBounds(transfer.getTransferRank(), false);
      unmasked->setAttr(transfer.getInBoundsAttrName(),
                        rewriter.getBoolArrayAttr(inBounds));
    }
    rewriter.replaceOp(mask, unmasked->getResults());
  }
}

/// Whether `op` is a 2-D f32 transpose on tensors with static sizes: the
/// materialized transposed weights of backward matmuls.
bool isStaticTranspose(linalg::TransposeOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getInit().getType());
  return op.hasPureTensorSemantics() && type && type.getRank() == 2 &&
         type.hasStaticShape() && type.getElementType().isF32();
}

struct CPUTileContractionsPass
    : neurona::impl::CPUTileContractionsBase<CPUTileContractionsPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// Tiles one contraction; records the tiles to vectorize in `toVectorize`
  /// with their vector sizes (per loop).
  void tileContraction(RewriterBase &rewriter, linalg::LinalgOp op,
                       ContractionLoops loops);

  /// Tiles a block of fewer than `registerTileM` rows into one-row tiles.
  void tileRows(RewriterBase &rewriter, linalg::LinalgOp op,
                const ContractionLoops &loops);

  /// Tiles along n and k, peeling the last partial column tile; tiles are
  /// vectorized to `rows` x `cols` x 1, the last one to its static width.
  void tileColumns(RewriterBase &rewriter, linalg::LinalgOp op,
                   const ContractionLoops &loops, int64_t rows, int64_t cols);

  /// Tiles a transpose into square `vectorWidth` tiles (one register
  /// transpose each), peeling partial tiles.
  void tileTranspose(RewriterBase &rewriter, linalg::TransposeOp op);

  SmallVector<std::pair<linalg::LinalgOp, SmallVector<int64_t>>> toVectorize;
};

void CPUTileContractionsPass::tileTranspose(RewriterBase &rewriter,
                                            linalg::TransposeOp op) {
  auto tileable = dyn_cast<TilingInterface>(op.getOperation());
  if (!tileable)
    return;
  scf::SCFTilingOptions options;
  SmallVector<int64_t> sizes = {vectorWidth, vectorWidth};
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, tileable, options);
  if (failed(result))
    return;
  rewriter.replaceOp(op, result->replacements);
  // Peel the inner loop, then the outer one (which clones the inner pair):
  // every combination of full and partial tiles gets its own copy.
  SmallVector<Operation *> roots;
  for (LoopLikeOpInterface loop : llvm::reverse(result->loops)) {
    scf::ForOp partial;
    if (succeeded(scf::peelForLoopAndSimplifyBounds(
            rewriter, cast<scf::ForOp>(loop.getOperation()), partial)))
      roots.push_back(partial);
  }
  roots.push_back(result->loops.front());
  for (Operation *root : roots)
    if (root->getParentOp() == result->loops.front()->getParentOp())
      root->walk([&](linalg::TransposeOp tiled) {
        toVectorize.push_back({cast<linalg::LinalgOp>(tiled.getOperation()),
                               SmallVector<int64_t>(sizes)});
      });
}

void CPUTileContractionsPass::tileColumns(RewriterBase &rewriter,
                                          linalg::LinalgOp op,
                                          const ContractionLoops &loops,
                                          int64_t rows, int64_t cols) {
  // A static N leaves a static last tile. It is vectorized as wide as whole
  // registers (LLVM splits a vector<10xf32> into scalars); its extra lanes
  // read zeros and are never stored, see `dropMasks`.
  int64_t n = op.getStaticLoopRanges()[loops.n];
  if (ShapedType::isDynamic(n))
    return;
  cols = std::min(cols, n);
  FailureOr<Tiled> tiled =
      tile(rewriter, op, loops, perLoop(loops, 0, cols, 1));
  if (failed(tiled))
    return;
  toVectorize.push_back(
      {tiled->op, perLoop(loops, rows, alignTo(cols, vectorWidth), 1)});
  if (n % cols == 0)
    return;
  if (linalg::LinalgOp partial = peelLastTile(rewriter, tiled->loops[0]))
    toVectorize.push_back(
        {partial, perLoop(loops, rows, alignTo(n % cols, vectorWidth), 1)});
}

void CPUTileContractionsPass::tileRows(RewriterBase &rewriter,
                                       linalg::LinalgOp op,
                                       const ContractionLoops &loops) {
  FailureOr<Tiled> rows = tile(rewriter, op, loops, perLoop(loops, 1, 0, 0));
  if (failed(rows))
    return;
  tileColumns(rewriter, rows->op, loops, 1, remainderTileN);
}

void CPUTileContractionsPass::tileContraction(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              ContractionLoops loops) {
  SmallVector<int64_t> shape = op.getStaticLoopRanges();
  int64_t m = shape[loops.m], n = shape[loops.n], k = shape[loops.k];
  // Only a static N gives static column tiles; a dynamic one (rare: a
  // product with a transposed batch-sized operand) lowers to loops.
  if (ShapedType::isDynamic(n))
    return;

  // Cache tiles when the B panel (K x N) does not stay in L2. A column tile
  // must divide N so that register tiles inside it stay static; the depth
  // and row tiles may leave a partial last tile.
  if (ShapedType::isDynamic(k) || n * k * 4 > cacheBytes) {
    int64_t tn = n > cacheTileN && n % cacheTileN == 0 ? cacheTileN : 0;
    int64_t tk = !ShapedType::isDynamic(k) && k <= cacheTileK ? 0 : cacheTileK;
    if (tn || tk) {
      FailureOr<Tiled> cache =
          tile(rewriter, op, loops, perLoop(loops, cacheTileM, tn, tk));
      if (failed(cache))
        return;
      op = cache->op;
    }
  }

  // Fewer rows than a register tile: one row at a time.
  if (!ShapedType::isDynamic(m) && m < registerTileM) {
    tileRows(rewriter, op, loops);
    return;
  }
  FailureOr<Tiled> blocks =
      tile(rewriter, op, loops, perLoop(loops, registerTileM, 0, 0));
  if (failed(blocks))
    return;
  linalg::LinalgOp leftover = peelLastTile(rewriter, blocks->loops.front());
  tileColumns(rewriter, blocks->op, loops, registerTileM, registerTileN);
  if (leftover)
    tileRows(rewriter, leftover, loops);
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

void CPUTileContractionsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  MLIRContext *ctx = &getContext();
  IRRewriter rewriter(ctx);

  SmallVector<std::pair<linalg::LinalgOp, ContractionLoops>> contractions;
  func.walk([&](linalg::LinalgOp op) {
    if (std::optional<ContractionLoops> loops = matchContraction(op))
      contractions.push_back({op, *loops});
  });
  SmallVector<linalg::TransposeOp> transposes;
  func.walk([&](linalg::TransposeOp op) {
    if (isStaticTranspose(op))
      transposes.push_back(op);
  });
  if (contractions.empty() && transposes.empty())
    return;

  toVectorize.clear();
  for (auto &[op, loops] : contractions)
    tileContraction(rewriter, op, loops);
  for (linalg::TransposeOp op : transposes)
    tileTranspose(rewriter, op);

  // Vectorize at the planned sizes. Until canonicalization folds the
  // peeled bounds, full tiles still have dynamic types and get masks that
  // are all true; those of narrow tiles are dropped below. A tile that does
  // not vectorize stays a (small) linalg op and lowers to loops.
  for (auto &[op, vectorSizes] : toVectorize) {
    rewriter.setInsertionPoint(op);
    // The vectorizer indexes the scalable flags per dimension.
    SmallVector<bool> scalable(vectorSizes.size(), false);
    FailureOr<linalg::VectorizationResult> vectorized =
        linalg::vectorize(rewriter, op, vectorSizes, scalable);
    if (succeeded(vectorized))
      rewriter.replaceOp(op, vectorized->replacements);
  }

  dropMasks(rewriter, func);

  // multiply + multi_reduction -> vector.contract; simple transfer maps.
  {
    RewritePatternSet patterns(ctx);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
  if (failed(canonicalize(func)))
    return signalPassFailure();
  DominanceInfo dominance(func);
  eliminateCommonSubExpressions(rewriter, dominance, func);

  // Keep each accumulator tile in registers across its k loop: the loop that
  // directly holds a contraction carries the tile as a vector.
  SmallVector<scf::ForOp> kLoops;
  func.walk([&](scf::ForOp loop) {
    for (Operation &inner : *loop.getBody())
      if (isa<vector::ContractionOp, vector::MaskOp>(inner)) {
        kLoops.push_back(loop);
        return;
      }
  });
  for (scf::ForOp loop : kLoops)
    hoistLoopInvariantSubsets(rewriter, loop);
  if (failed(canonicalize(func)))
    return signalPassFailure();
}

} // namespace
