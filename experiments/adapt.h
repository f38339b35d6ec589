// `metarl adapt`: test-time adaptation curves of trained runs; `metarl reduce`:
// their checkpoints cut to what adapt reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metarl {

struct AdaptOptions {
  std::vector<std::string> run_dirs;  // MAML, pretrained (maml_pretrain) and RL² runs
  std::string out_dir;                // default: the first run directory
  int64_t tasks = 40;                 // held-out tasks, the same for every run
  int64_t steps = 3;                  // adaptation steps
  uint64_t seed = 1000;               // of the held-out tasks (training uses another stream)
  // Non-empty: the task family the runs are evaluated on instead of their
  // own, one of the same env (held-out terrains: HalfCheetahHill for runs
  // trained on HalfCheetahRamps).
  std::string family;
  // key=value options set on the runs' task family, e.g. split=test for the
  // held-out leg pairs of the crippled-legs families.
  std::vector<std::string> family_options;
  // > 0: continual adaptation along chains of this many consecutive episodes
  // (`tasks` chains) instead of adaptation steps on fresh tasks.
  int64_t chain_episodes = 0;
  int64_t history = 3;  // chains: the last episodes each adaptation reuses
  // Chains: also each run adapted as in training, from θ on `history`
  // episodes θ itself runs at the current position (run:theta_episodes), to
  // tell the learned step from the test-time protocol.
  bool theta_episodes = false;
  // Non-empty: evaluate every run once per test-time step size given here
  // (label RUN:lr=X) instead of with its trained step sizes; along chains,
  // the adaptation from θ (no adaptation and tracking are reported once).
  std::vector<double> inner_lrs;
  int threads = 0;  // LibTorch and OpenBLAS threads; 0: their defaults
};

// Writes adapt.csv (policy,steps,mean_return,ci95; policy is the run
// directory's name, ci95 the half-width of the 95% interval over tasks,
// experiments/stats.h), adapt_tasks.csv (every task's return after each
// step) and adapt.png into out_dir. With chain_episodes: adapt_chain.csv
// (policy,episode,mean_return,ci95; each run three times: adapted from θ on
// the chain's last episodes, "<run>:no_adaptation" and "<run>:tracking",
// PPO continued from the current parameters), adapt_chain_tasks.csv and
// adapt_chain.png. RL² runs (ppo with env.trial_episodes) are evaluated on
// chains only: one trial per chain, the return of each of its episodes.
void run_adaptation(const AdaptOptions& options);

// `metarl reduce`: rewrites each checkpoint (a run directory's latest.pt, or
// RUN/checkpoints/NAME.pt) as an evaluation-only checkpoint holding what
// run_adaptation reads of it and nothing else (agents/checkpoint.h): the
// same adaptation numbers, a fraction of the size, and no resuming from it.
// For finished runs that are kept to be evaluated (experiments/results/README.md).
// A run that adapt does not evaluate is refused, naming it.
void reduce_checkpoints(const std::vector<std::string>& runs);

}  // namespace metarl
