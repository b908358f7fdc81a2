//===- NNOps.td - nn dialect operations --------------------*- tablegen -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DIALECT_NN_IR_NNOPS_TD
#define NEURONA_DIALECT_NN_IR_NNOPS_TD

include "neurona/Dialect/NN/IR/NNBase.td"
include "neurona/Dialect/NN/IR/NNInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

// Result types of every op below except `reshape` are inferred; this class
// routes `inferReturnTypes` to a C++ helper shared by the op's family.
// `inferCall` is a call expression over `loc`, `adaptor` and `types`; it is
// empty for ops with a scalar f32 result, whose inference ODS generates.
class NN_InferredOp<string mnemonic, string inferCall, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, !if(!empty(inferCall), [Pure],
                                           [Pure, InferTypeOpAdaptor]))> {
  let extraClassDefinition = !if(!empty(inferCall), "", [{
    ::mlir::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      (void)context;
      return ::mlir::nn::}] # inferCall # [{;
    }
  }]);
}

class NN_DifferentiableOp<string mnemonic, string inferCall,
                          list<Trait> traits = []>
    : NN_InferredOp<mnemonic, inferCall, !listconcat(traits,
        [DeclareOpInterfaceMethods<NN_GradientOpInterface>])>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def NN_ConstantOp : NN_InferredOp<"constant", "inferConstant(loc, adaptor.getValue(), types)", [ConstantLike]> {
  let summary = "A tensor literal";
  let description = [{
    ```mlir
    %one = nn.constant dense<1.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// A rank-0 f32 constant.
    static ConstantOp createScalar(::mlir::OpBuilder &b, ::mlir::Location loc,
                                   float value);
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise (numpy broadcasting; a dynamic dim matches any static dim)
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, list<Trait> traits = []>
    : NN_DifferentiableOp<mnemonic, "inferBroadcast(loc, adaptor.getLhs().getType(), adaptor.getRhs().getType(), types)", traits> {
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let description = [{
    Elementwise with numpy broadcasting: shapes are aligned on the right and a
    dimension of size 1 stretches to the other operand's size. A dynamic
    (batch) dimension only meets another dynamic one or a 1.
    ```mlir
    %y = nn.}] # mnemonic # [{ %a, %b : tensor<?x10xf32>, tensor<10xf32>
    ```
  }];
}

def NN_AddOp : NN_BinaryOp<"add", [Commutative]> { let summary = "a + b"; }
def NN_SubOp : NN_BinaryOp<"sub"> { let summary = "a - b"; }
def NN_MulOp : NN_BinaryOp<"mul", [Commutative]> { let summary = "a * b"; }
def NN_DivOp : NN_BinaryOp<"div"> { let summary = "a / b"; }
def NN_MaximumOp : NN_BinaryOp<"maximum", [Commutative]> {
  let summary = "max(a, b); on ties the gradient is split evenly (as PyTorch)";
}

class NN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_DifferentiableOp<mnemonic, "inferSameAsInput(adaptor.getInput().getType(), types)", traits> {
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let description = [{
    ```mlir
    %y = nn.}] # mnemonic # [{ %x : tensor<?x128xf32>
    ```
  }];
}

def NN_NegOp : NN_UnaryOp<"neg"> { let summary = "-x"; }
def NN_ExpOp : NN_UnaryOp<"exp"> { let summary = "e^x"; }
def NN_LogOp : NN_UnaryOp<"log"> { let summary = "natural logarithm"; }
def NN_SqrtOp : NN_UnaryOp<"sqrt"> { let summary = "square root"; }
def NN_ReluOp : NN_UnaryOp<"relu"> { let summary = "max(x, 0)"; }
def NN_SigmoidOp : NN_UnaryOp<"sigmoid"> { let summary = "1 / (1 + e^-x)"; }
def NN_TanhOp : NN_UnaryOp<"tanh"> { let summary = "hyperbolic tangent"; }
def NN_StepOp : NN_UnaryOp<"step"> {
  let summary = "Heaviside step: 1 where x > 0, else 0 (relu's derivative)";
}

//===----------------------------------------------------------------------===//
// Normalised exponentials
//===----------------------------------------------------------------------===//

class NN_SoftmaxLikeOp<string mnemonic>
    : NN_DifferentiableOp<mnemonic, "inferSameAsInput(adaptor.getInput().getType(), types)"> {
  let arguments = (ins NN_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs NN_FloatTensor:$result);
  // Attributes that shape inference reads are part of the syntax, not of
  // attr-dict, so the parser has them when it infers the result type.
  let assemblyFormat = "$input (`axis` `=` $axis^)? attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `axis` with negative values resolved against the input rank.
    int64_t getNormalizedAxis();
  }];
}

def NN_SoftmaxOp : NN_SoftmaxLikeOp<"softmax"> {
  let summary = "exp(x) / sum(exp(x)) along `axis`, computed stably";
  let description = [{
    ```mlir
    %p = nn.softmax %logits axis = 1 : tensor<?x10xf32>
    ```
  }];
}
def NN_LogSoftmaxOp : NN_SoftmaxLikeOp<"log_softmax"> {
  let summary = "x - log(sum(exp(x))) along `axis`, computed stably";
  let description = [{
    ```mlir
    %lp = nn.log_softmax %logits : tensor<?x10xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_DifferentiableOp<"matmul", "inferMatmul(loc, adaptor.getLhs().getType(), adaptor.getRhs().getType(), adaptor.getTransposeLhs(), adaptor.getTransposeRhs(), types)"> {
  let summary = "Matrix product of 2-D tensors, either side optionally transposed";
  let description = [{
    `lhs` is `MxK` (`KxM` with `transpose_lhs`), `rhs` is `KxN` (`NxK` with
    `transpose_rhs`); the result is `MxN`. A dense layer is a `matmul` followed
    by an `add` of the bias.
    ```mlir
    %h = nn.matmul %x, %w : tensor<?x784xf32>, tensor<784x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)?
    (`transpose_rhs` $transpose_rhs^)? attr-dict `:` type($lhs) `,` type($rhs)
  }];
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

def NN_ReshapeOp : NN_Op<"reshape", [Pure,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Reinterpret a tensor's elements in row-major order";
  let description = [{
    The result type is given. A dynamic leading dimension may appear on both
    sides; it must then be the batch dimension, which the reshape keeps.
    Flatten is a reshape to `?xN`.
    ```mlir
    %f = nn.reshape %img : tensor<?x28x28xf32> -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_BroadcastLikeOp : NN_DifferentiableOp<"broadcast_like", "inferLike(loc, adaptor.getInput().getType(), adaptor.getLike().getType(), types)"> {
  let summary = "Broadcast `input` to the shape of `like` (numpy rules)";
  let description = [{
    ```mlir
    %b = nn.broadcast_like %g, %x : tensor<?x1xf32>, tensor<?x10xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, AnyRankedTensor:$like);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `,` $like attr-dict `:` type($input) `,` type($like)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class NN_ReduceOp<string mnemonic, list<Trait> traits = []>
    : NN_InferredOp<mnemonic, "inferReduce(loc, adaptor.getInput().getType(), adaptor.getAxes(), adaptor.getKeepdims(), types)", traits> {
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keepdims);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keepdims` $keepdims^)? attr-dict `:` type($input)
  }];
  let description = [{
    Reduces over `axes` (at least one; sorted, unique, negative values count
    from the end); reduced dimensions are dropped unless `keepdims`.
    ```mlir
    %s = nn.}] # mnemonic # [{ %x axes = [1] keepdims : tensor<?x10xf32>
    ```
  }];
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum",
    [DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Sum over axes";
}
def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean",
    [DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Mean over axes";
}
def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max",
    [DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Maximum over axes; ties share the gradient evenly";
}

def NN_NumelOp : NN_InferredOp<"numel", "",
    [DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Number of elements over `axes` (all when empty), as f32";
  let description = [{
    Means and their gradients divide by this; with a dynamic batch dimension
    the count is only known at run time.
    ```mlir
    %n = nn.numel %x : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes);
  let results = (outs NN_FloatScalar:$result);
  let assemblyFormat = "$input (`axes` `=` $axes^)? attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Losses (means over the batch, as PyTorch's default `reduction='mean'`)
//===----------------------------------------------------------------------===//

def NN_OneHotOp : NN_InferredOp<"one_hot", "inferOneHot(loc, adaptor.getLabels().getType(), adaptor.getDepth(), types)"> {
  let summary = "Integer class labels to f32 one-hot rows";
  let description = [{
    ```mlir
    %t = nn.one_hot %labels depth = 10 : tensor<?xi64>
    ```
  }];
  let arguments = (ins NN_IndexTensor:$labels, I64Attr:$depth);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$labels `depth` `=` $depth attr-dict `:` type($labels)";
}

class NN_LossOp<string mnemonic> : NN_DifferentiableOp<mnemonic, ""> {
  let results = (outs NN_FloatScalar:$loss);
  let assemblyFormat = "$input `,` $target attr-dict `:` type($input) `,` type($target)";
  let hasVerifier = 1;
}

def NN_MSEOp : NN_LossOp<"mse"> {
  let summary = "Mean squared error over all elements";
  let description = [{
    ```mlir
    %l = nn.mse %pred, %y : tensor<?x1xf32>, tensor<?x1xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$target);
}

def NN_BinaryCrossEntropyOp : NN_LossOp<"binary_cross_entropy"> {
  let summary = "Mean binary cross-entropy of probabilities against 0/1 targets";
  let description = [{
    `input` holds probabilities (after a sigmoid). Logarithms are clamped at
    -100 as in PyTorch, so a saturated sigmoid gives a large finite loss.
    ```mlir
    %l = nn.binary_cross_entropy %p, %y : tensor<?x1xf32>, tensor<?x1xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$target);
}

def NN_CrossEntropyOp : NN_LossOp<"cross_entropy"> {
  let summary = "Mean softmax cross-entropy of logits against integer labels";
  let description = [{
    `input` is `BxC` logits, `target` is `B` class indices in `[0, C)`.
    ```mlir
    %l = nn.cross_entropy %logits, %labels : tensor<?x10xf32>, tensor<?xi64>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_IndexTensor:$target);
}

//===----------------------------------------------------------------------===//
// Optimizer updates (one fused elementwise kernel per parameter)
//===----------------------------------------------------------------------===//

def NN_SGDUpdateOp : NN_Op<"sgd_update", [Pure, AllTypesMatch<["param",
    "grad", "velocity", "new_param", "new_velocity"]>]> {
  let summary = "SGD with momentum (PyTorch convention)";
  let description = [{
    `v' = momentum * v + g`, `p' = p - lr * v'` (with momentum 0, `p' = p - lr * g`).
    ```mlir
    %p1, %v1 = nn.sgd_update %p, %g, %v, %lr {momentum = 0.9 : f32} : tensor<784x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$velocity, NN_FloatScalar:$lr,
                       DefaultValuedAttr<F32Attr, "0.0f">:$momentum);
  let results = (outs NN_FloatTensor:$new_param, NN_FloatTensor:$new_velocity);
  let assemblyFormat = "$param `,` $grad `,` $velocity `,` $lr attr-dict `:` type($param)";
}

def NN_AdamUpdateOp : NN_Op<"adam_update", [Pure, AllTypesMatch<["param",
    "grad", "m", "v", "new_param", "new_m", "new_v"]>]> {
  let summary = "Adam with bias correction (Kingma & Ba; PyTorch convention)";
  let description = [{
    With `t` the 1-based step: `m' = b1 m + (1-b1) g`, `v' = b2 v + (1-b2) g^2`,
    `p' = p - lr * (m' / (1-b1^t)) / (sqrt(v' / (1-b2^t)) + eps)`.
    ```mlir
    %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %lr, %t : tensor<128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$m, NN_FloatTensor:$v,
                       NN_FloatScalar:$lr, NN_FloatScalar:$step,
                       DefaultValuedAttr<F32Attr, "0.9f">:$beta1,
                       DefaultValuedAttr<F32Attr, "0.999f">:$beta2,
                       DefaultValuedAttr<F32Attr, "1.0e-8f">:$epsilon);
  let results = (outs NN_FloatTensor:$new_param, NN_FloatTensor:$new_m,
                      NN_FloatTensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `,` $lr `,` $step attr-dict `:` type($param)
  }];
}

#endif // NEURONA_DIALECT_NN_IR_NNOPS_TD
