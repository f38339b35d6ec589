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

// The sanity chain: episode 0 has the task's start goal; each later episode's
// goal lies `step` from the previous one; after `episodes` it stays. The
// reward is minus the distance to the episode's goal, as computed by hand.
TEST(Navigation2DDrift, EachEpisodesGoalIsOneStepFromThePrevious) {
  auto env = make_env("Navigation2D");
  const auto family = make_task_family("Navigation2DDrift", Options::parse("step=0.2,episodes=4"));
  family->apply(*env, Task("Navigation2DDrift", {{"goal_x", 0.1}, {"goal_y", -0.2}, {"walk", 6.0 / (1 << 20)}}));
  auto& nav = dynamic_cast<Navigation2DEnv&>(*env);
  std::vector<std::pair<double, double>> goals;
  for (int episode = 0; episode < 6; ++episode) {
    env->reset(0);
    goals.emplace_back(nav.goal_x(), nav.goal_y());
    if (episode == 0) {
      const auto t = env->step({0.1f, -0.1f});  // to (0.1, -0.1): 0.1 from the goal
      EXPECT_NEAR(t.reward, -0.1, 1e-7);
    }
  }
  EXPECT_EQ(goals[0], std::make_pair(0.1, -0.2));
  for (int k = 1; k < 4; ++k)
    EXPECT_NEAR(std::hypot(goals[k].first - goals[k - 1].first, goals[k].second - goals[k - 1].second), 0.2, 1e-12);
  EXPECT_EQ(goals[4], goals[3]);  // the walk has 4 goals
  EXPECT_EQ(goals[5], goals[3]);
  EXPECT_NE(goals[1], goals[2]);

  // A chain position held by pinning, or restored from a saved state, has its goal.
  env->pin_episode_index(2);
  env->reset(0);
  EXPECT_EQ(std::make_pair(nav.goal_x(), nav.goal_y()), goals[2]);
  std::string state;
  env->save_state(state);
  auto other = make_env("Navigation2D");
  family->apply(*other, Task("Navigation2DDrift", {{"goal_x", 0.1}, {"goal_y", -0.2}, {"walk", 6.0 / (1 << 20)}}));
  size_t offset = 0;
  other->load_state(state, offset);
  const auto& restored = dynamic_cast<Navigation2DEnv&>(*other);
  EXPECT_EQ(std::make_pair(restored.goal_x(), restored.goal_y()), goals[2]);
}

TEST(Navigation2DDrift, TrainingAndHeldOutChainsNeverShareAWalk) {
  Rng rng(3);
  for (const auto& [split, parity] : {std::make_pair("train", 0), std::make_pair("test", 1)}) {
    const auto family = make_task_family("Navigation2DDrift", Options::parse(std::string("split=") + split));
    for (const Task& task : family->sample(50, rng)) {
      EXPECT_EQ(int64_t(task.get("walk") * (1 << 20)) % 2, parity) << split;
      EXPECT_LT(task.get("walk"), 1.0);
      EXPECT_LE(std::abs(task.get("goal_x")), 0.5);
    }
  }
}

}  // namespace
}  // namespace metarl
