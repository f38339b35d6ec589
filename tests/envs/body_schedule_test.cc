// Body changes as schedules: targets chosen by glob patterns over names (one
// agent's objects, "ant1/*"), and GeomSizeScale (leg length, torso size).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/mujoco/mujoco_env.h"

namespace metarl {
namespace {

const MujocoEnv& mujoco(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const EnvError& e) {
    return e.what();
  }
  return "(no error)";
}

// The indices of `array` this env has edited.
std::set<int> edited(const MujocoEnv& env, ModelArray array) {
  std::set<int> out;
  for (const ModelEdit& e : env.model_edits())
    if (e.array == array) out.insert(e.index);
  return out;
}

std::set<int> ids_of(const mjModel* m, mjtObj type, const std::vector<std::string>& names) {
  std::set<int> out;
  for (const std::string& name : names) {
    const int id = mj_name2id(m, type, name.c_str());
    EXPECT_GE(id, 0) << name;
    out.insert(id);
  }
  return out;
}

// Bytes of the model buffer that differ from the reference model's.
size_t changed_bytes(const MujocoEnv& env) {
  const mjModel* m = env.model();
  const mjModel* ref = env.reference_model();
  const auto* a = static_cast<const unsigned char*>(m->buffer);
  const auto* b = static_cast<const unsigned char*>(ref->buffer);
  size_t changed = 0;
  for (int i = 0; i < m->nbuffer; ++i) changed += a[i] != b[i];
  return changed + (std::memcmp(m->opt.gravity, ref->opt.gravity, sizeof m->opt.gravity) != 0);
}

// Ant's MJCF with every name (and every reference to a joint) prefixed
// "ant0/", as a two-robot env names agent 0's objects.
std::string prefixed_ant_model() {
  std::ifstream in(assets_dir() + "/ant.xml");
  std::stringstream text;
  text << in.rdbuf();
  std::string xml = std::regex_replace(text.str(), std::regex(R"((\b(?:name|joint)=")([^"]+"))"), "$1ant0/$2");
  const std::string path = testing::TempDir() + "/metarl_prefixed_ant.xml";
  std::ofstream(path) << xml;
  return path;
}

TEST(GlobTargets, SelectExactlyTheMatchingObjects) {
  auto env = make_env("Ant");
  env->set_schedule(make_schedule("BodyMassScale", Options::parse("body=*_foot,to=0.5,from=0.5")));
  env->reset(0);
  const auto& m = mujoco(*env);
  const mjModel* ref = m.reference_model();
  const std::set<int> feet =
      ids_of(ref, mjOBJ_BODY, {"front_left_foot", "back_left_foot", "back_right_foot", "front_right_foot"});
  ASSERT_EQ(feet.size(), 4u);
  EXPECT_EQ(edited(m, ModelArray::kBodyMass), feet);
  for (int b : feet) EXPECT_EQ(m.model_value(ModelArray::kBodyMass, b), 0.5 * ref->body_mass[b]);

  // Patterns, names and indices mixed; '?' and '[...]' as fnmatch has them.
  auto bug = make_env("Bug");
  bug->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=*_[12] hip_? 0,from=0.5,to=0.5")));
  bug->reset(0);
  const mjModel* bug_ref = mujoco(*bug).reference_model();
  std::set<int> expected = ids_of(bug_ref, mjOBJ_ACTUATOR, {"hip_1", "ankle_1", "hip_2", "ankle_2"});
  for (int a = 0; a < bug_ref->nu; ++a)
    if (std::string(mj_id2name(bug_ref, mjOBJ_ACTUATOR, a)).rfind("hip_", 0) == 0) expected.insert(a);
  expected.insert(0);
  std::set<int> gears;
  for (int k : edited(mujoco(*bug), ModelArray::kActuatorGear)) gears.insert(k / 6);
  EXPECT_EQ(gears, expected);
  EXPECT_GE(gears.size(), 8u);  // six hips, ankle_1, ankle_2 (and actuator 0, if not one of them)
}

// One agent's objects of a model whose names carry the agent's prefix.
TEST(GlobTargets, PickOneAgentsObjectsByPrefix) {
  auto env = make_env("Ant", Options::parse("model_path=" + prefixed_ant_model()));
  const std::shared_ptr<const DynamicsSchedule> parts[] = {
      make_schedule("BodyMassScale", Options::parse("body=ant0/*,from=2,to=2")),
      make_schedule("ActuatorGearScale", Options::parse("actuator=ant0/ankle_*,from=0.5,to=0.5")),
      make_schedule("GeomSizeScale", Options::parse("geom=*/ankle_*_geom,dims=1,from=1.5,to=1.5")),
  };
  env->set_schedule(std::make_shared<CompositeSchedule>(
      std::vector<std::shared_ptr<const DynamicsSchedule>>(std::begin(parts), std::end(parts))));
  env->reset(0);
  const auto& m = mujoco(*env);
  const mjModel* ref = m.reference_model();
  std::set<int> bodies;  // every body but the world (named "world", not "ant0/...")
  for (int b = 1; b < ref->nbody; ++b) bodies.insert(b);
  EXPECT_EQ(edited(m, ModelArray::kBodyMass), bodies);
  std::set<int> gears;
  for (int k : edited(m, ModelArray::kActuatorGear)) gears.insert(k / 6);
  EXPECT_EQ(gears, ids_of(ref, mjOBJ_ACTUATOR, {"ant0/ankle_1", "ant0/ankle_2", "ant0/ankle_3", "ant0/ankle_4"}));
  std::set<int> geoms;
  for (int k : edited(m, ModelArray::kGeomSize)) geoms.insert(k / 3);
  EXPECT_EQ(geoms, ids_of(ref, mjOBJ_GEOM,
                          {"ant0/ankle_1_geom", "ant0/ankle_2_geom", "ant0/ankle_3_geom", "ant0/ankle_4_geom"}));

  // Another agent's objects are not there: refused, naming schedule, env and pattern.
  auto other = make_env("Ant", Options::parse("model_path=" + prefixed_ant_model()));
  other->set_schedule(make_schedule("GeomSizeScale", Options::parse("geom=ant1/torso_geom,to=1.2")));
  EXPECT_EQ(error_of([&] { other->reset(0); }),
            "GeomSizeScale(geom=ant1/torso_geom, dims=0 1 2, from=1, to=1.2, episodes=7): env Ant has no geom "
            "'ant1/torso_geom' (it has " +
                std::to_string(ref->ngeom) + ")");
}

TEST(GlobTargets, APatternMatchingNothingIsAnErrorNamingScheduleEnvAndPattern) {
  auto env = make_env("Ant");
  env->set_schedule(make_schedule("BodyMassScale", Options::parse("body=torso ant1/*,to=2")));
  EXPECT_EQ(error_of([&] { env->reset(0); }),
            "BodyMassScale(body=torso ant1/*, from=1, to=2, episodes=7): env Ant has no body matching 'ant1/*' "
            "(it has 14)");
  auto bug = make_env("Bug");
  bug->set_schedule(make_schedule("FrictionScale", Options::parse("geom=*/ankle_*_geom,to=0.5")));
  const std::string error = error_of([&] { bug->reset(0); });
  EXPECT_NE(error.find("FrictionScale("), std::string::npos) << error;
  EXPECT_NE(error.find("env Bug"), std::string::npos) << error;
  EXPECT_NE(error.find("'*/ankle_*_geom'"), std::string::npos) << error;
}

// "{key}" is replaced before the pattern is matched.
TEST(GlobTargets, TaskKeysWorkInsidePatterns) {
  auto env = make_env("Ant");
  env->set_schedule(make_schedule("GeomSizeScale", Options::parse("geom=*_{leg}_geom,dims=0,from={s},to={s}")));
  env->begin_task(Task("AntBody", {{"leg", 2}, {"s", 1.25}}));
  env->reset(0);
  const auto& m = mujoco(*env);
  const mjModel* ref = m.reference_model();
  std::set<int> geoms;
  for (int k : edited(m, ModelArray::kGeomSize)) geoms.insert(k / 3);
  EXPECT_EQ(geoms, ids_of(ref, mjOBJ_GEOM, {"aux_2_geom", "leg_2_geom", "ankle_2_geom"}));
  for (int g : geoms) {
    EXPECT_EQ(m.model_value(ModelArray::kGeomSize, 3 * g), 1.25 * ref->geom_size[3 * g]);
    EXPECT_EQ(m.model_value(ModelArray::kGeomSize, 3 * g + 1), ref->geom_size[3 * g + 1]);
    // dims=0 is the radius: the capsule, on its axis through the body's
    // origin, is only fattened (its position stays, up to rounding).
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(m.model_value(ModelArray::kGeomPos, 3 * g + k), ref->geom_pos[3 * g + k], 1e-15);
    EXPECT_EQ(m.model_value(ModelArray::kGeomRbound, g), 1.25 * ref->geom_size[3 * g] + ref->geom_size[3 * g + 1]);
  }
}

struct Capsule {
  double near, far;  // distances of its two end points from its body's origin
  double radius, rbound;
};

// Ant's ankle capsules as the env's physics has them (after mj_forward).
std::vector<Capsule> ankle_capsules(const MujocoEnv& env) {
  const mjModel* m = env.model();
  const mjData* d = env.data();
  std::vector<Capsule> out;
  for (int leg = 1; leg <= 4; ++leg) {
    const int g = mj_name2id(m, mjOBJ_GEOM, ("ankle_" + std::to_string(leg) + "_geom").c_str());
    const int b = m->geom_bodyid[g];
    const mjtNum* xmat = d->geom_xmat + 9 * g;
    const double half = m->geom_size[3 * g + 1];
    double distance[2];
    for (int end = 0; end < 2; ++end) {
      const double sign = end ? 1 : -1;
      double squared = 0;
      for (int k = 0; k < 3; ++k) {
        // The capsule's axis is its frame's z: the third column of geom_xmat.
        const double tip = d->geom_xpos[3 * g + k] + sign * half * xmat[3 * k + 2];
        squared += (tip - d->xpos[3 * b + k]) * (tip - d->xpos[3 * b + k]);
      }
      distance[end] = std::sqrt(squared);
    }
    out.push_back({std::min(distance[0], distance[1]), std::max(distance[0], distance[1]), m->geom_size[3 * g],
                   m->geom_rbound[g]});
  }
  return out;
}

TEST(GeomSizeScale, LongerLegsGrowOutwardFromTheFootsOrigin) {
  auto plain = make_env("Ant"), longer = make_env("Ant");
  longer->set_schedule(make_schedule("GeomSizeScale", Options::parse("geom=ankle_*_geom,dims=1,from=1.5,to=1.5")));
  plain->reset(7);
  longer->reset(7);  // the same initial state (the schedule draws nothing)
  const auto& m = mujoco(*longer);
  const mjModel* ref = m.reference_model();
  // The compiler placed each ankle capsule at its body's inertial frame
  // (geom_sameframe 2): a moved capsule must compute its own frame.
  for (int leg = 1; leg <= 4; ++leg) {
    const int g = mj_name2id(ref, mjOBJ_GEOM, ("ankle_" + std::to_string(leg) + "_geom").c_str());
    EXPECT_EQ(ref->geom_sameframe[g], 2);
    EXPECT_EQ(m.model()->geom_sameframe[g], 0);
  }
  const std::vector<Capsule> before = ankle_capsules(mujoco(*plain));
  const std::vector<Capsule> after = ankle_capsules(m);
  for (size_t leg = 0; leg < 4; ++leg) {
    SCOPED_TRACE("leg " + std::to_string(leg + 1));
    EXPECT_NEAR(before[leg].near, 0, 1e-9);
    EXPECT_NEAR(after[leg].near, 0, 1e-9);  // the end at the ankle stays there
    EXPECT_GT(before[leg].far, 0.5);
    EXPECT_NEAR(after[leg].far, 1.5 * before[leg].far, 1e-9);
    EXPECT_EQ(after[leg].radius, before[leg].radius);  // dims=1: only the half-length
    EXPECT_NEAR(after[leg].rbound, after[leg].radius + 1.5 * (before[leg].rbound - before[leg].radius), 1e-12);
  }
  // Mass and inertia are not this schedule's.
  for (int b = 0; b < ref->nbody; ++b) {
    EXPECT_EQ(m.model()->body_mass[b], ref->body_mass[b]);
    for (int k = 0; k < 3; ++k) EXPECT_EQ(m.model()->body_inertia[3 * b + k], ref->body_inertia[3 * b + k]);
  }
}

// Whether a contact involves geom g, at the env's current state.
bool touches(const MujocoEnv& env, int g) {
  const mjData* d = env.data();
  for (int c = 0; c < d->ncon; ++c)
    if (d->contact[c].geom1 == g || d->contact[c].geom2 == g) return true;
  return false;
}

// The Ant at rest with its torso at height z.
void place(Env& env, double z) {
  const mjModel* ref = mujoco(env).reference_model();
  std::vector<double> qpos(ref->qpos0, ref->qpos0 + ref->nq), qvel(ref->nv, 0.0);
  qpos[2] = z;
  dynamic_cast<MujocoEnv&>(env).set_state(qpos.data(), qvel.data());
}

TEST(GeomSizeScale, ABiggerTorsoCollidesEarlier) {
  auto plain = make_env("Ant"), big = make_env("Ant");
  big->set_schedule(make_schedule("GeomSizeScale", Options::parse("geom=torso_geom,from=2.5,to=2.5")));
  plain->reset(0);
  big->reset(0);
  const mjModel* ref = mujoco(*big).reference_model();
  const int torso = mj_name2id(ref, mjOBJ_GEOM, "torso_geom");
  EXPECT_EQ(mujoco(*big).model()->geom_size[3 * torso], 0.625);
  EXPECT_EQ(mujoco(*big).model()->geom_rbound[torso], 0.625);  // covers the new radius
  EXPECT_EQ(mujoco(*big).model()->geom_pos[3 * torso + 2], 0.0);  // at its body's origin: it just grows

  // Torso centre 0.55 above the floor (legs level): only the enlarged
  // sphere reaches it. MuJoCo skips a sphere-plane pair whose distance
  // exceeds rbound + margin, so this contact also checks the rbound.
  place(*plain, 0.55);
  place(*big, 0.55);
  EXPECT_FALSE(touches(mujoco(*plain), torso));
  EXPECT_TRUE(touches(mujoco(*big), torso));
  const mjData* d = mujoco(*big).data();
  for (int c = 0; c < d->ncon; ++c) {
    if (d->contact[c].geom1 == torso || d->contact[c].geom2 == torso) {
      EXPECT_NEAR(d->contact[c].dist, -0.075, 1e-9);
    }
  }

  // Dropped from 0.9 without control, the big torso meets the floor (the
  // plain one stays on its legs: at most its feet touch).
  auto first_torso_contact = [&](Env& env) {
    place(env, 0.9);
    const std::vector<float> idle(env.action_space().size(), 0.f);
    for (int step = 0; step < 100; ++step) {
      if (touches(mujoco(env), torso)) return step;
      if (env.step(idle).terminated) break;
    }
    return 1000;
  };
  const int big_step = first_torso_contact(*big);
  EXPECT_GT(big_step, 0);
  EXPECT_LT(big_step, 100);
  EXPECT_EQ(first_torso_contact(*plain), 1000);
}

TEST(GeomSizeScale, ANewChainRestoresTheReferenceModelBitExactly) {
  auto env = make_env("Ant");
  const std::shared_ptr<const DynamicsSchedule> parts[] = {
      make_schedule("GeomSizeScale", Options::parse("geom=*,from=1,to=0.7,episodes=2")),
      make_schedule("GeomSizeScale", Options::parse("geom=ankle_*_geom leg_*_geom,dims=1,from=1,to=1.3,episodes=2")),
  };
  env->set_schedule(std::make_shared<CompositeSchedule>(
      std::vector<std::shared_ptr<const DynamicsSchedule>>(std::begin(parts), std::end(parts))));
  env->reset(0);
  const auto& m = mujoco(*env);
  EXPECT_EQ(changed_bytes(m), 0u);  // factor 1: not even a rounding of a position
  env->reset(1);
  EXPECT_GT(changed_bytes(m), 0u);
  const mjModel* ref = m.reference_model();
  const int leg = mj_name2id(ref, mjOBJ_GEOM, "leg_2_geom");
  // Two schedules of one geom multiply, and its bound follows both.
  EXPECT_NEAR(m.model()->geom_size[3 * leg + 1], 0.7 * 1.3 * ref->geom_size[3 * leg + 1], 1e-15);
  EXPECT_NEAR(m.model()->geom_rbound[leg], 0.7 * (ref->geom_size[3 * leg] + 1.3 * ref->geom_size[3 * leg + 1]),
              1e-15);
  env->begin_task(Task("AnotherChain", {}));
  env->reset(0);
  EXPECT_EQ(changed_bytes(m), 0u);
  EXPECT_TRUE(m.model_edits().empty());
}

// Edits are per env: two envs of one reference model, stepped alternately on
// one thread's workspace, each keep their own body.
TEST(GeomSizeScale, EnvsSharingAModelAreUnaffectedByEachOthersSchedule) {
  auto big = make_env("Ant"), plain = make_env("Ant");
  ASSERT_EQ(mujoco(*big).reference_model(), mujoco(*plain).reference_model());
  big->set_schedule(make_schedule("GeomSizeScale", Options::parse("geom=torso_geom,from=2,to=2")));
  big->reset(0);
  plain->reset(0);
  const int torso = mj_name2id(mujoco(*big).reference_model(), mjOBJ_GEOM, "torso_geom");
  for (int round = 0; round < 2; ++round) {
    place(*big, 0.4);
    place(*plain, 0.4);
    EXPECT_EQ(changed_bytes(mujoco(*plain)), 0u);
    EXPECT_FALSE(touches(mujoco(*plain), torso));
    EXPECT_TRUE(touches(mujoco(*big), torso));
    EXPECT_EQ(mujoco(*big).model()->geom_size[3 * torso], 0.5);
    EXPECT_EQ(mujoco(*plain).model()->geom_size[3 * torso], 0.25);
    big->step(std::vector<float>(8, 0.3f));
    plain->step(std::vector<float>(8, 0.3f));
  }
}

// A checkpoint taken mid-episode under a schedule that changes the body at
// every step continues bit-exactly in a fresh env.
TEST(GeomSizeScale, ACheckpointMidEpisodeContinuesBitExactly) {
  const std::shared_ptr<const DynamicsSchedule> parts[] = {
      make_schedule("GeomSizeScale", Options::parse("geom=ankle_*_geom,dims=1,from=1,to=1.6,steps=30")),
      make_schedule("GeomSizeScale", Options::parse("geom=torso_geom,from=1,to=1.5,episodes=3")),
  };
  const auto schedule = std::make_shared<CompositeSchedule>(
      std::vector<std::shared_ptr<const DynamicsSchedule>>(std::begin(parts), std::end(parts)));
  auto saved = make_env("Ant"), loaded = make_env("Ant");
  saved->set_schedule(schedule);
  loaded->set_schedule(schedule);
  saved->reset(0);
  saved->reset(1);  // episode 1: the torso at 1.25
  std::vector<float> action(8);
  for (int step = 0; step < 10; ++step) {
    for (size_t a = 0; a < action.size(); ++a) action[a] = std::sin(0.3 * step + a);
    saved->step(action);
  }
  std::string state;
  saved->save_state(state);
  size_t offset = 0;
  loaded->load_state(state, offset);
  EXPECT_EQ(loaded->episode_index(), 1);
  for (int step = 10; step < 30; ++step) {
    for (size_t a = 0; a < action.size(); ++a) action[a] = std::sin(0.3 * step + a);
    const auto a = saved->step(action);
    const auto b = loaded->step(action);
    ASSERT_EQ(a.observation, b.observation) << "step " << step;
    ASSERT_EQ(a.reward, b.reward) << "step " << step;
    ASSERT_EQ(a.terminated, b.terminated);
    if (a.terminated) break;
  }
  const auto& edits_a = mujoco(*saved).model_edits();
  const auto& edits_b = mujoco(*loaded).model_edits();
  ASSERT_EQ(edits_a.size(), edits_b.size());
  EXPECT_GT(edits_a.size(), 0u);
  for (const ModelEdit& e : edits_a) EXPECT_EQ(mujoco(*loaded).model_value(e.array, e.index), e.value);
}

TEST(GeomSizeScale, DescribesItselfAndRefusesBadOptions) {
  EXPECT_EQ(make_schedule("GeomSizeScale", Options::parse("geom=ankle_*_geom,dims=1,to=1.5"))->describe(),
            "GeomSizeScale(geom=ankle_*_geom, dims=1, from=1, to=1.5, episodes=7)");
  EXPECT_EQ(make_schedule("GeomSizeScale", Options::parse("geom=torso_geom,steps=4"))->describe(),
            "GeomSizeScale(geom=torso_geom, dims=0 1 2, from=1, to=1, steps=4)");
  EXPECT_THROW(make_schedule("GeomSizeScale"), EnvError);  // geom is required
  EXPECT_THROW(make_schedule("GeomSizeScale", Options::parse("geom=*,dims=3")), EnvError);
  EXPECT_THROW(make_schedule("GeomSizeScale", Options::parse("geom=*,dims=")), EnvError);
  EXPECT_THROW(make_schedule("FrictionScale", Options::parse("geom=*,dims=1")), EnvError);  // not its option
  auto env = make_env("Ant");
  env->set_schedule(make_schedule("GeomSizeScale", Options::parse("geom=torso_geom,from=0,to=0")));
  EXPECT_EQ(error_of([&] { env->reset(0); }),
            "GeomSizeScale(geom=torso_geom, dims=0 1 2, from=0, to=0, episodes=7): env Ant: the factor of a geom's "
            "size must be positive, not 0");
}

}  // namespace
}  // namespace metarl
