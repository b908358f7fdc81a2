//===- ONNXExport.h - A model's inference graph as ONNX ---------*- C++ -*-===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// `neurona export`: the `forward` entry of an imported model (a `.nn` file
// or an `.onnx` file, with trained parameters) written back as an ONNX model
// that onnx.checker accepts and onnxruntime runs.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_EXPORT_ONNXEXPORT_H
#define NEURONA_EXPORT_ONNXEXPORT_H

#include "neurona/Frontend/ImportedModel.h"

#include "llvm/Support/Error.h"

#include <string>

namespace neurona {

/// The ONNX opset `exportONNX` writes: the newest that Debian's libonnx
/// (ONNX 1.12) knows, so its checker and older runtimes read the files too.
constexpr int64_t kExportOpset = 17;

/// Builds the ONNX model (serialised ModelProto) of `model`'s entry
/// function `entry` (`forward`; a GAN's `generate`, a VAE's `decode`): its inputs and outputs by name with a symbolic `batch`
/// dimension, every parameter as an initializer holding `ParamSpec::values`
/// (all parameters must have values: trained, or from the ONNX file), and
/// one or a few ONNX nodes per nn op. Inference semantics: dropout and
/// Gaussian noise are the identity, a VAE's sample is its mean. Recurrent
/// layers masked by their padding ids become ONNX RNN/LSTM/GRU with
/// `sequence_lens`, the number of non-padding ids of each row, which agrees
/// with the mask when padding comes only at the end of a sequence (as the
/// data pipeline makes it). Fails naming every op it cannot express, or a
/// parameter without values.
llvm::Expected<std::string> exportONNX(const ImportedModel &model,
                                       llvm::StringRef entry = "forward");

} // namespace neurona

#endif // NEURONA_EXPORT_ONNXEXPORT_H
