//===- Recurrent.cpp - nn.rnn / nn.lstm and their BPTT to linalg ----------===//
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

#include "mlir/Dialect/SCF/IR/SCF.h"

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

Geometry geometry(OpBuilder &b, Location loc, Value x, Value w,
                  int64_t gates, int64_t acts) {
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
        Value kr = clampIndex(
            b, l, arith::SubIOp::create(b, l, k, index(b, l, f)), 0,
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
        Value kh = clampIndex(
            b, l, arith::SubIOp::create(b, l, k, index(b, l, f)), 0,
            g.hidden - 1);
        Value fromX = tensor::ExtractOp::create(b, l, x, ValueRange{n, t, kx});
        Value fromH =
            tensor::ExtractOp::create(b, l, hprev, ValueRange{n, kh});
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

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

template <typename Op>
struct RecurrentLowering : OpConversionPattern<Op> {
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
            rewriter, loc, RankedTensorType::get({H}, rewriter.getF32Type()),
            b, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(offset)},
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
    Value h0 = filledTensor(rewriter, loc, g.rows(H), g.dyn(), 0.0);
    Value seq0 = emptyTensor(rewriter, loc, seqType, g.dyn());
    Value acts0 = emptyTensor(rewriter, loc, actType, g.dyn());
    SmallVector<Value> init = {h0, h0, seq0, acts0}; // h, c, seq, acts

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
                return SmallVector<Value>{i, o, f, cc, m.blend(mk, cn, cp),
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
    rewriter.replaceOp(op, ValueRange{loop.getResult(2), loop.getResult(0),
                                      loop.getResult(3)});
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
    Value dx0 = emptyTensor(rewriter, loc,
                            cast<RankedTensorType>(x.getType()), g.dyn());
    // dh, dc, dx, d[W|R]^T, db
    SmallVector<Value> init = {adaptor.getGradLast(), dc0, dx0, dwr0, db0};
    auto d = [&](unsigned i) { return dim(ctx, i); };

    auto loop = scf::ForOp::create(
        rewriter, loc, index(rewriter, loc, 0), index(rewriter, loc, g.steps),
        index(rewriter, loc, 1), init,
        [&](OpBuilder &b, Location l, Value s, ValueRange it) {
          Value dh = it[0], dc = it[1], dx = it[2], dwr = it[3], db = it[4];
          // t = T - 1 - s; the previous step's state is zero at t = 0.
          Value t = arith::SubIOp::create(b, l, index(b, l, g.steps - 1), s);
          Value isFirst = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                                t, index(b, l, 0));
          Value tPrev = clampIndex(
              b, l, arith::SubIOp::create(b, l, t, index(b, l, 1)), 0,
              g.steps - 1);
          auto previous = [&](int64_t block) {
            Value v = readStep(b, l, g, saved, tPrev, block * H, H);
            return buildGeneric(
                b, l, g.rows(H), g.dyn(), v, b.getMultiDimIdentityMap(2),
                [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                  return arith::SelectOp::create(b, l, isFirst,
                                                 f32(b, l, 0.0), a[0]);
                });
          };
          Value hPrev = previous(hBlock);

          SmallVector<Value> inputs;
          int64_t own = lstm ? 5 : 1; // i, o, f, c~, c_t | h_t
          for (int64_t k = 0; k < own; ++k)
            inputs.push_back(readStep(b, l, g, saved, t, k * H, H));
          if (lstm)
            inputs.push_back(previous(cBlock));
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
                Value pass = mk ? m.mul(m.sub(m.one(), mk), dhc)
                                : f32(b, l, 0.0);
                auto dsig = [&](Value y) { return m.mul(y, m.sub(m.one(), y)); };
                auto dtanh = [&](Value y) {
                  return m.sub(m.one(), m.mul(y, y));
                };
                if (!lstm)
                  return SmallVector<Value>{m.mul(dhn, dtanh(a[0])), pass};
                Value i = a[0], o = a[1], f = a[2], cc = a[3], ct = a[4],
                      cp = a[5];
                Value tc = math::TanhOp::create(b, l, ct);
                Value dcn = m.add(m.scale(mk, dcc),
                                  m.mul(m.mul(dhn, o), dtanh(tc)));
                Value dzi = m.mul(m.mul(dcn, cc), dsig(i));
                Value dzo = m.mul(m.mul(dhn, tc), dsig(o));
                Value dzf = m.mul(m.mul(dcn, cp), dsig(f));
                Value dzc = m.mul(m.mul(dcn, i), dtanh(cc));
                Value dcp = m.add(
                    mk ? m.mul(m.sub(m.one(), mk), dcc) : f32(b, l, 0.0),
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
            Value dxt = tensor::ExtractSliceOp::create(
                b, l, g.rows(F), dxh, offsets, sizes, strides);
            dx = writeStep(b, l, g, dxt, dx, t, 0);
          }
          Value dhNext = buildGeneric(
              b, l, g.rows(H), g.dyn(), {pass, dxh},
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
              b, l,
              ValueRange{dhNext, dcNext, dx, dwrNext, sum.getResult(0)});
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
    Value dw = buildGeneric(rewriter, loc,
                            RankedTensorType::get({GH, F}, f32Type), {},
                            rowsOf(0, F), transpose, copy);
    Value dr = buildGeneric(rewriter, loc,
                            RankedTensorType::get({GH, H}, f32Type), {},
                            rowsOf(F, H), transpose, copy);
    // Wb and Rb are added, so both get the bias gradient.
    Value dbias = buildGeneric(rewriter, loc,
                               RankedTensorType::get({2 * GH}, f32Type), {}, db,
                               AffineMap::get(1, 0, {d(0) % GH}, ctx), copy);
    rewriter.replaceOp(op, ValueRange{loop.getResult(2), dw, dr, dbias});
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
}
