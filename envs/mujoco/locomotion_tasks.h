// Task families shared by locomotion robots: run at a target velocity, run in
// a direction. A robot's file registers them with its own reward formula.
#pragma once

#include <functional>
#include <string>

#include "envs/core/options.h"
#include "envs/core/chain_walk.h"
#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {

// The reward coefficients of MAML's tasks, as the original code has them
// (github.com/cbfinn/maml_rl, rllab/envs/mujoco/half_cheetah_env_rand*.py and
// ant_env_rand*.py). The families here are built from them; a new variant
// includes this header rather than copying the numbers.
//
// The cheetah's tasks: a control cost of 0.5e-1 |a|^2 and nothing else.
constexpr double kRllabCheetahCtrlCost = 0.05;
// The legged robots' (the Ant's, and here the Bug's and Spider's): 0.5e-2
// |a|^2 and 0.5e-3 |clip(cfrc_ext, -1, 1)|^2, with a survive bonus of 0.05
// per step. Small next to the forward velocity: a policy exploring with unit
// noise still gains by staying up (Gymnasium's 0.5 |a|^2 over 12 motors
// would pay it to fall at once).
constexpr double kRllabLeggedCtrlCost = 0.005;
constexpr double kRllabLeggedContactCost = 0.0005;
constexpr double kRllabLeggedSurvive = 0.05;
inline double rllab_legged_costs(const LocomotionState& s) {
  return kRllabLeggedCtrlCost * s.ctrl_sq + kRllabLeggedContactCost * s.contact_sq;
}
// The constants the Ant's task terms add, so that a step's reward is mostly
// positive ("make it happy, not suicidal", the original's comment): AntVel's
// -|v - v_goal| + 1, AntGoal's -|xy - goal|_1 + 4.
constexpr double kAntVelBonus = 1.0;
constexpr double kAntGoalBonus = 4.0;

// learning_to_adapt's HalfCheetah (Nagabandi et al. 2019), which its terrain
// and pier envs run: reward v_x - 0.05|a|^2 (kRllabCheetahCtrlCost), no
// termination; `name` is the env's.
LocomotionSpec learning_to_adapt_cheetah_spec(std::string name);
// Its env options: locomotion_options with learning_to_adapt's defaults
// where its stack differs from Gymnasium's: the torso's centre of mass
// observed (20 values), and episodes of 10 s (200 steps of 0.05 s; theirs
// are 1000 of 0.01 s: frame_skip=1,max_episode_steps=1000).
OptionSpecs learning_to_adapt_cheetah_options(const LocomotionSpec& spec);

// Task: velocity ~ U[low, high] (options `low`, `high`).
class TargetVelocityFamily : public TaskFamily {
 public:
  using RewardFor = std::function<LocomotionReward(double target_velocity)>;
  TargetVelocityFamily(std::string name, std::string env_name, const Options& options, RewardFor reward_for);
  // Its options, with each robot's defaults.
  static OptionSpecs options(double default_low, double default_high);
  std::vector<Task> sample(int n, Rng& rng) const override;

 protected:
  void configure(Env& env, const Task& task) const override;

 private:
  double low_, high_;
  RewardFor reward_for_;
};

// A sanity chain of continual adaptation: the target velocity starts ~
// U[low, high] and moves by ±step (a fair coin of the task's walk) from each
// episode of a chain to the next, reflected into [low, high] (ChainWalk:
// options split, episodes; plus low, high, step). Task: velocity (the
// start), walk. The reward is the family's for episode k's target, so the
// last episodes say what the next target is near.
class VelocityDriftFamily : public TaskFamily {
 public:
  using RewardFor = std::function<LocomotionReward(const Env& chain, std::vector<double> targets)>;
  VelocityDriftFamily(std::string name, std::string env_name, const Options& options, RewardFor reward_for);
  // Its options, with each robot's defaults.
  static OptionSpecs options(double default_low, double default_high, double default_step);
  std::vector<Task> sample(int n, Rng& rng) const override;
  // The target of each episode of the chain of `task`.
  std::vector<double> targets(const Task& task) const;

 protected:
  void configure(Env& env, const Task& task) const override;

 private:
  ChainWalk walk_;
  double low_, high_, step_;
  RewardFor reward_for_;
};

// Task: direction = +1 (forward) or -1 (backward), each with probability 1/2.
class DirectionFamily : public TaskFamily {
 public:
  using RewardFor = std::function<LocomotionReward(double direction)>;
  DirectionFamily(std::string name, std::string env_name, RewardFor reward_for);
  std::vector<Task> sample(int n, Rng& rng) const override;

 protected:
  void configure(Env& env, const Task& task) const override;

 private:
  RewardFor reward_for_;
};

}  // namespace metarl
