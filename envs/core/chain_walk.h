// Random walks along a chain of episodes, for task families whose task
// drifts from each episode of a chain to the next (continual adaptation's
// sanity chains). A task carries its walk as a parameter `walk` = k / 2^20
// for an integer k, in [0, 1) like the other parameters (a regression on
// task features stays well conditioned); k seeds the walk's steps. The
// held-out split's walks (odd k) are never drawn for training (even k).
#pragma once

#include <cmath>
#include <string>

#include "envs/core/error.h"
#include "envs/core/options.h"
#include "envs/core/rng.h"
#include "envs/core/task.h"

namespace metarl {

class ChainWalk {
 public:
  // Options: options() (split, episodes), resolved.
  ChainWalk(const std::string& family, const Options& options) {
    split_ = options.get_string(family, "split");
    episodes_ = options.get_int(family, "episodes");
  }
  // The options of a family's entry that the walk reads.
  static OptionSpecs options() {
    return {string_option("split", "train", "walks drawn: train (even), test (odd, held out) or all")
                .one_of({"train", "test", "all"}),
            int_option("episodes", 7, "chain positions the walk covers (later episodes keep the last)").at_least(1)};
  }

  // A walk of the split, for a new task.
  double sample(Rng& rng) const {
    double k = std::floor(rng.uniform() * kWalks);
    if (split_ != "all") k = 2 * std::floor(k / 2) + (split_ == "test" ? 1 : 0);
    return k / kWalks;
  }
  // The generator of `task`'s steps.
  static Rng steps_of(const Task& task) { return Rng(derive_seed(uint64_t(task.get("walk") * kWalks), 0x6a1c)); }
  int episodes() const { return episodes_; }

 private:
  static constexpr double kWalks = 1 << 20;
  std::string split_;
  int episodes_;
};

}  // namespace metarl
