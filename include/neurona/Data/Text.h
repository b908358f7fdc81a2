//===- neurona/Data/Text.h - The text pipeline of the course ----*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Raw text to model inputs, in the course's steps:
//
//   filter punctuation and symbols -> lowercase -> split into tokens ->
//   stem (Snowball, through libstemmer) -> vocabulary ids ->
//   bag-of-words vectors, or padded id sequences for an embedding.
//
// Text is UTF-8. Filtering replaces by a space every ASCII punctuation mark
// and symbol of Keras's Tokenizer default (!"#$%&()*+,-./:;<=>?@[\]^_`{|}~),
// every ASCII control character, and the C1 controls U+0080-U+009F (the
// UCI sentiment files hold U+0085, U+0096 and U+0097). The apostrophe stays,
// so "don't" is one token, as in Keras. Lowercasing maps A-Z and the Latin-1
// capitals U+00C0-U+00DE (except U+00D7) to their small letters, which
// covers English and Spanish; other characters are kept as they are.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DATA_TEXT_H
#define NEURONA_DATA_TEXT_H

#include "neurona/Runtime/NPY.h"
#include "neurona/Runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct sb_stemmer;

namespace neurona {
namespace data {

/// How text becomes tokens.
struct TextOptions {
  bool filter = true;
  bool lowercase = true;
  /// A Snowball algorithm name ("english", "spanish", ...; see
  /// Stemmer::languages()), or empty for no stemming.
  std::string stem;
};

/// A Snowball stemmer (libstemmer). Not safe to share between threads.
class Stemmer {
public:
  /// Fails with a list of the known algorithms when `language` is unknown.
  static Status create(const std::string &language,
                       std::unique_ptr<Stemmer> &out);
  ~Stemmer();
  Stemmer(const Stemmer &) = delete;
  Stemmer &operator=(const Stemmer &) = delete;

  std::string stem(const std::string &word);

  /// The algorithms libstemmer provides, e.g. "english, spanish, ...".
  static std::string languages();

private:
  explicit Stemmer(sb_stemmer *s) : stemmer(s) {}
  sb_stemmer *stemmer;
};

/// Turns texts into tokens according to TextOptions.
class Tokenizer {
public:
  static Status create(const TextOptions &options,
                       std::unique_ptr<Tokenizer> &out);

  /// Filtered, lowercased, split on whitespace, stemmed.
  std::vector<std::string> tokenize(const std::string &text);

  /// The filtering and lowercasing steps alone.
  static std::string normalize(const std::string &text, bool filter,
                               bool lowercase);

private:
  TextOptions options;
  std::unique_ptr<Stemmer> stemmer;
};

/// Token ids: 0 is padding, 1 stands for every token outside the vocabulary,
/// and the words take 2, 3, ... in decreasing order of their count in the
/// training texts (ties in byte order, so the ids do not depend on the
/// order of the texts).
class Vocabulary {
public:
  static constexpr int64_t kPad = 0;
  static constexpr int64_t kUnknown = 1;

  /// Builds a vocabulary of at most `size` ids (the two reserved ones
  /// included) from the words that occur at least `minCount` times. Fails
  /// when `size` < 3 or no word qualifies (an empty vocabulary).
  static Status build(const std::vector<std::vector<std::string>> &texts,
                      int64_t size, int64_t minCount, Vocabulary &out);

  /// A vocabulary of capacity `size` whose words are `words`, in id order
  /// from 2 (a saved vocabulary). Fails on a duplicate or empty word, or
  /// more words than `size` - 2.
  static Status fromWords(const std::vector<std::string> &words, int64_t size,
                          Vocabulary &out);

  int64_t id(const std::string &token) const;
  /// Number of ids (2 + number of words).
  int64_t numIds() const { return int64_t(words.size()) + 2; }
  /// The capacity the model was built for: vectors and embeddings are this
  /// wide even when the training texts held fewer words.
  int64_t capacity() const { return size; }
  /// Words in id order, starting with id 2.
  const std::vector<std::string> &wordList() const { return words; }

private:
  int64_t size = 0;
  std::vector<std::string> words;
  std::unordered_map<std::string, int64_t> ids;
};

/// Parameter files keep a text input's vocabulary beside the parameters as
/// the member "vocabulary:<input>": a 1-D uint8 array of its words (from
/// id 2), each followed by '\n', which numpy reads too.
inline constexpr char kVocabularyMemberPrefix[] = "vocabulary:";

/// The member's bytes for `words`.
std::string vocabularyMemberText(const std::vector<std::string> &words);

/// The words of a vocabulary member; fails (NR_ERROR_FORMAT) when `array` is
/// not a 1-D uint8 array of newline-terminated words.
Status vocabularyMemberWords(const NpyArray &array,
                             std::vector<std::string> &out);

/// Bag-of-words vector of width vocabulary.capacity(): element i counts the
/// tokens with id i (binary: 1 if there is one). Padding (0) is never
/// counted; unknown tokens count in element 1.
void bagOfWords(const std::vector<std::string> &tokens,
                const Vocabulary &vocabulary, bool binary, float *out);

/// The ids of `tokens`, cut or padded with 0 at the end to `length`
/// (Keras's pad_sequences with padding and truncating "post").
void idSequence(const std::vector<std::string> &tokens,
                const Vocabulary &vocabulary, int64_t length, int64_t *out);

/// The ids of the last `length` of the `count` tokens at `tokens`, padded
/// with 0 at the start: the window before the next word of a language
/// model.
void idWindow(const std::string *tokens, size_t count,
              const Vocabulary &vocabulary, int64_t length, int64_t *out);

/// The words that frame a translation's target: the decoder reads
/// `<start>` w1 ... wk and is trained to answer w1 ... wk `<end>`.
inline constexpr char kStartWord[] = "<start>";
inline constexpr char kEndWord[] = "<end>";

/// The id of kStartWord, then the ids of `tokens`, cut or padded with 0 at
/// the end to `length` (the decoder input of a teacher-forced translation).
void decoderSequence(const std::vector<std::string> &tokens,
                     const Vocabulary &vocabulary, int64_t length,
                     int64_t *out);

/// How raw text becomes a model's input: the data section's `text` setting.
/// A compiled model's manifest carries it (a `text` record, docs/design.md)
/// with the training vocabulary, so that a deployed program encodes raw
/// text exactly as training did.
struct TextEncoding {
  enum class Form {
    /// float [vocabularySize]: bagOfWords.
    BagOfWords,
    /// int64 [length]: idSequence, the first `length` ids.
    Sequence,
    /// int64 [length]: idWindow, the last `length` ids.
    Window,
    /// int64 [length]: decoderSequence, `<start>` and then the first
    /// `length` - 1 ids: the decoder input of a translation model, whose
    /// vocabulary holds kStartWord and kEndWord.
    Decoder,
  };
  Form form = Form::BagOfWords;
  TextOptions options;
  /// The vocabulary's capacity (ids 0 and 1 included).
  int64_t vocabularySize = 0;
  /// Ids per text of a Sequence or Window.
  int64_t length = 0;
  /// Bag of words: 1 for a word present (true) or its count (false).
  bool binary = true;

  /// Elements per text: vocabularySize for a bag of words, else length.
  int64_t width() const {
    return form == Form::BagOfWords ? vocabularySize : length;
  }
  /// "bag_of_words", "sequence", "window", "decoder".
  static const char *formName(Form form);
  /// False for an unknown name.
  static bool parseForm(const std::string &name, Form &out);
};

/// Writes `encoding.width()` elements for one text's tokens to `out`:
/// floats for a bag of words, int64 ids otherwise.
void encodeTokens(const TextEncoding &encoding,
                  const std::vector<std::string> &tokens,
                  const Vocabulary &vocabulary, void *out);

} // namespace data
} // namespace neurona

#endif // NEURONA_DATA_TEXT_H
