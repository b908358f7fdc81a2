//===- Optimizer.cpp - optimizer update ops -------------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The hyperparameters of an update are attributes, so a bad value is caught
// where the IR is built rather than as NaNs several steps into training.
// The ranges are PyTorch's (torch.optim.SGD, Adam, AdamW check the same).
//
//===----------------------------------------------------------------------===//

#include "neurona/Dialect/NN/IR/NNOps.h"

using namespace mlir;
using namespace mlir::nn;

static bool inUnitInterval(APFloat v) {
  double d = v.convertToDouble();
  return d >= 0.0 && d < 1.0;
}

LogicalResult SGDUpdateOp::verify() {
  if (!inUnitInterval(getMomentum()))
    return emitOpError("momentum must be in [0, 1), got ")
           << getMomentum().convertToDouble();
  if (!(getWeightDecay().convertToDouble() >= 0.0))
    return emitOpError("weight_decay must be >= 0, got ")
           << getWeightDecay().convertToDouble();
  if (getNesterov() && getMomentum().isZero())
    return emitOpError("nesterov needs a momentum > 0");
  return success();
}

LogicalResult AdamUpdateOp::verify() {
  if (!inUnitInterval(getBeta1()) || !inUnitInterval(getBeta2()))
    return emitOpError("beta1 and beta2 must be in [0, 1), got ")
           << getBeta1().convertToDouble() << " and "
           << getBeta2().convertToDouble();
  if (!(getEpsilon().convertToDouble() > 0.0))
    return emitOpError("epsilon must be > 0, got ")
           << getEpsilon().convertToDouble();
  if (!(getWeightDecay().convertToDouble() >= 0.0))
    return emitOpError("weight_decay must be >= 0, got ")
           << getWeightDecay().convertToDouble();
  return success();
}
