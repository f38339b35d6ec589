// 2D point navigation (MAML's "2D navigation"), in plain C++.
//
// The point starts at the origin; an action (clipped to [-0.1, 0.1]^2) moves it
// by that much; the reward is minus the distance to the goal after the move;
// the episode terminates when the point is within 0.01 of the goal on both axes.
//
// Task families: Navigation2D (MAML's: a goal ~ U[-0.5, 0.5]^2 per task) and
// Navigation2DDrift (continual adaptation's sanity chain: the goal takes a
// random step of fixed length from each episode of a chain to the next, so
// no single policy does well, and the last episodes say where the next goal is).
//
// normalized_actions: the original MAML code wrapped the environment in
// rllab's `normalize`, so its policy acted in [-1, 1]^2 and the point moved by
// 0.1 * clip(a, -1, 1); the PyTorch port feeds raw actions clipped to ±0.1. The
// two are the same task with another action parametrisation, which changes
// the policy's exploration (a unit-std Gaussian saturates the ±0.1 clip) and
// the scale of an inner gradient step.
#pragma once

#include <array>
#include <vector>

#include "envs/core/env.h"
#include "envs/core/options.h"

namespace metarl {

class Navigation2DEnv : public Env {
 public:
  // The largest move per step along each axis, and how close (on both axes)
  // the point must come to the goal to end the episode: the original's
  // (github.com/cbfinn/maml_rl, maml_examples/point_env_randgoal.py).
  static constexpr double kMaxMove = 0.1;
  static constexpr double kGoalTolerance = 0.01;

  // Options (resolved against its registry entry, navigation2d.cc):
  // max_episode_steps, goal_x, goal_y (the goal when no task is applied),
  // normalized_actions (false: actions in ±0.1).
  explicit Navigation2DEnv(const Options& options);

  // A fixed goal for every episode (and no goal path).
  void set_goal(double x, double y) {
    goal_path_.clear();
    goal_[0] = x;
    goal_[1] = y;
  }
  // A goal for each episode of a chain: episode k of the chain (the env's
  // episode_index()) has goals[min(k, size - 1)].
  void set_goal_path(std::vector<std::array<double, 2>> goals);
  double goal_x() const { return goal_[0]; }
  double goal_y() const { return goal_[1]; }

 protected:
  void reset_state(Rng& rng, float* obs) override;
  StepResult advance(const float* action, float* obs, double* rewards, float* info) override;
  void save_dynamic_state(std::string& out) const override;
  void load_dynamic_state(const std::string& in, size_t& offset) override;

 private:
  // The goal path's goal for the current chain position (nothing without a path).
  void follow_goal_path();

  double move_per_action_unit_;  // 1, or 0.1 with normalized actions
  double position_[2] = {0.0, 0.0};
  double goal_[2];
  std::vector<std::array<double, 2>> goal_path_;
};

}  // namespace metarl
