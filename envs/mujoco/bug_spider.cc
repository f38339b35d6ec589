// The six-legged Bug and the eight-legged Spider (RoboSumo's dimensions,
// assets/bug.xml and spider.xml from scripts/make_legged_robots.py), as
// locomotion envs with the Ant's reward and termination.
#include <memory>

#include "envs/core/registry.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {
namespace {

LocomotionSpec bug_spec() { return legged_robot_spec("Bug", "bug.xml", 6); }
LocomotionSpec spider_spec() { return legged_robot_spec("Spider", "spider.xml", 8); }

// obs: 35 (qpos without root x, y; qvel) + 114 contact forces.
const Registration<Env> kRegisterBug(
    env_registry(), "Bug", "6-legged bug; falls when torso z leaves [0.2, 1]", {{149, 12}},
    locomotion_options(bug_spec()),
    [](const Options& options) { return std::make_unique<LocomotionEnv>(bug_spec(), options); });

// obs: 43 (qpos without root x, y; qvel) + 150 contact forces.
const Registration<Env> kRegisterSpider(
    env_registry(), "Spider", "8-legged spider; falls when torso z leaves [0.2, 1]", {{193, 16}},
    locomotion_options(spider_spec()),
    [](const Options& options) { return std::make_unique<LocomotionEnv>(spider_spec(), options); });

}  // namespace
}  // namespace metarl
