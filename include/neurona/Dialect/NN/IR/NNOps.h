//===- NNOps.h - nn dialect operations --------------------------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DIALECT_NN_IR_NNOPS_H
#define NEURONA_DIALECT_NN_IR_NNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "neurona/Dialect/NN/IR/NNDialect.h"
#include "neurona/Dialect/NN/IR/NNInterfaces.h.inc"

namespace mlir::nn {

/// Shape inference shared by op families, called from the generated
/// `inferReturnTypes` of the ops that name them in NNOps.td. Each appends the
/// result types or emits an error at `loc`.
LogicalResult inferConstant(std::optional<Location> loc, Attribute value,
                            SmallVectorImpl<Type> &types);
LogicalResult inferBroadcast(std::optional<Location> loc, Type lhs, Type rhs,
                             SmallVectorImpl<Type> &types);
LogicalResult inferSameAsInput(Type input, SmallVectorImpl<Type> &types);
LogicalResult inferMatmul(std::optional<Location> loc, Type lhs, Type rhs,
                          bool transposeLhs, bool transposeRhs,
                          bool batchReduce, SmallVectorImpl<Type> &types);
LogicalResult inferLike(std::optional<Location> loc, Type input, Type like,
                        SmallVectorImpl<Type> &types);
LogicalResult inferReduce(std::optional<Location> loc, Type input,
                          ArrayRef<int64_t> axes, bool keepdims,
                          SmallVectorImpl<Type> &types);
LogicalResult inferScalar(MLIRContext *context, SmallVectorImpl<Type> &types);
LogicalResult inferTranspose(std::optional<Location> loc, Type input,
                             ArrayRef<int64_t> perm,
                             SmallVectorImpl<Type> &types);
LogicalResult inferConcat(std::optional<Location> loc, ValueRange inputs,
                          int64_t axis, SmallVectorImpl<Type> &types);
LogicalResult inferSlice(std::optional<Location> loc, Type input,
                         ArrayRef<int64_t> axes, ArrayRef<int64_t> starts,
                         ArrayRef<int64_t> ends, ArrayRef<int64_t> steps,
                         SmallVectorImpl<Type> &types);
LogicalResult inferSliceScatter(std::optional<Location> loc, Type base,
                                Type source, ArrayRef<int64_t> axes,
                                ArrayRef<int64_t> starts,
                                ArrayRef<int64_t> ends, ArrayRef<int64_t> steps,
                                SmallVectorImpl<Type> &types);
/// An f32 tensor of `like`'s shape (random_normal, random_uniform).
LogicalResult inferRandomLike(std::optional<Location> loc, Type like,
                              SmallVectorImpl<Type> &types);
LogicalResult inferOneHot(std::optional<Location> loc, Type labels,
                          int64_t depth, SmallVectorImpl<Type> &types);

/// Sequences (Sequence.cpp): embedding lookups, the mask of padded steps
/// and recurrent layers with `gates` gate blocks and `acts` saved
/// activations of H per step.
/// Comparison: `lhs` and `rhs` have the same element type and broadcasting
/// shapes; the result is i1.
LogicalResult inferCompare(std::optional<Location> loc, Type lhs, Type rhs,
                           SmallVectorImpl<Type> &types);
/// `where`: an i1 condition and `x`, `y` of one element type, all three
/// broadcast together.
LogicalResult inferWhere(std::optional<Location> loc, Type condition, Type x,
                         Type y, SmallVectorImpl<Type> &types);
/// argmax/argmin: `input` without (or with a size-1) `axis`, as i64.
LogicalResult inferArgReduce(std::optional<Location> loc, Type input,
                             int64_t axis, bool keepdims,
                             SmallVectorImpl<Type> &types);
/// gather: `data[:axis] ++ indices ++ data[axis+1:]`.
LogicalResult inferGather(std::optional<Location> loc, Type data, Type indices,
                          int64_t axis, SmallVectorImpl<Type> &types);

LogicalResult inferEmbedding(std::optional<Location> loc, Type ids, Type table,
                             SmallVectorImpl<Type> &types);
LogicalResult inferEmbeddingBackward(std::optional<Location> loc, Type grad,
                                     Type ids, Type table,
                                     SmallVectorImpl<Type> &types);
LogicalResult inferSequenceMask(std::optional<Location> loc, Type ids,
                                SmallVectorImpl<Type> &types);
/// nn.rnn / nn.gru (and nn.lstm's first three results): the outputs
/// [N, T, H], the last state [N, H] and the activations [N, T, acts*H];
/// `initialH` (null when absent) must be [N, H].
LogicalResult inferRecurrent(std::optional<Location> loc, int64_t gates,
                             int64_t acts, Type input, Type w, Type r, Type b,
                             Type mask, Type initialH,
                             SmallVectorImpl<Type> &types);
/// nn.lstm: inferRecurrent's three results, then the last cell state
/// [N, H]; `initialH` and `initialC` (null when absent) must be [N, H].
LogicalResult inferLSTM(std::optional<Location> loc, Type input, Type w, Type r,
                        Type b, Type mask, Type initialH, Type initialC,
                        SmallVectorImpl<Type> &types);
LogicalResult inferLSTMBackward(std::optional<Location> loc, Type gradSequence,
                                Type gradLast, Type gradLastCell, Type input,
                                Type w, Type r, Type activations, Type mask,
                                Type initialH, Type initialC,
                                SmallVectorImpl<Type> &types);
/// d input, d W, d R, d B and d h_0 [N, H] of nn.rnn_backward /
/// nn.gru_backward; `initialH` (null when absent) must be [N, H].
LogicalResult inferRecurrentBackward(std::optional<Location> loc, int64_t gates,
                                     int64_t acts, Type gradSequence,
                                     Type gradLast, Type input, Type w, Type r,
                                     Type activations, Type mask, Type initialH,
                                     SmallVectorImpl<Type> &types);

LogicalResult inferConv2d(std::optional<Location> loc, Type input, Type weight,
                          Type bias, ArrayRef<int64_t> strides,
                          ArrayRef<int64_t> padding,
                          ArrayRef<int64_t> dilations, int64_t groups,
                          SmallVectorImpl<Type> &types);
/// nn.conv_transpose2d: weight [C, OC / groups, KH, KW]; the result is
/// conv2d's input shape for which conv2d with the same attributes maps
/// back to `input`'s size, plus `outputPadding` rows and columns.
LogicalResult inferConvTranspose2d(std::optional<Location> loc, Type input,
                                   Type weight, Type bias,
                                   ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> padding,
                                   ArrayRef<int64_t> outputPadding,
                                   ArrayRef<int64_t> dilations, int64_t groups,
                                   SmallVectorImpl<Type> &types);
/// The input's type (`wantInput`) or the weight's, after checking that
/// `grad` has the type of conv2d's result.
LogicalResult inferConv2dBackward(std::optional<Location> loc, Type grad,
                                  Type input, Type weight,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> padding,
                                  ArrayRef<int64_t> dilations, int64_t groups,
                                  bool wantInput, SmallVectorImpl<Type> &types);
LogicalResult inferPool2d(std::optional<Location> loc, Type input,
                          ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                          ArrayRef<int64_t> padding, bool ceilMode,
                          SmallVectorImpl<Type> &types);
LogicalResult inferGlobalPool2d(std::optional<Location> loc, Type input,
                                SmallVectorImpl<Type> &types);
LogicalResult inferBatchNorm(std::optional<Location> loc, Type input,
                             Type stats, SmallVectorImpl<Type> &types);

/// Batch normalization with the batch's own statistics, as `nn.batch_norm`
/// in training mode and ONNX's BatchNormalization with training_mode=1
/// compute it: the mean and the population variance of `x` [N, C, ...] over
/// every axis but the channels (two passes, no E[x^2] - E[x]^2
/// cancellation), and y = (x - mean) / sqrt(var + epsilon) * scale + bias
/// with `scale` and `bias` [C]. Returns y, the mean and the variance, the
/// last two [1, C, 1, ...]; the callers update running statistics by their
/// own conventions.
SmallVector<Value, 3> buildBatchStatistics(OpBuilder &b, Location loc, Value x,
                                           Value scale, Value bias,
                                           float epsilon);

/// Builds `nn.batch_norm`'s computation from reductions and elementwise nn
/// ops: in training mode with the batch's statistics, else with the running
/// ones (the op's description gives the formulas). Returns the output and
/// the new running mean and variance, which in inference mode are
/// `runningMean` and `runningVar` themselves. `x` is [N, C, ...], the others
/// are [C]. The lowering and `nn-autodiff` share it.
SmallVector<Value, 3> buildBatchNorm(OpBuilder &b, Location loc, Value x,
                                     Value scale, Value bias, Value runningMean,
                                     Value runningVar, float epsilon,
                                     float momentum, bool training);

/// Checks the window attributes convolutions and pools share: 2 positive
/// strides and 4 non-negative paddings [top, left, bottom, right].
LogicalResult checkStridesAndPadding(std::optional<Location> loc,
                                     ArrayRef<int64_t> strides,
                                     ArrayRef<int64_t> padding);

/// Output size of a sliding window along one dimension (conv and pooling):
/// `size` positions padded by `before` and `after`, a window of `kernel`
/// dilated by `dilation`, moved by `stride`. With `ceilMode` the count
/// rounds up but a window starting in the trailing padding is dropped
/// (PyTorch's rule). Zero or less when the window does not fit.
int64_t windowOutputSize(int64_t size, int64_t kernel, int64_t stride,
                         int64_t before, int64_t after, int64_t dilation,
                         bool ceilMode);

/// The broadcast of two shapes under numpy rules; nullopt when they are
/// incompatible. A dynamic dimension (the batch) matches another dynamic one
/// or stretches a 1, and is incompatible with any other fixed size.
std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b);

/// Axes sorted, deduplicated and made non-negative; nullopt if out of range.
std::optional<SmallVector<int64_t>> normalizeAxes(ArrayRef<int64_t> axes,
                                                  int64_t rank);

/// Resolves a possibly negative axis against `rank`; -1 when out of range.
int64_t normalizeAxis(int64_t axis, int64_t rank);

/// Number of elements `start, start + step, ...` strictly before `end` (after
/// it for a negative step); 0 when there are none or `step` is 0.
int64_t sliceLength(int64_t start, int64_t end, int64_t step);

} // namespace mlir::nn

#define GET_OP_CLASSES
#include "neurona/Dialect/NN/IR/NNOps.h.inc"

#endif // NEURONA_DIALECT_NN_IR_NNOPS_H
