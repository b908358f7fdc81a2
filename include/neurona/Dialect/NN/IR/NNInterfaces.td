//===- NNInterfaces.td - nn op interfaces ------------------*- tablegen -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DIALECT_NN_IR_NNINTERFACES_TD
#define NEURONA_DIALECT_NN_IR_NNINTERFACES_TD

include "mlir/IR/OpBase.td"

def NN_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::mlir::nn";
  let description = [{
    The vector-Jacobian product of an op: given the gradient of the loss with
    respect to each result, build the gradient with respect to each operand.
    Reverse-mode differentiation (`nn-autodiff`) only talks to ops through this
    interface, so a new op becomes trainable by implementing it.
  }];
  let methods = [
    InterfaceMethod<[{
        Build the operand gradients at the builder's insertion point.
        `resultGrads` has one value per result (never null: the pass
        materialises zeros for unused results). `operandGrads` receives one
        value per operand; a null value means "not differentiable" (integer
        labels, shapes). Fails with a diagnostic where no rule exists.
      }],
      "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif // NEURONA_DIALECT_NN_IR_NNINTERFACES_TD
