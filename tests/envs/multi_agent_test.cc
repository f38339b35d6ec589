// Players as rows: an env with two agents of different sizes, alone and in a VectorEnv.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "envs/core/registry.h"
#include "envs/vector_env.h"
#include "tests/support/two_point_masses.h"

namespace metarl {
namespace {

// Registered here so the generic contract test covers a two-agent env.
const Registration<Env> kRegisterTwoPointMasses(
    env_registry(), "TwoPointMasses", "test-only two-agent env", {{2, 1}, {3, 2}},
    TwoPointMassesEnv::option_specs(),
    [](const Options& o) { return std::make_unique<TwoPointMassesEnv>(o); });

TEST(MultiAgentEnv, RowsArePaddedToTheWidestAgentAndRewardsArePerAgent) {
  TwoPointMassesEnv env;
  ASSERT_EQ(env.num_agents(), 2);
  EXPECT_EQ(env.obs_dim(0), 2);
  EXPECT_EQ(env.obs_dim(1), 3);
  EXPECT_EQ(env.act_dim(1), 2);
  EXPECT_EQ(env.obs_row_size(), 3);
  EXPECT_EQ(env.act_row_size(), 2);

  const std::vector<float> obs = env.reset(7);
  ASSERT_EQ(obs.size(), 6u);
  const double x0 = env.x(0), x1 = env.x(1);
  EXPECT_EQ(obs, (std::vector<float>{float(x0), float(x1), 0.f, float(x1), float(x0), 0.f}));

  // Agent 0's row is [move, padding]; agent 1's move is clipped to -0.1.
  const Transition t = env.step({0.05f, 123.f, -0.25f, 9.f});
  const double y0 = x0 + 0.05f, y1 = x1 - 0.1;
  ASSERT_EQ(t.rewards.size(), 2u);
  EXPECT_DOUBLE_EQ(t.rewards[0], (y0 + y1) - 0.01 * double(0.05f) * double(0.05f));
  EXPECT_DOUBLE_EQ(t.rewards[1], -(y0 + y1) - 0.01 * double(-0.25f) * double(-0.25f));
  EXPECT_EQ(t.reward, t.rewards[0]);
  EXPECT_EQ(t.observation, (std::vector<float>{float(y0), float(y1), 0.f, float(y1), float(y0), 1.f / 20.f}));
  EXPECT_EQ(t.info, (std::vector<float>{float(y0), float(y1)}));
  EXPECT_FALSE(t.terminated);
}

TEST(MultiAgentEnv, ABadActionInAnyAgentsRowIsRejectedBeforeAnythingMoves) {
  TwoPointMassesEnv env;
  env.reset(3);
  const double x0 = env.x(0), x1 = env.x(1);
  // Padding is not an action: a NaN there is ignored.
  EXPECT_NO_THROW(env.step({0.f, NAN, 0.f, 0.f}));
  try {
    env.step({0.1f, 0.f, NAN, 0.f});
    FAIL() << "a NaN action was accepted";
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "TwoPointMasses: agent 1 action[0] is NaN");
  }
  EXPECT_EQ(env.x(0), x0);
  EXPECT_EQ(env.x(1), x1);
  EXPECT_EQ(env.elapsed_steps(), 1);
  EXPECT_THROW(env.step({0.f, 0.f, 0.f}), EnvError);  // 3 values for 2 rows of 2
}

std::unique_ptr<VectorEnv> two_point_masses(int envs, int threads) {
  std::vector<std::unique_ptr<Env>> list;
  for (int i = 0; i < envs; ++i) list.push_back(std::make_unique<TwoPointMassesEnv>());
  return std::make_unique<VectorEnv>(std::move(list), threads);
}

TEST(MultiAgentVectorEnv, LaysOutEnvAgentPairsAsRowsAndResetsPerEnv) {
  auto venv = two_point_masses(3, 2);
  VectorEnv& v = *venv;
  ASSERT_EQ(v.num_rows(), 6);
  EXPECT_EQ(v.num_agents(), 2);
  EXPECT_EQ(v.obs_dim(), 3);
  EXPECT_EQ(v.act_dim(), 2);
  EXPECT_EQ(v.row_envs(), (std::vector<int64_t>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(v.row_agents(), (std::vector<int64_t>{0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(v.rows_of_agent(1), (std::vector<int64_t>{1, 3, 5}));
  EXPECT_THROW(v.rows_of_agent(2), EnvError);

  v.seed(11);
  v.reset();
  // Env 1's points walk towards each other until they meet; envs 0 and 2 stand still.
  std::vector<double> returns(6, 0.0);
  const auto obs_at = [&](int row, int k) { return v.observations()[row * 3 + k]; };
  const double env0_x = obs_at(0, 0);
  int steps = 0;
  while (true) {
    ASSERT_LT(steps, 20) << "the points never met";
    const float gap = obs_at(2, 1) - obs_at(2, 0);
    const float move = std::min(0.1f, gap / 2);
    const float other_x0 = obs_at(2, 0), other_x1 = obs_at(3, 0);
    v.step(std::vector<float>{0, 0, 0, 0, move, 0, -move, 0, 0, 0, 0, 0});
    ++steps;
    for (int r = 0; r < 6; ++r) returns[size_t(r)] += v.rewards()[r];
    const bool ended = v.done(2);
    for (int r = 0; r < 6; ++r) EXPECT_EQ(v.done(r), ended && v.row_envs()[size_t(r)] == 1) << "row " << r;
    if (!ended) continue;
    // Both rows of env 1 ended together: their last observations are kept,
    // each row has its own return, and the env restarted.
    EXPECT_NEAR(v.final_observations()[2 * 3], other_x0 + move, 1e-6);
    EXPECT_NEAR(v.final_observations()[3 * 3], other_x1 - move, 1e-6);
    EXPECT_NEAR(v.episode_returns()[2], returns[2], 1e-5);
    EXPECT_NEAR(v.episode_returns()[3], returns[3], 1e-5);
    EXPECT_EQ(v.episode_lengths()[2], steps);
    EXPECT_EQ(v.episode_lengths()[3], steps);
    EXPECT_NEAR(obs_at(2, 0), -0.5, 0.05 + 1e-6);
    EXPECT_NEAR(obs_at(3, 0), 0.5, 0.05 + 1e-6);
    EXPECT_EQ(obs_at(3, 2), 0.f);  // agent 1's elapsed fraction starts again
    break;
  }
  EXPECT_EQ(obs_at(0, 0), env0_x);  // the other envs go on
  EXPECT_NEAR(obs_at(1, 2), steps / 20.0, 1e-6);
}

TEST(MultiAgentVectorEnv, ABadActionInOneRowLeavesEveryEnvAsItWas) {
  auto venv = two_point_masses(2, 2);
  venv->reset();
  const std::string before = venv->save_state();
  try {
    venv->step(std::vector<float>{0, 0, 0, 0, 0, 0, INFINITY, 0});
    FAIL() << "an infinite action was accepted";
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "env 1 of 2: TwoPointMasses: agent 1 action[0] is infinite (inf)");
  }
  EXPECT_EQ(venv->save_state(), before);
}

}  // namespace
}  // namespace metarl
