//===- GraphImporter.cpp - ONNX graph to `nn` IR --------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Walks the graph once, in node order (ONNX requires topological order, and
// a name used before it is defined is an error, not something to sort out).
// Each name maps to a slot that holds either an IR value or a tensor known at
// import time; initializers become `forward` parameters only when an op first
// consumes them as data, which is what gives parameters their first-use
// order and lets integer initializers feed shapes without appearing in IR.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"
#include "neurona/Frontend/ONNX/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"

#include <optional>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

namespace {

/// One name of the graph. `Identity` makes two names share a slot, so an
/// initializer reached under both still becomes a single parameter.
struct Slot {
  /// Set once the name has an IR value.
  Value value;
  /// The initializer this name refers to, decoded into `constant` on demand.
  const onnx::TensorProto *initializer = nullptr;
  std::optional<TensorValue> constant;
  /// A parameter was made of the initializer; its data moved to the spec.
  bool isParam = false;
  /// The initializer is also a graph input of an IR >= 4 model: only a
  /// default the caller may override, so it is never a constant.
  bool overridable = false;
};

using FailFn = llvm::function_ref<Error(const llvm::Twine &)>;

/// The ONNX data type of what `slot` holds, without decoding it.
int32_t slotDataType(const Slot &slot) {
  if (slot.value)
    return dataTypeOf(
        cast<RankedTensorType>(slot.value.getType()).getElementType());
  if (slot.constant)
    return slot.constant->dataType;
  if (slot.initializer)
    return slot.initializer->data_type();
  return onnx::TensorProto::UNDEFINED;
}

bool isFloatDataType(int32_t dataType) {
  return dataType == onnx::TensorProto::FLOAT ||
         dataType == onnx::TensorProto::DOUBLE ||
         isNarrowFloatDataType(dataType);
}

/// Elements of one example of a graph input, at most (2^40 floats is 4 TiB).
constexpr int64_t kMaxExampleElements = int64_t(1) << 40;

} // namespace

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, LoadedModel &model);

  Expected<ImportedModel> run();

  /// The slot of `name`, or an error through `fail` if nothing defines it.
  Expected<std::shared_ptr<Slot>> lookup(StringRef name, FailFn fail);
  /// The slot's tensor known at import time.
  Expected<const TensorValue *> constantOf(StringRef name, Slot &slot,
                                           FailFn fail);
  /// The slot's tensor known at import time; an overridable initializer's
  /// only when it is not read `asConstant` (but to make its parameter).
  Expected<const TensorValue *> contentsOf(StringRef name, Slot &slot,
                                           FailFn fail, bool asConstant);
  /// The slot as an f32 IR value, creating the parameter or constant.
  Expected<Value> valueOf(StringRef name, Slot &slot, FailFn fail);
  Error define(StringRef name, std::shared_ptr<Slot> slot, FailFn fail);

  /// Input `i` of `node`, read from its slot with `read` (valueOf or
  /// constantOf); errors name the input.
  template <typename T>
  Expected<T> readInput(const NodeContext &node, unsigned i,
                        Expected<T> (GraphImporter::*read)(StringRef, Slot &,
                                                           FailFn));
  /// Defines output `i` of `node` as `slot`, unless the node leaves it
  /// unnamed.
  Error defineOutput(const NodeContext &node, unsigned i,
                     std::shared_ptr<Slot> slot);

  OpBuilder &builder() { return forward.builder(); }
  const LoadedModel &getModel() const { return model; }
  int64_t takeRandomStream() { return randomStreams++; }

private:
  int64_t randomStreams = 0;
  Error importInputs();
  /// One error listing every node whose op has no handler (or lives in
  /// another domain), so a model's whole gap shows at once.
  Error checkSupportedOps() const;
  /// Fails on the first node whose op version, as the model's opset
  /// selects it, is not one the handlers implement.
  Error checkOpVersions() const;
  Error importNode(const onnx::NodeProto &node, unsigned index);
  Error importOutputs();
  Error fileError(const llvm::Twine &message) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   model.path + ": " + message);
  }
  Location fileLoc() const {
    return FileLineColLoc::get(context, model.path, 0, 0);
  }

  MLIRContext *context;
  LoadedModel &model;
  std::string modelName;
  ForwardBuilder forward;
  OpTable table;
  llvm::StringMap<std::shared_ptr<Slot>> values;
  std::vector<ParamSpec> params;
};

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

RankedTensorType f32Tensor(MLIRContext *context,
                           llvm::ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, Float32Type::get(context));
}

/// The model's name: the graph's, else the file's stem.
static std::string modelNameOf(const LoadedModel &model) {
  if (!model.proto.graph().name().empty())
    return model.proto.graph().name();
  return llvm::sys::path::stem(model.path).str();
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext &context, LoadedModel &model)
    : context(&context), model(model), modelName(modelNameOf(model)),
      forward(context, modelName,
              FileLineColLoc::get(&context, model.path, 0, 0)) {
  registerLinearOps(table);
  registerElementwiseOps(table);
  registerShapeOps(table);
  registerSoftmaxOps(table);
  registerReductionOps(table);
  registerActivationOps(table);
  registerConvOps(table);
  registerRandomOps(table);
  registerLogicalOps(table);
  registerIndexingOps(table);
  registerNormalizationOps(table);
  registerRecurrentOps(table);
}

Expected<std::shared_ptr<Slot>> GraphImporter::lookup(StringRef name,
                                                      FailFn fail) {
  auto it = values.find(name);
  if (it == values.end())
    return fail("'" + name +
                "' is not a graph input, an initializer, or an "
                "output of an earlier node");
  return it->second;
}

Expected<const TensorValue *>
GraphImporter::constantOf(StringRef name, Slot &slot, FailFn fail) {
  return contentsOf(name, slot, fail, /*asConstant=*/true);
}

Expected<const TensorValue *> GraphImporter::contentsOf(StringRef name,
                                                        Slot &slot, FailFn fail,
                                                        bool asConstant) {
  if (slot.isParam)
    return fail("'" + name +
                "' is a trainable FLOAT parameter and cannot "
                "also be read as a constant");
  if (slot.overridable && asConstant)
    return fail("'" + name +
                "' is a graph input with an initializer, i.e. a default "
                "the caller may override (IR version >= 4), so it cannot be "
                "read as a constant");
  if (!slot.constant && slot.initializer) {
    auto decoded = decodeTensor(*slot.initializer, model);
    if (!decoded)
      return fail("initializer '" + name + "' " +
                  llvm::toString(decoded.takeError()));
    slot.constant = std::move(*decoded);
  }
  if (!slot.constant)
    return fail("'" + name +
                "' must be a constant (an initializer or a "
                "Constant node), but it is computed by the graph");
  return &*slot.constant;
}

Expected<Value> GraphImporter::valueOf(StringRef name, Slot &slot,
                                       FailFn fail) {
  if (slot.value)
    return slot.value;
  auto constant = contentsOf(name, slot, fail, /*asConstant=*/false);
  if (!constant)
    return constant.takeError();
  const TensorValue &tensor = **constant;
  if (tensor.isSymbolic())
    return fail("'" + name +
                "' holds the dynamic batch size, which is only known at run "
                "time; it can be used as a shape but not computed on");
  if (tensor.numElements() == 0)
    return fail("'" + name + "' is an empty " + formatShape(tensor.dims) +
                " tensor; empty tensors are not supported (only Concat "
                "takes one, and drops it)");
  auto type = f32Tensor(context, tensor.dims);
  // A scalar initializer is a fixed hyperparameter (a scale, an epsilon),
  // never a weight; Constant nodes and folded values are fixed by
  // definition, and only FLOAT tensors are trained. An overridable integer
  // default cannot be a parameter (parameters are f32).
  if (!tensor.isFloat() && slot.overridable)
    return fail("'" + name + "' is an overridable " +
                dataTypeName(tensor.dataType) +
                " initializer (a graph input with a default); only FLOAT "
                "ones are supported");
  if (!slot.initializer || !tensor.isFloat() ||
      (tensor.dims.empty() && !slot.overridable)) {
    slot.value = nn::ConstantOp::create(builder(), fileLoc(),
                                        toAttribute(context, tensor));
    return slot.value;
  }
  // Named after the initializer, whichever alias (Identity) reached it.
  StringRef paramName = slot.initializer->name();
  slot.value = forward.addParam(
      paramName, type,
      NameLoc::get(StringAttr::get(context, paramName), fileLoc()));
  ParamSpec spec;
  spec.name = paramName.str();
  spec.shape.assign(tensor.dims.begin(), tensor.dims.end());
  spec.init = "data";
  spec.values = std::move(slot.constant->floats);
  params.push_back(std::move(spec));
  slot.constant.reset();
  slot.isParam = true;
  return slot.value;
}

Error GraphImporter::define(StringRef name, std::shared_ptr<Slot> slot,
                            FailFn fail) {
  if (!values.try_emplace(name, std::move(slot)).second)
    return fail("'" + name + "' is defined more than once");
  return Error::success();
}

template <typename T>
Expected<T> GraphImporter::readInput(
    const NodeContext &node, unsigned i,
    Expected<T> (GraphImporter::*read)(StringRef, Slot &, FailFn)) {
  if (!node.hasInput(i))
    return node.error(llvm::formatv("input #{0} is missing", i));
  StringRef name = node.node().input(i);
  auto fail = [&](const llvm::Twine &message) {
    return node.error(llvm::formatv("input #{0}: ", i) + message);
  };
  auto slot = lookup(name, fail);
  if (!slot)
    return slot.takeError();
  return (this->*read)(name, **slot, fail);
}

/// True when `node` leaves its output `i` unnamed (absent or "").
static bool isUnnamedOutput(const onnx::NodeProto &node, unsigned i) {
  return static_cast<int>(i) >= node.output_size() || node.output(i).empty();
}

Error GraphImporter::defineOutput(const NodeContext &node, unsigned i,
                                  std::shared_ptr<Slot> slot) {
  if (isUnnamedOutput(node.node(), i))
    return Error::success();
  return define(node.node().output(i), std::move(slot),
                [&](const llvm::Twine &message) {
                  return node.error("output " + message);
                });
}

Error GraphImporter::importInputs() {
  const onnx::GraphProto &graph = model.proto.graph();
  auto fail = [&](const llvm::Twine &message) { return fileError(message); };
  for (const onnx::TensorProto &init : graph.initializer()) {
    auto slot = std::make_shared<Slot>();
    slot->initializer = &init;
    if (init.name().empty())
      return fileError("an initializer has no name");
    if (Error err = define(init.name(), std::move(slot), fail))
      return err;
  }

  // Names some node or the graph's outputs read, and those read otherwise
  // than as a reduction's input (a name in `read` but not there only
  // reductions read). A reduction over an empty axis is its identity (a sum
  // of 0, a maximum of -inf), which the lowering gives with loops of no
  // iterations; other ops on empty tensors are not supported.
  llvm::StringSet<> read, readOtherwise;
  static const llvm::StringSet<> reductions = {
      "ReduceL1",   "ReduceL2",   "ReduceLogSumExp",
      "ReduceMax",  "ReduceMean", "ReduceMin",
      "ReduceProd", "ReduceSum",  "ReduceSumSquare"};
  for (const onnx::NodeProto &node : graph.node())
    for (auto [i, name] : llvm::enumerate(node.input())) {
      read.insert(name);
      bool reduced = i == 0 && reductions.contains(node.op_type()) &&
                     (node.domain().empty() || node.domain() == "ai.onnx");
      if (!reduced)
        readOtherwise.insert(name);
    }
  for (const onnx::ValueInfoProto &output : graph.output()) {
    read.insert(output.name());
    readOtherwise.insert(output.name());
  }

  for (const onnx::ValueInfoProto &input : graph.input()) {
    const std::string &name = input.name();
    // IR versions before 4 list every initializer among the inputs as well,
    // and it is a constant. From IR version 4 an initializer listed as an
    // input is a default the caller may override (onnxruntime's reading):
    // it becomes a parameter initialised from the initializer, whatever its
    // size, which the caller overrides like any parameter (--params,
    // nr_model_load_params) and which is never folded into the code.
    if (values.count(name) && values[name]->initializer) {
      values[name]->overridable = model.proto.ir_version() >= 4;
      continue;
    }
    auto inputError = [&](const llvm::Twine &message) {
      return fileError("graph input '" + name + "' " + message);
    };
    if (name.empty())
      return fileError("a graph input has no name");
    if (!input.type().has_tensor_type())
      return inputError("is not a tensor");
    const onnx::TypeProto::Tensor &tensorType = input.type().tensor_type();
    Type elementType = elementTypeOf(context, tensorType.elem_type());
    if (!elementType)
      return inputError("has element type " +
                        dataTypeName(tensorType.elem_type()) + "; only " +
                        kSupportedDataTypes + " inputs are supported");
    if (!tensorType.has_shape())
      return inputError("has no shape");
    llvm::SmallVector<int64_t> shape;
    int64_t elements = 1;
    for (auto [i, dim] : llvm::enumerate(tensorType.shape().dim())) {
      bool symbolic = dim.has_dim_param() || !dim.has_dim_value();
      // An input that nothing reads only carries a type (CastLike's
      // `like`, expanded to a Cast): it may be empty, and is never computed
      // on, so its size 0 is kept rather than read as a dynamic batch.
      if (!symbolic && dim.dim_value() == 0 && !read.contains(name)) {
        shape.push_back(0);
        continue;
      }
      if (i == 0 && (symbolic || dim.dim_value() == 0)) {
        shape.push_back(ShapedType::kDynamic);
        continue;
      }
      if (symbolic)
        return inputError(llvm::formatv(
            "has a symbolic dimension {0} ('{1}'); only the leading (batch) "
            "dimension may be dynamic",
            i, dim.dim_param()));
      if (dim.dim_value() == 0 && read.contains(name) &&
          !readOtherwise.contains(name) && isa<FloatType>(elementType)) {
        shape.push_back(0);
        continue;
      }
      if (dim.dim_value() == 0)
        return inputError(llvm::formatv(
            "has dimension {0} of size 0; an empty tensor is only supported "
            "as the input of a float reduction (ReduceSum, ReduceMax, ...)",
            i));
      if (dim.dim_value() < 0)
        return inputError(
            llvm::formatv("has dimension {0} of size {1}", i, dim.dim_value()));
      // Shapes derived from this one multiply its dimensions; a bound here
      // keeps every such product far from overflow.
      if (llvm::MulOverflow(elements, dim.dim_value(), elements) ||
          elements > kMaxExampleElements)
        return inputError("has an impossibly large shape");
      shape.push_back(dim.dim_value());
    }
    auto slot = std::make_shared<Slot>();
    slot->value = forward.addInput(
        name, RankedTensorType::get(shape, elementType),
        NameLoc::get(StringAttr::get(context, name), fileLoc()));
    if (Error err = define(name, std::move(slot), fail))
      return err;
  }
  return Error::success();
}

static std::string nodeLabel(const onnx::NodeProto &node, unsigned index) {
  std::string label = "node " + std::to_string(index);
  if (!node.name().empty())
    label += " '" + node.name() + "'";
  return label + " (" + node.op_type() + ")";
}

/// The version of `domain` ("" and "ai.onnx" are the default set) that the
/// model imports, or -1 when it imports none.
static int64_t importedVersion(const onnx::ModelProto &proto,
                               StringRef domain) {
  bool isDefault = domain.empty() || domain == "ai.onnx";
  for (const onnx::OperatorSetIdProto &opset : proto.opset_import()) {
    StringRef d = opset.domain();
    if (isDefault ? (d.empty() || d == "ai.onnx") : d == domain)
      return opset.version();
  }
  return -1;
}

Error GraphImporter::checkSupportedOps() const {
  std::string list;
  unsigned count = 0;
  for (auto [index, node] : llvm::enumerate(model.proto.graph().node())) {
    StringRef domain = node.domain();
    bool isDefault = domain.empty() || domain == "ai.onnx";
    if (isDefault && table.count(node.op_type()))
      continue;
    ++count;
    int64_t version = importedVersion(model.proto, domain);
    list += "\n  " + nodeLabel(node, index) + ": op " + node.op_type() +
            ", domain '" + (isDefault ? "ai.onnx" : domain.str()) + "' " +
            (version < 0 ? std::string("(not imported)")
                         : "version " + std::to_string(version));
  }
  if (count == 0)
    return checkOpVersions();
  return fileError(llvm::formatv("{0} node{1} {2} an op that Neurona does not "
                                 "support:",
                                 count, count == 1 ? "" : "s",
                                 count == 1 ? "uses" : "use")
                       .str() +
                   list);
}

Error GraphImporter::checkOpVersions() const {
  int64_t opset = model.opset;
  for (auto [index, node] : llvm::enumerate(model.proto.graph().node())) {
    StringRef op = node.op_type();
    int64_t version = resolveOpVersion(op, opset);
    if (version < 0)
      continue; // Not an ONNX op: the handler table has no such entry.
    if (version == 0) {
      int64_t added = opset + 1;
      while (resolveOpVersion(op, added) == 0)
        ++added;
      return fileError(llvm::formatv("{0}: {1} does not exist at opset {2} "
                                     "(ONNX added it in opset {3})",
                                     nodeLabel(node, index), op, opset, added));
    }
    // The versions implemented are those in effect at the opsets the
    // handlers are written and tested for; an older model is fine as long
    // as none of its ops changed since.
    int64_t oldest = resolveOpVersion(op, kMinONNXOpset);
    if (version < oldest)
      return fileError(llvm::formatv(
          "{0}: opset {1} selects {2} version {3}, which Neurona does not "
          "implement ({2} versions {4} and later are, those of opsets {5} to "
          "{6})",
          nodeLabel(node, index), opset, op, version, oldest, kMinONNXOpset,
          kMaxONNXOpset));
  }
  return Error::success();
}

Error GraphImporter::importNode(const onnx::NodeProto &node, unsigned index) {
  Location loc =
      NameLoc::get(StringAttr::get(context, nodeLabel(node, index)), fileLoc());
  NodeContext ctx(*this, node, index, loc);
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return ctx.error("unsupported op (domain '" + node.domain() + "')");
  auto handler = table.find(node.op_type());
  if (handler == table.end())
    return ctx.error("unsupported op");

  // Every named input must already exist; report that before the handler
  // runs so the message names the value, not a symptom.
  auto fail = [&](const llvm::Twine &message) {
    return ctx.error("input " + message);
  };
  llvm::SmallVector<Slot *> inputSlots;
  int32_t firstFloat = onnx::TensorProto::UNDEFINED;
  for (const std::string &name : node.input()) {
    if (name.empty())
      continue;
    auto slot = lookup(name, fail);
    if (!slot)
      return slot.takeError();
    inputSlots.push_back(slot->get());
    int32_t dataType = slotDataType(**slot);
    if (firstFloat == onnx::TensorProto::UNDEFINED && isFloatDataType(dataType))
      firstFloat = dataType;
  }
  if (ctx.widensNarrowFloats() && isNarrowFloatDataType(firstFloat))
    ctx.setRoundsTo(elementTypeOf(context, firstFloat));

  if (Error err = handler->second(ctx))
    return err;

  // An op on FLOAT16/BFLOAT16 computed in f32: each result is rounded to
  // the type once, as ONNX's reference and onnxruntime round each op's.
  if (Type narrow = ctx.roundsTo())
    for (const std::string &name : node.output()) {
      auto it = values.find(name);
      if (name.empty() || it == values.end())
        continue;
      Slot &slot = *it->second;
      if (!slot.value || llvm::is_contained(inputSlots, &slot))
        continue; // an alias of an input keeps its value
      auto type = cast<RankedTensorType>(slot.value.getType());
      if (type.getElementType().isF32())
        slot.value =
            nn::CastOp::create(builder(), loc, type.clone(narrow), slot.value);
    }

  for (auto [i, name] : llvm::enumerate(node.output()))
    if (!name.empty() && !values.count(name))
      return ctx.error(
          llvm::formatv("output #{0} ('{1}') is not supported", i, name));
  return Error::success();
}

Error GraphImporter::importOutputs() {
  const onnx::GraphProto &graph = model.proto.graph();
  if (graph.output_size() == 0)
    return fileError("the graph has no outputs");
  for (const onnx::ValueInfoProto &output : graph.output()) {
    const std::string &name = output.name();
    auto fail = [&](const llvm::Twine &message) {
      return fileError("graph output " + message);
    };
    auto slot = lookup(name, [&](const llvm::Twine &) {
      return fail("'" + name +
                  "' is not produced by any node (nor is it a "
                  "graph input or an initializer)");
    });
    if (!slot)
      return slot.takeError();
    auto value = valueOf(name, **slot, fail);
    if (!value)
      return value.takeError();

    // A declared type must agree with what the graph computes.
    auto computed = cast<RankedTensorType>(value->getType());
    if (output.type().has_tensor_type()) {
      const onnx::TypeProto::Tensor &declared = output.type().tensor_type();
      int32_t computedType = dataTypeOf(computed.getElementType());
      if (declared.elem_type() != onnx::TensorProto::UNDEFINED &&
          declared.elem_type() != computedType)
        return fail("'" + name + "' is declared " +
                    dataTypeName(declared.elem_type()) +
                    ", but the graph computes " + dataTypeName(computedType));
      if (declared.has_shape()) {
        bool matches = declared.shape().dim_size() == computed.getRank();
        for (int64_t i = 0; matches && i < computed.getRank(); ++i) {
          const onnx::TensorShapeProto::Dimension &dim =
              declared.shape().dim(i);
          if (dim.has_dim_value() && !computed.isDynamicDim(i) &&
              dim.dim_value() != computed.getDimSize(i))
            matches = false;
        }
        if (!matches) {
          llvm::SmallVector<int64_t> shape;
          for (const auto &dim : declared.shape().dim())
            shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                                : ShapedType::kDynamic);
          return fail("'" + name + "' is declared with shape " +
                      formatShape(shape) + ", but the graph computes " +
                      formatShape(computed));
        }
      }
    }
    forward.addOutput(name, *value);
  }
  return Error::success();
}

Expected<ImportedModel> GraphImporter::run() {
  if (Error err = checkSupportedOps())
    return err;
  if (Error err = importInputs())
    return err;
  for (auto [index, node] : llvm::enumerate(model.proto.graph().node()))
    if (Error err = importNode(node, index))
      return err;
  if (Error err = importOutputs())
    return err;

  auto module = forward.finish(model.path + ": ");
  if (!module)
    return module.takeError();
  ImportedModel result;
  result.module = std::move(*module);
  result.name = modelName;
  result.params = std::move(params);
  return result;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
                         unsigned index, Location loc)
    : importer(importer), nodeProto(node), index(index), location(loc) {}

OpBuilder &NodeContext::builder() { return importer.builder(); }

int64_t NodeContext::opset() const { return importer.getModel().opset; }

int64_t NodeContext::takeRandomStream() { return importer.takeRandomStream(); }

const LoadedModel &NodeContext::model() const { return importer.getModel(); }

Error NodeContext::error(const llvm::Twine &message) const {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 importer.getModel().path + ": " +
                                     nodeLabel(nodeProto, index) + ": " +
                                     message);
}

Error NodeContext::checkAttributes(llvm::ArrayRef<StringRef> known) const {
  for (const onnx::AttributeProto &attr : nodeProto.attribute())
    if (!llvm::is_contained(known, StringRef(attr.name())))
      return error("unsupported attribute '" + attr.name() + "'");
  return Error::success();
}

const onnx::AttributeProto *NodeContext::findAttribute(StringRef name) const {
  for (const onnx::AttributeProto &attr : nodeProto.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

Expected<int64_t> NodeContext::intAttribute(StringRef name,
                                            int64_t defaultValue) const {
  const onnx::AttributeProto *attr = findAttribute(name);
  if (!attr)
    return defaultValue;
  if (attr->type() != onnx::AttributeProto::INT)
    return error("attribute '" + name + "' must be an INT");
  return attr->i();
}

Expected<float> NodeContext::floatAttribute(StringRef name,
                                            float defaultValue) const {
  const onnx::AttributeProto *attr = findAttribute(name);
  if (!attr)
    return defaultValue;
  if (attr->type() != onnx::AttributeProto::FLOAT)
    return error("attribute '" + name + "' must be a FLOAT");
  return attr->f();
}

unsigned NodeContext::numInputs() const {
  unsigned n = nodeProto.input_size();
  while (n > 0 && nodeProto.input(n - 1).empty())
    --n;
  return n;
}

bool NodeContext::hasInput(unsigned i) const {
  return i < numInputs() && !nodeProto.input(i).empty();
}

Error NodeContext::checkNumInputs(unsigned min, unsigned max) const {
  unsigned n = numInputs();
  if (n >= min && n <= max)
    return Error::success();
  if (min == max)
    return error(llvm::formatv("expects {0} inputs, got {1}", min, n));
  return error(
      llvm::formatv("expects {0} to {1} inputs, got {2}", min, max, n));
}

Error NodeContext::checkSignature(llvm::ArrayRef<StringRef> known,
                                  unsigned minInputs,
                                  unsigned maxInputs) const {
  if (Error err = checkAttributes(known))
    return err;
  return checkNumInputs(minInputs, maxInputs);
}

Expected<Value> NodeContext::input(unsigned i) {
  auto value = anyInput(i);
  if (!value)
    return value.takeError();
  Type element = cast<RankedTensorType>(value->getType()).getElementType();
  if (!element.isF32())
    return error(llvm::formatv("input #{0} ('{1}') is {2}; {3} takes FLOAT "
                               "here",
                               i, nodeProto.input(i),
                               dataTypeName(dataTypeOf(element)), opType()));
  return value;
}

bool NodeContext::widensNarrowFloats() const { return opType() != "Cast"; }

Expected<Value> NodeContext::storedInput(unsigned i) {
  return importer.readInput(*this, i, &GraphImporter::valueOf);
}

Expected<Value> NodeContext::anyInput(unsigned i) {
  auto value = storedInput(i);
  if (!value || !widensNarrowFloats())
    return value;
  auto type = cast<RankedTensorType>(value->getType());
  if (!isNarrowFloatDataType(dataTypeOf(type.getElementType())))
    return value;
  return nn::CastOp::create(builder(), loc(),
                            type.clone(Float32Type::get(type.getContext())),
                            *value)
      .getResult();
}

const TensorValue *NodeContext::knownInput(unsigned i) {
  if (!hasInput(i))
    return nullptr;
  auto fail = [&](const llvm::Twine &message) { return error(message); };
  auto slot = importer.lookup(nodeProto.input(i), fail);
  if (!slot) {
    llvm::consumeError(slot.takeError());
    return nullptr;
  }
  if ((*slot)->isParam || (*slot)->overridable ||
      (!(*slot)->constant && !(*slot)->initializer))
    return nullptr;
  auto constant = importer.constantOf(nodeProto.input(i), **slot, fail);
  if (!constant) {
    llvm::consumeError(constant.takeError());
    return nullptr;
  }
  // FLOAT16/BFLOAT16 data is computed on in the graph, never at import.
  if ((*constant)->isNarrowFloat())
    return nullptr;
  return *constant;
}

Expected<const TensorValue *> NodeContext::symbolicInput(unsigned i) {
  auto constant = importer.readInput(*this, i, &GraphImporter::constantOf);
  if (constant && (*constant)->isNarrowFloat())
    return error(llvm::formatv(
        "input #{0} ('{1}') must be a constant here, and Neurona reads {2} "
        "tensors only at run time",
        i, nodeProto.input(i), dataTypeName((*constant)->dataType)));
  return constant;
}

Expected<const TensorValue *> NodeContext::constantInput(unsigned i) {
  auto constant = symbolicInput(i);
  if (constant && (*constant)->isSymbolic())
    return error(llvm::formatv(
        "input #{0} ('{1}') depends on the dynamic batch size, which is only "
        "known at run time; it must be a constant here",
        i, nodeProto.input(i)));
  return constant;
}

Expected<SmallVector<int64_t>> NodeContext::inputShape(unsigned i) {
  if (const TensorValue *known = knownInput(i))
    return known->dims;
  auto value = storedInput(i);
  if (!value)
    return value.takeError();
  return llvm::to_vector(cast<RankedTensorType>(value->getType()).getShape());
}

Expected<int32_t> NodeContext::inputDataType(unsigned i) {
  if (const TensorValue *known = knownInput(i))
    return known->dataType;
  auto value = storedInput(i);
  if (!value)
    return value.takeError();
  int32_t dataType =
      dataTypeOf(cast<RankedTensorType>(value->getType()).getElementType());
  if (isNarrowFloatDataType(dataType) && widensNarrowFloats())
    return onnx::TensorProto::FLOAT; // what anyInput() gives
  return dataType;
}

Error NodeContext::setOutput(unsigned i, Value value) {
  auto slot = std::make_shared<Slot>();
  slot->value = value;
  return importer.defineOutput(*this, i, std::move(slot));
}

Error NodeContext::setConstantOutput(unsigned i, TensorValue value) {
  auto slot = std::make_shared<Slot>();
  slot->constant = std::move(value);
  return importer.defineOutput(*this, i, std::move(slot));
}

Error NodeContext::aliasOutput(unsigned i, unsigned j) {
  if (!hasInput(j))
    return error(llvm::formatv("input #{0} is missing", j));
  if (isUnnamedOutput(nodeProto, i))
    return Error::success();
  auto fail = [&](const llvm::Twine &message) { return error(message); };
  auto slot = importer.lookup(nodeProto.input(j), fail);
  if (!slot)
    return slot.takeError();
  return importer.defineOutput(*this, i, *slot);
}

Error NodeContext::checkInference(
    llvm::function_ref<LogicalResult(std::optional<Location>,
                                     SmallVectorImpl<Type> &)>
        infer) const {
  std::string message;
  ScopedDiagnosticHandler handler(location.getContext(), [&](Diagnostic &d) {
    if (message.empty())
      message = d.str();
    return success();
  });
  SmallVector<Type> types;
  if (succeeded(infer(location, types)))
    return Error::success();
  return error(message.empty() ? std::string("invalid operand shapes")
                               : message);
}

} // namespace neurona::onnx_import

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

namespace neurona {

Expected<ImportedModel> importONNXFile(MLIRContext &context,
                                       llvm::StringRef path) {
  auto model = onnx_import::loadModel(path);
  if (!model)
    return model.takeError();
  onnx_import::GraphImporter importer(context, **model);
  return importer.run();
}

} // namespace neurona
