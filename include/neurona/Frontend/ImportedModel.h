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

/// The training recipe of a model (the DSL's `train` section); command-line
/// options override it.
struct TrainSpec {
  bool present = false;
  std::string loss;      // cross_entropy | binary_cross_entropy | mse
  std::string optimizer; // sgd | adam
  double learningRate = 0.01;
  double momentum = 0.0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  int64_t batchSize = 32;
  int64_t epochs = 1;
  std::vector<std::string> metrics;
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
};

} // namespace neurona

#endif // NEURONA_FRONTEND_IMPORTEDMODEL_H
