// Reading a run's output directory in tests.
#pragma once

#include <filesystem>
#include <fstream>
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

}  // namespace metarl
