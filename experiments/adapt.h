// `metarl adapt`: test-time adaptation curves of trained MAML runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metarl {

struct AdaptOptions {
  std::vector<std::string> run_dirs;  // MAML and/or pretrained (maml_pretrain) runs
  std::string out_dir;                // default: the first run directory
  int64_t tasks = 40;                 // held-out tasks, the same for every run
  int64_t steps = 3;                  // adaptation steps
  uint64_t seed = 1000;               // of the held-out tasks (training uses another stream)
};

// Writes adapt.csv (policy,steps,mean_return,ci95; policy is the run
// directory's name), adapt_tasks.csv (every
// task's return after each step) and adapt.png into out_dir.
void run_adaptation(const AdaptOptions& options);

}  // namespace metarl
