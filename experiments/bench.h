// `metarl bench`: VectorEnv throughput against the raw step loop of the env's
// simulator (MuJoCo's mj_step on the same model; Box2D's Step on the same
// Sumo2D or BipedalWalker world), measured in the same run, printed as one
// JSON object per line.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "envs/core/options.h"

namespace metarl {

struct BenchConfig {
  std::vector<std::string> envs = {"HalfCheetah", "Ant"};
  Options env_options;  // for every env (e.g. frame_skip=1)
  // The env whose raw loop each env is compared with (its model or world,
  // with those of env_options it takes); empty: each env's own.
  std::string raw_env;
  std::vector<int> threads = {1, 2};
  std::vector<int> num_envs = {1, 2, 4, 8, 16, 32, 64};
  // Wall time aimed at for one timed loop; the step budget is sized from a
  // calibration run so that slow and fast envs take about as long.
  double seconds_per_loop = 0.25;
  // Each (env, threads, num_envs) is timed as this many adjacent pairs of
  // raw and vector loops (order alternating). The machine is shared and its
  // speed drifts by tens of percent over seconds; a pair sees the same
  // conditions, so the median of the per-pair ratios is the robust figure.
  int repeats = 5;
  bool blas_check = true;
  // "vector": VectorEnv vs raw loop; "rollout": Sampler with a batched 64x64
  // Gaussian MLP policy vs raw loop; "ppo": where one PPO iteration's time
  // goes; "layout": the same env steps as many envs with few steps each (the
  // MAML trainer's batch: one env per task and episode) against few envs
  // with many steps, pairs of the first two num_envs (default 800 and 40).
  std::string mode = "vector";
};

void run_bench(const BenchConfig& config, std::ostream& out);

}  // namespace metarl
