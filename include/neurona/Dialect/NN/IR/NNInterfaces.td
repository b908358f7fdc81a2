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

def NN_RandomOpInterface : OpInterface<"RandomOpInterface"> {
  let cppNamespace = "::mlir::nn";
  let description = [{
    An op that draws counter-based random numbers (Philox-4x32-10): element
    `i` of its draw is a pure function of (seed, step, `stream`, i), where
    seed and step come from the optional `rng` operand, a `tensor<2xi64>`.
    Without `rng` the op is in inference mode and yields its expectation.
    `nn-autodiff` sets `rng` on every such op of `train_step` and
    `gradients`; distinct ops of one function need distinct streams.
  }];
  let methods = [
    InterfaceMethod<"The op's stream: counter word 2 of its draws.",
      "uint64_t", "getStream">,
    InterfaceMethod<"The (seed, step) operand, or null in inference mode.",
      "::mlir::Value", "getRng">,
    InterfaceMethod<[{
        Puts the op in training mode with `rng`, which must be a
        `tensor<2xi64>`; `rng` is the op's last operand.
      }], "void", "setRng", (ins "::mlir::Value":$rng), [{}], [{
        if ($_op.getRng())
          $_op->setOperand($_op->getNumOperands() - 1, rng);
        else
          $_op->insertOperands($_op->getNumOperands(), rng);
      }]>,
  ];
}

def NN_TrainingModeOpInterface : OpInterface<"TrainingModeOpInterface"> {
  let cppNamespace = "::mlir::nn";
  let description = [{
    An op that computes differently while training and updates state when it
    does: batch normalization normalises with the batch's statistics and
    gives new running statistics. `forward` holds it in inference mode.
    `nn-autodiff` replaces each copy of it in `train_step` and `gradients`
    by its training computation, built from differentiable nn ops, so the
    gradient is the true one through everything that computation reads;
    `train_step` returns the new state as the `param_out` of the state
    operands, which must be parameters with `nn.trainable = false`.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the op's training computation from differentiable nn ops at
        the builder's insertion point; `results` receives one value per
        result of the op.
      }],
      "void", "buildTraining",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$results)>,
    InterfaceMethod<[{
        The state the op updates in training, as pairs (operand index,
        result index): that result is the operand's value after the step.
      }],
      "::llvm::SmallVector<std::pair<unsigned, unsigned>>",
      "getStateUpdates">,
  ];
}

#endif // NEURONA_DIALECT_NN_IR_NNINTERFACES_TD
