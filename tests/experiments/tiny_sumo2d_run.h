// Tiny runs of experiments/sumo/sumo2d.yaml (self-play PPO, two iterations
// of a few steps), sumo2d_rl2.yaml (RL² in self-play) and sumo2d_meta.yaml
// (competitive meta-training, two iterations), for tests that need a run as
// a player.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "experiments/run.h"

namespace metarl {

// Trains experiments/`experiment` with `overrides` and one thread into
// TempDir/metarl_<name>_<pid>/run (removed first) and returns that run's directory.
inline std::filesystem::path tiny_run(const std::string& name, const std::string& experiment,
                                      std::vector<std::string> overrides) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / ("metarl_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  RunOptions run;
  run.experiment_path = std::string(METARL_SOURCE_DIR) + "/experiments/" + experiment;
  run.out_dir = (dir / "run").string();
  run.overrides = std::move(overrides);
  run.threads = 1;
  run_experiment(run);
  return dir / "run";
}

inline std::filesystem::path tiny_sumo2d_run(const std::string& name) {
  return tiny_run(name, "sumo/sumo2d.yaml",
                  {"env.num_envs=2", "env.options.max_episode_steps=12", "algorithm.steps_per_iteration=24",
                   "algorithm.minibatches=2", "training.total_env_steps=48"});
}

// RL² in self-play (sumo2d_rl2.yaml), trials of two rounds, two iterations.
inline std::filesystem::path tiny_sumo2d_rl2_run(const std::string& name) {
  return tiny_run(name, "sumo/sumo2d_rl2.yaml",
                  {"env.num_envs=2", "env.trial_episodes=2", "env.options.max_episode_steps=12",
                   "algorithm.steps_per_iteration=24", "algorithm.minibatches=2", "training.total_env_steps=60"});
}

// The competitive meta-learner, its first inner steps scaled to move the
// policy by `inner_kl` nats (more than its file's: so that adapting shows in
// a few matches).
inline std::filesystem::path tiny_sumo2d_meta_run(const std::string& name, double inner_kl) {
  return tiny_run(name, "sumo/sumo2d_meta.yaml",
                  {"algorithm.tasks_per_batch=2", "algorithm.episodes_per_task=2", "algorithm.minibatches=1",
                   "env.options.max_episode_steps=12", "training.total_env_steps=60",
                   "algorithm.initial_inner_kl=" + std::to_string(inner_kl)});
}

}  // namespace metarl
