//===- ONNXExport.cpp - A model's inference graph as ONNX -----------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Walks `forward` in order and writes each nn op as ONNX nodes of opset 17.
// The nn dialect was shaped after ONNX (NCHW convolutions with ONNX's pads,
// the recurrent ops' gate order and weight layout), so most ops are one
// node; the rest are short fixed sequences (a transposed matmul operand, the
// recurrent ops' direction axis, batch-first sequences, a mask's lengths).
//
//===----------------------------------------------------------------------===//

#include "neurona/Export/ONNXExport.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <numeric>
#include <set>

using namespace mlir;
using namespace neurona;

namespace {

/// ONNX's element type of an MLIR element type, or UNDEFINED.
int onnxElementType(Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (t.isSignlessInteger(64))
    return onnx::TensorProto::INT64;
  if (t.isSignlessInteger(32))
    return onnx::TensorProto::INT32;
  if (t.isInteger(1))
    return onnx::TensorProto::BOOL;
  return onnx::TensorProto::UNDEFINED;
}

class Exporter {
public:
  explicit Exporter(onnx::GraphProto &graph) : graph(graph) {}

  /// Declares a graph input or output of `type` named `name`.
  void declare(onnx::ValueInfoProto *info, const std::string &name,
               RankedTensorType type) {
    info->set_name(name);
    auto *tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnxElementType(type.getElementType()));
    auto *shape = tensor->mutable_shape();
    for (int64_t d : type.getShape()) {
      auto *dim = shape->add_dim();
      if (ShapedType::isDynamic(d))
        dim->set_dim_param("batch");
      else
        dim->set_dim_value(d);
    }
  }

  void bind(Value v, const std::string &name) { names[v] = name; }
  const std::string &nameOf(Value v) { return names[v]; }

  /// A name no other value uses, from `hint`.
  std::string fresh(StringRef hint) {
    std::string base = hint.empty() ? std::string("t") : hint.str();
    for (unsigned n = counts[base]++;; n = counts[base]++) {
      std::string name = n ? base + "_" + std::to_string(n) : base;
      if (taken.insert(name).second)
        return name;
    }
  }
  void reserve(const std::string &name) { taken.insert(name); }

  onnx::NodeProto &node(StringRef op, ArrayRef<std::string> inputs,
                        ArrayRef<std::string> outputs) {
    onnx::NodeProto *n = graph.add_node();
    n->set_op_type(op.str());
    n->set_name(outputs.empty() ? fresh(op) : outputs.front());
    for (const std::string &i : inputs)
      n->add_input(i);
    for (const std::string &o : outputs)
      n->add_output(o);
    return *n;
  }

  /// One node whose only output is a new value named after `hint`.
  std::string apply(StringRef op, ArrayRef<std::string> inputs,
                    StringRef hint) {
    std::string out = fresh(hint);
    node(op, inputs, {out});
    return out;
  }

  /// The node written last.
  onnx::NodeProto &last() { return *graph.mutable_node(graph.node_size() - 1); }

  /// An int64 initializer (shapes, axes, pads).
  std::string int64s(ArrayRef<int64_t> values, StringRef hint) {
    std::string name = fresh(hint);
    onnx::TensorProto *t = graph.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(int64_t(values.size()));
    for (int64_t v : values)
      t->add_int64_data(v);
    return name;
  }

  onnx::GraphProto &graph;

private:
  llvm::DenseMap<Value, std::string> names;
  std::map<std::string, unsigned> counts;
  std::set<std::string> taken;
};

void setInts(onnx::NodeProto &n, StringRef name, ArrayRef<int64_t> values) {
  auto *a = n.add_attribute();
  a->set_name(name.str());
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    a->add_ints(v);
}
void setInt(onnx::NodeProto &n, StringRef name, int64_t value) {
  auto *a = n.add_attribute();
  a->set_name(name.str());
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}
void setFloat(onnx::NodeProto &n, StringRef name, double value) {
  auto *a = n.add_attribute();
  a->set_name(name.str());
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(float(value));
}
void setString(onnx::NodeProto &n, StringRef name, StringRef value) {
  auto *a = n.add_attribute();
  a->set_name(name.str());
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value.str());
}

/// `values` as a TensorProto; false for an element type ONNX export does
/// not handle.
bool fillTensor(onnx::TensorProto &t, DenseElementsAttr values) {
  auto type = cast<RankedTensorType>(values.getType());
  for (int64_t d : type.getShape())
    t.add_dims(d);
  Type e = type.getElementType();
  t.set_data_type(onnxElementType(e));
  if (e.isF32()) {
    for (float v : values.getValues<float>())
      t.add_float_data(v);
  } else if (e.isF64()) {
    for (double v : values.getValues<double>())
      t.add_double_data(v);
  } else if (e.isSignlessInteger(64)) {
    for (int64_t v : values.getValues<int64_t>())
      t.add_int64_data(v);
  } else if (e.isSignlessInteger(32)) {
    for (int32_t v : values.getValues<int32_t>())
      t.add_int32_data(v);
  } else if (e.isInteger(1)) {
    for (bool v : values.getValues<bool>())
      t.add_int32_data(v);
  } else {
    return false;
  }
  return true;
}

/// Writes one op; false when ONNX export cannot express it.
class OpWriter {
public:
  explicit OpWriter(Exporter &x) : x(x) {}

  bool write(Operation *op);

private:
  std::string in(Value v) { return x.nameOf(v); }
  /// Binds `op`'s single result to a node of `type` over `inputs`.
  onnx::NodeProto &simple(Operation *op, StringRef type,
                          ArrayRef<std::string> inputs) {
    std::string out = x.fresh(hint(op));
    x.bind(op->getResult(0), out);
    return x.node(type, inputs, {out});
  }
  /// The value name an op's results start from: its location's name when
  /// the frontend gave one ("dense0"), else the op's name.
  static std::string hint(Operation *op) {
    if (auto loc = dyn_cast<NameLoc>(op->getLoc()))
      return loc.getName().str();
    return op->getName().stripDialect().str();
  }
  bool recurrent(Operation *op, StringRef type, Value input, Value w, Value r,
                 Value b, Value mask, int64_t hidden, Value initialH = {},
                 Value initialC = {});

  Exporter &x;
  /// The ids each sequence mask was made of, for sequence_lens.
  llvm::DenseMap<Value, std::pair<Value, int64_t>> masks;
};

/// A float initializer.
static std::string floats(Exporter &x, ArrayRef<float> values,
                          ArrayRef<int64_t> dims, StringRef hint) {
  std::string name = x.fresh(hint);
  onnx::TensorProto *t = x.graph.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t->add_dims(d);
  for (float v : values)
    t->add_float_data(v);
  return name;
}

bool OpWriter::recurrent(Operation *op, StringRef type, Value input, Value w,
                         Value r, Value b, Value mask, int64_t hidden,
                         Value initialH, Value initialC) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t steps = inputType.getDimSize(1);
  if (ShapedType::isDynamic(steps))
    return false;
  std::string base = hint(op);
  std::string zero = x.int64s({0}, base + ".axis0");
  std::string one = x.int64s({1}, base + ".axis1");
  std::string two = x.int64s({2}, base + ".axis2");
  std::vector<float> position(static_cast<size_t>(steps)),
      reversed(static_cast<size_t>(steps));
  for (int64_t t = 0; t < steps; ++t) {
    position[size_t(t)] = float(t);
    reversed[size_t(t)] = float(steps - 1 - t);
  }
  // A masked step keeps the state and outputs zeros, so the layer is ONNX's
  // over each row's kept steps moved to the front in order: its state after
  // the row's last kept step is `last`, and its outputs moved back, zero at
  // the masked steps, are `sequence`. The order is a TopK of
  // kept * T + (T - 1 - t): kept steps first by position, then the padding
  // (all keys differ). ONNX's own sequence_lens is not used: onnxruntime's
  // RNN ignores it for Y_h, and refuses rows of length 0.
  std::string sequence = in(input), order, kept, lastStep;
  if (mask) {
    auto it = masks.find(mask);
    if (it == masks.end())
      return false;
    auto [ids, padding] = it->second;
    std::string pad = x.int64s({padding}, base + ".padding_id");
    std::string isPad = x.apply("Equal", {in(ids), pad}, base + ".is_pad");
    std::string keptBool = x.apply("Not", {isPad}, base + ".kept_bool");
    kept = x.apply("Cast", {keptBool}, base + ".kept");
    setInt(x.last(), "to", onnx::TensorProto::FLOAT);
    std::string scaled =
        x.apply("Mul", {kept, floats(x, {float(steps)}, {}, base + ".steps")},
                base + ".kept_scaled");
    std::string key = x.apply(
        "Add", {scaled, floats(x, reversed, {steps}, base + ".reversed")},
        base + ".order_key");
    std::string values = x.fresh(base + ".order_values");
    std::string indices = x.fresh(base + ".order");
    x.node("TopK", {key, x.int64s({steps}, base + ".k")}, {values, indices});
    setInt(x.last(), "axis", 1);
    order = x.apply("Unsqueeze", {indices, two}, base + ".order3");
    std::string shape = x.apply("Shape", {sequence}, base + ".x_shape");
    std::string xOrder = x.apply("Expand", {order, shape}, base + ".x_order");
    sequence = x.apply("GatherElements", {sequence, xOrder}, base + ".x_kept");
    setInt(x.last(), "axis", 1);
    // The position of each row's last kept step (-1 for none) as a one-hot
    // row: `last` is the sum of the outputs it selects, exactly.
    std::string count = x.apply("ReduceSum", {kept, one}, base + ".count");
    std::string lastIndex =
        x.apply("Sub", {count, floats(x, {1.0f}, {}, base + ".one")},
                base + ".last_index");
    std::string isLast = x.apply(
        "Equal", {floats(x, position, {steps}, base + ".position"), lastIndex},
        base + ".is_last_bool");
    lastStep = x.apply("Cast", {isLast}, base + ".is_last");
    setInt(x.last(), "to", onnx::TensorProto::FLOAT);
  }
  // ONNX's recurrent ops take sequences first ([T, N, F]; onnxruntime has no
  // batch-first layout) and weights with a leading direction axis.
  std::string xs = x.apply("Transpose", {sequence}, base + ".x");
  setInts(x.last(), "perm", {1, 0, 2});
  std::string wd = x.apply("Unsqueeze", {in(w), zero}, base + ".W");
  std::string rd = x.apply("Unsqueeze", {in(r), zero}, base + ".R");
  std::string bd = x.apply("Unsqueeze", {in(b), zero}, base + ".B");
  // An LSTM's last cell state (its fourth result) is ONNX's Y_c; with a
  // mask that needs sequence_lens, the kept steps' count (the steps are in
  // front already): onnxruntime's LSTM keeps Y_c at each row's last step.
  bool lastCell = op->getNumResults() > 3 && !op->getResult(3).use_empty();
  std::vector<std::string> inputs = {xs, wd, rd, bd, "", "", ""};
  if (lastCell && mask) {
    std::string keptInt = x.apply("Cast", {kept}, base + ".kept_i32");
    setInt(x.last(), "to", onnx::TensorProto::INT32);
    inputs[4] = x.apply("ReduceSum", {keptInt, one}, base + ".sequence_lens");
    setInt(x.last(), "keepdims", 0);
  }
  if (initialH)
    inputs[5] = x.apply("Unsqueeze", {in(initialH), zero}, base + ".initial_h");
  if (initialC)
    inputs[6] = x.apply("Unsqueeze", {in(initialC), zero}, base + ".initial_c");
  while (!inputs.empty() && inputs.back().empty())
    inputs.pop_back();
  std::string y = x.fresh(base + ".Y"), yh = x.fresh(base + ".Y_h");
  std::vector<std::string> outputs = {y, yh};
  if (lastCell)
    outputs.push_back(x.fresh(base + ".Y_c"));
  onnx::NodeProto &n = x.node(type, inputs, outputs);
  setInt(n, "hidden_size", hidden);
  if (auto gru = dyn_cast<nn::GRUOp>(op))
    if (gru.getLinearBeforeReset())
      setInt(n, "linear_before_reset", 1);
  // Y [T, 1, N, H] -> [N, T, H]; Y_h [1, N, H] -> [N, H].
  std::string yt = x.apply("Transpose", {y}, base + ".y_batch_first");
  setInts(x.last(), "perm", {2, 0, 1, 3});
  std::string seq = x.apply("Squeeze", {yt, two}, base + ".y");
  std::string last;
  if (mask) {
    std::string select =
        x.apply("Unsqueeze", {lastStep, two}, base + ".select");
    std::string picked = x.apply("Mul", {seq, select}, base + ".picked");
    last = x.apply("ReduceSum", {picked, one}, base + ".last");
    setInt(x.last(), "keepdims", 0);
    if (!op->getResult(0).use_empty()) {
      std::string yShape = x.apply("Shape", {seq}, base + ".y_shape");
      std::string yOrder =
          x.apply("Expand", {order, yShape}, base + ".y_order");
      std::string placed =
          x.apply("ScatterElements", {seq, yOrder, seq}, base + ".y_in_place");
      setInt(x.last(), "axis", 1);
      std::string keep = x.apply("Unsqueeze", {kept, two}, base + ".keep");
      seq = x.apply("Mul", {placed, keep}, base + ".sequence");
    }
  } else {
    last = x.apply("Squeeze", {yh, zero}, base + ".last");
  }
  x.bind(op->getResult(0), seq);
  x.bind(op->getResult(1), last);
  if (lastCell)
    x.bind(op->getResult(3),
           x.apply("Squeeze", {outputs[2], zero}, base + ".last_cell"));
  // The third result, the saved activations, only feeds gradients.
  return op->getResult(2).use_empty();
}

bool OpWriter::write(Operation *op) {
  using namespace nn;
  auto unary = [&](StringRef type, Value v) {
    simple(op, type, {in(v)});
    return true;
  };
  auto binary = [&](StringRef type, Value a, Value b) {
    simple(op, type, {in(a), in(b)});
    return true;
  };
  auto window = [&](onnx::NodeProto &n, ArrayRef<int64_t> strides,
                    ArrayRef<int64_t> padding) {
    setInts(n, "strides", strides);
    setInts(n, "pads", padding);
  };
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](AddOp o) { return binary("Add", o.getLhs(), o.getRhs()); })
      .Case([&](SubOp o) { return binary("Sub", o.getLhs(), o.getRhs()); })
      .Case([&](MulOp o) { return binary("Mul", o.getLhs(), o.getRhs()); })
      .Case([&](DivOp o) { return binary("Div", o.getLhs(), o.getRhs()); })
      .Case([&](PowOp o) { return binary("Pow", o.getLhs(), o.getRhs()); })
      .Case([&](MaximumOp o) { return binary("Max", o.getLhs(), o.getRhs()); })
      .Case([&](MinimumOp o) { return binary("Min", o.getLhs(), o.getRhs()); })
      .Case([&](EqualOp o) { return binary("Equal", o.getLhs(), o.getRhs()); })
      .Case([&](GreaterOp o) {
        return binary("Greater", o.getLhs(), o.getRhs());
      })
      .Case([&](GreaterEqualOp o) {
        return binary("GreaterOrEqual", o.getLhs(), o.getRhs());
      })
      .Case([&](LessOp o) { return binary("Less", o.getLhs(), o.getRhs()); })
      .Case([&](LessEqualOp o) {
        return binary("LessOrEqual", o.getLhs(), o.getRhs());
      })
      .Case(
          [&](LogicalAndOp o) { return binary("And", o.getLhs(), o.getRhs()); })
      .Case([&](LogicalOrOp o) { return binary("Or", o.getLhs(), o.getRhs()); })
      .Case(
          [&](LogicalXorOp o) { return binary("Xor", o.getLhs(), o.getRhs()); })
      .Case([&](LogicalNotOp o) { return unary("Not", o.getInput()); })
      .Case([&](NegOp o) { return unary("Neg", o.getInput()); })
      .Case([&](ExpOp o) { return unary("Exp", o.getInput()); })
      .Case([&](LogOp o) { return unary("Log", o.getInput()); })
      .Case([&](SqrtOp o) { return unary("Sqrt", o.getInput()); })
      .Case([&](ReluOp o) { return unary("Relu", o.getInput()); })
      .Case([&](SigmoidOp o) { return unary("Sigmoid", o.getInput()); })
      .Case([&](TanhOp o) { return unary("Tanh", o.getInput()); })
      .Case([&](AbsOp o) { return unary("Abs", o.getInput()); })
      .Case([&](SignOp o) { return unary("Sign", o.getInput()); })
      .Case([&](CeilOp o) { return unary("Ceil", o.getInput()); })
      .Case([&](FloorOp o) { return unary("Floor", o.getInput()); })
      .Case([&](ReciprocalOp o) { return unary("Reciprocal", o.getInput()); })
      .Case([&](ErfOp o) { return unary("Erf", o.getInput()); })
      .Case([&](SoftplusOp o) { return unary("Softplus", o.getInput()); })
      .Case([&](SoftsignOp o) { return unary("Softsign", o.getInput()); })
      .Case([&](LeakyReluOp o) {
        setFloat(simple(op, "LeakyRelu", {in(o.getInput())}), "alpha",
                 o.getAlphaAttr().getValueAsDouble());
        return true;
      })
      .Case([&](EluOp o) {
        setFloat(simple(op, "Elu", {in(o.getInput())}), "alpha",
                 o.getAlphaAttr().getValueAsDouble());
        return true;
      })
      .Case([&](SeluOp o) {
        onnx::NodeProto &n = simple(op, "Selu", {in(o.getInput())});
        setFloat(n, "alpha", o.getAlphaAttr().getValueAsDouble());
        setFloat(n, "gamma", o.getGammaAttr().getValueAsDouble());
        return true;
      })
      .Case([&](HardSigmoidOp o) {
        onnx::NodeProto &n = simple(op, "HardSigmoid", {in(o.getInput())});
        setFloat(n, "alpha", o.getAlphaAttr().getValueAsDouble());
        setFloat(n, "beta", o.getBetaAttr().getValueAsDouble());
        return true;
      })
      .Case([&](ClipOp o) {
        // Clip-13 takes its bounds as scalar inputs; "" skips one.
        auto bound = [&](FloatAttr a, StringRef what) -> std::string {
          if (!a)
            return "";
          std::string name = x.fresh(hint(op) + "." + what.str());
          onnx::TensorProto *t = x.graph.add_initializer();
          t->set_name(name);
          t->set_data_type(onnx::TensorProto::FLOAT);
          t->add_float_data(float(a.getValueAsDouble()));
          return name;
        };
        simple(op, "Clip",
               {in(o.getInput()), bound(o.getMinAttr(), "min"),
                bound(o.getMaxAttr(), "max")});
        return true;
      })
      .Case([&](SoftmaxOp o) {
        setInt(simple(op, "Softmax", {in(o.getInput())}), "axis",
               o.getNormalizedAxis());
        return true;
      })
      .Case([&](LogSoftmaxOp o) {
        setInt(simple(op, "LogSoftmax", {in(o.getInput())}), "axis",
               o.getNormalizedAxis());
        return true;
      })
      .Case([&](MatmulOp o) {
        // A batch-reduced product is a gradient's, never a forward's.
        if (o.getBatchReduce())
          return false;
        // ONNX MatMul broadcasts batch dimensions as nn.matmul does; a
        // transposed operand swaps its last two dimensions first.
        auto operand = [&](Value v, bool transposed) {
          if (!transposed)
            return in(v);
          std::string t = x.apply("Transpose", {in(v)}, hint(op) + ".t");
          int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
          std::vector<int64_t> perm(rank);
          std::iota(perm.begin(), perm.end(), 0);
          std::swap(perm[rank - 2], perm[rank - 1]);
          setInts(x.last(), "perm", perm);
          return t;
        };
        simple(op, "MatMul",
               {operand(o.getLhs(), o.getTransposeLhs()),
                operand(o.getRhs(), o.getTransposeRhs())});
        return true;
      })
      .Case([&](Conv2dOp o) {
        std::vector<std::string> ins = {in(o.getInput()), in(o.getWeight())};
        if (o.getBias())
          ins.push_back(in(o.getBias()));
        onnx::NodeProto &n = simple(op, "Conv", ins);
        window(n, o.getStrides(), o.getPadding());
        setInts(n, "dilations", o.getDilations());
        setInt(n, "group", int64_t(o.getGroups()));
        return true;
      })
      .Case([&](ConvTranspose2dOp o) {
        std::vector<std::string> ins = {in(o.getInput()), in(o.getWeight())};
        if (o.getBias())
          ins.push_back(in(o.getBias()));
        onnx::NodeProto &n = simple(op, "ConvTranspose", ins);
        window(n, o.getStrides(), o.getPadding());
        setInts(n, "output_padding", o.getOutputPadding());
        setInts(n, "dilations", o.getDilations());
        setInt(n, "group", int64_t(o.getGroups()));
        return true;
      })
      .Case([&](MaxPool2dOp o) {
        onnx::NodeProto &n = simple(op, "MaxPool", {in(o.getInput())});
        setInts(n, "kernel_shape", o.getKernel());
        window(n, o.getStrides(), o.getPadding());
        setInt(n, "ceil_mode", o.getCeilMode());
        return true;
      })
      .Case([&](AvgPool2dOp o) {
        onnx::NodeProto &n = simple(op, "AveragePool", {in(o.getInput())});
        setInts(n, "kernel_shape", o.getKernel());
        window(n, o.getStrides(), o.getPadding());
        setInt(n, "ceil_mode", o.getCeilMode());
        setInt(n, "count_include_pad", o.getCountIncludePad());
        return true;
      })
      .Case([&](GlobalAvgPool2dOp o) {
        return unary("GlobalAveragePool", o.getInput());
      })
      .Case([&](ReshapeOp o) {
        // A dynamic leading dimension is the batch, which Reshape keeps
        // with a 0.
        std::vector<int64_t> shape(o.getType().getShape());
        if (!shape.empty() && ShapedType::isDynamic(shape[0]))
          shape[0] = 0;
        if (llvm::any_of(shape, ShapedType::isDynamic))
          return false;
        simple(op, "Reshape",
               {in(o.getInput()), x.int64s(shape, hint(op) + ".shape")});
        return true;
      })
      .Case([&](TransposeOp o) {
        setInts(simple(op, "Transpose", {in(o.getInput())}), "perm",
                o.getPerm());
        return true;
      })
      .Case([&](ConcatOp o) {
        std::vector<std::string> ins;
        for (Value v : o.getInputs())
          ins.push_back(in(v));
        setInt(simple(op, "Concat", ins), "axis", o.getAxis());
        return true;
      })
      .Case([&](SliceOp o) {
        std::vector<std::string> ins = {
            in(o.getInput()), x.int64s(o.getStarts(), hint(op) + ".starts"),
            x.int64s(o.getEnds(), hint(op) + ".ends"),
            x.int64s(o.getAxes(), hint(op) + ".axes")};
        if (auto steps = o.getSteps())
          ins.push_back(x.int64s(*steps, hint(op) + ".steps"));
        simple(op, "Slice", ins);
        return true;
      })
      .Case([&](BroadcastLikeOp o) {
        std::string shape =
            x.apply("Shape", {in(o.getLike())}, hint(op) + ".shape");
        simple(op, "Expand", {in(o.getInput()), shape});
        return true;
      })
      .Case([&](GatherOp o) {
        setInt(simple(op, "Gather", {in(o.getData()), in(o.getIndices())}),
               "axis", o.getAxis());
        return true;
      })
      .Case([&](EmbeddingOp o) {
        // Rows of the table; ids are in range (the runtime checks them).
        simple(op, "Gather", {in(o.getTable()), in(o.getIds())});
        return true;
      })
      .Case([&](SequenceMaskOp o) {
        // Only recurrent layers read a mask; they take its ids' lengths.
        masks[o.getResult()] = {o.getIds(), o.getPaddingIdx()};
        return llvm::all_of(o->getUsers(), [](Operation *user) {
          return isa<RNNOp, LSTMOp, GRUOp>(user);
        });
      })
      .Case([&](RNNOp o) {
        return recurrent(op, "RNN", o.getInput(), o.getW(), o.getR(), o.getB(),
                         o.getMask(), o.getR().getType().getDimSize(1),
                         o.getInitialH());
      })
      .Case([&](LSTMOp o) {
        return recurrent(op, "LSTM", o.getInput(), o.getW(), o.getR(), o.getB(),
                         o.getMask(), o.getR().getType().getDimSize(1),
                         o.getInitialH(), o.getInitialC());
      })
      .Case([&](GRUOp o) {
        return recurrent(op, "GRU", o.getInput(), o.getW(), o.getR(), o.getB(),
                         o.getMask(), o.getR().getType().getDimSize(1),
                         o.getInitialH());
      })
      .Case([&](ReduceSumOp o) {
        onnx::NodeProto &n = simple(
            op, "ReduceSum",
            {in(o.getInput()), x.int64s(o.getAxes(), hint(op) + ".axes")});
        setInt(n, "keepdims", o.getKeepdims());
        return true;
      })
      .Case<ReduceMeanOp, ReduceMaxOp, ReduceMinOp>([&](auto o) {
        StringRef type = isa<ReduceMeanOp>(op)  ? "ReduceMean"
                         : isa<ReduceMaxOp>(op) ? "ReduceMax"
                                                : "ReduceMin";
        onnx::NodeProto &n = simple(op, type, {in(o.getInput())});
        setInts(n, "axes", o.getAxes());
        setInt(n, "keepdims", o.getKeepdims());
        return true;
      })
      .Case<ArgMaxOp, ArgMinOp>([&](auto o) {
        onnx::NodeProto &n = simple(op, isa<ArgMaxOp>(op) ? "ArgMax" : "ArgMin",
                                    {in(o.getInput())});
        setInt(n, "axis", o.getAxis());
        setInt(n, "keepdims", o.getKeepdims());
        setInt(n, "select_last_index", o.getSelectLastIndex());
        return true;
      })
      .Case([&](WhereOp o) {
        simple(op, "Where", {in(o.getCondition()), in(o.getX()), in(o.getY())});
        return true;
      })
      .Case([&](CastOp o) {
        int to = onnxElementType(o.getType().getElementType());
        if (to == onnx::TensorProto::UNDEFINED)
          return false;
        setInt(simple(op, "Cast", {in(o.getInput())}), "to", to);
        return true;
      })
      .Case([&](ConstantOp o) {
        auto values = dyn_cast<DenseElementsAttr>(o.getValue());
        if (!values)
          return false;
        std::string out = x.fresh(hint(op));
        x.bind(o.getResult(), out);
        auto *a = x.node("Constant", {}, {out}).add_attribute();
        a->set_name("value");
        a->set_type(onnx::AttributeProto::TENSOR);
        return fillTensor(*a->mutable_t(), values);
      })
      .Case([&](BatchNormOp o) {
        // Inference mode with the running statistics; ONNX's momentum is
        // the weight of the running value, 1 - ours. The running
        // statistics the op passes through are read by no exported node.
        if (o.getTraining() || !o.getNewRunningMean().use_empty() ||
            !o.getNewRunningVar().use_empty())
          return false;
        onnx::NodeProto &n =
            simple(op, "BatchNormalization",
                   {in(o.getInput()), in(o.getScale()), in(o.getBias()),
                    in(o.getRunningMean()), in(o.getRunningVar())});
        setFloat(n, "epsilon", o.getEpsilon().convertToDouble());
        setFloat(n, "momentum", 1.0 - o.getMomentum().convertToDouble());
        return true;
      })
      // Inference: the random layers are the identity, a sample its mean 0.
      .Case<DropoutOp, GaussianNoiseOp>(
          [&](auto o) { return unary("Identity", o.getInput()); })
      .Case([&](RandomNormalOp o) {
        std::string shape =
            x.apply("Shape", {in(o.getLike())}, hint(op) + ".shape");
        simple(op, "ConstantOfShape", {shape});
        // The default value of ConstantOfShape is a float 0.
        return o.getType().getElementType().isF32();
      })
      .Default([](Operation *) { return false; });
}

} // namespace

llvm::Expected<std::string> neurona::exportONNX(const ImportedModel &model,
                                                llvm::StringRef entry) {
  ModuleOp module = model.module.get();
  auto forward = module.lookupSymbol<func::FuncOp>(entry);
  if (!forward || forward.isExternal()) {
    std::string names;
    for (auto fn : module.getOps<func::FuncOp>())
      names += (names.empty() ? "" : ", ") + fn.getName().str();
    return llvm::createStringError("the model has no entry '" + entry.str() +
                                   "' (it has " + names + ")");
  }
  onnx::ModelProto proto;
  proto.set_ir_version(8);
  proto.set_producer_name("neurona");
  proto.set_producer_version("0.1");
  auto *opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(kExportOpset);
  onnx::GraphProto &graph = *proto.mutable_graph();
  graph.set_name(model.name.empty() ? std::string("model") : model.name);
  Exporter x(graph);

  std::map<std::string, const ParamSpec *> params;
  for (const ParamSpec &p : model.params)
    params[p.name] = &p;
  Block &body = forward.getBody().front();
  for (BlockArgument arg : body.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto name = forward.getArgAttrOfType<StringAttr>(i, "nn.name");
    auto role = forward.getArgAttrOfType<StringAttr>(i, "nn.role");
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!name || !role || !type)
      return llvm::createStringError("argument " + std::to_string(i) +
                                     " has no name, role or tensor type");
    x.reserve(name.str());
    x.bind(arg, name.str());
    if (role.getValue() == "input") {
      x.declare(graph.add_input(), name.str(), type);
      continue;
    }
    auto it = params.find(name.str());
    if (role.getValue() != "param" || it == params.end())
      return llvm::createStringError("argument '" + name.str() +
                                     "' is neither an input nor a parameter");
    const ParamSpec &p = *it->second;
    int64_t count = 1;
    for (int64_t d : p.shape)
      count *= d;
    if (p.values.size() != size_t(count) || !type.getElementType().isF32())
      return llvm::createStringError(
          "parameter '" + p.name +
          "' has no values: export a trained model (--params)");
    onnx::TensorProto *t = graph.add_initializer();
    t->set_name(p.name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : p.shape)
      t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char *>(p.values.data()),
                                p.values.size() * sizeof(float)));
  }

  Operation *ret = body.getTerminator();
  std::vector<std::string> outputs;
  for (unsigned r = 0; r < ret->getNumOperands(); ++r) {
    auto name = forward.getResultAttrOfType<StringAttr>(r, "nn.name");
    outputs.push_back(name ? name.str() : "output" + std::to_string(r));
    x.reserve(outputs.back());
  }

  OpWriter writer(x);
  std::string unsupported;
  for (Operation &op : body.without_terminator())
    if (!writer.write(&op)) {
      std::string where;
      llvm::raw_string_ostream os(where);
      op.getLoc().print(os);
      unsupported +=
          "\n  " + op.getName().getStringRef().str() + " at " + where;
    }
  if (!unsupported.empty())
    return llvm::createStringError("ONNX export cannot express these ops of @" +
                                   entry.str() + ":" + unsupported);

  for (unsigned r = 0; r < ret->getNumOperands(); ++r) {
    const std::string &out = outputs[r];
    auto type = cast<RankedTensorType>(ret->getOperand(r).getType());
    // Outputs keep their names: an Identity gives the value that name
    // (an input or a parameter may be an output too).
    x.node("Identity", {x.nameOf(ret->getOperand(r))}, {out});
    x.declare(graph.add_output(), out, type);
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    return llvm::createStringError("cannot serialise the ONNX model");
  return bytes;
}
