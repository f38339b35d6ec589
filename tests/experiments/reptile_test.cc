// Reptile (experiments/algorithms/reptile.cc), reached only through the
// algorithm registry and the interfaces it implements, as `metarl` reaches it.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "experiments/adapt.h"
#include "experiments/algorithm.h"
#include "experiments/config.h"
#include "experiments/run.h"
#include "meta/maml.h"
#include "meta/maml_trainer.h"
#include "meta/test_time_adaptation.h"
#include "tests/experiments/run_outputs.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

const char* kReptile = R"(
seed: 3
threads: 1
env:
  name: Navigation2D
  task_family: Navigation2D
  options: {max_episode_steps: 20}
policy: {hidden: [16]}
algorithm:
  name: reptile
  tasks_per_batch: 3
  episodes_per_task: 2
  inner_steps: 2
  inner_lr: 0.3
  outer_step_size: 0.25
  anneal_outer_step_size: false
training: {total_env_steps: 100000}
)";

Experiment build(const std::string& text) {
  auto cfg = ExperimentConfig::from_string(text, "reptile.yaml");
  return build_experiment(cfg, "reptile");
}

Params copy_of(const Params& params) {
  Params out;
  for (const auto& p : params) out.push_back(p.detach().clone());
  return out;
}

TEST(Reptile, IsRegistered) {
  bool found = false;
  for (const auto* entry : algorithm_entries()) found |= entry->name == "reptile";
  EXPECT_TRUE(found);
}

// One iteration moves θ by exactly ε (mean_i φ_i − θ), where φ_i are the
// parameters of task i after the inner steps, here taken independently of
// the trainer: the same tasks, envs and action noise (the seeds the trainer
// derives from the experiment's), MAML's inner step on each round of new
// episodes of the current φ.
TEST(Reptile, MovesThetaByEpsilonTowardTheMeanOfTheAdaptedParameters) {
  const int64_t tasks = 3, inner_steps = 2;
  const double epsilon = 0.25;
  Experiment trained = build(kReptile);
  const Params theta = copy_of(trained.trainer->policy().parameters());

  Experiment replica = build(kReptile);
  Policy& policy = replica.trainer->policy();
  const TaskFamily& family = dynamic_cast<TaskAdapter&>(*replica.trainer).family();
  Rng task_rng(derive_seed(3, 0x7a5c));
  const std::vector<Task> sampled = family.sample(int(tasks), task_rng);
  for (int i = 0; i < replica.env->num_envs(); ++i) replica.env->set_task(i, family, sampled[size_t(i / 2)]);
  Sampler sampler(*replica.env, policy, derive_seed(3, 1));
  Params adapted = replicate(theta, tasks);
  for (int64_t step = 0; step < inner_steps; ++step) {
    const EpisodeBatch episodes = sampler.collect_episodes_grouped(20, adapted, tasks);
    const InnerBatch batch{episodes, all_task_advantages(episodes, tasks, 0.99, 1.0)};
    adapted = adapt_step(policy, adapted, batch, torch::tensor(0.3f), tasks, /*normalize=*/true, false);
  }

  const Metrics metrics = trained.trainer->run_iteration();
  const Params& after = trained.trainer->policy().parameters();
  double moved = 0;
  for (size_t i = 0; i < theta.size(); ++i) {
    const torch::Tensor mean_adapted = adapted[i].detach().mean(0);
    const torch::Tensor expected = theta[i] + epsilon * (mean_adapted - theta[i]);
    EXPECT_TRUE(torch::allclose(after[i], expected, /*rtol=*/1e-6, /*atol=*/1e-7)) << "tensor " << i;
    // The step is not empty: the inner steps moved every task.
    moved += (mean_adapted - theta[i]).abs().sum().item<double>();
  }
  EXPECT_GT(moved, 0);
  for (const auto& [key, value] : metrics) {
    if (key == "outer_step_size") {
      EXPECT_DOUBLE_EQ(value, epsilon);
    }
  }
}

// ε annealed linearly to 0 over the run's env steps.
TEST(Reptile, AnnealsItsOuterStepSize) {
  std::string text = kReptile;
  text.replace(text.find("anneal_outer_step_size: false"), 29, "anneal_outer_step_size: true");
  text.replace(text.find("total_env_steps: 100000"), 23, "total_env_steps: 480");  // 2 iterations of <= 240 steps
  Experiment x = build(text);
  std::vector<double> sizes, steps;
  for (int i = 0; i < 2; ++i)
    for (const auto& [key, value] : x.trainer->run_iteration()) {
      if (key == "outer_step_size") sizes.push_back(value);
      if (key == "env_steps") steps.push_back(value);
    }
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_DOUBLE_EQ(sizes[0], 0.25);
  EXPECT_GT(steps[0], 200);
  EXPECT_DOUBLE_EQ(sizes[1], 0.25 * (1.0 - steps[0] / 480.0));
}

TEST(Reptile, RefusesSettingsItCannotRun) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"outer_step_size: 0.25", "outer_step_size: 1.5"},  // extrapolates
           {"inner_lr: 0.3", "inner_lr: 0"},
           {"task_family: Navigation2D", "task_family: ''"},
           {"inner_steps: 2", "inner_stepz: 2"}}) {
    std::string text = kReptile;
    text.replace(text.find(from), from.size(), to);
    EXPECT_THROW(build(text), ConfigError) << to;
  }
}

// `metarl run` trains it and resumes it bit-exactly; `metarl adapt` adapts it
// on fresh tasks through its TaskAdapter.
TEST(Reptile, RunsResumesAndAdapts) {
  const fs::path dir = fs::path(::testing::TempDir()) / "metarl_reptile_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string text = kReptile;
  text.replace(text.find("total_env_steps: 100000"), 23, "total_env_steps: 720");
  std::ofstream(dir / "reptile.yaml") << text;
  RunOptions straight;
  straight.experiment_path = (dir / "reptile.yaml").string();
  straight.out_dir = (dir / "straight").string();
  run_experiment(straight);
  RunOptions split = straight;
  split.out_dir = (dir / "split").string();
  split.max_iterations = 1;
  run_experiment(split);
  split.max_iterations = 0;
  run_experiment(split);
  EXPECT_EQ(deterministic_rows(straight.out_dir).size(), 3u);
  EXPECT_EQ(deterministic_rows(straight.out_dir), deterministic_rows(split.out_dir));

  AdaptOptions adapt;
  adapt.run_dirs = {straight.out_dir};
  adapt.out_dir = (dir / "adapt").string();
  adapt.tasks = 4;  // three per chunk: a padded second chunk
  adapt.steps = 2;
  run_adaptation(adapt);
  std::ifstream csv(fs::path(adapt.out_dir) / "adapt.csv");
  std::vector<std::string> lines;
  for (std::string line; std::getline(csv, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);  // header + steps 0 .. 2
  EXPECT_EQ(lines[1].rfind("straight,0,", 0), 0u);
  adapt.chain_episodes = 3;  // Reptile adapts on fresh tasks only
  EXPECT_THROW(run_adaptation(adapt), std::runtime_error);
}

}  // namespace
}  // namespace metarl
