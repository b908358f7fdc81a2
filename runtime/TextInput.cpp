//===- TextInput.cpp - Raw text for models trained on text ----------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// The C API's raw-text functions: a model's `text` records say how its
// training data turned text into an input (neurona/Data/Text.h), and its
// vocabulary comes from the manifest, a parameter file or the caller.
//
//===----------------------------------------------------------------------===//

#include "Model.h"

#include <cstring>
#include <memory>

using namespace neurona;
using namespace neurona::runtime;

/// The index of text input `input`, or a recorded NR_ERROR_NOT_FOUND.
static bool findTextInput(const nr_model *model, const char *input,
                          const char *function, size_t &index,
                          nr_status &status) {
  int64_t i = model->manifest.findText(input);
  if (i >= 0) {
    index = size_t(i);
    return true;
  }
  std::string names;
  for (const TextDecl &t : model->manifest.texts)
    names += (names.empty() ? "" : ", ") + t.input;
  status = fail(NR_ERROR_NOT_FOUND,
                std::string(function) + ": model '" + model->manifest.prefix +
                    "' has no text input '" + input + "' (" +
                    (names.empty() ? std::string("it was not trained on text")
                                   : "text inputs: " + names) +
                    ")");
  return false;
}

extern "C" nr_status nr_model_num_text_inputs(const nr_model *model,
                                              size_t *out_count) {
  if (!model || !out_count)
    return fail(NR_ERROR_INVALID_ARGUMENT,
                "nr_model_num_text_inputs: NULL argument");
  *out_count = model->manifest.texts.size();
  return NR_OK;
}

extern "C" nr_status nr_model_text_input(const nr_model *model, size_t index,
                                         const char **out_name,
                                         int64_t *out_width,
                                         int *out_has_vocabulary) {
  if (!model)
    return fail(NR_ERROR_INVALID_ARGUMENT,
                "nr_model_text_input: NULL argument");
  if (index >= model->manifest.texts.size())
    return fail(NR_ERROR_INVALID_ARGUMENT,
                "nr_model_text_input: index " + std::to_string(index) +
                    " out of range (" +
                    std::to_string(model->manifest.texts.size()) +
                    " text inputs)");
  const TextDecl &t = model->manifest.texts[index];
  if (out_name)
    *out_name = t.input.c_str();
  if (out_width)
    *out_width = t.encoding.width();
  if (out_has_vocabulary)
    *out_has_vocabulary = model->vocabularies[index].capacity() > 0;
  return NR_OK;
}

extern "C" nr_status nr_model_set_vocabulary(nr_model *model,
                                             const char *input,
                                             const char *const *words,
                                             size_t count) {
  return guarded("nr_model_set_vocabulary", [&] {
    if (!model || !input || (!words && count))
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_set_vocabulary: NULL argument");
    size_t index;
    nr_status status;
    if (!findTextInput(model, input, "nr_model_set_vocabulary", index, status))
      return status;
    std::vector<std::string> list;
    for (size_t i = 0; i < count; ++i) {
      if (!words[i])
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    "nr_model_set_vocabulary: word " + std::to_string(i) +
                        " is NULL");
      list.emplace_back(words[i]);
    }
    data::Vocabulary v;
    const TextDecl &t = model->manifest.texts[index];
    if (Status s =
            data::Vocabulary::fromWords(list, t.encoding.vocabularySize, v);
        !s)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_set_vocabulary: text input '" + t.input +
                      "': " + s.getMessage());
    model->vocabularies[index] = std::move(v);
    return NR_OK;
  });
}

extern "C" nr_status nr_model_encode_text(const nr_model *model,
                                          const char *input,
                                          const char *const *texts,
                                          size_t count, void *out,
                                          size_t out_size) {
  return guarded("nr_model_encode_text", [&] {
    if (!model || !input || (count && (!texts || !out)))
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_encode_text: NULL argument");
    size_t index;
    nr_status status;
    if (!findTextInput(model, input, "nr_model_encode_text", index, status))
      return status;
    const TextDecl &t = model->manifest.texts[index];
    const data::Vocabulary &vocabulary = model->vocabularies[index];
    if (vocabulary.capacity() == 0)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_encode_text: model '" + model->manifest.prefix +
                      "' has no vocabulary for text input '" + t.input +
                      "': compile it with the parameters `neurona train` "
                      "saved (--params), or load them");
    const data::TextEncoding &e = t.encoding;
    size_t rowBytes = size_t(e.width()) *
                      (e.form == data::TextEncoding::Form::BagOfWords
                           ? sizeof(float)
                           : sizeof(int64_t));
    if (count > out_size / rowBytes)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_encode_text: " + std::to_string(count) +
                      " texts need " + std::to_string(count) + " x " +
                      std::to_string(rowBytes) + " bytes, out has " +
                      std::to_string(out_size));
    // A tokenizer per call: Snowball's stemmers are not thread-safe.
    std::unique_ptr<data::Tokenizer> tokenizer;
    if (Status s = data::Tokenizer::create(e.options, tokenizer); !s)
      return fail(s.withContext("nr_model_encode_text"));
    for (size_t i = 0; i < count; ++i) {
      if (!texts[i])
        return fail(NR_ERROR_INVALID_ARGUMENT,
                    "nr_model_encode_text: text " + std::to_string(i) +
                        " is NULL");
      data::encodeTokens(e, tokenizer->tokenize(texts[i]), vocabulary,
                         static_cast<char *>(out) + i * rowBytes);
    }
    return NR_OK;
  });
}
