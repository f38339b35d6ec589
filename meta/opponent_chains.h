// The tasks of competitive meta-training (Al-Shedivat et al. 2018 §5.3,
// ANCHORS §3): a task is an opponent that changes from one round of
// matches to the next, as an opponent does while it trains. The opponents
// are the learner's own past versions (self-play): the learner's parameters
// become a new version every `snapshot_every` iterations, version 0 being
// the initial policy.
//
// Each iteration every task draws its first version v uniformly from all
// versions so far (the paper's "at iteration k the opponent's version is
// drawn from U[1, k]"); its round s is played against version min(v + s,
// newest). So the inner steps adapt on round 0's matches against v and the
// outer objective is taken on round 1's against v + 1: adapt to this
// opponent, then do well against its next version. A draw of the newest
// version plays it in every round.
//
// Envs belong to tasks in blocks of `per_task` (env i to task i / per_task),
// as MamlTrainer lays them out; the learner plays seat j % 2 of env j (both
// seats of a task with an even per_task) and the version the other. The
// match envs' dense shaping weight is annealed from 1 to 0 over the first
// dense_anneal_fraction of total_env_steps, as in self-play.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/policy.h"
#include "agents/sampler.h"
#include "envs/vector_env.h"
#include "meta/opponent_pool.h"
#include "meta/selfplay_trainer.h"

namespace metarl {

struct OpponentChainsConfig {
  int64_t snapshot_every = 1;  // iterations between versions
  double dense_anneal_fraction = 0.5;
  int64_t total_env_steps = 0;
};

class OpponentChains {
 public:
  // `env` must be a two-agent match env with agents of one kind.
  OpponentChains(VectorEnv& env, int64_t per_task, const OpponentChainsConfig& config, uint64_t seed);

  const SelfplaySeats& seats() const { return seats_; }

  // Snapshots `params` as the newest version (detached copies).
  void add_version(const Params& params);
  // Draws each of `tasks` tasks' first version for this iteration and sets
  // the envs' dense weight for `env_steps` steps of training so far.
  void begin_iteration(int64_t tasks, int64_t env_steps);
  // The version task t meets in round s of this iteration.
  int64_t version(int64_t task, int64_t round) const;
  // The opponents of round s: one Actor per distinct version, acting with
  // `policy` (the learner's, a version's parameters) for the rows of the
  // envs of the tasks that meet it.
  std::vector<Actor> actors(int64_t round, const Policy& policy) const;
  // After iteration `iteration` (counted from 1): the learner's `params`
  // become the newest version every snapshot_every iterations.
  void end_iteration(int64_t iteration, const Params& params);

  const std::vector<int64_t>& first_versions() const { return first_; }
  int64_t newest() const { return pool_.newest(); }
  int64_t size() const { return pool_.size(); }
  double dense_weight() const { return dense_weight_; }

  // The versions and the draws' generator, under `prefix`.
  void save(torch::serialize::OutputArchive& archive, const std::string& prefix) const;
  void load(torch::serialize::InputArchive& archive, const std::string& prefix);

 private:
  VectorEnv& env_;
  int64_t per_task_;
  OpponentChainsConfig config_;
  SelfplaySeats seats_;
  OpponentPool pool_;  // δ = 0: every version stays drawable
  std::vector<int64_t> first_;
  double dense_weight_ = 1;
};

}  // namespace metarl
