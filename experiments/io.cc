#include "experiments/io.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>
#include <stdexcept>

namespace metarl {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(error));
}

std::string format_value(double value) {
  if (std::isnan(value)) return "";
  char buffer[64];
  std::to_chars_result result;
  if (std::floor(value) == value && std::fabs(value) < 1e15)
    result = std::to_chars(buffer, buffer + sizeof(buffer), static_cast<int64_t>(value));
  else  // like %.10g, but independent of the locale
    result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::general, 10);
  return std::string(buffer, result.ptr);
}

}  // namespace

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
    fields.push_back(line.substr(start, comma - start));
  fields.push_back(line.substr(start));
  return fields;
}

void write_json_atomically(const std::string& path, const nlohmann::json& value) {
  write_file_atomically(path, value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void MetricsCsv::Closer::operator()(std::FILE* file) const { std::fclose(file); }

MetricsCsv::MetricsCsv(std::string path, std::vector<std::string> columns, int64_t resume_after_iteration)
    : path_(std::move(path)), columns_(std::move(columns)) {
  if (columns_.empty() || columns_[0] != "iteration")
    throw std::invalid_argument(path_ + ": the first metrics column must be 'iteration'");
  std::set<std::string> seen;
  std::string header;
  for (const auto& column : columns_) {
    if (column.empty() || column.find_first_of(",\"\r\n") != std::string::npos)
      throw std::invalid_argument(path_ + ": bad metrics column name '" + column + "'");
    if (!seen.insert(column).second)
      throw std::invalid_argument(path_ + ": metrics column '" + column + "' appears twice");
    header += (header.empty() ? "" : ",") + column;
  }

  if (resume_after_iteration < 0) {
    write_file_atomically(path_, header + "\n");
  } else {
    const std::string text = read_file(path_);
    // Lines; a last line without its newline was torn by a crash and is dropped.
    std::vector<std::string> lines;
    size_t start = 0;
    bool torn = false;
    while (start < text.size()) {
      const size_t end = text.find('\n', start);
      if (end == std::string::npos) {
        lines.push_back(text.substr(start));
        torn = true;
        break;
      }
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    if (lines.empty()) throw std::runtime_error(path_ + ": cannot resume: it is empty");
    // A newer build may add columns: old rows get empty cells there. A column
    // this run would drop is an error (its values would be lost).
    const std::vector<std::string> old_columns = split_fields(lines[0]);
    std::vector<int64_t> source(columns_.size(), -1);  // new column -> old column
    for (size_t j = 0; j < old_columns.size(); ++j) {
      const auto it = std::find(columns_.begin(), columns_.end(), old_columns[j]);
      if (it == columns_.end())
        throw std::runtime_error(path_ + ": cannot resume: its header is '" + lines[0] + "' but this run writes '" +
                                 header + "' (no column '" + old_columns[j] + "')");
      source[size_t(it - columns_.begin())] = int64_t(j);
    }
    bool changed = torn || lines[0] != header;
    if (torn && lines.size() > 1) lines.pop_back();
    std::string kept = header + "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      const std::string where = path_ + ": line " + std::to_string(i + 1);
      if (line.empty()) {
        changed = true;
        continue;
      }
      const std::vector<std::string> fields = split_fields(line);
      if (fields.size() != old_columns.size())
        throw std::runtime_error(where + " has " + std::to_string(fields.size()) + " fields, expected " +
                                 std::to_string(old_columns.size()));
      int64_t iteration = 0;
      const std::string& first = fields[0];
      const auto parsed = std::from_chars(first.data(), first.data() + first.size(), iteration);
      if (parsed.ec != std::errc() || parsed.ptr != first.data() + first.size())
        throw std::runtime_error(where + ": cannot read the iteration from '" + first + "'");
      if (iteration > resume_after_iteration) {
        changed = true;
        continue;
      }
      std::string row;
      for (size_t c = 0; c < columns_.size(); ++c) row += (c ? "," : "") + (source[c] >= 0 ? fields[source[c]] : "");
      kept += row + "\n";
    }
    if (changed) write_file_atomically(path_, kept);
  }

  file_.reset(std::fopen(path_.c_str(), "ab"));
  if (!file_) fail(path_, "cannot open for appending", errno);
}

void MetricsCsv::append(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw std::invalid_argument(path_ + ": a row of " + std::to_string(values.size()) + " values for " +
                                std::to_string(columns_.size()) + " columns");
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) line += (i ? "," : "") + format_value(values[i]);
  line += "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size() || std::fflush(file_.get()) != 0)
    fail(path_, "cannot append a row", errno);
}

}  // namespace metarl
