#include "envs/nav2d/navigation2d.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "envs/core/bytes.h"
#include "envs/core/chain_walk.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"

namespace metarl {
namespace {

double move_per_action_unit(const Options& options) {
  return options.get_bool("Navigation2D", "normalized_actions") ? Navigation2DEnv::kMaxMove : 1.0;
}

Box navigation_action_space(const Options& options) {
  const double bound = Navigation2DEnv::kMaxMove / move_per_action_unit(options);
  return Box({2}, -bound, bound);
}

}  // namespace

Navigation2DEnv::Navigation2DEnv(const Options& options)
    : Env("Navigation2D", Box::unbounded(2), navigation_action_space(options), {"x", "y", "distance"},
          options.get_int("Navigation2D", "max_episode_steps")),
      move_per_action_unit_(move_per_action_unit(options)) {
  goal_[0] = options.get_double(name(), "goal_x");
  goal_[1] = options.get_double(name(), "goal_y");
}

void Navigation2DEnv::set_goal_path(std::vector<std::array<double, 2>> goals) {
  if (goals.empty()) throw_env_error(name(), ": a goal path needs at least one goal");
  goal_path_ = std::move(goals);
  follow_goal_path();
}

void Navigation2DEnv::follow_goal_path() {
  if (goal_path_.empty()) return;
  const size_t k = std::min<size_t>(size_t(std::max(episode_index(), 0)), goal_path_.size() - 1);
  goal_[0] = goal_path_[k][0];
  goal_[1] = goal_path_[k][1];
}

void Navigation2DEnv::reset_state(Rng& /*rng: the start is deterministic*/, float* obs) {
  follow_goal_path();
  position_[0] = position_[1] = 0.0;
  obs[0] = obs[1] = 0.f;
}

StepResult Navigation2DEnv::advance(const float* action, float* obs, double* rewards, float* info) {
  for (int k = 0; k < 2; ++k)
    position_[k] += std::clamp<double>(move_per_action_unit_ * action[k], -kMaxMove, kMaxMove);
  const double dx = position_[0] - goal_[0], dy = position_[1] - goal_[1];
  StepResult result;
  rewards[0] = -std::sqrt(dx * dx + dy * dy);
  result.terminated = std::abs(dx) < kGoalTolerance && std::abs(dy) < kGoalTolerance;
  obs[0] = static_cast<float>(position_[0]);
  obs[1] = static_cast<float>(position_[1]);
  info[0] = obs[0];
  info[1] = obs[1];
  info[2] = static_cast<float>(-rewards[0]);
  return result;
}

void Navigation2DEnv::save_dynamic_state(std::string& out) const { append_bytes(out, position_, sizeof position_); }

void Navigation2DEnv::load_dynamic_state(const std::string& in, size_t& offset) {
  read_bytes(in, offset, position_, sizeof position_, name());
  follow_goal_path();  // the restored chain position's goal
}

namespace {

// Goals ~ U[low, high]^2 (MAML: [-0.5, 0.5]^2).
class Navigation2DFamily : public TaskFamily {
 public:
  explicit Navigation2DFamily(const Options& options) : TaskFamily("Navigation2D", "Navigation2D") {
    low_ = options.get_double(name(), "low");
    high_ = options.get_double(name(), "high");
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

// The sanity chain of continual adaptation: a chain's goal starts ~ U[low,
// high]^2 and moves by `step` in a uniformly random direction from each of
// its episodes to the next (ChainWalk: the split and the number of episodes).
// A task is the start goal and its walk.
class Navigation2DDriftFamily : public TaskFamily {
 public:
  explicit Navigation2DDriftFamily(const Options& options)
      : TaskFamily("Navigation2DDrift", "Navigation2D"), walk_(name(), options) {
    low_ = options.get_double(name(), "low");
    high_ = options.get_double(name(), "high");
    step_ = options.get_double(name(), "step");
    if (low_ > high_) throw_env_error(name(), ": low ", low_, " exceeds high ", high_);
  }

  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) {
      const double x = rng.uniform(low_, high_);
      const double y = rng.uniform(low_, high_);
      tasks.push_back(make_task({{"goal_x", x}, {"goal_y", y}, {"walk", walk_.sample(rng)}}));
    }
    return tasks;
  }

  // The goal of each episode of the chain of `task`.
  std::vector<std::array<double, 2>> goal_path(const Task& task) const {
    std::vector<std::array<double, 2>> goals = {{task.get("goal_x"), task.get("goal_y")}};
    Rng steps = ChainWalk::steps_of(task);
    while (int(goals.size()) < walk_.episodes()) {
      const double angle = steps.uniform(0.0, 2.0 * M_PI);
      const auto& last = goals.back();
      goals.push_back({last[0] + step_ * std::cos(angle), last[1] + step_ * std::sin(angle)});
    }
    return goals;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    env_as<Navigation2DEnv>(env, name()).set_goal_path(goal_path(task));
  }

 private:
  ChainWalk walk_;
  double low_, high_, step_;
};

OptionSpecs goal_square_options() {
  return {double_option("low", -0.5, "lowest goal coordinate (<= high)"),
          double_option("high", 0.5, "highest goal coordinate")};
}

OptionSpecs drift_options() {
  OptionSpecs options = goal_square_options();
  options.push_back(double_option("step", 0.2, "the goal's move per episode").at_least(0));
  for (auto& spec : ChainWalk::options()) options.push_back(spec);
  return options;
}

const Registration<Env> kRegisterEnv(
    env_registry(), "Navigation2D", "point moving by clipped steps toward a goal", {{2, 2}},
    {int_option("max_episode_steps", 100, "time limit (truncation)").positive(),
     bool_option("normalized_actions", false, "actions in [-1, 1] (x 0.1) rather than [-0.1, 0.1]"),
     double_option("goal_x", 0.25, "the goal without a task family"),
     double_option("goal_y", 0.25, "the goal without a task family")},
    [](const Options& o) { return std::make_unique<Navigation2DEnv>(o); });
const Registration<TaskFamily> kRegisterFamily(
    task_family_registry(), "Navigation2D", "goals ~ U[low, high]^2", goal_square_options(),
    [](const Options& o) { return std::make_unique<Navigation2DFamily>(o); });
const Registration<TaskFamily> kRegisterDrift(
    task_family_registry(), "Navigation2DDrift",
    "chains whose goal starts ~ U[low, high]^2 and moves by `step` in a random direction each episode",
    drift_options(), [](const Options& o) { return std::make_unique<Navigation2DDriftFamily>(o); });

}  // namespace
}  // namespace metarl
