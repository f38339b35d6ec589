// Proximal policy optimisation (clipped objective) with a learned value
// function, minibatches and epochs, entropy bonus and early stop on KL.
#pragma once

#include <torch/torch.h>

#include "agents/adam.h"
#include "agents/communicator.h"
#include "agents/learner.h"
#include "agents/metrics.h"
#include "agents/policy.h"
#include "agents/sampler.h"
#include "agents/value_function.h"

namespace metarl {

struct PpoConfig {
  double learning_rate = 3e-4;
  double adam_epsilon = 1e-5;  // OpenAI Baselines' PPO's (LibTorch's default is 1e-8)
  int64_t epochs = 10;
  int64_t minibatches = 32;
  double clip_range = 0.2;
  double value_coef = 0.5;
  double entropy_coef = 0.0;
  double max_grad_norm = 0.5;
  double target_kl = 0.0;  // stop the epochs once the approximate KL exceeds 1.5x this; 0 disables
  bool normalize_advantages = true;
};

class PpoLearner : public Learner {
 public:
  // `processes`: the batch is split over several processes by env columns,
  // each passing its own share of every env (in rank order) to update.
  // Each draws the same minibatches of the whole batch, takes the loss over
  // its own rows of them, and the gradients (with the advantages' mean and
  // deviation and the metrics) are summed over processes: the update one
  // process would make of the whole batch, to float rounding.
  PpoLearner(Policy& policy, MlpValueFunction& value, const PpoConfig& config, uint64_t seed,
             const Communicator& processes = single_process());

  // One update from a batch; advantages and returns are [T, N].
  Metrics update(const EpisodeBatch& batch, const torch::Tensor& advantages, const torch::Tensor& returns) override;
  void anneal(double fraction) override { optimizer_.anneal(fraction); }
  // Adam's moments ("ppo_adam") and the minibatch generator ("ppo_generator").
  void save_state(torch::serialize::OutputArchive& archive) const override;
  void load_state(torch::serialize::InputArchive& archive) override;

 private:
  Policy& policy_;
  MlpValueFunction& value_;
  PpoConfig config_;
  const Communicator& processes_;
  AdamOptimizer optimizer_;
  torch::Generator generator_;
};

// PPO's clipped surrogate objective, element by element: min(r A, clip(r,
// 1 − eps, 1 + eps) A) for the probability ratios r. The one clipped objective
// of the project: the single-task PPO loss below, MAML's PPO outer step and
// PPO-tracking (meta/maml.h) all take their means of it.
torch::Tensor ppo_clipped_objective(const torch::Tensor& ratio, const torch::Tensor& advantages, double clip_range);

// The clipped surrogate loss, -mean(min(r A, clip(r, 1-eps, 1+eps) A)), over
// the given rows (no masking: pass only valid rows). Exposed for tests.
torch::Tensor ppo_clipped_loss(const torch::Tensor& log_probs, const torch::Tensor& old_log_probs,
                               const torch::Tensor& advantages, double clip_range);

}  // namespace metarl
