// 2D point navigation (MAML's "2D navigation"), in plain C++.
//
// The point starts at the origin; an action (clipped to [-0.1, 0.1]^2) moves it
// by that much; the reward is minus the distance to the goal after the move;
// the episode terminates when the point is within 0.01 of the goal on both axes.
//
// normalized_actions: the original MAML code wrapped the environment in
// rllab's `normalize`, so its policy acted in [-1, 1]^2 and the point moved by
// 0.1 * clip(a, -1, 1); the PyTorch port feeds raw actions clipped to ±0.1. The
// two are the same task with another action parametrisation, which changes
// the policy's exploration (a unit-std Gaussian saturates the ±0.1 clip) and
// the scale of an inner gradient step.
#pragma once

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

  // Options: max_episode_steps (100), goal_x, goal_y (0.25, 0.25: the goal
  // when no task is applied), normalized_actions (false: actions in ±0.1).
  explicit Navigation2DEnv(const Options& options);

  void set_goal(double x, double y) {
    goal_[0] = x;
    goal_[1] = y;
  }
  double goal_x() const { return goal_[0]; }
  double goal_y() const { return goal_[1]; }

 protected:
  void reset_state(Rng& rng, float* obs) override;
  StepResult advance(const float* action, float* obs, float* info) override;
  void save_dynamic_state(std::string& out) const override;
  void load_dynamic_state(const std::string& in, size_t& offset) override;

 private:
  double move_per_action_unit_;  // 1, or 0.1 with normalized actions
  double position_[2] = {0.0, 0.0};
  double goal_[2];
};

}  // namespace metarl
