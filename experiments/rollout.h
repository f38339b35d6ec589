// `metarl rollout`: episodes on a VectorEnv, one task per env, reporting
// episode returns per task and overall throughput; by default with uniformly
// random actions, or with a trained player (a run, a checkpoint, or
// mean:RUN for its mean action: how a trained policy does without its noise).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "envs/core/options.h"

namespace metarl {

struct RolloutConfig {
  std::string env = "HalfCheetah";
  std::string player;  // empty: uniformly random actions; else a load_player spec (experiments/players.h)
  std::string family;  // empty: the env's default task
  Options env_options;
  Options family_options;
  int num_envs = 8;
  int threads = 2;
  int episodes_per_env = 2;
  uint64_t seed = 0;
};

// Prints one JSON object per task, then a summary object.
void run_rollout(const RolloutConfig& config, std::ostream& out);

}  // namespace metarl
