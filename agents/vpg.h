// Vanilla policy gradient (REINFORCE with a baseline), and the pieces the
// non-PPO learners share: masked means, batch log-probabilities, and value
// regression for an MLP value function.
#pragma once

#include <torch/torch.h>

#include "agents/adam.h"
#include "agents/learner.h"
#include "agents/metrics.h"
#include "agents/policy.h"
#include "agents/sampler.h"
#include "agents/value_function.h"

namespace metarl {

// sum(x * mask) / sum(mask).
torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& mask);
// Log-probabilities [T, N] of the batch's actions under `params`.
torch::Tensor batch_log_probs(const Policy& policy, const EpisodeBatch& batch, const Params& params);
// Advantages standardised over the valid (mask 1) steps.
torch::Tensor standardize(const torch::Tensor& advantages, const torch::Tensor& masks);

struct VpgConfig {
  double learning_rate = 1e-2;
  double adam_epsilon = 1e-8;
  bool normalize_advantages = true;
};

class VpgLearner : public Learner {
 public:
  VpgLearner(Policy& policy, const VpgConfig& config);
  // One Adam step on -mean(log pi(a|s) A) (returns unused).
  Metrics update(const EpisodeBatch& batch, const torch::Tensor& advantages, const torch::Tensor& returns) override;
  void anneal(double fraction) override { optimizer_.anneal(fraction); }
  // Adam's moments ("vpg_adam").
  void save_state(torch::serialize::OutputArchive& archive) const override;
  void load_state(torch::serialize::InputArchive& archive) override;

 private:
  Policy& policy_;
  VpgConfig config_;
  AdamOptimizer optimizer_;
};

struct ValueRegressionConfig {
  double learning_rate = 1e-3;
  double adam_epsilon = 1e-8;
  int64_t epochs = 5;
  int64_t minibatches = 8;
};

// Fits an MLP value function to returns by minibatch Adam on the squared error.
class ValueRegression {
 public:
  ValueRegression(MlpValueFunction& value, const ValueRegressionConfig& config, uint64_t seed);
  Metrics fit(const torch::Tensor& observations, const torch::Tensor& returns, const torch::Tensor& masks);
  // Adam's moments ("value_adam") and the minibatch generator ("value_generator").
  void save_state(torch::serialize::OutputArchive& archive) const;
  void load_state(torch::serialize::InputArchive& archive);

 private:
  MlpValueFunction& value_;
  ValueRegressionConfig config_;
  AdamOptimizer optimizer_;
  torch::Generator generator_;
};

}  // namespace metarl
