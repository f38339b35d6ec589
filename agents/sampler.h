// Rollout sampler: steps a VectorEnv with one batched policy call per actor
// per step (never one per env) and returns the learner's EpisodeBatch laid
// out [T, N], N the learner's rows.
//
// Actors: the learner (the policy the sampler is built with, acting with the
// parameters each collect call passes) acts for its rows of the VectorEnv —
// by default agent 0 of every env, which for one-agent envs is every row.
// In envs with several agents the other rows are played by opponents
// (set_opponents): each a policy with its parameters and normaliser, acting
// for a set of rows, e.g. one frozen opponent for every env or a pool with
// one per env. Only the learner's rows enter the batch and the learner's
// normaliser; opponents' normalisers are read, never updated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/communicator.h"
#include "agents/normalizer.h"
#include "agents/policy.h"
#include "envs/vector_env.h"

namespace metarl {

struct EpisodeBatch {
  // [T, N, obs_dim]: observations as the policy saw them (normalised when a
  // normaliser is used), and the observation after each step (the final
  // observation where an episode ended there), normalised the same way.
  torch::Tensor observations, next_observations;
  torch::Tensor actions;    // [T, N, act_dim] as sampled (before clipping to the action space)
  torch::Tensor log_probs;  // [T, N] under the parameters that acted
  torch::Tensor rewards;    // [T, N] as the env returned them
  // [T, N] floats, 0 or 1:
  torch::Tensor terminated;      // s_{t+1} is terminal
  torch::Tensor truncated;       // the time limit ended the episode at t
  torch::Tensor episode_end;     // terminated or truncated
  // obs at t is the first of its episode: the recurrent state restarts there.
  // For an RL² learner that carries its memory across episodes (Sampler's
  // trial inputs, collect_episodes), only where its trial starts.
  torch::Tensor episode_starts;
  torch::Tensor masks;           // step t belongs to the batch (0: padding after an env's episode)
  torch::Tensor timesteps;       // [T, N] index of step t within its episode
  torch::Tensor infos;           // [T, N, info_dim], names in info_names
  std::vector<std::string> info_names;
  PolicyState initial_state;  // recurrent state before t = 0

  // Episodes that ended inside the batch (masked steps only).
  std::vector<double> episode_returns;
  std::vector<int64_t> episode_lengths;
  std::vector<int64_t> episode_envs;  // which env each of those episodes ran in

  int64_t horizon() const { return rewards.size(0); }
  int64_t num_envs() const { return rewards.size(1); }
  int64_t env_steps() const { return static_cast<int64_t>(masks.sum().item<double>()); }

  // Every [T, N, ...] tensor of the batch (observations ... infos), in a fixed
  // order: one list for code that slices or converts them all.
  std::vector<torch::Tensor*> step_tensors() {
    return {&observations, &next_observations, &actions,        &log_probs, &rewards, &terminated,
            &truncated,    &episode_end,       &episode_starts,   &masks,     &timesteps, &infos};
  }
  std::vector<const torch::Tensor*> step_tensors() const {
    auto fields = const_cast<EpisodeBatch*>(this)->step_tensors();
    return {fields.begin(), fields.end()};
  }

  // The columns [begin, begin + count) of the batch (one task's envs), with
  // the episodes that ran there (env indices renumbered from 0).
  EpisodeBatch select_envs(int64_t begin, int64_t count) const;
  // The columns `envs`, in that order (column j of the result is column
  // envs[j]), with the episodes that ran there (in their original order,
  // env indices renumbered to the new columns). Tensors the batch leaves
  // undefined stay undefined.
  EpisodeBatch select_envs(const std::vector<int64_t>& envs) const;
};

// Several batches of the same envs and horizon side by side, env by env:
// column i * B + b of the result is column i of batches[b] (B batches). So
// env i's episodes from B sampling rounds form group i, as the grouped
// learners expect (e.g. the last few episodes of each chain at test time).
EpisodeBatch interleave_envs(const std::vector<EpisodeBatch>& batches);

// Batches of the same envs one after the other in time: step t of
// batches[1] is step T0 + t of the result (T0 the first's horizon). For
// rounds of fixed episodes (collect_episodes), each starting from reset:
// every round's first step is an episode start, so recurrent policies reset
// there, and the masked steps after an env's episode keep the rounds apart.
// The initial state is the first batch's; episodes keep their env columns.
EpisodeBatch concatenate_in_time(const std::vector<EpisodeBatch>& batches);

// `batch` with each env's (column's) masked steps moved after its unmasked
// ones, the order otherwise kept. Rounds of fixed episodes concatenated in
// time become each env's episodes back to back, as an RL² learner carrying
// its memory across them saw them (its state stood still through the masked
// steps): evaluating the result reproduces the states it acted with.
EpisodeBatch compact_in_time(const EpisodeBatch& batch);

// `batch` extended to `horizon` steps (at least its own) by padding that is
// masked and zero everywhere, so that rounds of fixed episodes that ended at
// different times can stand side by side (interleave_envs).
EpisodeBatch pad_in_time(const EpisodeBatch& batch, int64_t horizon);

// RL² players (Duan et al. 2016; the recurrent baseline of Al-Shedivat et
// al. 2018): a policy that also sees, after its agent's observation, the
// previous step's reward (0 where its memory starts) and a flag that is 1 on
// the first step of every episode. The Sampler appends these kTrialInputs
// inputs for such a player, so the env's rows stay what the others see.
constexpr int kTrialInputs = 2;

// What an RL² learner carries from the end of each env's episode in one
// collect_episodes into the next: its recurrent state and the last reward
// it saw, by env (the learner's columns).
struct TrialMemory {
  PolicyState state;
  torch::Tensor previous_rewards;  // [N]
};

// A policy with its parameters acting for `rows` of a VectorEnv. The rows
// must belong to agents of one size; `normalizer` may be null. `record`: the
// sampler keeps this opponent's own batch too (Sampler::opponent_batch), for
// players that learn from their side of a match (tracking in a tournament).
struct Actor {
  const Policy* policy = nullptr;
  Params params;
  const RunningNormalizer* normalizer = nullptr;
  std::vector<int64_t> rows;
  bool record = false;
  // An RL² player (kTrialInputs inputs appended); an opponent's memory
  // restarts with every episode.
  bool trial_inputs = false;
};

struct SamplerTimes {
  double env_seconds = 0;     // inside VectorEnv::step / reset
  double policy_seconds = 0;  // policy forward and action sampling
  double other_seconds = 0;   // copies into the batch, normalisation
};

class Sampler {
 public:
  // `normalizer` may be null; when given and `update_normalizer` is true it is
  // updated with every batch's raw observations of the learner's rows after
  // the batch is collected. `learner_rows` empty: agent 0 of every env.
  // `trial_inputs`: the learner is an RL² player (its policy takes
  // kTrialInputs inputs after its agent's observation).
  Sampler(VectorEnv& env, const Policy& policy, uint64_t seed, RunningNormalizer* normalizer = nullptr,
          bool update_normalizer = true, std::vector<int64_t> learner_rows = {}, bool trial_inputs = false);

  // The actors of every row the learner does not play; together with the
  // learner's rows they must cover each row exactly once (checked here).
  // Takes effect at the next step; their recurrent state starts afresh.
  void set_opponents(std::vector<Actor> opponents);
  const std::vector<int64_t>& learner_rows() const { return learner_rows_; }

  // Continuing rollouts: `steps` steps from where the envs are (they are
  // reset before the first batch); episodes run across batches.
  EpisodeBatch collect(int64_t steps, const Params& params);
  // Fixed episodes: resets every env and runs until each has finished one
  // episode or `horizon` steps passed (envs where only opponents play too);
  // steps after an env's episode are masked.
  //
  // An RL² learner (trial_inputs) keeps its memory through an env's masked
  // steps: its recurrent state and previous reward stay as its episode ended
  // them (trial_memory). With `continue_trial` it starts from there instead
  // of afresh — the envs are reset as always — so its memory runs across
  // the episodes of consecutive calls (a trial), and the batch's
  // episode_starts mark only a trial's first step. Without trial inputs
  // continue_trial is refused.
  EpisodeBatch collect_episodes(int64_t horizon, const Params& params, bool continue_trial = false);
  // An RL² learner's memory at the end of the last collect_episodes, and the
  // memory the next collect_episodes with continue_trial starts from (a
  // game carries it from one round's Sampler to the next).
  const TrialMemory& trial_memory() const;
  void set_trial_memory(TrialMemory memory);
  // The same with one parameter set per group of envs: the N envs split into
  // `groups` contiguous groups of equal size (MAML: one group per task,
  // acting with that task's adapted parameters); `stacked` holds the groups'
  // parameters along a leading dimension (stack_params).
  EpisodeBatch collect_episodes_grouped(int64_t horizon, const Params& stacked, int64_t groups);

  // The last collect's batch of opponent k (set_opponents' order), laid out
  // as the learner's ([T, R], R its rows, its observations as its
  // normaliser gives them; each row masked as its env's episode is),
  // when that opponent was set with `record`. Its normaliser is not updated.
  const EpisodeBatch& opponent_batch(size_t k) const;

  const SamplerTimes& times() const { return times_; }
  void reset_times() { times_ = {}; }

  // Everything needed to continue sampling exactly (for checkpoints),
  // recurrent opponents' states included; the VectorEnv's own state and the
  // opponents themselves are saved separately: set the same opponents before
  // load_state.
  std::vector<torch::Tensor> state() const;
  void load_state(const std::vector<torch::Tensor>& state);
  // Several processes sharing one batch (agents/communicator.h): every
  // process draws the learner's action noise for all `drawn_rows` learner
  // rows of their envs together, and this one acts on rows [first_row,
  // first_row + its rows), the noise its envs would get in one process;
  // the normaliser, when this sampler updates one, is updated with every
  // process's observations.
  void share_batch(const Communicator& processes, int64_t drawn_rows, int64_t first_row);
  // Draws and drops `steps` steps of that noise: a process whose envs ended
  // their episodes before another's keeps the same stream as the others
  // (the batch of one process runs to the last env's end).
  void skip_noise(int64_t steps);

  // Restarts the action noise from `seed` (evaluations that compare policies
  // on the same noise).
  void reseed(uint64_t seed) { generator_.set_current_seed(seed); }

 private:
  // `params` for every env, or `stacked` (stack_params) split over `groups`.
  EpisodeBatch run(int64_t steps, const Params& params, const Params& stacked, int64_t groups, bool single_episode,
                   bool continue_trial = false);
  torch::Tensor policy_input(const torch::Tensor& raw) const;
  bool uses_trial_inputs() const;  // the learner or an opponent is an RL² player
  // previous_rewards_ after a step: `rewards`, `ended`, `acting` (the row's env was in its episode) by row.
  void update_previous_rewards(const torch::Tensor& rewards, const torch::Tensor& ended, const torch::Tensor& acting,
                               bool keeps_learner_memory);
  // Resets the envs and every player's memory (the learner's too unless `keep_learner_memory`).
  void begin_fresh_episodes(bool keep_learner_memory = false);
  // The learner's rows of a [rows, ...] tensor, [N, ...] (no copy when it plays every row).
  torch::Tensor learner_part(const torch::Tensor& all_rows) const;
  // Each opponent's actions for the current observations, written into `actions` [rows, act_dim].
  void act_opponents(torch::Tensor& actions);

  struct Opponent {
    Actor actor;
    torch::Tensor rows;  // long
    int64_t obs_dim = 0, act_dim = 0;
    torch::Tensor action_low, action_high;
    PolicyState state;
    // With actor.record, during a collect: its inputs, sampled actions and
    // their log-probabilities step by step; after it, its batch.
    std::vector<torch::Tensor> observations, actions, log_probs;
    EpisodeBatch batch;
  };
  // The recording opponents' batches from the per-step tensors of all rows
  // ([T, rows, ...]) of a collect of `steps` steps.
  void assemble_opponent_batches(int64_t steps, const torch::Tensor& rewards, const torch::Tensor& terminated,
                                 const torch::Tensor& truncated, const torch::Tensor& episode_starts,
                                 const torch::Tensor& timesteps, const torch::Tensor& infos,
                                 const torch::Tensor& raw_next, const torch::Tensor& masks);

  VectorEnv& env_;
  const Policy& policy_;
  RunningNormalizer* normalizer_;
  bool update_normalizer_;
  torch::Generator generator_;
  int64_t noise_rows_ = 0, first_noise_row_ = 0;  // share_batch; 0: this sampler's rows only
  const Communicator* processes_ = &single_process();
  torch::Tensor action_low_, action_high_;
  std::vector<int64_t> learner_rows_;
  torch::Tensor learner_index_;  // learner_rows_ as a long tensor
  bool learner_plays_every_row_;  // in order and as wide as the rows: the batch is the env's buffers
  std::vector<Opponent> opponents_;

  bool started_ = false;
  torch::Tensor raw_obs_;         // [rows, obs] current raw observation of each row
  torch::Tensor episode_starts_;  // [rows]
  torch::Tensor timesteps_;       // [rows]
  torch::Tensor running_returns_; // [rows] float64, return so far of each episode in progress
  torch::Tensor previous_rewards_;  // [rows] each row's last reward (0 where its memory starts): trial inputs
  bool learner_trial_inputs_ = false;
  bool trial_open_ = false;         // trial_memory holds a trial that continue_trial may continue
  TrialMemory trial_memory_;        // the learner's, with trial inputs
  PolicyState policy_state_;      // the learner's
  SamplerTimes times_;
};

}  // namespace metarl
