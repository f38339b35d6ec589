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
  // Options: split (train | test | all, default train), episodes (7: the
  // chain positions the walk covers; later episodes keep the last).
  ChainWalk(const std::string& family, const Options& options) {
    split_ = options.get_string(family, "split", "train");
    episodes_ = options.get_int(family, "episodes", 7);
    if (split_ != "train" && split_ != "test" && split_ != "all")
      throw_env_error(family, ": split must be train, test or all, got '", split_, "'");
    if (episodes_ < 1) throw_env_error(family, ": episodes must be >= 1, got ", episodes_);
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
