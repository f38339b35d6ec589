// Each MAML task family's reward against a hand computation from the raw
// MuJoCo state: root position before and after the step, the action, and
// cfrc_ext as MuJoCo reports it.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/mujoco/locomotion_env.h"
#include "envs/mujoco/locomotion_tasks.h"

namespace metarl {
namespace {

struct Measured {
  double reward;
  double x_before, y_before, x_after, y_after;
  double ctrl_sq;
  double contact_sq;  // sum over bodies 1.. of clip(cfrc_ext, -1, 1)^2
};

// Applies `task`, resets, walks a few steps into the episode (so the robot
// moves and, for the Ant, touches the floor), then measures one step by hand.
Measured measure(const std::string& env_name, const Task& task, const std::vector<float>& action) {
  auto env = make_env(env_name);
  make_task_family(task.family())->apply(*env, task);
  env->reset(11);
  auto& loco = dynamic_cast<LocomotionEnv&>(*env);
  for (int k = 0; k < 10; ++k) env->step(action);
  Measured m{};
  m.x_before = loco.data()->qpos[0];
  const bool planar = env_name == "HalfCheetah";
  m.y_before = planar ? 0.0 : loco.data()->qpos[1];
  m.reward = env->step(action).reward;
  m.x_after = loco.data()->qpos[0];
  m.y_after = planar ? 0.0 : loco.data()->qpos[1];
  for (float a : action) m.ctrl_sq += double(a) * a;
  for (int i = 6; i < 6 * loco.model()->nbody; ++i) {
    const double c = std::min(1.0, std::max(-1.0, double(loco.data()->cfrc_ext[i])));
    m.contact_sq += c * c;
  }
  return m;
}

const std::vector<float> kCheetahAction = {0.8f, -0.3f, 0.5f, -0.9f, 0.2f, 0.6f};
const std::vector<float> kAntAction = {0.3f, 0.7f, -0.4f, 0.6f, 0.5f, -0.8f, -0.2f, 0.9f};
constexpr double kDt = 0.05;
constexpr double kTol = 1e-9;

TEST(TaskRewards, HalfCheetahVel) {
  const Measured m = measure("HalfCheetah", Task("HalfCheetahVel", {{"velocity", 1.3}}), kCheetahAction);
  const double v = (m.x_after - m.x_before) / kDt;
  EXPECT_NE(v, 0.0);
  EXPECT_NEAR(m.reward, -std::abs(v - 1.3) - 0.05 * m.ctrl_sq, kTol);
}

// The drifting chain: episode k of a chain is rewarded against the k-th
// target, which starts at the task's velocity and moves by ±0.3 within
// [0, 2]; by hand from the root's displacement, as HalfCheetahVel.
TEST(TaskRewards, HalfCheetahVelDriftFollowsTheChainsTargets) {
  const auto family = make_task_family("HalfCheetahVelDrift", Options::parse("episodes=5"));
  const Task task("HalfCheetahVelDrift", {{"velocity", 1.9}, {"walk", 5.0 / (1 << 20)}});
  const auto targets = dynamic_cast<const VelocityDriftFamily&>(*family).targets(task);
  ASSERT_EQ(targets.size(), 5u);
  EXPECT_EQ(targets[0], 1.9);
  for (size_t k = 1; k < targets.size(); ++k) {
    EXPECT_GE(targets[k], 0.0);
    EXPECT_LE(targets[k], 2.0);
    // A step of 0.3, or one reflected at 2 (1.9 + 0.3 -> 1.8).
    const double step = std::abs(targets[k] - targets[k - 1]);
    EXPECT_TRUE(std::abs(step - 0.3) < 1e-12 || std::abs(targets[k - 1] + 0.3 - 2.0 - (2.0 - targets[k])) < 1e-12)
        << k << ": " << targets[k - 1] << " -> " << targets[k];
  }
  auto env = make_env("HalfCheetah");
  family->apply(*env, task);
  auto& loco = dynamic_cast<LocomotionEnv&>(*env);
  for (size_t k = 0; k < 7; ++k) {  // past the walk's end the last target stays
    env->reset(11);
    const double x_before = loco.data()->qpos[0];
    const double reward = env->step(kCheetahAction).reward;
    const double v = (loco.data()->qpos[0] - x_before) / kDt;
    double ctrl_sq = 0;
    for (float a : kCheetahAction) ctrl_sq += double(a) * a;
    EXPECT_NEAR(reward, -std::abs(v - targets[std::min<size_t>(k, 4)]) - 0.05 * ctrl_sq, kTol) << "episode " << k;
  }
}

TEST(TaskRewards, HalfCheetahDir) {
  for (double d : {1.0, -1.0}) {
    const Measured m = measure("HalfCheetah", Task("HalfCheetahDir", {{"direction", d}}), kCheetahAction);
    const double v = (m.x_after - m.x_before) / kDt;
    EXPECT_NEAR(m.reward, d * v - 0.05 * m.ctrl_sq, kTol);
  }
}

TEST(TaskRewards, AntVel) {
  const Measured m = measure("Ant", Task("AntVel", {{"velocity", 2.1}}), kAntAction);
  const double v = (m.x_after - m.x_before) / kDt;
  EXPECT_GT(m.contact_sq, 0.0);  // the hand computation must include real contact
  EXPECT_NEAR(m.reward, -std::abs(v - 2.1) + 1.0 - 0.005 * m.ctrl_sq - 0.0005 * m.contact_sq + 0.05, kTol);
}

TEST(TaskRewards, AntDir) {
  for (double d : {1.0, -1.0}) {
    const Measured m = measure("Ant", Task("AntDir", {{"direction", d}}), kAntAction);
    const double v = (m.x_after - m.x_before) / kDt;
    EXPECT_NEAR(m.reward, d * v - 0.005 * m.ctrl_sq - 0.0005 * m.contact_sq + 0.05, kTol);
  }
}

// The crippled-legs families run forward with MAML's Ant costs (the leg
// pair's weakening is tested in crippled_legs_test.cc).
TEST(TaskRewards, BugCrippledLegs) {
  const std::vector<float> action = {0.3f, 0.7f, -0.4f, 0.6f, 0.5f, -0.8f, -0.2f, 0.9f, 0.1f, -0.5f, 0.4f, -0.6f};
  const Measured m = measure("Bug", Task("BugCrippledLegs", {{"leg_a", 2}, {"leg_b", 5}}), action);
  const double v = (m.x_after - m.x_before) / kDt;
  EXPECT_GT(m.contact_sq, 0.0);
  EXPECT_NEAR(m.reward, v - 0.005 * m.ctrl_sq - 0.0005 * m.contact_sq + 0.05, kTol);
}

TEST(TaskRewards, AntGoal) {
  const Measured m = measure("Ant", Task("AntGoal", {{"goal_x", 1.5}, {"goal_y", -2.0}}), kAntAction);
  const double l1 = std::abs(m.x_after - 1.5) + std::abs(m.y_after + 2.0);
  EXPECT_NEAR(m.reward, -l1 + 4.0 - 0.005 * m.ctrl_sq - 0.0005 * m.contact_sq + 0.05, kTol);
}

TEST(TaskRewards, AntDefaultIsGymnasium) {
  auto env = make_env("Ant");
  env->reset(5);
  auto& loco = dynamic_cast<LocomotionEnv&>(*env);
  for (int k = 0; k < 10; ++k) env->step(kAntAction);
  const double x_before = loco.data()->qpos[0];
  const auto t = env->step(kAntAction);
  const double v = (loco.data()->qpos[0] - x_before) / kDt;
  double ctrl_sq = 0, contact_sq = 0;
  for (float a : kAntAction) ctrl_sq += double(a) * a;
  for (int i = 6; i < 6 * 14; ++i) {
    const double c = std::min(1.0, std::max(-1.0, double(loco.data()->cfrc_ext[i])));
    contact_sq += c * c;
  }
  ASSERT_FALSE(t.terminated);
  EXPECT_NEAR(t.reward, v + 1.0 - 0.5 * ctrl_sq - 5e-4 * contact_sq, kTol);
}

}  // namespace
}  // namespace metarl
