// RL² on trials: the recurrent state runs through the episodes of a chain and
// restarts with the next chain; per-episode returns of a trial.
#include "meta/rl2.h"

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/core/trial_env.h"

namespace metarl {
namespace {

// Two envs, each a trial of 3 Navigation2D episodes of 4 steps.
VectorEnv navigation_trials() {
  std::shared_ptr<const TaskFamily> family(make_task_family("Navigation2D"));
  std::vector<std::unique_ptr<Env>> envs;
  for (int i = 0; i < 2; ++i)
    envs.push_back(std::make_unique<TrialEnv>(make_env("Navigation2D", Options::parse("max_episode_steps=4")), 3, family));
  return VectorEnv(std::move(envs), 1);
}

TEST(Rl2, RecurrentStateIsCarriedAcrossAChainsEpisodesAndResetBetweenChains) {
  torch::manual_seed(0);
  VectorEnv env = navigation_trials();
  LstmPolicy policy(env.obs_dim(), env.act_dim(), LstmPolicyConfig{});
  Sampler sampler(env, policy, 3);
  const EpisodeBatch b = sampler.collect(30, policy.parameters());  // trials at t = 0, 12, 24
  const auto flag = b.observations.select(2, env.obs_dim() - 1);     // raw: no normaliser
  for (int64_t t = 0; t < 30; ++t) {
    EXPECT_EQ(b.episode_starts[t][0].item<float>(), t % 12 == 0 ? 1.f : 0.f) << "t " << t;
    EXPECT_EQ(flag[t][0].item<float>(), t % 4 == 0 ? 1.f : 0.f) << "t " << t;
  }
  // The actions were sampled from the state unrolled with resets only where
  // trials start...
  const auto carried = policy.evaluate(b.observations, b.episode_starts, b.initial_state, policy.parameters());
  EXPECT_TRUE(torch::allclose(carried.log_prob(b.actions), b.log_probs, 1e-5, 1e-5));
  // ...not from one reset at every episode of the chain: that differs from
  // the second episode on, and agrees again where the next trial starts.
  const auto reset_each_episode = policy.evaluate(b.observations, flag, b.initial_state, policy.parameters());
  const auto difference = (reset_each_episode.mean - carried.mean).abs().sum(-1).select(1, 0);
  for (int64_t t = 0; t < 4; ++t) EXPECT_EQ(difference[t].item<float>(), 0.f) << "t " << t;
  EXPECT_GT(difference[4].item<float>(), 1e-6);
  EXPECT_GT(difference[8].item<float>(), 1e-6);
  for (int64_t t = 12; t < 16; ++t) EXPECT_EQ(difference[t].item<float>(), 0.f) << "t " << t;
}

TEST(Rl2, TrialEpisodeReturnsSumEachInnerEpisodesRewards) {
  torch::manual_seed(1);
  VectorEnv env = navigation_trials();
  GaussianMlpPolicy policy(env.obs_dim(), env.act_dim(), MlpPolicyConfig{});
  Sampler sampler(env, policy, 4);
  const EpisodeBatch b = sampler.collect_episodes(12, policy.parameters());
  const auto returns = trial_episode_returns(b, 3);
  ASSERT_EQ(returns.size(), 2u);
  for (int64_t i = 0; i < 2; ++i) {
    double total = 0;
    for (int64_t e = 0; e < 3; ++e) {
      const double by_hand = b.rewards.narrow(0, 4 * e, 4).select(1, i).sum().item<double>();
      EXPECT_NEAR(returns[size_t(i)][size_t(e)], by_hand, 1e-5) << "env " << i << " episode " << e;
      total += returns[size_t(i)][size_t(e)];
    }
    EXPECT_NEAR(total, b.episode_returns[size_t(i)], 1e-4);  // the trial's return
  }
}

}  // namespace
}  // namespace metarl
