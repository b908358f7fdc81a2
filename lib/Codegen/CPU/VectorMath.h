//===- VectorMath.h - math ops in the CPU pipeline's vector code ----------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Which `math` ops vector code may hold. `neurona-cpu-approximate-math`
// turns some into polynomials (plain arithmetic, vector or scalar); LLVM
// lowers some others to vector instructions. Every other math function
// (erf, pow, sin, ...) becomes a libm call per lane after the vector
// lowering has run, and cannot be unrolled, so the vectorizing passes leave
// loops that hold one to the loop lowering.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_CODEGEN_CPU_VECTORMATH_H
#define NEURONA_LIB_CODEGEN_CPU_VECTORMATH_H

#include "mlir/Dialect/Math/IR/Math.h"

namespace neurona {

/// Whether `neurona-cpu-approximate-math` replaces the op named `name` by a
/// polynomial (exp, expm1, log, log1p, log2, tanh).
inline bool isPolynomialMath(llvm::StringRef name) {
  using namespace mlir::math;
  for (llvm::StringRef op :
       {ExpOp::getOperationName(), ExpM1Op::getOperationName(),
        LogOp::getOperationName(), Log1pOp::getOperationName(),
        Log2Op::getOperationName(), TanhOp::getOperationName()})
    if (name == op)
      return true;
  return false;
}

/// Whether `op` may be part of vector code: not a math op, a polynomial
/// (above), or one that LLVM lowers to vector instructions.
inline bool isVectorizableMath(mlir::Operation *op) {
  using namespace mlir::math;
  if (!llvm::isa<MathDialect>(op->getDialect()))
    return true;
  return isPolynomialMath(op->getName().getStringRef()) ||
         llvm::isa<SqrtOp, RsqrtOp, AbsFOp, FloorOp, CeilOp, FmaOp, CopySignOp,
                   RoundEvenOp, TruncOp>(op);
}

} // namespace neurona

#endif // NEURONA_LIB_CODEGEN_CPU_VECTORMATH_H
