#include "agents/ppo.h"

#include <gtest/gtest.h>

#include "agents/gae.h"
#include "agents/vpg.h"

namespace metarl {
namespace {

TEST(PpoClippedLoss, HandComputedValues) {
  const auto old_lp = torch::zeros({3});
  const auto lp = torch::log(torch::tensor({1.5f, 0.5f, 1.1f}));
  const auto adv = torch::tensor({2.0f, 1.0f, -1.0f});
  // min(r A, clip(r, 0.8, 1.2) A): 1.2*2, 0.5*1, 1.1*-1 -> loss = -(2.4 + 0.5 - 1.1) / 3.
  EXPECT_NEAR(ppo_clipped_loss(lp, old_lp, adv, 0.2).item<float>(), -(2.4 + 0.5 - 1.1) / 3.0, 1e-6);
}

struct FixedBatch {
  EpisodeBatch batch;
  torch::Tensor advantages, returns;
};

FixedBatch make_batch(Policy& policy, uint64_t seed) {
  VectorEnv env("HalfCheetah", 4, 1, Options::parse("max_episode_steps=30"));
  env.seed(seed);
  Sampler sampler(env, policy, seed);
  FixedBatch f;
  f.batch = sampler.collect(64, policy.parameters());
  const auto& b = f.batch;
  const auto zeros = torch::zeros_like(b.rewards);
  f.advantages = gae_advantages(b.rewards, zeros, zeros, b.terminated, b.episode_end, b.masks, 0.99, 0.95);
  f.returns = f.advantages;
  return f;
}

double surrogate(const Policy& policy, const FixedBatch& f) {
  torch::NoGradGuard no_grad;
  const auto lp = batch_log_probs(policy, f.batch, policy.parameters());
  const auto adv = standardize(f.advantages, f.batch.masks);
  return ppo_clipped_loss(lp.reshape({-1}), f.batch.log_probs.reshape({-1}), adv.reshape({-1}), 0.2).item<double>();
}

TEST(PpoLearner, ImprovesItsSurrogateOnAFixedBatch) {
  for (const bool recurrent : {false, true}) {
    SCOPED_TRACE(recurrent ? "lstm" : "mlp");
    torch::manual_seed(0);
    std::unique_ptr<Policy> policy;
    if (recurrent)
      policy = std::make_unique<LstmPolicy>(17, 6, LstmPolicyConfig{});
    else
      policy = std::make_unique<GaussianMlpPolicy>(17, 6, MlpPolicyConfig{});
    MlpValueFunction value(17, {32}, Activation::kTanh);
    const FixedBatch f = make_batch(*policy, 5);
    const double before = surrogate(*policy, f);
    EXPECT_NEAR(before, -0.0, 1e-5);  // ratio 1 and standardised advantages: -mean(A) = 0
    PpoConfig config;
    config.epochs = 4;
    config.minibatches = 4;
    config.learning_rate = 1e-3;
    PpoLearner learner(*policy, value, config, 1);
    const Metrics m = learner.update(f.batch, f.advantages, f.returns);
    const double after = surrogate(*policy, f);
    EXPECT_LT(after, before - 0.02);
    EXPECT_EQ(m.front().first, "policy_loss");
  }
}

TEST(PpoLearner, EarlyStopsOnKl) {
  torch::manual_seed(1);
  GaussianMlpPolicy policy(17, 6, MlpPolicyConfig{});
  MlpValueFunction value(17, {32}, Activation::kTanh);
  const FixedBatch f = make_batch(policy, 6);
  PpoConfig config;
  config.epochs = 50;
  config.learning_rate = 1e-2;
  config.target_kl = 1e-4;
  PpoLearner learner(policy, value, config, 2);
  const Metrics m = learner.update(f.batch, f.advantages, f.returns);
  double epochs = 0;
  for (const auto& [k, v] : m)
    if (k == "epochs") epochs = v;
  EXPECT_GE(epochs, 1);
  EXPECT_LT(epochs, 50);
}

TEST(VpgLearner, ImprovesThePolicyGradientObjective) {
  torch::manual_seed(2);
  GaussianMlpPolicy policy(17, 6, MlpPolicyConfig{});
  const FixedBatch f = make_batch(policy, 7);
  auto objective = [&] {
    torch::NoGradGuard no_grad;
    // Importance-weighted return estimate: mean(exp(lp - lp_old) * A).
    const auto lp = batch_log_probs(policy, f.batch, policy.parameters());
    return masked_mean(torch::exp(lp - f.batch.log_probs) * standardize(f.advantages, f.batch.masks), f.batch.masks)
        .item<double>();
  };
  const double before = objective();
  VpgConfig config;
  config.learning_rate = 1e-3;
  VpgLearner learner(policy, config);
  learner.update(f.batch, f.advantages, f.returns);
  EXPECT_GT(objective(), before);
}

}  // namespace
}  // namespace metarl
