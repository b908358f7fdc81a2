//===- Config.h - Reading a compiled model's train settings -----*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_TRAIN_CONFIG_H
#define NEURONA_LIB_TRAIN_CONFIG_H

#include "neurona-c/runtime.h"

#include <string>

namespace neurona {
namespace train {

/// The manifest's `train` value of `key` in `out`; false when it is absent.
inline bool configValue(const nr_model *model, const char *key,
                        std::string &out) {
  const char *value;
  if (nr_model_train_config(model, key, &value) != NR_OK)
    return false;
  out = value;
  return true;
}

} // namespace train
} // namespace neurona

#endif // NEURONA_LIB_TRAIN_CONFIG_H
