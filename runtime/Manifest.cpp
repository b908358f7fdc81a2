//===- Manifest.cpp - Manifest parser and checks --------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include "neurona/Runtime/NPY.h"

#include <cerrno>
#include <cstdlib>
#include <set>

using namespace neurona;
using namespace neurona::runtime;

std::string TensorType::str() const {
  const char *name = nr_dtype_name(dtype);
  if (shape.empty())
    return std::string(name) + " scalar";
  return std::string(name) + " " + formatShape(shape);
}

const EntryDecl *Manifest::findEntry(const std::string &name) const {
  for (const EntryDecl &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

int64_t Manifest::findParam(const std::string &name) const {
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].name == name)
      return static_cast<int64_t>(i);
  return -1;
}

int64_t Manifest::findState(const std::string &name) const {
  for (size_t i = 0; i < states.size(); ++i)
    if (states[i].name == name)
      return static_cast<int64_t>(i);
  return -1;
}

const std::string *Manifest::findTrain(const std::string &key) const {
  for (const auto &kv : train)
    if (kv.first == key)
      return &kv.second;
  return nullptr;
}

int64_t Manifest::findBound(const std::string &name) const {
  for (const auto &kv : bounds)
    if (kv.first == name)
      return kv.second;
  return -1;
}

int64_t Manifest::findText(const std::string &name) const {
  for (size_t i = 0; i < texts.size(); ++i)
    if (texts[i].input == name)
      return static_cast<int64_t>(i);
  return -1;
}

bool runtime::isInputRole(nr_arg_role role) {
  return role == NR_ROLE_INPUT || role == NR_ROLE_TARGET ||
         role == NR_ROLE_HYPER || role == NR_ROLE_PARAM ||
         role == NR_ROLE_STATE;
}

bool runtime::parseRole(const std::string &text, nr_arg_role &out) {
  static const struct {
    const char *name;
    nr_arg_role role;
  } table[] = {
      {"input", NR_ROLE_INPUT},         {"target", NR_ROLE_TARGET},
      {"hyper", NR_ROLE_HYPER},         {"param", NR_ROLE_PARAM},
      {"state", NR_ROLE_STATE},         {"output", NR_ROLE_OUTPUT},
      {"loss", NR_ROLE_LOSS},           {"grad", NR_ROLE_GRAD},
      {"param_out", NR_ROLE_PARAM_OUT}, {"state_out", NR_ROLE_STATE_OUT}};
  for (const auto &entry : table)
    if (text == entry.name) {
      out = entry.role;
      return true;
    }
  return false;
}

bool runtime::parseInit(const std::string &text, nr_init &out) {
  for (nr_init init : {NR_INIT_ZEROS, NR_INIT_ONES, NR_INIT_GLOROT_UNIFORM,
                       NR_INIT_HE_UNIFORM, NR_INIT_DATA, NR_INIT_SMALL_UNIFORM,
                       NR_INIT_ORTHOGONAL, NR_INIT_LSTM_BIAS})
    if (text == initName(init)) {
      out = init;
      return true;
    }
  return false;
}

const char *runtime::initName(nr_init init) {
  switch (init) {
  case NR_INIT_ZEROS:
    return "zeros";
  case NR_INIT_ONES:
    return "ones";
  case NR_INIT_GLOROT_UNIFORM:
    return "glorot_uniform";
  case NR_INIT_HE_UNIFORM:
    return "he_uniform";
  case NR_INIT_DATA:
    return "data";
  case NR_INIT_SMALL_UNIFORM:
    return "small_uniform";
  case NR_INIT_ORTHOGONAL:
    return "orthogonal";
  case NR_INIT_LSTM_BIAS:
    return "lstm_bias";
  }
  return "?";
}

bool runtime::isIdentifier(const std::string &name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9'))
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

namespace {
/// Line-by-line parser state.
class Parser {
public:
  Parser(const std::string &source, Manifest &m) : source(source), m(m) {}
  Status parse(const std::string &text);

private:
  Status fail(const std::string &msg) const {
    return Status::error(NR_ERROR_FORMAT,
                         source + ":" + std::to_string(line) + ": " + msg);
  }
  Status parseRecord(const std::vector<std::string> &f);
  Status expectFields(const std::vector<std::string> &f, size_t n,
                      const char *syntax) const;
  Status parseName(const std::string &text, const char *what) const;
  Status parseType(const std::string &dtype, const std::string &shape,
                   bool allowDynamic, TensorType &out) const;
  Status parseArg(const std::vector<std::string> &f);
  Status parseText(const std::vector<std::string> &f);
  Status parseVocabulary(const std::vector<std::string> &f);
  Status checkTexts() const;
  Status finishEntry();

  const std::string &source;
  Manifest &m;
  size_t line = 0;
  bool sawModel = false, sawEnd = false;
  /// Line of the current entry's `entry` record, for end-of-entry errors.
  size_t entryLine = 0;
  bool inResults = false;
  std::set<std::string> inputNames, resultNames;
};
} // namespace

Status Parser::expectFields(const std::vector<std::string> &f, size_t n,
                            const char *syntax) const {
  if (f.size() != n)
    return fail("'" + f[0] + "' takes " + std::to_string(n - 1) +
                " field(s): " + syntax + " (got " +
                std::to_string(f.size() - 1) + ")");
  return Status::success();
}

Status Parser::parseName(const std::string &text, const char *what) const {
  if (text.empty())
    return fail(std::string("empty ") + what + " name");
  for (char c : text)
    if (static_cast<unsigned char>(c) <= 0x20 ||
        static_cast<unsigned char>(c) >= 0x7f)
      return fail(std::string("invalid character in ") + what + " name '" +
                  text + "' (printable ASCII only)");
  return Status::success();
}

Status Parser::parseType(const std::string &dtypeText,
                         const std::string &shapeText, bool allowDynamic,
                         TensorType &out) const {
  nr_dtype dtype;
  if (!parseDTypeName(dtypeText, dtype))
    return fail("unknown dtype '" + dtypeText +
                "' (expected f32, f64, f16, bf16, i8, i16, i32, i64, u8, u16, "
                "u32, u64 or bool)");
  out.dtype = dtype;
  out.shape.clear();
  if (shapeText == "scalar")
    return Status::success();
  // Caps keep later size arithmetic far from overflow.
  const int64_t maxDim = int64_t(1) << 40, maxElements = int64_t(1) << 48;
  int64_t elements = 1;
  size_t start = 0;
  while (true) {
    size_t end = shapeText.find('x', start);
    std::string dim = shapeText.substr(
        start, end == std::string::npos ? std::string::npos : end - start);
    if (out.shape.size() == NR_MAX_RANK)
      return fail("shape '" + shapeText + "' has rank above " +
                  std::to_string(NR_MAX_RANK));
    if (dim == "?") {
      if (!out.shape.empty())
        return fail("shape '" + shapeText +
                    "': only the first (batch) dimension may be '?'");
      if (!allowDynamic)
        return fail("shape '" + shapeText +
                    "': parameters and state must have static shapes");
      out.shape.push_back(-1);
    } else {
      // Entry arguments may be empty (an ONNX graph input that only carries
      // a type); parameters and state may not.
      bool emptyArg = allowDynamic && dim == "0";
      if (!emptyArg &&
          (dim.empty() || dim.size() > 13 ||
           dim.find_first_not_of("0123456789") != std::string::npos ||
           dim[0] == '0'))
        return fail("bad dimension '" + dim + "' in shape '" + shapeText +
                    "' (expected a positive integer or '?', dims joined by "
                    "'x', or 'scalar')");
      int64_t d = std::stoll(dim);
      if (d > maxDim || (d != 0 && elements > maxElements / d))
        return fail("shape '" + shapeText + "' is too large");
      elements *= d;
      out.shape.push_back(d);
    }
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return Status::success();
}

Status Parser::finishEntry() {
  if (m.entries.empty())
    return Status::success();
  const EntryDecl &e = m.entries.back();
  bool dynamicInput = false;
  for (const ArgDecl &a : e.args)
    if ((a.role == NR_ROLE_INPUT || a.role == NR_ROLE_TARGET ||
         a.role == NR_ROLE_HYPER) &&
        a.type.isDynamic())
      dynamicInput = true;
  for (const ArgDecl &a : e.args)
    if (!isInputRole(a.role) && a.type.isDynamic() && !dynamicInput)
      return Status::error(
          NR_ERROR_FORMAT,
          source + ":" + std::to_string(entryLine) + ": entry '" + e.name +
              "': result '" + a.name +
              "' has a dynamic batch dimension but no input does");
  return Status::success();
}

Status Parser::parseArg(const std::vector<std::string> &f) {
  if (Status s = expectFields(f, 5, "<role> <name> <dtype> <shape>"); !s)
    return s;
  if (m.entries.empty())
    return fail("'arg' before any 'entry'");
  EntryDecl &entry = m.entries.back();
  ArgDecl arg;
  if (!parseRole(f[1], arg.role))
    return fail("unknown role '" + f[1] +
                "' (expected input, target, hyper, param, state, output, "
                "loss, grad, param_out or state_out)");
  arg.name = f[2];
  if (Status s = parseName(arg.name, "argument"); !s)
    return s;
  if (Status s = parseType(f[3], f[4], true, arg.type); !s)
    return s;
  bool input = isInputRole(arg.role);
  std::string where = "entry '" + entry.name + "': ";
  if (input && inResults)
    return fail(where + "argument '" + arg.name +
                "' with an input role follows a result (inputs come first)");
  inResults = !input;
  if (!(input ? inputNames : resultNames).insert(arg.name).second)
    return fail(where + "duplicate " + (input ? "input" : "result") + " '" +
                arg.name + "'");

  // Names are unique per side (checked above), so each param or state is
  // bound at most once as an input and once as a result.
  auto bind = [&](bool isParam) -> Status {
    int64_t index = isParam ? m.findParam(arg.name) : m.findState(arg.name);
    if (index < 0)
      return fail(where + "'" + f[1] + "' argument '" + arg.name +
                  "' names no declared " + (isParam ? "param" : "state"));
    const TensorType &declared =
        isParam ? m.params[index].type : m.states[index].type;
    if (declared != arg.type)
      return fail(where + "'" + f[1] + "' argument '" + arg.name + "' is " +
                  arg.type.str() + " but is declared " + declared.str());
    arg.ref = index;
    return Status::success();
  };
  switch (arg.role) {
  case NR_ROLE_PARAM:
  case NR_ROLE_PARAM_OUT:
    if (Status s = bind(true); !s)
      return s;
    break;
  case NR_ROLE_STATE:
  case NR_ROLE_STATE_OUT:
    if (Status s = bind(false); !s)
      return s;
    break;
  case NR_ROLE_LOSS:
    if ((arg.type.dtype != NR_F32 && arg.type.dtype != NR_F64) ||
        arg.type.isDynamic() ||
        !(arg.type.shape.empty() ||
          (arg.type.shape.size() == 1 && arg.type.shape[0] == 1)))
      return fail(where + "loss '" + arg.name +
                  "' must be an f32 or f64 scalar, not " + arg.type.str());
    break;
  default:
    break;
  }
  entry.args.push_back(std::move(arg));
  return Status::success();
}

Status Parser::parseRecord(const std::vector<std::string> &f) {
  const std::string &kind = f[0];
  if (line == 1) {
    if (kind != "neurona-manifest")
      return fail("not a Neurona manifest (expected 'neurona-manifest 1', got "
                  "'" +
                  kind + "')");
    if (Status s = expectFields(f, 2, "<version>"); !s)
      return s;
    if (f[1] != "1")
      return fail("unsupported manifest version '" + f[1] +
                  "' (this runtime reads version 1)");
    return Status::success();
  }
  if (sawEnd)
    return fail("'" + kind + "' after 'end'");
  if (kind == "model") {
    if (sawModel)
      return fail("duplicate 'model' record");
    if (Status s = expectFields(f, 2, "<prefix>"); !s)
      return s;
    if (!isIdentifier(f[1]))
      return fail("model prefix '" + f[1] + "' is not a C identifier");
    m.prefix = f[1];
    sawModel = true;
    return Status::success();
  }
  if (!sawModel)
    return fail("'" + kind + "' before the 'model' record");
  if (kind == "train") {
    if (m.hasTrain)
      return fail("duplicate 'train' record");
    if (!m.entries.empty())
      return fail("'train' after the first 'entry'");
    m.hasTrain = true;
    for (size_t i = 1; i < f.size(); ++i) {
      size_t eq = f[i].find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == f[i].size())
        return fail("train setting '" + f[i] + "' is not key=value");
      // A key may repeat (e.g. one metric=... per metric); lookups by key
      // return its first value.
      std::string key = f[i].substr(0, eq);
      if (Status s = parseName(f[i], "train setting"); !s)
        return s;
      m.train.emplace_back(key, f[i].substr(eq + 1));
    }
    return Status::success();
  }
  if (kind == "param") {
    if (Status s = expectFields(f, 5, "<name> <dtype> <shape> <init>"); !s)
      return s;
    if (!m.entries.empty())
      return fail("'param' after the first 'entry'");
    ParamDecl p;
    p.name = f[1];
    if (Status s = parseName(p.name, "param"); !s)
      return s;
    if (m.findParam(p.name) >= 0)
      return fail("duplicate param '" + p.name + "'");
    if (Status s = parseType(f[2], f[3], false, p.type); !s)
      return s;
    if (!parseInit(f[4], p.init))
      return fail("unknown initializer '" + f[4] +
                  "' (expected zeros, ones, glorot_uniform, he_uniform, "
                  "small_uniform, orthogonal, lstm_bias or data)");
    bool random = p.init == NR_INIT_GLOROT_UNIFORM ||
                  p.init == NR_INIT_HE_UNIFORM ||
                  p.init == NR_INIT_SMALL_UNIFORM ||
                  p.init == NR_INIT_ORTHOGONAL;
    if (p.init == NR_INIT_ORTHOGONAL && p.type.shape.size() != 2)
      return fail("initializer 'orthogonal' needs a matrix, '" + p.name +
                  "' is " + p.type.str());
    if (p.init == NR_INIT_LSTM_BIAS &&
        (p.type.shape.size() != 1 || p.type.shape[0] % 8 != 0))
      return fail("initializer 'lstm_bias' needs a vector of 8H elements, '" +
                  p.name + "' is " + p.type.str());
    if ((random || p.init == NR_INIT_LSTM_BIAS) && p.type.dtype != NR_F32 &&
        p.type.dtype != NR_F64)
      return fail("initializer '" + f[4] + "' needs a float param, '" + p.name +
                  "' is " + p.type.str());
    m.params.push_back(std::move(p));
    return Status::success();
  }
  if (kind == "state") {
    if (Status s = expectFields(f, 4, "<name> <dtype> <shape>"); !s)
      return s;
    if (!m.entries.empty())
      return fail("'state' after the first 'entry'");
    StateDecl st;
    st.name = f[1];
    if (Status s = parseName(st.name, "state"); !s)
      return s;
    if (m.findState(st.name) >= 0)
      return fail("duplicate state '" + st.name + "'");
    if (Status s = parseType(f[2], f[3], false, st.type); !s)
      return s;
    m.states.push_back(std::move(st));
    return Status::success();
  }
  if (kind == "entry") {
    if (Status s = expectFields(f, 2, "<name>"); !s)
      return s;
    if (Status s = finishEntry(); !s)
      return s;
    if (!isIdentifier(f[1]))
      return fail("entry name '" + f[1] + "' is not a C identifier");
    if (m.findEntry(f[1]))
      return fail("duplicate entry '" + f[1] + "'");
    EntryDecl e;
    e.name = f[1];
    m.entries.push_back(std::move(e));
    entryLine = line;
    inResults = false;
    inputNames.clear();
    resultNames.clear();
    return Status::success();
  }
  if (kind == "arg")
    return parseArg(f);
  if (kind == "target") {
    if (Status s = expectFields(f, 3, "<kind> <device>"); !s)
      return s;
    if (f[1] != "cuda")
      return fail("unknown target '" + f[1] + "' (this runtime knows cuda)");
    m.targetKind = f[1];
    m.targetChip = f[2];
    return Status::success();
  }
  if (kind == "bound") {
    if (Status s = expectFields(f, 3, "<input> <upper>"); !s)
      return s;
    if (Status s = parseName(f[1], "bound"); !s)
      return s;
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(f[2].c_str(), &end, 10);
    if (errno || !end || *end || v <= 0)
      return fail("bound of '" + f[1] + "' must be a positive integer, got '" +
                  f[2] + "'");
    m.bounds.emplace_back(f[1], int64_t(v));
    return Status::success();
  }
  if (kind == "text")
    return parseText(f);
  if (kind == "vocabulary")
    return parseVocabulary(f);
  if (kind == "end") {
    if (Status s = expectFields(f, 1, "nothing"); !s)
      return s;
    if (Status s = finishEntry(); !s)
      return s;
    if (m.entries.empty())
      return fail("manifest declares no entry");
    if (Status s = checkTexts(); !s)
      return s;
    sawEnd = true;
    return Status::success();
  }
  return fail("unknown record '" + kind + "'");
}

/// Parses a positive integer; false on anything else.
static bool parsePositive(const std::string &text, int64_t &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno || !end || *end || text.empty() || v <= 0)
    return false;
  out = int64_t(v);
  return true;
}

Status Parser::parseText(const std::vector<std::string> &f) {
  if (f.size() < 4)
    return fail("'text' needs <input> <form> vocab=<size> ...");
  if (!m.entries.empty())
    return fail("'text' after the first 'entry'");
  TextDecl t;
  t.input = f[1];
  if (Status s = parseName(t.input, "text input"); !s)
    return s;
  if (m.findText(t.input) >= 0)
    return fail("duplicate 'text' record for '" + t.input + "'");
  data::TextEncoding &e = t.encoding;
  if (!data::TextEncoding::parseForm(f[2], e.form))
    return fail("unknown text form '" + f[2] +
                "' (expected bag_of_words, sequence, window or decoder)");
  auto flag = [&](const std::string &key, const std::string &value,
                  bool &out) {
    if (value != "true" && value != "false")
      return fail("text setting " + key + " must be true or false, got '" +
                  value + "'");
    out = value == "true";
    return Status::success();
  };
  for (size_t i = 3; i < f.size(); ++i) {
    size_t eq = f[i].find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f[i].size())
      return fail("text setting '" + f[i] + "' is not key=value");
    std::string key = f[i].substr(0, eq), value = f[i].substr(eq + 1);
    Status s = Status::success();
    if (key == "vocab" || key == "length") {
      int64_t &slot = key == "vocab" ? e.vocabularySize : e.length;
      if (!parsePositive(value, slot))
        s = fail("text setting " + key + " must be a positive integer, got '" +
                 value + "'");
    } else if (key == "binary") {
      s = flag(key, value, e.binary);
    } else if (key == "filter") {
      s = flag(key, value, e.options.filter);
    } else if (key == "lowercase") {
      s = flag(key, value, e.options.lowercase);
    } else if (key == "stem") {
      e.options.stem = value;
    } else {
      s = fail("unknown text setting '" + key + "'");
    }
    if (!s)
      return s;
  }
  if (e.vocabularySize < 3)
    return fail("'text' of '" + t.input + "' needs vocab=<size> of at least 3");
  if (e.form != data::TextEncoding::Form::BagOfWords && e.length <= 0)
    return fail("'text' of '" + t.input + "' (" + f[2] +
                ") needs length=<ids per text>");
  m.texts.push_back(std::move(t));
  return Status::success();
}

Status Parser::parseVocabulary(const std::vector<std::string> &f) {
  if (f.size() < 3)
    return fail("'vocabulary' needs <input> <word>...");
  int64_t index = m.findText(f[1]);
  if (index < 0)
    return fail("'vocabulary' of '" + f[1] + "' before its 'text' record");
  TextDecl &t = m.texts[size_t(index)];
  if (t.hasVocabulary)
    return fail("duplicate 'vocabulary' record for '" + f[1] + "'");
  std::vector<std::string> words(f.begin() + 2, f.end());
  data::Vocabulary check;
  if (Status s = data::Vocabulary::fromWords(words, t.encoding.vocabularySize,
                                             check);
      !s)
    return fail("vocabulary of '" + f[1] + "': " + s.getMessage());
  t.words = std::move(words);
  t.hasVocabulary = true;
  return Status::success();
}

/// A text input must be an input of every entry that names it, of the
/// shape its encoding makes: f32 [?, vocab] or i64 [?, length].
Status Parser::checkTexts() const {
  for (const TextDecl &t : m.texts) {
    TensorType want;
    bool bag = t.encoding.form == data::TextEncoding::Form::BagOfWords;
    want.dtype = bag ? NR_F32 : NR_I64;
    want.shape = {-1, t.encoding.width()};
    bool found = false;
    for (const EntryDecl &e : m.entries)
      for (const ArgDecl &a : e.args) {
        if (a.name != t.input || a.role != NR_ROLE_INPUT)
          continue;
        found = true;
        if (a.type != want)
          return fail("text input '" + t.input + "' of entry '" + e.name +
                      "' is " + a.type.str() + ", its encoding makes " +
                      want.str());
      }
    if (!found)
      return fail("'text' names '" + t.input + "', which no entry takes as "
                  "an input");
  }
  return Status::success();
}

Status Parser::parse(const std::string &text) {
  if (text.empty())
    return Status::error(NR_ERROR_FORMAT, source + ": empty manifest");
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string record = text.substr(
        pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++line;
    if (record.empty()) {
      // Blank lines are tolerated only after 'end' (trailing newlines).
      if (sawEnd)
        continue;
      return fail("empty line");
    }
    if (record.find('\0') != std::string::npos)
      return fail("NUL byte in manifest");
    std::vector<std::string> fields;
    size_t start = 0;
    while (true) {
      size_t sp = record.find(' ', start);
      fields.push_back(record.substr(
          start, sp == std::string::npos ? std::string::npos : sp - start));
      if (fields.back().empty())
        return fail("empty field (fields are separated by single spaces)");
      if (sp == std::string::npos)
        break;
      start = sp + 1;
    }
    if (Status s = parseRecord(fields); !s)
      return s;
  }
  if (!sawEnd)
    return Status::error(NR_ERROR_FORMAT,
                         source + ":" + std::to_string(line) +
                             ": missing 'end' record (truncated manifest?)");
  return Status::success();
}

Status runtime::parseManifest(const std::string &text,
                              const std::string &source, Manifest &out) {
  Manifest m;
  if (Status s = Parser(source, m).parse(text); !s)
    return s;
  out = std::move(m);
  return Status::success();
}
