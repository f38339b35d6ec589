#include "experiments/tracking.h"

#include "agents/gae.h"
#include "agents/global_generator.h"

namespace metarl {
namespace {

constexpr double kRewardUnit = 1000;

// Initialised from `seed`, not from wherever torch's global generator is.
MlpValueFunction value_function(int obs_dim, uint64_t seed) {
  const GlobalGeneratorScope seeded(seed);
  return MlpValueFunction(obs_dim, {64, 64}, Activation::kTanh);
}

PpoConfig ppo_config(const TrackingConfig& config) {
  PpoConfig c;
  c.learning_rate = config.learning_rate;
  c.epochs = config.epochs;
  c.minibatches = 2;
  return c;
}

}  // namespace

Tracker::Tracker(Policy& policy, const TrackingConfig& config, uint64_t seed)
    : value_(value_function(policy.obs_dim(), seed)), learner_(policy, value_, ppo_config(config), seed) {}

void Tracker::update(const EpisodeBatch& batch) {
  const auto rewards = batch.rewards / kRewardUnit;
  torch::Tensor values, next_values;
  {
    torch::NoGradGuard no_grad;
    values = value_.forward(batch.observations);
    next_values = value_.forward(batch.next_observations);
  }
  const auto advantages = gae_advantages(rewards, values, next_values, batch.terminated, batch.episode_end,
                                         batch.masks, /*gamma=*/0.995, /*lambda=*/0.95);
  learner_.update(batch, advantages, advantages + values);
}

}  // namespace metarl
