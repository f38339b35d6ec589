// What the single-task policy-gradient algorithms (ppo.cc, trpo.cc, vpg.cc)
// share: the keys of the batch, the advantages and the baseline, the
// PolicyGradientTrainer they build (with their own Learner), and RL² runs
// (env.trial_episodes), whose trainer is evaluated along chains by `metarl adapt`.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agents/trainer.h"
#include "experiments/algorithm.h"

namespace metarl {

class PolicyGradientAlgorithm : public Algorithm {
 public:
  explicit PolicyGradientAlgorithm(std::string name) : name_(std::move(name)) {}

  void read(ExperimentConfig& cfg) override;
  int64_t num_envs() const override { return 0; }
  void check_env_keys(const ExperimentConfig&, const EnvSettings&) const override {}
  void check(const ExperimentConfig& cfg, const EnvSettings& env) const override;
  bool samples_tasks() const override { return false; }
  int64_t policy_copies() const override { return 1; }
  std::optional<NetworkSize> value_network() const override;
  bool normalizes_observations() const override { return config_.normalize_observations; }
  std::unique_ptr<IterativeTrainer> build(const ExperimentConfig& cfg, TrainerParts parts) override;
  // One env per share, when the learner spreads over processes and the
  // rollouts continue (not fixed episodes, not RL² trials).
  int64_t env_group_size(const EnvSettings& env) const override {
    return learner_spreads() && !config_.fixed_episodes && env.trial_episodes == 0 ? 1 : 0;
  }

 protected:
  // The baseline when algorithm.baseline is not given.
  virtual std::string default_baseline() const { return "linear"; }
  // Whether the learner trains the value function with the policy (else
  // ValueRegression fits it, with its own keys).
  virtual bool learner_trains_value() const { return false; }
  // Reads the learner's own keys.
  virtual void read_learner(ExperimentConfig& cfg) = 0;
  // Checks the learner's settings against the batch of `batch` steps.
  virtual void check_learner(const ExperimentConfig&, int64_t /*batch*/) const {}
  // Whether learner(processes) sums what it learns from over processes.
  virtual bool learner_spreads() const { return false; }
  virtual LearnerFactory learner(const Communicator& processes) const = 0;

  std::string name_;
  TrainerConfig config_;
};

}  // namespace metarl
