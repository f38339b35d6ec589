// MuJoCo envs keep their state and model edits and step in their thread's
// shared model and data (envs/mujoco/mujoco_env.h). Nothing of one env may
// leak into another through that workspace, whatever the order of use.
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/mujoco/mujoco_env.h"

namespace metarl {
namespace {

const MujocoEnv& mujoco(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

// Three Ants with different physics: motors weakened, floor slippery, untouched.
std::vector<std::unique_ptr<Env>> three_ants() {
  std::vector<std::unique_ptr<Env>> envs;
  for (int k = 0; k < 3; ++k) envs.push_back(make_env("Ant"));
  envs[0]->set_schedule(make_schedule("ActuatorGearScale", Options::parse("actuator=*,from=0.3,to=0.3")));
  envs[1]->set_schedule(make_schedule("FrictionScale", Options::parse("geom=floor,from=0.2,to=0.2")));
  return envs;
}

std::vector<float> action_for(int env, int step) {
  std::vector<float> a(8);
  for (int j = 0; j < 8; ++j) a[size_t(j)] = float(((env * 7 + step * 3 + j * 5) % 11) / 5.0 - 1.0);
  return a;
}

constexpr int kSteps = 60;

// Each env's observations over kSteps steps from reset(100 + k): each env on
// a thread of its own (a workspace nothing else used), or all envs in turn on
// this thread.
std::vector<std::vector<float>> run(bool interleaved) {
  auto envs = three_ants();
  std::vector<std::vector<float>> trace(envs.size());
  auto step_env = [&](size_t k, int s) {
    const auto t = envs[k]->step(action_for(int(k), s));
    trace[k].insert(trace[k].end(), t.observation.begin(), t.observation.end());
  };
  for (size_t k = 0; k < envs.size(); ++k) trace[k] = envs[k]->reset(100 + k);
  if (interleaved) {
    for (int s = 0; s < kSteps; ++s)
      for (size_t k = 0; k < envs.size(); ++k) {
        step_env(k, s);
        (void)mujoco(*envs[(k + 1) % envs.size()]).data();  // another env's view in between
      }
  } else {
    for (size_t k = 0; k < envs.size(); ++k)
      std::thread([&] {
        for (int s = 0; s < kSteps; ++s) step_env(k, s);
      }).join();
  }
  return trace;
}

TEST(MujocoWorkspace, EnvsWithDifferentPhysicsSharingAThreadStepAsIfAlone) {
  const auto alone = run(false), interleaved = run(true);
  for (size_t k = 0; k < alone.size(); ++k) EXPECT_EQ(alone[k], interleaved[k]) << "env " << k;
  // The schedules matter: the three trajectories differ.
  EXPECT_NE(alone[0], alone[2]);
  EXPECT_NE(alone[1], alone[2]);
}

TEST(MujocoWorkspace, AnEnvMovedBetweenThreadsContinuesBitExactly) {
  auto on_one = three_ants(), moved = three_ants();
  on_one[0]->reset(7);
  moved[0]->reset(7);
  std::vector<float> last_one, last_moved;
  for (int s = 0; s < 30; ++s) {
    last_one = on_one[0]->step(action_for(0, s)).observation;
    // Steps 10-19 on another thread, whose workspace this thread's outdates.
    if (s >= 10 && s < 20) {
      std::thread([&] { last_moved = moved[0]->step(action_for(0, s)).observation; }).join();
    } else {
      last_moved = moved[0]->step(action_for(0, s)).observation;
    }
    ASSERT_EQ(last_one, last_moved) << "step " << s;
  }
}

TEST(MujocoWorkspace, DataAndModelShowTheAskingEnvAfterAnotherStepped) {
  auto envs = three_ants();
  const auto obs0 = envs[0]->reset(1);
  envs[2]->reset(2);
  const auto after0 = envs[0]->step(action_for(0, 0)).observation;
  envs[2]->step(action_for(2, 0));
  // Ant's observation starts with qpos[2:] (the root's z and orientation, then the joints).
  const mjData* d = mujoco(*envs[0]).data();
  for (int i = 2; i < 15; ++i) EXPECT_EQ(float(d->qpos[i]), after0[size_t(i - 2)]) << "qpos " << i;
  const double gear = mujoco(*envs[0]).reference_model()->actuator_gear[0];
  EXPECT_DOUBLE_EQ(mujoco(*envs[0]).model()->actuator_gear[0], 0.3 * gear);
  EXPECT_DOUBLE_EQ(mujoco(*envs[2]).model()->actuator_gear[0], gear);
  EXPECT_DOUBLE_EQ(mujoco(*envs[0]).model_value(ModelArray::kActuatorGear, 0), 0.3 * gear);
}

// The env against the loop it stands for: one private mjData, mj_step
// frame_skip times, then what LocomotionEnv computes after a step (contact
// forces; with com_in_obs, mj_kinematics and mj_comPos, which renormalise
// qpos's quaternions in place). Another env steps in between on this thread.
TEST(MujocoWorkspace, AnEnvStepsAsAPrivateMjDataWould) {
  auto env = make_env("Ant", Options::parse("com_in_obs=true,frame_skip=2"));
  auto other = make_env("Ant");
  const auto& m = mujoco(*env);
  env->reset(3);
  other->reset(4);
  const mjModel* ref = m.reference_model();
  mjData* d = mj_makeData(ref);
  const mjData* start = m.data();
  d->time = start->time;
  mju_copy(d->qpos, start->qpos, ref->nq);
  mju_copy(d->qvel, start->qvel, ref->nv);
  mju_copy(d->qacc_warmstart, start->qacc_warmstart, ref->nv);
  for (int s = 0; s < 50; ++s) {
    const auto action = action_for(0, s);
    const auto obs = env->step(action).observation;
    other->step(action_for(1, s));
    for (int j = 0; j < ref->nu; ++j) d->ctrl[j] = action[size_t(j)];
    for (int k = 0; k < 2; ++k) mj_step(ref, d);
    mj_rnePostConstraint(ref, d);
    mj_kinematics(ref, d);
    mj_comPos(ref, d);
    for (int i = 0; i < ref->nq; ++i) ASSERT_EQ(m.qpos()[i], d->qpos[i]) << "step " << s << " qpos " << i;
    // The observation ends with the torso's subtree centre of mass.
    for (int k = 0; k < 3; ++k) EXPECT_EQ(obs[obs.size() - 3 + size_t(k)], float(d->subtree_com[3 + k])) << "step " << s;
  }
  mj_deleteData(d);
}

TEST(MujocoWorkspace, SettingTheReferenceValueRemovesTheEdit) {
  auto env = make_env("HalfCheetah");
  auto& m = dynamic_cast<MujocoEnv&>(*env);
  const double gear = m.reference_model()->actuator_gear[6];
  m.set_model_value(ModelArray::kActuatorGear, 6, 2 * gear);
  ASSERT_EQ(m.model_edits().size(), 1u);
  EXPECT_EQ(m.model()->actuator_gear[6], 2 * gear);
  m.set_model_value(ModelArray::kActuatorGear, 6, gear);
  EXPECT_TRUE(m.model_edits().empty());
  EXPECT_EQ(m.model()->actuator_gear[6], gear);
}

}  // namespace
}  // namespace metarl
