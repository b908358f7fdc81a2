//===- Text.cpp - The text pipeline of the course -------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Data/Text.h"

#include <libstemmer.h>

#include <algorithm>
#include <cstring>
#include <map>

using namespace neurona;
using namespace neurona::data;

//===----------------------------------------------------------------------===//
// Stemmer
//===----------------------------------------------------------------------===//

std::string Stemmer::languages() {
  std::string list;
  for (const char **name = sb_stemmer_list(); *name; ++name)
    list += (list.empty() ? "" : ", ") + std::string(*name);
  return list;
}

Status Stemmer::create(const std::string &language,
                       std::unique_ptr<Stemmer> &out) {
  sb_stemmer *s = sb_stemmer_new(language.c_str(), "UTF_8");
  if (!s)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "no Snowball stemmer for '" + language +
                             "'; libstemmer has: " + languages());
  out.reset(new Stemmer(s));
  return Status::success();
}

Stemmer::~Stemmer() { sb_stemmer_delete(stemmer); }

std::string Stemmer::stem(const std::string &word) {
  const sb_symbol *stemmed = sb_stemmer_stem(
      stemmer, reinterpret_cast<const sb_symbol *>(word.data()),
      int(word.size()));
  if (!stemmed) // Out of memory: the word unstemmed is the safe answer.
    return word;
  return std::string(reinterpret_cast<const char *>(stemmed),
                     size_t(sb_stemmer_length(stemmer)));
}

//===----------------------------------------------------------------------===//
// Tokenizer
//===----------------------------------------------------------------------===//

/// Keras Tokenizer's default filters, less the tab and newline, which are
/// whitespace anyway.
static bool isFilteredAscii(unsigned char c) {
  return c < 0x20 || c == 0x7f ||
         std::strchr("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~", c) != nullptr;
}

std::string Tokenizer::normalize(const std::string &text, bool filter,
                                 bool lowercase) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (filter && isFilteredAscii(c))
        out += ' ';
      else if (c == '\t' || c == '\n' || c == '\r')
        out += ' ';
      else
        out += lowercase && c >= 'A' && c <= 'Z' ? char(c + 32) : char(c);
      continue;
    }
    // Two-byte sequences C2 80..9F are the C1 controls U+0080..U+009F.
    unsigned char next =
        i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {
      out += filter ? " " : text.substr(i, 2);
      ++i;
      continue;
    }
    // C3 80..9E are U+00C0..U+00DE; their small letters are 0x20 above,
    // except the multiplication sign U+00D7.
    if (lowercase && c == 0xC3 && next >= 0x80 && next <= 0x9E &&
        next != 0x97) {
      out += char(c);
      out += char(next + 0x20);
      ++i;
      continue;
    }
    out += char(c);
  }
  return out;
}

Status Tokenizer::create(const TextOptions &options,
                         std::unique_ptr<Tokenizer> &out) {
  auto t = std::make_unique<Tokenizer>();
  t->options = options;
  if (!options.stem.empty())
    if (Status s = Stemmer::create(options.stem, t->stemmer); !s)
      return s;
  out = std::move(t);
  return Status::success();
}

std::vector<std::string> Tokenizer::tokenize(const std::string &text) {
  std::string clean = normalize(text, options.filter, options.lowercase);
  std::vector<std::string> tokens;
  size_t pos = 0;
  while (true) {
    pos = clean.find_first_not_of(' ', pos);
    if (pos == std::string::npos)
      break;
    size_t end = clean.find(' ', pos);
    std::string token = clean.substr(pos, end - pos);
    tokens.push_back(stemmer ? stemmer->stem(token) : std::move(token));
    if (end == std::string::npos)
      break;
    pos = end;
  }
  return tokens;
}

//===----------------------------------------------------------------------===//
// Vocabulary
//===----------------------------------------------------------------------===//

Status Vocabulary::build(const std::vector<std::vector<std::string>> &texts,
                         int64_t size, int64_t minCount, Vocabulary &out) {
  if (size < 3)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         "a vocabulary needs room for at least one word "
                         "besides padding and unknown (size >= 3), got " +
                             std::to_string(size));
  std::map<std::string, int64_t> counts;
  for (const auto &tokens : texts)
    for (const std::string &t : tokens)
      ++counts[t];
  std::vector<std::pair<std::string, int64_t>> ranked;
  for (auto &[word, count] : counts)
    if (count >= minCount)
      ranked.emplace_back(word, count);
  if (ranked.empty())
    return Status::error(
        NR_ERROR_INVALID_ARGUMENT,
        counts.empty() ? "empty vocabulary: the training texts hold no tokens"
                       : "empty vocabulary: no word occurs " +
                             std::to_string(minCount) + " times or more");
  // std::map iterates in byte order, so a stable sort by count keeps ties
  // in that order.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto &a, const auto &b) {
                     return a.second > b.second;
                   });
  if (int64_t(ranked.size()) > size - 2)
    ranked.resize(size_t(size - 2));
  std::vector<std::string> words;
  for (auto &entry : ranked)
    words.push_back(entry.first);
  return fromWords(words, size, out);
}

Status Vocabulary::fromWords(const std::vector<std::string> &words,
                             int64_t size, Vocabulary &out) {
  if (int64_t(words.size()) > size - 2)
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         std::to_string(words.size()) +
                             " words do not fit a vocabulary of " +
                             std::to_string(size) + " ids");
  Vocabulary v;
  v.size = size;
  v.words = words;
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].empty() ||
        words[i].find_first_of(std::string(" \t\r\n\0", 5)) !=
            std::string::npos)
      return Status::error(NR_ERROR_FORMAT,
                           "vocabulary word " + std::to_string(i + 2) +
                               " is empty or holds whitespace or NUL");
    if (!v.ids.emplace(words[i], int64_t(i) + 2).second)
      return Status::error(NR_ERROR_FORMAT, "the vocabulary holds '" +
                                                words[i] + "' twice");
  }
  out = std::move(v);
  return Status::success();
}

int64_t Vocabulary::id(const std::string &token) const {
  auto it = ids.find(token);
  return it == ids.end() ? kUnknown : it->second;
}

void neurona::data::bagOfWords(const std::vector<std::string> &tokens,
                               const Vocabulary &vocabulary, bool binary,
                               float *out) {
  std::fill(out, out + vocabulary.capacity(), 0.0f);
  for (const std::string &t : tokens) {
    float &slot = out[vocabulary.id(t)];
    slot = binary ? 1.0f : slot + 1.0f;
  }
}

void neurona::data::idSequence(const std::vector<std::string> &tokens,
                               const Vocabulary &vocabulary, int64_t length,
                               int64_t *out) {
  for (int64_t i = 0; i < length; ++i)
    out[i] = i < int64_t(tokens.size()) ? vocabulary.id(tokens[size_t(i)])
                                        : Vocabulary::kPad;
}

void neurona::data::idWindow(const std::string *tokens, size_t count,
                             const Vocabulary &vocabulary, int64_t length,
                             int64_t *out) {
  size_t taken = std::min(count, size_t(length));
  size_t pad = size_t(length) - taken;
  std::fill(out, out + pad, Vocabulary::kPad);
  for (size_t i = 0; i < taken; ++i)
    out[pad + i] = vocabulary.id(tokens[count - taken + i]);
}

void neurona::data::decoderSequence(const std::vector<std::string> &tokens,
                                    const Vocabulary &vocabulary,
                                    int64_t length, int64_t *out) {
  if (length <= 0)
    return;
  out[0] = vocabulary.id(kStartWord);
  idSequence(tokens, vocabulary, length - 1, out + 1);
}

const char *TextEncoding::formName(Form form) {
  switch (form) {
  case Form::BagOfWords:
    return "bag_of_words";
  case Form::Sequence:
    return "sequence";
  case Form::Window:
    return "window";
  case Form::Decoder:
    return "decoder";
  }
  return "?";
}

bool TextEncoding::parseForm(const std::string &name, Form &out) {
  for (Form f :
       {Form::BagOfWords, Form::Sequence, Form::Window, Form::Decoder})
    if (name == formName(f)) {
      out = f;
      return true;
    }
  return false;
}

void neurona::data::encodeTokens(const TextEncoding &encoding,
                                 const std::vector<std::string> &tokens,
                                 const Vocabulary &vocabulary, void *out) {
  switch (encoding.form) {
  case TextEncoding::Form::BagOfWords:
    bagOfWords(tokens, vocabulary, encoding.binary, static_cast<float *>(out));
    return;
  case TextEncoding::Form::Sequence:
    idSequence(tokens, vocabulary, encoding.length,
               static_cast<int64_t *>(out));
    return;
  case TextEncoding::Form::Window:
    idWindow(tokens.data(), tokens.size(), vocabulary, encoding.length,
             static_cast<int64_t *>(out));
    return;
  case TextEncoding::Form::Decoder:
    decoderSequence(tokens, vocabulary, encoding.length,
                    static_cast<int64_t *>(out));
    return;
  }
}

std::string neurona::data::vocabularyMemberText(
    const std::vector<std::string> &words) {
  std::string text;
  for (const std::string &w : words)
    text += w + "\n";
  return text;
}

Status neurona::data::vocabularyMemberWords(const NpyArray &array,
                                            std::vector<std::string> &out) {
  std::string text(static_cast<const char *>(array.data.data()),
                   array.data.size());
  if (array.dtype != NR_U8 || array.shape.size() != 1 ||
      (!text.empty() && text.back() != '\n'))
    return Status::error(NR_ERROR_FORMAT,
                         "not a vocabulary (a 1-D uint8 array of words, each "
                         "followed by a newline)");
  out.clear();
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return Status::success();
}
