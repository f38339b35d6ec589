// learning_to_adapt's crippled HalfCheetah and Ant: the splits, a disabled
// motor that has no effect while the others do, and the Ant's halved leg.
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/mujoco/locomotion_env.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

LocomotionEnv& locomotion(Env& env) { return dynamic_cast<LocomotionEnv&>(env); }

std::set<int> sampled(const std::string& family, const std::string& key, const std::string& options) {
  Rng rng(8);
  std::set<int> values;
  for (const Task& t : make_task_family(family, Options::parse(options))->sample(500, rng)) {
    EXPECT_EQ(Task::parse(t.to_string()), t);
    values.insert(int(t.get(key)));
  }
  return values;
}

// The original draws randint(1, 6) for the cheetah and randint(0, 3) for
// the Ant (its legs 0-2, here 1-3), holding out dimension 0 and leg 3 (4).
TEST(CrippledLimbs, SplitsAreTheOriginals) {
  EXPECT_EQ(sampled("HalfCheetahCrippled", "actuator", ""), (std::set<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(sampled("HalfCheetahCrippled", "actuator", "split=test"), (std::set<int>{0}));
  EXPECT_EQ(sampled("HalfCheetahCrippled", "actuator", "split=all"), (std::set<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(sampled("AntCrippled", "leg", "split=train"), (std::set<int>{1, 2, 3}));
  EXPECT_EQ(sampled("AntCrippled", "leg", "split=test"), (std::set<int>{4}));
  EXPECT_EQ(sampled("AntCrippled", "leg", "split=all"), (std::set<int>{1, 2, 3, 4}));
  EXPECT_THROW(make_task_family("AntCrippled", Options::parse("split=held_out")), EnvError);
  auto ant = make_env("Ant");
  EXPECT_THROW(make_task_family("AntCrippled")->apply(*ant, Task("AntCrippled", {{"leg", 5}})), EnvError);
  auto cheetah = make_env("HalfCheetah");
  EXPECT_THROW(make_task_family("HalfCheetahCrippled")->apply(*cheetah, Task("HalfCheetahCrippled", {{"actuator", 6}})),
               EnvError);
}

// Observations of `steps` steps of `env` from reset(seed) under `actions`
// (one row of act_dim per step), with action dimension `zeroed` set to 0
// (-1: none).
std::vector<float> trajectory(Env& env, const std::vector<std::vector<float>>& actions, int zeroed) {
  std::vector<float> out = env.reset(5);
  for (std::vector<float> a : actions) {
    if (zeroed >= 0) a[size_t(zeroed)] = 0.0f;
    const auto obs = env.step(a).observation;
    out.insert(out.end(), obs.begin(), obs.end());
  }
  return out;
}

std::vector<std::vector<float>> random_actions(int steps, int dim) {
  Rng rng(3);
  std::vector<std::vector<float>> actions(size_t(steps), std::vector<float>(size_t(dim), 0.0f));
  for (auto& a : actions)
    for (float& x : a) x = float(rng.uniform(-1, 1));
  return actions;
}

// A crippled motor's action has no effect: the trajectory under random
// actions is the one with that action zeroed (bit for bit); zeroing any
// other action changes it. The original's stack: frame_skip 1, COM observed.
TEST(CrippledLimbs, ACrippledCheetahMotorHasNoEffectAndTheOthersDo) {
  const auto family = make_task_family("HalfCheetahCrippled", Options::parse("split=all"));
  const auto actions = random_actions(150, 6);
  for (int crippled = 0; crippled < 6; ++crippled) {
    auto env = make_env("HalfCheetah", Options::parse("frame_skip=1,com_in_obs=true"));
    ASSERT_EQ(env->obs_dim(), 20);
    family->apply(*env, Task("HalfCheetahCrippled", {{"actuator", double(crippled)}}));
    const auto as_given = trajectory(*env, actions, -1);
    EXPECT_EQ(as_given, trajectory(*env, actions, crippled)) << "actuator " << crippled;
    for (int other = 0; other < 6; ++other) {
      if (other != crippled) {
        EXPECT_NE(as_given, trajectory(*env, actions, other)) << "actuator " << other << " with " << crippled
                                                              << " crippled";
      }
    }
    const mjModel* m = locomotion(*env).model();
    for (int a = 0; a < 6; ++a)
      EXPECT_EQ(m->actuator_gear[6 * a] == 0, a == crippled) << "actuator " << a << " with " << crippled << " crippled";
  }
}

TEST(CrippledLimbs, TheCheetahsRewardIsTheOriginals) {
  auto env = make_env("HalfCheetah", Options::parse("frame_skip=1,com_in_obs=true"));
  make_task_family("HalfCheetahCrippled")->apply(*env, Task("HalfCheetahCrippled", {{"actuator", 3}}));
  env->reset(1);
  const std::vector<float> action = {0.5f, -0.25f, 1.0f, 0.75f, 0.0f, -1.0f};
  const double x_before = locomotion(*env).qpos()[0];
  const Transition t = env->step(action);
  const double v = (locomotion(*env).qpos()[0] - x_before) / 0.01;
  double sq = 0;
  for (float a : action) sq += double(a) * a;
  EXPECT_NEAR(t.reward, v - 0.05 * sq, 1e-9);
  EXPECT_FALSE(t.terminated);
}

// The Ant's leg n: its hip and ankle motors have gear 0; its thigh and
// shin capsules half their radius and half-length, the thigh in place and
// the shin's centre moved to where the thigh's sits (the original sets
// geom_pos[shin] = geom_pos[thigh]); every other number as it was; only in
// the task's env.
TEST(CrippledLimbs, TheAntsCrippledLegIsDisabledAndHalvedAsTheOriginals) {
  VectorEnv ants("Ant", 4, 1);
  const auto family = make_task_family("AntCrippled", Options::parse("split=all"));
  for (int leg = 1; leg <= 4; ++leg) family->apply(ants.env(leg - 1), Task("AntCrippled", {{"leg", double(leg)}}));
  ants.seed(2);
  ants.reset();
  for (int leg : {3, 1, 4, 2}) {
    const mjModel* m = locomotion(ants.env(leg - 1)).model();
    const mjModel* ref = locomotion(ants.env(leg - 1)).reference_model();
    for (int a = 0; a < m->nu; ++a) {
      const std::string name = mj_id2name(m, mjOBJ_ACTUATOR, a);
      const bool crippled = name == "hip_" + std::to_string(leg) || name == "ankle_" + std::to_string(leg);
      EXPECT_EQ(m->actuator_gear[6 * a], crippled ? 0.0 : 150.0) << name << " with leg " << leg << " crippled";
    }
    const std::string n = std::to_string(leg);
    const int thigh = mj_name2id(m, mjOBJ_GEOM, ("leg_" + n + "_geom").c_str());
    const int shin = mj_name2id(m, mjOBJ_GEOM, ("ankle_" + n + "_geom").c_str());
    for (int g = 0; g < m->ngeom; ++g) {
      const bool halved = g == thigh || g == shin;
      EXPECT_EQ(m->geom_size[3 * g], halved ? 0.04 : ref->geom_size[3 * g]) << "geom " << g << ", leg " << leg;
      EXPECT_EQ(m->geom_size[3 * g + 1], halved ? 0.5 * ref->geom_size[3 * g + 1] : ref->geom_size[3 * g + 1]);
      if (g != shin) {
        for (int k = 0; k < 3; ++k) EXPECT_EQ(m->geom_pos[3 * g + k], ref->geom_pos[3 * g + k]) << "geom " << g;
      }
    }
    for (int k = 0; k < 3; ++k) EXPECT_EQ(m->geom_pos[3 * shin + k], ref->geom_pos[3 * thigh + k]) << "leg " << leg;
    EXPECT_NEAR(m->geom_size[3 * thigh + 1], 0.25 * std::sqrt(0.08), 1e-12);  // half of |(0.2, 0.2)| / 2
    EXPECT_NEAR(m->geom_size[3 * shin + 1], 0.25 * std::sqrt(0.32), 1e-12);  // half of |(0.4, 0.4)| / 2
    for (int b = 0; b < m->nbody; ++b) EXPECT_EQ(m->body_mass[b], ref->body_mass[b]) << "masses stay";
  }
}

// In the physics: the disabled motors do nothing (an Ant with leg 2
// crippled steps identically with their actions zeroed, not with another
// motor's), and the shin's capsule is centred 0.1 sqrt(2) from the knee, so
// it reaches 0.2 sqrt(2) along the leg instead of 0.4 sqrt(2). The
// original's control period: 0.02 s.
TEST(CrippledLimbs, TheAntsCrippledMotorsDoNothingAndItsShinIsShort) {
  auto env = make_env("Ant", Options::parse("frame_skip=2,contact_forces_in_obs=false,com_in_obs=true"));
  ASSERT_EQ(env->obs_dim(), 30);
  make_task_family("AntCrippled")->apply(*env, Task("AntCrippled", {{"leg", 2}}));
  const auto actions = random_actions(60, 8);
  std::vector<std::vector<float>> zeroed = actions;
  for (auto& a : zeroed) a[4] = a[5] = 0.0f;  // hip_2, ankle_2
  EXPECT_EQ(trajectory(*env, actions, -1), trajectory(*env, zeroed, -1));
  std::vector<std::vector<float>> other = actions;
  for (auto& a : other) a[2] = 0.0f;  // hip_1
  EXPECT_NE(trajectory(*env, actions, -1), trajectory(*env, other, -1));

  env->reset(0);
  auto& ant = locomotion(*env);
  const mjData* d = ant.data();
  const mjModel* m = ant.model();
  const int shin = mj_name2id(m, mjOBJ_GEOM, "ankle_2_geom");
  const int ankle_body = m->geom_bodyid[shin];
  double offset = 0;
  for (int k = 0; k < 3; ++k) offset += std::pow(d->geom_xpos[3 * shin + k] - d->xpos[3 * ankle_body + k], 2);
  EXPECT_NEAR(std::sqrt(offset), 0.1 * std::sqrt(2.0), 1e-9);
}

TEST(CrippledLimbs, TheAntsRewardIsTheOriginals) {
  auto env = make_env("Ant", Options::parse("frame_skip=2"));
  make_task_family("AntCrippled")->apply(*env, Task("AntCrippled", {{"leg", 1}}));
  env->reset(1);
  const double x_before = locomotion(*env).qpos()[0];
  const Transition t = env->step(std::vector<float>(8, 1.0f));
  EXPECT_NEAR(t.reward, (locomotion(*env).qpos()[0] - x_before) / 0.02 + 0.05, 1e-9) << "no control or contact cost";
}

}  // namespace
}  // namespace metarl
