// The task families' options and their defaults, as docs/ENVIRONMENTS.md
// lists them ("Variants without code"): what a variant without code relies on.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/env.h"
#include "envs/core/error.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"

namespace metarl {
namespace {

// The smallest and largest value of `key` over many sampled tasks.
std::pair<double, double> sampled_range(const std::string& family, const std::string& options, const std::string& key) {
  Rng rng(11);
  std::vector<double> values;
  for (const Task& t : make_task_family(family, Options::parse(options))->sample(2000, rng))
    values.push_back(t.get(key));
  return {*std::min_element(values.begin(), values.end()), *std::max_element(values.begin(), values.end())};
}

// Within [low, high] and reaching near both ends.
void expect_spans(std::pair<double, double> range, double low, double high) {
  EXPECT_GE(range.first, low);
  EXPECT_LE(range.second, high);
  EXPECT_LT(range.first, low + 0.01 * (high - low));
  EXPECT_GT(range.second, high - 0.01 * (high - low));
}

TEST(FamilyOptions, RangesHaveTheDocumentedDefaultsAndAreOptions) {
  expect_spans(sampled_range("Navigation2D", "", "goal_x"), -0.5, 0.5);
  expect_spans(sampled_range("Navigation2D", "", "goal_y"), -0.5, 0.5);
  expect_spans(sampled_range("Navigation2D", "low=0,high=2", "goal_y"), 0.0, 2.0);
  expect_spans(sampled_range("HalfCheetahVel", "", "velocity"), 0.0, 2.0);
  expect_spans(sampled_range("HalfCheetahVel", "low=2,high=3", "velocity"), 2.0, 3.0);
  expect_spans(sampled_range("AntVel", "", "velocity"), 0.0, 3.0);
  expect_spans(sampled_range("AntVel", "low=1,high=1.5", "velocity"), 1.0, 1.5);
  expect_spans(sampled_range("AntGoal", "", "goal_x"), -3.0, 3.0);
  expect_spans(sampled_range("AntGoal", "range=1", "goal_y"), -1.0, 1.0);
  EXPECT_THROW(make_task_family("HalfCheetahVel", Options::parse("low=3,high=2")), EnvError);
  EXPECT_THROW(make_task_family("AntGoal", Options::parse("range=-1")), EnvError);
}

TEST(FamilyOptions, DirectionFamiliesHaveNoneAndUnknownOptionsAreErrors) {
  for (const char* family : {"HalfCheetahDir", "AntDir"})
    EXPECT_THROW(make_task_family(family, Options::parse("low=1")), EnvError) << family;
  EXPECT_THROW(make_task_family("HalfCheetahVel", Options::parse("hihg=3")), EnvError);
}

TEST(FamilyOptions, CrippledLegsWeakenToAndOverTheirOptions) {
  const auto describe = [](const std::string& options) {
    auto env = make_env("Bug");
    const auto family = make_task_family("BugCrippledLegs", Options::parse(options));
    family->apply(*env, Task("BugCrippledLegs", {{"leg_a", 1}, {"leg_b", 2}}));
    return env->task_schedule()->describe();
  };
  const std::string weakening = "ActuatorGearScale(actuator=hip_{leg_a} ankle_{leg_a} hip_{leg_b} ankle_{leg_b}, ";
  EXPECT_EQ(describe(""), weakening + "from=1, to=0, episodes=7)");
  EXPECT_EQ(describe("to=0.5,episodes=3"), weakening + "from=1, to=0.5, episodes=3)");
}

}  // namespace
}  // namespace metarl
