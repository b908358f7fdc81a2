//===- WindowUtils.h - builders shared by conv and pooling ------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_CONVERSION_NNTOLINALG_WINDOWUTILS_H
#define NEURONA_LIB_CONVERSION_NNTOLINALG_WINDOWUTILS_H

#include "LoweringUtils.h"

namespace mlir::nn::lowering {

/// The NCHW `image` with `before[d]` / `after[d]` rows (d = 0) and columns
/// (d = 1) of `fill` around it.
Value padImage(OpBuilder &b, Location loc, Value image,
               ArrayRef<int64_t> before, ArrayRef<int64_t> after, double fill);

/// Builds a `linalg.generic` over (n, c, h, w, kh, kw) that sums into a
/// fresh NCHW tensor of `resultType` (dynamic batch taken from `like`) what
/// the windows of a strided, padded, dilated sliding window send back to the
/// positions they read: the adjoint of a window gather. For a position (h, w)
/// and a window offset (kh, kw) there is at most one window (oh, ow) that
/// read it, when `h + top - kh * dilation` is a non-negative multiple of the
/// stride below `outSize`. `contribution(b, loc, nchw, kh, kw, oh, ow)`
/// returns that window's share; where there is no such window its result is
/// discarded, and oh, ow are clamped to 0 so that its reads stay in bounds.
using ScatterFn = function_ref<Value(OpBuilder &, Location, ValueRange nchw,
                                     Value kh, Value kw, Value oh, Value ow)>;
Value buildWindowScatter(OpBuilder &b, Location loc,
                         RankedTensorType resultType, Value like,
                         ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                         ArrayRef<int64_t> padding, ArrayRef<int64_t> dilations,
                         ArrayRef<int64_t> outSize, ScatterFn contribution);

} // namespace mlir::nn::lowering

#endif // NEURONA_LIB_CONVERSION_NNTOLINALG_WINDOWUTILS_H
