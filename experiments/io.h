// Writing a run's output directory without ever leaving a half-written file:
// whole files are replaced atomically, and metrics.csv grows one flushed row
// at a time and is cut back to the last checkpoint when a run resumes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/file_io.h"

namespace metarl {

// The comma-separated fields of one line of the project's CSV files, which
// never hold quotes or commas in a field (metrics.csv, matches.csv, ...).
std::vector<std::string> split_fields(const std::string& line);

// `value` pretty-printed (two spaces) with a trailing newline, written atomically.
void write_json_atomically(const std::string& path, const nlohmann::json& value);

// metrics.csv: a header row, then one row per iteration. The first column must
// be "iteration". Integral values are written without decimals, others with
// ten significant digits, NaN as an empty field.
class MetricsCsv {
 public:
  // resume_after_iteration < 0: (re)creates the file with the header.
  // Otherwise the file must exist with these columns or a subset of them (a
  // newer build may add metrics: old rows get empty cells there); rows whose
  // iteration is greater than resume_after_iteration (and a torn last line)
  // are dropped, atomically, so the resumed run continues cleanly.
  MetricsCsv(std::string path, std::vector<std::string> columns, int64_t resume_after_iteration);

  // One row (as many values as columns), flushed.
  void append(const std::vector<double>& values);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  struct Closer {
    void operator()(std::FILE* file) const;
  };

  std::string path_;
  std::vector<std::string> columns_;
  std::unique_ptr<std::FILE, Closer> file_;
};

}  // namespace metarl
