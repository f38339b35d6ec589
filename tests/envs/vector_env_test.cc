#include "envs/vector_env.h"

#include <cstring>

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "tests/support/vector_env_trace.h"

namespace metarl {
namespace {

using Trace = VectorEnvTrace;

// Runs `steps` random steps with per-env tasks of `family`; actions come from
// one Rng in the calling thread so they do not depend on the thread count.
Trace run(const std::string& env, const std::string& family, int num_envs, int threads, int steps,
          const Options& options) {
  VectorEnv venv(env, num_envs, threads, options);
  venv.seed(2024);
  const auto fam = make_task_family(family);
  Rng task_rng(5);
  venv.set_tasks(*fam, fam->sample(num_envs, task_rng));
  venv.reset();
  Trace trace;
  trace.record(venv);
  Rng rng(99);
  std::vector<float> actions(size_t(num_envs) * venv.act_dim());
  for (int s = 0; s < steps; ++s) {
    for (float& a : actions) a = float(rng.uniform(-1, 1));
    venv.step(actions);
    trace.record(venv);
  }
  return trace;
}

void expect_bit_identical(const Trace& a, const Trace& b) { EXPECT_TRUE(a == b); }

TEST(VectorEnv, BitIdenticalAcrossThreadCountsHalfCheetah) {
  // Short horizon so auto-resets happen inside the run.
  const Options o = Options::parse("max_episode_steps=40");
  const Trace one = run("HalfCheetah", "HalfCheetahVel", 6, 1, 100, o);
  expect_bit_identical(one, run("HalfCheetah", "HalfCheetahVel", 6, 2, 100, o));
  expect_bit_identical(one, run("HalfCheetah", "HalfCheetahVel", 6, 4, 100, o));
}

TEST(VectorEnv, BitIdenticalAcrossThreadCountsAnt) {
  // Random Ants jump out of the healthy range, so terminations and resets occur.
  const Trace one = run("Ant", "AntGoal", 5, 1, 80, {});
  int terminations = 0;
  for (size_t k = 0; k < one.flags.size() / 2; ++k) terminations += one.flags[k];
  EXPECT_GT(terminations, 0);
  expect_bit_identical(one, run("Ant", "AntGoal", 5, 2, 80, {}));
  expect_bit_identical(one, run("Ant", "AntGoal", 5, 4, 80, {}));
}

TEST(VectorEnv, EnvIUsesTheSeedDerivedFromSeedAndIndex) {
  VectorEnv venv("HalfCheetah", 3, 2);
  venv.seed(77);
  venv.reset();
  for (int i = 0; i < 3; ++i) {
    auto alone = make_env("HalfCheetah");
    const auto obs = alone->reset(derive_seed(77, i));
    EXPECT_EQ(obs, std::vector<float>(venv.observations() + i * 17, venv.observations() + (i + 1) * 17));
  }
  EXPECT_NE(std::memcmp(venv.observations(), venv.observations() + 17, 17 * sizeof(float)), 0);
}

TEST(VectorEnv, AutoResetKeepsFinalObservationReturnAndLength) {
  // Navigation2D is deterministic: goal (0.5, 0), steps of +0.1 in x.
  VectorEnv venv("Navigation2D", 2, 2, Options::parse("max_episode_steps=4"));
  const auto family = make_task_family("Navigation2D");
  venv.set_task(0, *family, Task("Navigation2D", {{"goal_x", 0.5}, {"goal_y", 0.0}}));
  venv.set_task(1, *family, Task("Navigation2D", {{"goal_x", 0.2}, {"goal_y", 0.0}}));
  venv.reset();
  const std::vector<float> right = {0.1f, 0.f, 0.1f, 0.f};
  double expected_return0 = 0.0;
  for (int k = 1; k <= 4; ++k) {
    venv.step(right);
    expected_return0 += -std::abs(0.1 * k - 0.5);
    if (k == 2) {
      // env 1 reached its goal at 0.2: terminated, final obs kept, reset to the origin.
      EXPECT_TRUE(venv.terminated()[1]);
      EXPECT_FALSE(venv.truncated()[1]);
      EXPECT_NEAR(venv.final_observations()[2], 0.2f, 1e-6);
      EXPECT_EQ(venv.observations()[2], 0.f);
      EXPECT_EQ(venv.episode_lengths()[1], 2);
      EXPECT_NEAR(venv.episode_returns()[1], -0.1f, 1e-6);
      EXPECT_EQ(venv.env(1).episode_index(), 1);
    }
    if (k < 4) {
      EXPECT_FALSE(venv.done(0));
    }
  }
  // env 0 hit the time limit at step 4 without reaching its goal.
  EXPECT_TRUE(venv.truncated()[0]);
  EXPECT_FALSE(venv.terminated()[0]);
  EXPECT_NEAR(venv.rewards()[0], -0.1f, 1e-6);  // the reward of the step that ended it
  EXPECT_NEAR(venv.final_observations()[0], 0.4f, 1e-6);
  EXPECT_EQ(venv.observations()[0], 0.f);
  EXPECT_EQ(venv.episode_lengths()[0], 4);
  EXPECT_NEAR(venv.episode_returns()[0], expected_return0, 1e-5);
  EXPECT_EQ(venv.total_steps(), 8);
}

TEST(VectorEnv, TheStateObserverSeesEachResetAndEachStepsStateBeforeTheAutoReset) {
  // env 1 reaches its goal at 0.2 in two steps of +0.1 and restarts at the origin.
  VectorEnv venv("Navigation2D", 2, 2, Options::parse("max_episode_steps=4"));
  const auto family = make_task_family("Navigation2D");
  venv.set_task(0, *family, Task("Navigation2D", {{"goal_x", 0.5}, {"goal_y", 0.0}}));
  venv.set_task(1, *family, Task("Navigation2D", {{"goal_x", 0.2}, {"goal_y", 0.0}}));
  std::vector<std::vector<int>> steps_seen(2);  // each env's elapsed_steps at each call
  venv.set_state_observer([&](int i, const Env& env) { steps_seen[size_t(i)].push_back(env.elapsed_steps()); });
  venv.reset();
  const std::vector<float> right = {0.1f, 0.f, 0.1f, 0.f};
  for (int k = 0; k < 3; ++k) venv.step(right);
  EXPECT_EQ(steps_seen[0], (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(steps_seen[1], (std::vector<int>{0, 1, 2, 0, 1}));  // step 2 ended its episode: seen, then the reset
  venv.set_state_observer({});
  venv.step(right);
  EXPECT_EQ(steps_seen[0].size(), 4u);
}

TEST(VectorEnv, EachEnvCarriesItsOwnTask) {
  VectorEnv venv("HalfCheetah", 2, 2);
  const auto family = make_task_family("HalfCheetahDir");
  venv.set_tasks(*family, {Task("HalfCheetahDir", {{"direction", 1.0}}), Task("HalfCheetahDir", {{"direction", -1.0}})});
  venv.seed(3);
  venv.reset();
  // Same seed stream offsets differ, so compare each env's reward with its own velocity.
  venv.step(std::vector<float>(12, 0.3f));
  for (int i = 0; i < 2; ++i) {
    const double v = venv.infos()[i * venv.info_dim() + 0];
    const double ctrl = venv.infos()[i * venv.info_dim() + 4];
    EXPECT_NEAR(venv.rewards()[i], (i == 0 ? 1 : -1) * v - 0.05 * ctrl, 1e-4);
  }
  EXPECT_EQ(venv.env(1).task()->get("direction"), -1.0);
}

TEST(VectorEnv, RejectsMismatchedInputs) {
  EXPECT_THROW(VectorEnv("HalfCheetah", 0, 1), EnvError);
  EXPECT_THROW(VectorEnv("HalfCheetah", 2, 0), EnvError);
  VectorEnv venv("HalfCheetah", 2, 1);
  EXPECT_THROW(venv.step(std::vector<float>(12, 0.f)), EnvError);  // before reset
  const auto family = make_task_family("HalfCheetahVel");
  EXPECT_THROW(venv.set_tasks(*family, {Task("HalfCheetahVel", {{"velocity", 1.0}})}), EnvError);
  std::vector<std::unique_ptr<Env>> mixed;
  mixed.push_back(make_env("HalfCheetah"));
  mixed.push_back(make_env("Ant"));
  EXPECT_THROW(VectorEnv(std::move(mixed), 1), EnvError);
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

// Every registered env, saved after every step of a run that crosses
// auto-resets and contacts, continues as the uninterrupted run did: the
// restored physics must be exactly what the next steps read (the constraint
// solver's warm start and the quaternions in qpos included: a change in their
// last bits grows into different episodes).
TEST(VectorEnv, StateOfAnotherShapeIsRejected) {
  VectorEnv a("HalfCheetah", 2, 1);
  VectorEnv b("HalfCheetah", 3, 1);
  EXPECT_THROW(b.load_state(a.save_state()), EnvError);
  EXPECT_THROW(a.load_state(a.save_state().substr(0, 40)), EnvError);
}

}  // namespace
}  // namespace metarl
