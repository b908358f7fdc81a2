//===- Recurrent.cpp - nn.rnn / lstm / gru and their BPTT to linalg -------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// A recurrent op becomes an `scf.for` over the T steps on tensors. Each
// step is
//
//   xh[n, k]  = [x_t | h_{t-1}]                       [N, F+H]  (a copy)
//   z         = xh x [W | R]^T                        [N, G*H]  (linalg.matmul)
//   one generic over [N, H]: bias, gate nonlinearities, the cell and the
//   mask, producing the new state, the output and the saved activations
//
// so the only heavy work is one 2-D contraction per step with the dynamic
// batch as M and static N = G*H, K = F+H: the shape the tiled kernels of
// neurona-cpu-tile-contractions take. The concatenated weights are built
// once per call, outside the loop. Backpropagation through time runs the
// steps backwards over the saved activations:
//
//   one generic over [N, H]: dz (pre-activation gate gradients), the
//   cell-state carry and the part of dh that the mask passes through
//   dxh      = dz x [W | R]                           [N, F+H]  -> dx_t, dh
//   d[W|R]^T += xh^T x dz                             [F+H, G*H] (K = batch)
//   db       += sum over the batch of dz              (sequential order)
//
// Steps are inserted into / read from the [N, T, ...] tensors with
// tensor.insert_slice / extract_slice. All sums run in a fixed order, so
// results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "neurona/Conversion/NNToLinalg/NNToLinalg.h"
#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <type_traits>

using namespace mlir;
using namespace mlir::nn;
using namespace mlir::nn::lowering;

namespace {

/// The static geometry of one recurrent op.
struct Geometry {
  int64_t gates, acts, hidden, features, steps;
  int64_t batch; // static size or kDynamic
  Value n;       // the batch size as an index
  int64_t gh() const { return gates * hidden; }
  int64_t k() const { return features + hidden; }
  bool isLSTM() const { return gates == 4; }

  OpFoldResult nSize() const {
    if (ShapedType::isDynamic(batch))
      return n;
    return IntegerAttr::get(IndexType::get(n.getContext()), batch);
  }
  SmallVector<Value> dyn() const {
    if (ShapedType::isDynamic(batch))
      return {n};
    return {};
  }
  RankedTensorType rows(int64_t width) const {
    return RankedTensorType::get({batch, width},
                                 Float32Type::get(n.getContext()));
  }
};

Geometry geometry(OpBuilder &b, Location loc, Value x, Value w, int64_t gates,
                  int64_t acts) {
  auto xt = cast<RankedTensorType>(x.getType());
  auto wt = cast<RankedTensorType>(w.getType());
  Geometry g;
  g.gates = gates;
  g.acts = acts;
  g.hidden = wt.getDimSize(0) / gates;
  g.features = xt.getDimSize(2);
  g.steps = xt.getDimSize(1);
  g.batch = xt.getDimSize(0);
  g.n = tensor::DimOp::create(b, loc, x, 0);
  return g;
}

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

AffineExpr dim(MLIRContext *ctx, unsigned i) {
  return getAffineDimExpr(i, ctx);
}

/// `lhs x rhs` (2-D, row-major) as a linalg.matmul into zeros.
Value contract(OpBuilder &b, Location loc, Value lhs, Value rhs,
               RankedTensorType type, ValueRange dyn) {
  Value acc = filledTensor(b, loc, type, dyn, 0.0);
  return linalg::MatmulOp::create(b, loc, TypeRange{type}, ValueRange{lhs, rhs},
                                  ValueRange{acc})
      .getResult(0);
}

/// Step `t` of `source` [N, T, W]: columns [offset, offset + width) as
/// [N, width].
Value readStep(OpBuilder &b, Location loc, const Geometry &g, Value source,
               Value t, int64_t offset, int64_t width) {
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), t,
                                       b.getIndexAttr(offset)};
  SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(1),
                                     b.getIndexAttr(width)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, g.rows(width), source, offsets,
                                        sizes, strides);
}

/// Step `t` of the mask [N, T] as [N].
Value readMaskStep(OpBuilder &b, Location loc, const Geometry &g, Value mask,
                   Value t) {
  auto type = RankedTensorType::get({g.batch}, b.getF32Type());
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), t};
  SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(1)};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, type, mask, offsets, sizes,
                                        strides);
}

/// `dest` [N, T, W] with `value` [N, width] at step `t`, column `offset`.
Value writeStep(OpBuilder &b, Location loc, const Geometry &g, Value value,
                Value dest, Value t, int64_t offset) {
  int64_t width = cast<RankedTensorType>(value.getType()).getDimSize(1);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), t,
                                       b.getIndexAttr(offset)};
  SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(1),
                                     b.getIndexAttr(width)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, value, dest, offsets, sizes,
                                       strides);
}

/// `v` clamped to [lo, hi] (indices).
Value clampIndex(OpBuilder &b, Location loc, Value v, int64_t lo, int64_t hi) {
  return arith::MinSIOp::create(
      b, loc, arith::MaxSIOp::create(b, loc, v, index(b, loc, lo)),
      index(b, loc, hi));
}

/// The concatenated weights: [W | R]^T [K, G*H] (`transposed`, forward) or
/// [W | R] [G*H, K] (backward). Built once per call.
Value concatWeights(OpBuilder &b, Location loc, const Geometry &g, Value w,
                    Value r, bool transposed) {
  auto type = transposed
                  ? RankedTensorType::get({g.k(), g.gh()}, b.getF32Type())
                  : RankedTensorType::get({g.gh(), g.k()}, b.getF32Type());
  int64_t f = g.features;
  return buildGeneric(
      b, loc, type, {}, {}, {},
      [&](OpBuilder &b, Location l, ValueRange) -> Value {
        Value j = linalg::IndexOp::create(b, l, transposed ? 1 : 0);
        Value k = linalg::IndexOp::create(b, l, transposed ? 0 : 1);
        Value inW = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, k,
                                          index(b, l, f));
        Value kw = clampIndex(b, l, k, 0, f - 1);
        Value kr =
            clampIndex(b, l, arith::SubIOp::create(b, l, k, index(b, l, f)), 0,
                       g.hidden - 1);
        Value fromW = tensor::ExtractOp::create(b, l, w, ValueRange{j, kw});
        Value fromR = tensor::ExtractOp::create(b, l, r, ValueRange{j, kr});
        return arith::SelectOp::create(b, l, inW, fromW, fromR);
      });
}

/// xh = [x_t | hprev] as [N, K], or its transpose [K, N].
Value concatInputs(OpBuilder &b, Location loc, const Geometry &g, Value x,
                   Value t, Value hprev, bool transposed) {
  RankedTensorType type =
      transposed ? RankedTensorType::get({g.k(), g.batch}, b.getF32Type())
                 : g.rows(g.k());
  SmallVector<Value> dyn = g.dyn();
  int64_t f = g.features;
  return buildGeneric(
      b, loc, type, dyn, {}, {},
      [&](OpBuilder &b, Location l, ValueRange) -> Value {
        Value n = linalg::IndexOp::create(b, l, transposed ? 1 : 0);
        Value k = linalg::IndexOp::create(b, l, transposed ? 0 : 1);
        Value inX = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, k,
                                          index(b, l, f));
        Value kx = clampIndex(b, l, k, 0, f - 1);
        Value kh =
            clampIndex(b, l, arith::SubIOp::create(b, l, k, index(b, l, f)), 0,
                       g.hidden - 1);
        Value fromX = tensor::ExtractOp::create(b, l, x, ValueRange{n, t, kx});
        Value fromH = tensor::ExtractOp::create(b, l, hprev, ValueRange{n, kh});
        return arith::SelectOp::create(b, l, inX, fromX, fromH);
      });
}

/// A multi-result all-parallel generic over [N, H].
SmallVector<Value> stepGeneric(
    OpBuilder &b, Location loc, const Geometry &g, ValueRange inputs,
    ArrayRef<AffineMap> maps, unsigned numResults,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  RankedTensorType type = g.rows(g.hidden);
  SmallVector<Value> inits;
  SmallVector<Type> types(numResults, type);
  for (unsigned i = 0; i < numResults; ++i)
    inits.push_back(emptyTensor(b, loc, type, g.dyn()));
  SmallVector<AffineMap> allMaps(maps);
  allMaps.append(numResults, b.getMultiDimIdentityMap(2));
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, types, inputs, inits, allMaps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l,
                                body(nb, l, args.take_front(inputs.size())));
      });
  return SmallVector<Value>(generic.getResults());
}

Value sigmoid(OpBuilder &b, Location l, Value x) {
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, f32(b, l, 1.0),
                               arith::AddFOp::create(b, l, f32(b, l, 1.0), e));
}

/// Elementwise helpers for step bodies.
struct Arith {
  OpBuilder &b;
  Location l;
  Value add(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value one() { return f32(b, l, 1.0); }
  /// m * a + (1 - m) * c, or `a` without a mask.
  Value blend(Value m, Value a, Value c) {
    return m ? add(mul(m, a), mul(sub(one(), m), c)) : a;
  }
  Value scale(Value m, Value a) { return m ? mul(m, a) : a; }
};

/// A buffer of its own for a tensor the time loop carries: a
/// `bufferization.alloc_tensor`, which CSE never merges, filled with `fill`
/// when given. Two iteration arguments that start from one tensor (two
/// equal `tensor.empty` merged by CSE) bufferize into one buffer, and a step
/// that writes both then overwrites one with the other: the state of a
/// masked RNN came out as its zeroed output.
static Value loopTensor(OpBuilder &b, Location loc, RankedTensorType type,
                        ValueRange dyn, std::optional<double> fill = {}) {
  Value t = bufferization::AllocTensorOp::create(b, loc, type, dyn);
  if (!fill)
    return t;
  Value zero = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(type.getElementType(), *fill));
  return linalg::FillOp::create(b, loc, zero, t).getResult(0);
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

template <typename Op> struct RecurrentLowering : OpConversionPattern<Op> {
  RecurrentLowering(MLIRContext *ctx, int64_t gates, int64_t acts)
      : OpConversionPattern<Op>(ctx), gates(gates), acts(acts) {}
  int64_t gates, acts;

  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput(), mask = adaptor.getMask();
    Geometry g = geometry(rewriter, loc, x, adaptor.getW(), gates, acts);
    int64_t H = g.hidden, GH = g.gh();

    Value wrT = concatWeights(rewriter, loc, g, adaptor.getW(), adaptor.getR(),
                              /*transposed=*/true);
    // Wb + Rb, one [H] block per gate (slices keep the step generic's
    // operands exactly [N, H], from which linalg infers its loop bounds).
    Value b = adaptor.getB();
    SmallVector<Value> biases;
    for (int64_t k = 0; k < gates; ++k) {
      auto block = [&](int64_t offset) -> Value {
        return tensor::ExtractSliceOp::create(
            rewriter, loc, RankedTensorType::get({H}, rewriter.getF32Type()), b,
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(offset)},
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(H)},
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)});
      };
      biases.push_back(buildElementwise(
          rewriter, loc, RankedTensorType::get({H}, rewriter.getF32Type()),
          {block(k * H), block(GH + k * H)},
          [](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::AddFOp::create(b, l, a[0], a[1]);
          }));
    }

    auto seqType = cast<RankedTensorType>(op.getSequence().getType());
    auto actType = cast<RankedTensorType>(op.getActivations().getType());
    Value h0 = adaptor.getInitialH(), c0;
    if constexpr (std::is_same_v<Op, LSTMOp>)
      c0 = adaptor.getInitialC();
    if (!h0)
      h0 = loopTensor(rewriter, loc, g.rows(H), g.dyn(), 0.0);
    if (!c0)
      c0 = loopTensor(rewriter, loc, g.rows(H), g.dyn(), 0.0);
    Value seq0 = loopTensor(rewriter, loc, seqType, g.dyn());
    Value acts0 = loopTensor(rewriter, loc, actType, g.dyn());
    SmallVector<Value> init = {h0, c0, seq0, acts0}; // h, c, seq, acts

    auto loop = scf::ForOp::create(
        rewriter, loc, index(rewriter, loc, 0), index(rewriter, loc, g.steps),
        index(rewriter, loc, 1), init,
        [&](OpBuilder &b, Location l, Value t, ValueRange it) {
          Value h = it[0], c = it[1], seq = it[2], saved = it[3];
          Value xh = concatInputs(b, l, g, x, t, h, /*transposed=*/false);
          Value z = contract(b, l, xh, wrT, g.rows(GH), g.dyn());

          SmallVector<Value> inputs;
          SmallVector<AffineMap> maps;
          auto d = [&](unsigned i) { return dim(ctx, i); };
          for (int64_t k = 0; k < gates; ++k) {
            SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                                 b.getIndexAttr(k * H)};
            SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(H)};
            SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
            inputs.push_back(tensor::ExtractSliceOp::create(
                b, l, g.rows(H), z, offsets, sizes, strides));
            maps.push_back(b.getMultiDimIdentityMap(2));
          }
          for (int64_t k = 0; k < gates; ++k) {
            inputs.push_back(biases[k]);
            maps.push_back(AffineMap::get(2, 0, {d(1)}, ctx));
          }
          inputs.append({h, c});
          maps.append(2, b.getMultiDimIdentityMap(2));
          if (mask) {
            inputs.push_back(readMaskStep(b, l, g, mask, t));
            maps.push_back(AffineMap::get(2, 0, {d(0)}, ctx));
          }
          bool lstm = g.isLSTM();
          // LSTM: i, o, f, c~, c_t, h_t, y; RNN: h_t, y.
          SmallVector<Value> res = stepGeneric(
              b, l, g, inputs, maps, lstm ? 7 : 2,
              [&](OpBuilder &b, Location l, ValueRange a) {
                Arith m{b, l};
                int64_t G = gates;
                Value hp = a[2 * G], cp = a[2 * G + 1];
                Value mk = mask ? a[2 * G + 2] : Value();
                auto pre = [&](int64_t k) { return m.add(a[k], a[G + k]); };
                if (!lstm) {
                  Value hn = math::TanhOp::create(b, l, pre(0));
                  return SmallVector<Value>{m.blend(mk, hn, hp),
                                            m.scale(mk, hn)};
                }
                Value i = sigmoid(b, l, pre(0)), o = sigmoid(b, l, pre(1));
                Value f = sigmoid(b, l, pre(2));
                Value cc = math::TanhOp::create(b, l, pre(3));
                Value cn = m.add(m.mul(f, cp), m.mul(i, cc));
                Value hn = m.mul(o, math::TanhOp::create(b, l, cn));
                return SmallVector<Value>{i,
                                          o,
                                          f,
                                          cc,
                                          m.blend(mk, cn, cp),
                                          m.blend(mk, hn, hp),
                                          m.scale(mk, hn)};
              });
          Value y = res.back();
          seq = writeStep(b, l, g, y, seq, t, 0);
          for (int64_t k = 0; k < acts; ++k)
            saved = writeStep(b, l, g, res[k], saved, t, k * H);
          Value hNext = lstm ? res[5] : res[0];
          Value cNext = lstm ? res[4] : c;
          scf::YieldOp::create(b, l, ValueRange{hNext, cNext, seq, saved});
        });
    SmallVector<Value> results = {loop.getResult(2), loop.getResult(0),
                                  loop.getResult(3)};
    if constexpr (std::is_same_v<Op, LSTMOp>)
      results.push_back(loop.getResult(1)); // the last cell state
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Backpropagation through time
//===----------------------------------------------------------------------===//

template <typename Op>
struct RecurrentBackwardLowering : OpConversionPattern<Op> {
  RecurrentBackwardLowering(MLIRContext *ctx, int64_t gates, int64_t acts)
      : OpConversionPattern<Op>(ctx), gates(gates), acts(acts) {}
  int64_t gates, acts;

  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput(), mask = adaptor.getMask();
    Value saved = adaptor.getActivations(), gseq = adaptor.getGradSequence();
    Geometry g = geometry(rewriter, loc, x, adaptor.getW(), gates, acts);
    int64_t H = g.hidden, GH = g.gh(), F = g.features, K = g.k();
    bool lstm = g.isLSTM();
    // Where h_t and c_t are among the saved activations.
    int64_t hBlock = lstm ? 5 : 0, cBlock = 4;

    Value wr = concatWeights(rewriter, loc, g, adaptor.getW(), adaptor.getR(),
                             /*transposed=*/false);
    auto f32Type = rewriter.getF32Type();
    auto dwrType = RankedTensorType::get({K, GH}, f32Type);
    auto dbType = RankedTensorType::get({GH}, f32Type);
    Value dwr0 = filledTensor(rewriter, loc, dwrType, {}, 0.0);
    Value db0 = filledTensor(rewriter, loc, dbType, {}, 0.0);
    Value dc0 = filledTensor(rewriter, loc, g.rows(H), g.dyn(), 0.0);
    // The forward's initial states (zero when absent), read at t = 0.
    Value hInit = adaptor.getInitialH(), cInit;
    if constexpr (std::is_same_v<Op, LSTMBackwardOp>) {
      dc0 = adaptor.getGradLastCell();
      cInit = adaptor.getInitialC();
    }
    Value dx0 = emptyTensor(rewriter, loc, cast<RankedTensorType>(x.getType()),
                            g.dyn());
    // dh, dc, dx, d[W|R]^T, db
    SmallVector<Value> init = {adaptor.getGradLast(), dc0, dx0, dwr0, db0};
    auto d = [&](unsigned i) { return dim(ctx, i); };

    auto loop = scf::ForOp::create(
        rewriter, loc, index(rewriter, loc, 0), index(rewriter, loc, g.steps),
        index(rewriter, loc, 1), init,
        [&](OpBuilder &b, Location l, Value s, ValueRange it) {
          Value dh = it[0], dc = it[1], dx = it[2], dwr = it[3], db = it[4];
          // t = T - 1 - s; the previous step's state is the initial one
          // at t = 0.
          Value t = arith::SubIOp::create(b, l, index(b, l, g.steps - 1), s);
          Value isFirst = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                                t, index(b, l, 0));
          Value tPrev =
              clampIndex(b, l, arith::SubIOp::create(b, l, t, index(b, l, 1)),
                         0, g.steps - 1);
          auto previous = [&](int64_t block, Value initial) {
            SmallVector<Value> in = {
                readStep(b, l, g, saved, tPrev, block * H, H)};
            if (initial)
              in.push_back(initial);
            SmallVector<AffineMap> maps(in.size(), b.getMultiDimIdentityMap(2));
            return buildGeneric(
                b, l, g.rows(H), g.dyn(), in, maps,
                [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                  Value first = initial ? a[1] : f32(b, l, 0.0);
                  return arith::SelectOp::create(b, l, isFirst, first, a[0]);
                });
          };
          Value hPrev = previous(hBlock, hInit);

          SmallVector<Value> inputs;
          int64_t own = lstm ? 5 : 1; // i, o, f, c~, c_t | h_t
          for (int64_t k = 0; k < own; ++k)
            inputs.push_back(readStep(b, l, g, saved, t, k * H, H));
          if (lstm)
            inputs.push_back(previous(cBlock, cInit));
          inputs.append({readStep(b, l, g, gseq, t, 0, H), dh, dc});
          SmallVector<AffineMap> maps(inputs.size(),
                                      b.getMultiDimIdentityMap(2));
          if (mask) {
            inputs.push_back(readMaskStep(b, l, g, mask, t));
            maps.push_back(AffineMap::get(2, 0, {d(0)}, ctx));
          }
          // LSTM: dz_i, dz_o, dz_f, dz_c, dh passed, dc_{t-1};
          // RNN: dz, dh passed.
          SmallVector<Value> res = stepGeneric(
              b, l, g, inputs, maps, lstm ? 6 : 2,
              [&](OpBuilder &b, Location l, ValueRange a) {
                Arith m{b, l};
                unsigned base = lstm ? 6 : 1;
                Value gy = a[base], dhc = a[base + 1], dcc = a[base + 2];
                Value mk = mask ? a[base + 3] : Value();
                // The new state's gradient: the output's and the carried
                // one's where the step is valid; the rest passes by.
                Value dhn = m.scale(mk, m.add(gy, dhc));
                Value pass =
                    mk ? m.mul(m.sub(m.one(), mk), dhc) : f32(b, l, 0.0);
                auto dsig = [&](Value y) {
                  return m.mul(y, m.sub(m.one(), y));
                };
                auto dtanh = [&](Value y) {
                  return m.sub(m.one(), m.mul(y, y));
                };
                if (!lstm)
                  return SmallVector<Value>{m.mul(dhn, dtanh(a[0])), pass};
                Value i = a[0], o = a[1], f = a[2], cc = a[3], ct = a[4],
                      cp = a[5];
                Value tc = math::TanhOp::create(b, l, ct);
                Value dcn =
                    m.add(m.scale(mk, dcc), m.mul(m.mul(dhn, o), dtanh(tc)));
                Value dzi = m.mul(m.mul(dcn, cc), dsig(i));
                Value dzo = m.mul(m.mul(dhn, tc), dsig(o));
                Value dzf = m.mul(m.mul(dcn, cp), dsig(f));
                Value dzc = m.mul(m.mul(dcn, i), dtanh(cc));
                Value dcp =
                    m.add(mk ? m.mul(m.sub(m.one(), mk), dcc) : f32(b, l, 0.0),
                          m.mul(dcn, f));
                return SmallVector<Value>{dzi, dzo, dzf, dzc, pass, dcp};
              });
          Value dz = res[0];
          if (lstm) {
            dz = emptyTensor(b, l, g.rows(GH), g.dyn());
            for (int64_t k = 0; k < 4; ++k) {
              SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                                   b.getIndexAttr(k * H)};
              SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(H)};
              SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
              dz = tensor::InsertSliceOp::create(b, l, res[k], dz, offsets,
                                                 sizes, strides);
            }
          }
          Value pass = res[lstm ? 4 : 1];
          Value dcNext = lstm ? res[5] : dc;

          // dxh = dz x [W | R]: dx_t and the recurrent part of dh_{t-1}.
          Value dxh = contract(b, l, dz, wr, g.rows(K), g.dyn());
          {
            SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                                 b.getIndexAttr(0)};
            SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(F)};
            SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
            Value dxt = tensor::ExtractSliceOp::create(b, l, g.rows(F), dxh,
                                                       offsets, sizes, strides);
            dx = writeStep(b, l, g, dxt, dx, t, 0);
          }
          Value dhNext =
              buildGeneric(b, l, g.rows(H), g.dyn(), {pass, dxh},
                           {b.getMultiDimIdentityMap(2),
                            AffineMap::get(2, 0, {d(0), d(1) + F}, ctx)},
                           [](OpBuilder &b, Location l, ValueRange a) -> Value {
                             return arith::AddFOp::create(b, l, a[0], a[1]);
                           });

          // d[W|R]^T += xh^T x dz; the batch is the contraction's depth.
          Value xhT = concatInputs(b, l, g, x, t, hPrev, /*transposed=*/true);
          Value prod = contract(b, l, xhT, dz, dwrType, {});
          Value dwrNext = buildGeneric(
              b, l, dwrType, {}, {dwr, prod},
              {b.getMultiDimIdentityMap(2), b.getMultiDimIdentityMap(2)},
              [](OpBuilder &b, Location l, ValueRange a) -> Value {
                return arith::AddFOp::create(b, l, a[0], a[1]);
              });
          // db += the batch sum of dz, in batch order.
          auto sum = linalg::GenericOp::create(
              b, l, TypeRange{dbType}, ValueRange{dz}, ValueRange{db},
              ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2),
                                  AffineMap::get(2, 0, {d(1)}, ctx)},
              ArrayRef<utils::IteratorType>{utils::IteratorType::reduction,
                                            utils::IteratorType::parallel},
              [](OpBuilder &b, Location l, ValueRange a) {
                linalg::YieldOp::create(
                    b, l, ValueRange{arith::AddFOp::create(b, l, a[0], a[1])});
              });
          scf::YieldOp::create(
              b, l, ValueRange{dhNext, dcNext, dx, dwrNext, sum.getResult(0)});
        });

    Value dwr = loop.getResult(3), db = loop.getResult(4);
    auto copy = [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return a[0];
    };
    // Rows [0, F) of d[W|R]^T transposed are dW, rows [F, K) dR (sliced
    // first: linalg infers loop bounds from whole operands).
    auto rowsOf = [&](int64_t offset, int64_t count) -> Value {
      return tensor::ExtractSliceOp::create(
          rewriter, loc, RankedTensorType::get({count, GH}, f32Type), dwr,
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(offset),
                                 rewriter.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(count),
                                 rewriter.getIndexAttr(GH)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                 rewriter.getIndexAttr(1)});
    };
    AffineMap transpose = AffineMap::get(2, 0, {d(1), d(0)}, ctx);
    Value dw =
        buildGeneric(rewriter, loc, RankedTensorType::get({GH, F}, f32Type), {},
                     rowsOf(0, F), transpose, copy);
    Value dr =
        buildGeneric(rewriter, loc, RankedTensorType::get({GH, H}, f32Type), {},
                     rowsOf(F, H), transpose, copy);
    // Wb and Rb are added, so both get the bias gradient.
    Value dbias =
        buildGeneric(rewriter, loc, RankedTensorType::get({2 * GH}, f32Type),
                     {}, db, AffineMap::get(1, 0, {d(0) % GH}, ctx), copy);
    // dh_0 (and an LSTM's dc_0): the carries left after t = 0.
    SmallVector<Value> results = {loop.getResult(2), dw, dr, dbias,
                                  loop.getResult(0)};
    if constexpr (std::is_same_v<Op, LSTMBackwardOp>)
      results.push_back(loop.getResult(1));
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// GRU
//===----------------------------------------------------------------------===//
//
// A GRU step needs h_{t-1} Rh^T apart from x_t Wh^T (linear_before_reset
// scales it by r) or (r * h_{t-1}) Rh^T, which depends on the step's own r.
// So its per-step contraction is [x_t | h_{t-1}] x M with the gate blocks
//
//   M = [ Wz^T  Wr^T  Wh^T  0    ]    (linear_before_reset: 4 blocks)
//       [ Rz^T  Rr^T  0     Rh^T ]
//   M = [ Wz^T  Wr^T  Wh^T ]          (otherwise: 3 blocks, then
//       [ Rz^T  Rr^T  0    ]           (r * h_{t-1}) x Rh^T)
//
// Both are tiled contractions with the batch as M. The backward pass
// mirrors them: dG x M^T for dx_t and dh_{t-1}, xh^T x dG for dM (and
// (r * h_{t-1})^T x dh~ for dRh^T without linear_before_reset).

/// Column block `block` of M, element (k, i): W or R row `gate * H + i`,
/// or zero where the block has no such part.
Value gruWeights(OpBuilder &b, Location loc, const Geometry &g, Value w,
                 Value r, int64_t blocks, bool transposed) {
  int64_t H = g.hidden, F = g.features;
  auto type = transposed
                  ? RankedTensorType::get({g.k(), blocks * H}, b.getF32Type())
                  : RankedTensorType::get({blocks * H, g.k()}, b.getF32Type());
  return buildGeneric(
      b, loc, type, {}, {}, {},
      [&](OpBuilder &b, Location l, ValueRange) -> Value {
        Value j = linalg::IndexOp::create(b, l, transposed ? 1 : 0);
        Value k = linalg::IndexOp::create(b, l, transposed ? 0 : 1);
        Value block = arith::DivUIOp::create(b, l, j, index(b, l, H));
        Value i = arith::RemUIOp::create(b, l, j, index(b, l, H));
        // Block 3 reads R's h rows; W never has a block 3.
        Value row = arith::AddIOp::create(
            b, l,
            arith::MulIOp::create(
                b, l, arith::MinUIOp::create(b, l, block, index(b, l, 2)),
                index(b, l, H)),
            i);
        Value inW = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, k,
                                          index(b, l, F));
        Value kw = clampIndex(b, l, k, 0, F - 1);
        Value kr = clampIndex(
            b, l, arith::SubIOp::create(b, l, k, index(b, l, F)), 0, H - 1);
        Value fromW = tensor::ExtractOp::create(b, l, w, ValueRange{row, kw});
        Value fromR = tensor::ExtractOp::create(b, l, r, ValueRange{row, kr});
        Value zero = f32(b, l, 0.0);
        Value isH = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, block,
                                          index(b, l, 2));
        Value isHH = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                           block, index(b, l, 3));
        Value wPart = arith::SelectOp::create(b, l, isHH, zero, fromW);
        Value rPart = arith::SelectOp::create(b, l, isH, zero, fromR);
        return arith::SelectOp::create(b, l, inW, wPart, rPart);
      });
}

/// Rh^T [H, H] (`transposed`) or Rh [H, H]: rows [2H, 3H) of R.
Value gruRh(OpBuilder &b, Location loc, const Geometry &g, Value r,
            bool transposed) {
  int64_t H = g.hidden;
  MLIRContext *ctx = b.getContext();
  AffineMap read =
      transposed
          ? AffineMap::get(2, 0, {dim(ctx, 1) + 2 * H, dim(ctx, 0)}, ctx)
          : AffineMap::get(2, 0, {dim(ctx, 0) + 2 * H, dim(ctx, 1)}, ctx);
  Value rh = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({3 * H, H}, b.getF32Type()), r,
      ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(3 * H), b.getIndexAttr(H)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  return buildGeneric(b, loc, RankedTensorType::get({H, H}, b.getF32Type()), {},
                      rh, read,
                      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

/// Columns [k * H, (k + 1) * H) of `z` [N, C*H].
Value gateBlock(OpBuilder &b, Location loc, const Geometry &g, Value z,
                int64_t k) {
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                       b.getIndexAttr(k * g.hidden)};
  SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(g.hidden)};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, g.rows(g.hidden), z, offsets,
                                        sizes, strides);
}

/// Elements [offset, offset + count) of the 1-D `v`.
Value segment(OpBuilder &b, Location loc, Value v, int64_t offset,
              int64_t count) {
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({count}, b.getF32Type()), v,
      ArrayRef<OpFoldResult>{b.getIndexAttr(offset)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(count)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
}

Value addVectors(OpBuilder &b, Location loc, Value x, Value y) {
  return buildElementwise(b, loc, cast<RankedTensorType>(x.getType()), {x, y},
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            return arith::AddFOp::create(b, l, a[0], a[1]);
                          });
}

/// `value` [N, C*H] assembled from [N, H] blocks.
Value joinBlocks(OpBuilder &b, Location loc, const Geometry &g,
                 ArrayRef<Value> blocks) {
  int64_t H = g.hidden;
  Value out = emptyTensor(b, loc, g.rows(int64_t(blocks.size()) * H), g.dyn());
  for (auto [k, block] : llvm::enumerate(blocks)) {
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                         b.getIndexAttr(int64_t(k) * H)};
    SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(H)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    out = tensor::InsertSliceOp::create(b, loc, block, out, offsets, sizes,
                                        strides);
  }
  return out;
}

/// The batch sum of `v` [N, W] added to `acc` [W], in batch order.
Value addBatchSum(OpBuilder &b, Location l, Value v, Value acc) {
  MLIRContext *ctx = b.getContext();
  return linalg::GenericOp::create(
             b, l, TypeRange{acc.getType()}, ValueRange{v}, ValueRange{acc},
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2),
                                 AffineMap::get(2, 0, {dim(ctx, 1)}, ctx)},
             ArrayRef<utils::IteratorType>{utils::IteratorType::reduction,
                                           utils::IteratorType::parallel},
             [](OpBuilder &b, Location l, ValueRange a) {
               linalg::YieldOp::create(
                   b, l, ValueRange{arith::AddFOp::create(b, l, a[0], a[1])});
             })
      .getResult(0);
}

Value add2d(OpBuilder &b, Location l, Value x, Value y) {
  return buildGeneric(
      b, l, cast<RankedTensorType>(x.getType()), {}, {x, y},
      {b.getMultiDimIdentityMap(2), b.getMultiDimIdentityMap(2)},
      [](OpBuilder &b, Location l, ValueRange a) -> Value {
        return arith::AddFOp::create(b, l, a[0], a[1]);
      });
}

struct GRULowering : OpConversionPattern<GRUOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GRUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput(), mask = adaptor.getMask();
    Value w = adaptor.getW(), r = adaptor.getR(), bias = adaptor.getB();
    Geometry g = geometry(rewriter, loc, x, w, 3, 5);
    int64_t H = g.hidden;
    bool lbr = op.getLinearBeforeReset();
    int64_t blocks = lbr ? 4 : 3;

    Value m = gruWeights(rewriter, loc, g, w, r, blocks, /*transposed=*/true);
    Value rhT = lbr ? Value() : gruRh(rewriter, loc, g, r, /*transposed=*/true);
    // Wbz + Rbz, Wbr + Rbr, Wbh, Rbh.
    Value bz = addVectors(rewriter, loc, segment(rewriter, loc, bias, 0, H),
                          segment(rewriter, loc, bias, 3 * H, H));
    Value br = addVectors(rewriter, loc, segment(rewriter, loc, bias, H, H),
                          segment(rewriter, loc, bias, 4 * H, H));
    Value wbh = segment(rewriter, loc, bias, 2 * H, H);
    Value rbh = segment(rewriter, loc, bias, 5 * H, H);

    auto seqType = cast<RankedTensorType>(op.getSequence().getType());
    auto actType = cast<RankedTensorType>(op.getActivations().getType());
    Value h0 = adaptor.getInitialH();
    if (!h0)
      h0 = loopTensor(rewriter, loc, g.rows(H), g.dyn(), 0.0);
    Value seq0 = loopTensor(rewriter, loc, seqType, g.dyn());
    Value acts0 = loopTensor(rewriter, loc, actType, g.dyn());
    AffineMap id = rewriter.getMultiDimIdentityMap(2);
    AffineMap perUnit = AffineMap::get(2, 0, {dim(ctx, 1)}, ctx);
    AffineMap perRow = AffineMap::get(2, 0, {dim(ctx, 0)}, ctx);

    auto loop = scf::ForOp::create(
        rewriter, loc, index(rewriter, loc, 0), index(rewriter, loc, g.steps),
        index(rewriter, loc, 1), ValueRange{h0, seq0, acts0},
        [&](OpBuilder &b, Location l, Value t, ValueRange it) {
          Value h = it[0], seq = it[1], saved = it[2];
          Value xh = concatInputs(b, l, g, x, t, h, /*transposed=*/false);
          Value zz = contract(b, l, xh, m, g.rows(blocks * H), g.dyn());
          Value mk = mask ? readMaskStep(b, l, g, mask, t) : Value();
          // z, r and what the candidate's recurrent part is built from.
          SmallVector<Value> gates = stepGeneric(
              b, l, g,
              {gateBlock(b, l, g, zz, 0), gateBlock(b, l, g, zz, 1), bz, br, h},
              {id, id, perUnit, perUnit, id}, 3,
              [&](OpBuilder &b, Location l, ValueRange a) {
                Arith m{b, l};
                Value z = sigmoid(b, l, m.add(a[0], a[2]));
                Value rr = sigmoid(b, l, m.add(a[1], a[3]));
                return SmallVector<Value>{z, rr, m.mul(rr, a[4])};
              });
          // h_{t-1} Rh^T (linear_before_reset) or (r * h_{t-1}) Rh^T.
          Value hh = lbr ? gateBlock(b, l, g, zz, 3)
                         : contract(b, l, gates[2], rhT, g.rows(H), g.dyn());
          SmallVector<Value> inputs = {
              gateBlock(b, l, g, zz, 2), hh, wbh, rbh, gates[0], gates[1], h};
          SmallVector<AffineMap> maps = {id, id, perUnit, perUnit, id, id, id};
          if (mk) {
            inputs.push_back(mk);
            maps.push_back(perRow);
          }
          // h~, h_{t-1} Rh^T + Rbh, the carried state, the output.
          SmallVector<Value> res = stepGeneric(
              b, l, g, inputs, maps, 4,
              [&](OpBuilder &b, Location l, ValueRange a) {
                Arith m{b, l};
                Value av = m.add(a[1], a[3]);
                Value z = a[4], rr = a[5], hp = a[6];
                Value mkv = mask ? a[7] : Value();
                Value rec = lbr ? m.mul(rr, av) : av;
                Value ht =
                    math::TanhOp::create(b, l, m.add(m.add(a[0], a[2]), rec));
                Value hn = m.add(m.mul(m.sub(m.one(), z), ht), m.mul(z, hp));
                return SmallVector<Value>{ht, av, m.blend(mkv, hn, hp),
                                          m.scale(mkv, hn)};
              });
          seq = writeStep(b, l, g, res[3], seq, t, 0);
          Value savedBlocks[] = {gates[0], gates[1], res[0], res[1], res[2]};
          for (auto [k, v] : llvm::enumerate(savedBlocks))
            saved = writeStep(b, l, g, v, saved, t, int64_t(k) * H);
          scf::YieldOp::create(b, l, ValueRange{res[2], seq, saved});
        });
    rewriter.replaceOp(op, ValueRange{loop.getResult(1), loop.getResult(0),
                                      loop.getResult(2)});
    return success();
  }
};

struct GRUBackwardLowering : OpConversionPattern<GRUBackwardOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GRUBackwardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput(), mask = adaptor.getMask();
    Value saved = adaptor.getActivations(), gseq = adaptor.getGradSequence();
    Value w = adaptor.getW(), r = adaptor.getR();
    Value hInit = adaptor.getInitialH(); // read at t = 0; zero when absent
    Geometry g = geometry(rewriter, loc, x, w, 3, 5);
    int64_t H = g.hidden, F = g.features, K = g.k();
    bool lbr = op.getLinearBeforeReset();
    int64_t blocks = lbr ? 4 : 3, CH = blocks * H;

    Value mT = gruWeights(rewriter, loc, g, w, r, blocks, /*transposed=*/false);
    Value rh = lbr ? Value() : gruRh(rewriter, loc, g, r, /*transposed=*/false);
    auto f32Type = rewriter.getF32Type();
    auto dmType = RankedTensorType::get({K, CH}, f32Type);
    auto dbType = RankedTensorType::get({CH}, f32Type);
    auto hhType = RankedTensorType::get({H, H}, f32Type);
    auto hType = RankedTensorType::get({H}, f32Type);
    Value dx0 = emptyTensor(rewriter, loc, cast<RankedTensorType>(x.getType()),
                            g.dyn());
    // dh, dx, dM, db[, dRh^T, dRbh]
    SmallVector<Value> init = {adaptor.getGradLast(), dx0,
                               filledTensor(rewriter, loc, dmType, {}, 0.0),
                               filledTensor(rewriter, loc, dbType, {}, 0.0)};
    if (!lbr)
      init.append({filledTensor(rewriter, loc, hhType, {}, 0.0),
                   filledTensor(rewriter, loc, hType, {}, 0.0)});
    AffineMap id = rewriter.getMultiDimIdentityMap(2);
    AffineMap perRow = AffineMap::get(2, 0, {dim(ctx, 0)}, ctx);

    auto loop = scf::ForOp::create(
        rewriter, loc, index(rewriter, loc, 0), index(rewriter, loc, g.steps),
        index(rewriter, loc, 1), init,
        [&](OpBuilder &b, Location l, Value s, ValueRange it) {
          Value dh = it[0], dx = it[1], dm = it[2], db = it[3];
          Value t = arith::SubIOp::create(b, l, index(b, l, g.steps - 1), s);
          Value isFirst = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                                t, index(b, l, 0));
          Value tPrev =
              clampIndex(b, l, arith::SubIOp::create(b, l, t, index(b, l, 1)),
                         0, g.steps - 1);
          SmallVector<Value> prevIn = {
              readStep(b, l, g, saved, tPrev, 4 * H, H)};
          if (hInit)
            prevIn.push_back(hInit);
          Value hPrev = buildGeneric(
              b, l, g.rows(H), g.dyn(), prevIn,
              SmallVector<AffineMap>(prevIn.size(), id),
              [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                Value first = hInit ? a[1] : f32(b, l, 0.0);
                return arith::SelectOp::create(b, l, isFirst, first, a[0]);
              });
          Value z = readStep(b, l, g, saved, t, 0, H);
          Value rr = readStep(b, l, g, saved, t, H, H);
          SmallVector<Value> inputs = {z,
                                       rr,
                                       readStep(b, l, g, saved, t, 2 * H, H),
                                       readStep(b, l, g, saved, t, 3 * H, H),
                                       hPrev,
                                       readStep(b, l, g, gseq, t, 0, H),
                                       dh};
          SmallVector<AffineMap> maps(inputs.size(), id);
          if (mask) {
            inputs.push_back(readMaskStep(b, l, g, mask, t));
            maps.push_back(perRow);
          }
          // dz, dr (linear_before_reset; else 0), dh~ pre-activation,
          // dh~ * r (the recurrent candidate's gradient with
          // linear_before_reset), and dh_{t-1}'s direct part.
          SmallVector<Value> res = stepGeneric(
              b, l, g, inputs, maps, 5,
              [&](OpBuilder &b, Location l, ValueRange a) {
                Arith m{b, l};
                Value zv = a[0], rv = a[1], ht = a[2], av = a[3], hp = a[4];
                Value gy = a[5], dhc = a[6];
                Value mk = mask ? a[7] : Value();
                Value dhn = m.scale(mk, m.add(gy, dhc));
                Value pass =
                    mk ? m.mul(m.sub(m.one(), mk), dhc) : f32(b, l, 0.0);
                Value dsz = m.mul(zv, m.sub(m.one(), zv));
                Value dsr = m.mul(rv, m.sub(m.one(), rv));
                Value dzp = m.mul(m.mul(dhn, m.sub(hp, ht)), dsz);
                Value dpre = m.mul(m.mul(dhn, m.sub(m.one(), zv)),
                                   m.sub(m.one(), m.mul(ht, ht)));
                Value drp = lbr ? m.mul(m.mul(dpre, av), dsr) : f32(b, l, 0.0);
                Value direct = m.add(m.mul(dhn, zv), pass);
                return SmallVector<Value>{dzp, drp, dpre, m.mul(dpre, rv),
                                          direct};
              });
          Value dzp = res[0], drp = res[1], dpre = res[2], direct = res[4];
          SmallVector<Value> next;
          Value dg;
          if (lbr) {
            dg = joinBlocks(b, l, g, {dzp, drp, dpre, res[3]});
          } else {
            // d(r * h_{t-1}) = dh~ x Rh; it reaches r and h_{t-1}.
            Value drh = contract(b, l, dpre, rh, g.rows(H), g.dyn());
            SmallVector<Value> part = stepGeneric(
                b, l, g, {drh, rr, hPrev, direct}, {id, id, id, id}, 2,
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Arith m{b, l};
                  Value dsr = m.mul(a[1], m.sub(m.one(), a[1]));
                  return SmallVector<Value>{m.mul(m.mul(a[0], a[2]), dsr),
                                            m.add(a[3], m.mul(a[0], a[1]))};
                });
            drp = part[0];
            direct = part[1];
            dg = joinBlocks(b, l, g, {dzp, drp, dpre});
          }

          // dxh = dG x M^T: dx_t and the rest of dh_{t-1}.
          Value dxh = contract(b, l, dg, mT, g.rows(K), g.dyn());
          {
            SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                                 b.getIndexAttr(0)};
            SmallVector<OpFoldResult> sizes = {g.nSize(), b.getIndexAttr(F)};
            SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
            Value dxt = tensor::ExtractSliceOp::create(b, l, g.rows(F), dxh,
                                                       offsets, sizes, strides);
            dx = writeStep(b, l, g, dxt, dx, t, 0);
          }
          Value dhNext = buildGeneric(
              b, l, g.rows(H), g.dyn(), {direct, dxh},
              {id, AffineMap::get(2, 0, {dim(ctx, 0), dim(ctx, 1) + F}, ctx)},
              [](OpBuilder &b, Location l, ValueRange a) -> Value {
                return arith::AddFOp::create(b, l, a[0], a[1]);
              });
          // dM += xh^T x dG; db += the batch sum of dG.
          Value xhT = concatInputs(b, l, g, x, t, hPrev, /*transposed=*/true);
          next = {dhNext, dx,
                  add2d(b, l, dm, contract(b, l, xhT, dg, dmType, {})),
                  addBatchSum(b, l, dg, db)};
          if (!lbr) {
            // dRh^T += (r * h_{t-1})^T x dh~ (the batch as K).
            AffineMap tr =
                AffineMap::get(2, 0, {dim(ctx, 1), dim(ctx, 0)}, ctx);
            SmallVector<Value> dynT = g.dyn();
            Value rhPrevT = buildGeneric(
                b, l, RankedTensorType::get({H, g.batch}, f32Type), dynT,
                {rr, hPrev}, {tr, tr},
                [](OpBuilder &b, Location l, ValueRange a) -> Value {
                  return arith::MulFOp::create(b, l, a[0], a[1]);
                });
            next.push_back(
                add2d(b, l, it[4], contract(b, l, rhPrevT, dpre, hhType, {})));
            next.push_back(addBatchSum(b, l, dpre, it[5]));
          }
          scf::YieldOp::create(b, l, next);
        });

    Value dm = loop.getResult(2), db = loop.getResult(3);
    Value dRhT = lbr ? Value() : loop.getResult(4);
    Value dRbh = lbr ? Value() : loop.getResult(5);
    auto index2 = [&](OpBuilder &b, Location l, int64_t v) {
      return index(b, l, v);
    };
    // dW [3H, F]: dM's x rows, blocks z, r, h.
    Value dw = buildGeneric(
        rewriter, loc, RankedTensorType::get({3 * H, F}, f32Type), {}, {}, {},
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Value j = linalg::IndexOp::create(b, l, 0);
          Value k = linalg::IndexOp::create(b, l, 1);
          return tensor::ExtractOp::create(b, l, dm, ValueRange{k, j});
        });
    // dR [3H, H]: dM's h rows for z and r; for h, block 3 of dM
    // (linear_before_reset) or dRh^T.
    Value dr = buildGeneric(
        rewriter, loc, RankedTensorType::get({3 * H, H}, f32Type), {}, {}, {},
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Value j = linalg::IndexOp::create(b, l, 0);
          Value k = linalg::IndexOp::create(b, l, 1);
          Value isH = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, j,
                                            index2(b, l, 2 * H));
          Value i = arith::RemUIOp::create(b, l, j, index2(b, l, H));
          Value kr = arith::AddIOp::create(b, l, k, index2(b, l, F));
          Value zr = tensor::ExtractOp::create(
              b, l, dm, ValueRange{kr, clampIndex(b, l, j, 0, 2 * H - 1)});
          Value hPart =
              lbr ? tensor::ExtractOp::create(
                        b, l, dm,
                        ValueRange{kr, arith::AddIOp::create(
                                           b, l, i, index2(b, l, 3 * H))})
                        .getResult()
                  : tensor::ExtractOp::create(b, l, dRhT, ValueRange{k, i})
                        .getResult();
          return arith::SelectOp::create(b, l, isH, hPart, zr);
        });
    // dB [6H]: Wb gets db's z, r, h blocks; Rb the z and r ones again and
    // for h block 3 (linear_before_reset) or dRbh.
    Value dbias = buildGeneric(
        rewriter, loc, RankedTensorType::get({6 * H}, f32Type), {}, {}, {},
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Value q = linalg::IndexOp::create(b, l, 0);
          Value q3 = arith::RemUIOp::create(b, l, q, index2(b, l, 3 * H));
          Value i = arith::RemUIOp::create(b, l, q, index2(b, l, H));
          Value rhBlock = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge,
                                                q, index2(b, l, 5 * H));
          Value common = tensor::ExtractOp::create(b, l, db, ValueRange{q3});
          Value hPart =
              lbr ? tensor::ExtractOp::create(
                        b, l, db,
                        ValueRange{arith::AddIOp::create(b, l, i,
                                                         index2(b, l, 3 * H))})
                        .getResult()
                  : tensor::ExtractOp::create(b, l, dRbh, ValueRange{i})
                        .getResult();
          return arith::SelectOp::create(b, l, rhBlock, hPart, common);
        });
    rewriter.replaceOp(op, ValueRange{loop.getResult(1), dw, dr, dbias,
                                      loop.getResult(0)}); // ..., dh_0
    return success();
  }
};

} // namespace

void mlir::nn::populateNNRecurrentToLinalgPatterns(
    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<RecurrentLowering<RNNOp>>(ctx, 1, 1);
  patterns.add<RecurrentLowering<LSTMOp>>(ctx, 4, 6);
  patterns.add<RecurrentBackwardLowering<RNNBackwardOp>>(ctx, 1, 1);
  patterns.add<RecurrentBackwardLowering<LSTMBackwardOp>>(ctx, 4, 6);
  patterns.add<GRULowering, GRUBackwardLowering>(ctx);
}
