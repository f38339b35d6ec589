// Task families shared by locomotion robots: run at a target velocity, run in
// a direction. A robot's file registers them with its own reward formula.
#pragma once

#include <functional>
#include <string>

#include "envs/core/options.h"
#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {

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
