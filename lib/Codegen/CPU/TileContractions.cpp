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
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
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

/// Matches f32 contractions whose outermost loop is parallel and whose
/// other loops form an m, an n and a k run of consecutive loops that every
/// operand stores contiguously: a batched product, or one whose outermost
/// loop only A or only B reads, as the images of a convolution
/// Out[n, oc, oh, ow] += W[oc, c, kh, kw] * Col[n, c, kh, kw, oh, ow], a
/// product of [OC, C*KH*KW] and [C*KH*KW, OH*OW] per image. Returns the
/// loops grouped as they collapse: the outer loop, then the runs in loop
/// order.
std::optional<SmallVector<ReassociationIndices>>
matchOuterLoopContraction(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() < 4 ||
      !getElementTypeOrSelf(op.getDpsInits()[0].getType()).isF32() ||
      !isa<linalg::GenericOp>(op.getOperation()) ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->batch.size() > 1)
    return std::nullopt;
  SmallVector<ReassociationIndices> runs;
  for (const SmallVector<unsigned, 2> *loops :
       {&dims->batch, &dims->m, &dims->n, &dims->k}) {
    ReassociationIndices run;
    for (unsigned loop : *loops)
      if (loop != 0)
        run.push_back(loop);
    if (run.empty()) {
      if (loops != &dims->batch)
        return std::nullopt;
      continue;
    }
    llvm::sort(run);
    if (run.back() - run.front() + 1 != static_cast<int64_t>(run.size()))
      return std::nullopt;
    runs.push_back(run);
  }
  // The outer loop, then the others; a batch loop other than the outer one
  // is not a 2-D product per iteration.
  if (runs.size() != 3 ||
      !linalg::isParallelIterator(op.getIteratorTypesArray()[0]))
    return std::nullopt;
  llvm::sort(runs,
             [](const ReassociationIndices &a, const ReassociationIndices &b) {
               return a.front() < b.front();
             });
  SmallVector<ReassociationIndices> groups = {{0}};
  for (ReassociationIndices &run : runs) {
    if (run.front() != groups.back().back() + 1)
      return std::nullopt;
    groups.push_back(run);
  }
  if (!linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), groups))
    return std::nullopt;
  return groups;
}

/// Whether both operands are read along k contiguously: A row-major and B
/// stored N x K, as ONNX Gemm with transB = 1 and PyTorch's Linear keep
/// their weights.
bool readsRhsTransposed(linalg::LinalgOp op, const ContractionLoops &loops) {
  MLIRContext *ctx = op->getContext();
  AffineExpr m = getAffineDimExpr(loops.m, ctx);
  AffineExpr n = getAffineDimExpr(loops.n, ctx);
  AffineExpr k = getAffineDimExpr(loops.k, ctx);
  AffineMap a = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap b = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  return a.getResults() == ArrayRef<AffineExpr>{m, k} &&
         b.getResults() == ArrayRef<AffineExpr>{n, k};
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

/// Tiles `op` with `options` and replaces it with the tiled loops.
FailureOr<scf::SCFTilingResult>
tileAndReplace(RewriterBase &rewriter, Operation *op,
               const scf::SCFTilingOptions &options) {
  auto tileable = dyn_cast<TilingInterface>(op);
  if (!tileable)
    return failure();
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, tileable, options);
  if (failed(result))
    return failure();
  rewriter.replaceOp(op, result->replacements);
  return result;
}

/// Tiles `op` by `sizes` (per loop) with the tile loops generated m, n, k
/// from the outside in, or n, k, m with `rowsInnermost`, and replaces it.
FailureOr<Tiled> tile(RewriterBase &rewriter, linalg::LinalgOp op,
                      const ContractionLoops &loops, ArrayRef<int64_t> sizes,
                      bool rowsInnermost = false) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  if (rowsInnermost)
    options.setInterchange({loops.n, loops.k, loops.m});
  else
    options.setInterchange({loops.m, loops.n, loops.k});
  FailureOr<scf::SCFTilingResult> result =
      tileAndReplace(rewriter, op, options);
  if (failed(result))
    return failure();
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

/// Copies the static K x N tensor `rhs` into N / `width` contiguous strips
/// of K x `width` (tensor<N/width x K x width>), one vector per row of a
/// strip, before `before`. A register tile `width` columns wide then reads
/// its B operand from consecutive cache lines: rows of B stored N floats
/// apart map a power-of-two N onto a few cache sets (at N = 1024 every row
/// of a strip falls in the same L1 set and 16 of L2's, and a k step touches
/// a new 4 KiB page).
Value packStrips(RewriterBase &rewriter, Operation *before, Value rhs,
                 int64_t width) {
  Location loc = before->getLoc();
  auto type = cast<RankedTensorType>(rhs.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  Type f32 = type.getElementType();
  rewriter.setInsertionPoint(before);
  Value init = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{n / width, k, width}, f32);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value strips = arith::ConstantIndexOp::create(rewriter, loc, n / width);
  Value depth = arith::ConstantIndexOp::create(rewriter, loc, k);
  Value lanes = arith::ConstantIndexOp::create(rewriter, loc, width);
  Value pad =
      arith::ConstantOp::create(rewriter, loc, f32, rewriter.getZeroAttr(f32));
  auto vectorType = VectorType::get({width}, f32);
  auto outer = scf::ForOp::create(
      rewriter, loc, zero, strips, one, ValueRange{init},
      [&](OpBuilder &b, Location l, Value strip, ValueRange stripArgs) {
        Value column = arith::MulIOp::create(b, l, strip, lanes);
        auto inner = scf::ForOp::create(
            b, l, zero, depth, one, stripArgs,
            [&](OpBuilder &b2, Location l2, Value row, ValueRange rowArgs) {
              Value v = vector::TransferReadOp::create(
                  b2, l2, vectorType, rhs, ValueRange{row, column}, pad,
                  ArrayRef<bool>{true});
              Value packed =
                  vector::TransferWriteOp::create(b2, l2, v, rowArgs[0],
                                                  ValueRange{strip, row, zero},
                                                  ArrayRef<bool>{true})
                      .getResult();
              scf::YieldOp::create(b2, l2, packed);
            });
        scf::YieldOp::create(b, l, inner.getResult(0));
      });
  return outer.getResult(0);
}

/// Points the B operand of `tile`, a slice (through any chain of unit-stride
/// `tensor.extract_slice`s) of `rhs` at most `width` columns wide within one
/// strip, at the same elements of `packed` (see `packStrips`).
LogicalResult readPackedStrip(RewriterBase &rewriter, linalg::LinalgOp tile,
                              Value rhs, Value packed, int64_t width) {
  OpOperand *operand = tile.getDpsInputOperand(1);
  auto tileType = cast<RankedTensorType>(operand->get().getType());
  if (!tileType.hasStaticShape() || tileType.getDimSize(1) > width)
    return failure();
  MLIRContext *ctx = tile->getContext();
  Location loc = tile.getLoc();
  rewriter.setInsertionPoint(tile);
  AffineExpr d0, d1;
  bindDims(ctx, d0, d1);
  OpFoldResult row = rewriter.getIndexAttr(0), column = row;
  for (Value v = operand->get(); v != rhs;) {
    auto slice = v.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || slice.getSourceType().getRank() != 2 ||
        !slice.hasUnitStride())
      return failure();
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
    row = affine::makeComposedFoldedAffineApply(rewriter, loc, d0 + d1,
                                                {row, offsets[0]});
    column = affine::makeComposedFoldedAffineApply(rewriter, loc, d0 + d1,
                                                   {column, offsets[1]});
    v = slice.getSource();
  }
  // The tile starts at a strip boundary: columns are tiled by `width`.
  OpFoldResult strip = affine::makeComposedFoldedAffineApply(
      rewriter, loc, d0.floorDiv(width), {column});
  SmallVector<OpFoldResult> offsets = {strip, row, rewriter.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {
      rewriter.getIndexAttr(1), rewriter.getIndexAttr(tileType.getDimSize(0)),
      rewriter.getIndexAttr(tileType.getDimSize(1))};
  SmallVector<OpFoldResult> strides(3, rewriter.getIndexAttr(1));
  Value slice = tensor::ExtractSliceOp::create(rewriter, loc, tileType, packed,
                                               offsets, sizes, strides);
  rewriter.modifyOpInPlace(tile, [&] { operand->set(slice); });
  return success();
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

  /// Tiles the rows into blocks of `rows` (vectorized `rows` x `cols`),
  /// peeling the last partial block, whose rows then run one at a time
  /// `leftoverCols` wide, as do all rows when there are fewer than `rows`.
  /// With static rows, the leftover rows (2 or more) are split off first
  /// and form one block `cols` wide.
  void tileRowBlocks(RewriterBase &rewriter, linalg::LinalgOp op,
                     const ContractionLoops &loops, int64_t rows, int64_t cols,
                     int64_t leftoverCols, int64_t kStep = 1);

  /// Tiles a block of fewer than `registerTileM` rows into one-row tiles.
  void tileRows(RewriterBase &rewriter, linalg::LinalgOp op,
                const ContractionLoops &loops, int64_t cols, int64_t kStep = 1);

  /// Tiles along n and k (by `kStep`), peeling the last partial column
  /// tile; tiles are vectorized to `rows` x `cols` x `kStep`, the last one
  /// to its static width.
  void tileColumns(RewriterBase &rewriter, linalg::LinalgOp op,
                   const ContractionLoops &loops, int64_t rows, int64_t cols,
                   int64_t kStep = 1);

  /// Tiles a contraction whose B is stored N x K into dot-product kernels:
  /// tiles of a few rows by 4 columns stepping one vector of k at a time
  /// (see `splitLanes`).
  void tileDotProducts(RewriterBase &rewriter, linalg::LinalgOp op,
                       const ContractionLoops &loops);

  /// Rewrites a contraction whose B is stored N x K to read a transposed
  /// copy (a `linalg.transpose`, tiled as well), for the outer-product
  /// kernels.
  linalg::LinalgOp transposeRhs(RewriterBase &rewriter, linalg::GenericOp op,
                                const ContractionLoops &loops);

  /// Splits the rows into an scf.forall of `parallelRows`-row chunks (a
  /// thread each) and returns the contraction inside, or `op` unchanged
  /// when the rows are too few to share.
  linalg::LinalgOp splitAmongThreads(RewriterBase &rewriter,
                                     linalg::LinalgOp op,
                                     const ContractionLoops &loops);

  /// Runs the contraction `op` (loops grouped as `groups`: the outer loop,
  /// then m, n and k in some order) one outer iteration at a time, in an
  /// scf.forall of one element per iteration with threads, else an scf.for,
  /// with the all-parallel producers of its operands that nothing else reads (a
  /// convolution's patches) computed inside the loop for that element only.
  /// Returns the 2-D contraction inside, over the collapsed m, n and k, or null
  /// when the loop cannot be formed (the op is then left as it is).
  linalg::LinalgOp unbatch(RewriterBase &rewriter, linalg::LinalgOp op,
                           ArrayRef<ReassociationIndices> groups);

  /// Tiles a transpose into square `vectorWidth` tiles (one register
  /// transpose each), peeling partial tiles.
  void tileTranspose(RewriterBase &rewriter, linalg::TransposeOp op);

  SmallVector<std::pair<linalg::LinalgOp, SmallVector<int64_t>>> toVectorize;
};

void CPUTileContractionsPass::tileTranspose(RewriterBase &rewriter,
                                            linalg::TransposeOp op) {
  scf::SCFTilingOptions options;
  SmallVector<int64_t> sizes = {vectorWidth, vectorWidth};
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  FailureOr<scf::SCFTilingResult> result =
      tileAndReplace(rewriter, op, options);
  if (failed(result))
    return;
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
                                          int64_t rows, int64_t cols,
                                          int64_t kStep) {
  // A static N leaves a static last tile. With k in single steps the lanes
  // run along n, and the last tile is vectorized as wide as whole registers
  // (LLVM splits a vector<10xf32> into scalars); its extra lanes read zeros
  // and are never stored, see `dropMasks`. With k in vector steps (the dot
  // form) every n size is exact.
  int64_t n = op.getStaticLoopRanges()[loops.n];
  if (ShapedType::isDynamic(n))
    return;
  cols = std::min(cols, n);
  auto lanes = [&](int64_t width) {
    return kStep == 1 ? alignTo(width, vectorWidth) : width;
  };
  FailureOr<Tiled> tiled =
      tile(rewriter, op, loops, perLoop(loops, 0, cols, kStep));
  if (failed(tiled))
    return;
  toVectorize.push_back({tiled->op, perLoop(loops, rows, lanes(cols), kStep)});
  if (n % cols == 0)
    return;
  if (linalg::LinalgOp partial = peelLastTile(rewriter, tiled->loops[0]))
    toVectorize.push_back(
        {partial, perLoop(loops, rows, lanes(n % cols), kStep)});
}

void CPUTileContractionsPass::tileRows(RewriterBase &rewriter,
                                       linalg::LinalgOp op,
                                       const ContractionLoops &loops,
                                       int64_t cols, int64_t kStep) {
  FailureOr<Tiled> rows = tile(rewriter, op, loops, perLoop(loops, 1, 0, 0));
  if (failed(rows))
    return;
  tileColumns(rewriter, rows->op, loops, 1, cols, kStep);
}

void CPUTileContractionsPass::tileDotProducts(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              const ContractionLoops &loops) {
  // Per step: `rows` vectors of A, 4 of B, rows x 4 FMAs into as many
  // accumulators. 2 x 4 leaves AVX2's 16 registers room for LLVM's 2x
  // unrolling of the k loop (3 x 4 spilled: 0.27 ms against 0.17 ms for a
  // 64x784x128 product here); AVX-512's 32 take 4 x 4.
  int64_t rows = vectorWidth >= 16 ? 4 : 2;
  tileRowBlocks(rewriter, op, loops, rows, /*cols=*/4, /*leftoverCols=*/4,
                vectorWidth);
}

void CPUTileContractionsPass::tileRowBlocks(
    RewriterBase &rewriter, linalg::LinalgOp op, const ContractionLoops &loops,
    int64_t rows, int64_t cols, int64_t leftoverCols, int64_t kStep) {
  int64_t m = op.getStaticLoopRanges()[loops.m];
  // A static count of leftover rows (64 rows leave 4 below 6) is one block
  // of that many rows, `cols` wide: per k step a broadcast per row and the
  // loads of B once for all of them, where rows one at a time load B for
  // every FMA.
  if (!ShapedType::isDynamic(m) && m < rows) {
    if (kStep == 1 && m > 1)
      tileColumns(rewriter, op, loops, m, cols, kStep);
    else
      tileRows(rewriter, op, loops, leftoverCols, kStep);
    return;
  }
  if (!ShapedType::isDynamic(m) && m % rows > 1 && kStep == 1) {
    rewriter.setInsertionPoint(op);
    auto [full, rest] =
        linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()),
                        loops.m, rewriter.getIndexAttr(m - m % rows));
    if (full && rest) {
      tileRowBlocks(rewriter, cast<linalg::LinalgOp>(full.getOperation()),
                    loops, rows, cols, leftoverCols, kStep);
      tileColumns(rewriter, cast<linalg::LinalgOp>(rest.getOperation()), loops,
                  m % rows, cols, kStep);
      return;
    }
  }
  FailureOr<Tiled> blocks =
      tile(rewriter, op, loops, perLoop(loops, rows, 0, 0));
  if (failed(blocks))
    return;
  linalg::LinalgOp leftover = peelLastTile(rewriter, blocks->loops.front());
  tileColumns(rewriter, blocks->op, loops, rows, cols, kStep);
  if (leftover)
    tileRows(rewriter, leftover, loops, leftoverCols, kStep);
}

linalg::LinalgOp
CPUTileContractionsPass::transposeRhs(RewriterBase &rewriter,
                                      linalg::GenericOp op,
                                      const ContractionLoops &loops) {
  Location loc = op.getLoc();
  OpOperand *rhs = op.getDpsInputOperand(1);
  auto type = cast<RankedTensorType>(rhs->get().getType());
  rewriter.setInsertionPoint(op);
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(rewriter, loc, rhs->get());
  Value init = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{sizes[1], sizes[0]},
      type.getElementType());
  auto transpose = linalg::TransposeOp::create(rewriter, loc, rhs->get(), init,
                                               ArrayRef<int64_t>{1, 0});
  MLIRContext *ctx = op->getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[1] = AffineMap::get(
      op.getNumLoops(), 0,
      {getAffineDimExpr(loops.k, ctx), getAffineDimExpr(loops.n, ctx)}, ctx);
  rewriter.modifyOpInPlace(op, [&] {
    rhs->set(transpose.getResult()[0]);
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
  if (isStaticTranspose(transpose))
    tileTranspose(rewriter, transpose);
  return op;
}

linalg::LinalgOp
CPUTileContractionsPass::splitAmongThreads(RewriterBase &rewriter,
                                           linalg::LinalgOp op,
                                           const ContractionLoops &loops) {
  int64_t m = op.getStaticLoopRanges()[loops.m];
  if (!parallelRows || (!ShapedType::isDynamic(m) && m <= parallelRows) ||
      op->getParentOfType<scf::ForallOp>())
    return op;
  // Large row counts take about a cache tile per thread, so that each
  // thread's B panel is reused as long as without threads; chunks are whole
  // register tiles, which leaves no rows to the slower one-row kernels.
  int64_t rows =
      !ShapedType::isDynamic(m) && m >= 4 * cacheTileM
          ? std::max(cacheTileM / registerTileM, int64_t(1)) * registerTileM
          : parallelRows;
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(
      getAsIndexOpFoldResult(op->getContext(), perLoop(loops, rows, 0, 0)));
  FailureOr<scf::SCFTilingResult> result =
      tileAndReplace(rewriter, op, options);
  if (failed(result))
    return op;
  return cast<linalg::LinalgOp>(result->tiledOps.back());
}

/// Replaces `op`, a contraction C[m, n] = A[m, k] * B whose m is dynamic,
/// by `scf.if (rows < limit)` with a copy of it in each branch; returns
/// the copies for fewer and for more rows.
std::pair<linalg::LinalgOp, linalg::LinalgOp>
splitByRowCount(RewriterBase &rewriter, linalg::LinalgOp op, int64_t limit) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value rows =
      tensor::DimOp::create(rewriter, loc, op.getDpsInputOperand(0)->get(), 0);
  Value few = arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::ult, rows,
      arith::ConstantIndexOp::create(rewriter, loc, limit));
  Operation *copies[2] = {};
  auto branch = [&](int index) {
    return [&, index](OpBuilder &b, Location l) {
      copies[index] = b.clone(*op.getOperation());
      scf::YieldOp::create(b, l, copies[index]->getResults());
    };
  };
  auto ifOp = scf::IfOp::create(rewriter, loc, few, branch(0), branch(1));
  rewriter.replaceOp(op, ifOp.getResults());
  return {cast<linalg::LinalgOp>(copies[0]), cast<linalg::LinalgOp>(copies[1])};
}

linalg::LinalgOp
CPUTileContractionsPass::unbatch(RewriterBase &rewriter, linalg::LinalgOp op,
                                 ArrayRef<ReassociationIndices> groups) {
  // One outer iteration at a time; fused producers compute only its part.
  bool nested = op->getParentOfType<scf::ForallOp>() != nullptr;
  SmallVector<int64_t> sizes(op.getNumLoops(), 0);
  sizes[0] = 1;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  if (parallelRows && !nested)
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  // Fused only where nothing else reads the producer: the consumer being
  // tiled still exists (replaced below), so its use and the slice are the
  // producer's uses, besides the sizes of the loop (which fold to those of
  // the producer's init).
  Operation *consumer = op.getOperation();
  options.setFusionControlFn(
      [consumer](tensor::ExtractSliceOp slice, OpResult producer, bool)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        auto linalgOp = dyn_cast<linalg::LinalgOp>(producer.getOwner());
        if (!linalgOp || linalgOp.getNumReductionLoops() != 0 ||
            !llvm::all_of(producer.getUsers(), [&](Operation *user) {
              return user == consumer || user == slice.getOperation() ||
                     isa<tensor::DimOp>(user);
            }))
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result))
    return linalg::LinalgOp();
  for (OpResult value : op->getResults())
    if (Value replacement = result->replacements.lookup(value))
      rewriter.replaceAllUsesWith(value, replacement);
  auto tiled = cast<linalg::LinalgOp>(result->tiledAndFusedOps.front());

  // [1, M..., N..., K...] -> [1, M, N, K] -> [M, N, K].
  rewriter.setInsertionPoint(tiled);
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(tiled, groups, rewriter);
  if (failed(collapsed))
    return tiled;
  rewriter.replaceOp(tiled, collapsed->results);
  auto generic =
      dyn_cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
  if (!generic)
    return collapsed->collapsedOp;
  linalg::ControlDropUnitDims control;
  control.rankReductionStrategy =
      linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
  control.controlFn = [](Operation *) { return SmallVector<unsigned>{0}; };
  rewriter.setInsertionPoint(generic);
  FailureOr<linalg::DropUnitDimsResult> dropped =
      linalg::dropUnitDims(rewriter, generic, control);
  if (failed(dropped))
    return generic;
  rewriter.replaceOp(generic, dropped->replacements);
  return cast<linalg::LinalgOp>(dropped->resultOp.getOperation());
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

  // B stored N x K: dot products along k when whole vectors of k fit, B
  // stays in cache and either the rows are few (no copy of B to amortize)
  // or k is deep enough to amortize each tile's horizontal sums (at K = 128
  // they cost as much as the FMAs); else a transposed copy of B for the
  // outer-product kernels.
  if (readsRhsTransposed(op, loops)) {
    bool wholeVectors = !ShapedType::isDynamic(k) && k % vectorWidth == 0;
    bool fewRows = !ShapedType::isDynamic(m) && m < registerTileM;
    bool deep = !ShapedType::isDynamic(k) && k >= 32 * vectorWidth;
    if (wholeVectors && n * k * 4 <= cacheBytes && (fewRows || deep)) {
      // Past `dotProductRows` rows the transposed copy pays for itself
      // (AVX-512, 64x784x128: 0.107 ms against 0.137); a dynamic row count
      // (the batch) takes the dot products below it at run time.
      bool manyRows = dotProductRows && !fewRows &&
                      (ShapedType::isDynamic(m) || m >= dotProductRows);
      if (!manyRows) {
        tileDotProducts(rewriter, splitAmongThreads(rewriter, op, loops),
                        loops);
        return;
      }
      if (ShapedType::isDynamic(m)) {
        auto [few, many] = splitByRowCount(rewriter, op, dotProductRows);
        tileDotProducts(rewriter, splitAmongThreads(rewriter, few, loops),
                        loops);
        op = many;
      }
    }
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic)
      return;
    op = transposeRhs(rewriter, generic, loops);
  }

  // B packed into strips one register tile wide, once per call and before
  // the thread chunks (which share it), when it is large and the rows are
  // enough to amortize the copy (about as many operations as 4 rows of the
  // product).
  Value rhs = op.getDpsInputOperand(1)->get(), packed;
  if (packBytes && !ShapedType::isDynamic(k) && n % registerTileN == 0 &&
      n * k * 4 > packBytes && !ShapedType::isDynamic(m) && m >= packMinRows)
    packed = packStrips(rewriter, op, rhs, registerTileN);
  op = splitAmongThreads(rewriter, op, loops);
  size_t firstTile = toVectorize.size();

  if (packed) {
    // Blocks of K x N packed B (cacheTileK x cacheTileN, half of L2) stay
    // in L2 while every row block passes over them; row blocks are whole
    // register tiles, and a register tile's strip (cacheTileK x one tile,
    // 16 KiB with AVX2) stays in L1 across the row block.
    int64_t rows =
        !ShapedType::isDynamic(m) && m <= 4 * cacheTileM
            ? 0
            : std::max(cacheTileM / registerTileM, int64_t(1)) * registerTileM;
    int64_t tn = n > cacheTileN && n % cacheTileN == 0 ? cacheTileN : 0;
    int64_t tk = k <= cacheTileK ? 0 : cacheTileK;
    if (rows || tn || tk) {
      FailureOr<Tiled> cache =
          tile(rewriter, op, loops, perLoop(loops, rows, tn, tk),
               /*rowsInnermost=*/true);
      if (failed(cache))
        return;
      op = cache->op;
    }
    // Leftover rows read the packed strips as well: one tile wide.
    tileRowBlocks(rewriter, op, loops, registerTileM, registerTileN,
                  registerTileN);
    for (size_t i = firstTile; i < toVectorize.size(); ++i)
      if (failed(readPackedStrip(rewriter, toVectorize[i].first, rhs, packed,
                                 registerTileN)))
        return signalPassFailure();
    return;
  }

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

  tileRowBlocks(rewriter, op, loops, registerTileM, registerTileN,
                remainderTileN);
}

/// The k loop of a dot-product tile carries the C tile (vector<r x c>) and
/// contracts r rows of A with c rows of B^T over the l lanes of one vector
/// of k every step, which would be a horizontal sum per element and step.
/// Carry l partial sums per element instead (vector<r x c x l>: one FMA per
/// row and column each step) and add the lanes once, after the loop. The
/// order of the sums is fixed by the tile, not by the data or the threads.
LogicalResult splitLanes(RewriterBase &rewriter, scf::ForOp loop,
                         vector::ContractionOp contract) {
  auto acc = dyn_cast<BlockArgument>(contract.getAcc());
  if (!acc || acc.getOwner() != loop.getBody() || !acc.hasOneUse())
    return failure();
  auto accType = dyn_cast<VectorType>(acc.getType());
  auto lhsType = contract.getLhsType(), rhsType = contract.getRhsType();
  MLIRContext *ctx = loop.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> expected = {AffineMap::get(3, 0, {d0, d2}, ctx),
                                     AffineMap::get(3, 0, {d1, d2}, ctx),
                                     AffineMap::get(3, 0, {d0, d1}, ctx)};
  if (!accType || accType.getRank() != 2 || lhsType.getRank() != 2 ||
      rhsType.getRank() != 2 || contract.getIndexingMapsArray() != expected ||
      contract.getKind() != vector::CombiningKind::ADD)
    return failure();
  unsigned position = acc.getArgNumber() - loop.getNumInductionVars();
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  if (yield.getOperand(position) != contract.getResult())
    return failure();

  int64_t rows = accType.getDimSize(0), cols = accType.getDimSize(1),
          lanes = lhsType.getDimSize(1);
  auto wideType =
      VectorType::get({rows, cols, lanes}, accType.getElementType());
  Location loc = contract.getLoc();
  rewriter.setInsertionPoint(loop);
  Value zeros = arith::ConstantOp::create(rewriter, loc, wideType,
                                          rewriter.getZeroAttr(wideType));
  auto widened = cast<scf::ForOp>(
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, zeros, /*replaceInitOperandUsesInLoop=*/false,
              [&](OpBuilder &b, Location l,
                  ArrayRef<BlockArgument> newArgs) -> SmallVector<Value> {
                b.setInsertionPoint(contract);
                Value wide = newArgs[0];
                for (int64_t i = 0; i < rows; ++i) {
                  Value a = vector::ExtractOp::create(b, l, contract.getLhs(),
                                                      ArrayRef<int64_t>{i});
                  for (int64_t j = 0; j < cols; ++j) {
                    Value bRow = vector::ExtractOp::create(
                        b, l, contract.getRhs(), ArrayRef<int64_t>{j});
                    Value partial = vector::ExtractOp::create(
                        b, l, wide, ArrayRef<int64_t>{i, j});
                    Value sum = vector::FMAOp::create(b, l, a, bRow, partial);
                    wide = vector::InsertOp::create(b, l, sum, wide,
                                                    ArrayRef<int64_t>{i, j});
                  }
                }
                return {wide};
              })
          ->getOperation());
  // The old accumulator now passes through unchanged: C's value on entry.
  rewriter.replaceOp(contract, contract.getAcc());
  rewriter.setInsertionPointAfter(widened);
  Value partials = widened.getResults().back();
  Value result = widened.getResult(position);
  auto total = vector::MultiDimReductionOp::create(
      rewriter, loc, partials, result, ArrayRef<bool>{false, false, true},
      vector::CombiningKind::ADD);
  rewriter.replaceAllUsesExcept(result, total.getResult(), total);
  return success();
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
  SmallVector<std::pair<linalg::LinalgOp, SmallVector<ReassociationIndices>>>
      batched;
  func.walk([&](linalg::LinalgOp op) {
    if (std::optional<ContractionLoops> loops = matchContraction(op))
      contractions.push_back({op, *loops});
    else if (auto groups = matchOuterLoopContraction(op))
      batched.push_back({op, std::move(*groups)});
  });
  for (auto &[op, groups] : batched)
    if (linalg::LinalgOp inner = unbatch(rewriter, op, groups))
      if (std::optional<ContractionLoops> loops = matchContraction(inner))
        contractions.push_back({inner, *loops});
  // The fused producers' inits become one iteration's (a slice of a
  // tensor.empty is a smaller tensor.empty), so that their buffers are one
  // image's rather than the batch's.
  if (!batched.empty()) {
    RewritePatternSet patterns(ctx);
    tensor::populateFoldTensorEmptyPatterns(patterns,
                                            /*foldSingleUseOnly=*/false);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
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

  // Dot-product tiles: partial sums per lane across k.
  SmallVector<std::pair<scf::ForOp, vector::ContractionOp>> dotLoops;
  func.walk([&](vector::ContractionOp contract) {
    if (contract.getLhsType().getRank() == 2 &&
        contract.getLhsType().getDimSize(1) > 1)
      if (auto loop = dyn_cast<scf::ForOp>(contract->getParentOp()))
        dotLoops.push_back({loop, contract});
  });
  for (auto &[loop, contract] : dotLoops)
    (void)splitLanes(rewriter, loop, contract);
  if (failed(canonicalize(func)))
    return signalPassFailure();
}

} // namespace
