#include "agents/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "tests/support/two_point_masses.h"

namespace metarl {
namespace {

// Counts the calls the sampler makes, to check one batched call per step.
class CountingPolicy : public GaussianMlpPolicy {
 public:
  CountingPolicy(int obs, int act) : GaussianMlpPolicy(obs, act, MlpPolicyConfig{}) {}
  DiagGaussian step(const torch::Tensor& obs, const torch::Tensor& starts, PolicyState& state,
                    const Params& params) const override {
    ++calls;
    batch_rows = obs.size(0);
    return GaussianMlpPolicy::step(obs, starts, state, params);
  }
  mutable int calls = 0;
  mutable int64_t batch_rows = 0;
};

TEST(Sampler, OneBatchedPolicyCallPerStep) {
  torch::manual_seed(0);
  VectorEnv env("HalfCheetah", 6, 2, Options::parse("max_episode_steps=10"));
  CountingPolicy policy(env.obs_dim(), env.act_dim());
  Sampler sampler(env, policy, 1);
  const EpisodeBatch b = sampler.collect(25, policy.parameters());
  EXPECT_EQ(policy.calls, 25);
  EXPECT_EQ(policy.batch_rows, 6);
  EXPECT_EQ(b.observations.sizes(), (std::vector<int64_t>{25, 6, 17}));
  EXPECT_EQ(b.env_steps(), 150);
  // Horizon 10: every env ends episodes at t = 9 and 19; starts at 0, 10, 20.
  EXPECT_EQ(b.truncated.sum().item<float>(), 12.f);
  EXPECT_TRUE(torch::equal(b.episode_starts.select(1, 3).nonzero().squeeze(-1), torch::tensor({0, 10, 20}, torch::kLong)));
  EXPECT_EQ(b.timesteps[14][0].item<float>(), 4.f);
  ASSERT_EQ(b.episode_returns.size(), 12u);
  EXPECT_NEAR(b.episode_returns[0], b.rewards.narrow(0, 0, 10).select(1, 0).sum().item<float>(), 1e-3);
  EXPECT_EQ(b.episode_lengths[0], 10);
}

TEST(Sampler, LogProbsAreThoseOfTheSampledActionsAndBatchesContinue) {
  torch::manual_seed(1);
  VectorEnv env("Navigation2D", 3, 1);
  GaussianMlpPolicy policy(2, 2, MlpPolicyConfig{});
  Sampler sampler(env, policy, 2);
  const EpisodeBatch first = sampler.collect(5, policy.parameters());
  const auto recomputed = policy.evaluate(first.observations, first.episode_starts, {}, policy.parameters())
                              .log_prob(first.actions);
  EXPECT_TRUE(torch::allclose(recomputed, first.log_probs, 1e-5, 1e-5));
  // next_observations[t] is observations[t+1] when no episode ended.
  EXPECT_TRUE(torch::equal(first.next_observations[2], first.observations[3]));
  const EpisodeBatch second = sampler.collect(5, policy.parameters());
  EXPECT_TRUE(torch::equal(second.observations[0], first.next_observations[4]));
  EXPECT_EQ(second.episode_starts[0].sum().item<float>(), 0.f);  // the episodes continue
  EXPECT_EQ(second.timesteps[0][0].item<float>(), 5.f);
}

TEST(Sampler, FixedEpisodesMaskEverythingAfterEachEnvsFirstEpisode) {
  torch::manual_seed(2);
  VectorEnv env("Navigation2D", 2, 1);
  const auto family = make_task_family("Navigation2D");
  // Env 0's goal is one step away (terminates at once with a large positive
  // mean action); env 1's is far away (runs the full horizon).
  env.set_task(0, *family, Task("Navigation2D", {{"goal_x", 0.1}, {"goal_y", 0.1}}));
  env.set_task(1, *family, Task("Navigation2D", {{"goal_x", -0.5}, {"goal_y", 0.5}}));
  MlpPolicyConfig config;
  config.init_std = 1e-4;
  GaussianMlpPolicy policy(2, 2, config);
  Params params = policy.parameters();
  params[params.size() - 2] = torch::full({2}, 5.0);  // output bias: mean action (5, 5), clipped to (0.1, 0.1)
  Sampler sampler(env, policy, 3);
  const EpisodeBatch b = sampler.collect_episodes(100, params);
  EXPECT_EQ(b.horizon(), 100);
  EXPECT_TRUE(b.terminated[0][0].item<float>() > 0);
  EXPECT_EQ(b.masks.select(1, 0).sum().item<float>(), 1.f);  // only its first step counts
  EXPECT_EQ(b.masks.select(1, 1).sum().item<float>(), 100.f);
  EXPECT_TRUE(b.truncated[99][1].item<float>() > 0);
  EXPECT_EQ(b.episode_returns.size(), 2u);
  EXPECT_EQ(b.env_steps(), 101);
}

TEST(Sampler, NormaliserSeesRawObservationsAndPolicyNormalisedOnes) {
  torch::manual_seed(3);
  // Navigation2D: observations stay far below the ±10 clip within 20 steps.
  VectorEnv env("Navigation2D", 4, 2), twin("Navigation2D", 4, 2);
  env.seed(9);
  twin.seed(9);
  GaussianMlpPolicy policy(env.obs_dim(), env.act_dim(), MlpPolicyConfig{});
  RunningNormalizer normalizer(env.obs_dim());
  Sampler sampler(env, policy, 4, &normalizer);
  Sampler raw_sampler(twin, policy, 4);
  const EpisodeBatch b = sampler.collect(20, policy.parameters());
  const EpisodeBatch raw = raw_sampler.collect(20, policy.parameters());
  EXPECT_DOUBLE_EQ(normalizer.count(), 80.0);
  // The first batch is normalised with the initial statistics (mean 0, var 1): the raw values.
  EXPECT_TRUE(torch::allclose(b.observations, raw.observations, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(normalizer.mean().to(torch::kFloat32),
                              raw.observations.reshape({-1, env.obs_dim()}).mean(0), 1e-4, 1e-5));
  const EpisodeBatch c = sampler.collect(20, policy.parameters());
  EXPECT_LE(c.observations.abs().max().item<float>(), 10.0f);  // clipped to ±10
  EXPECT_FALSE(torch::allclose(c.observations, c.observations * 0));  // non-trivial values
  EXPECT_DOUBLE_EQ(normalizer.count(), 160.0);
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

TEST(Sampler, GroupedEpisodesActWithEachGroupsParametersAndSplitByTask) {
  torch::manual_seed(7);
  VectorEnv env("Navigation2D", 4, 2, Options::parse("max_episode_steps=10"));
  MlpPolicyConfig config;
  config.init_std = 1e-4;
  GaussianMlpPolicy policy(2, 2, config);
  // Group 0 moves right, group 1 moves left: only the output bias differs.
  Params right = policy.parameters(), left = policy.parameters();
  right[right.size() - 2] = torch::tensor({5.0f, 0.0f});
  left[left.size() - 2] = torch::tensor({-5.0f, 0.0f});
  Sampler sampler(env, policy, 8);
  const EpisodeBatch b = sampler.collect_episodes_grouped(10, stack_params({right, left}), 2);
  EXPECT_NEAR(b.next_observations[9][0][0].item<float>(), 1.0f, 1e-3);   // 10 steps of +0.1
  EXPECT_NEAR(b.next_observations[9][3][0].item<float>(), -1.0f, 1e-3);  // 10 steps of -0.1
  const EpisodeBatch second = b.select_envs(2, 2);
  EXPECT_EQ(second.num_envs(), 2);
  EXPECT_TRUE(torch::equal(second.rewards, b.rewards.narrow(1, 2, 2)));
  ASSERT_EQ(second.episode_returns.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    const int64_t env_index = second.episode_envs[k];
    EXPECT_NEAR(second.episode_returns[k], second.rewards.select(1, env_index).sum().item<float>(), 1e-4);
  }
  // Any columns in any order (a minibatch of tasks): env 3 first, then env 0,
  // each episode renumbered to its new column.
  const EpisodeBatch picked = b.select_envs(std::vector<int64_t>{3, 0});
  ASSERT_EQ(picked.num_envs(), 2);
  EXPECT_TRUE(torch::equal(picked.observations.select(1, 0), b.observations.select(1, 3)));
  EXPECT_TRUE(torch::equal(picked.log_probs.select(1, 1), b.log_probs.select(1, 0)));
  ASSERT_EQ(picked.episode_envs.size(), 2u);
  EXPECT_NE(picked.episode_envs[0], picked.episode_envs[1]);  // one episode per column
  EXPECT_NEAR(picked.next_observations[9][0][0].item<float>(), -1.0f, 1e-3);  // env 3 moved left
  for (size_t k = 0; k < 2; ++k) {
    const int64_t column = picked.episode_envs[k];
    ASSERT_TRUE(column == 0 || column == 1);
    EXPECT_NEAR(picked.episode_returns[k], picked.rewards.select(1, column).sum().item<float>(), 1e-4);
    // and it is the return of the env that column came from
    const int64_t source = column == 0 ? 3 : 0;
    EXPECT_NEAR(picked.episode_returns[k], b.rewards.select(1, source).sum().item<float>(), 1e-4);
  }
  EXPECT_THROW(b.select_envs(std::vector<int64_t>{1, 1}), c10::Error);
  EXPECT_THROW(b.select_envs(std::vector<int64_t>{4}), c10::Error);
  EXPECT_THROW(sampler.collect_episodes_grouped(10, stack_params({right, left, right}), 3), c10::Error);
}

// Rounds of the same envs side by side, env by env: column i * B + b is env
// i's episode of round b, and each episode's return stays with its column.
TEST(Sampler, InterleavedRoundsGroupEachEnvsEpisodes) {
  torch::manual_seed(3);
  VectorEnv env("Navigation2D", 3, 1, Options::parse("max_episode_steps=6"));
  GaussianMlpPolicy policy(2, 2, MlpPolicyConfig{});
  Sampler sampler(env, policy, 4);
  std::vector<EpisodeBatch> rounds;
  for (int r = 0; r < 2; ++r) rounds.push_back(sampler.collect_episodes(6, policy.parameters()));
  const EpisodeBatch all = interleave_envs(rounds);
  EXPECT_EQ(all.num_envs(), 6);
  EXPECT_EQ(all.horizon(), 6);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t r = 0; r < 2; ++r) {
      EXPECT_TRUE(torch::equal(all.actions.select(1, i * 2 + r), rounds[r].actions.select(1, i)));
      EXPECT_TRUE(torch::equal(all.log_probs.select(1, i * 2 + r), rounds[r].log_probs.select(1, i)));
      EXPECT_TRUE(torch::equal(all.masks.select(1, i * 2 + r), rounds[r].masks.select(1, i)));
    }
  ASSERT_EQ(all.episode_envs.size(), 6u);
  for (size_t k = 0; k < 6; ++k) {
    const int64_t column = all.episode_envs[k];
    const double sum = (all.rewards.select(1, column) * all.masks.select(1, column)).sum().item<double>();
    EXPECT_NEAR(all.episode_returns[k], sum, 1e-4);
  }
  // The groups a learner sees: env 1's two rounds.
  const EpisodeBatch env_1 = all.select_envs(2, 2);
  EXPECT_TRUE(torch::equal(env_1.rewards.select(1, 1), rounds[1].rewards.select(1, 1)));
  rounds.push_back(sampler.collect_episodes(4, policy.parameters()));
  EXPECT_THROW(interleave_envs(rounds), c10::Error);  // another horizon
}

VectorEnv two_point_masses(int envs) {
  std::vector<std::unique_ptr<Env>> list;
  for (int i = 0; i < envs; ++i) list.push_back(std::make_unique<TwoPointMassesEnv>());
  return VectorEnv(std::move(list), 2);
}

TEST(Sampler, ALearnerAndAnOpponentActInOneRolloutAndOnlyTheLearnersRowsAreKept) {
  torch::manual_seed(5);
  VectorEnv env = two_point_masses(4);
  CountingPolicy learner(2, 1), opponent(3, 2);
  RunningNormalizer normalizer(2);
  Sampler sampler(env, learner, 6, &normalizer);
  EXPECT_EQ(sampler.learner_rows(), (std::vector<int64_t>{0, 2, 4, 6}));
  EXPECT_THROW(sampler.collect(4, learner.parameters()), c10::Error);  // nobody plays agent 1
  EXPECT_THROW(Sampler(env, learner, 6, nullptr, true, {0, 2, 2, 4}), c10::Error);
  sampler.set_opponents({Actor{&opponent, opponent.parameters(), nullptr, env.rows_of_agent(1)}});

  // Within 4 steps the points (1 ± 0.1 apart, each moving at most 0.1) cannot meet.
  const EpisodeBatch b = sampler.collect(4, learner.parameters());
  EXPECT_EQ(learner.calls, 4);
  EXPECT_EQ(learner.batch_rows, 4);
  EXPECT_EQ(opponent.calls, 4);
  EXPECT_EQ(opponent.batch_rows, 4);
  EXPECT_EQ(b.observations.sizes(), (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(b.actions.sizes(), (std::vector<int64_t>{4, 4, 1}));
  EXPECT_EQ(b.infos.sizes(), (std::vector<int64_t>{4, 4, 1}));
  for (int64_t t = 0; t < 4; ++t)
    for (int64_t j = 0; j < 4; ++j) {
      const float x0 = b.observations[t][j][0].item<float>();
      const float a0 = std::clamp(b.actions[t][j][0].item<float>(), -1.f, 1.f);  // the action space
      const float next_x0 = b.next_observations[t][j][0].item<float>();
      const float next_x1 = b.next_observations[t][j][1].item<float>();
      EXPECT_NEAR(next_x0, x0 + std::clamp(a0, -0.1f, 0.1f), 1e-6);  // the learner's own move
      // The learner's reward, with the opponent's move in it.
      EXPECT_NEAR(b.rewards[t][j].item<float>(), next_x0 + next_x1 - 0.01 * a0 * a0, 1e-5);
      EXPECT_EQ(b.infos[t][j][0].item<float>(), next_x0);
    }
  // The opponent moved its points (its actions have unit noise).
  EXPECT_GT((b.next_observations.select(2, 1) - b.observations.select(2, 1)).abs().sum().item<float>(), 0.f);
  // Only the learner's rows reached its normaliser.
  EXPECT_EQ(normalizer.count(), 16.0);
  EXPECT_TRUE(torch::allclose(normalizer.mean().to(torch::kFloat32), b.observations.reshape({-1, 2}).mean(0)));
}

TEST(Sampler, ARecordingOpponentGetsItsOwnBatchBesideTheLearners) {
  torch::manual_seed(3);
  const Options options = Options::parse("max_episode_steps=10");
  VectorEnv env("Sumo2D", 4, 1, options);
  env.seed(2);
  GaussianMlpPolicy learner(21, 4, MlpPolicyConfig{}), opponent(21, 4, MlpPolicyConfig{});
  Sampler sampler(env, learner, 6);  // the learner plays agent 0
  sampler.set_opponents({Actor{&opponent, opponent.parameters(), nullptr, env.rows_of_agent(1), /*record=*/true}});
  const EpisodeBatch b = sampler.collect_episodes(10, learner.parameters());
  const EpisodeBatch& o = sampler.opponent_batch(0);
  EXPECT_EQ(o.observations.sizes(), b.observations.sizes());
  EXPECT_EQ(o.actions.sizes(), b.actions.sizes());
  EXPECT_TRUE(torch::equal(o.masks, b.masks));  // the same matches, ending together
  EXPECT_TRUE(torch::equal(o.episode_end, b.episode_end));
  // Its first observations are agent 1's at the reset (an env seeded alike).
  VectorEnv fresh("Sumo2D", 4, 1, options);
  fresh.seed(2);
  fresh.reset();
  const auto reset_rows = torch::from_blob(const_cast<float*>(fresh.observations()), {8, 21}).clone();
  for (int64_t j = 0; j < 4; ++j) EXPECT_TRUE(torch::equal(o.observations[0][j], reset_rows[2 * j + 1])) << j;
  // Its rewards are agent 1's: each match's sum is what the env counted for that row.
  ASSERT_EQ(o.episode_returns.size(), 4u);
  for (size_t k = 0; k < 4; ++k)
    EXPECT_NEAR(o.episode_returns[k], env.episode_returns()[2 * o.episode_envs[k] + 1], 1e-2);
  // Its log-probabilities are its own policy's of its own actions.
  const DiagGaussian dist = opponent.evaluate(o.observations, o.episode_starts, {}, opponent.parameters());
  EXPECT_TRUE(torch::allclose(dist.log_prob(o.actions), o.log_probs, 1e-4, 1e-5));
  // An opponent set without `record` has no batch.
  sampler.set_opponents({Actor{&opponent, opponent.parameters(), nullptr, env.rows_of_agent(1)}});
  EXPECT_THROW(sampler.opponent_batch(0), c10::Error);
}

// Fixed episodes where the learner plays one env and opponents the rest (a
// tournament's games side by side): every env plays its whole episode, and
// each recorded side is masked after its own env's episode, not another's.
TEST(Sampler, FixedEpisodesRunEveryEnvsEpisodeEvenWhereTheLearnerDoesNotPlay) {
  torch::manual_seed(4);
  VectorEnv env = two_point_masses(4);
  env.seed(1);
  GaussianMlpPolicy learner(2, 1, MlpPolicyConfig{{8}, Activation::kTanh, 0.01}),
      others_0(2, 1, MlpPolicyConfig{}), others_1(3, 2, MlpPolicyConfig{});
  // The learner (agent 0 of env 0) walks straight at its opponent, so its
  // match ends early; the others wander until the time limit or so.
  Params rush = learner.parameters();
  rush[rush.size() - 2] = torch::full_like(rush[rush.size() - 2], 5.0);  // the mean's bias
  Sampler sampler(env, learner, 9, nullptr, false, {0});
  sampler.set_opponents({Actor{&others_0, others_0.parameters(), nullptr, {2, 4, 6}, /*record=*/true},
                         Actor{&others_1, others_1.parameters(), nullptr, {1, 3, 5, 7}, /*record=*/true}});
  const EpisodeBatch b = sampler.collect_episodes(20, rush);
  const EpisodeBatch& zeros = sampler.opponent_batch(0);  // envs 1, 2, 3
  const EpisodeBatch& ones = sampler.opponent_batch(1);   // envs 0, 1, 2, 3
  // Each env's episode length, from the side of agent 1 (it plays them all).
  std::vector<int64_t> lengths;
  for (int64_t e = 0; e < 4; ++e) {
    const auto mask = ones.masks.select(1, e);
    const auto ends = (mask > 0).logical_and(ones.episode_end.select(1, e) > 0).nonzero();
    ASSERT_EQ(ends.size(0), 1) << "env " << e;
    const int64_t end = ends[0][0].item<int64_t>();
    lengths.push_back(end + 1);
    EXPECT_EQ(mask.sum().item<float>(), float(end + 1)) << "env " << e << ": masked before its end or kept after";
  }
  // The learner's env ends first here, and the rollout still ran until the last one ended.
  EXPECT_LT(lengths[0], *std::max_element(lengths.begin(), lengths.end()));
  EXPECT_EQ(b.horizon(), *std::max_element(lengths.begin(), lengths.end()));
  EXPECT_EQ(b.masks.sum().item<float>(), float(lengths[0]));
  for (int64_t j = 0; j < 3; ++j)
    EXPECT_TRUE(torch::equal(zeros.masks.select(1, j), ones.masks.select(1, j + 1))) << "env " << j + 1;
}

TEST(Sampler, APoolOfOpponentsActsOneBatchedCallEachAndEveryRowNeedsExactlyOneActor) {
  torch::manual_seed(6);
  VectorEnv env = two_point_masses(4);
  CountingPolicy learner(2, 1), first(3, 2), second(3, 2);
  Sampler sampler(env, learner, 7);
  EXPECT_THROW(sampler.set_opponents({Actor{&first, first.parameters(), nullptr, {1, 3}}}), c10::Error);
  EXPECT_THROW(sampler.set_opponents({Actor{&first, first.parameters(), nullptr, {0, 1, 3, 5, 7}}}), c10::Error);
  CountingPolicy wrong_size(2, 1);
  EXPECT_THROW(sampler.set_opponents({Actor{&wrong_size, wrong_size.parameters(), nullptr, {1, 3, 5, 7}}}),
               c10::Error);
  sampler.set_opponents({Actor{&first, first.parameters(), nullptr, {1, 3}},
                         Actor{&second, second.parameters(), nullptr, {5, 7}}});
  sampler.collect(3, learner.parameters());
  EXPECT_EQ(first.calls, 3);
  EXPECT_EQ(first.batch_rows, 2);
  EXPECT_EQ(second.calls, 3);
  EXPECT_EQ(second.batch_rows, 2);
}

TEST(Sampler, ARecurrentOpponentsStateIsSavedSoSamplingContinuesExactly) {
  torch::manual_seed(8);
  GaussianMlpPolicy learner(2, 1, MlpPolicyConfig{});
  // Small noise and a large output gain, so the opponent's moves (clipped
  // to ±0.1) depend on its recurrent state.
  LstmPolicyConfig config;
  config.init_std = 0.01;
  config.output_gain = 1.0;
  LstmPolicy opponent(3, 2, config);
  const auto with_opponent = [&](VectorEnv& env) {
    auto sampler = std::make_unique<Sampler>(env, learner, 9);
    sampler->set_opponents({Actor{&opponent, opponent.parameters(), nullptr, env.rows_of_agent(1)}});
    return sampler;
  };
  VectorEnv env = two_point_masses(3);
  auto sampler = with_opponent(env);
  sampler->collect(3, learner.parameters());
  const auto sampler_state = sampler->state();
  const std::string env_state = env.save_state();
  const EpisodeBatch expected = sampler->collect(4, learner.parameters());

  VectorEnv resumed_env = two_point_masses(3);
  auto resumed = with_opponent(resumed_env);
  resumed_env.load_state(env_state);
  resumed->load_state(sampler_state);
  const EpisodeBatch b = resumed->collect(4, learner.parameters());
  // The opponent's moves show in the learner's observations of the other point.
  EXPECT_TRUE(torch::equal(b.next_observations, expected.next_observations));
  EXPECT_TRUE(torch::equal(b.actions, expected.actions));

  // Without the opponent its saved state has no owner.
  VectorEnv lone_env = two_point_masses(3);
  Sampler lone(lone_env, learner, 9);
  EXPECT_THROW(lone.load_state(sampler_state), c10::Error);
}

TEST(ConcatenateInTime, StacksRoundsAfterEachOtherAndKeepsTheirEpisodes) {
  EpisodeBatch a, b;
  a.rewards = torch::ones({2, 3});
  a.masks = torch::ones({2, 3});
  b.rewards = torch::full({3, 3}, 2.0);
  b.masks = torch::ones({3, 3});
  a.episode_returns = {1.0};
  a.episode_lengths = {2};
  a.episode_envs = {1};
  b.episode_returns = {6.0, 4.0};
  b.episode_lengths = {3, 2};
  b.episode_envs = {0, 2};
  const EpisodeBatch c = concatenate_in_time({a, b});
  EXPECT_EQ(c.horizon(), 5);
  EXPECT_EQ(c.num_envs(), 3);
  EXPECT_TRUE(torch::equal(c.rewards.narrow(0, 2, 3), b.rewards));
  EXPECT_FALSE(c.observations.defined());  // undefined in every batch: left undefined
  EXPECT_EQ(c.episode_envs, (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(c.episode_returns, (std::vector<double>{1.0, 6.0, 4.0}));
  EpisodeBatch narrower;
  narrower.rewards = torch::ones({1, 2});
  EXPECT_THROW(concatenate_in_time({a, narrower}), c10::Error);
}

// An RL² learner (trial inputs) against an opponent that walks toward it,
// so that episodes end at different steps and fixed episodes have masked
// steps. Noise small, output gain large: the actions show the state.
TEST(Sampler, AnRl2LearnersMemoryRunsAcrossFixedEpisodesAsEvaluatingTheTrialReproduces) {
  torch::manual_seed(12);
  VectorEnv env = two_point_masses(6);
  env.seed(4);
  LstmPolicyConfig config;
  config.init_std = 0.3;
  config.output_gain = 1.0;
  LstmPolicy learner(2 + kTrialInputs, 1, config);
  MlpPolicyConfig walker_config;
  walker_config.hidden = {};
  GaussianMlpPolicy walker(3, 2, walker_config);
  {
    torch::NoGradGuard no_grad;
    walker.parameters()[0].zero_();
    walker.parameters()[1].fill_(-1.0);  // clipped: moves 0.1 toward the learner each step
    walker.parameters()[2].fill_(std::log(0.01));
  }
  EXPECT_THROW(Sampler(env, learner, 3), c10::Error);  // its policy is wider than the agent: needs trial inputs
  Sampler sampler(env, learner, 3, nullptr, true, {}, /*trial_inputs=*/true);
  sampler.set_opponents({Actor{&walker, walker.parameters(), nullptr, env.rows_of_agent(1)}});
  const Params& params = learner.parameters();
  EXPECT_THROW(sampler.collect_episodes(20, params, /*continue_trial=*/true), c10::Error);  // no trial yet

  const EpisodeBatch first = sampler.collect_episodes(20, params);
  const TrialMemory memory = sampler.trial_memory();
  const EpisodeBatch second = sampler.collect_episodes(20, params, /*continue_trial=*/true);
  const int64_t n = 6;
  ASSERT_LT(first.masks.sum().item<float>(), float(first.horizon() * n)) << "no env ended early: nothing masked";

  // The trial starts at the first collect's first step, and only there.
  EXPECT_TRUE(torch::equal(first.episode_starts[0], torch::ones({n})));
  EXPECT_EQ(first.episode_starts.sum().item<float>(), float(n));
  EXPECT_EQ(second.episode_starts.sum().item<float>(), 0.f);
  // Inputs: previous reward (0 where the trial starts) and the episode-start flag.
  const auto obs = first.observations.accessor<float, 3>();
  const auto rewards = first.rewards.accessor<float, 2>();
  for (int64_t j = 0; j < n; ++j) {
    EXPECT_EQ(obs[0][j][2], 0.f);
    EXPECT_EQ(obs[0][j][3], 1.f);
    float last_reward = 0;
    for (int64_t t = 0; t < first.horizon() && first.masks[t][j].item<float>() > 0; ++t) {
      if (t > 0) {
        EXPECT_EQ(obs[t][j][2], rewards[t - 1][j]) << "env " << j << " step " << t;
        EXPECT_EQ(obs[t][j][3], 0.f);
      }
      last_reward = rewards[t][j];
    }
    // The next episode opens with that episode's last reward and the flag.
    EXPECT_EQ(memory.previous_rewards[j].item<float>(), last_reward);
    EXPECT_EQ(second.observations[0][j][2].item<float>(), last_reward);
    EXPECT_EQ(second.observations[0][j][3].item<float>(), 1.f);
  }
  // The second collect starts from the state each env's episode ended with.
  EXPECT_TRUE(torch::equal(second.initial_state.h, memory.state.h));
  EXPECT_GT(memory.state.h.abs().sum().item<float>(), 0.f);

  // Each env's episodes back to back: evaluating the trial from its start
  // reproduces the log-probabilities the learner acted with (its state stood
  // still through the masked steps), and resetting the state at the second
  // episode's start would not.
  const EpisodeBatch trial = compact_in_time(concatenate_in_time({first, second}));
  const auto acted = trial.log_probs * trial.masks;
  const auto evaluated = learner.evaluate(trial.observations, trial.episode_starts, trial.initial_state, params)
                             .log_prob(trial.actions) * trial.masks;
  EXPECT_TRUE(torch::allclose(evaluated, acted, 1e-4, 1e-4)) << (evaluated - acted).abs().max();
  const auto forgetting = compact_in_time(concatenate_in_time({first, [&] {
    EpisodeBatch b = second;
    b.episode_starts = b.episode_starts.clone();
    b.episode_starts[0].fill_(1.0);
    return b;
  }()}));
  const auto forgot = learner.evaluate(forgetting.observations, forgetting.episode_starts, forgetting.initial_state,
                                       params).log_prob(forgetting.actions) * forgetting.masks;
  EXPECT_GT((forgot - acted).abs().max().item<float>(), 1e-3);

  // A memory set from outside must fit the learner's envs.
  EXPECT_THROW(sampler.set_trial_memory({memory.state, torch::zeros({n + 1})}), c10::Error);
}

TEST(CompactInTime, MovesEachEnvsMaskedStepsAfterItsOthersInOrder) {
  EpisodeBatch b;
  // Env 0: steps 0 and 2 kept; env 1: steps 1 and 2.
  b.masks = torch::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 1.f}).reshape({3, 2});
  b.rewards = torch::tensor({10.f, 11.f, 20.f, 21.f, 30.f, 31.f}).reshape({3, 2});
  b.observations = torch::arange(12, torch::kFloat32).reshape({3, 2, 2});
  b.episode_envs = {1};
  const EpisodeBatch c = compact_in_time(b);
  EXPECT_TRUE(torch::equal(c.rewards, torch::tensor({10.f, 21.f, 30.f, 31.f, 20.f, 11.f}).reshape({3, 2})));
  EXPECT_TRUE(torch::equal(c.masks, torch::tensor({1.f, 1.f, 1.f, 1.f, 0.f, 0.f}).reshape({3, 2})));
  EXPECT_TRUE(torch::equal(c.observations[1][0], b.observations[2][0]));
  EXPECT_TRUE(torch::equal(c.observations[0][1], b.observations[1][1]));
  EXPECT_FALSE(c.actions.defined());
  EXPECT_EQ(c.episode_envs, b.episode_envs);
}

}  // namespace
}  // namespace metarl
