//===- EntryIO.cpp - running an entry on .npy files -----------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "neurona/Runtime/EntryIO.h"
#include "neurona/Runtime/Half.h"

using namespace neurona;

static bool isFloat(nr_dtype t) { return t == NR_F32 || t == NR_F64; }

template <typename From, typename To>
static void convertAll(const void *src, void *dst, int64_t n) {
  const From *s = static_cast<const From *>(src);
  To *d = static_cast<To *>(dst);
  for (int64_t i = 0; i < n; ++i)
    d[i] = static_cast<To>(s[i]);
}

template <typename To>
static void convertFrom(nr_dtype from, const void *src, void *dst, int64_t n) {
  switch (from) {
  case NR_F32:
    return convertAll<float, To>(src, dst, n);
  case NR_F64:
    return convertAll<double, To>(src, dst, n);
  case NR_I8:
    return convertAll<int8_t, To>(src, dst, n);
  case NR_I16:
    return convertAll<int16_t, To>(src, dst, n);
  case NR_I32:
    return convertAll<int32_t, To>(src, dst, n);
  case NR_I64:
    return convertAll<int64_t, To>(src, dst, n);
  case NR_U8:
  case NR_BOOL:
    return convertAll<uint8_t, To>(src, dst, n);
  case NR_U16:
    return convertAll<uint16_t, To>(src, dst, n);
  case NR_U32:
    return convertAll<uint32_t, To>(src, dst, n);
  case NR_U64:
    return convertAll<uint64_t, To>(src, dst, n);
  case NR_F16:
  case NR_BF16:
    return; // convertArray converts the 16-bit floats itself
  }
}

static bool isNarrowFloat(nr_dtype t) { return t == NR_F16 || t == NR_BF16; }

/// Converts between f16/bf16 and f32/f64: widening is exact, narrowing
/// (from f32 only, so that it rounds once) rounds to nearest even. False
/// for any other pair.
static bool convertNarrowFloat(NpyArray &array, nr_dtype dtype) {
  int64_t n = array.numElements();
  AlignedBuffer out(size_t(n) * dtypeSize(dtype));
  if (isNarrowFloat(array.dtype) && (dtype == NR_F32 || dtype == NR_F64)) {
    const auto *src = static_cast<const uint16_t *>(array.data.data());
    for (int64_t i = 0; i < n; ++i) {
      float v =
          array.dtype == NR_F16 ? halfToFloat(src[i]) : bfloat16ToFloat(src[i]);
      if (dtype == NR_F32)
        static_cast<float *>(out.data())[i] = v;
      else
        static_cast<double *>(out.data())[i] = v;
    }
  } else if (array.dtype == NR_F32 && isNarrowFloat(dtype)) {
    const auto *src = static_cast<const float *>(array.data.data());
    auto *dst = static_cast<uint16_t *>(out.data());
    for (int64_t i = 0; i < n; ++i)
      dst[i] = dtype == NR_F16 ? floatToHalf(src[i]) : floatToBfloat16(src[i]);
  } else {
    return false;
  }
  array.dtype = dtype;
  array.data = std::move(out);
  return true;
}

bool neurona::convertArray(NpyArray &array, nr_dtype dtype) {
  if (array.dtype == dtype)
    return true;
  if (isNarrowFloat(array.dtype) || isNarrowFloat(dtype))
    return convertNarrowFloat(array, dtype);
  if (isFloat(array.dtype) && !isFloat(dtype))
    return false;
  int64_t n = array.numElements();
  AlignedBuffer out(size_t(n) * dtypeSize(dtype));
  switch (dtype) {
  case NR_F32:
    convertFrom<float>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_F64:
    convertFrom<double>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_I8:
    convertFrom<int8_t>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_I16:
    convertFrom<int16_t>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_I32:
    convertFrom<int32_t>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_I64:
    convertFrom<int64_t>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_U8:
    convertFrom<uint8_t>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_U16:
    convertFrom<uint16_t>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_U32:
    convertFrom<uint32_t>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_U64:
    convertFrom<uint64_t>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_BOOL:
    // Any nonzero value is true, stored as the byte 1.
    convertFrom<bool>(array.dtype, array.data.data(), out.data(), n);
    break;
  case NR_F16:
  case NR_BF16:
    return false; // handled by convertNarrowFloat
  }
  array.dtype = dtype;
  array.data = std::move(out);
  return true;
}

std::string neurona::formatArgType(nr_dtype dtype, int32_t rank,
                                   const int64_t *shape) {
  return std::string(nr_dtype_name(dtype)) + " " +
         (rank == 0 ? std::string("scalar") : formatShape(shape, size_t(rank)));
}

static Status apiError(const std::string &what) {
  return Status::error(NR_ERROR_INVALID_ARGUMENT,
                       what + ": " + nr_last_error());
}

Status NpyEntryCall::describe(nr_model *model, const char *entry) {
  size_t count = 0;
  if (nr_model_num_args(model, entry, &count) != NR_OK)
    return apiError("cannot describe the entry");
  fed.clear();
  produced.clear();
  for (size_t i = 0; i < count; ++i) {
    nr_arg_info info;
    if (nr_model_arg_info(model, entry, i, &info) != NR_OK)
      return apiError("cannot describe the entry");
    if (info.role == NR_ROLE_INPUT || info.role == NR_ROLE_TARGET ||
        info.role == NR_ROLE_HYPER)
      fed.push_back(info);
    else if (info.role == NR_ROLE_OUTPUT || info.role == NR_ROLE_LOSS ||
             info.role == NR_ROLE_GRAD)
      produced.push_back(info);
  }
  return Status::success();
}

Status NpyEntryCall::prepare(const std::vector<std::string> &files,
                             bool convertDTypes) {
  arrays.clear();
  arrays.resize(fed.size());
  inputs.assign(fed.size(), nr_tensor());
  int64_t batch = 1;
  bool haveBatch = false;
  for (auto &[index, array] : provided)
    if (index < arrays.size())
      arrays[index] = std::move(array);
  std::vector<bool> given(fed.size(), false);
  for (auto &entry : provided)
    if (entry.first < given.size())
      given[entry.first] = true;
  provided.clear();
  for (size_t i = 0; i < fed.size(); ++i) {
    const std::string &file = files[i];
    if (!given[i])
      if (Status s = readNpy(file, arrays[i]); !s)
        return s;
    NpyArray &a = arrays[i];
    const nr_arg_info &arg = fed[i];
    if (a.shape.size() > NR_MAX_RANK || a.shape.size() != size_t(arg.rank))
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           file + " holds " + nr_dtype_name(a.dtype) + " " +
                               formatShape(a.shape) + ", but input '" +
                               arg.name + "' is " +
                               formatArgType(arg.dtype, arg.rank, arg.shape));
    nr_dtype from = a.dtype;
    if (convertDTypes && !convertArray(a, arg.dtype))
      return Status::error(NR_ERROR_INVALID_ARGUMENT,
                           file + " holds " + nr_dtype_name(from) +
                               " values, input '" + arg.name + "' needs " +
                               nr_dtype_name(arg.dtype) +
                               "; convert it explicitly");
    nr_tensor &t = inputs[i];
    t.dtype = a.dtype;
    t.rank = int32_t(a.shape.size());
    for (size_t d = 0; d < a.shape.size(); ++d)
      t.shape[d] = a.shape[d];
    t.data = a.data.data();
    if (!haveBatch && arg.rank > 0 && arg.shape[0] < 0) {
      batch = a.shape[0];
      haveBatch = true;
    }
  }

  storage.clear();
  storage.reserve(produced.size());
  results.assign(produced.size(), nr_tensor());
  for (size_t i = 0; i < produced.size(); ++i) {
    nr_tensor &t = results[i];
    t.dtype = produced[i].dtype;
    t.rank = produced[i].rank;
    size_t bytes = nr_dtype_size(t.dtype);
    for (int32_t d = 0; d < t.rank; ++d) {
      t.shape[d] = produced[i].shape[d] < 0 ? batch : produced[i].shape[d];
      bytes *= size_t(t.shape[d] > 0 ? t.shape[d] : 0);
    }
    storage.emplace_back(bytes);
    t.data = storage.back().data();
  }
  return Status::success();
}

void NpyEntryCall::provide(size_t index, NpyArray array) {
  provided.emplace_back(index, std::move(array));
}

Status NpyEntryCall::writeResults(const std::vector<std::string> &files) const {
  for (size_t i = 0; i < results.size(); ++i) {
    const nr_tensor &t = results[i];
    if (Status s = writeNpy(files[i], t.dtype, t.shape, size_t(t.rank), t.data);
        !s)
      return s;
  }
  return Status::success();
}
