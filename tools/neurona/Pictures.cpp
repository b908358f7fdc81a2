//===- Pictures.cpp - images of what a model does -------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "neurona/Runtime/NPY.h"
#include "neurona/Runtime/Philox.h"
#include "neurona/Train/Images.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace neurona;
using namespace neurona::driver;

/// The height and width of a sample of `shape` as a grey image: [H, W],
/// [1, H, W], or a square [H * W]; false otherwise.
static bool imageSize(const std::vector<int64_t> &shape, int64_t &rows,
                      int64_t &cols) {
  if (shape.size() == 3 && shape[0] == 1) {
    rows = shape[1];
    cols = shape[2];
    return true;
  }
  if (shape.size() == 2) {
    rows = shape[0];
    cols = shape[1];
    return true;
  }
  if (shape.size() == 1) {
    auto side = int64_t(std::llround(std::sqrt(double(shape[0]))));
    rows = cols = side;
    return side * side == shape[0];
  }
  return false;
}

llvm::Error driver::writeReconstructions(nr_model *model,
                                         const data::Dataset &set,
                                         const std::string &path) {
  int64_t rows = 0, cols = 0;
  if (!imageSize(set.featureShape, rows, cols))
    return llvm::createStringError(
        "--reconstructions needs image samples ([H, W], [1, H, W] or a "
        "square [H*W]), not " +
        formatShape(set.featureShape));
  constexpr int64_t kPerRow = 8, kRows = 2;
  int64_t count = std::min(set.numSamples, kPerRow * kRows);
  int64_t pixels = rows * cols;

  // Every result of forward gets a buffer; the first is the picture.
  size_t numArgs = 0;
  nr_model_num_args(model, "forward", &numArgs);
  std::vector<std::vector<float>> buffers;
  std::vector<nr_tensor> outputs;
  for (size_t i = 0; i < numArgs; ++i) {
    nr_arg_info info;
    nr_model_arg_info(model, "forward", i, &info);
    if (info.role != NR_ROLE_OUTPUT)
      continue;
    if (info.dtype != NR_F32)
      return llvm::createStringError("--reconstructions: output '" +
                                     std::string(info.name) + "' is not f32");
    nr_tensor t = nr_tensor();
    t.dtype = NR_F32;
    t.rank = info.rank;
    int64_t n = 1;
    for (int32_t d = 0; d < info.rank; ++d) {
      t.shape[d] = d == 0 ? count : info.shape[d];
      n *= t.shape[d];
    }
    buffers.emplace_back(size_t(n));
    outputs.push_back(t);
  }
  if (outputs.empty() || int64_t(buffers[0].size()) != count * pixels)
    return llvm::createStringError(
        "--reconstructions needs a model whose first output has as many "
        "values per sample as its input (" +
        std::to_string(pixels) + ")");
  for (size_t i = 0; i < outputs.size(); ++i)
    outputs[i].data = buffers[i].data();

  // The samples in the model's input shape (IDX images [H, W] feed a
  // convolutional model's [1, H, W] as they do in training).
  nr_tensor input = nr_tensor();
  input.dtype = NR_F32;
  input.rank = int32_t(set.featureShape.size() + 1);
  input.shape[0] = count;
  for (size_t d = 0; d < set.featureShape.size(); ++d)
    input.shape[d + 1] = set.featureShape[d];
  for (size_t i = 0; i < numArgs; ++i) {
    nr_arg_info info;
    nr_model_arg_info(model, "forward", i, &info);
    if (info.role != NR_ROLE_INPUT)
      continue;
    int64_t n = 1;
    for (int32_t d = 1; d < info.rank; ++d)
      n *= info.shape[d];
    if (n == pixels) {
      input.rank = info.rank;
      for (int32_t d = 1; d < info.rank; ++d)
        input.shape[d] = info.shape[d];
    }
    break;
  }
  input.data = const_cast<float *>(set.features.data());
  if (nr_status s =
          nr_model_forward(model, &input, 1, outputs.data(), outputs.size()))
    return llvm::createStringError(llvm::Twine(nr_status_string(s)) + ": " +
                                   nr_last_error());

  // Rows of eight inputs, each followed by the row of their outputs; a
  // short last row is padded with black images.
  int64_t gridRows = (count + kPerRow - 1) / kPerRow;
  std::vector<float> grid(size_t(2 * gridRows * kPerRow * pixels), 0.0f);
  for (int64_t i = 0; i < count; ++i) {
    int64_t slot = (i / kPerRow) * 2 * kPerRow + i % kPerRow;
    std::copy_n(set.features.data() + i * pixels, pixels,
                grid.begin() + slot * pixels);
    std::copy_n(buffers[0].data() + i * pixels, pixels,
                grid.begin() + (slot + kPerRow) * pixels);
  }
  if (Status s = train::writeImageGrid(path, grid.data(),
                                       int64_t(grid.size()) / pixels, rows,
                                       cols, kPerRow);
      !s)
    return llvm::createStringError(s.getMessage());
  return llvm::Error::success();
}

llvm::Error driver::writeSamples(nr_model *model, uint64_t seed,
                                 const std::string &path,
                                 const std::string &codesPath) {
  // A VAE's decoder or a GAN's generator.
  const char *entry = nullptr;
  for (const char *name : {"decode", "generate"}) {
    int has = 0;
    nr_model_has_entry(model, name, &has);
    if (has && !entry)
      entry = name;
  }
  if (!entry)
    return llvm::createStringError(
        "--samples needs a model with a 'decode' entry (a VAE: a gaussian "
        "layer followed by its decoder) or a 'generate' entry (a GAN)");
  size_t numArgs = 0;
  nr_model_num_args(model, entry, &numArgs);
  std::vector<nr_arg_info> ins, outs;
  for (size_t i = 0; i < numArgs; ++i) {
    nr_arg_info info;
    nr_model_arg_info(model, entry, i, &info);
    if (info.role == NR_ROLE_INPUT)
      ins.push_back(info);
    else if (info.role == NR_ROLE_OUTPUT)
      outs.push_back(info);
  }
  if (ins.size() != 1 || ins[0].rank != 2 || ins[0].dtype != NR_F32 ||
      outs.empty() || outs[0].dtype != NR_F32)
    return llvm::createStringError(
        std::string("--samples: entry '") + entry +
        "' must take one f32 code [batch, units] and return f32 images");
  std::vector<int64_t> sampleShape(outs[0].shape + 1,
                                   outs[0].shape + outs[0].rank);
  int64_t rows = 0, cols = 0;
  if (!imageSize(sampleShape, rows, cols))
    return llvm::createStringError(
        "--samples needs a decoder of images ([H, W], [1, H, W] or a square "
        "[H*W]), not " +
        formatShape(sampleShape));
  constexpr int64_t kPerRow = 8, kCount = 64;
  int64_t units = ins[0].shape[1];

  // Codes from the prior N(0, I): Philox normals of the seed, stream 0 at
  // step 0, element by element as the compiled random_normal draws them.
  std::vector<float> codes(size_t(kCount * units));
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = philox::normal(philox::draw(seed, 0, 0, i));
  nr_tensor code = nr_tensor();
  code.dtype = NR_F32;
  code.rank = 2;
  code.shape[0] = kCount;
  code.shape[1] = units;
  code.data = codes.data();

  std::vector<std::vector<float>> buffers;
  std::vector<nr_tensor> outputs;
  for (const nr_arg_info &info : outs) {
    nr_tensor t = nr_tensor();
    t.dtype = info.dtype;
    t.rank = info.rank;
    int64_t n = 1;
    for (int32_t d = 0; d < info.rank; ++d) {
      t.shape[d] = d == 0 ? kCount : info.shape[d];
      n *= t.shape[d];
    }
    buffers.emplace_back(size_t(n));
    outputs.push_back(t);
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    outputs[i].data = buffers[i].data();
  if (nr_status s = nr_model_run(model, entry, &code, 1, outputs.data(),
                                 outputs.size()))
    return llvm::createStringError(llvm::Twine(nr_status_string(s)) + ": " +
                                   nr_last_error());
  if (!codesPath.empty())
    if (Status s = writeNpy(codesPath, NR_F32, code.shape, 2, codes.data());
        !s)
      return llvm::createStringError(s.getMessage());
  if (Status s = train::writeImageGrid(path, buffers[0].data(), kCount, rows,
                                       cols, kPerRow);
      !s)
    return llvm::createStringError(s.getMessage());
  return llvm::Error::success();
}
