// learning_to_adapt's pier: the blocks where half_cheetah_blocks.xml puts
// them, the cheetah carried by them, and each task's damping in its env alone.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/mujoco/locomotion_env.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

LocomotionEnv& locomotion(Env& env) { return dynamic_cast<LocomotionEnv&>(env); }

// half_cheetah_blocks.xml's blocks: centre x and half-length.
const double kX[8] = {-8, 0, 4, 8, 12, 16, 20, 42};
const double kHalfLength[8] = {5.999, 1.999, 1.999, 1.999, 1.999, 1.999, 1.999, 19.999};

int block_dof(const mjModel* m, int k) {
  return m->jnt_dofadr[mj_name2id(m, mjOBJ_JOINT, ("blockz_" + std::to_string(k)).c_str())];
}

Task damping_task(double first, double step) {
  std::vector<Task::Param> params;
  for (int k = 0; k < 8; ++k) params.emplace_back("damping" + std::to_string(k), first + step * k);
  return Task("HalfCheetahPierDamping", params);
}

TEST(Pier, TheBlocksAreTheOriginals) {
  auto env = make_env("HalfCheetahPier");
  const mjModel* m = locomotion(*env).reference_model();
  ASSERT_EQ(m->nq, 17);
  ASSERT_EQ(env->obs_dim(), 20);
  EXPECT_EQ(m->opt.timestep, 0.01);
  EXPECT_EQ(std::string(mj_id2name(m, mjOBJ_JOINT, 0)), "rootx") << "the cheetah's joints come first";
  for (int k = 0; k < 8; ++k) {
    const std::string name = "block_" + std::to_string(k);
    const int body = mj_name2id(m, mjOBJ_BODY, name.c_str());
    const int geom = mj_name2id(m, mjOBJ_GEOM, name.c_str());
    const int joint = mj_name2id(m, mjOBJ_JOINT, ("blockz_" + std::to_string(k)).c_str());
    ASSERT_GE(body, 0);
    ASSERT_GE(geom, 0);
    ASSERT_GE(joint, 0);
    EXPECT_EQ(m->body_parentid[body], 0);
    EXPECT_EQ(m->body_pos[3 * body], kX[k]);
    EXPECT_EQ(m->body_pos[3 * body + 1], 0.0);
    EXPECT_EQ(m->body_pos[3 * body + 2], 0.05);
    EXPECT_EQ(m->geom_type[geom], mjGEOM_BOX);
    EXPECT_EQ(m->geom_size[3 * geom], kHalfLength[k]);
    EXPECT_EQ(m->geom_size[3 * geom + 1], 0.99);
    EXPECT_EQ(m->geom_size[3 * geom + 2], 0.05);
    EXPECT_EQ(m->geom_contype[geom], 1);
    EXPECT_EQ(m->geom_conaffinity[geom], 1);
    EXPECT_EQ(m->jnt_type[joint], mjJNT_SLIDE);
    EXPECT_EQ(m->jnt_axis[3 * joint + 2], 1.0);
    EXPECT_TRUE(m->jnt_limited[joint]);
    EXPECT_EQ(m->jnt_range[2 * joint], -0.15);
    EXPECT_EQ(m->jnt_range[2 * joint + 1], 0.15);
    EXPECT_EQ(m->jnt_stiffness[joint], 150.0);
    EXPECT_EQ(m->qpos_spring[m->jnt_qposadr[joint]], 0.0);
    EXPECT_EQ(m->dof_armature[m->jnt_dofadr[joint]], 0.1) << "the cheetah file's joint default, as theirs";
    // settotalmass=14 scales the blocks' declared 10 kg with the cheetah
    // (the original's model compiles to these masses too).
    EXPECT_NEAR(m->body_mass[body], 1.38362, 1e-5) << name;
  }
  // Neighbours 0.002 m apart, from x = -14 to 62.
  for (int k = 0; k + 1 < 8; ++k) EXPECT_NEAR(kX[k + 1] - kHalfLength[k + 1] - (kX[k] + kHalfLength[k]), 0.002, 1e-9);
  const int floor = mj_name2id(m, mjOBJ_GEOM, "floor");
  EXPECT_EQ(m->geom_pos[3 * floor + 2], -0.1);
  EXPECT_EQ(m->geom_contype[floor], 0);
  EXPECT_EQ(m->geom_conaffinity[floor], 0);

  // The cheetah keeps its shape, scaled to the mass the blocks leave of 14 kg.
  auto plain = make_env("HalfCheetah");
  const mjModel* p = locomotion(*plain).reference_model();
  double total = 0;
  for (int b = 0; b < m->nbody; ++b) total += m->body_mass[b];
  EXPECT_NEAR(total, 14.0, 1e-9);
  const double ratio = (14.0 - 8 * m->body_mass[mj_name2id(m, mjOBJ_BODY, "block_0")]) / 14.0;
  for (int b = 1; b < p->nbody; ++b) {
    const char* name = mj_id2name(p, mjOBJ_BODY, b);
    EXPECT_NEAR(m->body_mass[mj_name2id(m, mjOBJ_BODY, name)], ratio * p->body_mass[b], 1e-9) << name;
  }
}

// The observation is the original's: the cheetah's qpos without x, its
// qvel and its torso's centre of mass; the blocks are not observed.
TEST(Pier, TheObservationIsTheCheetahsAlone) {
  auto env = make_env("HalfCheetahPier");
  env->reset(3);
  std::vector<float> obs;
  for (int step = 0; step < 20; ++step) obs = env->step(std::vector<float>(6, 0.3f)).observation;
  const mjData* d = locomotion(*env).data();
  const int torso = mj_name2id(locomotion(*env).model(), mjOBJ_BODY, "torso");
  for (int i = 1; i < 9; ++i) EXPECT_EQ(obs[size_t(i - 1)], float(d->qpos[i])) << "qpos " << i;
  for (int i = 0; i < 9; ++i) EXPECT_EQ(obs[size_t(8 + i)], float(d->qvel[i])) << "qvel " << i;
  for (int k = 0; k < 3; ++k) EXPECT_EQ(obs[size_t(17 + k)], float(d->subtree_com[3 * torso + k]));
}

// Under random running the blocks move within their range (the limit is
// soft, solimplimit "0 0.8 0.03": the cheetah's landings push a block a few
// centimetres past it), and the cheetah touches only the blocks, on their
// top faces, never the plane below them. Standing still, it rests on them.
TEST(Pier, TheCheetahRunsOnTheBlocksWhichSlideWithinTheirRange) {
  auto env = make_env("HalfCheetahPier");
  make_task_family("HalfCheetahPierDamping")->apply(*env, damping_task(0.5, 1.0));
  auto& pier = locomotion(*env);
  env->reset(7);
  Rng rng(1);
  int block_contacts = 0;
  double lowest = 0;
  for (int step = 0; step < 200; ++step) {
    std::vector<float> action(6);
    for (float& a : action) a = float(rng.uniform(-1, 1));
    env->step(action);
    const mjModel* m = pier.model();
    const mjData* d = pier.data();
    for (int k = 0; k < 8; ++k) {
      const double z = d->qpos[m->jnt_qposadr[mj_name2id(m, mjOBJ_JOINT, ("blockz_" + std::to_string(k)).c_str())]];
      ASSERT_GE(z, -0.15 - 0.05) << "block " << k << " at step " << step;
      ASSERT_LE(z, 0.15) << "block " << k << " at step " << step;
      lowest = std::min(lowest, z);
    }
    for (int i = 0; i < d->ncon; ++i) {
      const mjContact& c = d->contact[i];
      const std::string a = mj_id2name(m, mjOBJ_GEOM, c.geom1), b = mj_id2name(m, mjOBJ_GEOM, c.geom2);
      const bool a_block = a.rfind("block_", 0) == 0, b_block = b.rfind("block_", 0) == 0;
      ASSERT_NE(a_block, b_block) << "a contact of " << a << " and " << b << " at step " << step;
      ASSERT_NE(a, "floor");
      ASSERT_NE(b, "floor");
      // The block's top face: its body at 0.05 plus its slide, plus its
      // half-height. Contacts are found at the start of the last physics
      // step: a block sinking under a landing has moved since, by v dt.
      const int block = a_block ? c.geom1 : c.geom2;
      const double top = d->xpos[3 * m->geom_bodyid[block] + 2] + 0.05;
      EXPECT_NEAR(c.pos[2], top, 0.04) << "step " << step;
      ++block_contacts;
    }
  }
  EXPECT_GT(block_contacts, 20);
  EXPECT_LT(lowest, -0.05) << "the blocks sink under their weight and the cheetah's";

  env->reset(8);
  for (int step = 0; step < 100; ++step) {
    env->step(std::vector<float>(6, 0.0f));
    if (step >= 50) {
      ASSERT_GT(pier.data()->ncon, 0) << "resting on the blocks at step " << step;
    }
  }
  EXPECT_GT(pier.data()->xpos[3 * 1 + 2], 0.3) << "the torso stands above the blocks";
}

// Two envs of one VectorEnv with different tasks: each block's damping is
// its env's task's, an env without a task keeps the declared 1, and the
// envs' physics never mix (the env without a task steps exactly as it does
// alone).
TEST(Pier, EachTasksDampingIsItsEnvsAlone) {
  VectorEnv mixed("HalfCheetahPier", 3, 1);
  mixed.seed(11);
  const auto family = make_task_family("HalfCheetahPierDamping");
  family->apply(mixed.env(0), damping_task(0.25, 1.0));
  family->apply(mixed.env(2), damping_task(9.5, -1.25));
  VectorEnv alone("HalfCheetahPier", 2, 1);  // its env 1 draws as mixed's env 1
  alone.seed(11);
  mixed.reset();
  alone.reset();
  for (int i : {0, 2, 1, 0, 1, 2}) {
    const mjModel* m = locomotion(mixed.env(i)).model();
    for (int k = 0; k < 8; ++k) {
      const double expected = i == 0 ? 0.25 + k : i == 2 ? 9.5 - 1.25 * k : 1.0;
      EXPECT_EQ(m->dof_damping[block_dof(m, k)], expected) << "env " << i << " block " << k;
    }
    for (int dof = 0; dof < 9; ++dof)
      EXPECT_EQ(m->dof_damping[dof], locomotion(alone.env(0)).reference_model()->dof_damping[dof]) << "cheetah dof";
  }
  Rng rng(2);
  std::vector<float> actions(3 * 6);
  for (int step = 0; step < 100; ++step) {
    for (float& a : actions) a = float(rng.uniform(-1, 1));
    mixed.step(actions);
    alone.step(std::vector<float>(actions.begin(), actions.begin() + 12));
    const int n = mixed.obs_dim();
    for (int k = 0; k < n; ++k)
      ASSERT_EQ(mixed.observations()[size_t(n + k)], alone.observations()[size_t(n + k)]) << "step " << step;
  }
  // The damping changed env 0's course: its twin in `alone` had the declared 1.
  bool damping_mattered = false;
  for (int k = 0; k < mixed.obs_dim(); ++k) damping_mattered |= mixed.observations()[size_t(k)] != alone.observations()[size_t(k)];
  EXPECT_TRUE(damping_mattered);
}

TEST(Pier, TasksDrawEveryBlocksDampingFromTheRange) {
  Rng rng(4);
  const auto tasks = make_task_family("HalfCheetahPierDamping")->sample(300, rng);
  double lowest = 10, highest = 0;
  for (const Task& t : tasks) {
    ASSERT_EQ(t.params().size(), 8u);
    for (int k = 0; k < 8; ++k) {
      const double d = t.get("damping" + std::to_string(k));
      ASSERT_GE(d, 0.0);
      ASSERT_LT(d, 10.0);
      lowest = std::min(lowest, d);
      highest = std::max(highest, d);
    }
    EXPECT_NE(t.get("damping0"), t.get("damping1")) << "each block draws its own";
    EXPECT_EQ(Task::parse(t.to_string()), t);
  }
  EXPECT_LT(lowest, 0.1);
  EXPECT_GT(highest, 9.9);
  Rng narrow_rng(4);
  for (const Task& t : make_task_family("HalfCheetahPierDamping", Options::parse("low=2,high=3"))->sample(50, narrow_rng))
    for (const auto& [key, d] : t.params()) ASSERT_TRUE(d >= 2 && d < 3) << key << "=" << d;

  EXPECT_THROW(make_task_family("HalfCheetahPierDamping", Options::parse("low=5,high=1")), EnvError);
  EXPECT_THROW(make_task_family("HalfCheetahPierDamping", Options::parse("low=-1")), EnvError);
  auto env = make_env("HalfCheetahPier");
  EXPECT_THROW(make_task_family("HalfCheetahPierDamping")->apply(*env, damping_task(-1.0, 0.5)), EnvError);
  EXPECT_THROW(make_task_family("HalfCheetahPierDamping")->apply(*env, Task("HalfCheetahPierDamping", {{"damping0", 1}})),
               EnvError);
}

}  // namespace
}  // namespace metarl
