// HalfCheetah (Gymnasium dimensions: obs 17, action 6) and the MAML task
// families defined on it.
#include <algorithm>
#include <cmath>
#include <memory>

#include "envs/core/registry.h"
#include "envs/mujoco/locomotion_env.h"
#include "envs/mujoco/locomotion_tasks.h"

namespace metarl {

LocomotionSpec half_cheetah_spec() {
  LocomotionSpec spec;
  spec.name = "HalfCheetah";
  spec.asset = "half_cheetah.xml";
  spec.nq = 9;
  spec.nv = 9;
  spec.nu = 6;
  spec.qpos_skip = 1;  // root x
  spec.forward_weight = 1.0;
  spec.ctrl_cost_weight = 0.1;
  return spec;
}

namespace {

const Registration<Env> kRegisterHalfCheetah(
    env_registry(), "HalfCheetah", "planar cheetah; default reward forward velocity - 0.1|a|^2", {{17, 6}},
    locomotion_options(half_cheetah_spec()), [](const Options& options) { return std::make_unique<LocomotionEnv>(half_cheetah_spec(), options); });

// -|v - v_goal| - 0.05|a|^2, v_goal ~ U[low, high], by default U[0, 2] (ProMP
// and PEARL use U[0, 3]: high=3).
const Registration<TaskFamily> kRegisterVel(
    task_family_registry(), "HalfCheetahVel", "HalfCheetah at a target velocity ~ U[low, high]",
    TargetVelocityFamily::options(0.0, 2.0), [](const Options& options) {
      return std::make_unique<TargetVelocityFamily>(
          "HalfCheetahVel", "HalfCheetah", options, [](double goal) -> LocomotionReward {
            return [goal](const LocomotionState& s) {
              return -std::abs(s.x_velocity - goal) - kRllabCheetahCtrlCost * s.ctrl_sq;
            };
          });
    });

// HalfCheetahVel's reward along a chain whose target drifts by ±step per
// episode within [low, high]: continual adaptation's sanity chain on a robot.
const Registration<TaskFamily> kRegisterVelDrift(
    task_family_registry(), "HalfCheetahVelDrift",
    "HalfCheetahVel chains whose target moves by +-step (a fair coin) each episode within [low, high]",
    VelocityDriftFamily::options(0.0, 2.0, 0.3), [](const Options& options) {
      return std::make_unique<VelocityDriftFamily>(
          "HalfCheetahVelDrift", "HalfCheetah", options,
          [](const Env& chain, std::vector<double> targets) -> LocomotionReward {
            // The env owns this reward: the pointer lives as long as the reward.
            return [env = &chain, targets = std::move(targets)](const LocomotionState& s) {
              const size_t k = std::min<size_t>(size_t(std::max(env->episode_index(), 0)), targets.size() - 1);
              return -std::abs(s.x_velocity - targets[k]) - kRllabCheetahCtrlCost * s.ctrl_sq;
            };
          });
    });

// direction * v - 0.05|a|^2.
const Registration<TaskFamily> kRegisterDir(
    task_family_registry(), "HalfCheetahDir", "HalfCheetah running forward or backward, p = 1/2", {},
    [](const Options&) {
      return std::make_unique<DirectionFamily>("HalfCheetahDir", "HalfCheetah", [](double d) -> LocomotionReward {
        return [d](const LocomotionState& s) { return d * s.x_velocity - kRllabCheetahCtrlCost * s.ctrl_sq; };
      });
    });

}  // namespace
}  // namespace metarl
