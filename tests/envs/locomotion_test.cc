// HalfCheetah, Ant, Bug and Spider: dimensions, stepping, reset noise, observation layout,
// contact forces and termination.
#include "envs/mujoco/locomotion_env.h"

#include <cmath>

#include <gtest/gtest.h>

#include "envs/core/registry.h"

namespace metarl {
namespace {

LocomotionEnv& as_locomotion(Env& env) { return dynamic_cast<LocomotionEnv&>(env); }

TEST(Locomotion, GymnasiumDimensionsAndTiming) {
  auto cheetah = make_env("HalfCheetah");
  EXPECT_EQ(cheetah->obs_dim(), 17);
  EXPECT_EQ(cheetah->act_dim(), 6);
  EXPECT_EQ(cheetah->max_episode_steps(), 1000);
  auto ant = make_env("Ant");
  EXPECT_EQ(ant->obs_dim(), 105);  // 13 qpos + 14 qvel + 13 bodies x 6 contact forces
  EXPECT_EQ(ant->act_dim(), 8);
  EXPECT_EQ(make_env("Ant", Options::parse("contact_forces_in_obs=false"))->obs_dim(), 27);
  for (Env* env : {cheetah.get(), ant.get()}) {
    const auto& m = as_locomotion(*env);
    EXPECT_EQ(m.frame_skip(), 5);
    EXPECT_DOUBLE_EQ(m.model()->opt.timestep, 0.01);
    EXPECT_DOUBLE_EQ(m.dt(), 0.05);
    EXPECT_EQ(env->action_space().low()[0], -1.0);
    EXPECT_EQ(env->action_space().high()[0], 1.0);
  }
  EXPECT_EQ(as_locomotion(*ant).model()->opt.integrator, mjINT_RK4);
}

// RoboSumo's robots (github.com/openai/robosumo): legs, actuators, leg radius, hip range,
// torso mass = density x the volume of a sphere of radius 0.25.
TEST(Locomotion, BugAndSpiderHaveRoboSumoDimensions) {
  struct Expected {
    const char* name;
    int legs, obs;
    double leg_radius, hip_range_deg, density;
  };
  for (const Expected& e : {Expected{"Bug", 6, 149, 0.08, 30, 10}, Expected{"Spider", 8, 193, 0.04, 20, 39}}) {
    SCOPED_TRACE(e.name);
    auto env = make_env(e.name);
    EXPECT_EQ(env->act_dim(), 2 * e.legs);
    EXPECT_EQ(env->obs_dim(), e.obs);
    const mjModel* m = as_locomotion(*env).model();
    EXPECT_EQ(m->nu, 2 * e.legs);
    EXPECT_EQ(m->nbody, 2 + 3 * e.legs);
    for (int a = 0; a < m->nu; ++a) EXPECT_DOUBLE_EQ(m->actuator_gear[6 * a], 150.0);
    const int torso = mj_name2id(m, mjOBJ_BODY, "torso");
    EXPECT_NEAR(m->body_mass[torso], e.density * 4.0 / 3.0 * M_PI * 0.25 * 0.25 * 0.25, 1e-9);
    for (int k = 1; k <= e.legs; ++k) {
      const std::string leg = std::to_string(k);
      const int geom = mj_name2id(m, mjOBJ_GEOM, ("leg_" + leg + "_geom").c_str());
      const int hip = mj_name2id(m, mjOBJ_JOINT, ("hip_" + leg).c_str());
      ASSERT_GE(geom, 0);
      ASSERT_GE(hip, 0);
      EXPECT_DOUBLE_EQ(m->geom_size[3 * geom], e.leg_radius);
      EXPECT_NEAR(m->jnt_range[2 * hip + 1], e.hip_range_deg * M_PI / 180.0, 1e-12);
    }
  }
}

// The legs are spread symmetrically: with zero torques every robot settles
// onto its feet and stays where it started.
TEST(Locomotion, LeggedRobotsStandStillWithZeroTorques) {
  for (const char* name : {"Ant", "Bug", "Spider"}) {
    SCOPED_TRACE(name);
    auto env = make_env(name, Options::parse("reset_noise_scale=0"));
    env->reset(0);
    const std::vector<float> zero(size_t(env->act_dim()), 0.f);
    Transition t;
    for (int k = 0; k < 100; ++k) {
      t = env->step(zero);
      ASSERT_FALSE(t.terminated) << "fell at step " << k;
    }
    const mjData* d = as_locomotion(*env).data();
    EXPECT_NEAR(d->qpos[0], 0.0, 1e-3);
    EXPECT_NEAR(d->qpos[1], 0.0, 1e-3);
    EXPECT_GT(d->qpos[2], 0.3);
    EXPECT_LT(d->qpos[2], 0.75);
  }
}

// The original MAML code's cheetah observed the torso subtree's centre of
// mass after stepping (rllab's get_body_com after model.forward()).
TEST(Locomotion, CentreOfMassObservationIsTheCurrentOne) {
  auto env = make_env("HalfCheetah", Options::parse("com_in_obs=true,frame_skip=1"));
  EXPECT_EQ(env->obs_dim(), 20);
  auto obs = env->reset(1);
  const float com_x_at_start = obs[17];
  auto& loco = as_locomotion(*env);
  for (int k = 0; k < 20; ++k) obs = env->step(std::vector<float>(6, k % 2 ? 1.f : -1.f)).observation;
  mjData* check = mj_makeData(loco.model());
  mju_copy(check->qpos, loco.data()->qpos, loco.model()->nq);
  mju_copy(check->qvel, loco.data()->qvel, loco.model()->nv);
  mj_forward(loco.model(), check);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(obs[17 + k], check->subtree_com[3 + k], 1e-6) << k;
  EXPECT_GT(std::abs(obs[17] - com_x_at_start), 1e-3);  // it moved
  mj_deleteData(check);
}

TEST(Locomotion, ObservationIsQposWithoutRootThenQvel) {
  auto env = make_env("Ant");
  const auto obs = env->reset(3);
  const mjData* d = as_locomotion(*env).data();
  for (int i = 2; i < 15; ++i) EXPECT_FLOAT_EQ(obs[i - 2], float(d->qpos[i]));
  for (int i = 0; i < 14; ++i) EXPECT_FLOAT_EQ(obs[13 + i], float(d->qvel[i]));
  auto cheetah = make_env("HalfCheetah");
  const auto c = cheetah->reset(3);
  const mjData* cd = as_locomotion(*cheetah).data();
  EXPECT_FLOAT_EQ(c[0], float(cd->qpos[1]));
  EXPECT_FLOAT_EQ(c[8], float(cd->qvel[0]));
}

TEST(Locomotion, ResetNoiseIsUniformOnQposGaussianOnQvelAndSeeded) {
  auto env = make_env("HalfCheetah");
  const auto& m = as_locomotion(*env);
  double max_dev = 0.0, sum_sq = 0.0;
  int n = 0;
  for (int seed = 0; seed < 50; ++seed) {
    env->reset(seed);
    for (int i = 0; i < m.model()->nq; ++i)
      max_dev = std::max(max_dev, std::abs(m.data()->qpos[i] - m.model()->qpos0[i]));
    for (int i = 0; i < m.model()->nv; ++i, ++n) sum_sq += m.data()->qvel[i] * m.data()->qvel[i];
  }
  EXPECT_LE(max_dev, 0.1);
  EXPECT_GT(max_dev, 0.09);
  EXPECT_NEAR(std::sqrt(sum_sq / n), 0.1, 0.02);  // N(0, 0.1^2)
  EXPECT_EQ(env->reset(7), env->reset(7));
  EXPECT_NE(env->reset(7), env->reset(8));
}

TEST(Locomotion, AntContactForcesAreReadAfterStepping) {
  auto env = make_env("Ant");
  env->reset(0);
  const std::vector<float> zero(8, 0.f);
  Transition t;
  for (int k = 0; k < 20; ++k) t = env->step(zero);  // settle onto the floor
  double force_sq = 0.0;
  for (int i = 27; i < 105; ++i) {
    EXPECT_LE(std::abs(t.observation[i]), 1.0f);  // clipped to [-1, 1]
    force_sq += double(t.observation[i]) * t.observation[i];
  }
  EXPECT_GT(force_sq, 0.0) << "cfrc_ext read zero: mj_rnePostConstraint was not called";
  EXPECT_NEAR(force_sq, t.info[5], 1e-4);  // the info's contact_sq is the same sum
}

TEST(Locomotion, AntTerminatesWhenTorsoLeavesHealthyRange) {
  auto env = make_env("Ant");
  auto& ant = as_locomotion(*env);
  env->reset(0);
  std::vector<double> qpos(ant.model()->qpos0, ant.model()->qpos0 + 15), qvel(14, 0.0);
  const std::vector<float> zero(8, 0.f);
  qpos[2] = 0.75;
  ant.set_state(qpos.data(), qvel.data());
  EXPECT_FALSE(env->step(zero).terminated);
  qpos[2] = 3.0;  // far above 1.0: falls, but not below 1.0 within 0.05 s
  ant.set_state(qpos.data(), qvel.data());
  EXPECT_TRUE(env->step(zero).terminated);
}

TEST(Locomotion, CheetahNeverTerminatesAndTruncatesAtTheHorizon) {
  auto env = make_env("HalfCheetah", Options::parse("max_episode_steps=30"));
  env->reset(0);
  Rng rng(0);
  for (int k = 1; k <= 30; ++k) {
    std::vector<float> a(6);
    for (float& x : a) x = float(rng.uniform(-1, 1));
    const auto t = env->step(a);
    EXPECT_FALSE(t.terminated);
    EXPECT_EQ(t.truncated, k == 30);
  }
}

TEST(Locomotion, DefaultRewardIsGymnasiumForwardRunning) {
  auto env = make_env("HalfCheetah");
  env->reset(0);
  const std::vector<float> a = {0.5f, -0.5f, 0.25f, 1.0f, 0.0f, -1.0f};
  const auto t = env->step(a);
  const double ctrl_sq = 0.25 + 0.25 + 0.0625 + 1 + 0 + 1;
  EXPECT_NEAR(t.reward, t.info[0] - 0.1 * ctrl_sq, 1e-4);  // info holds floats
  EXPECT_NEAR(t.info[4], ctrl_sq, 1e-6);
}

}  // namespace
}  // namespace metarl
