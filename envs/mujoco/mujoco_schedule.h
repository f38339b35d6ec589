// Base of the dynamics schedules that change a MuJoCo env's model numbers
// (envs/schedules/model_field_scale.cc). Their type says what they need: an
// env without a MuJoCo model refuses them when they are set, naming both,
// and they receive the env as a MujocoEnv.
#pragma once

#include <string>

#include "envs/core/dynamics_schedule.h"
#include "envs/mujoco/mujoco_env.h"

namespace metarl {

class MujocoSchedule : public DynamicsSchedule {
 public:
  // "<name>: needs a MuJoCo env; <env> is not one" for any env that is not a MujocoEnv.
  std::string refusal(const Env& env) const final;
  void restore(Env& env) const final { restore_model(mujoco_env(env)); }
  void modify(Env& env, const ScheduleContext& context) const final { modify_model(mujoco_env(env), context); }

 protected:
  virtual void restore_model(MujocoEnv& env) const = 0;
  virtual void modify_model(MujocoEnv& env, const ScheduleContext& context) const = 0;

 private:
  // Throws, naming the schedule and the env, when called on an env that
  // refused it (only possible by calling restore or modify directly).
  MujocoEnv& mujoco_env(Env& env) const { return env_as<MujocoEnv>(env, describe()); }
};

}  // namespace metarl
