// The six-legged Bug and the eight-legged Spider (RoboSumo's dimensions,
// assets/bug.xml and spider.xml from scripts/make_legged_robots.py), as
// locomotion envs with the Ant's reward and termination.
#include <memory>

#include "envs/core/registry.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {
namespace {

const Registration<Env> kRegisterBug(
    env_registry(), "Bug", "6-legged bug, obs 149 (35 + contact forces), action 12; falls when torso z leaves [0.2, 1]",
    [](const Options& options) {
      return std::make_unique<LocomotionEnv>(legged_robot_spec("Bug", "bug.xml", 6), options);
    });

const Registration<Env> kRegisterSpider(
    env_registry(), "Spider",
    "8-legged spider, obs 193 (43 + contact forces), action 16; falls when torso z leaves [0.2, 1]",
    [](const Options& options) {
      return std::make_unique<LocomotionEnv>(legged_robot_spec("Spider", "spider.xml", 8), options);
    });

}  // namespace
}  // namespace metarl
