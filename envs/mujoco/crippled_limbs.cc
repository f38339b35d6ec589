// learning_to_adapt's crippled robots (Nagabandi et al. 2019, half_cheetah_env.py
// and ant_env.py with task='cripple'): a task disables one motor of the
// HalfCheetah, or one leg of the Ant, for its whole chain.
//
// HalfCheetahCrippled(actuator=k): motor k (0 bthigh, 1 bshin, 2 bfoot,
// 3 fthigh, 4 fshin, 5 ffoot) does nothing; the original masks action k,
// here the motor's gear is 0, which exerts the same (no) torque. Training
// draws k from 1-5, the held-out task is 0, as the original's
// randint(1, 6). Reward: the original's v_x - 0.05|a|^2.
//
// AntCrippled(leg=n): leg n's hip and ankle motors do nothing, and the
// leg's two capsules (leg_n_geom, ankle_n_geom) have half their radius and
// half-length: the thigh about its centre, the shin about its body's origin
// (the knee), which puts the shin's centre where the thigh's centre sits in
// its own frame, as the original sets it. Masses stay. Legs are numbered as
// the model names them: the original's leg L is leg L + 1 here (its leg 0,
// actions 2-3, is hip_1 and ankle_1), so training draws legs 1-3 and the
// held-out leg is 4 (the original's 3, actions 0-1). Reward: the original's
// v_x + 0.05, without costs.
//
// The crippling is the task's dynamics schedule (ActuatorGearScale and
// GeomSizeScale with the task's key in their targets), per env, composing
// with an experiment's schedules.
//
// Option split: train | test | all, the original's training and held-out
// values or both.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"
#include "envs/mujoco/locomotion_tasks.h"

namespace metarl {
namespace {

struct CrippledSpec {
  std::string family, env, key;
  std::vector<int> train, test;
  // The crippling, as (schedule, options) with "{key}" naming the task's value.
  std::vector<std::pair<std::string, std::string>> schedules;
  std::string reward_description;
  LocomotionReward reward;
};

class CrippledFamily : public TaskFamily {
 public:
  CrippledFamily(CrippledSpec spec, const Options& options)
      : TaskFamily(spec.family, spec.env), spec_(std::move(spec)) {
    const std::string split = options.get_string(name(), "split");
    if (split != "test") values_ = spec_.train;
    if (split != "train") values_.insert(values_.end(), spec_.test.begin(), spec_.test.end());
    std::sort(values_.begin(), values_.end());
    std::vector<std::shared_ptr<const DynamicsSchedule>> parts;
    for (const auto& [schedule, schedule_options] : spec_.schedules)
      parts.push_back(make_schedule(schedule, Options::parse(schedule_options)));
    crippling_ = std::make_shared<CompositeSchedule>(std::move(parts));
  }

  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) {
      const size_t k = std::min(values_.size() - 1, size_t(rng.uniform() * double(values_.size())));
      tasks.push_back(make_task({{spec_.key, double(values_[k])}}));
    }
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    const double value = task.get(spec_.key);
    auto holds = [value](const std::vector<int>& values) {
      return std::find(values.begin(), values.end(), value) != values.end();
    };
    if (!holds(spec_.train) && !holds(spec_.test))
      throw_env_error(name(), ": no ", spec_.key, " ", value, " to cripple in ", task.to_string());
    env_as<LocomotionEnv>(env, name()).set_reward(spec_.reward_description + ", " + task.to_string(), spec_.reward);
    env.set_task_schedule(crippling_);
  }

 private:
  CrippledSpec spec_;
  std::vector<int> values_;
  std::shared_ptr<const DynamicsSchedule> crippling_;
};

OptionSpecs split_option(const std::string& held_out) {
  return {string_option("split", "train", "train (the original's training tasks), test (" + held_out + ") or all")
              .one_of({"train", "test", "all"})};
}

CrippledSpec half_cheetah_crippled() {
  return {"HalfCheetahCrippled",
          "HalfCheetah",
          "actuator",
          {1, 2, 3, 4, 5},
          {0},
          {{"ActuatorGearScale", "actuator={actuator},to=0,episodes=1"}},
          "forward running (v_x - 0.05|a|^2)",
          [](const LocomotionState& s) { return s.x_velocity - kRllabCheetahCtrlCost * s.ctrl_sq; }};
}

CrippledSpec ant_crippled() {
  return {"AntCrippled",
          "Ant",
          "leg",
          {1, 2, 3},
          {4},
          {{"ActuatorGearScale", "actuator=hip_{leg} ankle_{leg},to=0,episodes=1"},
           {"GeomSizeScale", "geom=leg_{leg}_geom,dims=0 1,about=centre,to=0.5,episodes=1"},
           {"GeomSizeScale", "geom=ankle_{leg}_geom,dims=0 1,to=0.5,episodes=1"}},
          "forward running (v_x + 0.05)",
          [](const LocomotionState& s) { return s.x_velocity + kRllabLeggedSurvive; }};
}

const Registration<TaskFamily> kRegisterHalfCheetah(
    task_family_registry(), "HalfCheetahCrippled",
    "HalfCheetah with one motor disabled (actuator 1-5 train, 0 held out); v_x - 0.05|a|^2",
    split_option("motor 0, bthigh"),
    [](const Options& options) { return std::make_unique<CrippledFamily>(half_cheetah_crippled(), options); });

const Registration<TaskFamily> kRegisterAnt(
    task_family_registry(), "AntCrippled",
    "Ant with one leg's motors disabled and its capsules halved (leg 1-3 train, 4 held out); v_x + 0.05",
    split_option("leg 4"),
    [](const Options& options) { return std::make_unique<CrippledFamily>(ant_crippled(), options); });

}  // namespace
}  // namespace metarl
