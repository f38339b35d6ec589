#include "envs/core/dynamics_schedule.h"

#include <cstring>

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

const MujocoEnv& mujoco(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

// Bytes of the model buffer that differ from the reference model's.
std::vector<size_t> changed_bytes(const MujocoEnv& env) {
  const mjModel* m = env.model();
  const mjModel* ref = env.reference_model();
  std::vector<size_t> out;
  const auto* a = static_cast<const unsigned char*>(m->buffer);
  const auto* b = static_cast<const unsigned char*>(ref->buffer);
  for (int i = 0; i < m->nbuffer; ++i)
    if (a[i] != b[i]) out.push_back(i);
  return out;
}

TEST(ActuatorGearScale, ScalesLinearlyAcrossTheChain) {
  auto env = make_env("HalfCheetah");
  env->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=bshin,from=1,to=0,episodes=7")));
  const auto& m = mujoco(*env);
  const int id = mj_name2id(m.reference_model(), mjOBJ_ACTUATOR, "bshin");
  ASSERT_EQ(id, 1);
  const double reference = m.reference_model()->actuator_gear[6 * id];
  EXPECT_EQ(reference, 90.0);
  for (int episode = 0; episode < 9; ++episode) {
    env->reset(episode);
    const double expected = reference * std::max(0.0, 1.0 - episode / 6.0);
    EXPECT_NEAR(m.model()->actuator_gear[6 * id], expected, 1e-12) << "episode " << episode;
  }
}

TEST(ActuatorGearScale, ChangesExactlyOneModelFieldOfExactlyOneEnv) {
  VectorEnv venv("Ant", 3, 2);
  venv.env(1).set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=2,from=0.5,to=0.5")));
  venv.reset();
  const auto& changed_env = mujoco(venv.env(1));
  const auto bytes = changed_bytes(changed_env);
  // Only the bytes of actuator_gear[6 * 2] (one mjtNum) differ.
  const auto* gear = reinterpret_cast<const unsigned char*>(&changed_env.model()->actuator_gear[12]);
  const size_t offset = gear - static_cast<const unsigned char*>(changed_env.model()->buffer);
  ASSERT_FALSE(bytes.empty());
  for (size_t b : bytes) {
    EXPECT_GE(b, offset);
    EXPECT_LT(b, offset + sizeof(mjtNum));
  }
  EXPECT_DOUBLE_EQ(changed_env.model()->actuator_gear[12], 75.0);
  EXPECT_TRUE(changed_bytes(mujoco(venv.env(0))).empty());
  EXPECT_TRUE(changed_bytes(mujoco(venv.env(2))).empty());
}

TEST(ActuatorGearScale, ANewChainRestoresTheModel) {
  auto env = make_env("HalfCheetah");
  env->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=0,episodes=3")));
  const auto family = make_task_family("HalfCheetahVel");
  family->apply(*env, Task("HalfCheetahVel", {{"velocity", 1.0}}));
  for (int k = 0; k < 3; ++k) env->reset(k);
  EXPECT_EQ(mujoco(*env).model()->actuator_gear[0], 0.0);  // fully weakened
  family->apply(*env, Task("HalfCheetahVel", {{"velocity", 1.5}}));
  env->reset(0);
  EXPECT_TRUE(changed_bytes(mujoco(*env)).empty());  // episode 0: factor 1
}

TEST(ActuatorGearScale, AZeroGearMotorExertsNoForce) {
  auto env = make_env("HalfCheetah");
  env->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=3,from=0,to=0")));
  env->reset(0);
  env->step(std::vector<float>(6, 1.f));
  const auto& m = mujoco(*env);
  const int dof = m.model()->jnt_dofadr[m.model()->actuator_trnid[2 * 3]];
  EXPECT_EQ(m.data()->qfrc_actuator[dof], 0.0);
  const int other = m.model()->jnt_dofadr[m.model()->actuator_trnid[2 * 0]];
  EXPECT_NE(m.data()->qfrc_actuator[other], 0.0);
}

TEST(ActuatorGearScale, BadConfigurationIsAnError) {
  EXPECT_THROW(make_schedule("ActuatorGearScale"), EnvError);  // actuator is required
  EXPECT_THROW(make_schedule("ActuatorGearScale", Options::parse("actuator=0,episodes=0")), EnvError);
  auto env = make_env("HalfCheetah");
  env->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=knee")));
  EXPECT_THROW(env->reset(0), EnvError);
  auto nav = make_env("Navigation2D");
  nav->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=0")));
  EXPECT_THROW(nav->reset(0), EnvError);
}

}  // namespace
}  // namespace metarl
