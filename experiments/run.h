// `metarl run`: trains one experiment described by a YAML file and writes its
// output directory (config.yaml, metrics.csv, summary.json, checkpoints/,
// plots/). Running again on the same directory resumes from its checkpoint.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace metarl {

struct RunOptions {
  std::string experiment_path;
  std::string out_dir;                 // empty: out/<experiment name>
  std::vector<std::string> overrides;  // "key.path=value"
  std::optional<int64_t> seed;
  std::optional<int64_t> threads;
  // Stop after this many iterations in this process (0: run to the end). For
  // tests of resuming, and to split long runs across sessions.
  int64_t max_iterations = 0;
};

// Returns the output directory.
std::string run_experiment(const RunOptions& options);

}  // namespace metarl
