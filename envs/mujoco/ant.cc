// Ant (Gymnasium v5 dimensions: obs 105 with contact forces, 27 without;
// action 8) and the MAML task families defined on it.
#include <cmath>
#include <memory>

#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"
#include "envs/mujoco/locomotion_tasks.h"

namespace metarl {
namespace {

LocomotionSpec ant_spec() { return legged_robot_spec("Ant", "ant.xml", 4); }

// Goal position ~ U[-range, range]^2: -|xy - goal|_1 + 4 - costs + 0.05.
// xy is the torso's (root's) position.
class AntGoal : public TaskFamily {
 public:
  explicit AntGoal(const Options& options) : TaskFamily("AntGoal", "Ant") {
    range_ = options.get_double(name(), "range");
  }
  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) {
      const double x = rng.uniform(-range_, range_);
      const double y = rng.uniform(-range_, range_);
      tasks.push_back(make_task({{"goal_x", x}, {"goal_y", y}}));
    }
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    const double gx = task.get("goal_x"), gy = task.get("goal_y");
    env_as<LocomotionEnv>(env, name()).set_reward(task.to_string(), [gx, gy](const LocomotionState& s) {
      return -(std::abs(s.x_position - gx) + std::abs(s.y_position - gy)) + kAntGoalBonus - rllab_legged_costs(s) +
             kRllabLeggedSurvive;
    });
  }

 private:
  double range_;
};

// obs: 27 (qpos without root x, y; qvel) + 78 contact forces.
const Registration<Env> kRegisterAnt(
    env_registry(), "Ant", "4-legged ant; falls when torso z leaves [0.2, 1]", {{105, 8}},
    locomotion_options(ant_spec()),
    [](const Options& options) { return std::make_unique<LocomotionEnv>(ant_spec(), options); });

// -|v - v_goal| + 1 - costs + 0.05, v_goal ~ U[low, high].
const Registration<TaskFamily> kRegisterVel(
    task_family_registry(), "AntVel", "Ant at a target velocity ~ U[low, high]",
    TargetVelocityFamily::options(0.0, 3.0), [](const Options& options) {
      return std::make_unique<TargetVelocityFamily>(
          "AntVel", "Ant", options, [](double goal) -> LocomotionReward {
            return [goal](const LocomotionState& s) {
              return -std::abs(s.x_velocity - goal) + kAntVelBonus - rllab_legged_costs(s) + kRllabLeggedSurvive;
            };
          });
    });

// direction * v - costs + 0.05.
const Registration<TaskFamily> kRegisterDir(
    task_family_registry(), "AntDir", "Ant running forward or backward, p = 1/2", {}, [](const Options&) {
      return std::make_unique<DirectionFamily>("AntDir", "Ant", [](double d) -> LocomotionReward {
        return [d](const LocomotionState& s) { return d * s.x_velocity - rllab_legged_costs(s) + kRllabLeggedSurvive; };
      });
    });
const Registration<TaskFamily> kRegisterGoal(
    task_family_registry(), "AntGoal", "Ant reaching a goal ~ U[-range, range]^2",
    {double_option("range", 3.0, "half the side of the square of goals").at_least(0)},
    [](const Options& o) { return std::make_unique<AntGoal>(o); });

}  // namespace
}  // namespace metarl
