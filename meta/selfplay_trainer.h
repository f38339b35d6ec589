// Self-play (Bansal et al. 2018, /work/shared/ANCHORS.md §3): PPO for the
// learner in a two-agent match env (envs/core/match.h) against opponents
// drawn per episode from its own past versions (meta/opponent_pool.h),
// with the env's dense shaping reward annealed from weight 1 to 0.
//
// Per episode, by rounds: an iteration's batch is rounds of one whole
// episode per env (Sampler::collect_episodes, from reset), until at least
// TrainerConfig::steps_per_iteration learner steps are collected. Before
// each round every env gets a freshly drawn opponent version, and the envs
// are grouped by version into one Actor each (one batched call per version
// per step). So each episode has its own draw without teaching the Sampler
// to swap actors mid-rollout, no opponent is ever mid-episode at an
// iteration's end (the checkpoint holds no opponent state), and recurrent
// opponents start each episode from their initial state. The price: an env
// whose episode ended early idles (masked) until the round's last ends.
//
// Seats: when both agents have the same spaces (the same robot kind) the
// learner plays agent 0 in the even envs and agent 1 in the odd ones — one
// shared policy learns both sides — and the opponent the other seat. When
// they differ the learner is agent 0 and agent 1 is a fixed opponent
// (FixedOpponent: random_policy, or another run's policy; no pool). A fixed
// opponent may also play agents of one kind.
//
// Recurrent layout: rounds are stacked in time, so an LSTM's PPO minibatches
// (whole env columns) are at most num_envs; rounds side by side would vary
// the number of columns, which PolicyGradientTrainer's per-column reward
// scaling state does not allow.
//
// RL² in competition (trial_episodes > 0, an LSTM policy with the Sampler's
// RL² inputs: previous reward and episode-start flag): a trial is that many
// consecutive rounds, through which the learner keeps its memory (recurrent
// state and last reward carried from each env's episode to its next;
// Sampler::collect_episodes with continue_trial). Each env's opponent is
// drawn at the trial's start and advances one version a round (v, v + 1,
// …, at most the newest; a mixed or fixed player stays), as a game's
// opponent does (experiments/game.h) and as the meta-learner's chains do
// (meta/opponent_chains.h). An iteration holds whole trials, so no memory
// outlives it; its rounds are compacted in time (compact_in_time), each
// env's episodes back to back as the learner lived them. Advantages stay
// per match (the episode ends cut GAE): with γ = 0.995 a reward 500 steps
// on weighs 0.08, so a trial-long return would change little. The versions
// (RL² players too) restart their memory every match.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agents/trainer.h"
#include "envs/core/match.h"
#include "meta/opponent_pool.h"

namespace metarl {

struct SelfplayConfig {
  double opponent_delta = 0.5;  // versions in [δ·v, v]; 1: the newest only
  int64_t snapshot_every = 1;   // iterations between versions
  // The dense weight falls linearly from 1 to 0 over this fraction of
  // total_env_steps, then stays 0; 0 never anneals (weight 1 throughout).
  double dense_anneal_fraction = 0.5;
  int64_t total_env_steps = 0;
  int64_t trial_episodes = 0;  // > 0: RL², trials of this many rounds (needs TrainerConfig::trial_inputs)
};

// An opponent that is not the learner's pool: a fixed policy for agent 1's
// spaces (random_policy below, or one loaded from another run) and its
// observation normaliser (null: it sees raw observations). Read-only.
struct FixedOpponent {
  std::unique_ptr<Policy> policy;  // null: the pool plays
  std::unique_ptr<RunningNormalizer> normalizer;
};

// A fixed player mixed into the pool's draws: each episode's opponent is
// this player with `probability`, else a version (or another mixed player).
// Versions only come at the learner, so a pure self-play learner never has
// to chase a player that does not, nor dodge one that charges blindly
// (docs/RESULTS.md, issue 21); no mixed players is pure self-play.
struct MixedOpponent {
  std::string name;  // names its metrics (win_rate_vs_NAME)
  FixedOpponent player;
  double probability = 0;
};

// The dense-reward weight after `env_steps` of `total_env_steps`.
double dense_weight_at(int64_t env_steps, int64_t total_env_steps, double anneal_fraction);

// Who plays which row, for each env j (both vectors indexed by env).
struct SelfplaySeats {
  bool same_kind = false;  // both agents have the same spaces: the learner alternates seats
  std::vector<int64_t> learner_rows, opponent_rows;
};
// Throws std::invalid_argument naming the env unless every env is a
// two-agent MatchEnv whose info rows start with match_info_names().
SelfplaySeats selfplay_seats(const VectorEnv& env);

// The learner's results over the episodes that ended in `batch` (masked
// steps where episode_end is 1), read from its match info terms.
struct MatchOutcomes {
  int64_t episodes = 0, won = 0, lost = 0, drew = 0;
  int64_t lost_fell = 0, lost_pushed_out = 0;  // how the lost ones were lost
  int64_t time_up = 0;                          // ended by the time limit
  double rate(int64_t count) const;  // count / episodes, NaN without episodes
  MatchOutcomes& operator+=(const MatchOutcomes& other);
};
MatchOutcomes match_outcomes(const EpisodeBatch& batch);
// The same over the envs (columns of the batch) where `envs` [N] is true.
MatchOutcomes match_outcomes(const EpisodeBatch& batch, const torch::Tensor& envs);

// A fixed policy for an agent with `action` space: means at the box's
// centres, standard deviations those of the uniform distribution over it
// (half-width / √3), independent of the observation; the Sampler clips its
// samples to the box. A Gaussian, not uniform: it fits the Actor/Policy
// interface as it is. Throws for an unbounded box.
std::unique_ptr<Policy> random_policy(int obs_dim, const Box& action);

// One Actor per distinct version in `versions` (versions[j] plays
// opponent_rows[j]), in increasing version order, each acting with `policy`
// and that version's parameters and normaliser (with the RL² inputs when
// `trial_inputs`).
std::vector<Actor> opponent_actors(const OpponentPool& pool, const Policy& policy, const std::vector<int64_t>& versions,
                                   const std::vector<int64_t>& opponent_rows, bool trial_inputs = false);

class SelfplayTrainer : public PolicyGradientTrainer {
 public:
  // `config` is PPO's batch and advantages settings (fixed_episodes is
  // ignored: self-play always collects rounds of whole episodes). Without a
  // `fixed` opponent the pool plays, which needs agents of one kind, with
  // the `mixed` players beside it (their probabilities sum to at most 1).
  // The pool is the trainer's own, saved in its checkpoint, unless
  // `shared_pool` is given: then it adds its versions to that pool and
  // draws from it, and whoever owns the pool saves it (SelfplayEnsemble).
  SelfplayTrainer(VectorEnv& env, std::unique_ptr<Policy> policy, const TrainerConfig& config,
                  const LearnerFactory& learner, uint64_t seed, int64_t total_iterations,
                  const SelfplayConfig& selfplay, FixedOpponent fixed = {},
                  std::vector<MixedOpponent> mixed = {}, OpponentPool* shared_pool = nullptr);

  Metrics run_iteration() override;
  const OpponentPool& pool() const { return pool_; }
  const SelfplaySeats& seats() const { return seats_; }

 protected:
  EpisodeBatch collect_batch() override;
  Metrics batch_metrics(const EpisodeBatch& batch) const override;
  void save_extra(torch::serialize::OutputArchive& archive) const override;
  void load_extra(torch::serialize::InputArchive& archive) override;

 private:
  // Each env's opponent for a round: a version or a mixed player drawn for
  // each (as OpponentPool::draw_mixed gives them), or, continuing an RL²
  // trial, `draws` with each version advanced by one (at most the newest);
  // empty with the fixed opponent.
  std::vector<int64_t> draw_opponents(const std::vector<int64_t>& draws, bool continue_trial);
  // The actors of those draws: envs grouped by version (opponent_actors) and
  // by mixed player; or the fixed opponent in every env (`draws` empty).
  std::vector<Actor> opponent_actors_of(const std::vector<int64_t>& draws);

  SelfplayConfig selfplay_;
  SelfplaySeats seats_;
  std::vector<MatchEnv*> match_envs_;
  OpponentPool own_pool_;  // unused with a shared pool
  OpponentPool& pool_;     // own_pool_ or the shared one
  FixedOpponent fixed_;
  std::vector<MixedOpponent> mixed_;
  std::vector<double> mixed_probabilities_;  // mixed_'s, for OpponentPool::draw_mixed
  // This iteration's, for its metrics. With mixed players, the learner's
  // outcomes against the pool's versions, then against each mixed player.
  std::vector<MatchOutcomes> outcomes_by_opponent_;
  double dense_weight_ = 1;
  int64_t rounds_ = 0;
  int64_t pool_size_ = 0;
  double opponent_version_sum_ = 0;
  int64_t opponent_draws_ = 0;
};

}  // namespace metarl
