//===- Passes.td - nn transformation passes ----------------*- tablegen -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DIALECT_NN_TRANSFORMS_PASSES_TD
#define NEURONA_DIALECT_NN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNAutodiff : Pass<"nn-autodiff", "::mlir::ModuleOp"> {
  let summary = "Build `gradients` and `train_step` from `forward` by "
                "reverse-mode differentiation";
  let description = [{
    Reads `func.func @forward`, whose arguments carry `nn.role` ("input" or
    "param") and `nn.name`, and adds two functions:

    * `@gradients(inputs..., target, [rng], params...) -> (loss, d params...)`
    * `@train_step(inputs..., target, lr, [rng], params..., state...)
          -> (loss, prediction, new params..., new state...)`

    `rng` (role "hyper", a `tensor<2xi64>` holding the seed and the step) is
    only added when `forward` has random ops (`RandomOpInterface`); their
    copies in both functions take it, which puts them in training mode.
    Each random op of `forward` needs its own `stream`.

    The loss is applied to `forward`'s first result. Gradients come from each
    op's `GradientOpInterface` rule, walked in reverse over the ops that
    depend on a parameter; contributions to a value used several times are
    summed. The optimizer update is one `nn.sgd_update` or `nn.adam_update`
    per parameter. Every new argument and result is tagged with `nn.role` and
    `nn.name`, which is all the runtime needs to bind buffers.

    Penalties are added to the loss before differentiating, so `loss` in
    both functions is the objective: data loss + penalties (as Keras reports
    it). `penalties` entries are `l1:COEFF` or `l2:COEFF` for every
    parameter of rank 2 or more (weights; biases are rank 1), or
    `l1:COEFF:NAME` for parameter NAME: l1 adds `COEFF * sum |p|`, l2
    `COEFF * sum p^2` (Keras's regularizers; l2 is `weight_decay = 2 COEFF`
    in gradient terms). `activity` entries `l1:COEFF:LAYER` (or l2) add
    `COEFF * mean |a|` (or `mean a^2`) over every element of the value of
    the op located at `NameLoc` LAYER in `forward` (the DSL names the last
    op of each layer so).

    `reduction=sum` scales the loss by the elements of one sample of the
    prediction, so that binary_cross_entropy, mse and mae are summed over
    each sample and averaged over the batch (a VAE's per-image
    reconstruction loss). `kl` entries `COEFF:LAYER` add `COEFF` times the
    KL divergence of N(mu, exp(logvar)) from N(0, I), summed over the
    latent units and averaged over the batch:
    `-0.5 * sum(1 + logvar - mu^2 - exp(logvar))` (Kingma & Welling 2014,
    appendix B), with `mu` and `logvar` the values of the ops located at
    `LAYER.mu` and `LAYER.logvar` (the DSL's `gaussian` layer).

    Models that train several networks (GANs) run the pass once per step:
    `function` names the function to differentiate instead of `forward`,
    `prefix` names the new ones (`d_gradients`, `d_train_step`), `wrt`
    keeps gradients, optimizer state and param_out to the parameters whose
    names start with one of its entries (the others are read like
    `nn.trainable = false` ones, and no gradient flows towards them), and
    `loss=objective` takes the function's first result, a scalar, as the
    loss: there is no target argument and no prediction result.
  }];
  let dependentDialects = ["::mlir::nn::NNDialect", "::mlir::func::FuncDialect"];
  let options = [
    Option<"loss", "loss", "std::string", "\"cross_entropy\"",
           "cross_entropy | binary_cross_entropy | mse | mae | objective "
           "(the function's first result is the scalar to minimise)">,
    Option<"function", "function", "std::string", "\"forward\"",
           "The function to differentiate">,
    Option<"prefix", "prefix", "std::string", "\"\"",
           "Prefix of the generated functions' names (<prefix>gradients, "
           "<prefix>train_step) and of Adam's step counter">,
    ListOption<"wrt", "wrt", "std::string",
               "Differentiate and update only the parameters whose names "
               "start with one of these (all when empty)">,
    Option<"fromLogits", "from-logits", "bool", "false",
           "binary_cross_entropy takes logits (BCEWithLogitsLoss)">,
    Option<"softTargets", "soft-targets", "bool", "false",
           "cross_entropy takes f32 class probabilities [batch, classes] "
           "instead of integer labels">,
    Option<"optimizer", "optimizer", "std::string", "\"adam\"",
           "sgd | adam | adamw">,
    Option<"momentum", "momentum", "double", "0.0", "SGD momentum">,
    Option<"nesterov", "nesterov", "bool", "false", "SGD Nesterov momentum">,
    Option<"weightDecay", "weight-decay", "double", "0.0",
           "Weight decay: coupled L2 for sgd and adam, decoupled for adamw">,
    ListOption<"penalties", "penalties", "std::string",
               "l1:COEFF | l2:COEFF (every weight) | l1:COEFF:PARAM">,
    ListOption<"activity", "activity", "std::string",
               "l1:COEFF:LAYER | l2:COEFF:LAYER">,
    Option<"reduction", "reduction", "std::string", "\"mean\"",
           "mean | sum (per sample, averaged over the batch)">,
    ListOption<"kl", "kl", "std::string",
               "COEFF:LAYER: the KL term of a gaussian layer">,
    Option<"beta1", "beta1", "double", "0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", "0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", "1e-8", "Adam epsilon">,
  ];
}

#endif // NEURONA_DIALECT_NN_TRANSFORMS_PASSES_TD
