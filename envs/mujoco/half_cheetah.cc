// HalfCheetah (Gymnasium dimensions: obs 17, action 6) and the MAML task
// families defined on it.
#include <cmath>
#include <memory>

#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {
namespace {

LocomotionSpec half_cheetah_spec() {
  LocomotionSpec spec;
  spec.name = "HalfCheetah";
  spec.asset = "half_cheetah.xml";
  spec.nq = 9;
  spec.nv = 9;
  spec.nu = 6;
  spec.qpos_skip = 1;  // root x
  spec.forward_weight = 1.0;
  spec.ctrl_cost_weight = 0.1;
  return spec;
}

// MAML's control cost for the cheetah tasks: 0.5 * 1e-1 * |a|^2.
constexpr double kMamlCtrlCost = 0.05;

// Run at a target velocity: reward -|v - v_goal| - 0.05|a|^2, v_goal ~ U[low, high]
// (MAML: U[0, 2]; ProMP and PEARL use U[0, 3]).
class HalfCheetahVel : public TaskFamily {
 public:
  explicit HalfCheetahVel(const Options& options) : TaskFamily("HalfCheetahVel", "HalfCheetah") {
    low_ = options.get_double(name(), "low", 0.0);
    high_ = options.get_double(name(), "high", 2.0);
    if (low_ > high_) throw_env_error(name(), ": low ", low_, " exceeds high ", high_);
  }
  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(make_task({{"velocity", rng.uniform(low_, high_)}}));
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    const double goal = task.get("velocity");
    env_as<LocomotionEnv>(env, name()).set_reward(task.to_string(), [goal](const LocomotionState& s) {
      return -std::abs(s.x_velocity - goal) - kMamlCtrlCost * s.ctrl_sq;
    });
  }

 private:
  double low_, high_;
};

// Run forward (direction=+1) or backward (-1), each with probability 1/2:
// reward direction*v - 0.05|a|^2.
class HalfCheetahDir : public TaskFamily {
 public:
  explicit HalfCheetahDir(const Options&) : TaskFamily("HalfCheetahDir", "HalfCheetah") {}
  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(make_task({{"direction", rng.uniform() < 0.5 ? -1.0 : 1.0}}));
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    const double direction = task.get("direction");
    if (direction != 1.0 && direction != -1.0)
      throw_env_error(name(), ": direction must be +1 or -1 in ", task.to_string());
    env_as<LocomotionEnv>(env, name()).set_reward(task.to_string(), [direction](const LocomotionState& s) {
      return direction * s.x_velocity - kMamlCtrlCost * s.ctrl_sq;
    });
  }
};

const Registration<Env> kRegisterHalfCheetah(
    env_registry(), "HalfCheetah",
    "planar cheetah, obs 17, action 6; default reward forward velocity - 0.1|a|^2",
    [](const Options& options) { return std::make_unique<LocomotionEnv>(half_cheetah_spec(), options); });

const Registration<TaskFamily> kRegisterVel(
    task_family_registry(), "HalfCheetahVel", "HalfCheetah at a target velocity ~ U[low=0, high=2]",
    [](const Options& options) { return std::make_unique<HalfCheetahVel>(options); });

const Registration<TaskFamily> kRegisterDir(
    task_family_registry(), "HalfCheetahDir", "HalfCheetah running forward or backward, p = 1/2",
    [](const Options& options) { return std::make_unique<HalfCheetahDir>(options); });

}  // namespace
}  // namespace metarl
