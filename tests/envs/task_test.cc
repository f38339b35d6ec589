#include "envs/core/task.h"

#include <set>

#include <gtest/gtest.h>

#include "envs/core/env.h"
#include "envs/core/error.h"
#include "envs/core/registry.h"

namespace metarl {
namespace {

TEST(Task, PrintsAndParsesBackExactly) {
  const Task t("HalfCheetahVel", {{"velocity", 0.1 + 0.2}});
  EXPECT_EQ(t.to_string(), "HalfCheetahVel(velocity=0.30000000000000004)");
  EXPECT_EQ(Task::parse(t.to_string()), t);
  EXPECT_EQ(Task::parse("  AntGoal( goal_x = -1.5 , goal_y=2 ) "), Task("AntGoal", {{"goal_x", -1.5}, {"goal_y", 2}}));
  EXPECT_EQ(Task::parse("Empty()"), Task("Empty", {}));
}

TEST(Task, ParseErrorsSayWhatWasWrong) {
  EXPECT_THROW(Task::parse("AntGoal"), EnvError);
  EXPECT_THROW(Task::parse("AntGoal(goal_x)"), EnvError);
  EXPECT_THROW(Task::parse("AntGoal(goal_x=abc)"), EnvError);
  EXPECT_THROW(Task::parse("1Bad(x=1)"), EnvError);
  try {
    Task("AntGoal", {{"goal_x", 1.0}}).get("goal_y");
    FAIL();
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "task AntGoal(goal_x=1) has no parameter 'goal_y'");
  }
}

// Every registered family: sampled tasks belong to it, round-trip through
// text, and the same Rng seed gives the same tasks.
TEST(TaskFamily, EveryFamilySamplesRoundTrippableDeterministicTasks) {
  for (const auto* entry : task_family_registry().entries()) {
    SCOPED_TRACE(entry->name);
    const auto family = make_task_family(entry->name);
    Rng a(42), b(42);
    const auto tasks = family->sample(20, a);
    ASSERT_EQ(tasks.size(), 20u);
    EXPECT_EQ(tasks, family->sample(20, b));
    for (const Task& t : tasks) {
      EXPECT_EQ(t.family(), entry->name);
      EXPECT_EQ(Task::parse(t.to_string()), t);
    }
  }
}

TEST(TaskFamily, SamplesFollowTheMamlDistributions) {
  Rng rng(1);
  for (const Task& t : make_task_family("HalfCheetahVel")->sample(500, rng)) {
    EXPECT_GE(t.get("velocity"), 0.0);
    EXPECT_LT(t.get("velocity"), 2.0);
  }
  for (const Task& t : make_task_family("AntVel")->sample(500, rng)) {
    EXPECT_GE(t.get("velocity"), 0.0);
    EXPECT_LT(t.get("velocity"), 3.0);
  }
  for (const Task& t : make_task_family("AntGoal")->sample(500, rng)) {
    EXPECT_LE(std::abs(t.get("goal_x")), 3.0);
    EXPECT_LE(std::abs(t.get("goal_y")), 3.0);
  }
  for (const Task& t : make_task_family("Navigation2D")->sample(500, rng)) {
    EXPECT_LE(std::abs(t.get("goal_x")), 0.5);
    EXPECT_LE(std::abs(t.get("goal_y")), 0.5);
  }
  int forward = 0;
  for (const Task& t : make_task_family("HalfCheetahDir")->sample(1000, rng)) {
    ASSERT_TRUE(t.get("direction") == 1.0 || t.get("direction") == -1.0);
    forward += t.get("direction") > 0;
  }
  EXPECT_NEAR(forward, 500, 60);  // p = 1/2, ~4 standard deviations
  // ProMP/PEARL's range through an option.
  for (const Task& t : make_task_family("HalfCheetahVel", Options::parse("high=3"))->sample(200, rng))
    EXPECT_LT(t.get("velocity"), 3.0);
}

TEST(TaskFamily, RefusesTasksOfAnotherFamilyAndEnvsOfAnotherKind) {
  auto env = make_env("HalfCheetah");
  const auto family = make_task_family("HalfCheetahVel");
  EXPECT_THROW(family->apply(*env, Task("AntVel", {{"velocity", 1.0}})), EnvError);
  auto nav = make_env("Navigation2D");
  try {
    family->apply(*nav, Task("HalfCheetahVel", {{"velocity", 1.0}}));
    FAIL();
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "HalfCheetahVel: cannot be used with env Navigation2D");
  }
  EXPECT_THROW(family->apply(*env, Task("HalfCheetahVel", {{"speed", 1.0}})), EnvError);
}

TEST(TaskFamily, ApplyingATaskRestartsTheChain) {
  auto env = make_env("Navigation2D");
  env->reset(0);
  env->reset();
  EXPECT_EQ(env->episode_index(), 1);
  const auto family = make_task_family("Navigation2D");
  const Task task("Navigation2D", {{"goal_x", 0.1}, {"goal_y", 0.2}});
  family->apply(*env, task);
  ASSERT_NE(env->task(), nullptr);
  EXPECT_EQ(*env->task(), task);
  env->reset();
  EXPECT_EQ(env->episode_index(), 0);
}

}  // namespace
}  // namespace metarl
