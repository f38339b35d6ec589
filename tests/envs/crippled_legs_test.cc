// The nonstationary crippled-legs task families: the split of leg pairs, and
// the weakening of exactly the task's two legs along a chain of episodes.
#include <set>
#include <utility>

#include <gtest/gtest.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {
namespace {

std::set<std::pair<int, int>> sampled_pairs(const std::string& family, const std::string& options) {
  Rng rng(5);
  std::set<std::pair<int, int>> pairs;
  for (const Task& t : make_task_family(family, Options::parse(options))->sample(2000, rng))
    pairs.emplace(int(t.get("leg_a")), int(t.get("leg_b")));
  return pairs;
}

TEST(CrippledLegs, BugSplitsFifteenPairsIntoTwelveAndThreeHeldOut) {
  const auto train = sampled_pairs("BugCrippledLegs", "");
  const auto test = sampled_pairs("BugCrippledLegs", "split=test");
  const auto all = sampled_pairs("BugCrippledLegs", "split=all");
  EXPECT_EQ(train.size(), 12u);
  EXPECT_EQ(test, (std::set<std::pair<int, int>>{{1, 4}, {2, 3}, {4, 6}}));
  EXPECT_EQ(all.size(), 15u);
  for (const auto& p : test) EXPECT_EQ(train.count(p), 0u);
  for (const auto& p : all) EXPECT_LT(p.first, p.second);
  EXPECT_EQ(sampled_pairs("AntCrippledLegs", "split=all").size(), 6u);
  EXPECT_EQ(sampled_pairs("SpiderCrippledLegs", "").size(), 24u);
  EXPECT_EQ(sampled_pairs("BugCrippledLegs", "split=test,held_out=5-6").size(), 1u);
}

TEST(CrippledLegs, TheTasksTwoLegsWeakenOverSevenEpisodesAndANewChainRestores) {
  auto env = make_env("Bug");
  const auto family = make_task_family("BugCrippledLegs", Options::parse("split=all"));
  family->apply(*env, Task("BugCrippledLegs", {{"leg_a", 3}, {"leg_b", 6}}));
  const mjModel* m = dynamic_cast<LocomotionEnv&>(*env).model();
  for (int episode = 0; episode < 9; ++episode) {
    env->reset(episode);
    const double factor = std::max(0.0, 1.0 - episode / 6.0);
    for (int a = 0; a < m->nu; ++a) {
      const std::string name = mj_id2name(m, mjOBJ_ACTUATOR, a);
      const bool weakened = name.back() == '3' || name.back() == '6';
      EXPECT_NEAR(m->actuator_gear[6 * a], weakened ? 150.0 * factor : 150.0, 1e-9)
          << name << " in episode " << episode;
    }
  }
  family->apply(*env, Task("BugCrippledLegs", {{"leg_a", 1}, {"leg_b", 2}}));
  env->reset(0);
  for (int a = 0; a < m->nu; ++a) EXPECT_EQ(m->actuator_gear[6 * a], 150.0);
}

// The experiment's schedule and the task's compose.
TEST(CrippledLegs, TheTaskScheduleComposesWithTheExperiments) {
  auto env = make_env("Bug");
  env->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=*,from=0.5,to=0.5")));
  make_task_family("BugCrippledLegs")->apply(*env, Task("BugCrippledLegs", {{"leg_a", 1}, {"leg_b", 5}}));
  for (int episode = 0; episode < 4; ++episode) env->reset(episode);  // episode 3: factor 1/2
  const mjModel* m = dynamic_cast<LocomotionEnv&>(*env).model();
  const int hip_1 = mj_name2id(m, mjOBJ_ACTUATOR, "hip_1"), hip_2 = mj_name2id(m, mjOBJ_ACTUATOR, "hip_2");
  EXPECT_DOUBLE_EQ(m->actuator_gear[6 * hip_1], 150.0 * 0.5 * 0.5);
  EXPECT_DOUBLE_EQ(m->actuator_gear[6 * hip_2], 150.0 * 0.5);
}

TEST(CrippledLegs, BadOptionsAreErrors) {
  EXPECT_THROW(make_task_family("BugCrippledLegs", Options::parse("split=validation")), EnvError);
  EXPECT_THROW(make_task_family("BugCrippledLegs", Options::parse("held_out=1-7")), EnvError);
  EXPECT_THROW(make_task_family("BugCrippledLegs", Options::parse("held_out=2-2")), EnvError);
  EXPECT_THROW(make_task_family("BugCrippledLegs", Options::parse("held_out=1to4")), EnvError);
  EXPECT_THROW(make_task_family("AntCrippledLegs", Options::parse("split=train,held_out=1-2 1-3 1-4 2-3 2-4 3-4")),
               EnvError);  // nothing left to train on
}

}  // namespace
}  // namespace metarl
