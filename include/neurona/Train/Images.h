//===- neurona/Train/Images.h - Pictures people can open --------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Grids of grey images as PNG files (through libpng): inputs beside their
// reconstructions, generated samples. Written atomically.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_TRAIN_IMAGES_H
#define NEURONA_TRAIN_IMAGES_H

#include "neurona/Runtime/Status.h"

#include <cstdint>
#include <string>

namespace neurona {
namespace train {

/// Writes `count` grey images of `rows` x `cols` values (row-major, one
/// after the other; 0 is black, 1 white, values outside [0, 1] clamped) as
/// an 8-bit greyscale PNG, `columns` images per grid row with a 2-pixel
/// mid-grey border around each. Fails on empty or oversized grids and on
/// I/O errors, naming `path`.
Status writeImageGrid(const std::string &path, const float *images,
                      int64_t count, int64_t rows, int64_t cols,
                      int64_t columns);

} // namespace train
} // namespace neurona

#endif // NEURONA_TRAIN_IMAGES_H
