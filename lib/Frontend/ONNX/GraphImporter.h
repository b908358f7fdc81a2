//===- GraphImporter.h - shared state of the ONNX importer ------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// The pieces of the ONNX importer that its files share: the loaded model, the
// import-time tensor representation, and `NodeContext`, the one interface op
// handlers see. Handlers are plain functions registered by op type per family
// (Linear.cpp, Elementwise.cpp, Activation.cpp, Shape.cpp, Softmax.cpp,
// Reduction.cpp); they never touch the value table directly, so operand
// resolution, parameter creation and error wording stay in one place.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_FRONTEND_ONNX_GRAPHIMPORTER_H
#define NEURONA_LIB_FRONTEND_ONNX_GRAPHIMPORTER_H

#include "neurona/Frontend/ForwardBuilder.h"
#include "neurona/Frontend/ImportedModel.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace neurona::onnx_import {

/// A model file read and parsed, with the facts later stages need.
struct LoadedModel {
  /// The path as the user gave it; every error starts with it.
  std::string path;
  /// The model's folder, canonical (symlinks resolved); external data must
  /// resolve to files inside it.
  std::string folder;
  onnx::ModelProto proto;
  /// Version of the default operator set the graph is written against.
  int64_t opset = 0;
};

/// Reads `path`, parses it and checks the model-level fields (IR version,
/// graph, operator sets).
llvm::Expected<std::unique_ptr<LoadedModel>> loadModel(llvm::StringRef path);

/// Whether `dataType` is FLOAT16 or BFLOAT16. Tensors of these types cross
/// the entry ABI and are converted by Cast; every other op computes on them
/// in f32 and rounds its results back (NodeContext::roundsTo).
bool isNarrowFloatDataType(int32_t dataType);

/// A tensor whose contents are known at import time: an initializer, the
/// output of a `Constant` node, or a value folded from such tensors and from
/// static shapes (Shape -> Gather -> Concat -> Reshape chains).
struct TensorValue {
  /// An `onnx::TensorProto::DataType`: FLOAT, DOUBLE, FLOAT16, BFLOAT16,
  /// BOOL, or one of the integer types INT8 to INT64 and UINT8 to UINT64.
  int32_t dataType = 0;
  llvm::SmallVector<int64_t> dims;
  /// Elements of a FLOAT, FLOAT16 or BFLOAT16 tensor (the 16-bit ones
  /// widened, which is exact). FLOAT16 and BFLOAT16 values are only ever
  /// turned into `nn.constant`s: the importer computes on them at run time.
  std::vector<float> floats;
  /// Elements of a DOUBLE tensor.
  std::vector<double> doubles;
  /// Elements of an integer or BOOL (0 or 1) tensor, widened: signed types
  /// sign-extended, UINT8 to UINT32 zero-extended, UINT64 as its bit
  /// pattern (values above INT64_MAX read negative). An
  /// element may be kDynamicBatch, the size of a dynamic batch dimension
  /// read by Shape: it only moves through Gather, Slice, Concat,
  /// (Un)squeeze and integer Casts, and a Reshape reads it as "keep the
  /// batch"; anything that needs its value refuses.
  std::vector<int64_t> ints;

  static constexpr int64_t kDynamicBatch = INT64_MIN;

  bool isFloat() const { return dataType == onnx::TensorProto::FLOAT; }
  bool isDouble() const { return dataType == onnx::TensorProto::DOUBLE; }
  /// FLOAT16 or BFLOAT16.
  bool isNarrowFloat() const { return isNarrowFloatDataType(dataType); }
  /// An integer type or BOOL: elements in `ints`.
  bool isIntegral() const {
    return !isFloat() && !isDouble() && !isNarrowFloat();
  }
  /// INT32, INT64 or BOOL: the types of shape arithmetic, which folds at
  /// import (the other integer types only ever compute in the graph).
  bool isShapeIntegral() const {
    return dataType == onnx::TensorProto::INT32 ||
           dataType == onnx::TensorProto::INT64 || isBool();
  }
  bool isBool() const { return dataType == onnx::TensorProto::BOOL; }
  /// True when an element is the dynamic batch size.
  bool isSymbolic() const {
    return llvm::is_contained(ints, kDynamicBatch);
  }
  int64_t numElements() const {
    return isFloat() || isNarrowFloat() ? static_cast<int64_t>(floats.size())
           : isDouble()                 ? static_cast<int64_t>(doubles.size())
                                        : static_cast<int64_t>(ints.size());
  }
};

/// The version of default-domain op `opType` in effect at `opset`: the
/// newest `since_version` not above it, as ONNX resolves it. 0 when the op
/// does not exist yet at `opset`, -1 when ONNX defines no such op.
int64_t resolveOpVersion(llvm::StringRef opType, int64_t opset);

/// The element types the importer handles, for messages.
inline constexpr const char *kSupportedDataTypes =
    "FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, INT16, INT32, INT64, UINT8, "
    "UINT16, UINT32, UINT64 and BOOL";

/// The IR element type of an ONNX data type the importer computes on, or
/// null: f32, f64, f16, bf16, i1, signless i8/i16/i32/i64 for INT8 to INT64 and
/// unsigned ui8/ui16/ui32/ui64 for UINT8 to UINT64 (the `nn` dialect keeps
/// ONNX's signedness in the type; the linalg lowering makes it signless).
mlir::Type elementTypeOf(mlir::MLIRContext *context, int32_t dataType);
/// Whether `dataType` is one of INT8 to INT64 or UINT8 to UINT64.
bool isIntegerDataType(int32_t dataType);
/// Whether `dataType` is one of UINT8 to UINT64.
bool isUnsignedDataType(int32_t dataType);
/// `v` wrapped to integer (or BOOL) `dataType` the way TensorValue stores
/// it: two's complement truncation, then sign or zero extension.
int64_t wrapInteger(int32_t dataType, int64_t v);
/// Whether `t` is an integer element type other than bool (i8 to i64, ui8
/// to ui64).
bool isIntegerElement(mlir::Type t);
/// The ONNX data type of an IR element type, or UNDEFINED.
int32_t dataTypeOf(mlir::Type elementType);
/// `value` as an attribute for `nn.constant` (never symbolic).
mlir::DenseElementsAttr toAttribute(mlir::MLIRContext *context,
                                    const TensorValue &value);

/// The name of an ONNX element type, for messages ("FLOAT", "INT64", ...).
std::string dataTypeName(int32_t dataType);

/// Decodes a TensorProto (inline or external data). Errors describe only the
/// tensor; the caller says where it was met.
llvm::Expected<TensorValue> decodeTensor(const onnx::TensorProto &tensor,
                                         const LoadedModel &model);

/// Reads the bytes of an external-data tensor, after checking that its
/// `location` stays inside the model's folder and that `offset`/`length` lie
/// inside the file. `expectedBytes` is what the tensor's type and shape need.
llvm::Expected<std::string> readExternalData(const onnx::TensorProto &tensor,
                                             const LoadedModel &model,
                                             uint64_t expectedBytes);

/// `[?, 784]`-style text for messages.
std::string formatShape(llvm::ArrayRef<int64_t> shape);
std::string formatShape(mlir::Type type);

class GraphImporter;

/// What an op handler sees of the node it imports.
class NodeContext {
public:
  NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
              unsigned index, mlir::Location loc);

  const onnx::NodeProto &node() const { return nodeProto; }
  const LoadedModel &model() const;
  llvm::StringRef opType() const { return nodeProto.op_type(); }
  mlir::OpBuilder &builder();
  mlir::Location loc() const { return location; }
  /// Version of the default operator set, for ops whose semantics changed.
  int64_t opset() const;
  /// A random-number stream of its own for the next random op (0, 1, ...).
  int64_t takeRandomStream();

  /// An error "file: node 3 'name' (Op): <message>".
  llvm::Error error(const llvm::Twine &message) const;

  //===--------------------------------------------------------------------===//
  // Attributes
  //===--------------------------------------------------------------------===//

  /// Fails on any attribute not in `known`: an attribute this importer does
  /// not read could change the op's meaning.
  llvm::Error checkAttributes(llvm::ArrayRef<llvm::StringRef> known) const;
  const onnx::AttributeProto *findAttribute(llvm::StringRef name) const;
  llvm::Expected<int64_t> intAttribute(llvm::StringRef name,
                                       int64_t defaultValue) const;
  llvm::Expected<float> floatAttribute(llvm::StringRef name,
                                       float defaultValue) const;

  //===--------------------------------------------------------------------===//
  // Operands and results
  //===--------------------------------------------------------------------===//

  /// Inputs counted up to the last non-empty one (trailing optional inputs
  /// that are omitted or given as "" do not count).
  unsigned numInputs() const;
  bool hasInput(unsigned i) const;
  /// Fails unless the node has between `min` and `max` inputs.
  llvm::Error checkNumInputs(unsigned min, unsigned max) const;
  /// checkAttributes(known), then checkNumInputs(minInputs, maxInputs): the
  /// checks every handler of a node with inputs starts with.
  llvm::Error checkSignature(llvm::ArrayRef<llvm::StringRef> known,
                             unsigned minInputs, unsigned maxInputs) const;

  /// Whether this node computes on FLOAT16/BFLOAT16 inputs in f32: every op
  /// but Cast, which converts them itself. Then input() and anyInput() give
  /// such an input widened to f32 (exact), inputDataType() says FLOAT, and a
  /// value known at import of those types is read only at run time.
  bool widensNarrowFloats() const;
  /// The f16/bf16 type that the node's f32 results are rounded to after its
  /// handler ran, or null: the type of its first float input when that is
  /// FLOAT16 or BFLOAT16 (ONNX's ops give results of their float inputs'
  /// type T; Pow's exponent and BatchNormalization's statistics come later).
  mlir::Type roundsTo() const { return roundTo; }
  void setRoundsTo(mlir::Type type) { roundTo = type; }

  /// Input `i` as an f32 tensor value (an error names the input's type
  /// otherwise). FLOAT initializers become parameters (or a constant when
  /// they are scalars), other initializers and `Constant` outputs
  /// `nn.constant`s, the first time they are used this way.
  llvm::Expected<mlir::Value> input(unsigned i);
  /// Input `i` as a tensor value of any element type the importer handles.
  llvm::Expected<mlir::Value> anyInput(unsigned i);
  /// Input `i`'s contents when they are known at import time (and are not
  /// an overridable default or a parameter), else null; never fails.
  const TensorValue *knownInput(unsigned i);
  /// Input `i`'s shape, without making an initializer a parameter.
  llvm::Expected<llvm::SmallVector<int64_t>> inputShape(unsigned i);
  /// Input `i`'s ONNX data type, without making an initializer a parameter.
  llvm::Expected<int32_t> inputDataType(unsigned i);
  /// Inputs 0 to N-1 as by input(), read in order so that initializers
  /// become parameters in first-use order.
  template <unsigned N> llvm::Expected<std::array<mlir::Value, N>> inputs() {
    std::array<mlir::Value, N> values;
    for (unsigned i = 0; i < N; ++i) {
      auto value = input(i);
      if (!value)
        return value.takeError();
      values[i] = *value;
    }
    return values;
  }
  /// Input `i` as a tensor known at import time (for shapes); an error if
  /// an element is the dynamic batch size.
  llvm::Expected<const TensorValue *> constantInput(unsigned i);
  /// As constantInput, but the dynamic batch size may be an element.
  llvm::Expected<const TensorValue *> symbolicInput(unsigned i);

  /// Defines output `i` (ignored when the node leaves it unnamed).
  llvm::Error setOutput(unsigned i, mlir::Value value);
  llvm::Error setConstantOutput(unsigned i, TensorValue value);
  /// Makes output `i` another name for input `j`.
  llvm::Error aliasOutput(unsigned i, unsigned j);

  /// Runs a shape-inference function of the `nn` dialect before the op is
  /// built (building an op whose types cannot be inferred aborts), turning
  /// its diagnostic into an error on this node.
  llvm::Error checkInference(
      llvm::function_ref<mlir::LogicalResult(
          std::optional<mlir::Location>, llvm::SmallVectorImpl<mlir::Type> &)>
          infer) const;

private:
  /// Input `i` as the graph holds it, FLOAT16/BFLOAT16 included.
  llvm::Expected<mlir::Value> storedInput(unsigned i);

  GraphImporter &importer;
  const onnx::NodeProto &nodeProto;
  unsigned index;
  mlir::Location location;
  mlir::Type roundTo;
};

using OpHandler = llvm::Error (*)(NodeContext &);
using OpTable = llvm::StringMap<OpHandler>;

void registerLinearOps(OpTable &table);
void registerElementwiseOps(OpTable &table);
void registerShapeOps(OpTable &table);
void registerSoftmaxOps(OpTable &table);
void registerReductionOps(OpTable &table);
void registerActivationOps(OpTable &table);
void registerConvOps(OpTable &table);
void registerRandomOps(OpTable &table);
void registerLogicalOps(OpTable &table);
void registerIndexingOps(OpTable &table);
void registerNormalizationOps(OpTable &table);
void registerRecurrentOps(OpTable &table);

/// A ranked f32 tensor type.
mlir::RankedTensorType f32Tensor(mlir::MLIRContext *context,
                                 llvm::ArrayRef<int64_t> shape);

/// Whether `node` can be folded at import: every input is known and
/// integral (shape arithmetic). Float data is never folded, so graphs
/// keep computing on it.
bool allIntegralKnown(NodeContext &node);

/// For each element of a tensor of `shape` (row-major), the linear index of
/// the element of a tensor of `dims` that numpy broadcasting pairs with it.
llvm::SmallVector<int64_t> broadcastIndex(llvm::ArrayRef<int64_t> shape,
                                          llvm::ArrayRef<int64_t> dims);

/// `a` and `b` broadcast elementwise with `fn` into a tensor of
/// `resultType`; an error when the shapes do not broadcast.
llvm::Expected<TensorValue>
foldBroadcast(const NodeContext &node, const TensorValue &a,
              const TensorValue &b, int32_t resultType,
              llvm::function_ref<int64_t(int64_t, int64_t)> fn);

/// Result type of an elementwise op on `lhs` and `rhs`, or an error on
/// `node` when the shapes do not broadcast.
llvm::Expected<mlir::RankedTensorType>
broadcastOrError(const NodeContext &node, mlir::Value lhs, mlir::Value rhs);

} // namespace neurona::onnx_import

#endif // NEURONA_LIB_FRONTEND_ONNX_GRAPHIMPORTER_H
