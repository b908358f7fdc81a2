//===- Emitter.h - from the DSL's syntax tree to `nn` IR --------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The semantic half of the DSL frontend, shared by its files: argument
// binding (Arguments.cpp), the model walk (`ModelEmitter`, Emitter.cpp), the
// layer table (Layers.cpp) and the train section (TrainSection.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_FRONTEND_DSL_EMITTER_H
#define NEURONA_LIB_FRONTEND_DSL_EMITTER_H

#include "Diagnostics.h"

#include "neurona/Frontend/DSL/AST.h"
#include "neurona/Frontend/ForwardBuilder.h"
#include "neurona/Frontend/ImportedModel.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace neurona::dsl {

/// Parses with diagnostics owned by the caller, so that the emitter reports
/// against the same buffer.
llvm::Expected<ast::Program> parseProgram(llvm::StringRef source,
                                          const SourceDiagnostics &diags);

/// A number as written in messages: "0.001", "1.5", "1e-08".
std::string formatNumber(double value);

/// An expression as named in messages: "integer 5", "identifier 'relu'".
std::string describeExpr(const ast::Expr &expr);

//===----------------------------------------------------------------------===//
// Arguments of calls (layers, optimizers)
//===----------------------------------------------------------------------===//

enum class ArgKind {
  Integer,
  /// An integer or a floating-point literal.
  Number,
  Identifier,
  Bool,
  /// An integer, or a string or name such as `padding="same"`.
  IntegerOrString,
  String,
  /// A string or a list of strings: `"a.txt"`, `["a.txt", "b.txt"]`.
  Strings,
  /// A string or a name: `"code"` or `code`.
  Name,
  /// A list of strings: `["dense0.weight", "dense1.weight"]`.
  StringList,
};

/// One parameter a call accepts. Only leading parameters may be positional.
struct ParamDecl {
  llvm::StringRef name;
  ArgKind kind;
  bool positional = false;
};

/// A call's arguments matched to its parameters and type-checked.
class BoundArgs {
public:
  const ast::Expr *get(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  double getNumber(llvm::StringRef name, double defaultValue) const;
  llvm::StringRef getIdentifier(llvm::StringRef name,
                                llvm::StringRef defaultValue) const;
  bool getBool(llvm::StringRef name, bool defaultValue) const;

private:
  friend llvm::Expected<BoundArgs> bindArguments(const ast::Expr &,
                                                 llvm::ArrayRef<ParamDecl>,
                                                 const SourceDiagnostics &);
  llvm::SmallVector<std::pair<llvm::StringRef, const ast::Expr *>> values;
};

/// Matches `call`'s arguments to `params`: unknown keywords (with a
/// suggestion), repeats, extra positional arguments and wrong types are
/// errors.
llvm::Expected<BoundArgs> bindArguments(const ast::Expr &call,
                                        llvm::ArrayRef<ParamDecl> params,
                                        const SourceDiagnostics &diags);

/// Fails unless identifier `value` is one of `choices`; `what` names the
/// setting in the message ("activation").
llvm::Error checkChoice(const ast::Expr &value, llvm::StringRef what,
                        llvm::ArrayRef<llvm::StringRef> choices,
                        const SourceDiagnostics &diags);

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

/// A value of the model and what produced it last, which loss checks need
/// ("softmax", "sigmoid", "linear", "input", ...).
struct ValueInfo {
  mlir::Value value;
  std::string producer;
  /// Sequences [N, T, ...] from an embedding with a padding id: the mask of
  /// valid steps [N, T] (1 valid, 0 padded) that recurrent layers take, as
  /// Keras propagates `mask_zero`. Null otherwise.
  mlir::Value mask;
  /// `rnn/lstm/gru(..., return_state=true)`: its last h [N, H] (and an
  /// lstm's last c), which another layer of the same kind (`producer`)
  /// takes as `initial_state`. Null otherwise.
  mlir::Value stateH, stateC;
  /// The value of data input number `inputIndex` itself; -1 otherwise.
  int inputIndex = -1;
  /// A sequence [N, T, F] of steps (an embedding's, a recurrent layer's
  /// with return_sequences, a dense layer's on one), which `dense` applies
  /// to step by step; an image [N, H, W] is not one.
  bool sequence = false;
};

struct OutputInfo {
  std::string name;
  SourceLoc loc;
  ValueInfo info;
};

/// The most elements an input example or a parameter may have (2^40 floats
/// is 4 TiB): beyond any real model, and it keeps shape arithmetic on the
/// layers' sizes from overflowing.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

class ModelEmitter;

/// What a layer's emitter sees.
struct LayerContext {
  ModelEmitter &emitter;
  const ast::Expr &call;
  /// The layer's name: given, or the automatic `<kind><index>`.
  std::string name;
  ValueInfo input;
  mlir::Location loc;
};

using LayerFn = llvm::Expected<ValueInfo> (*)(LayerContext &);

/// The layer called `name`, or null.
LayerFn lookupLayer(llvm::StringRef name);
/// Names of all layers, for suggestions.
llvm::ArrayRef<llvm::StringRef> layerNames();

class ModelEmitter {
public:
  ModelEmitter(mlir::MLIRContext &context, const ast::ModelDecl &model,
               const SourceDiagnostics &diags);

  /// Emits the model's statements in order.
  llvm::Error emitBody();
  llvm::ArrayRef<OutputInfo> getOutputs() const { return outputs; }
  /// Verifies the IR and hands it over with the parameter specs.
  llvm::Expected<ImportedModel> finish();

  // Used by layer emitters.
  const SourceDiagnostics &getDiags() const { return diags; }
  mlir::OpBuilder &builder() { return forward.builder(); }
  mlir::Location loc(SourceLoc where) const;
  /// Adds parameter `name` of `shape` with initializer `init`.
  mlir::Value addParam(const std::string &name, llvm::ArrayRef<int64_t> shape,
                       llvm::StringRef init, SourceLoc where,
                       bool trainable = true);
  /// Makes the model standardize its input, (x - mean) / std, with the
  /// statistics as untrained parameters `<input>.mean` and `<input>.std`
  /// that the data section's preparation fills in. Call before emitBody.
  void standardizeInput() { standardize = true; }
  /// A random-number stream of its own for the next random layer (0, 1, ...
  /// in the order of the layers), so that layers draw independent numbers.
  int64_t takeRandomStream() { return randomStreams++; }
  /// Records that the ids input takes values in [0, bound) (an embedding's
  /// vocabulary), for the runtime's check of raw ids.
  /// With several embeddings of one input, the smallest vocabulary is
  /// the bound.
  void setInputBound(int inputIndex, int64_t bound);
  /// Records the model's `gaussian` layer (a VAE's latent code), whose
  /// following layers become the `decode` entry; a second one is an error.
  llvm::Error setLatentLayer(const std::string &name, SourceLoc where);
  /// The input's name, for messages.
  llvm::StringRef inputName() const {
    return inputs.empty() ? llvm::StringRef() : llvm::StringRef(inputs[0].name);
  }
  /// The input or layer called `name` (for `initial_state=NAME`), or null;
  /// `known` receives every name for a suggestion.
  const ValueInfo *findValue(llvm::StringRef name,
                             std::vector<llvm::StringRef> *known) const;

  // Used by the train section.
  llvm::ArrayRef<ParamSpec> getParams() const { return params; }
  /// The value of layer `name`, or null when no layer has that name.
  const ValueInfo *findLayer(llvm::StringRef name) const;
  /// Every layer name, for suggestions.
  std::vector<llvm::StringRef> getLayerNames() const;

private:
  bool isInputName(llvm::StringRef name) const;
  llvm::Error emitInput(const ast::InputStmt &input);
  llvm::Error emitLayer(const ast::LayerStmt &layer);
  llvm::Error emitOutput(const ast::OutputStmt &output);
  llvm::Error defineName(const std::string &name, SourceLoc where,
                         const ValueInfo &info, bool automatic);

  mlir::MLIRContext *context;
  const ast::ModelDecl &model;
  const SourceDiagnostics &diags;
  ForwardBuilder forward;
  std::vector<ParamSpec> params;
  std::vector<OutputInfo> outputs;
  /// Values by name (the input and every layer), with where each was named.
  llvm::StringMap<std::pair<ValueInfo, SourceLoc>> names;
  /// Layers of each kind so far, for automatic names.
  llvm::StringMap<unsigned> kindCounts;
  /// The data inputs in order, and the bound of each (0: none).
  std::vector<ast::InputStmt> inputs;
  std::vector<int64_t> bounds;
  /// Whether a layer has been emitted (inputs must come first: they
  /// precede the parameters among forward's arguments).
  bool sawLayer = false;
  ValueInfo current;
  bool standardize = false;
  int64_t randomStreams = 0;
  /// The `gaussian` layer, if any, and where it is.
  std::string latentLayer;
  SourceLoc latentLoc;
};

/// Composes a GAN named `name` from its two emitted models: the entries
/// generate, discriminate, d_objective and g_objective with the parameters
/// renamed `<model>.<name>` (GAN.cpp). The shapes have been checked.
llvm::Expected<ImportedModel> composeGAN(llvm::StringRef name,
                                         ImportedModel &generator,
                                         ImportedModel &discriminator,
                                         const TrainSpec &spec);

/// Adds `func.func @decode` to `module`: the ops of `forward` downstream of
/// the value of the op located at NameLoc `layer`, with that value as its
/// input (named `layer`), the parameters those ops read and the results of
/// `forward` they compute. A VAE's decoder, for sampling from the prior.
/// Does nothing when no result of `forward` depends on the layer.
llvm::Error addDecoderEntry(mlir::ModuleOp module, llvm::StringRef layer);

//===----------------------------------------------------------------------===//
// Training and data
//===----------------------------------------------------------------------===//

/// The data section of a model: where its data comes from and how it is
/// prepared. Relative paths are taken from `baseDir` (the `.nn` file's
/// folder). The input's shape is checked where the data fixes it (bag of
/// words: one element per vocabulary id).
llvm::Expected<data::DataSpec> buildDataSpec(const ast::TrainDecl &section,
                                             const ast::ModelDecl &model,
                                             llvm::StringRef baseDir,
                                             const SourceDiagnostics &diags);

/// The training recipe of `train`, checked against the outputs of the model
/// it trains.
llvm::Expected<TrainSpec> buildTrainSpec(const ast::TrainDecl &train,
                                         const ast::ModelDecl &model,
                                         const ModelEmitter &emitter,
                                         const SourceDiagnostics &diags);

} // namespace neurona::dsl

#endif // NEURONA_LIB_FRONTEND_DSL_EMITTER_H
