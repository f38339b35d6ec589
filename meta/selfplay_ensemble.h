// An ensemble of self-play learners (Bansal et al. 2018, §5.3): K policies,
// each trained by its own SelfplayTrainer (PPO, its own value function,
// optimiser and normalisers), against opponents drawn from one pool that
// holds every member's past versions. Bansal et al. found that learners
// trained in an ensemble do better against opponents they never met than
// one learner against its own history: a member must beat K styles of play,
// not one.
//
// The members take turns, one iteration each in a fixed order, on one
// VectorEnv (self-play's rounds start every episode from reset, so a member
// never inherits another's episode). Each member's schedules (learning-rate
// and dense-weight annealing) run over its share of the budget: 1/K of the
// iterations and env steps. The pool's versions are numbered in the order
// they were added, members interleaved, so δ keeps the recent ones of all.
//
// Member 0 is the run's policy: the checkpoint's "policy" and
// "obs_normalizer" records, what players (`metarl match`) and `metarl
// reduce` read, are its; each member's whole state is a nested archive
// ("member0", "member1", ...), beside the shared pool ("selfplay_pool").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agents/iterative_trainer.h"
#include "meta/selfplay_trainer.h"

namespace metarl {

class SelfplayEnsemble : public IterativeTrainer {
 public:
  // One member per policy in `policies` (at least 2, one architecture),
  // each with its `mixed` players (mixed[k] for member k; empty or one list
  // per member). `total_iterations` and `selfplay.total_env_steps` are the
  // whole run's, shared out equally.
  SelfplayEnsemble(VectorEnv& env, std::vector<std::unique_ptr<Policy>> policies, const TrainerConfig& config,
                   const LearnerFactory& learner, uint64_t seed, int64_t total_iterations,
                   const SelfplayConfig& selfplay, std::vector<std::vector<MixedOpponent>> mixed = {});

  // Member iteration() % K's iteration; its metrics with the ensemble's
  // iteration and env steps, and `member`.
  Metrics run_iteration() override;
  int64_t iteration() const override;
  int64_t env_steps() const override;
  Policy& policy() override { return members_.front()->policy(); }
  void save_checkpoint(const std::string& path) const override;
  void load_checkpoint(const std::string& path) override;

  int64_t size() const { return int64_t(members_.size()); }
  SelfplayTrainer& member(int64_t k) { return *members_.at(size_t(k)); }
  const OpponentPool& pool() const { return pool_; }

 private:
  OpponentPool pool_;
  std::vector<std::unique_ptr<SelfplayTrainer>> members_;
};

}  // namespace metarl
