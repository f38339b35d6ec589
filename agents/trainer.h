// Single-task policy-gradient training: sample a batch from a VectorEnv,
// estimate advantages, update with a Learner (PPO, TRPO or VPG). One call to
// run_iteration() is one iteration; checkpoints hold everything needed to
// continue bit-exactly (parameters, optimiser moments, normalisers, generator
// states and the environments' physics).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agents/communicator.h"
#include "agents/iterative_trainer.h"
#include "agents/learner.h"
#include "agents/linear_baseline.h"
#include "agents/metrics.h"
#include "agents/normalizer.h"
#include "agents/policy.h"
#include "agents/sampler.h"
#include "agents/value_function.h"
#include "agents/vpg.h"
#include "envs/vector_env.h"

namespace metarl {

struct TrainerConfig {
  int64_t steps_per_iteration = 2048;  // continuing rollouts: env steps per iteration over all envs
  bool fixed_episodes = false;         // instead: one episode per env per iteration, from reset
  double gamma = 0.99;
  double gae_lambda = 0.95;
  std::string baseline = "mlp";  // mlp (learned value) | linear (MAML's feature baseline)
  std::vector<int64_t> value_hidden = {64, 64};
  bool normalize_observations = true;
  bool normalize_rewards = true;  // divide rewards by the running std of discounted returns
  bool anneal_learning_rate = false;  // the learner's rate, linearly to 0 over the planned iterations
  // The mlp baseline's value function is fitted by ValueRegression after each
  // update, unless the learner trains it with the policy (PPO).
  bool learner_trains_value = false;
  ValueRegressionConfig value;  // the regression's settings
  // The policy is an RL² player's: it takes the Sampler's kTrialInputs
  // inputs after the observation (agents/sampler.h).
  bool trial_inputs = false;
};

// Builds the trainer's learner for its policy and, with the mlp baseline, its
// value function (else null); `seed` seeds the learner's own generators. A
// trainer over several processes needs a learner that sums what it learns
// from over them (PpoLearner given the trainer's processes).
using LearnerFactory = std::function<std::unique_ptr<Learner>(Policy& policy, MlpValueFunction* value, uint64_t seed)>;

class PolicyGradientTrainer : public IterativeTrainer {
 public:
  // `learner_rows`: the rows of `env` the policy plays (Sampler's; empty:
  // agent 0 of every env). The policy, its normaliser and the value function
  // are sized for the learner's agent, whose rows may be narrower than env's.
  //
  // `processes`: several processes, each with its share of the run's envs in
  // rank order (env seeded by their index in the run), training one policy:
  // an iteration's batch is every process's, steps_per_iteration counts the
  // steps of all, the normalisers' statistics and the recent episodes are
  // all of theirs. Continuing rollouts of a one-agent learner only.
  PolicyGradientTrainer(VectorEnv& env, std::unique_ptr<Policy> policy, const TrainerConfig& config,
                        const LearnerFactory& learner, uint64_t seed, int64_t total_iterations,
                        std::vector<int64_t> learner_rows = {}, const Communicator& processes = single_process());

  Metrics run_iteration() override;
  int64_t iteration() const override { return iteration_; }
  int64_t env_steps() const override { return env_steps_; }
  Policy& policy() override { return *policy_; }
  const RunningNormalizer* observation_normalizer() const {
    return config_.normalize_observations ? &obs_normalizer_ : nullptr;
  }

  void save_checkpoint(const std::string& path) const override;
  void load_checkpoint(const std::string& path) override;
  // What the checkpoint holds, into or from an archive of the caller's
  // (trainers made of several of these keep each in a nested archive).
  void save_state(torch::serialize::OutputArchive& archive) const;
  void load_state(torch::serialize::InputArchive& archive);
  // The records "policy" and "obs_normalizer" alone: what acting as trained
  // needs (players, RL²'s evaluation; read_policy_and_normalizer below).
  void save_policy_and_normalizer(torch::serialize::OutputArchive& archive) const;

 protected:
  // The records "policy" and "obs_normalizer" of a checkpoint: what acting
  // as trained needs (RL²'s evaluation reads only these).
  void read_policy_and_normalizer(torch::serialize::InputArchive& archive);

  // Hooks for trainers built on this one (self-play, meta/selfplay_trainer.h),
  // so that they change what they must and inherit the rest (advantages,
  // reward scaling, the learner, the checkpoint's records):
  //  * the iteration's batch, by default collect() or collect_episodes() per
  //    TrainerConfig::fixed_episodes;
  virtual EpisodeBatch collect_batch();
  //  * metrics of the batch, after the standard ones and before the learner's;
  virtual Metrics batch_metrics(const EpisodeBatch&) const { return {}; }
  //  * records of their own in the checkpoint (under keys of their own).
  virtual void save_extra(torch::serialize::OutputArchive&) const {}
  virtual void load_extra(torch::serialize::InputArchive&) {}
  Sampler& sampler() { return *sampler_; }
  VectorEnv& env() { return env_; }
  const TrainerConfig& config() const { return config_; }

 private:
  struct Advantages {
    torch::Tensor advantages, returns, values;
  };
  torch::Tensor learning_rewards(const EpisodeBatch& batch);
  // The batch's completed episodes into the recent window, every process's
  // in the order one process would have met them; returns the mean return
  // and the number of these episodes (NaN, 0 without any).
  std::pair<double, int64_t> record_episodes(const EpisodeBatch& batch);
  Advantages estimate(const EpisodeBatch& batch, const torch::Tensor& rewards);

  VectorEnv& env_;
  std::unique_ptr<Policy> policy_;
  TrainerConfig config_;
  const Communicator& processes_;
  int64_t first_env_ = 0, run_envs_ = 0;  // this process's first env in the run's, and the run's count
  int64_t total_iterations_;
  RunningNormalizer obs_normalizer_;
  RunningNormalizer return_normalizer_;
  torch::Tensor discounted_return_;  // [N] running discounted return, for reward scaling
  std::unique_ptr<MlpValueFunction> value_;
  LinearFeatureBaseline linear_baseline_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Learner> learner_;
  std::unique_ptr<ValueRegression> value_regression_;
  int64_t iteration_ = 0;
  int64_t env_steps_ = 0;
  std::deque<double> recent_returns_;   // the last 100 completed episodes
  std::deque<double> recent_lengths_;
};

}  // namespace metarl
