//===- Sequence.cpp - embeddings and recurrent layers ---------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Shape inference and VJP rules of `nn.embedding`, `nn.sequence_mask`,
// `nn.rnn`, `nn.lstm` and `nn.gru`. A recurrent op saves its per-step
// activations as a third result, so its rule is a single backward op
// (backpropagation through time over the saved steps) rather than a re-run of
// the forward.
//
//===----------------------------------------------------------------------===//

#include "GradientUtils.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::nn;

static RankedTensorType ranked(Type t) { return cast<RankedTensorType>(t); }

static bool staticTail(RankedTensorType t) {
  return llvm::none_of(t.getShape().drop_front(), ShapedType::isDynamic);
}

LogicalResult mlir::nn::inferEmbedding(std::optional<Location> loc, Type ids,
                                       Type table,
                                       SmallVectorImpl<Type> &types) {
  auto idsType = ranked(ids), tableType = ranked(table);
  if (idsType.getRank() != 2 || !staticTail(idsType))
    return emitOptionalError(loc, "expects ids [N, T] with a static T, got ",
                             ids);
  if (tableType.getRank() != 2 || !tableType.hasStaticShape())
    return emitOptionalError(loc, "expects a static table [V, D], got ", table);
  types.push_back(RankedTensorType::get(
      {idsType.getDimSize(0), idsType.getDimSize(1), tableType.getDimSize(1)},
      tableType.getElementType()));
  return success();
}

LogicalResult mlir::nn::inferEmbeddingBackward(std::optional<Location> loc,
                                               Type grad, Type ids, Type table,
                                               SmallVectorImpl<Type> &types) {
  SmallVector<Type> forward;
  if (failed(inferEmbedding(loc, ids, table, forward)))
    return failure();
  if (failed(verifyCompatibleShape(grad, forward[0])))
    return emitOptionalError(loc,
                             "expects a gradient of embedding's result "
                             "type ",
                             forward[0], ", got ", grad);
  types.push_back(table);
  return success();
}

LogicalResult mlir::nn::inferSequenceMask(std::optional<Location> loc, Type ids,
                                          SmallVectorImpl<Type> &types) {
  auto idsType = ranked(ids);
  if (idsType.getRank() != 2 || !staticTail(idsType))
    return emitOptionalError(loc, "expects ids [N, T] with a static T, got ",
                             ids);
  types.push_back(RankedTensorType::get(idsType.getShape(),
                                        Float32Type::get(ids.getContext())));
  return success();
}

/// Checks a recurrent op's operands; sets H.
static LogicalResult checkRecurrent(std::optional<Location> loc, int64_t gates,
                                    Type input, Type w, Type r, Type b,
                                    Type mask, int64_t &hidden) {
  auto x = ranked(input), wt = ranked(w), rt = ranked(r), bt = ranked(b);
  if (x.getRank() != 3 || !staticTail(x))
    return emitOptionalError(loc,
                             "expects a sequence input [N, T, F] with "
                             "static T and F, got ",
                             input);
  if (wt.getRank() != 2 || !wt.hasStaticShape() ||
      wt.getDimSize(0) % gates != 0 || wt.getDimSize(1) != x.getDimSize(2))
    return emitOptionalError(loc, "expects W [", gates, "*H, ", x.getDimSize(2),
                             "], got ", w);
  hidden = wt.getDimSize(0) / gates;
  if (rt.getRank() != 2 || !rt.hasStaticShape() ||
      rt.getDimSize(0) != gates * hidden || rt.getDimSize(1) != hidden)
    return emitOptionalError(loc, "expects R [", gates * hidden, ", ", hidden,
                             "], got ", r);
  if (bt.getRank() != 1 || bt.getDimSize(0) != 2 * gates * hidden)
    return emitOptionalError(loc, "expects B [", 2 * gates * hidden,
                             "] (Wb then Rb), got ", b);
  if (mask) {
    auto mt = ranked(mask);
    if (mt.getRank() != 2 || mt.getDimSize(1) != x.getDimSize(1) ||
        failed(verifyCompatibleShape(ArrayRef<int64_t>{mt.getDimSize(0)},
                                     ArrayRef<int64_t>{x.getDimSize(0)})))
      return emitOptionalError(loc, "expects a mask [N, ", x.getDimSize(1),
                               "] like the input's steps, got ", mask);
  }
  return success();
}

/// An initial state, when present, must be [N, H] like the last state.
static LogicalResult checkState(std::optional<Location> loc, Type state,
                                Type last, StringRef name) {
  if (!state)
    return success();
  auto st = ranked(state), lt = ranked(last);
  if (st.getRank() != 2 || st.getDimSize(1) != lt.getDimSize(1) ||
      failed(verifyCompatibleShape(ArrayRef<int64_t>{st.getDimSize(0)},
                                   ArrayRef<int64_t>{lt.getDimSize(0)})))
    return emitOptionalError(loc, "expects ", name, " ", last,
                             " (batch, hidden), got ", state);
  return success();
}

LogicalResult mlir::nn::inferRecurrent(std::optional<Location> loc,
                                       int64_t gates, int64_t acts, Type input,
                                       Type w, Type r, Type b, Type mask,
                                       Type initialH,
                                       SmallVectorImpl<Type> &types) {
  int64_t h;
  if (failed(checkRecurrent(loc, gates, input, w, r, b, mask, h)))
    return failure();
  auto x = ranked(input);
  Type f32 = x.getElementType();
  int64_t n = x.getDimSize(0), t = x.getDimSize(1);
  Type last = RankedTensorType::get({n, h}, f32);
  if (failed(checkState(loc, initialH, last, "initial_h")))
    return failure();
  types.push_back(RankedTensorType::get({n, t, h}, f32));
  types.push_back(last);
  types.push_back(RankedTensorType::get({n, t, acts * h}, f32));
  return success();
}

LogicalResult mlir::nn::inferRecurrentBackward(
    std::optional<Location> loc, int64_t gates, int64_t acts, Type gradSequence,
    Type gradLast, Type input, Type w, Type r, Type activations, Type mask,
    Type initialH, SmallVectorImpl<Type> &types) {
  int64_t h;
  auto wt = ranked(w);
  Type b = RankedTensorType::get({2 * wt.getDimSize(0)}, wt.getElementType());
  if (failed(checkRecurrent(loc, gates, input, w, r, b, mask, h)))
    return failure();
  SmallVector<Type> forward;
  (void)inferRecurrent(loc, gates, acts, input, w, r, b, mask, Type(), forward);
  if (failed(verifyCompatibleShape(gradSequence, forward[0])) ||
      failed(verifyCompatibleShape(gradLast, forward[1])) ||
      failed(verifyCompatibleShape(activations, forward[2])))
    return emitOptionalError(loc, "expects gradients ", forward[0], " and ",
                             forward[1], " and activations ", forward[2]);
  if (failed(checkState(loc, initialH, gradLast, "initial_h")))
    return failure();
  // The initial state's gradient has the batch of the input.
  auto x = ranked(input), g = ranked(gradLast);
  Type state = RankedTensorType::get({x.getDimSize(0), g.getDimSize(1)},
                                     g.getElementType());
  types.append({input, w, r, b, state});
  return success();
}

LogicalResult mlir::nn::inferLSTM(std::optional<Location> loc, Type input,
                                  Type w, Type r, Type b, Type mask,
                                  Type initialH, Type initialC,
                                  SmallVectorImpl<Type> &types) {
  if (failed(inferRecurrent(loc, 4, 6, input, w, r, b, mask, initialH, types)))
    return failure();
  Type last = types[1];
  if (failed(checkState(loc, initialC, last, "initial_c")))
    return failure();
  types.push_back(last);
  return success();
}

LogicalResult mlir::nn::inferLSTMBackward(std::optional<Location> loc,
                                          Type gradSequence, Type gradLast,
                                          Type gradLastCell, Type input, Type w,
                                          Type r, Type activations, Type mask,
                                          Type initialH, Type initialC,
                                          SmallVectorImpl<Type> &types) {
  if (failed(inferRecurrentBackward(loc, 4, 6, gradSequence, gradLast, input, w,
                                    r, activations, mask, initialH, types)))
    return failure();
  if (failed(verifyCompatibleShape(gradLastCell, gradLast)))
    return emitOptionalError(loc, "expects the last cell state's gradient ",
                             gradLast, ", got ", gradLastCell);
  if (failed(checkState(loc, initialC, gradLast, "initial_c")))
    return failure();
  types.push_back(types.back()); // d c_0, shaped as d h_0
  return success();
}

LogicalResult EmbeddingOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.push_back(Value()); // ids
  grads.push_back(EmbeddingBackwardOp::create(
      b, getLoc(), resultGrads[0], getIds(), getTable(), getPaddingIdxAttr()));
  return success();
}

template <typename BackwardOp, typename Op, typename... Attrs>
static LogicalResult
recurrentGradients(Op op, OpBuilder &b, ValueRange resultGrads,
                   SmallVectorImpl<Value> &grads, Attrs... attrs) {
  auto back = BackwardOp::create(
      b, op.getLoc(), resultGrads[0], resultGrads[1], op.getInput(), op.getW(),
      op.getR(), op.getActivations(), op.getMask(), op.getInitialH(), attrs...);
  grads.append({back.getDInput(), back.getDW(), back.getDR(), back.getDB()});
  if (op.getMask())
    grads.push_back(Value());
  if (op.getInitialH())
    grads.push_back(back.getDInitialH());
  return success();
}

LogicalResult RNNOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  return recurrentGradients<RNNBackwardOp>(*this, b, resultGrads, grads);
}

LogicalResult LSTMOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  // resultGrads: sequence, last h, activations (ignored), last c.
  auto back = LSTMBackwardOp::create(b, getLoc(), resultGrads[0],
                                     resultGrads[1], resultGrads[3], getInput(),
                                     getW(), getR(), getActivations(),
                                     getMask(), getInitialH(), getInitialC());
  grads.append({back.getDInput(), back.getDW(), back.getDR(), back.getDB()});
  if (getMask())
    grads.push_back(Value());
  if (getInitialH())
    grads.push_back(back.getDInitialH());
  if (getInitialC())
    grads.push_back(back.getDInitialC());
  return success();
}

LogicalResult GRUOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  return recurrentGradients<GRUBackwardOp>(*this, b, resultGrads, grads,
                                           getLinearBeforeResetAttr());
}
