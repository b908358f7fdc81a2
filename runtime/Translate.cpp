//===- Translate.cpp - Greedy decoding of encoder-decoder text models -----===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// nr_model_translate: a model trained on translation pairs takes the source
// text (a `sequence` text input) and a teacher-forced decoder input (a
// `decoder` text input, `<start>` w1 ... wk) and scores the next target word
// at every decoder position. Greedy decoding feeds the decoder its own
// arg max, one position at a time, until `<end>`: the decoder's masked
// recurrence makes position t depend on positions 0..t only, so one run of
// `forward` per position, with the positions after t still padding, gives
// exactly the step-by-step decoder's scores (Sutskever et al. 2014, sec. 3.3,
// with a beam of 1).
//
//===----------------------------------------------------------------------===//

#include "Model.h"

#include <cmath>
#include <cstring>
#include <memory>

using namespace neurona;
using namespace neurona::runtime;

namespace {

/// What greedy decoding needs from a model, checked once per call.
struct Translator {
  const EntryDecl *forward = nullptr;
  /// Indices into manifest.texts.
  size_t source = 0, decoder = 0;
  /// Positions of the two text inputs among forward's inputs.
  size_t sourceArg = 0, decoderArg = 0;
  /// The logits: [batch, decoder length, scores].
  TensorType logits;
  int64_t startId = 0, endId = 0;
};

nr_status describeTranslator(const nr_model *model, Translator &t) {
  const Manifest &m = model->manifest;
  auto refuse = [&](const std::string &why) {
    return fail(NR_ERROR_INVALID_ARGUMENT,
                "nr_model_translate: model '" + m.prefix + "' " + why);
  };
  if (m.isCUDA())
    return refuse("is a CUDA artifact; greedy decoding runs CPU artifacts "
                  "(compile the model for the CPU)");
  int sources = 0, decoders = 0;
  for (size_t i = 0; i < m.texts.size(); ++i) {
    data::TextEncoding::Form form = m.texts[i].encoding.form;
    if (form == data::TextEncoding::Form::Sequence) {
      t.source = i;
      ++sources;
    } else if (form == data::TextEncoding::Form::Decoder) {
      t.decoder = i;
      ++decoders;
    }
  }
  if (sources != 1 || decoders != 1)
    return refuse("is not a translation model (it needs one `sequence` and "
                  "one `decoder` text input: a data section with "
                  "`text = translation(...)`)");
  t.forward = m.findEntry("forward");
  if (!t.forward)
    return refuse("has no entry 'forward'");
  size_t inputs = 0, outputs = 0;
  bool foundSource = false, foundDecoder = false;
  for (const ArgDecl &a : t.forward->args) {
    if (a.role == NR_ROLE_OUTPUT || a.role == NR_ROLE_LOSS) {
      if (outputs++ == 0)
        t.logits = a.type;
      continue;
    }
    if (a.role != NR_ROLE_INPUT)
      continue;
    if (a.name == m.texts[t.source].input) {
      t.sourceArg = inputs;
      foundSource = true;
    } else if (a.name == m.texts[t.decoder].input) {
      t.decoderArg = inputs;
      foundDecoder = true;
    } else {
      return refuse("takes input '" + a.name +
                    "' besides its source and decoder text");
    }
    ++inputs;
  }
  if (!foundSource || !foundDecoder || inputs != 2)
    return refuse("does not take its text inputs in entry 'forward'");
  if (outputs != 1)
    return refuse("returns " + std::to_string(outputs) +
                  " results from 'forward'; greedy decoding needs the "
                  "logits alone");
  int64_t length = m.texts[t.decoder].encoding.length;
  if (t.logits.dtype != NR_F32 || t.logits.shape.size() != 3 ||
      !t.logits.isDynamic() || t.logits.shape[1] != length)
    return refuse("has first output " + t.logits.str() +
                  ", greedy decoding needs f32 [?, " + std::to_string(length) +
                  ", scores] (a score per target word at every decoder "
                  "position)");
  for (size_t i : {t.source, t.decoder})
    if (model->vocabularies[i].capacity() == 0)
      return refuse("has no vocabulary for text input '" + m.texts[i].input +
                    "': compile it with the parameters `neurona train` "
                    "saved (--params), or load them");
  const data::Vocabulary &target = model->vocabularies[t.decoder];
  t.startId = target.id(data::kStartWord);
  t.endId = target.id(data::kEndWord);
  if (t.startId == data::Vocabulary::kUnknown ||
      t.endId == data::Vocabulary::kUnknown)
    return refuse("has a target vocabulary without " +
                  std::string(data::kStartWord) + " and " + data::kEndWord);
  return NR_OK;
}

/// The first index of the largest of `n` scores (numpy's argmax); a NaN
/// wins, as in numpy.
int64_t argMax(const float *scores, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(scores[i]))
      return i;
    if (scores[i] > scores[best])
      best = i;
  }
  return best;
}

} // namespace

extern "C" nr_status nr_model_translate(nr_model *model,
                                        const char *const *texts,
                                        size_t count, char *out,
                                        size_t out_size, size_t *out_needed) {
  return guarded("nr_model_translate", [&] {
    if (!model || (count && !texts) || (out_size && !out))
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_translate: NULL argument");
    Translator t;
    if (nr_status s = describeTranslator(model, t))
      return s;
    const Manifest &m = model->manifest;
    int64_t sourceLength = m.texts[t.source].encoding.length;
    int64_t length = t.logits.shape[1], scores = t.logits.shape[2];
    size_t n = count;

    std::vector<std::string> translations(n);
    if (n) {
      std::vector<int64_t> source(n * size_t(sourceLength));
      if (nr_status s = nr_model_encode_text(
              model, m.texts[t.source].input.c_str(), texts, n, source.data(),
              source.size() * sizeof(int64_t)))
        return s;
      std::vector<int64_t> decoder(n * size_t(length), data::Vocabulary::kPad);
      for (size_t r = 0; r < n; ++r)
        decoder[r * size_t(length)] = t.startId;
      std::vector<float> logits(n * size_t(length * scores));

      nr_tensor inputs[2] = {}, output = {};
      nr_tensor &src = inputs[t.sourceArg], &dec = inputs[t.decoderArg];
      src.dtype = dec.dtype = NR_I64;
      src.rank = dec.rank = 2;
      src.shape[0] = dec.shape[0] = int64_t(n);
      src.shape[1] = sourceLength;
      dec.shape[1] = length;
      src.data = source.data();
      dec.data = decoder.data();
      output.dtype = NR_F32;
      output.rank = 3;
      output.shape[0] = int64_t(n);
      output.shape[1] = length;
      output.shape[2] = scores;
      output.data = logits.data();
      const data::Vocabulary &target = model->vocabularies[t.decoder];
      const std::vector<std::string> &words = target.wordList();
      std::vector<bool> done(n, false);
      size_t active = n;
      for (int64_t pos = 0; pos < length && active; ++pos) {
        if (nr_status s = nr_model_forward(model, inputs, 2, &output, 1))
          return s;
        for (size_t r = 0; r < n; ++r) {
          if (done[r])
            continue;
          int64_t id = argMax(
              logits.data() + (r * size_t(length) + size_t(pos)) * size_t(scores),
              scores);
          if (id == t.endId || id == data::Vocabulary::kPad) {
            done[r] = true;
            --active;
            continue;
          }
          // Ids without a word (unknown, or beyond the training words)
          // print as <unk>.
          int64_t w = id - 2;
          std::string &text = translations[r];
          if (!text.empty())
            text += ' ';
          text += w >= 0 && w < int64_t(words.size()) ? words[size_t(w)]
                                                      : std::string("<unk>");
          if (pos + 1 < length) {
            decoder[r * size_t(length) + size_t(pos) + 1] = id;
          } else {
            done[r] = true;
            --active;
          }
        }
      }
    }

    size_t needed = 1;
    for (const std::string &s : translations)
      needed += s.size() + 1;
    needed -= n ? 1 : 0;
    if (out_needed)
      *out_needed = needed;
    if (!out)
      return NR_OK;
    if (out_size < needed)
      return fail(NR_ERROR_INVALID_ARGUMENT,
                  "nr_model_translate: the translations need " +
                      std::to_string(needed) + " bytes, out has " +
                      std::to_string(out_size));
    char *p = out;
    for (size_t r = 0; r < n; ++r) {
      if (r)
        *p++ = '\n';
      std::memcpy(p, translations[r].data(), translations[r].size());
      p += translations[r].size();
    }
    *p = '\0';
    return NR_OK;
  });
}
