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
// Reductions along the innermost dimension (softmax's row maximum and sum,
// the losses, means over the last axis) cannot keep the scalar order in
// vector code. Each row is reduced in 16 lanes instead: lane j combines
// the row's elements j, j + 16, j + 32, ... in order, the last partial
// vector padded with the combiner's identity, then the lanes are combined
// by a fixed halving tree (8, 4, 2, 1) and the tree's result with the
// init. The order is fixed by the code: the same for every vector width
// and thread count (whole rows are a thread's).
//
//===----------------------------------------------------------------------===//

#include "VectorMath.h"
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

/// The reduced loop of a row reduction's tile, between tiling and
/// vectorization.
constexpr StringLiteral kRowReduction = "neurona.row_reduction";

/// The lanes in which a row reduction accumulates: a constant rather than
/// the target's vector width, so that a row's sum is the same on every
/// machine. 16 f32 are one AVX-512 register or two AVX2 ones, so each step
/// is whole registers on both, and the two (AVX2) or one (AVX-512)
/// independent chains of additions hide part of the adder's latency; more
/// lanes would leave short rows (10 classes) mostly padding.
constexpr int64_t kReductionLanes = 16;

/// Whether `map` reads a window: every result a sum of loops with positive
/// constant factors and no constant term, as the image of im2col or of a
/// pool, (n, c, oh * stride + kh * dilation, ...), reads it.
bool isWindowMap(AffineMap map) {
  if (map.getNumSymbols())
    return false;
  for (AffineExpr result : map.getResults()) {
    if (isa<AffineDimExpr>(result))
      continue;
    bool linear = true;
    result.walk([&](AffineExpr e) {
      auto bin = dyn_cast<AffineBinaryOpExpr>(e);
      if (!bin)
        return;
      if (bin.getKind() == AffineExprKind::Mul) {
        auto factor = dyn_cast<AffineConstantExpr>(bin.getRHS());
        linear &=
            isa<AffineDimExpr>(bin.getLHS()) && factor && factor.getValue() > 0;
      } else if (bin.getKind() == AffineExprKind::Add) {
        linear &= !isa<AffineConstantExpr>(bin.getLHS()) &&
                  !isa<AffineConstantExpr>(bin.getRHS());
      } else {
        linear = false;
      }
    });
    if (!linear || isa<AffineConstantExpr>(result))
      return false;
  }
  return true;
}

/// The factor of `loop` in the window map result `expr`.
int64_t factorOf(AffineExpr expr, unsigned loop, unsigned numLoops) {
  MLIRContext *ctx = expr.getContext();
  SmallVector<AffineExpr> at(numLoops, getAffineConstantExpr(0, ctx));
  at[loop] = getAffineConstantExpr(1, ctx);
  return cast<AffineConstantExpr>(
             simplifyAffineExpr(expr.replaceDims(at), numLoops, 0))
      .getValue();
}

/// Whether `op` has the shape of loop the vectorizer handles: on tensors,
/// not a contraction (those are `neurona-cpu-tile-contractions`'), element
/// types that vectors store as tensors do, maps that are projected
/// permutations (or, with `windows`, inputs read through window maps), and
/// a body without gathers, regions or math functions that would become
/// libm calls per lane.
bool isVectorizableLoop(linalg::GenericOp op, bool windows = false) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      op.getNumDpsInits() == 0 || linalg::isaContractionOpInterface(op))
    return false;
  // A vector of i1 is stored as bits, but a tensor of i1 holds one byte per
  // element (the ABI's bool).
  for (OpOperand &operand : op->getOpOperands()) {
    Type element = getElementTypeOrSelf(operand.get().getType());
    if (!element.isIntOrIndexOrFloat() ||
        (!element.isIndex() && element.getIntOrFloatBitWidth() < 8))
      return false;
  }
  // Constant indices (a broadcast of a size-1 dimension) would collapse
  // into wrong maps.
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false) &&
        !(windows && op.isDpsInput(&operand) && isWindowMap(map)))
      return false;
  }
  // Gathers would read out of bounds in the padded lanes of the last tile,
  // and are no faster than the scalar loop.
  bool unsupported = false;
  op.getBody()->walk([&](Operation *inner) {
    if (isa<tensor::ExtractOp>(inner) || inner->getNumRegions() ||
        !neurona::isVectorizableMath(inner))
      unsupported = true;
  });
  return !unsupported;
}

/// The largest stride along the vector loop that a window read may have: a
/// run of a vector's lanes times this many elements is read whole and its
/// lanes picked by a shuffle (a 2 x 2 pool reads every other element).
constexpr int64_t kMaxWindowStride = 4;

/// Whether every operand of `op` either reads `loop` as its own innermost
/// dimension (contiguously) or does not read it. A window map reads it
/// when it appears in the last result only, with a factor of at most
/// kMaxWindowStride (a unit stride, or the stride of a pool or a strided
/// convolution).
bool readsContiguously(linalg::GenericOp op, unsigned loop) {
  for (AffineMap map : op.getIndexingMapsArray()) {
    // A window that does not move with the vector loop would be one
    // element per tile, which readWindowsAsRuns does not express.
    if (!map.isProjectedPermutation() && !map.isFunctionOfDim(loop))
      return false;
    if (!map.isFunctionOfDim(loop))
      continue;
    if (map.isProjectedPermutation()) {
      if (map.getResults().back() != getAffineDimExpr(loop, op.getContext()))
        return false;
      continue;
    }
    ArrayRef<AffineExpr> results = map.getResults();
    if (llvm::any_of(results.drop_back(),
                     [&](AffineExpr e) { return e.isFunctionOfDim(loop); }) ||
        factorOf(results.back(), loop, map.getNumDims()) > kMaxWindowStride)
      return false;
  }
  return true;
}

/// Whether `op` reads an input through a window map.
bool readsWindows(linalg::GenericOp op) {
  return llvm::any_of(op.getIndexingMapsArray(), [](AffineMap map) {
    return !map.isProjectedPermutation();
  });
}

/// Rewrites the window-map inputs of `tile`, whose loops other than `loop`
/// have one step each, to read the run their slice holds: a rank-1 slice
/// indexed by `loop` alone, strided by the loop's factor. Within the tile
/// every other loop is 0, so a window result that does not use `loop` is 0
/// and the last one is `loop` times its factor (see readsContiguously).
/// Fails, changing nothing, when a loop other than `loop` is not a single
/// step.
LogicalResult readWindowsAsRuns(RewriterBase &rewriter, linalg::GenericOp tile,
                                unsigned loop) {
  SmallVector<int64_t> shape = tile.getStaticLoopRanges();
  for (unsigned d = 0; d < shape.size(); ++d)
    if (d != loop && shape[d] != 1)
      return failure();
  MLIRContext *ctx = tile.getContext();
  SmallVector<AffineMap> maps = tile.getIndexingMapsArray();
  SmallVector<std::pair<unsigned, Value>> runs;
  rewriter.setInsertionPoint(tile);
  for (OpOperand *operand : tile.getDpsInputOperands()) {
    AffineMap map = tile.getMatchingIndexingMap(operand);
    if (map.isProjectedPermutation())
      continue;
    auto type = cast<RankedTensorType>(operand->get().getType());
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes(rank, rewriter.getIndexAttr(1));
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    int64_t stride = factorOf(map.getResults().back(), loop, map.getNumDims());
    strides.back() = rewriter.getIndexAttr(stride);
    // The loop's extent: that of the result dimension it indexes.
    OpOperand *init = tile.getDpsInitOperand(0);
    sizes.back() = tensor::getMixedSize(
        rewriter, tile.getLoc(), init->get(),
        tile.getMatchingIndexingMap(init).getNumResults() - 1);
    auto runType = RankedTensorType::get({tile.getStaticLoopRanges()[loop]},
                                         type.getElementType());
    Value run =
        tensor::ExtractSliceOp::create(rewriter, tile.getLoc(), runType,
                                       operand->get(), offsets, sizes, strides);
    runs.push_back({operand->getOperandNumber(), run});
    maps[operand->getOperandNumber()] =
        AffineMap::get(map.getNumDims(), 0, getAffineDimExpr(loop, ctx));
  }
  rewriter.modifyOpInPlace(tile, [&] {
    for (auto &[number, run] : runs)
      tile->setOperand(number, run);
    tile.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
  return success();
}

/// Replaces each vector read of a strided run (readWindowsAsRuns) by a read
/// of the contiguous elements the run spans, `lanes * stride` of them (past
/// the end of the source they read padding, in lanes that no store keeps),
/// and a shuffle that picks every `stride`-th lane: whole vector loads
/// instead of one scalar load per lane.
void readStridedRunsWhole(RewriterBase &rewriter, Operation *root) {
  SmallVector<vector::TransferReadOp> reads;
  root->walk([&](vector::TransferReadOp read) {
    auto run = read.getBase().getDefiningOp<tensor::ExtractSliceOp>();
    // A 1-D run read into one dimension of the vector, the others unit
    // broadcasts.
    if (run && run.getType().getRank() == 1 &&
        read.getPermutationMap().getNumDims() == 1 &&
        llvm::count_if(read.getVectorType().getShape(),
                       [](int64_t size) { return size != 1; }) <= 1) {
      std::optional<int64_t> stride =
          getConstantIntValue(run.getMixedStrides().back());
      if (stride && *stride > 1)
        reads.push_back(read);
    }
  });
  for (vector::TransferReadOp read : reads) {
    auto run = read.getBase().getDefiningOp<tensor::ExtractSliceOp>();
    int64_t stride = *getConstantIntValue(run.getMixedStrides().back());
    int64_t lanes = read.getVectorType().getNumElements();
    Location loc = read.getLoc();
    rewriter.setInsertionPoint(read);
    Value source = run.getSource();
    int64_t rank = cast<RankedTensorType>(source.getType()).getRank();
    SmallVector<Value> indices;
    for (OpFoldResult offset : run.getMixedOffsets())
      indices.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, offset));
    // The run's first lane reads read.getIndices()[0] * stride further on.
    AffineExpr d0, d1;
    bindDims(rewriter.getContext(), d0, d1);
    indices.back() =
        affine::makeComposedAffineApply(rewriter, loc, d0 + d1 * stride,
                                        {indices.back(), read.getIndices()[0]});
    auto wideType = VectorType::get({lanes * stride},
                                    read.getVectorType().getElementType());
    AffineMap lastDim = AffineMap::get(
        rank, 0, getAffineDimExpr(rank - 1, rewriter.getContext()));
    Value wide = vector::TransferReadOp::create(
        rewriter, loc, wideType, source, indices, AffineMapAttr::get(lastDim),
        read.getPadding(), /*mask=*/Value(),
        rewriter.getBoolArrayAttr({false}));
    SmallVector<int64_t> picked;
    for (int64_t lane = 0; lane < lanes; ++lane)
      picked.push_back(lane * stride);
    Value lanesRead =
        vector::ShuffleOp::create(rewriter, loc, wide, wide, picked);
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(read, read.getVectorType(),
                                                     lanesRead);
  }
}

/// The loop along which `op` is vectorized: the innermost dimension of its
/// first result, when that loop is parallel and every operand either reads
/// it as its own innermost dimension (contiguously) or not at all.
std::optional<unsigned> vectorLoop(linalg::GenericOp op) {
  if (!isVectorizableLoop(op, /*windows=*/true))
    return std::nullopt;
  AffineMap init = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (init.getNumResults() == 0)
    return std::nullopt;
  unsigned loop = cast<AffineDimExpr>(init.getResults().back()).getPosition();
  if (!linalg::isParallelIterator(op.getIteratorTypesArray()[loop]) ||
      !readsContiguously(op, loop))
    return std::nullopt;
  return loop;
}

/// The op of a row reduction's body that combines the accumulator of one
/// result with that element's term.
struct Combiner {
  Operation *op;
  /// The operand that is the accumulator (the result's block argument).
  unsigned accumulator;
};

/// The identity of a combiner: -0 for a sum (x + -0 is x for every x,
/// +0 included), -inf for a maximum, +inf for a minimum. Both maxima
/// propagate NaN, as arith.maximumf and arith.minimumf do.
TypedAttr combinerIdentity(Operation *combiner) {
  auto type = cast<FloatType>(combiner->getResult(0).getType());
  const llvm::fltSemantics &semantics = type.getFloatSemantics();
  APFloat identity =
      isa<arith::AddFOp>(combiner)
          ? APFloat::getZero(semantics, /*Negative=*/true)
          : APFloat::getInf(semantics,
                            /*Negative=*/isa<arith::MaximumFOp>(combiner));
  return FloatAttr::get(type, identity);
}

/// The loop along which `op` reduces rows: the innermost dimension of its
/// first input, when that loop is a reduction, every operand reads it as
/// its innermost dimension or not at all, and every result is an f32
/// accumulator that the body combines with one term (`acc + t`,
/// `maximumf(acc, t)`, `minimumf(acc, t)`) and uses nowhere else. The
/// combiners go to `combiners`, one per result.
std::optional<unsigned>
rowReductionLoop(linalg::GenericOp op,
                 SmallVectorImpl<Combiner> *combiners = nullptr) {
  if (!isVectorizableLoop(op) || op.getNumDpsInputs() == 0)
    return std::nullopt;
  AffineMap first = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  if (first.getNumResults() == 0)
    return std::nullopt;
  unsigned loop = cast<AffineDimExpr>(first.getResults().back()).getPosition();
  if (!linalg::isReductionIterator(op.getIteratorTypesArray()[loop]) ||
      !readsContiguously(op, loop))
    return std::nullopt;
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  SmallVector<Combiner> found;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    BlockArgument acc = op.getMatchingBlockArgument(&init);
    Operation *combiner =
        yield.getOperand(init.getOperandNumber() - op.getNumDpsInputs())
            .getDefiningOp();
    if (!acc.getType().isF32() || !acc.hasOneUse() || !combiner ||
        combiner->getBlock() != body ||
        !isa<arith::AddFOp, arith::MaximumFOp, arith::MinimumFOp>(combiner) ||
        acc.getUses().begin()->getOwner() != combiner ||
        !combiner->getResult(0).hasOneUse())
      return std::nullopt;
    found.push_back({combiner, acc.getUses().begin()->getOperandNumber()});
  }
  // Every other op becomes vector code as it is, or stays scalar.
  for (Operation &inner : body->without_terminator()) {
    if (llvm::any_of(found, [&](Combiner c) { return c.op == &inner; }))
      continue;
    if (!isa<linalg::IndexOp>(inner) && !isPure(&inner))
      return std::nullopt;
  }
  if (combiners)
    *combiners = std::move(found);
  return loop;
}

/// Replaces `op`, a tile whose loops other than `loop` have one step each,
/// by vector code that reduces its row in `kReductionLanes` lanes (the
/// file's header). Ops of the body that do not depend on the row's
/// elements stay scalar, before the loop. Fails, leaving `op` as it is,
/// when the body has an op that has no vector form.
LogicalResult vectorizeRowReduction(RewriterBase &rewriter,
                                    linalg::GenericOp op, unsigned loop) {
  SmallVector<Combiner> combiners;
  if (rowReductionLoop(op, &combiners) != loop)
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (d != loop && ranges[d] != 1)
      return failure();

  // Which values depend on the row's elements (vary along the row).
  Block *body = op.getBody();
  DenseSet<Value> varying;
  SmallVector<OpOperand *> rowInputs;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (!op.getMatchingIndexingMap(input).isFunctionOfDim(loop))
      continue;
    rowInputs.push_back(input);
    varying.insert(op.getMatchingBlockArgument(input));
  }
  auto isCombiner = [&](Operation *inner) {
    return llvm::any_of(combiners, [&](Combiner c) { return c.op == inner; });
  };
  for (Operation &inner : body->without_terminator()) {
    if (isCombiner(&inner))
      continue;
    auto index = dyn_cast<linalg::IndexOp>(inner);
    bool varies = index ? index.getDim() == loop
                        : llvm::any_of(inner.getOperands(), [&](Value v) {
                            return varying.contains(v);
                          });
    if (!varies)
      continue;
    if (!index && !OpTrait::hasElementwiseMappableTraits(&inner))
      return failure();
    for (Value result : inner.getResults())
      varying.insert(result);
  }

  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  auto vectorOf = [](Type scalar) {
    return VectorType::get({kReductionLanes}, scalar);
  };
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value step = arith::ConstantIndexOp::create(rewriter, loc, kReductionLanes);

  // The scalars: single elements of the inputs that do not read the row,
  // the inits, and the ops that depend only on them.
  IRMapping scalars;
  auto element = [&](Value tensor) -> Value {
    int64_t rank = cast<RankedTensorType>(tensor.getType()).getRank();
    return tensor::ExtractOp::create(rewriter, loc, tensor,
                                     SmallVector<Value>(rank, zero));
  };
  for (OpOperand *input : op.getDpsInputOperands())
    if (!varying.contains(op.getMatchingBlockArgument(input)))
      scalars.map(op.getMatchingBlockArgument(input), element(input->get()));
  for (Operation &inner : body->without_terminator()) {
    if (isCombiner(&inner) || varying.contains(inner.getResult(0)))
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      scalars.map(index.getResult(), zero);
      continue;
    }
    rewriter.clone(inner, scalars);
  }
  // Broadcasts of the scalars that vector ops take.
  IRMapping broadcasts;
  auto broadcast = [&](Value scalar) -> Value {
    if (Value done = broadcasts.lookupOrNull(scalar))
      return done;
    Value uniform = scalars.lookupOrDefault(scalar);
    Value vector = vector::BroadcastOp::create(
        rewriter, loc, vectorOf(uniform.getType()), uniform);
    broadcasts.map(scalar, vector);
    return vector;
  };
  for (Operation &inner : body->without_terminator())
    if (!isa<linalg::IndexOp>(inner) &&
        (isCombiner(&inner) || varying.contains(inner.getResult(0))))
      for (Value operand : inner.getOperands())
        if (!varying.contains(operand) &&
            !llvm::is_contained(op.getRegionOutputArgs(), operand))
          broadcast(operand);

  // The row's length and the part of it in whole vectors.
  Value row = rowInputs.front()->get();
  Value length = getValueOrCreateConstantIndexOp(
      rewriter, loc,
      tensor::getMixedSize(rewriter, loc, row,
                           cast<RankedTensorType>(row.getType()).getRank() -
                               1));
  int64_t staticLength = ranges[loop];
  Value whole =
      ShapedType::isDynamic(staticLength)
          ? arith::MulIOp::create(
                rewriter, loc,
                arith::DivUIOp::create(rewriter, loc, length, step), step)
          : Value(arith::ConstantIndexOp::create(
                rewriter, loc,
                staticLength / kReductionLanes * kReductionLanes));

  // One vector of each result's terms for the elements from `offset` on.
  auto terms = [&](OpBuilder &b, Value offset, bool inBounds) {
    IRMapping vectors;
    for (OpOperand *input : rowInputs) {
      auto type = cast<RankedTensorType>(input->get().getType());
      SmallVector<Value> indices(type.getRank(), zero);
      indices.back() = offset;
      Value padding = arith::ConstantOp::create(
          b, loc, cast<TypedAttr>(b.getZeroAttr(type.getElementType())));
      Value read = vector::TransferReadOp::create(
          b, loc, vectorOf(type.getElementType()), input->get(), indices,
          padding, ArrayRef<bool>{inBounds});
      vectors.map(op.getMatchingBlockArgument(input), read);
    }
    auto operand = [&](Value scalar) {
      return varying.contains(scalar) ? vectors.lookup(scalar)
                                      : broadcasts.lookup(scalar);
    };
    for (Operation &inner : body->without_terminator()) {
      if (isCombiner(&inner) || !varying.contains(inner.getResult(0)))
        continue;
      if (isa<linalg::IndexOp>(inner)) {
        Value lanes =
            vector::StepOp::create(b, loc, vectorOf(b.getIndexType()));
        Value first = vector::BroadcastOp::create(
            b, loc, vectorOf(b.getIndexType()), offset);
        vectors.map(inner.getResult(0),
                    arith::AddIOp::create(b, loc, first, lanes).getResult());
        continue;
      }
      OperationState state(inner.getLoc(), inner.getName());
      state.addAttributes(inner.getAttrs());
      for (Value v : inner.getOperands())
        state.addOperands(operand(v));
      for (Type type : inner.getResultTypes())
        state.addTypes(vectorOf(type));
      Operation *vectorized = b.create(state);
      vectors.map(inner.getResults(), vectorized->getResults());
    }
    SmallVector<Value> result;
    for (Combiner c : combiners)
      result.push_back(operand(c.op->getOperand(1 - c.accumulator)));
    return result;
  };
  // `combiner` of `acc` (in the accumulator's place) and `term`.
  auto combine = [&](OpBuilder &b, Combiner c, Value acc, Value term) {
    OperationState state(c.op->getLoc(), c.op->getName());
    state.addAttributes(c.op->getAttrs());
    SmallVector<Value, 2> operands(2, term);
    operands[c.accumulator] = acc;
    state.addOperands(operands);
    state.addTypes(acc.getType());
    return b.create(state)->getResult(0);
  };

  // Lane j over the elements j, j + 16, ... of the whole vectors.
  SmallVector<TypedAttr> identities;
  SmallVector<Value> accumulators;
  for (Combiner c : combiners) {
    Attribute identity = combinerIdentity(c.op);
    identities.push_back(DenseElementsAttr::get(vectorOf(rewriter.getF32Type()),
                                                ArrayRef<Attribute>(identity)));
    accumulators.push_back(
        arith::ConstantOp::create(rewriter, loc, identities.back()));
  }
  auto lanes = scf::ForOp::create(
      rewriter, loc, zero, whole, step, accumulators,
      [&](OpBuilder &b, Location, Value offset, ValueRange accs) {
        SmallVector<Value> next;
        for (auto [c, acc, term] : llvm::zip_equal(
                 combiners, accs, terms(b, offset, /*inBounds=*/true)))
          next.push_back(combine(b, c, acc, term));
        scf::YieldOp::create(b, loc, next);
      });
  accumulators = SmallVector<Value>(lanes.getResults());

  // The last partial vector: reads may run out of bounds, and the lanes
  // past the row's end take the identity instead of their term.
  if (ShapedType::isDynamic(staticLength) ||
      staticLength % kReductionLanes != 0) {
    Value left = arith::SubIOp::create(rewriter, loc, length, whole);
    Value mask = vector::CreateMaskOp::create(
        rewriter, loc, vectorOf(rewriter.getI1Type()), ValueRange{left});
    SmallVector<Value> last = terms(rewriter, whole, /*inBounds=*/false);
    for (auto [i, c] : llvm::enumerate(combiners)) {
      Value identity = arith::ConstantOp::create(
          rewriter, loc, identities[i].getType(), identities[i]);
      Value padded =
          arith::SelectOp::create(rewriter, loc, mask, last[i], identity);
      accumulators[i] = combine(rewriter, c, accumulators[i], padded);
    }
  }

  // The halving tree, then the init.
  SmallVector<Value> results;
  for (auto [c, acc, init] :
       llvm::zip_equal(combiners, accumulators, op.getDpsInits())) {
    Value tree = acc;
    for (int64_t half = kReductionLanes / 2; half >= 1; half /= 2) {
      Value low = vector::ExtractStridedSliceOp::create(rewriter, loc, tree,
                                                        {0}, {half}, {1});
      Value high = vector::ExtractStridedSliceOp::create(rewriter, loc, tree,
                                                         {half}, {half}, {1});
      tree = combine(rewriter, c, low, high);
    }
    Value sum = vector::ExtractOp::create(rewriter, loc, tree, 0);
    Value result = combine(rewriter, c, element(init), sum);
    int64_t rank = cast<RankedTensorType>(init.getType()).getRank();
    results.push_back(tensor::InsertOp::create(rewriter, loc, result, init,
                                               SmallVector<Value>(rank, zero)));
  }
  rewriter.replaceOp(op, results);
  return success();
}

/// Groups of consecutive loops of one iterator type that every operand
/// stores contiguously; collapsing them gives longer vector loops (a
/// 28 x 28 image is 98 full vectors instead of 28 rows of 3.5), unless the
/// innermost loop is whole vectors of `vectorWidth` already (0: always
/// collapse). Ops that read `linalg.index` keep their loops: a collapsed
/// index needs a division per element.
SmallVector<ReassociationIndices> collapsibleLoops(linalg::GenericOp op,
                                                   int64_t vectorWidth) {
  if (op.hasIndexSemantics() || readsWindows(op))
    return {};
  // Already whole vectors: keep the loops, since a result behind a reshape
  // is no longer written straight into the entry's output buffer (empty
  // tensor elimination stops at the reshape) and would be copied there.
  int64_t inner = op.getStaticLoopRanges().back();
  if (vectorWidth && !ShapedType::isDynamic(inner) && inner % vectorWidth == 0)
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
    auto empty =
        dyn_cast_or_null<tensor::EmptyOp>(fill ? filled.getDefiningOp() : def);
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
    : neurona::impl::CPUVectorizeElementwiseBase<CPUVectorizeElementwisePass> {
  using Base::Base;

  void runOnOperation() override;

  /// Collapses, chunks (with `threads`) and tiles `op`; marks each tile with
  /// its vector sizes (`kVectorSizes`).
  void tileOp(RewriterBase &rewriter, linalg::GenericOp op, bool threads);

  /// Collapses and chunks (with `threads`) the row reduction `op`, and
  /// tiles it one step along every loop but the reduced one; marks the
  /// tile with that loop (`kRowReduction`).
  void tileRowReduction(RewriterBase &rewriter, linalg::GenericOp op,
                        bool threads);

  /// Gives `op` inits of its own, collapses the `groups` of its loops and
  /// (with `threads`) splits it among threads; returns the op of one chunk.
  linalg::GenericOp collapseAndSplit(RewriterBase &rewriter,
                                     linalg::GenericOp op,
                                     ArrayRef<ReassociationIndices> groups,
                                     bool threads);

  /// Splits the outermost loop of `op` into scf.forall chunks of about
  /// `parallelElements` elements when that makes at least two chunks;
  /// `outerSize` is that loop's trip count, at batch 64 when it is dynamic.
  /// Returns the op of one chunk.
  linalg::GenericOp splitAmongThreads(RewriterBase &rewriter,
                                      linalg::GenericOp op, int64_t outerSize);
};

linalg::GenericOp CPUVectorizeElementwisePass::splitAmongThreads(
    RewriterBase &rewriter, linalg::GenericOp op, int64_t outerSize) {
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
  int64_t rows = std::max<int64_t>(1, (parallelElements + inner - 1) / inner);
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

linalg::GenericOp CPUVectorizeElementwisePass::collapseAndSplit(
    RewriterBase &rewriter, linalg::GenericOp op,
    ArrayRef<ReassociationIndices> groups, bool threads) {
  // The outermost loop's trip count, after collapsing, at batch 64.
  privatizeInits(rewriter, op);
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
  return op;
}

/// Tiles `op` by one along every loop but `loop`, which gets tiles of
/// `loopTile` (0: whole) and becomes the innermost; the other loops keep
/// their order (outer reductions included). Replaces `op` on success.
FailureOr<scf::SCFTilingResult> tileAroundLoop(RewriterBase &rewriter,
                                               linalg::GenericOp op,
                                               unsigned loop,
                                               int64_t loopTile) {
  SmallVector<int64_t> sizes(op.getNumLoops(), 1);
  sizes[loop] = loopTile;
  SmallVector<int64_t> interchange;
  for (unsigned i = 0; i < op.getNumLoops(); ++i)
    if (i != loop)
      interchange.push_back(i);
  interchange.push_back(loop);
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (succeeded(result))
    rewriter.replaceOp(op, result->replacements);
  return result;
}

void CPUVectorizeElementwisePass::tileRowReduction(RewriterBase &rewriter,
                                                   linalg::GenericOp op,
                                                   bool threads) {
  // Always collapsed: whether a reduction's loops are one row or several
  // changes the order of its sum, which must not depend on the width. The
  // threads take whole rows.
  op = collapseAndSplit(rewriter, op, collapsibleLoops(op, /*vectorWidth=*/0),
                        threads);
  std::optional<unsigned> loop = rowReductionLoop(op);
  if (!loop)
    return;

  // One step along every other loop (outer reductions in their order), the
  // reduced loop innermost and whole.
  SmallVector<int64_t> shape = op.getStaticLoopRanges();
  if (llvm::any_of(llvm::seq<unsigned>(0, shape.size()),
                   [&](unsigned d) { return d != *loop && shape[d] != 1; })) {
    FailureOr<scf::SCFTilingResult> result =
        tileAroundLoop(rewriter, op, *loop, /*loopTile=*/0);
    if (failed(result))
      return;
    op = cast<linalg::GenericOp>(result->tiledOps.back());
  }
  op->setAttr(kRowReduction, rewriter.getI64IntegerAttr(*loop));
}

void CPUVectorizeElementwisePass::tileOp(RewriterBase &rewriter,
                                         linalg::GenericOp op, bool threads) {
  // Whether the body vectorizes at all (with the dynamic sizes masked);
  // window reads become plain ones only in the tiles, and the body of such
  // a loop was checked by isVectorizableLoop.
  if (!readsWindows(op)) {
    SmallVector<int64_t> sizes = op.getStaticLoopRanges();
    for (int64_t &size : sizes)
      if (ShapedType::isDynamic(size))
        size = vectorWidth;
    if (failed(linalg::vectorizeOpPrecondition(op, sizes)))
      return;
  }

  op = collapseAndSplit(rewriter, op, collapsibleLoops(op, vectorWidth),
                        threads);
  std::optional<unsigned> loop = vectorLoop(op);
  if (!loop)
    return;

  // One vector along the vector loop, one step along every other loop
  // (reductions in their order), the vector loop innermost.
  SmallVector<int64_t> shape = op.getStaticLoopRanges();
  int64_t width = shape[*loop];
  bool tiled = ShapedType::isDynamic(width) || width > vectorWidth;
  FailureOr<scf::SCFTilingResult> result =
      tileAroundLoop(rewriter, op, *loop, tiled ? vectorWidth : 0);
  if (failed(result))
    return;
  auto tile = cast<linalg::LinalgOp>(result->tiledOps.back());

  SmallVector<int64_t> vectorSizes(shape.size(), 1);
  vectorSizes[*loop] = tiled ? vectorWidth : width;
  auto inner = result->loops.empty()
                   ? scf::ForOp()
                   : dyn_cast<scf::ForOp>(result->loops.back().getOperation());
  if (tiled && inner && getConstantIntValue(inner.getStep()) == vectorWidth) {
    // Full vectors in the main loop; the last partial one is masked.
    scf::ForOp partial;
    if (succeeded(
            scf::peelForLoopAndSimplifyBounds(rewriter, inner, partial))) {
      partial->walk([&](linalg::LinalgOp peeled) {
        peeled->setAttr(kVectorSizes,
                        rewriter.getDenseI64ArrayAttr(vectorSizes));
      });
    }
  }
  tile->setAttr(kVectorSizes, rewriter.getDenseI64ArrayAttr(vectorSizes));
}

void CPUVectorizeElementwisePass::runOnOperation() {
  func::FuncOp func = getOperation();
  IRRewriter rewriter(&getContext());

  SmallVector<std::pair<linalg::GenericOp, bool>> candidates, reductions;
  func.walk([&](linalg::GenericOp op) {
    // No thread level inside another (a contraction's chunk).
    bool nested = op->getParentOfType<scf::ForallOp>() != nullptr;
    if (vectorLoop(op))
      candidates.push_back({op, !nested});
    else if (rowReductionLoop(op))
      reductions.push_back({op, !nested});
  });
  if (candidates.empty() && reductions.empty())
    return;

  for (auto &[op, threads] : candidates)
    tileOp(rewriter, op, threads);
  for (auto &[op, threads] : reductions)
    tileRowReduction(rewriter, op, threads);

  // Once the peeled bounds fold, full tiles (and a static remainder) have
  // static shapes and vectorize without masks; only a remainder of a
  // dynamic size is masked. The tiles carry their vector sizes through
  // canonicalization as an attribute.
  if (failed(canonicalize(func)))
    return signalPassFailure();
  SmallVector<std::pair<linalg::GenericOp, SmallVector<int64_t>>> tiles;
  SmallVector<std::pair<linalg::GenericOp, unsigned>> rows;
  func.walk([&](linalg::GenericOp op) {
    if (auto sizes = op->getAttrOfType<DenseI64ArrayAttr>(kVectorSizes)) {
      tiles.push_back({op, SmallVector<int64_t>(sizes.asArrayRef())});
      op->removeAttr(kVectorSizes);
    }
    if (auto loop = op->getAttrOfType<IntegerAttr>(kRowReduction)) {
      rows.push_back({op, static_cast<unsigned>(loop.getInt())});
      op->removeAttr(kRowReduction);
    }
  });
  for (auto &[op, loop] : rows)
    (void)vectorizeRowReduction(rewriter, op, loop);
  for (auto &[op, vectorSizes] : tiles) {
    if (readsWindows(op)) {
      AffineMap init = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
      unsigned loop =
          cast<AffineDimExpr>(init.getResults().back()).getPosition();
      if (failed(readWindowsAsRuns(rewriter, op, loop)))
        continue;
    }
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
  readStridedRunsWhole(rewriter, func);

  // No CSE: it would merge the private inits again.
  if (failed(canonicalize(func)))
    return signalPassFailure();
}

} // namespace
