//===- Recurrent.cpp - ONNX RNN, LSTM and GRU -----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// ONNX's recurrent nodes onto nn.rnn / nn.lstm / nn.gru, which share ONNX's
// weight layout per direction (W [G*H, F], R [G*H, H], B [2*G*H]) but run
// one direction over batch-first sequences from zero states. So the
// importer
//
//   * slices each direction's weights out of W, R and B [dirs, ...];
//   * transposes X [T, N, F] (layout 0) to [N, T, F], and back for Y;
//   * runs "reverse" on X flipped along time (nn.slice with step -1) and
//     flips the outputs back; "bidirectional" is both, concatenated on the
//     num_directions axis;
//   * turns constant sequence_lens into the ops' mask (steps at or after a
//     sequence's length keep the state and output zeros, as ONNX defines);
//   * passes initial_h (and an LSTM's initial_c) [dirs, N, H] (or [N, dirs,
//     H], layout 1), run-time or constant, to each direction's nn.rnn,
//     nn.lstm or nn.gru, and reads an LSTM's Y_c from its last cell state.
//
// What the nn ops cannot express is refused with an error naming the node
// and the attribute or input: other activations, clip, input_forget,
// peepholes, and sequence_lens with
// reverse directions (a padded sequence's reversal is not a flip).
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "neurona/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

namespace {

enum class Cell { RNN, LSTM, GRU };

struct CellInfo {
  Cell cell;
  int64_t gates;
  llvm::SmallVector<llvm::StringRef, 3> activations; // ONNX's defaults
};

CellInfo cellOf(llvm::StringRef opType) {
  if (opType == "LSTM")
    return {Cell::LSTM, 4, {"Sigmoid", "Tanh", "Tanh"}};
  if (opType == "GRU")
    return {Cell::GRU, 3, {"Sigmoid", "Tanh"}};
  return {Cell::RNN, 1, {"Tanh"}};
}

} // namespace

/// Fails unless the optional input `i` is absent or a constant of zeros.
static Error checkZeroInput(NodeContext &node, unsigned i, llvm::StringRef name,
                            llvm::StringRef why) {
  if (!node.hasInput(i))
    return Error::success();
  auto value = node.constantInput(i);
  if (!value) {
    llvm::consumeError(value.takeError());
    return node.error("input '" + name + "' is not a constant: " + why);
  }
  if (!(*value)->isFloat() ||
      llvm::any_of((*value)->floats, [](float v) { return v != 0.0f; }))
    return node.error("input '" + name + "' is not all zeros: " + why);
  return Error::success();
}

static Value reshape(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  if (type == v.getType())
    return v;
  return nn::ReshapeOp::create(b, loc, type, v);
}

/// Direction `d` of a [dirs, ...] tensor, without the leading axis.
static Value direction(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getDimSize(0) != 1)
    v = nn::SliceOp::create(
        b, loc, v, b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({d}),
        b.getDenseI64ArrayAttr({d + 1}), DenseI64ArrayAttr());
  return reshape(b, loc, v, type.getShape().drop_front());
}

/// `v` [N, T, ...] in reverse time order.
static Value flipTime(OpBuilder &b, Location loc, Value v) {
  int64_t steps = cast<RankedTensorType>(v.getType()).getDimSize(1);
  return nn::SliceOp::create(b, loc, v, b.getDenseI64ArrayAttr({1}),
                             b.getDenseI64ArrayAttr({steps - 1}),
                             b.getDenseI64ArrayAttr({-1}),
                             b.getDenseI64ArrayAttr({-1}));
}

static Error importRecurrent(NodeContext &node) {
  CellInfo info = cellOf(node.opType());
  SmallVector<llvm::StringRef> known = {
      "activation_alpha", "activation_beta", "activations", "clip",
      "direction",        "hidden_size",     "layout"};
  if (info.cell == Cell::LSTM)
    known.push_back("input_forget");
  if (info.cell == Cell::GRU)
    known.push_back("linear_before_reset");
  if (Error err =
          node.checkSignature(known, 3, info.cell == Cell::LSTM ? 8 : 6))
    return err;
  for (llvm::StringRef name : {"clip", "activation_alpha", "activation_beta"})
    if (node.findAttribute(name))
      return node.error("unsupported attribute: '" + name +
                        "' (only the default activations, without "
                        "clipping, are supported)");
  auto directionAttr = std::string("forward");
  if (const onnx::AttributeProto *attr = node.findAttribute("direction")) {
    if (attr->type() != onnx::AttributeProto::STRING)
      return node.error("attribute 'direction' must be a STRING");
    directionAttr = attr->s();
    if (directionAttr != "forward" && directionAttr != "reverse" &&
        directionAttr != "bidirectional")
      return node.error("unsupported attribute value: direction '" +
                        directionAttr + "'");
  }
  int64_t dirs = directionAttr == "bidirectional" ? 2 : 1;
  if (const onnx::AttributeProto *attr = node.findAttribute("activations")) {
    if (attr->type() != onnx::AttributeProto::STRINGS)
      return node.error("attribute 'activations' must be STRINGS");
    bool defaults = attr->strings_size() ==
                    static_cast<int>(info.activations.size() * dirs);
    for (int i = 0; defaults && i < attr->strings_size(); ++i)
      defaults = attr->strings(i) ==
                 info.activations[i % info.activations.size()].str();
    if (!defaults) {
      std::string given;
      for (const std::string &name : attr->strings())
        given += (given.empty() ? "" : ", ") + name;
      return node.error("unsupported attribute value: activations [" + given +
                        "] (only ONNX's defaults are supported)");
    }
  }
  auto layout = node.intAttribute("layout", 0);
  if (!layout)
    return layout.takeError();
  if (*layout != 0 && *layout != 1)
    return node.error(
        llvm::formatv("unsupported attribute value: layout {0}", *layout));
  auto inputForget = node.intAttribute("input_forget", 0);
  if (!inputForget)
    return inputForget.takeError();
  if (*inputForget != 0)
    return node.error("unsupported attribute value: input_forget 1 (coupled "
                      "input and forget gates)");
  auto lbr = node.intAttribute("linear_before_reset", 0);
  if (!lbr)
    return lbr.takeError();

  auto xwr = node.inputs<3>();
  if (!xwr)
    return xwr.takeError();
  auto [x, w, r] = *xwr;
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  if (xType.getRank() != 3 || xType.isDynamicDim(2) ||
      xType.isDynamicDim(*layout == 0 ? 0 : 1))
    return node.error("X must be a sequence of rank 3 with static steps and "
                      "features, got " +
                      formatShape(xType));
  if (*layout == 0 && xType.isDynamicDim(1))
    return node.error("X [T, N, F] (layout 0) with a dynamic batch is not "
                      "supported; export with a static batch or layout 1");
  if (wType.getRank() != 3 || !wType.hasStaticShape() ||
      wType.getDimSize(0) != dirs || wType.getDimSize(1) % info.gates != 0)
    return node.error(
        llvm::formatv("W must be [{0}, {1}*H, F] for direction '{2}', got {3}",
                      dirs, info.gates, directionAttr, formatShape(wType)));
  int64_t hidden = wType.getDimSize(1) / info.gates;
  auto hiddenSize = node.intAttribute("hidden_size", hidden);
  if (!hiddenSize)
    return hiddenSize.takeError();
  if (*hiddenSize != hidden)
    return node.error(llvm::formatv("hidden_size {0} does not match W of "
                                    "shape {1}",
                                    *hiddenSize, formatShape(wType)));
  int64_t gh = info.gates * hidden;
  auto checkShape = [&](Value v, ArrayRef<int64_t> shape,
                        llvm::StringRef name) -> Error {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getShape() != shape)
      return node.error(llvm::formatv("{0} must be {1}, got {2}", name,
                                      formatShape(shape), formatShape(type)));
    return Error::success();
  };
  if (Error err = checkShape(r, {dirs, gh, hidden}, "R"))
    return err;

  OpBuilder &b = node.builder();
  Location loc = node.loc();
  Value bias;
  if (node.hasInput(3)) {
    auto value = node.input(3);
    if (!value)
      return value.takeError();
    bias = *value;
    if (Error err = checkShape(bias, {dirs, 2 * gh}, "B"))
      return err;
  } else {
    auto type = RankedTensorType::get({dirs, 2 * gh}, b.getF32Type());
    bias = nn::ConstantOp::create(b, loc, DenseElementsAttr::get(type, 0.0f));
  }

  // Batch-first input and the mask of sequence_lens.
  Value xbf = x;
  if (*layout == 0)
    xbf = nn::TransposeOp::create(b, loc, x, b.getDenseI64ArrayAttr({1, 0, 2}));
  auto bfType = cast<RankedTensorType>(xbf.getType());
  int64_t batch = bfType.getDimSize(0), steps = bfType.getDimSize(1);
  Value mask;
  if (node.hasInput(4)) {
    auto lens = node.constantInput(4);
    if (!lens) {
      llvm::consumeError(lens.takeError());
      return node.error("input 'sequence_lens' must be a constant (it "
                        "becomes the mask of padded steps)");
    }
    const TensorValue &l = **lens;
    if (l.isFloat() || l.dims.size() != 1 || l.dims[0] != batch)
      return node.error(llvm::formatv(
          "sequence_lens must be an integer tensor of the batch size "
          "[{0}]{1}",
          batch, ShapedType::isDynamic(batch) ? " (a static batch)" : ""));
    bool full = true;
    std::vector<float> values;
    for (int64_t n = 0; n < batch; ++n) {
      if (l.ints[n] < 0 || l.ints[n] > steps)
        return node.error(
            llvm::formatv("sequence_lens[{0}] = {1} is outside [0, {2}]", n,
                          l.ints[n], steps));
      full &= l.ints[n] == steps;
      for (int64_t t = 0; t < steps; ++t)
        values.push_back(t < l.ints[n] ? 1.0f : 0.0f);
    }
    if (!full) {
      if (directionAttr != "forward")
        return node.error("sequence_lens shorter than the sequence with "
                          "direction '" +
                          directionAttr +
                          "' is not supported (only 'forward' masks padded "
                          "steps)");
      auto type = RankedTensorType::get({batch, steps}, b.getF32Type());
      mask = nn::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, ArrayRef<float>(values)));
    }
  }
  // The initial states (an LSTM's h and c, an RNN's or GRU's h),
  // [dirs, N, H] after a layout 1 transpose.
  Value initialH, initialC;
  {
    auto state = [&](unsigned i, llvm::StringRef name, Value &out) -> Error {
      if (!node.hasInput(i))
        return Error::success();
      auto value = node.input(i);
      if (!value)
        return value.takeError();
      auto type = cast<RankedTensorType>(value->getType());
      SmallVector<int64_t> expected =
          *layout == 0 ? SmallVector<int64_t>{dirs, batch, hidden}
                       : SmallVector<int64_t>{batch, dirs, hidden};
      if (!type.getElementType().isF32() ||
          failed(verifyCompatibleShape(type.getShape(), expected)))
        return node.error(llvm::formatv("{0} must be f32 {1}, got {2}", name,
                                        formatShape(expected),
                                        formatShape(type)));
      out = *value;
      if (*layout == 1)
        out = nn::TransposeOp::create(b, loc, out,
                                      b.getDenseI64ArrayAttr({1, 0, 2}));
      return Error::success();
    };
    if (Error err = state(5, "initial_h", initialH))
      return err;
    if (info.cell == Cell::LSTM) {
      if (Error err = state(6, "initial_c", initialC))
        return err;
      if (Error err = checkZeroInput(node, 7, "P",
                                     "peephole connections are not supported"))
        return err;
    }
  }
  // Direction `d` of a state [dirs, N, H] as [N, H], or null.
  auto stateOf = [&](Value v, int64_t d) {
    return v ? direction(b, loc, v, d) : v;
  };

  SmallVector<Value> ys, hs, cs;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = directionAttr == "reverse" || d == 1;
    Value xd = reverse ? flipTime(b, loc, xbf) : xbf;
    Value wd = direction(b, loc, w, d), rd = direction(b, loc, r, d);
    Value bd = direction(b, loc, bias, d);
    if (Error err = node.checkInference(
            [&](std::optional<Location> l, SmallVectorImpl<Type> &types) {
              return nn::inferRecurrent(
                  l, info.gates, 1, xd.getType(), wd.getType(), rd.getType(),
                  bd.getType(), mask ? mask.getType() : Type(), Type(), types);
            }))
      return err;
    Operation *op;
    if (info.cell == Cell::LSTM)
      op = nn::LSTMOp::create(b, loc, xd, wd, rd, bd, mask,
                              stateOf(initialH, d), stateOf(initialC, d));
    else if (info.cell == Cell::GRU)
      op = nn::GRUOp::create(b, loc, xd, wd, rd, bd, mask, stateOf(initialH, d),
                             *lbr ? b.getUnitAttr() : UnitAttr());
    else
      op =
          nn::RNNOp::create(b, loc, xd, wd, rd, bd, mask, stateOf(initialH, d));
    Value seq = op->getResult(0);
    ys.push_back(reverse ? flipTime(b, loc, seq) : seq);
    hs.push_back(op->getResult(1));
    if (info.cell == Cell::LSTM)
      cs.push_back(op->getResult(3)); // the last cell state
  }

  // Y [T, dirs, N, H] or [N, T, dirs, H]; Y_h, Y_c [dirs, N, H] or
  // [N, dirs, H].
  auto join = [&](ArrayRef<Value> parts, int64_t axis) -> Value {
    if (parts.size() == 1)
      return parts[0];
    return nn::ConcatOp::create(b, loc, parts, b.getI64IntegerAttr(axis));
  };
  SmallVector<Value> yParts, hParts, cParts;
  for (Value y : ys) {
    if (*layout == 0)
      yParts.push_back(reshape(
          b, loc,
          nn::TransposeOp::create(b, loc, y, b.getDenseI64ArrayAttr({1, 0, 2})),
          {steps, 1, batch, hidden}));
    else
      yParts.push_back(reshape(b, loc, y, {batch, steps, 1, hidden}));
  }
  auto state = [&](Value v) {
    return *layout == 0 ? reshape(b, loc, v, {1, batch, hidden})
                        : reshape(b, loc, v, {batch, 1, hidden});
  };
  for (Value h : hs)
    hParts.push_back(state(h));
  for (Value c : cs)
    cParts.push_back(state(c));
  if (Error err = node.setOutput(0, join(yParts, *layout == 0 ? 1 : 2)))
    return err;
  if (Error err = node.setOutput(1, join(hParts, *layout == 0 ? 0 : 1)))
    return err;
  if (info.cell == Cell::LSTM)
    return node.setOutput(2, join(cParts, *layout == 0 ? 0 : 1));
  return Error::success();
}

void registerRecurrentOps(OpTable &table) {
  table["RNN"] = importRecurrent;
  table["LSTM"] = importRecurrent;
  table["GRU"] = importRecurrent;
}

} // namespace neurona::onnx_import
