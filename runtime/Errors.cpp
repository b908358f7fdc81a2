//===- Errors.cpp - Error reporting and small C API helpers ---------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "Model.h"

using namespace neurona;
using namespace neurona::runtime;

// Thread-local so that concurrent users of distinct models never see each
// other's messages.
static thread_local std::string lastError = "no error";

nr_status neurona::runtime::fail(const Status &status) {
  return fail(status.getCode(), status.getMessage());
}

nr_status neurona::runtime::fail(nr_status code, const std::string &message) {
  try {
    lastError = message;
  } catch (...) {
    // Out of memory while recording the message: keep the code, at least.
  }
  return code == NR_OK ? NR_ERROR_INTERNAL : code;
}

void neurona::runtime::describe(const TensorType &type, nr_tensor &out) {
  out = nr_tensor();
  out.dtype = type.dtype;
  out.rank = static_cast<int32_t>(type.shape.size());
  for (size_t i = 0; i < type.shape.size(); ++i)
    out.shape[i] = type.shape[i];
  out.data = nullptr;
}

extern "C" const char *nr_last_error(void) { return lastError.c_str(); }

extern "C" const char *nr_status_string(nr_status status) {
  switch (status) {
  case NR_OK:
    return "NR_OK";
  case NR_ERROR_INVALID_ARGUMENT:
    return "NR_ERROR_INVALID_ARGUMENT";
  case NR_ERROR_IO:
    return "NR_ERROR_IO";
  case NR_ERROR_FORMAT:
    return "NR_ERROR_FORMAT";
  case NR_ERROR_NOT_FOUND:
    return "NR_ERROR_NOT_FOUND";
  case NR_ERROR_NUMERIC:
    return "NR_ERROR_NUMERIC";
  case NR_ERROR_OUT_OF_MEMORY:
    return "NR_ERROR_OUT_OF_MEMORY";
  case NR_ERROR_INTERNAL:
    return "NR_ERROR_INTERNAL";
  }
  return "NR_ERROR_UNKNOWN";
}

extern "C" const char *nr_dtype_name(nr_dtype dtype) {
  switch (dtype) {
  case NR_F32:
    return "f32";
  case NR_F64:
    return "f64";
  case NR_F16:
    return "f16";
  case NR_BF16:
    return "bf16";
  case NR_I32:
    return "i32";
  case NR_I64:
    return "i64";
  case NR_U8:
    return "u8";
  case NR_I8:
    return "i8";
  case NR_I16:
    return "i16";
  case NR_U16:
    return "u16";
  case NR_U32:
    return "u32";
  case NR_U64:
    return "u64";
  case NR_BOOL:
    return "bool";
  }
  return "?";
}

extern "C" size_t nr_dtype_size(nr_dtype dtype) { return dtypeSize(dtype); }

extern "C" const char *nr_arg_role_name(nr_arg_role role) {
  switch (role) {
  case NR_ROLE_INPUT:
    return "input";
  case NR_ROLE_TARGET:
    return "target";
  case NR_ROLE_HYPER:
    return "hyper";
  case NR_ROLE_PARAM:
    return "param";
  case NR_ROLE_STATE:
    return "state";
  case NR_ROLE_OUTPUT:
    return "output";
  case NR_ROLE_LOSS:
    return "loss";
  case NR_ROLE_GRAD:
    return "grad";
  case NR_ROLE_PARAM_OUT:
    return "param_out";
  case NR_ROLE_STATE_OUT:
    return "state_out";
  }
  return "?";
}
