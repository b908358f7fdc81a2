//===- DataSection.cpp - the DSL's `data` section -------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Turns `data { source = ...; text = ...; test_split = ...; ... }` into a
// DataSpec. Files are read later, when training starts; what can be checked
// against the model without them (a bag of words must be as wide as the
// input) is checked here, where the error can point at the setting.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona::dsl {

static const StringRef kSettings[] = {"source", "text", "test_split",
                                      "split_seed", "standardize", "target"};
static const StringRef kSources[] = {"idx", "csv", "labelled_sentences",
                                     "text_files", "sentence_pairs"};
static const StringRef kTextForms[] = {"bag_of_words", "sequences",
                                       "next_word", "translation"};

/// A string argument's value, or the strings of a list.
static std::vector<std::string> strings(const ast::Expr &value) {
  if (value.kind == ast::Expr::Kind::String)
    return {value.text};
  std::vector<std::string> out;
  for (const ast::Expr &e : value.elements)
    out.push_back(e.text);
  return out;
}

static std::string resolve(StringRef baseDir, const std::string &path) {
  if (path.empty() || llvm::sys::path::is_absolute(path) || baseDir.empty())
    return path;
  llvm::SmallString<256> full(baseDir);
  llvm::sys::path::append(full, path);
  llvm::sys::path::remove_dots(full, /*remove_dot_dot=*/true);
  return std::string(full);
}

static Error checkCallOf(const ast::Expr &value, StringRef what,
                         llvm::ArrayRef<StringRef> choices, StringRef example,
                         const SourceDiagnostics &diags) {
  if (value.kind != ast::Expr::Kind::Call)
    return diags.error(value.loc, what + " must be a call such as " + example +
                                      ", not " + describeExpr(value));
  if (llvm::is_contained(choices, StringRef(value.text)))
    return Error::success();
  std::string hint = suggestClosest(value.text, choices);
  if (hint.empty())
    hint = "; expected one of " + llvm::join(choices, ", ");
  return diags.error(value.loc,
                     "unknown " + what + " '" + value.text + "'" + hint);
}

static Error parseSource(const ast::Expr &value, StringRef baseDir,
                         data::DataSpec &spec,
                         const SourceDiagnostics &diags) {
  if (Error err = checkCallOf(value, "data source", kSources,
                              "csv(\"houses.csv\", target=\"price\")", diags))
    return err;
  using Kind = data::DataSpec::Kind;
  static const ParamDecl pathParam[] = {{"path", ArgKind::String, true}};
  static const ParamDecl pathsParam[] = {{"paths", ArgKind::Strings, true}};
  static const ParamDecl csvParams[] = {{"path", ArgKind::String, true},
                                        {"target", ArgKind::String},
                                        {"features", ArgKind::Strings},
                                        {"drop", ArgKind::Strings}};
  static const ParamDecl pairParams[] = {{"path", ArgKind::String, true},
                                         {"limit", ArgKind::Integer}};
  StringRef kind = value.text;
  llvm::ArrayRef<ParamDecl> params =
      kind == "csv"              ? llvm::ArrayRef<ParamDecl>(csvParams)
      : kind == "idx"            ? llvm::ArrayRef<ParamDecl>(pathParam)
      : kind == "sentence_pairs" ? llvm::ArrayRef<ParamDecl>(pairParams)
                                 : llvm::ArrayRef<ParamDecl>(pathsParam);
  auto args = bindArguments(value, params, diags);
  if (!args)
    return args.takeError();
  const ast::Expr *paths = args->get(params.front().name);
  if (!paths)
    return diags.error(value.loc, "data source '" + kind +
                                      "' needs the file" +
                                      (kind == "idx" ? " folder" : "") +
                                      " as its first argument");
  for (const std::string &p : strings(*paths)) {
    if (p.empty())
      return diags.error(paths->loc, "a file name is empty");
    spec.paths.push_back(resolve(baseDir, p));
  }
  if (spec.paths.empty())
    return diags.error(paths->loc, "the list of files is empty");
  spec.kind = kind == "idx"                  ? Kind::Idx
              : kind == "csv"                ? Kind::Csv
              : kind == "labelled_sentences" ? Kind::LabelledSentences
              : kind == "sentence_pairs"     ? Kind::SentencePairs
                                             : Kind::TextFiles;
  if (const ast::Expr *limit = args->get("limit")) {
    if (limit->intValue < 1)
      return diags.error(limit->loc,
                         llvm::formatv("limit must be a positive number of "
                                       "pairs, got {0}",
                                       limit->intValue));
    spec.limit = limit->intValue;
  }
  if (kind == "text_files" && spec.paths.size() < 2)
    return diags.error(paths->loc, "text_files needs one file per class "
                                   "(at least 2); the texts of the i-th "
                                   "file get class i");
  if (kind == "csv") {
    const ast::Expr *target = args->get("target");
    if (!target)
      return diags.error(value.loc, "csv needs the target column, as in "
                                    "csv(\"houses.csv\", target=\"price\")");
    spec.csv.target = target->text;
    if (const ast::Expr *f = args->get("features"))
      spec.csv.features = strings(*f);
    if (const ast::Expr *d = args->get("drop"))
      spec.csv.drop = strings(*d);
    if (!spec.csv.features.empty() && !spec.csv.drop.empty())
      return diags.error(args->get("drop")->loc,
                         "give either the feature columns or the columns to "
                         "drop, not both");
  }
  return Error::success();
}

static Error parseText(const ast::Expr &value, data::DataSpec &spec,
                       const SourceDiagnostics &diags) {
  if (Error err = checkCallOf(value, "text form", kTextForms,
                              "bag_of_words(vocab=2000)", diags))
    return err;
  static const ParamDecl bagParams[] = {
      {"vocab", ArgKind::Integer, true}, {"binary", ArgKind::Bool},
      {"min_count", ArgKind::Integer},   {"lowercase", ArgKind::Bool},
      {"filter", ArgKind::Bool},         {"stem", ArgKind::String}};
  // sequences(length, vocab, ...) and next_word(window, vocab, ...).
  static const ParamDecl sequenceParams[] = {
      {"length", ArgKind::Integer, true}, {"vocab", ArgKind::Integer, true},
      {"min_count", ArgKind::Integer},    {"lowercase", ArgKind::Bool},
      {"filter", ArgKind::Bool},          {"stem", ArgKind::String}};
  static const ParamDecl windowParams[] = {
      {"window", ArgKind::Integer, true}, {"vocab", ArgKind::Integer, true},
      {"min_count", ArgKind::Integer},    {"lowercase", ArgKind::Bool},
      {"filter", ArgKind::Bool},          {"stem", ArgKind::String}};
  // translation(length, target_length, vocab, target_vocab, ...).
  static const ParamDecl translationParams[] = {
      {"length", ArgKind::Integer, true},
      {"target_length", ArgKind::Integer, true},
      {"vocab", ArgKind::Integer, true},
      {"target_vocab", ArgKind::Integer, true},
      {"min_count", ArgKind::Integer},
      {"lowercase", ArgKind::Bool},
      {"filter", ArgKind::Bool},
      {"stem", ArgKind::String}};
  StringRef form = value.text;
  llvm::ArrayRef<ParamDecl> params = bagParams;
  StringRef lengthKey;
  if (form == "translation") {
    params = translationParams;
    lengthKey = "length";
    spec.textForm = data::DataSpec::TextForm::Translation;
  } else if (form == "sequences") {
    params = sequenceParams;
    lengthKey = "length";
    spec.textForm = data::DataSpec::TextForm::Sequences;
  } else if (form == "next_word") {
    params = windowParams;
    lengthKey = "window";
    spec.textForm = data::DataSpec::TextForm::NextWord;
  }
  auto args = bindArguments(value, params, diags);
  if (!args)
    return args.takeError();
  if (!lengthKey.empty()) {
    const ast::Expr *length = args->get(lengthKey);
    if (!length)
      return diags.error(value.loc, form + " needs its " + lengthKey +
                                        ", as in " + form + "(" + lengthKey +
                                        "=20, vocab=5000)");
    if (length->intValue < 1 || length->intValue > (int64_t(1) << 20))
      return diags.error(length->loc,
                         llvm::formatv("{0} must lie in [1, 2^20], got {1}",
                                       lengthKey, length->intValue));
    spec.length = length->intValue;
  }
  if (form == "translation") {
    const ast::Expr *length = args->get("target_length");
    const ast::Expr *vocab = args->get("target_vocab");
    if (!length || !vocab)
      return diags.error(value.loc,
                         "translation needs the source and target lengths "
                         "and vocabularies, as in translation(length=10, "
                         "target_length=12, vocab=4000, target_vocab=4000)");
    if (length->intValue < 2 || length->intValue > (int64_t(1) << 20))
      return diags.error(length->loc,
                         llvm::formatv("target_length must lie in [2, 2^20] "
                                       "(<start> or <end> and a word), got "
                                       "{0}",
                                       length->intValue));
    if (vocab->intValue < 5 || vocab->intValue > (int64_t(1) << 24))
      return diags.error(vocab->loc,
                         llvm::formatv("target_vocab must lie in [5, 2^24] "
                                       "(padding, unknown, <start>, <end> "
                                       "and a word), got {0}",
                                       vocab->intValue));
    spec.targetLength = length->intValue;
    spec.targetVocabularySize = vocab->intValue;
  }
  const ast::Expr *vocab = args->get("vocab");
  if (!vocab)
    return diags.error(value.loc, form + " needs the vocabulary size, "
                                         "as in " +
                                      form + "(vocab=2000)");
  if (vocab->intValue < 3 || vocab->intValue > (int64_t(1) << 24))
    return diags.error(vocab->loc,
                       llvm::formatv("vocab must lie in [3, 2^24] (two ids "
                                     "are padding and unknown), got {0}",
                                     vocab->intValue));
  spec.vocabularySize = vocab->intValue;
  spec.binary = args->getBool("binary", true);
  spec.minCount = args->getInt("min_count", 1);
  if (spec.minCount < 1)
    return diags.error(args->get("min_count")->loc,
                       "min_count must be at least 1");
  spec.text.lowercase = args->getBool("lowercase", true);
  spec.text.filter = args->getBool("filter", true);
  if (const ast::Expr *stem = args->get("stem")) {
    std::unique_ptr<data::Stemmer> stemmer;
    if (Status s = data::Stemmer::create(stem->text, stemmer); !s)
      return diags.error(stem->loc, s.getMessage());
    spec.text.stem = stem->text;
  }
  return Error::success();
}

Expected<data::DataSpec> buildDataSpec(const ast::TrainDecl &section,
                                       const ast::ModelDecl &model,
                                       StringRef baseDir,
                                       const SourceDiagnostics &diags) {
  data::DataSpec spec;
  spec.origin =
      (diags.getBufferName() + ":" + llvm::Twine(section.loc.line)).str();
  llvm::StringMap<const ast::TrainEntry *> seen;
  const ast::TrainEntry *text = nullptr, *source = nullptr;
  for (const ast::TrainEntry &entry : section.entries) {
    StringRef key = entry.key;
    if (!llvm::is_contained(kSettings, key)) {
      std::string hint = suggestClosest(key, kSettings);
      if (hint.empty())
        hint = "; settings are " + llvm::join(llvm::ArrayRef(kSettings), ", ");
      return diags.error(entry.keyLoc,
                         "unknown data setting '" + key + "'" + hint);
    }
    auto [it, inserted] = seen.try_emplace(key, &entry);
    if (!inserted)
      return diags.error(entry.keyLoc, "'" + key + "' is set twice",
                         it->second->keyLoc, "first set here");
    const ast::Expr &value = entry.value;
    if (key == "source") {
      source = &entry;
      if (Error err = parseSource(value, baseDir, spec, diags))
        return err;
    } else if (key == "text") {
      text = &entry;
      if (Error err = parseText(value, spec, diags))
        return err;
    } else if (key == "test_split") {
      if (!value.isNumber() || value.asDouble() < 0 || value.asDouble() >= 1)
        return diags.error(value.loc, "test_split must be a fraction in "
                                      "[0, 1), not " +
                                          describeExpr(value));
      spec.testSplit = value.asDouble();
    } else if (key == "split_seed") {
      if (value.kind != ast::Expr::Kind::Integer || value.intValue < 0)
        return diags.error(value.loc, "split_seed must be an integer >= 0, "
                                      "not " +
                                          describeExpr(value));
      spec.splitSeed = uint64_t(value.intValue);
    } else if (key == "target") {
      if (value.kind != ast::Expr::Kind::Identifier || value.text != "input")
        return diags.error(value.loc,
                           "target may only be `input` (the model learns to "
                           "reproduce its input, as an autoencoder), not " +
                               describeExpr(value));
      spec.targetIsInput = true;
    } else {
      if (value.kind != ast::Expr::Kind::Bool)
        return diags.error(value.loc, "standardize must be true or false, "
                                      "not " +
                                          describeExpr(value));
      spec.standardize = value.boolValue;
    }
  }
  if (!source)
    return diags.error(section.loc, "the data section needs a source, as in "
                                    "source = csv(\"houses.csv\", "
                                    "target=\"price\")");
  bool pairs = spec.kind == data::DataSpec::Kind::SentencePairs;
  bool translation =
      text && spec.textForm == data::DataSpec::TextForm::Translation;
  if (pairs != translation)
    return diags.error(pairs ? source->value.loc : text->value.loc,
                       pairs ? "sentence_pairs needs text = translation(...)"
                             : "translation(...) needs source = "
                               "sentence_pairs(\"file\")");
  bool textSource = spec.kind == data::DataSpec::Kind::LabelledSentences ||
                    spec.kind == data::DataSpec::Kind::TextFiles || pairs;
  if (textSource && !text)
    return diags.error(source->value.loc,
                       "a text source needs a text form, as in text = "
                       "bag_of_words(vocab=2000)");
  if (!textSource && text)
    return diags.error(text->keyLoc, "'text' applies to text sources "
                                     "(labelled_sentences, text_files, "
                                     "sentence_pairs) only",
                       source->value.loc, "the source is here");

  // What the model's input must look like.
  const ast::InputStmt *input = nullptr;
  std::vector<const ast::InputStmt *> inputs;
  for (const ast::Statement &s : model.body)
    if (const auto *in = std::get_if<ast::InputStmt>(&s)) {
      input = in;
      inputs.push_back(in);
    }
  if (!input)
    return spec; // The model reports its missing input itself.
  if (translation) {
    // The source ids, then the decoder's input.
    int64_t want[2] = {spec.length, spec.targetLength};
    for (int k = 0; k < 2; ++k) {
      if (size_t(k) >= inputs.size())
        return diags.error(text->value.loc,
                           "translation pairs need a model with two inputs, "
                           "the source ids and the decoder's input ids",
                           model.nameLoc, "the model is declared here");
      const ast::InputStmt *in = inputs[size_t(k)];
      if (in->kind != "ids" || in->dims.size() != 1 || in->dims[0] != want[k])
        return diags.error(text->value.loc,
                           llvm::formatv("translation(length={0}, "
                                         "target_length={1}) needs input {2} "
                                         "to be 'ids[{3}]'",
                                         spec.length, spec.targetLength, k + 1,
                                         want[k]),
                           in->loc, "input '" + in->name + "' is declared here");
    }
    if (inputs.size() != 2)
      return diags.error(inputs[2]->loc, "translation pairs feed two inputs, "
                                         "the source ids and the decoder's "
                                         "input ids");
    return spec;
  }
  if (inputs.size() > 1)
    return diags.error(inputs[1]->loc,
                       "this data feeds one input; a model with several "
                       "needs translation pairs");
  if (textSource && spec.textForm != data::DataSpec::TextForm::BagOfWords) {
    if (input->kind != "ids" || input->dims.size() != 1 ||
        input->dims[0] != spec.length)
      return diags.error(text->value.loc,
                         llvm::formatv("{0} of {1} ids needs the input "
                                       "'ids[{1}]'",
                                       text->value.text, spec.length),
                         input->loc,
                         "input '" + input->name + "' is declared here");
  } else if (textSource && (input->dims.size() != 1 ||
                            input->dims[0] != spec.vocabularySize ||
                            !input->kind.empty()))
    return diags.error(text->value.loc,
                       llvm::formatv("a bag of words over {0} ids needs the "
                                     "input [{0}]",
                                     spec.vocabularySize),
                       input->loc,
                       "input '" + input->name + "' is declared here");
  if (spec.standardize) {
    spec.meanParam = input->name + ".mean";
    spec.stdParam = input->name + ".std";
  }
  return spec;
}

} // namespace neurona::dsl
