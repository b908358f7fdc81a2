//===- IDX.h - IDX parsing shared by the dataset loaders --------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_LIB_DATA_IDX_H
#define NEURONA_LIB_DATA_IDX_H

#include "neurona/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace neurona {
namespace data {

constexpr uint32_t IdxImagesMagic = 2051; // 0x00000803
constexpr uint32_t IdxLabelsMagic = 2049; // 0x00000801

/// True if `bytes` starts like an unsigned-byte IDX file.
bool isIdx(const std::string &bytes);

/// Checks the magic and sizes of an in-memory IDX file; on success `dims`
/// holds its dimensions and the data (exactly their product in bytes) starts
/// at `dataStart`.
Status parseIdx(const std::string &bytes, const std::string &path,
                uint32_t magic, std::vector<int64_t> &dims, size_t &dataStart);

} // namespace data
} // namespace neurona

#endif // NEURONA_LIB_DATA_IDX_H
