// PPO's algorithm (algorithm.name ppo): the policy-gradient algorithm with
// PPO's learner and its keys. In a header so that algorithms that are PPO
// with something more (selfplay_ppo) read the same keys the same way.
#pragma once

#include <stdexcept>
#include <string>

#include "agents/ppo.h"
#include "experiments/algorithms/policy_gradient.h"

namespace metarl {

class PpoAlgorithm : public PolicyGradientAlgorithm {
 public:
  using PolicyGradientAlgorithm::PolicyGradientAlgorithm;

 protected:
  std::string default_baseline() const override { return "mlp"; }
  bool learner_trains_value() const override { return true; }

  void read_learner(ExperimentConfig& cfg) override {
    auto& p = ppo_;
    config_.anneal_learning_rate = cfg.get_bool("algorithm.anneal_learning_rate", config_.anneal_learning_rate);
    p.learning_rate = cfg.get_double("algorithm.learning_rate", p.learning_rate, Bounds::positive());
    p.epochs = cfg.get_int("algorithm.epochs", p.epochs, Bounds::at_least(1));
    p.minibatches = cfg.get_int("algorithm.minibatches", p.minibatches, Bounds::at_least(1));
    p.clip_range = cfg.get_double("algorithm.clip_range", p.clip_range, Bounds::positive());
    p.value_coef = cfg.get_double("algorithm.value_coef", p.value_coef, Bounds::non_negative());
    p.entropy_coef = cfg.get_double("algorithm.entropy_coef", p.entropy_coef, Bounds::finite());
    p.max_grad_norm = cfg.get_double("algorithm.max_grad_norm", p.max_grad_norm, Bounds::positive());
    p.target_kl = cfg.get_double("algorithm.target_kl", p.target_kl, Bounds::non_negative());
    p.normalize_advantages = cfg.get_bool("algorithm.normalize_advantages", p.normalize_advantages);
  }

  void check_learner(const ExperimentConfig& cfg, int64_t batch) const override {
    if (ppo_.minibatches > batch)
      cfg.invalid("algorithm.minibatches",
                  "must be at most the batch of " + std::to_string(batch) + " steps (algorithm.steps_per_iteration)");
  }

  bool learner_spreads() const override { return true; }
  LearnerFactory learner(const Communicator& processes) const override {
    const PpoConfig config = ppo_;
    return [config, &processes](Policy& policy, MlpValueFunction* value, uint64_t seed) -> std::unique_ptr<Learner> {
      if (!value) throw std::invalid_argument("ppo needs the mlp baseline");
      return std::make_unique<PpoLearner>(policy, *value, config, seed, processes);
    };
  }

  PpoConfig ppo_;
};

}  // namespace metarl
