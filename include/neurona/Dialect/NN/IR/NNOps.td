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

// `operand` is NN_NumericTensor for the ops ONNX also defines on integers;
// their gradient rules only ever run on f32 (integer results are never
// differentiated, see nn-autodiff).
class NN_BinaryOp<string mnemonic, list<Trait> traits = [],
                  Type operand = NN_FloatTensor>
    : NN_DifferentiableOp<mnemonic, "inferBroadcast(loc, adaptor.getLhs().getType(), adaptor.getRhs().getType(), types)", traits> {
  let arguments = (ins operand:$lhs, operand:$rhs);
  let results = (outs operand:$result);
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

def NN_AddOp : NN_BinaryOp<"add", [Commutative], NN_NumericTensor> {
  let summary = "a + b (integers wrap around)";
}
def NN_SubOp : NN_BinaryOp<"sub", [], NN_NumericTensor> {
  let summary = "a - b (integers wrap around)";
}
def NN_MulOp : NN_BinaryOp<"mul", [Commutative], NN_NumericTensor> {
  let summary = "a * b (integers wrap around)";
}
def NN_DivOp : NN_BinaryOp<"div", [], NN_NumericTensor> {
  let summary = "a / b; integers truncate toward zero (C, ONNX's reference)";
}
def NN_ModOp : NN_BinaryOp<"mod", [], NN_NumericTensor> {
  let summary = "a mod b: the divisor's sign (Python's %), or the dividend's with `fmod` (C's fmod)";
  let description = [{
    ONNX's Mod. Without `fmod` the result is `a - floor(a / b) * b`, with the
    sign of the divisor (Python's `%`, `numpy.mod`); with `fmod` it is
    `a - trunc(a / b) * b`, with the sign of the dividend (C's `fmod`).
    An integer divisor of 0 gives 0; a float one NaN. Not differentiable.
    ```mlir
    %r = nn.mod %a, %b : tensor<6xi64>, tensor<6xi64>
    ```
  }];
  let arguments = (ins NN_NumericTensor:$lhs, NN_NumericTensor:$rhs,
                       UnitAttr:$fmod);
  let assemblyFormat = "$lhs `,` $rhs (`fmod` $fmod^)? attr-dict `:` type($lhs) `,` type($rhs)";
}
def NN_MaximumOp : NN_BinaryOp<"maximum", [Commutative], NN_NumericTensor> {
  let summary = "max(a, b); on ties the gradient is split evenly (as PyTorch)";
}
def NN_MinimumOp : NN_BinaryOp<"minimum", [Commutative], NN_NumericTensor> {
  let summary = "min(a, b); on ties the gradient is split evenly (as PyTorch)";
}
def NN_PowOp : NN_BinaryOp<"pow"> {
  let summary = "a ^ b (C's powf: a negative base needs an integral exponent)";
}

class NN_UnaryOp<string mnemonic, list<Trait> traits = [],
                 Type operand = NN_FloatTensor>
    : NN_DifferentiableOp<mnemonic, "inferSameAsInput(adaptor.getInput().getType(), types)", traits> {
  let arguments = (ins operand:$input);
  let results = (outs operand:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let description = [{
    ```mlir
    %y = nn.}] # mnemonic # [{ %x : tensor<?x128xf32>
    ```
  }];
}

def NN_NegOp : NN_UnaryOp<"neg", [], NN_NumericTensor> { let summary = "-x"; }
def NN_ExpOp : NN_UnaryOp<"exp"> { let summary = "e^x"; }
def NN_LogOp : NN_UnaryOp<"log"> { let summary = "natural logarithm"; }
def NN_SqrtOp : NN_UnaryOp<"sqrt"> { let summary = "square root"; }
def NN_ReluOp : NN_UnaryOp<"relu"> { let summary = "max(x, 0)"; }
def NN_SigmoidOp : NN_UnaryOp<"sigmoid"> { let summary = "1 / (1 + e^-x)"; }
def NN_TanhOp : NN_UnaryOp<"tanh"> { let summary = "hyperbolic tangent"; }
def NN_StepOp : NN_UnaryOp<"step"> {
  let summary = "Heaviside step: 1 where x > 0, else 0 (relu's derivative)";
}
def NN_AbsOp : NN_UnaryOp<"abs", [], NN_NumericTensor> { let summary = "|x|"; }
def NN_SignOp : NN_UnaryOp<"sign", [], NN_NumericTensor> {
  let summary = "-1, 0 or 1 by the sign of x (NaN stays NaN); gradient zero";
}
def NN_CeilOp : NN_UnaryOp<"ceil"> {
  let summary = "smallest integer >= x; gradient zero";
}
def NN_FloorOp : NN_UnaryOp<"floor"> {
  let summary = "largest integer <= x; gradient zero";
}
def NN_ReciprocalOp : NN_UnaryOp<"reciprocal"> { let summary = "1 / x"; }
def NN_ErfOp : NN_UnaryOp<"erf"> { let summary = "the Gauss error function"; }
def NN_SoftplusOp : NN_UnaryOp<"softplus"> {
  let summary = "log(1 + e^x), computed without overflow";
}
def NN_SoftsignOp : NN_UnaryOp<"softsign"> { let summary = "x / (1 + |x|)"; }

//===----------------------------------------------------------------------===//
// Activations with parameters (elementwise, same shape as the input)
//===----------------------------------------------------------------------===//

// `attrs` are the op's f32 attributes after the input; `attrFormat` is their
// syntax, part of the assembly format rather than attr-dict so that defaults
// are not printed.
class NN_ActivationOp<string mnemonic, dag attrs, string attrFormat>
    : NN_DifferentiableOp<mnemonic, "inferSameAsInput(adaptor.getInput().getType(), types)"> {
  let arguments = !con((ins NN_FloatTensor:$input), attrs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input " # attrFormat # " attr-dict `:` type($input)";
}

def NN_LeakyReluOp : NN_ActivationOp<"leaky_relu",
    (ins DefaultValuedAttr<F32Attr, "0.01f">:$alpha),
    "(`alpha` `=` $alpha^)?"> {
  let summary = "x where x > 0, else alpha * x";
  let description = [{
    `alpha` defaults to 0.01, as in PyTorch and ONNX's LeakyRelu. At 0 the
    gradient is `alpha`, as PyTorch's.
    ```mlir
    %y = nn.leaky_relu %x alpha = 2.000000e-01 : tensor<?x128xf32>
    ```
  }];
}

def NN_EluOp : NN_ActivationOp<"elu",
    (ins DefaultValuedAttr<F32Attr, "1.0f">:$alpha),
    "(`alpha` `=` $alpha^)?"> {
  let summary = "x where x > 0, else alpha * (e^x - 1)";
  let description = [{
    `alpha` defaults to 1.0 (PyTorch, ONNX). `e^x - 1` is computed without
    cancellation near 0.
    ```mlir
    %y = nn.elu %x : tensor<?x128xf32>
    ```
  }];
}

def NN_SeluOp : NN_ActivationOp<"selu",
    (ins DefaultValuedAttr<F32Attr, "1.67326319217681884765625f">:$alpha,
         DefaultValuedAttr<F32Attr, "1.05070102214813232421875f">:$gamma),
    "(`alpha` `=` $alpha^)? (`gamma` `=` $gamma^)?"> {
  let summary = "gamma * (x where x > 0, else alpha * (e^x - 1))";
  let description = [{
    The defaults are the self-normalising constants of Klambauer et al., as
    ONNX's Selu writes them in f32 (PyTorch's `selu` uses the same values).
    ```mlir
    %y = nn.selu %x : tensor<?x128xf32>
    ```
  }];
}

def NN_HardSigmoidOp : NN_ActivationOp<"hard_sigmoid",
    (ins DefaultValuedAttr<F32Attr, "0.2f">:$alpha,
         DefaultValuedAttr<F32Attr, "0.5f">:$beta),
    "(`alpha` `=` $alpha^)? (`beta` `=` $beta^)?"> {
  let summary = "max(0, min(1, alpha * x + beta))";
  let description = [{
    The defaults are ONNX's HardSigmoid (alpha 0.2, beta 0.5); PyTorch's
    `hardsigmoid` is alpha 1/6, beta 0.5. The gradient is `alpha` where
    `0 < alpha * x + beta < 1` and 0 elsewhere.
    ```mlir
    %y = nn.hard_sigmoid %x alpha = 0.166666672 : tensor<?x128xf32>
    ```
  }];
}

def NN_ClipOp : NN_ActivationOp<"clip",
    (ins OptionalAttr<F32Attr>:$min, OptionalAttr<F32Attr>:$max),
    "(`min` `=` $min^)? (`max` `=` $max^)?"> {
  let summary = "x limited to [min, max]; either bound may be absent";
  let description = [{
    The gradient passes where `min < x < max` and is 0 elsewhere (PyTorch's
    `clamp` also passes it at the bounds themselves). `min` must not exceed
    `max`.
    ```mlir
    %y = nn.clip %x min = 0.000000e+00 max = 6.000000e+00 : tensor<?x128xf32>
    ```
  }];
  let hasVerifier = 1;
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

def NN_MatmulOp : NN_DifferentiableOp<"matmul", "inferMatmul(loc, adaptor.getLhs().getType(), adaptor.getRhs().getType(), adaptor.getTransposeLhs(), adaptor.getTransposeRhs(), adaptor.getBatchReduce(), types)"> {
  let summary = "Matrix product, batched with numpy broadcasting, either side "
                "optionally transposed";
  let description = [{
    The last two dimensions of each operand are a matrix, those before them
    batch dimensions that broadcast as numpy's `matmul` does (PyTorch's
    `torch.matmul` on operands of rank 2 or more). `lhs` is `[..., M, K]`
    (`[..., K, M]` with `transpose_lhs`), `rhs` is `[..., K, N]`
    (`[..., N, K]` with `transpose_rhs`); the result is `[..., M, N]` with
    the broadcast batch dimensions in front.

    With `batch_reduce` the products are summed over the batch instead of
    kept, giving `[M, N]` (linalg's `batch_reduce_matmul`): the weight
    gradient of a layer applied at every step of a sequence. A dense layer
    is a `matmul` followed by an `add` of the bias; on a sequence
    `[?, T, F]` against a `[F, U]` weight, every step goes through one
    product.
    ```mlir
    %h = nn.matmul %x, %w : tensor<?x784xf32>, tensor<784x128xf32>
    %s = nn.matmul %seq, %w : tensor<?x9x256xf32>, tensor<256x512xf32>
    %g = nn.matmul %seq, %d transpose_lhs batch_reduce
        : tensor<?x9x256xf32>, tensor<?x9x512xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs,
                       UnitAttr:$batch_reduce);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)?
    (`transpose_rhs` $transpose_rhs^)? (`batch_reduce` $batch_reduce^)?
    attr-dict `:` type($lhs) `,` type($rhs)
  }];
}

//===----------------------------------------------------------------------===//
// Convolution (NCHW; im2col + a 2-D contraction when lowered)
//===----------------------------------------------------------------------===//

// Convolutions share their window attributes: `padding` is per side in
// ONNX's order [top, left, bottom, right].
def NN_Conv2dOp : NN_DifferentiableOp<"conv2d", "inferConv2d(loc, adaptor.getInput().getType(), adaptor.getWeight().getType(), adaptor.getBias() ? adaptor.getBias().getType() : ::mlir::Type(), ::mlir::nn::orDefault(adaptor.getStridesAttr(), {1, 1}), ::mlir::nn::orDefault(adaptor.getPaddingAttr(), {0, 0, 0, 0}), ::mlir::nn::orDefault(adaptor.getDilationsAttr(), {1, 1}), adaptor.getGroupsAttr() ? adaptor.getGroupsAttr().getInt() : 1, types)"> {
  let summary = "2-D convolution (cross-correlation) of NCHW images";
  let description = [{
    `input` is `[N, C, H, W]` (N may be the dynamic batch), `weight` is
    `[OC, C / groups, KH, KW]` and the optional `bias` is `[OC]`. The result
    is `[N, OC, OH, OW]` with
    `OH = (H + top + bottom - dilation * (KH - 1) - 1) / stride + 1` (floor),
    as ONNX's Conv and PyTorch's `conv2d`. Padding is zeros, per side in the
    order `[top, left, bottom, right]`.
    ```mlir
    %y = nn.conv2d %x, %w, %b strides = [2, 2] padding = [1, 1, 1, 1]
        : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
    ```
  }];
  let arguments = !con((ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                            Optional<NN_FloatTensor>:$bias), (ins
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<I64Attr, "1">:$groups));
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? " # "(`strides` `=` $strides^)? (`padding` `=` $padding^)? (`dilations` `=` $dilations^)? (`groups` `=` $groups^)?" #
    " attr-dict `:` type($input) `,` type($weight) (`,` type($bias)^)?";
}

// The two halves of a convolution's gradient. Both take the forward's input
// and weight (one of them only for its shape) so that their result types
// follow from their operands, and `grad` must have the forward's result type.
class NN_Conv2dBackwardOp<string mnemonic, string which>
    : NN_InferredOp<mnemonic, "inferConv2dBackward(loc, adaptor.getGrad().getType(), adaptor.getInput().getType(), adaptor.getWeight().getType(), ::mlir::nn::orDefault(adaptor.getStridesAttr(), {1, 1}), ::mlir::nn::orDefault(adaptor.getPaddingAttr(), {0, 0, 0, 0}), ::mlir::nn::orDefault(adaptor.getDilationsAttr(), {1, 1}), adaptor.getGroupsAttr() ? adaptor.getGroupsAttr().getInt() : 1, /*wantInput=*/" # which # ", types)"> {
  let arguments = !con((ins NN_FloatTensor:$grad, NN_FloatTensor:$input,
                            NN_FloatTensor:$weight), (ins
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<I64Attr, "1">:$groups));
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$grad `,` $input `,` $weight " # "(`strides` `=` $strides^)? (`padding` `=` $padding^)? (`dilations` `=` $dilations^)? (`groups` `=` $groups^)?" #
    " attr-dict `:` type($grad) `,` type($input) `,` type($weight)";
}

def NN_Conv2dBackwardDataOp
    : NN_Conv2dBackwardOp<"conv2d_backward_data", "true"> {
  let summary = "Gradient of conv2d with respect to its input";
  let description = [{
    `dInput = col2im(dOut x W)`: the patches' gradients are summed back onto
    the image positions they were read from. `input` only gives the shape.
    ```mlir
    %dx = nn.conv2d_backward_data %g, %x, %w
        : tensor<?x16x30x30xf32>, tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>
    ```
  }];
}

def NN_Conv2dBackwardFilterOp
    : NN_Conv2dBackwardOp<"conv2d_backward_filter", "false"> {
  let summary = "Gradient of conv2d with respect to its weight";
  let description = [{
    `dW = dOut^T x im2col(input)`, a contraction over the batch and output
    positions. `weight` only gives the shape.
    ```mlir
    %dw = nn.conv2d_backward_filter %g, %x, %w
        : tensor<?x16x30x30xf32>, tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>
    ```
  }];
}

def NN_ConvTranspose2dOp : NN_DifferentiableOp<"conv_transpose2d", "inferConvTranspose2d(loc, adaptor.getInput().getType(), adaptor.getWeight().getType(), adaptor.getBias() ? adaptor.getBias().getType() : ::mlir::Type(), ::mlir::nn::orDefault(adaptor.getStridesAttr(), {1, 1}), ::mlir::nn::orDefault(adaptor.getPaddingAttr(), {0, 0, 0, 0}), ::mlir::nn::orDefault(adaptor.getOutputPaddingAttr(), {0, 0}), ::mlir::nn::orDefault(adaptor.getDilationsAttr(), {1, 1}), adaptor.getGroupsAttr() ? adaptor.getGroupsAttr().getInt() : 1, types)"> {
  let summary = "2-D transposed convolution of NCHW images (ONNX ConvTranspose)";
  let description = [{
    The adjoint of `nn.conv2d` in its input: each input position scatters
    its channels times the kernel into a window of the output, windows
    `stride` apart (ONNX's ConvTranspose, PyTorch's `conv_transpose2d`).
    `input` is `[N, C, H, W]`, `weight` is `[C, OC / groups, KH, KW]` (ONNX's
    and PyTorch's layout) and the optional `bias` is `[OC]`. The result is
    `[N, OC, OH, OW]` with
    `OH = stride * (H - 1) + dilation * (KH - 1) + 1 - top - bottom
    + output_padding[0]`. `padding` (per side, `[top, left, bottom, right]`)
    crops the full output; `output_padding` (`[rows, columns]`, each smaller
    than its stride) adds rows and columns at the bottom and right, which
    only the bias reaches. It lowers as `conv2d_backward_data` does (a
    contraction of the input's rows with the weight, then col2im), and its
    gradients are a `conv2d` of the output gradient (input) and a
    `conv2d_backward_filter` (weight).
    ```mlir
    %y = nn.conv_transpose2d %x, %w, %b strides = [2, 2] padding = [1, 1, 1, 1]
        output_padding = [1, 1]
        : tensor<?x16x7x7xf32>, tensor<16x8x3x3xf32>, tensor<8xf32>
    ```
  }];
  let arguments = !con((ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                            Optional<NN_FloatTensor>:$bias), (ins
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$output_padding,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<I64Attr, "1">:$groups));
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? " # "(`strides` `=` $strides^)? (`padding` `=` $padding^)? (`output_padding` `=` $output_padding^)? (`dilations` `=` $dilations^)? (`groups` `=` $groups^)?" #
    " attr-dict `:` type($input) `,` type($weight) (`,` type($bias)^)?";
}

//===----------------------------------------------------------------------===//
// Pooling (NCHW)
//===----------------------------------------------------------------------===//

// Window attributes shared by max and average pooling and their gradients.
// With `ceil_mode` the output size rounds up, but a window that would start
// in the bottom (right) padding is dropped, as in PyTorch.
class NN_Pool2dOp<string mnemonic, list<Trait> traits = []>
    : NN_InferredOp<mnemonic, "inferPool2d(loc, adaptor.getInput().getType(), adaptor.getKernel(), ::mlir::nn::orDefault(adaptor.getStridesAttr(), {1, 1}), ::mlir::nn::orDefault(adaptor.getPaddingAttr(), {0, 0, 0, 0}), adaptor.getCeilMode(), types)", traits> {
  let arguments = !con((ins NN_FloatTensor:$input), (ins DenseI64ArrayAttr:$kernel,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
    UnitAttr:$ceil_mode, UnitAttr:$count_include_pad));
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input " # "`kernel` `=` $kernel (`strides` `=` $strides^)? (`padding` `=` $padding^)? (`ceil_mode` $ceil_mode^)? (`count_include_pad` $count_include_pad^)?" #
    " attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def NN_MaxPool2dOp : NN_Pool2dOp<"max_pool2d",
    [DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Maximum over sliding windows of NCHW images";
  let description = [{
    Padding never wins (it acts as -inf). The gradient goes to the first
    maximum of each window in row-major order, as PyTorch's.
    `count_include_pad` is meaningless here and rejected.
    ```mlir
    %y = nn.max_pool2d %x kernel = [2, 2] strides = [2, 2]
        : tensor<?x6x28x28xf32>
    ```
  }];
}

def NN_AvgPool2dOp : NN_Pool2dOp<"avg_pool2d",
    [DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Mean over sliding windows of NCHW images";
  let description = [{
    Each window's sum is divided by the number of its positions inside the
    image, or with `count_include_pad` inside the padded image (never the
    extra positions that `ceil_mode` adds), as PyTorch and onnxruntime.
    ```mlir
    %y = nn.avg_pool2d %x kernel = [3, 3] strides = [2, 2]
        padding = [1, 1, 1, 1] count_include_pad : tensor<?x6x28x28xf32>
    ```
  }];
}

// Gradients of the pools: `grad` has the pool's result type and the result
// has the input's type.
class NN_Pool2dBackwardOp<string mnemonic>
    : NN_InferredOp<mnemonic, "inferSameAsInput(adaptor.getInput().getType(), types)"> {
  let arguments = !con((ins NN_FloatTensor:$grad, NN_FloatTensor:$input),
                       (ins DenseI64ArrayAttr:$kernel,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
    UnitAttr:$ceil_mode, UnitAttr:$count_include_pad));
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$grad `,` $input " # "`kernel` `=` $kernel (`strides` `=` $strides^)? (`padding` `=` $padding^)? (`ceil_mode` $ceil_mode^)? (`count_include_pad` $count_include_pad^)?" #
    " attr-dict `:` type($grad) `,` type($input)";
  let hasVerifier = 1;
}

def NN_MaxPool2dBackwardOp : NN_Pool2dBackwardOp<"max_pool2d_backward"> {
  let summary = "Gradient of max_pool2d: each window's gradient to its argmax";
  let description = [{
    ```mlir
    %dx = nn.max_pool2d_backward %g, %x kernel = [2, 2] strides = [2, 2]
        : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>
    ```
  }];
}

def NN_AvgPool2dBackwardOp : NN_Pool2dBackwardOp<"avg_pool2d_backward"> {
  let summary = "Gradient of avg_pool2d: each window's gradient spread evenly";
  let description = [{
    `input` only gives the shape.
    ```mlir
    %dx = nn.avg_pool2d_backward %g, %x kernel = [2, 2] strides = [2, 2]
        : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>
    ```
  }];
}

def NN_GlobalAvgPool2dOp : NN_DifferentiableOp<"global_avg_pool2d", "inferGlobalPool2d(loc, adaptor.getInput().getType(), types)"> {
  let summary = "Mean over each image's H x W positions: [N, C, 1, 1]";
  let description = [{
    ```mlir
    %y = nn.global_avg_pool2d %x : tensor<?x64x7x7xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
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

def NN_TransposeOp : NN_DifferentiableOp<"transpose", "inferTranspose(loc, adaptor.getInput().getType(), adaptor.getPerm(), types)"> {
  let summary = "Permute the dimensions: result dim i is input dim perm[i]";
  let description = [{
    `perm` is a permutation of `[0, rank)`. A dynamic (batch) dimension must
    stay first.
    ```mlir
    %t = nn.transpose %x perm = [0, 2, 1] : tensor<?x3x4xf32>
    ```
  }];
  let arguments = (ins NN_DataTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs NN_DataTensor:$result);
  let assemblyFormat = "$input `perm` `=` $perm attr-dict `:` type($input)";
}

def NN_ConcatOp : NN_DifferentiableOp<"concat", "inferConcat(loc, adaptor.getInputs(), adaptor.getAxis(), types)"> {
  let summary = "Join tensors along `axis`";
  let description = [{
    All inputs have the same rank and agree on every dimension but `axis`
    (negative values count from the end), which may not be the dynamic batch
    dimension.
    ```mlir
    %c = nn.concat %a, %b axis = 1 : tensor<?x3xf32>, tensor<?x5xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_DataTensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_DataTensor:$result);
  let assemblyFormat = "$inputs `axis` `=` $axis attr-dict `:` type($inputs)";
  let extraClassDeclaration = [{
    /// `axis` resolved against the rank; -1 when out of range.
    int64_t getNormalizedAxis();
  }];
}

def NN_SliceOp : NN_DifferentiableOp<"slice", "inferSlice(loc, adaptor.getInput().getType(), adaptor.getAxes(), adaptor.getStarts(), adaptor.getEnds(), adaptor.getSteps().value_or(::llvm::ArrayRef<int64_t>()), types)"> {
  let summary = "Every steps[i]-th element from starts[i] up to ends[i] along axes[i]";
  let description = [{
    Along `axes[i]` the result holds the elements `starts[i] + k * steps[i]`
    strictly before `ends[i]` (after it, for a negative step). `steps` defaults
    to all 1. Indices are already resolved: `0 <= start < size`, and `end` is
    in `[start + 1, size]` for a positive step, `[-1, start - 1]` for a
    negative one (ONNX's clamping gives exactly this form). Axes are distinct;
    the dynamic batch dimension cannot be sliced. Unlisted axes are kept.
    ```mlir
    %s = nn.slice %x axes = [1] starts = [1] ends = [8] steps = [2] : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins NN_DataTensor:$input, DenseI64ArrayAttr:$axes,
                       DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$ends,
                       OptionalAttr<DenseI64ArrayAttr>:$steps);
  let results = (outs NN_DataTensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes `starts` `=` $starts `ends` `=` $ends
    (`steps` `=` $steps^)? attr-dict `:` type($input)
  }];
}

def NN_SliceScatterOp : NN_DifferentiableOp<"slice_scatter", "inferSliceScatter(loc, adaptor.getBase().getType(), adaptor.getSource().getType(), adaptor.getAxes(), adaptor.getStarts(), adaptor.getEnds(), adaptor.getSteps().value_or(::llvm::ArrayRef<int64_t>()), types)"> {
  let summary = "`base` with the elements a `slice` would read replaced by `source`";
  let description = [{
    The adjoint of `slice` (scattered into zeros) and PyTorch's
    `slice_scatter`. `source` has the type `nn.slice` gives `base` with the
    same attributes.
    ```mlir
    %r = nn.slice_scatter %base, %src axes = [1] starts = [1] ends = [8] steps = [2] : tensor<?x10xf32>, tensor<?x4xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$base, NN_FloatTensor:$source,
                       DenseI64ArrayAttr:$axes, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends,
                       OptionalAttr<DenseI64ArrayAttr>:$steps);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $base `,` $source `axes` `=` $axes `starts` `=` $starts `ends` `=` $ends
    (`steps` `=` $steps^)? attr-dict `:` type($base) `,` type($source)
  }];
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
def NN_ReduceMinOp : NN_ReduceOp<"reduce_min",
    [DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Minimum over axes; ties share the gradient evenly";
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
// Normalization
//===----------------------------------------------------------------------===//

def NN_BatchNormOp : NN_InferredOp<"batch_norm",
    "inferBatchNorm(loc, adaptor.getInput().getType(), adaptor.getScale().getType(), types)",
    [AllTypesMatch<["scale", "bias", "running_mean", "running_var"]>,
     DeclareOpInterfaceMethods<NN_TrainingModeOpInterface>]> {
  let summary = "Batch normalization over channel axis 1 (PyTorch's BatchNorm1d/2d)";
  let description = [{
    `input` is [N, C, ...] with a static C; `scale` (gamma), `bias` (beta),
    `running_mean` and `running_var` are [C]. In inference mode (no
    `training`) the running statistics normalise:
    `y = (x - running_mean) / sqrt(running_var + epsilon) * scale + bias`,
    and the two last results are `running_mean` and `running_var` unchanged.
    In training mode the statistics are the batch's, over every axis but 1:
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias` with the biased
    variance, and the running statistics move by PyTorch's rule
    `running = (1 - momentum) * running + momentum * batch` with the
    unbiased variance `var * n / (n - 1)` (n = elements per channel; when
    n = 1, where PyTorch refuses to train, it takes `var`). This is
    `torch.nn.BatchNorm1d/2d` (Ioffe & Szegedy 2015) and ONNX
    BatchNormalization with ONNX's momentum = 1 - `momentum`.

    `forward` holds the op in inference mode; `nn-autodiff` replaces it in
    `train_step` and `gradients` by its training computation
    (`TrainingModeOpInterface`), and the lowering expands either mode into
    reductions and elementwise ops.
    ```mlir
    %y, %m, %v = nn.batch_norm %x, %gamma, %beta, %mean, %var
        {epsilon = 1.0e-5 : f32, momentum = 0.1 : f32}
        : tensor<?x16x8x8xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$scale,
                       NN_FloatTensor:$bias, NN_FloatTensor:$running_mean,
                       NN_FloatTensor:$running_var,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon,
                       DefaultValuedAttr<F32Attr, "0.1f">:$momentum,
                       UnitAttr:$training);
  let results = (outs NN_FloatTensor:$output,
                      NN_FloatTensor:$new_running_mean,
                      NN_FloatTensor:$new_running_var);
  let hasVerifier = 1;
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $running_mean `,` $running_var
    (`training` $training^)? attr-dict `:` type($input) `,` type($scale)
  }];
}

//===----------------------------------------------------------------------===//
// Comparison, logic, selection and conversion (any ABI element type)
//===----------------------------------------------------------------------===//

def NN_CastOp : NN_Op<"cast", [Pure,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>]> {
  let summary = "Convert each element to the result's element type (ONNX Cast)";
  let description = [{
    The shape is unchanged. Float to integer truncates toward zero (ONNX's
    rule, C's conversion); a value outside the integer's range, or NaN, gives
    an unspecified result, as in ONNX. Anything to bool is `x != 0` (NaN is
    true); bool to a number is 0 or 1. Float to float rounds to nearest,
    ties to even, with overflow to infinity (f64 and integers reach f16 and
    bf16 with one rounding, NaN stays NaN). Only a
    cast between float types passes a gradient; a cast to or from an integer
    stops it (the integer result is not differentiable).
    ```mlir
    %i = nn.cast %x : tensor<?x3xf32> to tensor<?x3xi64>
    ```
  }];
  let arguments = (ins NN_DataTensor:$input);
  let results = (outs NN_DataTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

class NN_CompareOp<string mnemonic>
    : NN_InferredOp<mnemonic, "inferCompare(loc, adaptor.getLhs().getType(), adaptor.getRhs().getType(), types)"> {
  let arguments = (ins NN_DataTensor:$lhs, NN_DataTensor:$rhs);
  let results = (outs NN_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let description = [{
    Elementwise comparison with numpy broadcasting; both operands have the
    same element type and the result is bool. Float comparisons are ordered:
    any comparison with NaN is false (IEEE 754, numpy). Not differentiable.
    ```mlir
    %m = nn.}] # mnemonic # [{ %a, %b : tensor<?x4xf32>, tensor<4xf32>
    ```
  }];
}

def NN_EqualOp : NN_CompareOp<"equal"> { let summary = "a == b"; }
def NN_GreaterOp : NN_CompareOp<"greater"> { let summary = "a > b"; }
def NN_GreaterEqualOp : NN_CompareOp<"greater_equal"> { let summary = "a >= b"; }
def NN_LessOp : NN_CompareOp<"less"> { let summary = "a < b"; }
def NN_LessEqualOp : NN_CompareOp<"less_equal"> { let summary = "a <= b"; }

class NN_LogicalOp<string mnemonic>
    : NN_InferredOp<mnemonic, "inferBroadcast(loc, adaptor.getLhs().getType(), adaptor.getRhs().getType(), types)"> {
  let arguments = (ins NN_BoolTensor:$lhs, NN_BoolTensor:$rhs);
  let results = (outs NN_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let description = [{
    Elementwise on bools with numpy broadcasting.
    ```mlir
    %m = nn.}] # mnemonic # [{ %a, %b : tensor<3x4xi1>, tensor<4xi1>
    ```
  }];
}

def NN_LogicalAndOp : NN_LogicalOp<"logical_and"> { let summary = "a and b"; }
def NN_LogicalOrOp : NN_LogicalOp<"logical_or"> { let summary = "a or b"; }
def NN_LogicalXorOp : NN_LogicalOp<"logical_xor"> { let summary = "a xor b"; }
def NN_LogicalNotOp : NN_InferredOp<"logical_not", "inferSameAsInput(adaptor.getInput().getType(), types)"> {
  let summary = "not x";
  let description = [{
    ```mlir
    %n = nn.logical_not %m : tensor<3x4xi1>
    ```
  }];
  let arguments = (ins NN_BoolTensor:$input);
  let results = (outs NN_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_WhereOp : NN_DifferentiableOp<"where", "inferWhere(loc, adaptor.getCondition().getType(), adaptor.getX().getType(), adaptor.getY().getType(), types)"> {
  let summary = "x where condition, else y (numpy broadcasting of all three)";
  let description = [{
    ONNX's Where and `torch.where`. `x` and `y` have the same element type.
    The gradient flows to `x` where the condition holds and to `y` elsewhere
    (each reduced back over its broadcast dimensions); the condition has none.
    ```mlir
    %r = nn.where %c, %x, %y : tensor<?x4xi1>, tensor<?x4xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_BoolTensor:$condition, NN_DataTensor:$x,
                       NN_DataTensor:$y);
  let results = (outs NN_DataTensor:$result);
  let assemblyFormat = "$condition `,` $x `,` $y attr-dict `:` type($condition) `,` type($x) `,` type($y)";
}

class NN_ArgReduceOp<string mnemonic>
    : NN_InferredOp<mnemonic, "inferArgReduce(loc, adaptor.getInput().getType(), adaptor.getAxis(), adaptor.getKeepdims(), types)"> {
  let arguments = (ins NN_NumericTensor:$input, I64Attr:$axis,
                       UnitAttr:$keepdims, UnitAttr:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis (`keepdims` $keepdims^)?
    (`select_last_index` $select_last_index^)? attr-dict `:` type($input)
  }];
  let description = [{
    The i64 index along `axis` (negative counts from the end) of the extreme
    element; ties give the first index, or the last with
    `select_last_index` (ONNX's ArgMax/ArgMin). `keepdims` keeps the reduced
    axis with size 1. The axis may not be the dynamic batch dimension. A NaN
    is never selected over a number. Not differentiable.
    ```mlir
    %i = nn.}] # mnemonic # [{ %x axis = 1 : tensor<?x10xf32>
    ```
  }];
}

def NN_ArgMaxOp : NN_ArgReduceOp<"argmax"> { let summary = "Index of the largest element along an axis"; }
def NN_ArgMinOp : NN_ArgReduceOp<"argmin"> { let summary = "Index of the smallest element along an axis"; }

def NN_GatherOp : NN_DifferentiableOp<"gather", "inferGather(loc, adaptor.getData().getType(), adaptor.getIndices().getType(), adaptor.getAxis(), types)"> {
  let summary = "Entries of `data` along `axis` picked by integer `indices` (ONNX Gather)";
  let description = [{
    With `data` of shape `D[0..r)` and `indices` of shape `I`, the result has
    shape `D[0..axis) ++ I ++ D[axis+1..r)` and holds
    `data[..., indices[j], ...]`. A negative index counts from the end of
    the axis (ONNX); an index still outside the axis reads the nearest valid
    entry (ONNX leaves it undefined). `axis` may not be the dynamic batch
    dimension. The gradient with respect to an f32 `data` of static shape
    is a scatter-add in index order (`nn.embedding_backward`); `indices`
    have none.
    ```mlir
    %g = nn.gather %x, %i axis = 1 : tensor<?x5xf32>, tensor<3xi64>
    ```
  }];
  let arguments = (ins NN_DataTensor:$data, NN_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs NN_DataTensor:$result);
  let assemblyFormat = "$data `,` $indices `axis` `=` $axis attr-dict `:` type($data) `,` type($indices)";
}

//===----------------------------------------------------------------------===//
// Losses (means over the batch, as PyTorch's default `reduction='mean'`)
//===----------------------------------------------------------------------===//

def NN_OneHotOp : NN_InferredOp<"one_hot", "inferOneHot(loc, adaptor.getLabels().getType(), adaptor.getDepth(), types)"> {
  let summary = "Integer class labels to f32 one-hot rows";
  let description = [{
    Labels of any shape `S` give `S x depth`: 1 where the last index equals
    the label, 0 elsewhere (also for a label outside `[0, depth)`).
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

def NN_MAEOp : NN_LossOp<"mae"> {
  let summary = "Mean absolute error over all elements (PyTorch's L1Loss)";
  let description = [{
    `mean(|input - target|)` over every element, as `torch.nn.L1Loss` with
    `reduction='mean'`. The gradient is `sign(input - target) / n`, 0 where
    the two are equal (PyTorch's subgradient).
    ```mlir
    %l = nn.mae %pred, %y : tensor<?x1xf32>, tensor<?x1xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$target);
}

def NN_BinaryCrossEntropyOp : NN_LossOp<"binary_cross_entropy"> {
  let summary = "Mean binary cross-entropy against targets in [0, 1]";
  let description = [{
    Without `from_logits`, `input` holds probabilities p (after a sigmoid):
    `mean(-(t log p + (1 - t) log(1 - p)))`, logarithms clamped at -100 as
    in PyTorch's BCELoss, so a saturated sigmoid gives a large finite loss;
    the gradient is PyTorch's `(p - t) / max(p (1 - p), 1e-12) / n`.

    With `from_logits`, `input` holds logits z, as PyTorch's
    BCEWithLogitsLoss: `mean(max(z, 0) - z t + log(1 + e^-|z|))`, which
    neither overflows nor loses precision for large |z|; the gradient is
    `(sigmoid(z) - t) / n`.
    ```mlir
    %l = nn.binary_cross_entropy %p, %y : tensor<?x1xf32>, tensor<?x1xf32>
    %m = nn.binary_cross_entropy %z, %y {from_logits} : tensor<?x1xf32>, tensor<?x1xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$target,
                       UnitAttr:$from_logits);
}

def NN_CrossEntropyOp : NN_LossOp<"cross_entropy"> {
  let summary = "Mean softmax cross-entropy of logits against labels or "
                "class probabilities";
  let description = [{
    `input` is logits `[..., C]`, classes on the last axis: `B x C`, or
    `B x T x C` for a score per step of a sequence. `target` is either
    integer class indices in `[0, C)` of the logits' shape without its last
    dimension (loss `mean_i(logsumexp(x_i) - x_i[y_i])` over the positions
    i), or f32 class probabilities of the logits' shape, one-hot or soft
    (loss `mean_i(sum_j t_ij (logsumexp(x_i) - x_ij))`), as PyTorch's
    CrossEntropyLoss with class-index or probability targets (which puts
    the classes on axis 1 instead).

    With `ignore_index` (integer labels only) the positions holding that
    label add nothing and the mean is over the others, as PyTorch's
    `ignore_index`; when every position is ignored the loss is 0 (PyTorch
    gives NaN), so a batch of padding cannot poison training.

    The gradient is `(softmax(x) - onehot(y)) / n` (zero on ignored
    positions, n the positions counted), or `(softmax(x) sum_j t_ij - t) / n`.
    ```mlir
    %l = nn.cross_entropy %logits, %labels : tensor<?x10xf32>, tensor<?xi64>
    %m = nn.cross_entropy %logits, %probs : tensor<?x10xf32>, tensor<?x10xf32>
    %s = nn.cross_entropy %scores, %words {ignore_index = 0 : i64}
        : tensor<?x9x5000xf32>, tensor<?x9xi64>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, AnyRankedTensor:$target,
                       OptionalAttr<I64Attr>:$ignore_index);
}

//===----------------------------------------------------------------------===//
// Randomness (counter-based: Philox-4x32-10; docs/design.md, "Randomness")
//===----------------------------------------------------------------------===//

// The (seed, step) pair of a training step; checked to be tensor<2xi64>.
def NN_RngTensor : RankedTensorOf<[I64]>;

// An op drawing one Philox block per element of its result, keyed by the
// optional `rng` operand and its `stream`. Without `rng` it is in inference
// mode and yields its expectation; `nn-autodiff` adds `rng` in `train_step`
// and `gradients`.
class NN_RandomOp<string mnemonic, string inferCall, dag operands, dag attrs,
                  string syntax, string attrFormat>
    : NN_DifferentiableOp<mnemonic, inferCall, [NN_RandomOpInterface]> {
  let arguments = !con(operands, (ins Optional<NN_RngTensor>:$rng), attrs,
                       (ins I64Attr:$stream));
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$" # syntax # " (`,` $rng^)? " # attrFormat #
      "`stream` `=` $stream attr-dict `:` type($" # syntax # ")" #
      " (`,` type($rng)^)?";
  let hasVerifier = 1;
}

def NN_DropoutOp : NN_RandomOp<"dropout",
    "inferSameAsInput(adaptor.getInput().getType(), types)",
    (ins NN_FloatTensor:$input), (ins F32Attr:$rate), "input",
    "`rate` `=` $rate "> {
  let summary = "Inverted dropout: zero with probability `rate`, else x / (1 - rate)";
  let description = [{
    `rate` is in [0, 1). In training mode element `i` is kept iff the uniform
    from the top 24 bits of its block's first word is >= `rate`, and kept
    elements are scaled by 1 / (1 - rate) (PyTorch's and Keras's inverted
    dropout), so inference is the identity. The gradient is dropout of the
    result's gradient with the same `rng` and `stream`: the mask is
    recomputed, never stored.
    ```mlir
    %y = nn.dropout %x rate = 5.000000e-01 stream = 0 : tensor<?x128xf32>
    %t = nn.dropout %x, %rng rate = 5.000000e-01 stream = 0
        : tensor<?x128xf32>, tensor<2xi64>
    ```
  }];
}

def NN_GaussianNoiseOp : NN_RandomOp<"gaussian_noise",
    "inferSameAsInput(adaptor.getInput().getType(), types)",
    (ins NN_FloatTensor:$input), (ins F32Attr:$stddev), "input",
    "`stddev` `=` $stddev "> {
  let summary = "x + N(0, stddev^2) noise in training, x in inference";
  let description = [{
    Keras's GaussianNoise (denoising autoencoders). `stddev` >= 0. The normal
    is Box-Muller of the block's first two words. The gradient is the
    identity.
    ```mlir
    %y = nn.gaussian_noise %x, %rng stddev = 1.000000e-01 stream = 1
        : tensor<?x784xf32>, tensor<2xi64>
    ```
  }];
}

def NN_RandomNormalOp : NN_RandomOp<"random_normal",
    "inferRandomLike(loc, adaptor.getLike().getType(), types)",
    (ins AnyRankedTensor:$like), (ins), "like", ""> {
  let summary = "Standard normal samples shaped like `like` (zeros in inference)";
  let description = [{
    An f32 tensor of `like`'s shape (its values are not read) of N(0, 1)
    samples, Box-Muller of each block's first two words: the noise of a
    VAE's reparameterisation. Without `rng` it is all zeros, the mean. No
    gradient flows to `like`.
    ```mlir
    %eps = nn.random_normal %mu, %rng stream = 2 : tensor<?x16xf32>, tensor<2xi64>
    ```
  }];
}

def NN_RandomUniformOp : NN_RandomOp<"random_uniform",
    "inferRandomLike(loc, adaptor.getLike().getType(), types)",
    (ins AnyRankedTensor:$like), (ins), "like", ""> {
  let summary = "U[0, 1) samples shaped like `like` (0.5 in inference)";
  let description = [{
    Multiples of 2^-24 from the top 24 bits of each block's first word.
    Without `rng` every element is 0.5, the mean.
    ```mlir
    %u = nn.random_uniform %x, %rng stream = 3 : tensor<?x16xf32>, tensor<2xi64>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Sequences: embeddings and recurrent layers (batch first, [N, T, ...])
//===----------------------------------------------------------------------===//

def NN_EmbeddingOp : NN_DifferentiableOp<"embedding", "inferEmbedding(loc, adaptor.getIds().getType(), adaptor.getTable().getType(), types)"> {
  let summary = "Rows of `table` [V, D] picked by integer `ids` [N, T]: [N, T, D]";
  let description = [{
    An id outside [0, V) reads the nearest valid row (the runtime rejects
    such ids before a compiled model sees them). `padding_idx`, when set,
    names the row that gets no gradient (PyTorch's `padding_idx`). The
    table's gradient is `nn.embedding_backward`, a scatter-add in sample
    order.
    ```mlir
    %e = nn.embedding %ids, %table padding_idx = 0
        : tensor<?x40xi64>, tensor<10000x100xf32>
    ```
  }];
  let arguments = (ins NN_IndexTensor:$ids, NN_FloatTensor:$table,
                       OptionalAttr<I64Attr>:$padding_idx);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$ids `,` $table (`padding_idx` `=` $padding_idx^)? attr-dict `:` type($ids) `,` type($table)";
}

def NN_EmbeddingBackwardOp : NN_InferredOp<"embedding_backward", "inferEmbeddingBackward(loc, adaptor.getGrad().getType(), adaptor.getIds().getType(), adaptor.getTable().getType(), types)"> {
  let summary = "Gradient of embedding's table: grad rows summed into their ids' rows";
  let description = [{
    `result[v] = sum of grad[n, t] over ids[n, t] == v`, added in row-major
    order of (n, t) whatever the thread count; the `padding_idx` row stays
    zero. `table` only gives the result type.
    ```mlir
    %dt = nn.embedding_backward %g, %ids, %table padding_idx = 0
        : tensor<?x40x100xf32>, tensor<?x40xi64>, tensor<10000x100xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$grad, NN_IndexTensor:$ids,
                       NN_FloatTensor:$table, OptionalAttr<I64Attr>:$padding_idx);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$grad `,` $ids `,` $table (`padding_idx` `=` $padding_idx^)? attr-dict `:` type($grad) `,` type($ids) `,` type($table)";
}

def NN_SequenceMaskOp : NN_InferredOp<"sequence_mask", "inferSequenceMask(loc, adaptor.getIds().getType(), types)"> {
  let summary = "1.0 where ids [N, T] differ from `padding_idx`, else 0.0";
  let description = [{
    The mask of padded steps that recurrent layers take (Keras's
    `mask_zero`). Not differentiable.
    ```mlir
    %m = nn.sequence_mask %ids padding_idx = 0 : tensor<?x40xi64>
    ```
  }];
  let arguments = (ins NN_IndexTensor:$ids, I64Attr:$padding_idx);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$ids `padding_idx` `=` $padding_idx attr-dict `:` type($ids)";
}

// A recurrent layer over whole sequences x [N, T, F] (batch first) with
// ONNX's weight layout: W [G*H, F], R [G*H, H], B [2*G*H] (Wb then Rb),
// G = `gates`. The optional mask [N, T] (1 valid, 0 padded) keeps the state
// across padded steps, whose outputs are zero (Keras masking). The optional
// `initial_h` [N, H] is h_0 (ONNX's input of that name, batch first;
// PyTorch's `h_0`), zero when absent. Results: the outputs [N, T, H], the
// last state [N, H] (after the last valid step under a mask) and the
// per-step activations the
// backward pass reads ([N, T, A*H]; no gradient flows through them).
class NN_RecurrentOp<string mnemonic, int gates, int acts>
    : NN_DifferentiableOp<mnemonic, "inferRecurrent(loc, " # gates # ", " # acts # ", adaptor.getInput().getType(), adaptor.getW().getType(), adaptor.getR().getType(), adaptor.getB().getType(), adaptor.getMask() ? adaptor.getMask().getType() : ::mlir::Type(), adaptor.getInitialH() ? adaptor.getInitialH().getType() : ::mlir::Type(), types)", [AttrSizedOperandSegments]> {
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$w,
                       NN_FloatTensor:$r, NN_FloatTensor:$b,
                       Optional<NN_FloatTensor>:$mask,
                       Optional<NN_FloatTensor>:$initial_h);
  let results = (outs NN_FloatTensor:$sequence, NN_FloatTensor:$last,
                      NN_FloatTensor:$activations);
  let assemblyFormat = "$input `,` $w `,` $r `,` $b (`mask` $mask^)? (`initial_h` $initial_h^)? attr-dict `:` type($input) `,` type($w) `,` type($r) `,` type($b) (`,` type($mask)^)? (`initial_h` type($initial_h)^)?";
}

def NN_RNNOp : NN_RecurrentOp<"rnn", 1, 1> {
  let summary = "Elman RNN: h_t = tanh(x_t W^T + h_{t-1} R^T + Wb + Rb)";
  let description = [{
    ONNX's RNN (one direction, tanh) over batch-first sequences, h_0 =
    `initial_h` (zero when absent).
    The activations are the states h_t [N, T, H].
    ```mlir
    %y, %h, %acts = nn.rnn %x, %w, %r, %b mask %m : tensor<?x40x100xf32>,
        tensor<64x100xf32>, tensor<64x64xf32>, tensor<128xf32>, tensor<?x40xf32>
    ```
  }];
}

def NN_LSTMOp : NN_DifferentiableOp<"lstm", "inferLSTM(loc, adaptor.getInput().getType(), adaptor.getW().getType(), adaptor.getR().getType(), adaptor.getB().getType(), adaptor.getMask() ? adaptor.getMask().getType() : ::mlir::Type(), adaptor.getInitialH() ? adaptor.getInitialH().getType() : ::mlir::Type(), adaptor.getInitialC() ? adaptor.getInitialC().getType() : ::mlir::Type(), types)", [AttrSizedOperandSegments]> {
  let summary = "LSTM with ONNX's gate order i, o, f, c (no peepholes)";
  let description = [{
    z = x_t W^T + h_{t-1} R^T + Wb + Rb split into i, o, f, c blocks of H;
    i, o, f = sigmoid, c~ = tanh; c_t = f c_{t-1} + i c~; h_t = o tanh(c_t).
    h_0 and c_0 are `initial_h` and `initial_c` [N, H] (ONNX's inputs of
    those names, batch first; PyTorch's `(h_0, c_0)`), zero when absent.
    The results are the outputs [N, T, H], the last state h [N, H], the
    activations per step (i, o, f, c~, c_t, h_t) [N, T, 6H] and the last
    cell state c [N, H] (ONNX's Y_c); with a mask, both last states are
    those after the last valid step. PyTorch's layout orders the gates
    i, f, g, o.
    ```mlir
    %y, %h, %acts, %c = nn.lstm %x, %w, %r, %b initial_h %h0 initial_c %c0
        : tensor<?x40x100xf32>, tensor<512x100xf32>, tensor<512x128xf32>,
          tensor<1024xf32> initial_h tensor<?x128xf32>
          initial_c tensor<?x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$w,
                       NN_FloatTensor:$r, NN_FloatTensor:$b,
                       Optional<NN_FloatTensor>:$mask,
                       Optional<NN_FloatTensor>:$initial_h,
                       Optional<NN_FloatTensor>:$initial_c);
  let results = (outs NN_FloatTensor:$sequence, NN_FloatTensor:$last,
                      NN_FloatTensor:$activations, NN_FloatTensor:$last_cell);
  // The states' types follow their keywords, so that any subset of the
  // optional operands parses back.
  let assemblyFormat = "$input `,` $w `,` $r `,` $b (`mask` $mask^)? (`initial_h` $initial_h^)? (`initial_c` $initial_c^)? attr-dict `:` type($input) `,` type($w) `,` type($r) `,` type($b) (`,` type($mask)^)? (`initial_h` type($initial_h)^)? (`initial_c` type($initial_c)^)?";
}

def NN_GRUOp : NN_DifferentiableOp<"gru", "inferRecurrent(loc, 3, 5, adaptor.getInput().getType(), adaptor.getW().getType(), adaptor.getR().getType(), adaptor.getB().getType(), adaptor.getMask() ? adaptor.getMask().getType() : ::mlir::Type(), adaptor.getInitialH() ? adaptor.getInitialH().getType() : ::mlir::Type(), types)", [AttrSizedOperandSegments]> {
  let summary = "GRU with ONNX's gate order z, r, h";
  let description = [{
    ONNX's GRU (one direction, default activations) over batch-first
    sequences, h_0 = `initial_h` [N, H] (zero when absent), with W [3H, F],
    R [3H, H], B [6H] (Wb then Rb):
    z = sigmoid(x_t Wz^T + h_{t-1} Rz^T + Wbz + Rbz), r likewise;
    without `linear_before_reset`
    h~ = tanh(x_t Wh^T + (r * h_{t-1}) Rh^T + Rbh + Wbh), with it
    h~ = tanh(x_t Wh^T + r * (h_{t-1} Rh^T + Rbh) + Wbh);
    h_t = (1 - z) * h~ + z * h_{t-1}. PyTorch's `nn.GRU` is
    `linear_before_reset` with its gates ordered r, z, n. The activations
    per step are (z, r, h~, h_{t-1} Rh^T + Rbh, h_t) [N, T, 5H]. Masking
    and results as nn.rnn.
    ```mlir
    %y, %h, %acts = nn.gru %x, %w, %r, %b linear_before_reset
        : tensor<?x40x100xf32>, tensor<96x100xf32>, tensor<96x32xf32>,
          tensor<192xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$w,
                       NN_FloatTensor:$r, NN_FloatTensor:$b,
                       Optional<NN_FloatTensor>:$mask,
                       Optional<NN_FloatTensor>:$initial_h,
                       UnitAttr:$linear_before_reset);
  let results = (outs NN_FloatTensor:$sequence, NN_FloatTensor:$last,
                      NN_FloatTensor:$activations);
  let assemblyFormat = "$input `,` $w `,` $r `,` $b (`mask` $mask^)? (`initial_h` $initial_h^)? (`linear_before_reset` $linear_before_reset^)? attr-dict `:` type($input) `,` type($w) `,` type($r) `,` type($b) (`,` type($mask)^)? (`initial_h` type($initial_h)^)?";
}

// The gradients of a recurrent op (backpropagation through time) from the
// gradients of its outputs and last state, its saved activations and the
// forward's `initial_h` (zero when absent): d input, d W, d R, d B and d h_0
// [N, H] (the carry dh_{t-1} left at t = 0).
class NN_RecurrentBackwardOp<string mnemonic, int gates, int acts>
    : NN_InferredOp<mnemonic, "inferRecurrentBackward(loc, " # gates # ", " # acts # ", adaptor.getGradSequence().getType(), adaptor.getGradLast().getType(), adaptor.getInput().getType(), adaptor.getW().getType(), adaptor.getR().getType(), adaptor.getActivations().getType(), adaptor.getMask() ? adaptor.getMask().getType() : ::mlir::Type(), adaptor.getInitialH() ? adaptor.getInitialH().getType() : ::mlir::Type(), types)", [AttrSizedOperandSegments]> {
  let arguments = (ins NN_FloatTensor:$grad_sequence, NN_FloatTensor:$grad_last,
                       NN_FloatTensor:$input, NN_FloatTensor:$w,
                       NN_FloatTensor:$r, NN_FloatTensor:$activations,
                       Optional<NN_FloatTensor>:$mask,
                       Optional<NN_FloatTensor>:$initial_h);
  let results = (outs NN_FloatTensor:$d_input, NN_FloatTensor:$d_w,
                      NN_FloatTensor:$d_r, NN_FloatTensor:$d_b,
                      NN_FloatTensor:$d_initial_h);
  let assemblyFormat = "$grad_sequence `,` $grad_last `,` $input `,` $w `,` $r `,` $activations (`mask` $mask^)? (`initial_h` $initial_h^)? attr-dict `:` type($grad_sequence) `,` type($grad_last) `,` type($input) `,` type($w) `,` type($r) `,` type($activations) (`,` type($mask)^)? (`initial_h` type($initial_h)^)?";
}

def NN_RNNBackwardOp : NN_RecurrentBackwardOp<"rnn_backward", 1, 1> {
  let summary = "Backpropagation through time of nn.rnn";
}

def NN_LSTMBackwardOp : NN_InferredOp<"lstm_backward", "inferLSTMBackward(loc, adaptor.getGradSequence().getType(), adaptor.getGradLast().getType(), adaptor.getGradLastCell().getType(), adaptor.getInput().getType(), adaptor.getW().getType(), adaptor.getR().getType(), adaptor.getActivations().getType(), adaptor.getMask() ? adaptor.getMask().getType() : ::mlir::Type(), adaptor.getInitialH() ? adaptor.getInitialH().getType() : ::mlir::Type(), adaptor.getInitialC() ? adaptor.getInitialC().getType() : ::mlir::Type(), types)", [AttrSizedOperandSegments]> {
  let summary = "Backpropagation through time of nn.lstm";
  let description = [{
    From the gradients of the outputs, of the last h and of the last c, the
    saved activations and the forward's initial states (zero when absent):
    d input, d W, d R, d B and the gradients of h_0 and c_0 [N, H] (the
    carries dh_{t-1}, dc_{t-1} left at t = 0).
    ```mlir
    %dx, %dw, %dr, %db, %dh0, %dc0 = nn.lstm_backward %gy, %gh, %gc, %x, %w,
        %r, %acts initial_h %h0 initial_c %c0 : ...
    ```
  }];
  let arguments = (ins NN_FloatTensor:$grad_sequence, NN_FloatTensor:$grad_last,
                       NN_FloatTensor:$grad_last_cell,
                       NN_FloatTensor:$input, NN_FloatTensor:$w,
                       NN_FloatTensor:$r, NN_FloatTensor:$activations,
                       Optional<NN_FloatTensor>:$mask,
                       Optional<NN_FloatTensor>:$initial_h,
                       Optional<NN_FloatTensor>:$initial_c);
  let results = (outs NN_FloatTensor:$d_input, NN_FloatTensor:$d_w,
                      NN_FloatTensor:$d_r, NN_FloatTensor:$d_b,
                      NN_FloatTensor:$d_initial_h, NN_FloatTensor:$d_initial_c);
  let assemblyFormat = "$grad_sequence `,` $grad_last `,` $grad_last_cell `,` $input `,` $w `,` $r `,` $activations (`mask` $mask^)? (`initial_h` $initial_h^)? (`initial_c` $initial_c^)? attr-dict `:` type($grad_sequence) `,` type($grad_last) `,` type($grad_last_cell) `,` type($input) `,` type($w) `,` type($r) `,` type($activations) (`,` type($mask)^)? (`initial_h` type($initial_h)^)? (`initial_c` type($initial_c)^)?";
}

def NN_GRUBackwardOp : NN_InferredOp<"gru_backward", "inferRecurrentBackward(loc, 3, 5, adaptor.getGradSequence().getType(), adaptor.getGradLast().getType(), adaptor.getInput().getType(), adaptor.getW().getType(), adaptor.getR().getType(), adaptor.getActivations().getType(), adaptor.getMask() ? adaptor.getMask().getType() : ::mlir::Type(), adaptor.getInitialH() ? adaptor.getInitialH().getType() : ::mlir::Type(), types)", [AttrSizedOperandSegments]> {
  let summary = "Backpropagation through time of nn.gru";
  let arguments = (ins NN_FloatTensor:$grad_sequence, NN_FloatTensor:$grad_last,
                       NN_FloatTensor:$input, NN_FloatTensor:$w,
                       NN_FloatTensor:$r, NN_FloatTensor:$activations,
                       Optional<NN_FloatTensor>:$mask,
                       Optional<NN_FloatTensor>:$initial_h,
                       UnitAttr:$linear_before_reset);
  let results = (outs NN_FloatTensor:$d_input, NN_FloatTensor:$d_w,
                      NN_FloatTensor:$d_r, NN_FloatTensor:$d_b,
                      NN_FloatTensor:$d_initial_h);
  let assemblyFormat = "$grad_sequence `,` $grad_last `,` $input `,` $w `,` $r `,` $activations (`mask` $mask^)? (`initial_h` $initial_h^)? (`linear_before_reset` $linear_before_reset^)? attr-dict `:` type($grad_sequence) `,` type($grad_last) `,` type($input) `,` type($w) `,` type($r) `,` type($activations) (`,` type($mask)^)? (`initial_h` type($initial_h)^)?";
}

//===----------------------------------------------------------------------===//
// Optimizer updates (one fused elementwise kernel per parameter)
//===----------------------------------------------------------------------===//

def NN_SGDUpdateOp : NN_Op<"sgd_update", [Pure, AllTypesMatch<["param",
    "grad", "velocity", "new_param", "new_velocity"]>]> {
  let summary = "SGD with momentum, Nesterov and weight decay (PyTorch's SGD)";
  let description = [{
    As `torch.optim.SGD` with `dampening = 0`: `g' = g + weight_decay * p`
    (coupled L2), `v' = momentum * v + g'`, then `p' = p - lr * v'`, or with
    `nesterov` `p' = p - lr * (g' + momentum * v')` (Sutskever et al. 2013
    in PyTorch's formulation). PyTorch starts the buffer at `g'` on the
    first step, which is the same as `v = 0` here.
    ```mlir
    %p1, %v1 = nn.sgd_update %p, %g, %v, %lr {momentum = 0.9 : f32} : tensor<784x128xf32>
    %p2, %v2 = nn.sgd_update %p, %g, %v, %lr {momentum = 0.9 : f32, nesterov, weight_decay = 1.0e-4 : f32} : tensor<128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$velocity, NN_FloatScalar:$lr,
                       DefaultValuedAttr<F32Attr, "0.0f">:$momentum,
                       UnitAttr:$nesterov,
                       DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay);
  let hasVerifier = 1;
  let results = (outs NN_FloatTensor:$new_param, NN_FloatTensor:$new_velocity);
  let assemblyFormat = "$param `,` $grad `,` $velocity `,` $lr attr-dict `:` type($param)";
}

def NN_AdamUpdateOp : NN_Op<"adam_update", [Pure, AllTypesMatch<["param",
    "grad", "m", "v", "new_param", "new_m", "new_v"]>]> {
  let summary = "Adam and AdamW with bias correction (Kingma & Ba; "
                "Loshchilov & Hutter; PyTorch convention)";
  let description = [{
    With `t` the 1-based step: `m' = b1 m + (1-b1) g`, `v' = b2 v + (1-b2) g^2`,
    `p' = p - lr * (m' / (1-b1^t)) / (sqrt(v' / (1-b2^t)) + eps)`.
    `weight_decay` is coupled L2 as in `torch.optim.Adam` (`g` becomes
    `g + weight_decay * p` before the moments), or with `decoupled` the
    decay of AdamW (`torch.optim.AdamW`): `p` becomes
    `p (1 - lr weight_decay)` before the Adam step, outside the moments.
    ```mlir
    %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %lr, %t : tensor<128xf32>
    %p2, %m2, %v2 = nn.adam_update %p, %g, %m, %v, %lr, %t {decoupled, weight_decay = 0.01 : f32} : tensor<128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$m, NN_FloatTensor:$v,
                       NN_FloatScalar:$lr, NN_FloatScalar:$step,
                       DefaultValuedAttr<F32Attr, "0.9f">:$beta1,
                       DefaultValuedAttr<F32Attr, "0.999f">:$beta2,
                       DefaultValuedAttr<F32Attr, "1.0e-8f">:$epsilon,
                       DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay,
                       UnitAttr:$decoupled);
  let hasVerifier = 1;
  let results = (outs NN_FloatTensor:$new_param, NN_FloatTensor:$new_m,
                      NN_FloatTensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `,` $lr `,` $step attr-dict `:` type($param)
  }];
}

#endif // NEURONA_DIALECT_NN_IR_NNOPS_TD
