#include "envs/nav2d/navigation2d.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "envs/core/bytes.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"

namespace metarl {
namespace {

double move_per_action_unit(const Options& options) {
  return options.get_bool("Navigation2D", "normalized_actions", false) ? Navigation2DEnv::kMaxMove : 1.0;
}

Box navigation_action_space(const Options& options) {
  const double bound = Navigation2DEnv::kMaxMove / move_per_action_unit(options);
  return Box({2}, -bound, bound);
}

}  // namespace

Navigation2DEnv::Navigation2DEnv(const Options& options)
    : Env("Navigation2D", Box::unbounded(2), navigation_action_space(options), {"x", "y", "distance"},
          options.get_int("Navigation2D", "max_episode_steps", 100)),
      move_per_action_unit_(move_per_action_unit(options)) {
  goal_[0] = options.get_double(name(), "goal_x", 0.25);
  goal_[1] = options.get_double(name(), "goal_y", 0.25);
}

void Navigation2DEnv::reset_state(Rng& /*rng: the start is deterministic*/, float* obs) {
  position_[0] = position_[1] = 0.0;
  obs[0] = obs[1] = 0.f;
}

StepResult Navigation2DEnv::advance(const float* action, float* obs, float* info) {
  for (int k = 0; k < 2; ++k)
    position_[k] += std::clamp<double>(move_per_action_unit_ * action[k], -kMaxMove, kMaxMove);
  const double dx = position_[0] - goal_[0], dy = position_[1] - goal_[1];
  StepResult result;
  result.reward = -std::sqrt(dx * dx + dy * dy);
  result.terminated = std::abs(dx) < kGoalTolerance && std::abs(dy) < kGoalTolerance;
  obs[0] = static_cast<float>(position_[0]);
  obs[1] = static_cast<float>(position_[1]);
  info[0] = obs[0];
  info[1] = obs[1];
  info[2] = static_cast<float>(-result.reward);
  return result;
}

void Navigation2DEnv::save_dynamic_state(std::string& out) const { append_bytes(out, position_, sizeof position_); }

void Navigation2DEnv::load_dynamic_state(const std::string& in, size_t& offset) {
  read_bytes(in, offset, position_, sizeof position_, name());
}

namespace {

// Goals ~ U[low, high]^2 (MAML: [-0.5, 0.5]^2).
class Navigation2DFamily : public TaskFamily {
 public:
  explicit Navigation2DFamily(const Options& options) : TaskFamily("Navigation2D", "Navigation2D") {
    low_ = options.get_double(name(), "low", -0.5);
    high_ = options.get_double(name(), "high", 0.5);
    if (low_ > high_) throw_env_error(name(), ": low ", low_, " exceeds high ", high_);
  }
  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) {
      const double x = rng.uniform(low_, high_);
      const double y = rng.uniform(low_, high_);
      tasks.push_back(make_task({{"goal_x", x}, {"goal_y", y}}));
    }
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    env_as<Navigation2DEnv>(env, name()).set_goal(task.get("goal_x"), task.get("goal_y"));
  }

 private:
  double low_, high_;
};

const Registration<Env> kRegisterEnv(env_registry(), "Navigation2D",
                                     "point moving by clipped steps toward a goal, obs 2, action 2, horizon 100",
                                     [](const Options& o) { return std::make_unique<Navigation2DEnv>(o); });
const Registration<TaskFamily> kRegisterFamily(task_family_registry(), "Navigation2D",
                                               "goals ~ U[low=-0.5, high=0.5]^2",
                                               [](const Options& o) { return std::make_unique<Navigation2DFamily>(o); });

}  // namespace
}  // namespace metarl
