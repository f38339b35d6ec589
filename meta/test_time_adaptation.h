// Test-time adaptation as `metarl adapt` evaluates it: interfaces that a
// trainer implements when its runs adapt at test time, so that the evaluation
// never asks which algorithm trained a run. MAML (and its pretrained
// baseline) adapts on fresh tasks and along chains, Reptile on fresh tasks,
// RL² (a recurrent policy trained on trials) along chains only.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "agents/params.h"
#include "agents/sampler.h"
#include "envs/core/task.h"

namespace metarl {

// Test-time adaptation produced non-finite policy parameters (a step size
// too large for the task: a sweep can skip it and go on).
struct AdaptationDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What every adaptable run has: the tasks it is evaluated on and the state it adapts from.
class AdaptableRun {
 public:
  virtual ~AdaptableRun() = default;
  // The family of the run's tasks; held-out tasks or chains are drawn from it.
  virtual const TaskFamily& family() const = 0;
  // Reads what adaptation needs from a checkpoint of the run, full or
  // evaluation-only (read_checkpoint_for_evaluation, agents/checkpoint.h).
  virtual void load_for_adaptation(const std::string& checkpoint) = 0;
  // The records load_for_adaptation reads (keys, or prefixes of numbered
  // tensors): what `metarl reduce` keeps. Kept next to it in each trainer.
  virtual std::vector<std::string> records_for_adaptation() const = 0;
  // Reseeds the envs and the action noise: evaluations started from the same
  // seed see the same randomness until their policies differ.
  virtual void reseed(uint64_t seed) = 0;
};

// Adaptation on fresh tasks by a few steps (`metarl adapt --steps`).
class TaskAdapter : public virtual AdaptableRun {
 public:
  // For each task, the mean return of its episodes after 0, 1, ..., steps
  // adaptation steps: [task][step]. step_size > 0 replaces the trained step
  // sizes (a test-time sweep). AdaptationDiverged when the parameters do.
  virtual std::vector<std::vector<double>> adaptation_returns(const std::vector<Task>& tasks, int64_t steps,
                                                              double step_size) = 0;
};

// Adaptation along chains of consecutive episodes (`metarl adapt --chain`).
class ChainAdapter : public virtual AdaptableRun {
 public:
  // Whether its own adaptation takes a step size (else --inner-lr sweeps do not apply).
  virtual bool adapts_by_steps() const = 0;
  // The other protocols it is compared with along chains, as suffixes of its
  // label (":no_adaptation", ...); with theta_episodes, the diagnostics too.
  virtual std::vector<std::string> chain_baselines(bool theta_episodes) const = 0;
  // [chain][episode] returns along `chains` of `episodes` episodes, each
  // adaptation on the chain's last `history` episodes. protocol: "" (its own
  // adaptation, step_size > 0 replacing the trained ones) or one of
  // chain_baselines(). AdaptationDiverged when the parameters do.
  virtual std::vector<std::vector<double>> chain_curve(const std::vector<Task>& chains, int64_t episodes,
                                                       int64_t history, const std::string& protocol,
                                                       double step_size) = 0;
};

// Adaptation from episodes the agent played itself, one set at a time (the
// meta-learned update between the rounds of a game, experiments/game.h).
class EpisodeAdapter : public virtual AdaptableRun {
 public:
  // The policy's parameters (as Policy::parameters() lays them out) adapted
  // by its own update on `episodes`, all of them one task's, acted by any
  // policy (their log_probs weight them). acted_by_adapted: some were acted
  // by an adapted policy. AdaptationDiverged when the parameters do.
  virtual Params adapted_parameters(const EpisodeBatch& episodes, bool acted_by_adapted) const = 0;
};

}  // namespace metarl
