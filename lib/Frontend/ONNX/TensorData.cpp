//===- TensorData.cpp - decoding ONNX TensorProtos ------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// A TensorProto stores its elements in one of several places (`raw_data`, a
// typed repeated field, or an external file). Every size is checked against
// the declared shape before anything is allocated, so a tensor that claims
// billions of elements costs nothing unless the bytes are really there.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"

using llvm::Error;
using llvm::Expected;

namespace neurona::onnx_import {

static Error tensorError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string dataTypeName(int32_t dataType) {
  if (onnx::TensorProto::DataType_IsValid(dataType) &&
      dataType != onnx::TensorProto::UNDEFINED)
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(dataType));
  return llvm::formatv("unknown type {0}", dataType).str();
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += mlir::ShapedType::isDynamic(dim) ? std::string("?")
                                             : std::to_string(dim);
  }
  return text + "]";
}

std::string formatShape(mlir::Type type) {
  if (auto ranked = llvm::dyn_cast<mlir::RankedTensorType>(type))
    return formatShape(ranked.getShape());
  return "<unranked>";
}

mlir::Type elementTypeOf(mlir::MLIRContext *context, int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return mlir::Float32Type::get(context);
  case onnx::TensorProto::DOUBLE:
    return mlir::Float64Type::get(context);
  case onnx::TensorProto::INT32:
    return mlir::IntegerType::get(context, 32);
  case onnx::TensorProto::INT64:
    return mlir::IntegerType::get(context, 64);
  case onnx::TensorProto::BOOL:
    return mlir::IntegerType::get(context, 1);
  default:
    return {};
  }
}

int32_t dataTypeOf(mlir::Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (t.isInteger(32))
    return onnx::TensorProto::INT32;
  if (t.isInteger(64))
    return onnx::TensorProto::INT64;
  if (t.isInteger(1))
    return onnx::TensorProto::BOOL;
  return onnx::TensorProto::UNDEFINED;
}

mlir::DenseElementsAttr toAttribute(mlir::MLIRContext *context,
                                    const TensorValue &value) {
  auto type = mlir::RankedTensorType::get(
      value.dims, elementTypeOf(context, value.dataType));
  switch (value.dataType) {
  case onnx::TensorProto::FLOAT:
    return mlir::DenseElementsAttr::get(type, llvm::ArrayRef(value.floats));
  case onnx::TensorProto::DOUBLE:
    return mlir::DenseElementsAttr::get(type, llvm::ArrayRef(value.doubles));
  case onnx::TensorProto::INT32: {
    std::vector<int32_t> narrow(value.ints.begin(), value.ints.end());
    return mlir::DenseElementsAttr::get(type, llvm::ArrayRef(narrow));
  }
  case onnx::TensorProto::BOOL: {
    llvm::SmallVector<bool> bits(value.ints.begin(), value.ints.end());
    return mlir::DenseElementsAttr::get(type, llvm::ArrayRef(bits));
  }
  default:
    return mlir::DenseElementsAttr::get(type, llvm::ArrayRef(value.ints));
  }
}

/// Bytes per element in `raw_data` for the types the importer decodes.
static unsigned elementBytes(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::DOUBLE:
    return 8;
  case onnx::TensorProto::BOOL:
    return 1;
  default:
    return 4;
  }
}

/// Copies little-endian elements out of `bytes` into `out`.
static void decodeRaw(llvm::StringRef bytes, TensorValue &out, uint64_t count) {
  const char *p = bytes.data();
  if (out.isFloat()) {
    out.floats.resize(count);
    for (uint64_t i = 0; i < count; ++i)
      out.floats[i] =
          llvm::bit_cast<float>(llvm::support::endian::read32le(p + 4 * i));
  } else if (out.isDouble()) {
    out.doubles.resize(count);
    for (uint64_t i = 0; i < count; ++i)
      out.doubles[i] =
          llvm::bit_cast<double>(llvm::support::endian::read64le(p + 8 * i));
  } else if (out.isBool()) {
    out.ints.resize(count);
    for (uint64_t i = 0; i < count; ++i)
      out.ints[i] = p[i] != 0;
  } else if (out.dataType == onnx::TensorProto::INT32) {
    out.ints.resize(count);
    for (uint64_t i = 0; i < count; ++i)
      out.ints[i] =
          static_cast<int32_t>(llvm::support::endian::read32le(p + 4 * i));
  } else {
    out.ints.resize(count);
    for (uint64_t i = 0; i < count; ++i)
      out.ints[i] =
          static_cast<int64_t>(llvm::support::endian::read64le(p + 8 * i));
  }
}

Expected<TensorValue> decodeTensor(const onnx::TensorProto &tensor,
                                   const LoadedModel &model) {
  TensorValue out;
  out.dataType = tensor.data_type();
  bool known = out.dataType == onnx::TensorProto::FLOAT ||
               out.dataType == onnx::TensorProto::DOUBLE ||
               out.dataType == onnx::TensorProto::INT32 ||
               out.dataType == onnx::TensorProto::INT64 ||
               out.dataType == onnx::TensorProto::BOOL;
  if (!known && out.dataType != onnx::TensorProto::UNDEFINED)
    return tensorError("has element type " + dataTypeName(out.dataType) +
                       "; only FLOAT, DOUBLE, INT32, INT64 and BOOL tensors "
                       "are supported");
  if (out.dataType == onnx::TensorProto::UNDEFINED)
    return tensorError("has no element type");
  if (tensor.has_segment())
    return tensorError("is segmented, which is not supported");

  // The element count, refusing negative dimensions and sizes no file could
  // hold (which also keeps the byte count below from overflowing).
  constexpr uint64_t kMaxElements = uint64_t(1) << 40;
  uint64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return tensorError(llvm::formatv("has a negative dimension ({0})", dim));
    if (dim != 0 && count > kMaxElements / static_cast<uint64_t>(dim))
      return tensorError("has an impossibly large shape " +
                         formatShape(llvm::to_vector(tensor.dims())));
    count *= static_cast<uint64_t>(dim);
    out.dims.push_back(dim);
  }
  uint64_t bytes = count * elementBytes(out.dataType);

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto data = readExternalData(tensor, model, bytes);
    if (!data)
      return data.takeError();
    decodeRaw(*data, out, count);
    return out;
  }
  if (tensor.external_data_size() != 0)
    return tensorError("lists external_data but its data_location is not "
                       "EXTERNAL");

  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != bytes)
      return tensorError(llvm::formatv(
          "has {0} bytes of raw_data, but its shape {1} of {2} needs {3}",
          tensor.raw_data().size(), formatShape(out.dims),
          dataTypeName(out.dataType), bytes));
    decodeRaw(tensor.raw_data(), out, count);
    return out;
  }

  // Typed fields: INT32 and BOOL live in int32_data, INT64 in int64_data,
  // DOUBLE in double_data.
  bool inInt32 = out.dataType == onnx::TensorProto::INT32 || out.isBool();
  uint64_t stored = out.isFloat()    ? tensor.float_data_size()
                    : out.isDouble() ? tensor.double_data_size()
                    : inInt32        ? tensor.int32_data_size()
                                     : tensor.int64_data_size();
  if (stored != count)
    return tensorError(
        llvm::formatv("holds {0} elements, but its shape {1} has {2}", stored,
                      formatShape(out.dims), count));
  if (out.isFloat())
    out.floats.assign(tensor.float_data().begin(), tensor.float_data().end());
  else if (out.isDouble())
    out.doubles.assign(tensor.double_data().begin(),
                       tensor.double_data().end());
  else if (out.isBool())
    for (int32_t v : tensor.int32_data())
      out.ints.push_back(v != 0);
  else if (inInt32)
    out.ints.assign(tensor.int32_data().begin(), tensor.int32_data().end());
  else
    out.ints.assign(tensor.int64_data().begin(), tensor.int64_data().end());
  return out;
}

} // namespace neurona::onnx_import
