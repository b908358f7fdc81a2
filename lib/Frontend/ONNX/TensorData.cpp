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
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <iterator>

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
  // Types newer than Debian's ONNX 1.12 schema (onnx.proto of onnx 1.23).
  static const char *const newer[] = {
      "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",        "INT4",           "FLOAT4E2M1", "FLOAT8E8M0",
      "UINT2",        "INT2",           "FLOAT6E2M3"};
  if (dataType >= 17 && dataType < 17 + int32_t(std::size(newer)))
    return newer[dataType - 17];
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
  case onnx::TensorProto::FLOAT16:
    return mlir::Float16Type::get(context);
  case onnx::TensorProto::BFLOAT16:
    return mlir::BFloat16Type::get(context);
  case onnx::TensorProto::BOOL:
    return mlir::IntegerType::get(context, 1);
  case onnx::TensorProto::INT8:
    return mlir::IntegerType::get(context, 8);
  case onnx::TensorProto::INT16:
    return mlir::IntegerType::get(context, 16);
  case onnx::TensorProto::INT32:
    return mlir::IntegerType::get(context, 32);
  case onnx::TensorProto::INT64:
    return mlir::IntegerType::get(context, 64);
  case onnx::TensorProto::UINT8:
    return mlir::IntegerType::get(context, 8, mlir::IntegerType::Unsigned);
  case onnx::TensorProto::UINT16:
    return mlir::IntegerType::get(context, 16, mlir::IntegerType::Unsigned);
  case onnx::TensorProto::UINT32:
    return mlir::IntegerType::get(context, 32, mlir::IntegerType::Unsigned);
  case onnx::TensorProto::UINT64:
    return mlir::IntegerType::get(context, 64, mlir::IntegerType::Unsigned);
  default:
    return {};
  }
}

int32_t dataTypeOf(mlir::Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (t.isF16())
    return onnx::TensorProto::FLOAT16;
  if (t.isBF16())
    return onnx::TensorProto::BFLOAT16;
  auto integer = llvm::dyn_cast<mlir::IntegerType>(t);
  if (!integer || integer.isSigned())
    return onnx::TensorProto::UNDEFINED;
  bool isUnsigned = integer.isUnsigned();
  switch (integer.getWidth()) {
  case 1:
    return isUnsigned ? onnx::TensorProto::UNDEFINED : onnx::TensorProto::BOOL;
  case 8:
    return isUnsigned ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8;
  case 16:
    return isUnsigned ? onnx::TensorProto::UINT16 : onnx::TensorProto::INT16;
  case 32:
    return isUnsigned ? onnx::TensorProto::UINT32 : onnx::TensorProto::INT32;
  case 64:
    return isUnsigned ? onnx::TensorProto::UINT64 : onnx::TensorProto::INT64;
  default:
    return onnx::TensorProto::UNDEFINED;
  }
}

bool isIntegerDataType(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT64:
    return true;
  default:
    return isUnsignedDataType(dataType);
  }
}

bool isNarrowFloatDataType(int32_t dataType) {
  return dataType == onnx::TensorProto::FLOAT16 ||
         dataType == onnx::TensorProto::BFLOAT16;
}

bool isUnsignedDataType(int32_t dataType) {
  return dataType == onnx::TensorProto::UINT8 ||
         dataType == onnx::TensorProto::UINT16 ||
         dataType == onnx::TensorProto::UINT32 ||
         dataType == onnx::TensorProto::UINT64;
}

bool isIntegerElement(mlir::Type t) { return isIntegerDataType(dataTypeOf(t)); }

/// Bits per element of an integer type (1 for BOOL, 0 for the others).
static unsigned integerBits(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::BOOL:
    return 1;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return 8;
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 16;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 32;
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 64;
  default:
    return 0;
  }
}

int64_t wrapInteger(int32_t dataType, int64_t v) {
  if (dataType == onnx::TensorProto::BOOL)
    return v != 0;
  unsigned bits = integerBits(dataType);
  if (bits == 0 || bits == 64)
    return v;
  uint64_t low = static_cast<uint64_t>(v) & ((uint64_t(1) << bits) - 1);
  if (isUnsignedDataType(dataType))
    return static_cast<int64_t>(low);
  return llvm::SignExtend64(low, bits);
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
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16: {
    // The floats were widened from the type, so converting back is exact.
    const llvm::fltSemantics &semantics =
        llvm::cast<mlir::FloatType>(type.getElementType()).getFloatSemantics();
    llvm::SmallVector<llvm::APFloat> elements;
    elements.reserve(value.floats.size());
    for (float v : value.floats) {
      llvm::APFloat element(v);
      bool losesInfo = false;
      element.convert(semantics, llvm::APFloat::rmNearestTiesToEven,
                      &losesInfo);
      elements.push_back(element);
    }
    return mlir::DenseElementsAttr::get(type, elements);
  }
  case onnx::TensorProto::BOOL: {
    llvm::SmallVector<bool> bits(value.ints.begin(), value.ints.end());
    return mlir::DenseElementsAttr::get(type, llvm::ArrayRef(bits));
  }
  default: {
    // Every integer type: the low bits of the widened elements.
    unsigned bits = integerBits(value.dataType);
    llvm::SmallVector<llvm::APInt> elements;
    elements.reserve(value.ints.size());
    for (int64_t v : value.ints)
      elements.emplace_back(bits, static_cast<uint64_t>(v),
                            /*isSigned=*/false, /*implicitTrunc=*/true);
    return mlir::DenseElementsAttr::get(type, elements);
  }
  }
}

/// Bytes per element in `raw_data` for the types the importer decodes.
static unsigned elementBytes(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return 4;
  case onnx::TensorProto::DOUBLE:
    return 8;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return 2;
  default:
    return std::max(1u, integerBits(dataType) / 8);
  }
}

/// The float value of a FLOAT16 or BFLOAT16 bit pattern (exact).
static float widenNarrowFloat(int32_t dataType, uint16_t bits) {
  if (dataType == onnx::TensorProto::BFLOAT16)
    return llvm::bit_cast<float>(uint32_t(bits) << 16);
  llvm::APFloat half(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
  bool losesInfo = false;
  half.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
               &losesInfo);
  return half.convertToFloat();
}

/// Copies little-endian elements out of `bytes` into `out`.
static void decodeRaw(llvm::StringRef bytes, TensorValue &out, uint64_t count) {
  const char *p = bytes.data();
  if (out.isNarrowFloat()) {
    out.floats.resize(count);
    for (uint64_t i = 0; i < count; ++i)
      out.floats[i] = widenNarrowFloat(
          out.dataType, llvm::support::endian::read16le(p + 2 * i));
  } else if (out.isFloat()) {
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
  } else {
    unsigned size = elementBytes(out.dataType);
    out.ints.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      const char *at = p + size * i;
      uint64_t bits = size == 1   ? uint8_t(*at)
                      : size == 2 ? llvm::support::endian::read16le(at)
                      : size == 4 ? llvm::support::endian::read32le(at)
                                  : llvm::support::endian::read64le(at);
      out.ints[i] = wrapInteger(out.dataType, static_cast<int64_t>(bits));
    }
  }
}

Expected<TensorValue> decodeTensor(const onnx::TensorProto &tensor,
                                   const LoadedModel &model) {
  TensorValue out;
  out.dataType = tensor.data_type();
  bool known = out.dataType == onnx::TensorProto::FLOAT ||
               out.dataType == onnx::TensorProto::DOUBLE ||
               out.isNarrowFloat() || out.dataType == onnx::TensorProto::BOOL ||
               isIntegerDataType(out.dataType);
  if (!known && out.dataType != onnx::TensorProto::UNDEFINED)
    return tensorError("has element type " + dataTypeName(out.dataType) +
                       "; only " + kSupportedDataTypes +
                       " tensors are supported");
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

  // Typed fields: INT8, INT16, INT32, UINT8, UINT16 and BOOL live in
  // int32_data, as do FLOAT16 and BFLOAT16 (their bit patterns), INT64 in
  // int64_data, UINT32 and UINT64 in uint64_data, DOUBLE in double_data.
  int32_t t = out.dataType;
  bool inInt32 =
      t == onnx::TensorProto::INT8 || t == onnx::TensorProto::INT16 ||
      t == onnx::TensorProto::INT32 || t == onnx::TensorProto::UINT8 ||
      t == onnx::TensorProto::UINT16 || out.isBool() || out.isNarrowFloat();
  bool inUint64 =
      t == onnx::TensorProto::UINT32 || t == onnx::TensorProto::UINT64;
  uint64_t stored = out.isFloat()    ? tensor.float_data_size()
                    : out.isDouble() ? tensor.double_data_size()
                    : inInt32        ? tensor.int32_data_size()
                    : inUint64       ? tensor.uint64_data_size()
                                     : tensor.int64_data_size();
  if (stored != count)
    return tensorError(
        llvm::formatv("holds {0} elements, but its shape {1} has {2}", stored,
                      formatShape(out.dims), count));
  if (out.isFloat())
    out.floats.assign(tensor.float_data().begin(), tensor.float_data().end());
  else if (out.isNarrowFloat())
    for (int32_t v : tensor.int32_data()) {
      if (v < 0 || v > 0xffff)
        return tensorError(llvm::formatv(
            "holds {0} in int32_data, which is not a {1} bit pattern", v,
            dataTypeName(t)));
      out.floats.push_back(widenNarrowFloat(t, static_cast<uint16_t>(v)));
    }
  else if (out.isDouble())
    out.doubles.assign(tensor.double_data().begin(),
                       tensor.double_data().end());
  else if (out.isBool())
    for (int32_t v : tensor.int32_data())
      out.ints.push_back(v != 0);
  else if (inInt32)
    for (int32_t v : tensor.int32_data())
      out.ints.push_back(wrapInteger(t, v));
  else if (inUint64)
    for (uint64_t v : tensor.uint64_data())
      out.ints.push_back(wrapInteger(t, static_cast<int64_t>(v)));
  else
    out.ints.assign(tensor.int64_data().begin(), tensor.int64_data().end());
  return out;
}

} // namespace neurona::onnx_import
