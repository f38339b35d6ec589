#include "experiments/io.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace metarl {
namespace {

namespace fs = std::filesystem;

// A fresh, empty directory for one test, removed at its end.
struct ScratchDir {
  explicit ScratchDir(const std::string& name) : path(::testing::TempDir() + "/io_test_" + name) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  const std::string path;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> file_names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The message of the exception of type E that `f` throws ("" if none).
template <typename E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

TEST(WriteFileAtomically, CreatesAndReplacesContentLeavingNoTemporaryFile) {
  const ScratchDir scratch("replace");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/summary.txt";
  write_file_atomically(path, "first version, rather long\n");
  EXPECT_EQ(read_file(path), "first version, rather long\n");
  write_file_atomically(path, "second\n");
  EXPECT_EQ(read_file(path), "second\n");
  write_file_atomically(path, "");
  EXPECT_EQ(read_file(path), "");
  EXPECT_EQ(file_names(dir), (std::vector<std::string>{"summary.txt"}));
}

TEST(WriteFileAtomically, FailureNamesThePathAndLeavesNothingBehind) {
  const ScratchDir scratch("failure");
  const std::string& dir = scratch.path;
  EXPECT_EQ(error_of<std::runtime_error>([&] { write_file_atomically(dir + "/missing/x.txt", "x"); }),
            dir + "/missing/x.txt: cannot write file: No such file or directory");

  // The target is a directory: the rename fails after the temporary file was written.
  fs::create_directories(dir + "/target");
  std::ofstream(dir + "/target/keep") << "kept";
  EXPECT_EQ(error_of<std::runtime_error>([&] { write_file_atomically(dir + "/target", "x"); }),
            dir + "/target: cannot write file: Is a directory");
  EXPECT_EQ(file_names(dir), (std::vector<std::string>{"target"}));
  EXPECT_EQ(read_file(dir + "/target/keep"), "kept");
}

TEST(WriteJsonAtomically, PrettyPrintsWithATrailingNewline) {
  const ScratchDir scratch("json");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/summary.json";
  const nlohmann::json value = {{"iterations", 3}, {"mean_return", -12.5}, {"env", "Ant"}};
  write_json_atomically(path, value);
  EXPECT_EQ(read_file(path), value.dump(2) + "\n");
  EXPECT_EQ(nlohmann::json::parse(read_file(path)), value);
  EXPECT_EQ(file_names(dir), (std::vector<std::string>{"summary.json"}));
}

const std::vector<std::string> kColumns = {"iteration", "env_steps", "mean_return"};

TEST(MetricsCsv, WritesHeaderAndFormatsRows) {
  const ScratchDir scratch("rows");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/metrics.csv";
  std::ofstream(path) << "stale content\n";
  {
    MetricsCsv csv(path, kColumns, -1);
    EXPECT_EQ(read_file(path), "iteration,env_steps,mean_return\n");
    csv.append({0, 4000, -12.25});
    EXPECT_EQ(read_file(path), "iteration,env_steps,mean_return\n0,4000,-12.25\n");  // flushed at once
    csv.append({1, 8000, 1.0 / 3.0});
    csv.append({2, 1e15, NAN});
    csv.append({3, -7, 123456789.125});
  }
  EXPECT_EQ(read_file(path),
            "iteration,env_steps,mean_return\n"
            "0,4000,-12.25\n"
            "1,8000,0.3333333333\n"
            "2,1e+15,\n"
            "3,-7,123456789.1\n");
}

std::string write_rows(const std::string& path, int rows) {
  MetricsCsv csv(path, kColumns, -1);
  for (int i = 0; i < rows; ++i) csv.append({double(i), 1000.0 * (i + 1), 0.5 * i});
  return read_file(path);
}

TEST(MetricsCsv, ResumeKeepsRowsUpToTheCheckpointAndDropsTheRest) {
  const ScratchDir scratch("resume");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/metrics.csv";
  write_rows(path, 6);
  {
    MetricsCsv csv(path, kColumns, 2);
    EXPECT_EQ(read_file(path),
              "iteration,env_steps,mean_return\n"
              "0,1000,0\n"
              "1,2000,0.5\n"
              "2,3000,1\n");
    csv.append({3, 4000, 7.5});
  }
  EXPECT_EQ(read_file(path),
            "iteration,env_steps,mean_return\n"
            "0,1000,0\n"
            "1,2000,0.5\n"
            "2,3000,1\n"
            "3,4000,7.5\n");
  EXPECT_EQ(file_names(dir), (std::vector<std::string>{"metrics.csv"}));
}

TEST(MetricsCsv, ResumeWithNothingToDropKeepsTheFile) {
  const ScratchDir scratch("resume_all");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/metrics.csv";
  const std::string before = write_rows(path, 3);
  MetricsCsv csv(path, kColumns, 5);
  EXPECT_EQ(read_file(path), before);
}

TEST(MetricsCsv, ResumeDropsATornLastLine) {
  const ScratchDir scratch("torn");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/metrics.csv";
  std::ofstream(path) << "iteration,env_steps,mean_return\n0,1000,0\n1,2000,0.5\n2,30";
  MetricsCsv csv(path, kColumns, 5);
  EXPECT_EQ(read_file(path), "iteration,env_steps,mean_return\n0,1000,0\n1,2000,0.5\n");
}

TEST(MetricsCsv, ResumeWithAddedColumnsLeavesTheirOldCellsEmpty) {
  const ScratchDir scratch("added");
  const std::string path = scratch.path + "/metrics.csv";
  write_rows(path, 3);
  {
    MetricsCsv csv(path, {"iteration", "kl", "env_steps", "mean_return"}, 1);
    csv.append({2, 0.01, 3000, 4});
  }
  EXPECT_EQ(read_file(path),
            "iteration,kl,env_steps,mean_return\n"
            "0,,1000,0\n"
            "1,,2000,0.5\n"
            "2,0.01,3000,4\n");
}

TEST(MetricsCsv, ResumeRefusesToDropAColumn) {
  const ScratchDir scratch("header");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/metrics.csv";
  write_rows(path, 3);
  const std::string before = read_file(path);
  EXPECT_EQ(error_of<std::runtime_error>([&] { MetricsCsv(path, {"iteration", "env_steps", "return"}, 1); }),
            path +
                ": cannot resume: its header is 'iteration,env_steps,mean_return' but this run writes "
                "'iteration,env_steps,return' (no column 'mean_return')");
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(error_of<std::runtime_error>([&] { MetricsCsv(dir + "/absent.csv", kColumns, 1); }),
            dir + "/absent.csv: cannot read file: No such file or directory");
}

TEST(MetricsCsv, ResumeRejectsMalformedRows) {
  const ScratchDir scratch("malformed");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/metrics.csv";
  std::ofstream(path) << "iteration,env_steps,mean_return\n0,1000,0\nx,2000,0.5\n";
  EXPECT_EQ(error_of<std::runtime_error>([&] { MetricsCsv(path, kColumns, 1); }),
            path + ": line 3: cannot read the iteration from 'x'");
  std::ofstream(path) << "iteration,env_steps,mean_return\n0,1000\n";
  EXPECT_EQ(error_of<std::runtime_error>([&] { MetricsCsv(path, kColumns, 1); }),
            path + ": line 2 has 2 fields, expected 3");
}

TEST(MetricsCsv, AppendRequiresOneValuePerColumn) {
  const ScratchDir scratch("append");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/metrics.csv";
  MetricsCsv csv(path, kColumns, -1);
  EXPECT_EQ(error_of<std::invalid_argument>([&] { csv.append({0, 1}); }),
            path + ": a row of 2 values for 3 columns");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { csv.append({0, 1, 2, 3}); }),
            path + ": a row of 4 values for 3 columns");
  EXPECT_EQ(read_file(path), "iteration,env_steps,mean_return\n");
}

TEST(MetricsCsv, TheFirstColumnIsTheIteration) {
  const ScratchDir scratch("columns");
  const std::string& dir = scratch.path;
  const std::string path = dir + "/metrics.csv";
  EXPECT_EQ(error_of<std::invalid_argument>([&] { MetricsCsv(path, {"env_steps", "iteration"}, -1); }),
            path + ": the first metrics column must be 'iteration'");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { MetricsCsv(path, {"iteration", "a", "a"}, -1); }),
            path + ": metrics column 'a' appears twice");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { MetricsCsv(path, {"iteration", "a,b"}, -1); }),
            path + ": bad metrics column name 'a,b'");
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace metarl
