// Nonstationary locomotion (Al-Shedivat et al. 2018, arXiv:1710.03641): run
// forward while the motors of one pair of legs weaken, from full strength to
// nothing, over the episodes of a chain. A task is the pair {leg_a, leg_b};
// every pair of legs is a task, and a fixed set of pairs is held out for
// testing (the paper's Bug: 15 pairs, 12 for training, 3 held out).
//
// The weakening is an ActuatorGearScale schedule on the pair's hip and ankle
// motors, named through the task's keys, which the family installs as the
// task's schedule (an experiment's own schedules compose with it); the
// reward is MAML's AntDir forward reward, v_x − 0.005|a|² − 0.0005 contact
// + 0.05: with Gymnasium's costs (0.5|a|², healthy 1) the Bug's twelve
// motors make every step of an exploring policy cost more than staying up
// earns, and PPO learned to fall (episodes of 135 steps shrank to 23;
// docs/ENVIRONMENTS.md).
//
// Options (crippled_legs_options): split (train | test | all), held_out
// (pairs "a-b" separated by spaces; default per robot), episodes (episodes
// from full strength to `to`), to (the final strength factor).
#include <algorithm>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"
#include "envs/mujoco/locomotion_tasks.h"

namespace metarl {
namespace {

using LegPair = std::pair<int, int>;

std::vector<LegPair> parse_pairs(const std::string& text, int legs, const std::string& who) {
  std::vector<LegPair> pairs;
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    int a = 0, b = 0;
    char dash = 0, rest = 0;
    std::istringstream pair(item);
    if (!(pair >> a >> dash >> b) || dash != '-' || (pair >> rest))
      throw_env_error(who, ": held_out pair '", item, "' is not of the form a-b");
    if (a > b) std::swap(a, b);
    if (a < 1 || b > legs || a == b)
      throw_env_error(who, ": held_out pair '", item, "' needs two different legs in 1..", legs);
    pairs.emplace_back(a, b);
  }
  return pairs;
}

class CrippledLegPairs : public TaskFamily {
 public:
  CrippledLegPairs(std::string name, std::string env_name, int legs, const Options& options)
      : TaskFamily(std::move(name), std::move(env_name)) {
    const std::string split = options.get_string(this->name(), "split");
    const auto held_out = parse_pairs(options.get_string(this->name(), "held_out"), legs, this->name());
    for (int a = 1; a <= legs; ++a)
      for (int b = a + 1; b <= legs; ++b) {
        const bool test = std::find(held_out.begin(), held_out.end(), LegPair{a, b}) != held_out.end();
        if (split == "all" || (split == "test") == test) pairs_.emplace_back(a, b);
      }
    if (pairs_.empty()) throw_env_error(this->name(), ": the ", split, " split has no pairs");
    std::ostringstream schedule;
    schedule << "actuator=hip_{leg_a} ankle_{leg_a} hip_{leg_b} ankle_{leg_b},from=1"
             << ",to=" << options.get_string(this->name(), "to")
             << ",episodes=" << options.get_int(this->name(), "episodes");
    weakening_ = make_schedule("ActuatorGearScale", Options::parse(schedule.str()));
  }

  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) {
      const size_t k = std::min(pairs_.size() - 1, size_t(rng.uniform() * double(pairs_.size())));
      tasks.push_back(make_task({{"leg_a", double(pairs_[k].first)}, {"leg_b", double(pairs_[k].second)}}));
    }
    return tasks;
  }

  // The pairs this family draws from, in order (for evaluations that walk all of them).
  const std::vector<LegPair>& pairs() const { return pairs_; }

 protected:
  void configure(Env& env, const Task& task) const override {
    env_as<LocomotionEnv>(env, name())
        .set_reward("forward running (rllab's costs), legs " + task.to_string() + " weakening",
                    [](const LocomotionState& s) {
                      return s.x_velocity - rllab_legged_costs(s) + kRllabLeggedSurvive;
                    });
    env.set_task_schedule(weakening_);
  }

 private:
  std::vector<LegPair> pairs_;
  std::shared_ptr<const DynamicsSchedule> weakening_;
};

OptionSpecs crippled_legs_options(const std::string& default_held_out) {
  return {string_option("split", "train", "pairs drawn: train (not held out), test (held out) or all")
              .one_of({"train", "test", "all"}),
          string_option("held_out", default_held_out, "the test split's pairs, \"a-b\" separated by spaces"),
          int_option("episodes", 7, "episodes from full strength to `to`").at_least(1),
          string_option("to", "0", "the final strength factor (a number or \"{key}\")")};
}

// Held-out pairs: one of each kind of pair a robot has (for the Bug's six
// legs: neighbours 2-3, one leg apart 4-6, opposite 1-4).
const Registration<TaskFamily> kRegisterBug(
    task_family_registry(), "BugCrippledLegs",
    "Bug running forward, one pair of legs weakening from 1 to `to` over the episodes; 15 pairs",
    crippled_legs_options("1-4 2-3 4-6"),
    [](const Options& o) { return std::make_unique<CrippledLegPairs>("BugCrippledLegs", "Bug", 6, o); });
const Registration<TaskFamily> kRegisterAnt(
    task_family_registry(), "AntCrippledLegs",
    "Ant running forward, one pair of legs weakening from 1 to `to` over the episodes; 6 pairs",
    crippled_legs_options("1-3"),
    [](const Options& o) { return std::make_unique<CrippledLegPairs>("AntCrippledLegs", "Ant", 4, o); });
const Registration<TaskFamily> kRegisterSpider(
    task_family_registry(), "SpiderCrippledLegs",
    "Spider running forward, one pair of legs weakening from 1 to `to` over the episodes; 28 pairs",
    crippled_legs_options("1-2 3-5 2-5 4-8"),
    [](const Options& o) { return std::make_unique<CrippledLegPairs>("SpiderCrippledLegs", "Spider", 8, o); });

}  // namespace
}  // namespace metarl
