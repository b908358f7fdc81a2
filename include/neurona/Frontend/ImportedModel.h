//===- ImportedModel.h - what a frontend hands to the compiler --*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Frontends produce `nn` IR plus the facts that are not semantics of the
// computation: initial parameter values and the training recipe. Keeping them
// out of the IR is what lets the same network written in ONNX and in the DSL
// import to identical IR.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_FRONTEND_IMPORTEDMODEL_H
#define NEURONA_FRONTEND_IMPORTEDMODEL_H

#include "neurona/Data/Source.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace neurona {

/// A trainable parameter, in the order of the `forward` arguments with role
/// "param".
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  /// "zeros", "ones", "glorot_uniform", "he_uniform", or "data" when `values`
  /// holds the initial values (ONNX initializers).
  std::string init;
  std::vector<float> values;
  /// False for values the data fixes rather than training (the input's
  /// standardization statistics): `forward` marks the argument with
  /// `nn.trainable = false`, and train_step passes it through unchanged.
  bool trainable = true;
};

/// An L1 or L2 penalty added to the loss (docs/dsl.md, "Penalties").
struct PenaltySpec {
  /// "l1" (coefficient * sum |x|) or "l2" (coefficient * sum x^2); for an
  /// activity penalty the sum is a mean over the layer's output.
  std::string kind;
  double coefficient = 0.0;
  /// Parameter names (empty: every parameter of rank >= 2, i.e. weights and
  /// not biases) or, for an activity penalty, the one layer name.
  std::vector<std::string> targets;
};

/// The training recipe of a model (the DSL's `train` section); command-line
/// options override it.
struct TrainSpec {
  bool present = false;
  std::string loss;      // cross_entropy | binary_cross_entropy | mse | mae
  /// binary_cross_entropy on logits (PyTorch's BCEWithLogitsLoss).
  bool fromLogits = false;
  /// cross_entropy against f32 class probabilities instead of labels.
  bool softTargets = false;
  /// "mean" (over every element, PyTorch's default) or "sum" (summed over
  /// each sample's elements, then averaged over the batch: a VAE's
  /// per-image reconstruction loss) for binary_cross_entropy, mse and mae.
  std::string reduction = "mean";
  std::string optimizer; // sgd | adam | adamw
  double learningRate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  /// Coupled L2 for sgd and adam, decoupled for adamw.
  double weightDecay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  int64_t batchSize = 32;
  int64_t epochs = 1;
  std::vector<std::string> metrics;
  std::vector<PenaltySpec> penalties;
  std::vector<PenaltySpec> activity;
  /// The KL divergence of a `gaussian` layer's posterior from N(0, I),
  /// averaged over the batch, times `coefficient` (kind "kl", one target:
  /// the layer).
  std::vector<PenaltySpec> kl;
  /// A GAN's two models (`generator = G`, `discriminator = D`), whose
  /// names prefix their parameters; empty for other models.
  std::string generator, discriminator;
  /// Learning-rate schedule applied by the trainer per epoch: "" (constant),
  /// "step" (lr * gamma^floor(epoch / every)) or "cosine" (from lr down to
  /// minLr over `scheduleEpochs`).
  std::string schedule;
  int64_t stepEvery = 1;
  double stepGamma = 0.1;
  int64_t cosineEpochs = 0;
  double cosineMinLr = 0.0;
};

struct ImportedModel {
  /// `module @<name>` holding `func.func @forward`. Arguments carry
  /// `nn.role` ("input" or "param") and `nn.name`; results carry
  /// `nn.role = "output"` and `nn.name`.
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string name;
  std::vector<ParamSpec> params;
  TrainSpec train;
  /// The DSL's `data` section; Kind::None when there is none.
  data::DataSpec data;
  /// A text model's training vocabularies (their words from id 2), one per
  /// text input (parallel to data.textEncodings(); empty when unknown),
  /// when its trained parameters were loaded (`neurona compile --params`):
  /// the manifest carries them so that the compiled model takes raw text.
  std::vector<std::vector<std::string>> vocabularies;
};

} // namespace neurona

#endif // NEURONA_FRONTEND_IMPORTEDMODEL_H
