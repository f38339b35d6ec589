#include "envs/nav2d/navigation2d.h"

#include <cmath>

#include <gtest/gtest.h>

#include "envs/core/registry.h"

namespace metarl {
namespace {

TEST(Navigation2D, StartsAtOriginMovesByClippedActionRewardIsMinusDistance) {
  auto env = make_env("Navigation2D");
  make_task_family("Navigation2D")->apply(*env, Task("Navigation2D", {{"goal_x", 0.3}, {"goal_y", -0.2}}));
  EXPECT_EQ(env->reset(0), (std::vector<float>{0.f, 0.f}));
  auto t = env->step({0.05f, 0.5f});  // y clipped to 0.1
  EXPECT_FLOAT_EQ(t.observation[0], 0.05f);
  EXPECT_FLOAT_EQ(t.observation[1], 0.1f);
  EXPECT_NEAR(t.reward, -std::sqrt(0.25 * 0.25 + 0.3 * 0.3), 1e-7);
  EXPECT_FALSE(t.terminated);
  t = env->step({-1.f, -1.f});  // both clipped to -0.1
  EXPECT_NEAR(t.observation[0], -0.05f, 1e-7);
  EXPECT_NEAR(t.observation[1], 0.0f, 1e-7);
  EXPECT_NEAR(t.reward, -std::sqrt(0.35 * 0.35 + 0.2 * 0.2), 1e-7);
  EXPECT_NEAR(t.info[2], -t.reward, 1e-6);
}

TEST(Navigation2D, NormalizedActionsMoveATenthOfTheClippedUnitAction) {
  auto env = make_env("Navigation2D", Options::parse("normalized_actions=true"));
  EXPECT_EQ(env->action_space().low()[0], -1.0);
  EXPECT_EQ(env->action_space().high()[1], 1.0);
  make_task_family("Navigation2D")->apply(*env, Task("Navigation2D", {{"goal_x", 0.3}, {"goal_y", -0.2}}));
  env->reset(0);
  auto t = env->step({0.5f, -3.f});  // 0.1 * 0.5 and 0.1 * clip(-3)
  EXPECT_NEAR(t.observation[0], 0.05f, 1e-7);
  EXPECT_NEAR(t.observation[1], -0.1f, 1e-7);
  EXPECT_NEAR(t.reward, -std::sqrt(0.25 * 0.25 + 0.1 * 0.1), 1e-7);
}

TEST(Navigation2D, TerminatesWithinOneHundredthOnBothAxes) {
  auto env = make_env("Navigation2D");
  make_task_family("Navigation2D")->apply(*env, Task("Navigation2D", {{"goal_x", 0.1}, {"goal_y", 0.095}}));
  env->reset(0);
  auto t = env->step({0.08f, 0.08f});
  EXPECT_FALSE(t.terminated);  // dx = 0.02
  t = env->step({0.015f, 0.015f});
  EXPECT_TRUE(t.terminated);   // dx = 0.005, dy = 0
  EXPECT_NEAR(t.reward, -0.005, 1e-6);
}

TEST(Navigation2D, HorizonIsOneHundredByDefault) {
  auto env = make_env("Navigation2D");
  EXPECT_EQ(env->max_episode_steps(), 100);
  env->reset(0);
  for (int k = 1; k <= 100; ++k) EXPECT_EQ(env->step({0.f, 0.f}).truncated, k == 100);
}

}  // namespace
}  // namespace metarl
