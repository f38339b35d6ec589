#include "agents/vpg.h"

#include <ATen/CPUGeneratorImpl.h>

#include "agents/checkpoint.h"

namespace metarl {

torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& mask) {
  return (x * mask).sum() / mask.sum().clamp_min(1.0);
}

torch::Tensor batch_log_probs(const Policy& policy, const EpisodeBatch& batch, const Params& params) {
  return policy.evaluate(batch.observations, batch.episode_starts, batch.initial_state, params).log_prob(batch.actions);
}

torch::Tensor standardize(const torch::Tensor& advantages, const torch::Tensor& masks) {
  const auto valid = advantages.masked_select(masks > 0);
  if (valid.numel() < 2) return advantages * masks;
  return (advantages - valid.mean()) / (valid.std() + 1e-8) * masks;
}

VpgLearner::VpgLearner(Policy& policy, const VpgConfig& config)
    : policy_(policy),
      config_(config),
      optimizer_({{policy.parameters(), config.learning_rate}}, config.adam_epsilon) {}

void VpgLearner::save_state(torch::serialize::OutputArchive& archive) const {
  optimizer_.save_state(archive, "vpg_adam");
}

void VpgLearner::load_state(torch::serialize::InputArchive& archive) {
  optimizer_.load_state(archive, "vpg_adam", "vpg_optimizer");
}

Metrics VpgLearner::update(const EpisodeBatch& batch, const torch::Tensor& advantages, const torch::Tensor&) {
  const auto adv = config_.normalize_advantages ? standardize(advantages, batch.masks) : advantages;
  const auto log_probs = batch_log_probs(policy_, batch, policy_.parameters());
  const auto loss = -masked_mean(log_probs * adv, batch.masks);
  optimizer_.minimize(loss);
  return {{"policy_loss", loss.item<double>()}};
}

ValueRegression::ValueRegression(MlpValueFunction& value, const ValueRegressionConfig& config, uint64_t seed)
    : value_(value),
      config_(config),
      optimizer_({{value.parameters(), config.learning_rate}}, config.adam_epsilon),
      generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

void ValueRegression::save_state(torch::serialize::OutputArchive& archive) const {
  optimizer_.save_state(archive, "value_adam");
  archive.write("value_generator", generator_.get_state());
}

void ValueRegression::load_state(torch::serialize::InputArchive& archive) {
  optimizer_.load_state(archive, "value_adam", "value_optimizer");
  generator_.set_state(read_tensor(archive, "value_generator"));
}

Metrics ValueRegression::fit(const torch::Tensor& observations, const torch::Tensor& returns,
                             const torch::Tensor& masks) {
  const auto rows = masks.reshape({-1}).nonzero().squeeze(-1);
  const auto obs = observations.reshape({-1, observations.size(-1)}).index_select(0, rows);
  const auto targets = returns.reshape({-1}).index_select(0, rows);
  const int64_t n = rows.size(0);
  const int64_t per_batch = std::max<int64_t>(1, (n + config_.minibatches - 1) / config_.minibatches);
  double loss_sum = 0;
  int64_t updates = 0;
  for (int64_t epoch = 0; epoch < config_.epochs; ++epoch) {
    const auto perm = torch::randperm(n, generator_, torch::kLong);
    for (int64_t start = 0; start < n; start += per_batch) {
      const auto pick = perm.narrow(0, start, std::min(per_batch, n - start));
      const auto loss = 0.5 * (value_.forward(obs.index_select(0, pick)) - targets.index_select(0, pick)).pow(2).mean();
      optimizer_.minimize(loss);
      loss_sum += loss.item<double>();
      ++updates;
    }
  }
  return {{"value_loss", loss_sum / std::max<int64_t>(1, updates)}};
}

}  // namespace metarl
