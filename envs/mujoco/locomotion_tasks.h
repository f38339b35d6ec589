// Task families shared by locomotion robots: run at a target velocity, run in
// a direction. A robot's file registers them with its own reward formula.
#pragma once

#include <functional>
#include <string>

#include "envs/core/options.h"
#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {

// The costs of MAML's (rllab's) legged robots: 0.5e-2 |a|^2 and
// 0.5e-3 |clip(cfrc_ext, -1, 1)|^2, with a survive bonus of 0.05 per step.
// Small next to the forward velocity: a policy exploring with unit noise
// still gains by staying up (Gymnasium's 0.5 |a|^2 over 12 motors would pay
// it to fall at once).
constexpr double kRllabCtrlCost = 0.005;
constexpr double kRllabContactCost = 0.0005;
constexpr double kRllabSurvive = 0.05;
inline double rllab_costs(const LocomotionState& s) {
  return kRllabCtrlCost * s.ctrl_sq + kRllabContactCost * s.contact_sq;
}

// Task: velocity ~ U[low, high] (options `low`, `high`).
class TargetVelocityFamily : public TaskFamily {
 public:
  using RewardFor = std::function<LocomotionReward(double target_velocity)>;
  TargetVelocityFamily(std::string name, std::string env_name, const Options& options, double default_low,
                       double default_high, RewardFor reward_for);
  std::vector<Task> sample(int n, Rng& rng) const override;

 protected:
  void configure(Env& env, const Task& task) const override;

 private:
  double low_, high_;
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
