// `metarl run` over two processes on 127.0.0.1 (--world-size 2): the same
// training as one process, resumable, and one-line errors for a rank that
// goes away or runs another configuration.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "experiments/io.h"
#include "experiments/run.h"
#include "tests/experiments/run_outputs.h"
#include "tests/support/ranks.h"

#ifndef METARL_SOURCE_DIR
#error "METARL_SOURCE_DIR must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace metarl {
namespace {

using metarl::testing::Ranks;

// MAML-TRPO on 2D navigation, 5 tasks (3 on rank 0, 2 on rank 1) of 2
// episodes of 20 steps, checkpointed every iteration; TRPO's damping 0.1, a
// metric well enough conditioned for rounding to stay small.
RunOptions nav2d_maml(const fs::path& out, int iterations) {
  RunOptions o;
  o.experiment_path = (fs::path(METARL_SOURCE_DIR) / "experiments/maml/nav2d.yaml").string();
  o.overrides = {"threads=1", "env.options.max_episode_steps=20", "algorithm.tasks_per_batch=5",
                 "algorithm.episodes_per_task=2", "training.checkpoint_every=1", "algorithm.cg_damping=0.1"};
  o.out_dir = out.string();
  o.max_iterations = iterations;
  return o;
}

// PPO on HalfCheetah, 5 envs (3 on rank 0, 2 on rank 1) of 20-step
// episodes, 120 steps per iteration in 4 minibatches over 2 epochs,
// checkpointed every iteration.
RunOptions halfcheetah_ppo(const fs::path& out, int iterations) {
  RunOptions o;
  o.experiment_path = (fs::path(METARL_SOURCE_DIR) / "experiments/ppo/halfcheetah.yaml").string();
  o.overrides = {"threads=1",
                 "env.num_envs=5",
                 "env.options.max_episode_steps=20",
                 "algorithm.steps_per_iteration=120",
                 "algorithm.minibatches=4",
                 "algorithm.epochs=2",
                 "training.checkpoint_every=1"};
  o.out_dir = out.string();
  o.max_iterations = iterations;
  return o;
}

fs::path test_dir() {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return fs::path(::testing::TempDir()) / "metarl_distributed_test" / test->name();
}

// Rank 0 clears the directory before rank 1 can write into it: rank 1 only
// writes after joining, and rank 0 joins after this.
fs::path fresh_test_dir(const Ranks& ranks) {
  const fs::path dir = test_dir();
  if (!ranks.is_child()) fs::remove_all(dir);
  return dir;
}

TEST(DistributedRun, TwoProcessesTrainAsOneToFloatRounding) {
  Ranks ranks(2);
  const fs::path dir = fresh_test_dir(ranks);
  RunOptions two = nav2d_maml(dir / "two", 2);
  two.distributed = ranks.config();
  run_experiment(two);
  if (ranks.is_child()) return;
  ranks.join();
  run_experiment(nav2d_maml(dir / "one", 2));

  // The same tasks, action noise and env seeds, so the first iteration's
  // episodes are the same to the bit. Only the order of the sums over
  // tasks differs (each process sums its own, then the two sums are added):
  // float32 rounding, which the conjugate-gradient solve amplifies by the
  // metric's conditioning (at damping 0.1 the first direction agreed to
  // 8e-7, its step's loss and KL to 5e-5; at the file's 1e-5, to 4e-5 and
  // 1 %). The second iteration acts with parameters that differ by that
  // much (measured: returns 2e-6, KL 4e-4 apart).
  const auto column = [&](const char* run, const std::string& name) { return metrics_column(dir / run, name); };
  for (const std::string name : {"env_steps", "backtracks", "step_accepted"})
    EXPECT_EQ(column("two", name), column("one", name)) << name;
  for (const std::string name : {"mean_return", "return_before_adaptation"})
    EXPECT_EQ(column("two", name)[0], column("one", name)[0]) << name;
  for (const std::string name : {"mean_return", "return_before_adaptation", "outer_loss_after", "kl", "inner_kl",
                                 "inner_log_std_change"}) {
    const auto a = column("two", name), b = column("one", name);
    ASSERT_EQ(a.size(), 2u) << name;
    for (size_t i = 0; i < 2; ++i)
      EXPECT_NEAR(a[i], b[i], (i == 0 ? 1e-4 : 2e-3) * std::abs(b[i])) << name << " at iteration " << i + 1;
  }
  // Rank 0 wrote the outputs; rank 1 its checkpoint only.
  EXPECT_TRUE(fs::exists(dir / "two" / "checkpoints" / "latest.rank1.pt"));
  EXPECT_TRUE(fs::exists(dir / "two" / "plots" / "learning_curve.png"));
  EXPECT_NE(read_file((dir / "two" / "config.yaml").string()).find("world_size: 2"), std::string::npos);
}

TEST(DistributedRun, ARankThatGoesAwayIsAnErrorAndTheRunResumesExactly) {
  Ranks ranks(2, /*timeout_seconds=*/20, /*started=*/-1, /*groups=*/3);
  const fs::path dir = fresh_test_dir(ranks);
  constexpr int kIterations = 3;
  RunOptions straight = nav2d_maml(dir / "straight", kIterations);
  straight.distributed = ranks.config(0);
  run_experiment(straight);

  // Rank 1 stops after one iteration (its processes' connections close);
  // rank 0 goes on and finds it gone at the next exchange.
  RunOptions split = nav2d_maml(dir / "split", ranks.is_child() ? 1 : kIterations);
  split.distributed = ranks.config(1);
  if (ranks.is_child()) {
    run_experiment(split);
  } else {
    const auto start = std::chrono::steady_clock::now();
    try {
      run_experiment(split);
      ADD_FAILURE() << "rank 0 trained on without rank 1";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.rfind("distributed: rank 0 of 2, ", 0), 0u) << what;
      EXPECT_NE(what.find("resume every rank from the last checkpoint"), std::string::npos) << what;
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 20 + 10);
  }

  // Both resume from their checkpoints of iteration 1 (rank 0 had begun
  // its second iteration, not checkpointed it) and finish as the straight run.
  split.max_iterations = kIterations - 1;
  split.distributed = ranks.config(2);
  run_experiment(split);
  if (ranks.is_child()) return;
  ranks.join();
  EXPECT_EQ(deterministic_rows(dir / "split"), deterministic_rows(dir / "straight"));
  for (const std::string file : {"latest.pt", "latest.rank1.pt"})
    EXPECT_TRUE(read_file((dir / "split" / "checkpoints" / file).string()) ==
                read_file((dir / "straight" / "checkpoints" / file).string()))
        << file << " differs";
}

TEST(DistributedRun, RanksWithDifferentConfigurationsAreRefused) {
  Ranks ranks(2);
  const fs::path dir = fresh_test_dir(ranks);
  RunOptions o = nav2d_maml(dir / "run", 1);
  o.distributed = ranks.config();
  if (ranks.is_child()) o.overrides.push_back("algorithm.inner_lr=0.2");
  try {
    run_experiment(o);
    ADD_FAILURE() << "rank " << ranks.rank() << " trained";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("distributed: rank 1's configuration differs from rank 0's at line"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "run" / "metrics.csv"));
  if (!ranks.is_child()) ranks.join();
}

TEST(DistributedRun, PpoOverTwoProcessesTrainsAsOneToFloatRoundingAndResumesExactly) {
  Ranks ranks(2, /*timeout_seconds=*/20, /*started=*/-1, /*groups=*/3);
  const fs::path dir = fresh_test_dir(ranks);
  constexpr int kIterations = 3;
  RunOptions two = halfcheetah_ppo(dir / "two", kIterations);
  two.distributed = ranks.config(0);
  run_experiment(two);
  // The same run stopped after one iteration and resumed on both ranks.
  RunOptions split = halfcheetah_ppo(dir / "split", 1);
  split.distributed = ranks.config(1);
  run_experiment(split);
  split.max_iterations = kIterations - 1;
  split.distributed = ranks.config(2);
  run_experiment(split);
  if (ranks.is_child()) return;
  ranks.join();
  run_experiment(halfcheetah_ppo(dir / "one", kIterations));

  // The same env seeds and action noise. What differs is the order of
  // float32 sums: the policy's products over 3 and 2 rows instead of 5
  // (OpenBLAS's rounding depends on the matrix's rows), and every sum over
  // the two processes' rows (the normalisers' statistics, the advantages'
  // mean and deviation, each minibatch's gradient). Measured on this test:
  // returns 4e-7 relative apart in the first iteration and 1e-7 in the
  // third, losses and KL within 8e-6, the action std to the printed digit.
  // 1e-3 leaves a margin for other CPUs' kernels; a wrong share of rows,
  // noise or minibatch moves these by percents.
  const auto column = [&](const char* run, const std::string& name) { return metrics_column(dir / run, name); };
  for (const std::string name : {"env_steps", "episodes", "epochs"})
    EXPECT_EQ(column("two", name), column("one", name)) << name;
  for (const std::string name : {"mean_return", "batch_mean_return", "mean_length", "policy_loss", "value_loss",
                                 "entropy", "approx_kl", "action_std"}) {
    const auto a = column("two", name), b = column("one", name);
    ASSERT_EQ(a.size(), size_t(kIterations)) << name;
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], 1e-3 * std::abs(b[i])) << name << " at iteration " << i + 1;
  }
  // Rank 0 wrote the outputs, each rank its checkpoint, and both resumed
  // to the uninterrupted run's metrics and checkpoints to the bit.
  EXPECT_EQ(deterministic_rows(dir / "split"), deterministic_rows(dir / "two"));
  for (const std::string file : {"latest.pt", "latest.rank1.pt"})
    EXPECT_TRUE(read_file((dir / "split" / "checkpoints" / file).string()) ==
                read_file((dir / "two" / "checkpoints" / file).string()))
        << file << " differs";
}

TEST(DistributedRun, AnAlgorithmThatDoesNotSpreadIsRefusedBeforeAnythingIsWritten) {
  Ranks ranks(2);
  const fs::path dir = fresh_test_dir(ranks);
  RunOptions o;
  o.experiment_path = (fs::path(METARL_SOURCE_DIR) / "experiments/trpo/nav2d_fixed_goal.yaml").string();
  o.out_dir = (dir / "run").string();
  o.distributed = ranks.config();
  try {
    run_experiment(o);
    ADD_FAILURE() << "rank " << ranks.rank() << " trained";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("algorithm trpo does not run over several processes with these settings"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "run"));
  if (!ranks.is_child()) ranks.join();
}

TEST(DistributedRun, FlagsThatCannotWorkAreRefusedBeforeJoining) {
  RunOptions o = nav2d_maml(test_dir() / "run", 1);
  o.distributed.world_size = 2;
  try {
    run_experiment(o);
    ADD_FAILURE() << "ran without --master";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--master HOST:PORT is needed with --world-size 2");
  }
  EXPECT_FALSE(fs::exists(o.out_dir));
}

}  // namespace
}  // namespace metarl
