// The MuJoCo sumo: scene assembly, observation layout, outcome rules on
// hand-placed states, contact forces, rewards against their info terms.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/match.h"
#include "envs/core/registry.h"
#include "tests/support/info_terms.h"
#include "envs/sumo/sumo_env.h"

namespace metarl {
namespace {

std::unique_ptr<SumoEnv> make_sumo(const std::string& name, const Options& options = {}) {
  std::unique_ptr<Env> env = make_env(name, options);
  auto* sumo = dynamic_cast<SumoEnv*>(env.get());
  EXPECT_NE(sumo, nullptr);
  env.release();
  return std::unique_ptr<SumoEnv>(sumo);
}

std::vector<float> zero_actions(const Env& env) { return std::vector<float>(size_t(2 * env.act_row_size()), 0.0f); }

TEST(Sumo, ObservationSizesAreThePapersPerRobot) {
  EXPECT_EQ(make_sumo("SumoAnt")->obs_dim(0), 120);
  EXPECT_EQ(make_sumo("SumoBug")->obs_dim(1), 164);
  EXPECT_EQ(make_sumo("SumoSpider")->obs_dim(0), 208);
  EXPECT_EQ(make_sumo("SumoAnt")->act_dim(1), 8);
  EXPECT_EQ(make_sumo("SumoSpider")->act_dim(0), 16);
  auto mixed = make_sumo("SumoAnt", {{"robot1", "spider"}});
  EXPECT_EQ(mixed->obs_dim(0), 120);
  EXPECT_EQ(mixed->obs_dim(1), 208);
  EXPECT_EQ(mixed->act_dim(1), 16);
  EXPECT_EQ(make_sumo("SumoAnt", {{"arena", "ring"}})->obs_dim(0), 123);
  // The clock: the elapsed fraction of the time limit, last.
  auto timed = make_sumo("SumoAnt", {{"observe_time", "true"}, {"max_episode_steps", "4"}});
  ASSERT_EQ(timed->obs_dim(0), 121);
  EXPECT_EQ(timed->reset(0)[120], 0.0f);
  const Transition t = timed->step(zero_actions(*timed));
  EXPECT_EQ(t.observation[120], 0.25f);
  EXPECT_EQ(t.observation[121 + 120], 0.25f);
}

TEST(Sumo, ScenesAreDeterministicWithPrefixedNames) {
  const SumoSceneSpec spec{{"ant", "bug"}, SumoArena::kTatami, 0};
  EXPECT_EQ(sumo_scene_xml(spec, "test"), sumo_scene_xml(spec, "test"));
  auto env = make_sumo("SumoAnt", {{"robot1", "bug"}});
  const mjModel* m = env->reference_model();
  EXPECT_GE(mj_name2id(m, mjOBJ_BODY, "ant0/torso"), 0);
  EXPECT_GE(mj_name2id(m, mjOBJ_BODY, "bug1/torso"), 0);
  EXPECT_GE(mj_name2id(m, mjOBJ_ACTUATOR, "bug1/ankle_6"), 0);
  EXPECT_EQ(env->seat(1).nu, 12);
  EXPECT_EQ(env->seat(1).actuator_begin, 8);
  // The calibrated densities: the Ant's torso sphere (r 0.25) weighs 13 kg/m³ of it.
  const int torso = mj_name2id(m, mjOBJ_BODY, "ant0/torso");
  EXPECT_NEAR(m->body_mass[torso], 13 * 4.0 / 3.0 * M_PI * std::pow(0.25, 3), 1e-9);
  // The same robot twice is two robots.
  auto twins = make_sumo("SumoBug");
  EXPECT_GE(mj_name2id(twins->reference_model(), mjOBJ_JOINT, "bug0/hip_1"), 0);
  EXPECT_GE(mj_name2id(twins->reference_model(), mjOBJ_JOINT, "bug1/hip_1"), 0);
}

TEST(Sumo, SpidersLegsKeepTheOriginalsDensity) {
  auto env = make_sumo("SumoSpider");
  const mjModel* m = env->reference_model();
  const int torso = mj_name2id(m, mjOBJ_BODY, "spider0/torso");
  EXPECT_NEAR(m->body_mass[torso], 39 * 4.0 / 3.0 * M_PI * std::pow(0.25, 3), 1e-9);
  const int foot = mj_name2id(m, mjOBJ_GEOM, "spider0/ankle_1_geom");
  const double r = m->geom_size[3 * foot], half = m->geom_size[3 * foot + 1];
  const double volume = M_PI * r * r * 2 * half + 4.0 / 3.0 * M_PI * r * r * r;
  EXPECT_NEAR(m->body_mass[m->geom_bodyid[foot]], 5 * volume, 1e-9);
}

TEST(Sumo, StartsFacingEachOtherAcrossTheCentreWithUnitQuaternions) {
  auto env = make_sumo("SumoAnt");
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const std::vector<float> obs = env->reset(seed);
    const double x0 = env->qpos()[0], y0 = env->qpos()[1];
    const double x1 = env->qpos()[env->seat(1).qpos_begin], y1 = env->qpos()[env->seat(1).qpos_begin + 1];
    EXPECT_NEAR(std::hypot(x0, y0), SumoEnv::kStartRadius, 0.15);
    EXPECT_NEAR(std::hypot(x0 + x1, y0 + y1), 0.0, 0.3);  // opposite sides
    for (int k = 0; k < 2; ++k) {
      const double* q = env->qpos() + env->seat(k).qpos_begin + 3;
      EXPECT_NEAR(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3], 1.0, 1e-12);
      // Heading: the torso's x axis, rotated by q, points at the centre (within the noise).
      const double heading = std::atan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] * q[2] + q[3] * q[3]));
      const double x = env->qpos()[env->seat(k).qpos_begin], y = env->qpos()[env->seat(k).qpos_begin + 1];
      EXPECT_GT(std::cos(heading - std::atan2(-y, -x)), 0.9);
    }
    // Each agent sees itself first and the other's pose after its own bodies.
    EXPECT_FLOAT_EQ(obs[0], float(x0));
    EXPECT_FLOAT_EQ(obs[size_t(env->obs_row_size())], float(x1));
    EXPECT_FLOAT_EQ(obs[15 + 14 + 6 * 13], float(x1));
  }
}

// Seat 1 placed at (x, y, z): its loss reason after one step with both still.
Transition step_with_seat1_at(SumoEnv& env, double x, double y, double z) {
  env.reset(1);
  env.place(0, -0.5, 0, 0.75, 0);
  env.place(1, x, y, z, M_PI);
  return env.step(zero_actions(env));
}

TEST(Sumo, PushedOutOnEachSideOfTheSquareTatami) {
  auto env = make_sumo("SumoAnt");
  const double out = SumoEnv::kTatamiOut + 0.05;
  for (const auto& [x, y] : std::vector<std::pair<double, double>>{{out, 0}, {-out, 0}, {0.3, out}, {0.3, -out}}) {
    const Transition t = step_with_seat1_at(*env, x, y, 0.75);
    EXPECT_TRUE(t.terminated) << x << ", " << y;
    EXPECT_EQ(info_of(*env, t, 1, "lost"), 1);
    EXPECT_EQ(info_of(*env, t, 1, "pushed_out"), 1);
    EXPECT_EQ(info_of(*env, t, 1, "fell"), 0);
    EXPECT_EQ(info_of(*env, t, 0, "won"), 1);
    EXPECT_EQ(info_of(*env, t, 0, "reward_outcome"), 2000);
    EXPECT_EQ(info_of(*env, t, 1, "reward_outcome"), -2000);
  }
  // Inside the line on every side: the match goes on.
  for (const auto& [x, y] : std::vector<std::pair<double, double>>{{1.9, 0}, {0.3, -1.9}}) {
    const Transition t = step_with_seat1_at(*env, x, y, 0.75);
    EXPECT_FALSE(t.terminated);
    EXPECT_EQ(info_of(*env, t, 1, "lost"), 0);
  }
}

TEST(Sumo, FallingOffThePlatformLoses) {
  auto env = make_sumo("SumoAnt");
  const Transition t = step_with_seat1_at(*env, 3.6, 0.0, 0.2);  // on the floor beside the platform, legs clear of it
  EXPECT_TRUE(t.terminated);
  EXPECT_EQ(info_of(*env, t, 1, "fell"), 1);
  EXPECT_EQ(info_of(*env, t, 1, "pushed_out"), 0);
  EXPECT_EQ(info_of(*env, t, 0, "won"), 1);
}

TEST(Sumo, BothOutAtOnceAndTimeUpAreDraws) {
  auto env = make_sumo("SumoAnt", {{"max_episode_steps", "3"}});
  env->reset(2);
  env->place(0, -2.2, 0, 0.75, 0);
  env->place(1, 2.2, 0, 0.75, M_PI);
  Transition t = env->step(zero_actions(*env));
  EXPECT_TRUE(t.terminated);
  EXPECT_EQ(info_of(*env, t, 0, "drew"), 1);
  EXPECT_EQ(info_of(*env, t, 1, "drew"), 1);
  EXPECT_EQ(info_of(*env, t, 0, "time_up"), 0);

  env->reset(2);
  env->place(0, -0.8, 0, 0.75, 0);
  env->place(1, 0.8, 0, 0.75, M_PI);
  for (int s = 0; s < 3; ++s) {
    t = env->step(zero_actions(*env));
    EXPECT_EQ(t.terminated, s == 2) << s;
  }
  EXPECT_TRUE(t.truncated);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(info_of(*env, t, k, "drew"), 1);
    EXPECT_EQ(info_of(*env, t, k, "time_up"), 1);
    EXPECT_EQ(info_of(*env, t, k, "reward_outcome"), -1000);
  }
}

TEST(Sumo, TheRingsRadiusIsDrawnPerEpisodeAndDecidesWhoIsOut) {
  auto env = make_sumo("SumoAnt", {{"arena", "ring"}, {"ring_radius_min", "2.5"}, {"ring_radius_max", "4.5"}});
  std::vector<double> radii;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> obs = env->reset(seed);
    radii.push_back(env->ring_radius());
    EXPECT_GE(env->ring_radius(), 2.5);
    EXPECT_LE(env->ring_radius(), 4.5);
    EXPECT_FLOAT_EQ(obs[120], float(env->ring_radius()));
    // The platform itself has the drawn radius.
    const int platform = mj_name2id(env->reference_model(), mjOBJ_GEOM, kPlatformGeom);
    EXPECT_EQ(env->model()->geom_size[3 * platform], env->ring_radius());
  }
  EXPECT_GT(*std::max_element(radii.begin(), radii.end()) - *std::min_element(radii.begin(), radii.end()), 1.0);

  auto fixed = make_sumo("SumoAnt", {{"arena", "ring"}, {"ring_radius_min", "3"}, {"ring_radius_max", "3"}});
  // Beyond the tatami's line but inside the ring: on; past the ring's edge (diagonally): out.
  Transition t = step_with_seat1_at(*fixed, 2.5, 0.0, 0.75);
  EXPECT_FALSE(t.terminated);
  t = step_with_seat1_at(*fixed, 2.2, 2.2, 0.75);
  EXPECT_EQ(info_of(*fixed, t, 1, "pushed_out"), 1);
  EXPECT_EQ(info_of(*fixed, t, 0, "won"), 1);
}

TEST(Sumo, ContactForcesAreObservedWhenTheRobotsTouch) {
  auto env = make_sumo("SumoAnt");
  // The same match observed with force_scale: only the force entries change, by that factor.
  auto scaled = make_sumo("SumoAnt", {{"force_scale", "0.01"}});
  env->reset(4);
  scaled->reset(4);
  // Torsos 0.6 apart: their legs overlap.
  for (SumoEnv* e : {env.get(), scaled.get()}) {
    e->place(0, -0.3, 0, 0.75, 0);
    e->place(1, 0.3, 0, 0.75, M_PI);
  }
  const mjModel* m = env->reference_model();
  Transition t, t_scaled;
  bool touched = false;
  for (int s = 0; s < 10 && !touched; ++s) {
    t = env->step(zero_actions(*env));
    t_scaled = scaled->step(zero_actions(*scaled));
    const mjData* d = env->data();
    for (int c = 0; c < d->ncon; ++c) {
      const int b1 = m->geom_bodyid[d->contact[c].geom1], b2 = m->geom_bodyid[d->contact[c].geom2];
      const bool seat0 = b1 >= env->seat(0).body_begin && b1 < env->seat(1).body_begin;
      const bool seat1 = b2 >= env->seat(1).body_begin;
      touched |= (seat0 && seat1) || (b2 >= env->seat(0).body_begin && b2 < env->seat(1).body_begin && b1 >= env->seat(1).body_begin);
    }
  }
  ASSERT_TRUE(touched) << "the robots never touched";
  // Seat 0's own-body forces (after qpos 15 and qvel 14) are not all zero.
  double sum = 0;
  for (int i = 29; i < 29 + 6 * 13; ++i) sum += t.observation[size_t(i)];
  EXPECT_GT(sum, 1.0);
  for (int i = 29; i < 29 + 6 * 13; ++i) EXPECT_LE(t.observation[size_t(i)], SumoEnv::kForceClip);
  ASSERT_EQ(t_scaled.observation.size(), t.observation.size());
  for (size_t k = 0; k < 2; ++k) {
    const std::vector<bool> entries = env->force_entries(int(k));  // as players rescale them
    ASSERT_EQ(entries.size(), 120u);
    for (size_t i = 0; i < 120; ++i) {
      const size_t j = k * 120 + i;
      const bool force = (i >= 29 && i < 29 + 6 * 13) || i >= 29 + 6 * 13 + 7;
      EXPECT_EQ(entries[i], force) << i;
      if (force)
        EXPECT_NEAR(t_scaled.observation[j], 0.01 * t.observation[j], 1e-6 * (1 + t.observation[j])) << j;
      else
        EXPECT_EQ(t_scaled.observation[j], t.observation[j]) << j;
    }
  }
}

TEST(Sumo, NothingTouchesInTheAirSoNoForceIsObserved) {
  auto env = make_sumo("SumoAnt");
  env->reset(4);
  env->place(0, -1.0, 0, 3.0, 0);
  env->place(1, 1.0, 0, 3.0, M_PI);
  const Transition t = env->step(zero_actions(*env));
  for (int k = 0; k < 2; ++k)
    for (int i = 29; i < 29 + 6 * 13 + 7 + 6; ++i)
      if (i < 29 + 6 * 13 || i >= 29 + 6 * 13 + 7) EXPECT_EQ(t.observation[size_t(k * 120 + i)], 0.0f) << i;
}

TEST(Sumo, RewardsAreTheSumOfTheirInfoTermsAndTheShapingIsRoboSumos) {
  auto env = make_sumo("SumoBug", {{"dense_weight", "0.5"}});
  env->reset(9);
  Rng rng(3);
  for (int s = 0; s < 60; ++s) {
    std::vector<float> actions = zero_actions(*env);
    for (float& a : actions) a = float(rng.uniform(-1, 1));
    const Transition t = env->step(actions);
    for (int k = 0; k < 2; ++k) {
      double terms = info_of(*env, t, k, "reward_outcome");
      for (const char* term : {"reward_ctrl", "reward_push", "reward_move"}) terms += info_of(*env, t, k, term);
      EXPECT_NEAR(t.rewards[size_t(k)], terms, 1e-3 * (1 + std::abs(t.rewards[size_t(k)])));
      double sq = 0;
      for (int i = 0; i < 12; ++i) sq += double(actions[size_t(k * 12 + i)]) * actions[size_t(k * 12 + i)];
      EXPECT_NEAR(info_of(*env, t, k, "reward_ctrl"), 0.5 * -0.1 * sq, 1e-5);
      const double ox = info_of(*env, t, 1 - k, "torso_x"), oy = info_of(*env, t, 1 - k, "torso_y");
      EXPECT_NEAR(info_of(*env, t, k, "reward_push"), 0.5 * -10 * std::exp(-std::hypot(ox, oy)), 1e-4);
      EXPECT_GE(info_of(*env, t, k, "reward_move"), 0.0f);
      EXPECT_EQ(info_of(*env, t, k, "dense_weight"), 0.5f);
    }
    if (t.terminated) env->reset();
  }
}

TEST(Sumo, ZeroDenseWeightLeavesOnlyTheOutcome) {
  auto env = make_sumo("SumoAnt");
  env->set_dense_weight(0);
  env->reset(5);
  std::vector<float> actions = zero_actions(*env);
  for (float& a : actions) a = 0.7f;
  const Transition t = env->step(actions);
  EXPECT_EQ(t.rewards[0], 0.0);
  EXPECT_EQ(t.rewards[1], 0.0);
  EXPECT_THROW(env->set_dense_weight(1.5), EnvError);
}

TEST(Sumo, ABadActionOfEitherAgentIsRejectedNamingTheEnvAndTheAgent) {
  auto env = make_sumo("SumoAnt");
  env->reset(0);
  std::vector<float> actions = zero_actions(*env);
  actions[8 + 3] = NAN;
  try {
    env->step(actions);
    FAIL() << "accepted";
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "SumoAnt: agent 1 action[3] is NaN");
  }
}

TEST(Sumo, BadOptionsAreRefusedNamingTheEnv) {
  EXPECT_THROW(make_env("SumoAnt", {{"robot1", "cat"}}), EnvError);
  try {
    make_env("SumoAnt", {{"arena", "ring"}, {"ring_radius_min", "4"}, {"ring_radius_max", "3"}});
    FAIL() << "accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("SumoAnt: ring_radius_min"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

TEST(Sumo, ABodyScheduleChangesOneAgentOnly) {
  auto env = make_sumo("SumoAnt");
  env->set_schedule(make_schedule("BodyMassScale", {{"body", "ant1/*"}, {"from", "2"}, {"to", "2"}}));
  env->reset(0);
  const mjModel* ref = env->reference_model();
  const mjModel* m = env->model();
  for (int b = env->seat(0).body_begin; b < env->seat(0).body_begin + env->seat(0).nbody; ++b)
    EXPECT_EQ(m->body_mass[b], ref->body_mass[b]);
  for (int b = env->seat(1).body_begin; b < env->seat(1).body_begin + env->seat(1).nbody; ++b)
    EXPECT_EQ(m->body_mass[b], 2 * ref->body_mass[b]);
  // Another env of the same scene keeps the calibrated masses.
  auto other = make_sumo("SumoAnt");
  other->reset(0);
  const int torso1 = env->seat(1).torso_body;
  EXPECT_EQ(other->model()->body_mass[torso1], ref->body_mass[torso1]);
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

TEST(Sumo, ARingMatchSavedMidEpisodeContinuesBitExactlyWithItsRadius) {
  const Options ring{{"arena", "ring"}, {"robot1", "bug"}};
  auto env = make_sumo("SumoAnt", ring);
  env->reset(11);
  Rng rng(4);
  auto random_actions = [&](const Env& e) {
    std::vector<float> a = zero_actions(e);
    for (float& x : a) x = float(rng.uniform(-1, 1));
    return a;
  };
  for (int s = 0; s < 7; ++s) env->step(random_actions(*env));
  std::string saved;
  env->save_state(saved);

  auto fresh = make_sumo("SumoAnt", ring);
  size_t offset = 0;
  fresh->load_state(saved, offset);
  EXPECT_EQ(offset, saved.size());
  EXPECT_EQ(fresh->ring_radius(), env->ring_radius());
  for (int s = 0; s < 20; ++s) {
    const std::vector<float> a = random_actions(*env);
    const Transition x = env->step(a), y = fresh->step(a);
    ASSERT_EQ(x.observation, y.observation) << s;
    ASSERT_EQ(x.rewards, y.rewards) << s;
    ASSERT_EQ(x.terminated, y.terminated) << s;
    if (x.terminated) break;
  }
}

}  // namespace
}  // namespace metarl
