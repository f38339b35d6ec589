#include "envs/mujoco/mujoco_schedule.h"

namespace metarl {

std::string MujocoSchedule::refusal(const Env& env) const {
  if (dynamic_cast<const MujocoEnv*>(&env)) return "";
  return name() + ": needs a MuJoCo env; " + env.name() + " is not one";
}

}  // namespace metarl
