//===- Readers.cpp - CSV and text data files ------------------------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Data/Readers.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>

using namespace neurona;
using namespace neurona::data;

static Status formatError(const std::string &path, int64_t line,
                          const std::string &message) {
  return Status::error(NR_ERROR_FORMAT,
                       path + ":" + std::to_string(line) + ": " + message);
}

/// Calls `fn(line, number)` for every line of `text`, split on LF with an
/// optional CR before it; a last line without LF counts, an empty tail
/// does not.
template <typename Fn>
static Status forEachLine(const std::string &text, Fn fn) {
  size_t start = 0;
  int64_t number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    size_t stop = end;
    if (stop > start && text[stop - 1] == '\r')
      --stop;
    if (Status s = fn(text.substr(start, stop - start), ++number); !s)
      return s;
    start = end + 1;
  }
  return Status::success();
}

static bool isBlank(const std::string &s) {
  return s.find_first_not_of(" \t") == std::string::npos;
}

static std::string trimRight(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  return s;
}

/// Reads a text file (gzip-compressed or not), checking that it has content.
static Status readText(const std::string &path, std::string &text) {
  if (Status s = readMaybeGzip(path, text); !s)
    return s;
  // A UTF-8 byte-order mark is not part of the first field.
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0)
    text.erase(0, 3);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return Status::error(NR_ERROR_FORMAT, path + ": the file is empty");
  return Status::success();
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

int64_t CsvTable::columnIndex(const std::string &name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name)
      return int64_t(i);
  return -1;
}

namespace {
/// An RFC 4180 record splitter over a whole file.
class CsvScanner {
public:
  CsvScanner(const std::string &text, const std::string &path)
      : text(text), path(path) {}

  /// Reads the next non-blank record into `fields`; false at the end.
  /// `startLine` receives the line the record starts on.
  bool next(std::vector<std::string> &fields, int64_t &startLine,
            Status &status) {
    fields.clear();
    // Skip blank lines between records.
    while (pos < text.size() && (text[pos] == '\n' || text[pos] == '\r')) {
      if (text[pos] == '\n')
        ++line;
      ++pos;
    }
    if (pos >= text.size())
      return false;
    startLine = line;
    std::string field;
    while (true) {
      if (pos < text.size() && text[pos] == '"') {
        int64_t quoteLine = line;
        ++pos;
        while (true) {
          if (pos >= text.size()) {
            status = formatError(path, quoteLine,
                                 "a quoted field is never closed");
            return false;
          }
          char c = text[pos++];
          if (c == '"') {
            if (pos < text.size() && text[pos] == '"') {
              field += '"';
              ++pos;
              continue;
            }
            break;
          }
          if (c == '\n')
            ++line;
          field += c;
        }
        if (pos < text.size() && text[pos] != ',' && text[pos] != '\n' &&
            text[pos] != '\r') {
          status = formatError(path, line,
                               "text after the closing quote of field " +
                                   std::to_string(fields.size() + 1));
          return false;
        }
      } else {
        while (pos < text.size() && text[pos] != ',' && text[pos] != '\n' &&
               text[pos] != '\r')
          field += text[pos++];
      }
      fields.push_back(std::move(field));
      field.clear();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      // End of record: CRLF, LF or end of file.
      if (pos < text.size() && text[pos] == '\r')
        ++pos;
      if (pos < text.size() && text[pos] == '\n') {
        ++pos;
        ++line;
      }
      return true;
    }
  }

private:
  const std::string &text;
  const std::string &path;
  size_t pos = 0;
  int64_t line = 1;
};
} // namespace

Status neurona::data::readCsv(const std::string &path, CsvTable &out) {
  std::string text;
  if (Status s = readText(path, text); !s)
    return s;
  CsvTable table;
  table.path = path;
  CsvScanner scanner(text, path);
  Status status;
  int64_t line = 0;
  if (!scanner.next(table.columns, line, status))
    return status.ok() ? Status::error(NR_ERROR_FORMAT,
                                       path + ": the file is empty")
                       : status;
  std::set<std::string> seen;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].empty())
      return formatError(path, line,
                         "column " + std::to_string(i + 1) +
                             " of the header has no name");
    if (!seen.insert(table.columns[i]).second)
      return formatError(path, line,
                         "the header names column '" + table.columns[i] +
                             "' twice");
  }
  std::vector<std::string> fields;
  while (scanner.next(fields, line, status)) {
    if (fields.size() != table.columns.size())
      return formatError(path, line,
                         std::to_string(fields.size()) +
                             " fields, but the header has " +
                             std::to_string(table.columns.size()));
    table.rows.push_back(fields);
    table.lines.push_back(line);
  }
  if (!status)
    return status;
  if (table.rows.empty())
    return Status::error(NR_ERROR_FORMAT,
                         path + ": the file has a header but no rows");
  out = std::move(table);
  return Status::success();
}

/// Parses a whole field as a finite number.
static bool parseNumber(const std::string &field, double &value) {
  size_t begin = field.find_first_not_of(' ');
  if (begin == std::string::npos)
    return false;
  const char *start = field.c_str() + begin;
  char *end = nullptr;
  errno = 0;
  value = std::strtod(start, &end);
  if (end == start || errno == ERANGE || !std::isfinite(value))
    return false;
  while (*end == ' ')
    ++end;
  return *end == '\0';
}

/// "'a', 'b', 'c'": the table's columns, for "no column" errors.
static std::string listColumns(const CsvTable &table) {
  std::string list;
  for (const std::string &c : table.columns)
    list += (list.empty() ? "'" : ", '") + c + "'";
  return list;
}

Status neurona::data::csvDataset(const CsvTable &table,
                                 const CsvColumns &columns, Dataset &out) {
  auto noColumn = [&](const std::string &name) {
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         table.path + ": no column '" + name +
                             "'; the header has " + listColumns(table));
  };
  if (columns.target.empty())
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         table.path + ": no target column was named");
  int64_t target = table.columnIndex(columns.target);
  if (target < 0)
    return noColumn(columns.target);
  for (const std::string &d : columns.drop)
    if (table.columnIndex(d) < 0)
      return noColumn(d);

  std::vector<int64_t> features;
  if (!columns.features.empty()) {
    for (const std::string &f : columns.features) {
      int64_t i = table.columnIndex(f);
      if (i < 0)
        return noColumn(f);
      if (i == target)
        return Status::error(NR_ERROR_INVALID_ARGUMENT,
                             table.path + ": column '" + f +
                                 "' is the target; it cannot be a feature too");
      features.push_back(i);
    }
  } else {
    std::set<std::string> drop(columns.drop.begin(), columns.drop.end());
    for (size_t i = 0; i < table.columns.size(); ++i)
      if (int64_t(i) != target && !drop.count(table.columns[i]))
        features.push_back(int64_t(i));
  }
  if (features.empty())
    return Status::error(NR_ERROR_INVALID_ARGUMENT,
                         table.path + ": no feature columns are left");

  Dataset ds;
  ds.numSamples = int64_t(table.rows.size());
  ds.featureShape = {int64_t(features.size())};
  ds.targetKind = TargetKind::Values;
  ds.targetShape = {1};
  ds.features.reserve(table.rows.size() * features.size());
  ds.targets.reserve(table.rows.size());
  auto read = [&](size_t row, int64_t column, float &value) {
    double v;
    const std::string &field = table.rows[row][size_t(column)];
    if (!parseNumber(field, v))
      return formatError(table.path, table.lines[row],
                         "column '" + table.columns[size_t(column)] +
                             "' holds '" + field +
                             "', which is not a finite number (drop the "
                             "column or fix the row)");
    value = float(v);
    return Status::success();
  };
  for (size_t r = 0; r < table.rows.size(); ++r) {
    float value;
    for (int64_t c : features) {
      if (Status s = read(r, c, value); !s)
        return s;
      ds.features.push_back(value);
    }
    if (Status s = read(r, target, value); !s)
      return s;
    ds.targets.push_back(value);
  }
  out = std::move(ds);
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Text files
//===----------------------------------------------------------------------===//

Status neurona::data::readLabelledSentences(const std::string &path,
                                            LabelledTexts &out) {
  std::string text;
  if (Status s = readText(path, text); !s)
    return s;
  LabelledTexts read;
  Status status = forEachLine(text, [&](std::string line, int64_t number) {
    if (isBlank(line))
      return Status::success();
    size_t tab = line.rfind('\t');
    if (tab == std::string::npos)
      return formatError(path, number,
                         "expected 'sentence<TAB>label', found no TAB");
    std::string label = line.substr(tab + 1);
    char *end = nullptr;
    errno = 0;
    long long value = std::strtoll(label.c_str(), &end, 10);
    while (end && (*end == ' ' || *end == '\r'))
      ++end;
    if (label.empty() || *end != '\0' || errno == ERANGE || value < 0)
      return formatError(path, number,
                         "the label after the last TAB is '" + label +
                             "', not a class number >= 0");
    read.texts.push_back(trimRight(line.substr(0, tab)));
    read.labels.push_back(value);
    return Status::success();
  });
  if (!status)
    return status;
  out.texts.insert(out.texts.end(), read.texts.begin(), read.texts.end());
  out.labels.insert(out.labels.end(), read.labels.begin(), read.labels.end());
  return Status::success();
}

Status neurona::data::readTextLines(const std::string &path, int64_t label,
                                    LabelledTexts &out) {
  std::string text;
  if (Status s = readText(path, text); !s)
    return s;
  return forEachLine(text, [&](std::string line, int64_t) {
    if (!isBlank(line)) {
      out.texts.push_back(trimRight(std::move(line)));
      out.labels.push_back(label);
    }
    return Status::success();
  });
}

Status neurona::data::readSentencePairs(const std::string &path,
                                        std::vector<std::string> &sources,
                                        std::vector<std::string> &targets) {
  std::string text;
  if (Status s = readText(path, text); !s)
    return s;
  std::vector<std::string> src, dst;
  Status status = forEachLine(text, [&](std::string line, int64_t number) {
    if (isBlank(line))
      return Status::success();
    size_t tab = line.find('\t');
    if (tab == std::string::npos)
      return formatError(path, number,
                         "expected 'source<TAB>target', found no TAB");
    size_t next = line.find('\t', tab + 1);
    std::string target = line.substr(
        tab + 1, next == std::string::npos ? std::string::npos : next - tab - 1);
    if (isBlank(line.substr(0, tab)) || isBlank(target))
      return formatError(path, number, "a sentence of the pair is empty");
    src.push_back(trimRight(line.substr(0, tab)));
    dst.push_back(trimRight(std::move(target)));
    return Status::success();
  });
  if (!status)
    return status;
  sources.insert(sources.end(), src.begin(), src.end());
  targets.insert(targets.end(), dst.begin(), dst.end());
  return Status::success();
}
