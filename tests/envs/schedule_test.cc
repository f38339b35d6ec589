#include "envs/core/dynamics_schedule.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>

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

// A checkpoint restores the chain position, and loading it redoes the
// schedule's change to the model (a fresh env's model is the reference one).
TEST(ActuatorGearScale, LoadingAStateMidChainRedoesTheSchedulesChange) {
  std::shared_ptr<const DynamicsSchedule> schedule =
      make_schedule("ActuatorGearScale", Options::parse("actuator=0,from=1,to=0,episodes=5"));
  auto saved = make_env("HalfCheetah"), loaded = make_env("HalfCheetah");
  saved->set_schedule(schedule);
  loaded->set_schedule(schedule);
  for (int k = 0; k < 3; ++k) saved->reset(k);  // episode 2: factor 1/2
  saved->step(std::vector<float>(6, 0.5f));
  std::string state;
  saved->save_state(state);
  size_t offset = 0;
  loaded->load_state(state, offset);
  EXPECT_EQ(loaded->episode_index(), 2);
  EXPECT_EQ(mujoco(*loaded).model_value(ModelArray::kActuatorGear, 0),
            mujoco(*saved).model_value(ModelArray::kActuatorGear, 0));
  EXPECT_EQ(mujoco(*loaded).model()->actuator_gear[0], 0.5 * mujoco(*loaded).reference_model()->actuator_gear[0]);
  const std::vector<float> push(6, 1.0f);
  EXPECT_EQ(saved->step(push).observation, loaded->step(push).observation);
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
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const EnvError& e) {
    return e.what();
  }
  return "(no error)";
}

// A schedule of MuJoCo model numbers says so through its type: an env
// without a MuJoCo model refuses it when it is set, before anything runs.
TEST(MujocoSchedule, AnEnvWithoutAMujocoModelRefusesItWhenItIsSet) {
  auto nav = make_env("Navigation2D");
  const std::shared_ptr<const DynamicsSchedule> gear = make_schedule("ActuatorGearScale", Options::parse("actuator=0"));
  EXPECT_EQ(error_of([&] { nav->set_schedule(gear); }),
            "ActuatorGearScale: needs a MuJoCo env; Navigation2D is not one");
  EXPECT_EQ(error_of([&] { nav->set_task_schedule(gear); }),
            "ActuatorGearScale: needs a MuJoCo env; Navigation2D is not one");
  // A composite is refused for its first part the env cannot take.
  const auto both = std::make_shared<CompositeSchedule>(std::vector<std::shared_ptr<const DynamicsSchedule>>{
      make_schedule("GravityScale", Options::parse("to=2")), gear});
  EXPECT_EQ(error_of([&] { nav->set_schedule(both); }), "GravityScale: needs a MuJoCo env; Navigation2D is not one");
  EXPECT_EQ(nav->schedule(), nullptr);
  EXPECT_EQ(nav->task_schedule(), nullptr);
  nav->reset(0);  // the env is as it was
  auto cheetah = make_env("HalfCheetah");
  cheetah->set_schedule(both);
  EXPECT_EQ(cheetah->schedule(), both.get());
}

// Every other schedule of the family: the intended numbers, and nothing else.
TEST(ModelFieldScale, FrictionMassDampingAndGravityScaleTheirOwnFields) {
  struct Case {
    const char* schedule;
    const char* options;
    std::vector<const mjtNum*> (*fields)(const mjModel*);
  };
  const Case cases[] = {
      {"FrictionScale", "geom=floor,from=0.5,to=0.5",
       [](const mjModel* m) {
         const int g = mj_name2id(m, mjOBJ_GEOM, "floor");
         return std::vector<const mjtNum*>{m->geom_friction + 3 * g, m->geom_friction + 3 * g + 1,
                                           m->geom_friction + 3 * g + 2};
       }},
      {"BodyMassScale", "body=torso,from=0.5,to=0.5",
       [](const mjModel* m) {
         const int b = mj_name2id(m, mjOBJ_BODY, "torso");
         return std::vector<const mjtNum*>{m->body_mass + b, m->body_inertia + 3 * b, m->body_inertia + 3 * b + 1,
                                           m->body_inertia + 3 * b + 2};
       }},
      {"JointDampingScale", "joint=bthigh,from=0.5,to=0.5",
       [](const mjModel* m) {
         const int j = mj_name2id(m, mjOBJ_JOINT, "bthigh");
         return std::vector<const mjtNum*>{m->dof_damping + m->jnt_dofadr[j]};
       }},
      {"GravityScale", "from=0.5,to=0.5",
       [](const mjModel* m) {
         return std::vector<const mjtNum*>{m->opt.gravity, m->opt.gravity + 1, m->opt.gravity + 2};
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.schedule);
    auto env = make_env("HalfCheetah");
    env->set_schedule(make_schedule(c.schedule, Options::parse(c.options)));
    env->reset(0);
    const auto& m = mujoco(*env);
    const auto fields = c.fields(m.model());
    const auto reference = c.fields(m.reference_model());
    std::vector<size_t> expected;
    for (size_t k = 0; k < fields.size(); ++k) {
      EXPECT_DOUBLE_EQ(*fields[k], 0.5 * *reference[k]);
      if (*reference[k] == 0.0) continue;  // 0 * 0.5 changes no byte
      const auto* first = reinterpret_cast<const unsigned char*>(fields[k]);
      const auto* base = static_cast<const unsigned char*>(m.model()->buffer);
      for (size_t b = 0; b < sizeof(mjtNum); ++b) expected.push_back(size_t(first - base) + b);
    }
    // Gravity lives in mjModel.opt, outside the buffer: then no byte changes.
    if (std::string(c.schedule) == "GravityScale") expected.clear();
    for (size_t b : changed_bytes(m))
      EXPECT_NE(std::find(expected.begin(), expected.end(), b), expected.end()) << "byte " << b << " changed";
  }
}

// A free joint's damping is six numbers.
TEST(ModelFieldScale, FreeJointDampingCoversItsSixDofs) {
  auto env = make_env("Ant");
  env->set_schedule(make_schedule("JointDampingScale", Options::parse("joint=*,from=2,to=2")));
  env->reset(0);
  const auto& m = mujoco(*env);
  for (int dof = 0; dof < m.model()->nv; ++dof)
    EXPECT_DOUBLE_EQ(m.model()->dof_damping[dof], 2.0 * m.reference_model()->dof_damping[dof]) << "dof " << dof;
}

TEST(ModelFieldScale, StepsRampWithinEveryEpisode) {
  auto env = make_env("HalfCheetah");
  env->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=0,from=1,to=0,steps=5")));
  const auto& m = mujoco(*env);
  const double reference = m.reference_model()->actuator_gear[0];
  for (int episode = 0; episode < 2; ++episode) {
    env->reset(episode);
    EXPECT_DOUBLE_EQ(m.model()->actuator_gear[0], reference);  // step 0: factor 1 again
    for (int step = 0; step < 7; ++step) {
      env->step(std::vector<float>(6, 0.f));  // taken with the factor of its own index
      const double expected = reference * std::max(0.0, 1.0 - step / 4.0);
      EXPECT_NEAR(m.model()->actuator_gear[0], expected, 1e-12) << "episode " << episode << " step " << step;
    }
  }
}

TEST(ModelFieldScale, CompositeSchedulesOfOneFieldMultiplyAndANewChainRestores) {
  auto env = make_env("HalfCheetah");
  std::vector<std::shared_ptr<const DynamicsSchedule>> parts = {
      make_schedule("FrictionScale", Options::parse("geom=floor,from=1,to=0.5,episodes=2")),
      make_schedule("FrictionScale", Options::parse("geom=*,from=0.5,to=0.5")),
      make_schedule("GravityScale", Options::parse("from=1,to=2,episodes=2"))};
  env->set_schedule(std::make_shared<CompositeSchedule>(parts));
  const auto& m = mujoco(*env);
  const int floor = mj_name2id(m.model(), mjOBJ_GEOM, "floor");
  const double friction = m.reference_model()->geom_friction[3 * floor];
  const double gravity = m.reference_model()->opt.gravity[2];
  env->reset(0);
  EXPECT_DOUBLE_EQ(m.model()->geom_friction[3 * floor], 0.5 * friction);
  env->reset(1);
  EXPECT_DOUBLE_EQ(m.model()->geom_friction[3 * floor], 0.25 * friction);
  EXPECT_DOUBLE_EQ(m.model()->opt.gravity[2], 2.0 * gravity);
  EXPECT_DOUBLE_EQ(m.model()->geom_friction[3 * 1], 0.5 * m.reference_model()->geom_friction[3 * 1]);
  env->reset(2);  // past the ramps: stays at the end values, never compounds further
  EXPECT_DOUBLE_EQ(m.model()->geom_friction[3 * floor], 0.25 * friction);
  env->set_schedule(nullptr);
  env->set_schedule(std::make_shared<CompositeSchedule>(parts));
  make_task_family("HalfCheetahVel")->apply(*env, Task("HalfCheetahVel", {{"velocity", 1.0}}));
  env->reset(0);  // a new chain: episode 0 again
  EXPECT_DOUBLE_EQ(m.model()->geom_friction[3 * floor], 0.5 * friction);
  EXPECT_DOUBLE_EQ(m.model()->opt.gravity[2], gravity);
}

// The task picks the objects: a crippled pair of legs named by the task.
TEST(ModelFieldScale, TaskKeysNameTheTargets) {
  auto env = make_env("Bug");
  env->set_schedule(make_schedule(
      "ActuatorGearScale", Options::parse("actuator=hip_{leg_a} ankle_{leg_a} hip_{leg_b} ankle_{leg_b},from=0.25,to=0.25")));
  env->begin_task(Task("BugLegs", {{"leg_a", 2}, {"leg_b", 5}}));
  env->reset(0);
  const auto& m = mujoco(*env);
  for (int a = 0; a < m.model()->nu; ++a) {
    const std::string actuator = mj_id2name(m.model(), mjOBJ_ACTUATOR, a);
    const bool crippled = actuator == "hip_2" || actuator == "ankle_2" || actuator == "hip_5" || actuator == "ankle_5";
    EXPECT_DOUBLE_EQ(m.model()->actuator_gear[6 * a], crippled ? 0.25 * 150 : 150) << actuator;
  }
  env->begin_task(Task("BugLegs", {{"leg_a", 2}}));
  EXPECT_THROW(env->reset(0), EnvError);  // no leg_b in the task
}

TEST(ModelFieldScale, BadConfigurationIsAnError) {
  EXPECT_THROW(make_schedule("FrictionScale"), EnvError);  // geom is required
  EXPECT_THROW(make_schedule("GravityScale", Options::parse("from=heavy")), EnvError);
  EXPECT_THROW(make_schedule("BodyMassScale", Options::parse("body=*,steps=-1")), EnvError);
  EXPECT_THROW(make_schedule("GravityScale", Options::parse("geom=floor")), EnvError);  // unused option
  auto env = make_env("HalfCheetah");
  env->set_schedule(make_schedule("JointDampingScale", Options::parse("joint=elbow")));
  EXPECT_THROW(env->reset(0), EnvError);
}

// A pinned chain position replays one episode's physics at every reset.
TEST(ModelFieldScale, APinnedEpisodeIndexHoldsTheChainAtOnePosition) {
  auto env = make_env("HalfCheetah");
  env->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=0,from=1,to=0,episodes=7")));
  const auto& m = mujoco(*env);
  const double reference = m.reference_model()->actuator_gear[0];
  env->pin_episode_index(3);
  for (int k = 0; k < 4; ++k) {
    env->reset(k);
    EXPECT_EQ(env->episode_index(), 3);
    EXPECT_DOUBLE_EQ(m.model()->actuator_gear[0], reference * 0.5);
  }
  env->pin_episode_index(-1);
  env->reset(0);
  EXPECT_EQ(env->episode_index(), 4);
  EXPECT_THROW(env->pin_episode_index(-2), EnvError);
}

}  // namespace
}  // namespace metarl
