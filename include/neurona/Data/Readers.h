//===- neurona/Data/Readers.h - CSV and text data files ---------*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Readers for the tabular and text files of the course's data sets: CSV with
// a header row (house sales), tab-separated labelled sentences (the UCI
// sentiment files), one snippet per line (sentence polarity) and
// tab-separated sentence pairs (English-Spanish). Every reader splits lines
// on LF only, accepting a CR before it: Unicode line separators such as
// U+0085, which occur inside the UCI sentences, are text, not line breaks.
// Errors name the file and the 1-based line ("houses.csv:17: ...").
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_DATA_READERS_H
#define NEURONA_DATA_READERS_H

#include "neurona/Data/Dataset.h"
#include "neurona/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace neurona {
namespace data {

/// A CSV file as text: the header's column names and every record's fields.
struct CsvTable {
  std::string path;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  /// The line each row starts on (1-based; the header is line 1).
  std::vector<int64_t> lines;

  /// The index of column `name`, or -1.
  int64_t columnIndex(const std::string &name) const;
};

/// Reads a comma-separated file with a header row (RFC 4180): fields may be
/// double-quoted, a quoted field may hold commas, line breaks and `""` for a
/// quote. A UTF-8 byte-order mark and blank lines are skipped. Every record
/// must have as many fields as the header, and column names must be unique
/// and non-empty.
Status readCsv(const std::string &path, CsvTable &out);

/// Which columns of a CsvTable make a regression dataset.
struct CsvColumns {
  /// The target column (required).
  std::string target;
  /// Feature columns in order; empty = every column except the target and
  /// `drop`.
  std::vector<std::string> features;
  /// Columns left out when `features` is empty.
  std::vector<std::string> drop;
};

/// Builds a dataset of float features [F] and a float target [1] per row.
/// Every used field must be a finite number as strtod reads it, quoted or
/// not (`"1"`, `1.225e+006`); anything else is an error naming the file,
/// line, column and value.
Status csvDataset(const CsvTable &table, const CsvColumns &columns,
                  Dataset &out);

/// Texts with an integer class each.
struct LabelledTexts {
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
};

/// Reads `sentence<TAB>label` lines (the UCI sentiment files): the label is
/// the integer after the last TAB, the sentence everything before it with
/// trailing spaces removed. Appends to `out`.
Status readLabelledSentences(const std::string &path, LabelledTexts &out);

/// Reads one text per line, all of class `label` (the sentence polarity
/// files, where the file says the class). Blank lines are skipped. Appends
/// to `out`.
Status readTextLines(const std::string &path, int64_t label,
                     LabelledTexts &out);

/// Reads `source<TAB>target` lines (ManyThings/Tatoeba pairs); columns after
/// the second (attribution, in newer releases) are ignored.
Status readSentencePairs(const std::string &path,
                         std::vector<std::string> &sources,
                         std::vector<std::string> &targets);

} // namespace data
} // namespace neurona

#endif // NEURONA_DATA_READERS_H
