//===- Images.cpp - Pictures people can open ------------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Train/Images.h"

#include "neurona/Runtime/FileIO.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace neurona;

namespace {
constexpr int64_t kBorder = 2;
constexpr uint8_t kBorderGrey = 128;

/// libpng's write callback: appends to a std::string.
void appendToString(png_structp png, png_bytep data, png_size_t size) {
  auto *out = static_cast<std::string *>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char *>(data), size);
}
void flushNothing(png_structp) {}
} // namespace

/// Encodes a greyscale image in memory; false if libpng failed.
static bool encodePng(const std::vector<uint8_t> &pixels, int64_t width,
                      int64_t height, std::string &out) {
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png)
    return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  // libpng reports errors by longjmp; nothing with a destructor is created
  // between here and the end of the encoding.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, &out, appendToString, flushNothing);
  png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int64_t y = 0; y < height; ++y)
    png_write_row(png, const_cast<png_bytep>(pixels.data() + y * width));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

Status train::writeImageGrid(const std::string &path, const float *images,
                             int64_t count, int64_t rows, int64_t cols,
                             int64_t columns) {
  if (count <= 0 || rows <= 0 || cols <= 0 || columns <= 0)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         path + ": an image grid needs at least one image of "
                                "at least one pixel");
  int64_t gridRows = (count + columns - 1) / columns;
  int64_t gridCols = std::min(count, columns);
  int64_t width = gridCols * (cols + kBorder) + kBorder;
  int64_t height = gridRows * (rows + kBorder) + kBorder;
  if (width > (1 << 20) || height > (1 << 20))
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         path + ": the image grid would be " +
                             std::to_string(width) + " x " +
                             std::to_string(height) + " pixels, too large");
  std::vector<uint8_t> pixels(size_t(width * height), kBorderGrey);
  for (int64_t i = 0; i < count; ++i) {
    int64_t top = kBorder + (i / columns) * (rows + kBorder);
    int64_t left = kBorder + (i % columns) * (cols + kBorder);
    const float *image = images + i * rows * cols;
    for (int64_t y = 0; y < rows; ++y)
      for (int64_t x = 0; x < cols; ++x) {
        float v = image[y * cols + x];
        v = std::isnan(v) ? 0.0f : std::clamp(v, 0.0f, 1.0f);
        pixels[size_t((top + y) * width + left + x)] =
            uint8_t(std::lround(v * 255.0f));
      }
  }
  std::string png;
  if (!encodePng(pixels, width, height, png))
    return Status::error(NR_ERROR_INTERNAL,
                         path + ": libpng could not encode the image");
  return writeFileAtomically(path, png.data(), png.size());
}
