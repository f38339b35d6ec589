// Reading a run's output directory in tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

namespace metarl {

// metrics.csv without the wall-time columns (any name containing "seconds"),
// which differ between runs, one string per row.
inline std::vector<std::string> deterministic_rows(const std::filesystem::path& dir) {
  std::ifstream in(dir / "metrics.csv");
  std::string header;
  std::getline(in, header);
  std::vector<std::string> names;
  std::stringstream hs(header);
  for (std::string n; std::getline(hs, n, ',');) names.push_back(n);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    std::stringstream ls(line);
    std::string kept;
    size_t column = 0;
    for (std::string v; std::getline(ls, v, ','); ++column)
      if (names.at(column).find("seconds") == std::string::npos) kept += v + ",";
    rows.push_back(kept);
  }
  return rows;
}

// One column of metrics.csv as numbers (an empty cell is NaN).
inline std::vector<double> metrics_column(const std::filesystem::path& dir, const std::string& name) {
  std::ifstream in(dir / "metrics.csv");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream hs(line);
  for (std::string n; std::getline(hs, n, ',');) names.push_back(n);
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) throw std::runtime_error((dir / "metrics.csv").string() + ": no column " + name);
  const size_t index = size_t(found - names.begin());
  std::vector<double> values;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    std::string field;
    for (size_t c = 0; c <= index; ++c) std::getline(ls, field, ',');
    values.push_back(field.empty() ? std::nan("") : std::stod(field));
  }
  return values;
}

// A CSV file's rows, each split at its commas (no quoting: the project's CSVs have none).
inline std::vector<std::vector<std::string>> read_csv_cells(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot read");
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace metarl
