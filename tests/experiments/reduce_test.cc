// `metarl reduce`: a run's checkpoint cut to what `metarl adapt` reads. For
// each kind of adaptable run (MAML with learned step sizes and an adapted
// value network, its pretrained baseline, Reptile, RL²) a reduced checkpoint
// gives the same adaptation numbers as the full one, and resuming training
// from it is refused with one line naming the file.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "agents/file_io.h"
#include "experiments/adapt.h"
#include "experiments/run.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

fs::path test_dir() { return fs::path(::testing::TempDir()) / "metarl_reduce_test"; }

std::string write_experiment(const std::string& name, const std::string& text) {
  const fs::path dir = test_dir();
  fs::create_directories(dir);
  // Written aside and renamed: tests of this binary run in parallel processes.
  const fs::path partial = dir / (name + "." + std::to_string(::getpid()) + ".partial");
  std::ofstream(partial) << text;
  fs::rename(partial, dir / name);
  return (dir / name).string();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = test_dir() / name;
  fs::remove_all(dir);
  return dir;
}

// A Navigation2D MAML run with learned step sizes (stored as α, read as
// log α: the reduced file must keep the stored bytes, not recompute them).
const char* kMaml = R"(name: reduce_maml
seed: 5
threads: 1
env:
  name: Navigation2D
  task_family: Navigation2D
  options:
    max_episode_steps: 10
algorithm:
  name: maml
  tasks_per_batch: 3
  episodes_per_task: 2
  inner_lr: 0.5
  learn_inner_lr: true
  outer: ppo
  epochs: 2
training:
  total_env_steps: 240
  checkpoint_every: 1
  snapshot_every_env_steps: 120
)";

// Continual MAML with the paper's parts: an adapted value network with its
// own step sizes and return statistics, an LSTM policy, and step sizes of
// their own for the adapted policies' episodes (chain pairs).
const char* kContinual = R"(name: reduce_continual
seed: 6
threads: 1
env:
  name: Bug
  task_family: BugCrippledLegs
  options:
    max_episode_steps: 6
policy:
  type: lstm
  embedding: 8
  lstm_hidden: 8
algorithm:
  name: maml
  tasks_per_batch: 2
  episodes_per_task: 2
  inner_steps: 2
  inner_lr: 0.01
  learn_inner_lr: true
  chain_length: 4
  chain_pairs: 2
  inner_episodes: shared
  off_policy_step_sizes: true
  meta_gradient: dice
  outer: ppo
  epochs: 2
  value_function: adapted_mlp
  value_hidden: [8]
  value_inner_lr: 0.01
training:
  total_env_steps: 96
  checkpoint_every: 1
)";

const char* kReptile = R"(name: reduce_reptile
seed: 3
threads: 1
env:
  name: Navigation2D
  task_family: Navigation2D
  options: {max_episode_steps: 10}
policy: {hidden: [16]}
algorithm:
  name: reptile
  tasks_per_batch: 3
  episodes_per_task: 2
  inner_steps: 2
  inner_lr: 0.3
training: {total_env_steps: 120}
)";

// RL² with an observation normaliser (PPO's default), the record besides
// the policy that its evaluation reads.
const char* kRl2 = R"(name: reduce_rl2
seed: 4
threads: 1
env:
  name: Bug
  task_family: BugCrippledLegs
  num_envs: 2
  trial_episodes: 3
  options:
    max_episode_steps: 8
policy:
  type: lstm
  embedding: 8
  lstm_hidden: 8
algorithm:
  name: ppo
  steps_per_iteration: 20
  epochs: 2
  minibatches: 2
training:
  total_env_steps: 40
  checkpoint_every: 1
)";

struct Trained {
  RunOptions options;
  fs::path dir;
};

Trained train(const std::string& name, const std::string& text, std::vector<std::string> overrides = {}) {
  Trained t;
  t.options.experiment_path = write_experiment(name + ".yaml", text);
  t.options.out_dir = fresh_dir(name + "/full/" + name).string();
  t.options.overrides = std::move(overrides);
  run_experiment(t.options);
  t.dir = t.options.out_dir;
  return t;
}

// A copy of the run directory under .../reduced/<same name> (so that adapt
// labels its curves the same), its checkpoints reduced.
fs::path reduced_copy(const Trained& t, const std::string& name, const std::vector<std::string>& checkpoints) {
  const fs::path copy = fresh_dir(name + "/reduced") / t.dir.filename();
  fs::create_directories(copy.parent_path());
  fs::copy(t.dir, copy, fs::copy_options::recursive);
  std::vector<std::string> targets;
  for (const auto& c : checkpoints) targets.push_back(c.empty() ? copy.string() : (copy / c).string());
  reduce_checkpoints(targets);
  return copy;
}

// adapt over `run` (a directory or a checkpoint) into a fresh directory:
// the summary and per-task tables' contents.
std::string adapt_tables(const std::string& run, const std::string& out, AdaptOptions options) {
  options.run_dirs = {run};
  options.out_dir = fresh_dir(out).string();
  run_adaptation(options);
  const std::string name = options.chain_episodes > 0 ? "adapt_chain" : "adapt";
  return read_file(options.out_dir + "/" + name + ".csv") + read_file(options.out_dir + "/" + name + "_tasks.csv");
}

// Resuming the reduced copy is refused with the one-line message naming the file.
void expect_resume_refused(const Trained& t, const fs::path& copy) {
  RunOptions resume = t.options;
  resume.out_dir = copy.string();
  resume.overrides.push_back("training.total_env_steps=100000");  // not finished: it would train
  try {
    run_experiment(resume);
    ADD_FAILURE() << "resumed from a reduced checkpoint";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    const std::string expected_start = (copy / "checkpoints" / "latest.pt").string() +
                                       " is an evaluation-only checkpoint (made by metarl reduce";
    EXPECT_EQ(message.rfind(expected_start, 0), 0u) << message;
    EXPECT_NE(message.find("); it cannot resume training"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ReduceCheckpoint, MamlAndPretrainedAdaptAsFromTheFullCheckpoint) {
  for (const bool pretrained : {false, true}) {
    const std::string name = pretrained ? "maml_pretrained" : "maml";
    const Trained t = train(name, kMaml, pretrained ? std::vector<std::string>{"algorithm.name=maml_pretrain"}
                                                    : std::vector<std::string>{});
    const fs::path copy = reduced_copy(t, name, {"", "checkpoints/steps_120.pt"});
    EXPECT_LT(fs::file_size(copy / "checkpoints" / "latest.pt"), fs::file_size(t.dir / "checkpoints" / "latest.pt") / 2);
    AdaptOptions on_tasks;
    on_tasks.tasks = 3;
    on_tasks.steps = 2;
    EXPECT_EQ(adapt_tables(t.dir.string(), name + "/adapt_full", on_tasks),
              adapt_tables(copy.string(), name + "/adapt_reduced", on_tasks));
    const std::string snapshot = "checkpoints/steps_120.pt";
    EXPECT_EQ(adapt_tables((t.dir / snapshot).string(), name + "/adapt_full", on_tasks),
              adapt_tables((copy / snapshot).string(), name + "/adapt_reduced", on_tasks));
    AdaptOptions on_chains;
    on_chains.tasks = 2;
    on_chains.chain_episodes = 3;
    on_chains.history = 2;
    on_chains.theta_episodes = true;
    EXPECT_EQ(adapt_tables(t.dir.string(), name + "/chain_full", on_chains),
              adapt_tables(copy.string(), name + "/chain_reduced", on_chains));
    expect_resume_refused(t, copy);
    // Reducing again changes nothing; a reduced snapshot stays readable.
    const std::string once = read_file((copy / "checkpoints" / "latest.pt").string());
    reduce_checkpoints({copy.string()});
    EXPECT_TRUE(read_file((copy / "checkpoints" / "latest.pt").string()) == once);
  }
}

TEST(ReduceCheckpoint, ContinualMamlWithAdaptedValueAdaptsAsFromTheFullCheckpoint) {
  const Trained t = train("continual", kContinual);
  const fs::path copy = reduced_copy(t, "continual", {""});
  AdaptOptions on_chains;
  on_chains.tasks = 2;
  on_chains.chain_episodes = 3;
  on_chains.history = 2;
  EXPECT_EQ(adapt_tables(t.dir.string(), "continual/chain_full", on_chains),
            adapt_tables(copy.string(), "continual/chain_reduced", on_chains));
  expect_resume_refused(t, copy);
}

TEST(ReduceCheckpoint, ReptileAdaptsAsFromTheFullCheckpoint) {
  const Trained t = train("reptile", kReptile);
  const fs::path copy = reduced_copy(t, "reptile", {""});
  AdaptOptions on_tasks;
  on_tasks.tasks = 3;
  on_tasks.steps = 2;
  EXPECT_EQ(adapt_tables(t.dir.string(), "reptile/adapt_full", on_tasks),
            adapt_tables(copy.string(), "reptile/adapt_reduced", on_tasks));
  expect_resume_refused(t, copy);
}

TEST(ReduceCheckpoint, Rl2AdaptsAsFromTheFullCheckpoint) {
  const Trained t = train("rl2", kRl2);
  const fs::path copy = reduced_copy(t, "rl2", {""});
  EXPECT_LT(fs::file_size(copy / "checkpoints" / "latest.pt"), fs::file_size(t.dir / "checkpoints" / "latest.pt") / 2);
  AdaptOptions on_chains;
  on_chains.tasks = 3;
  on_chains.chain_episodes = 3;
  on_chains.family_options = {"split=test"};
  EXPECT_EQ(adapt_tables(t.dir.string(), "rl2/chain_full", on_chains),
            adapt_tables(copy.string(), "rl2/chain_reduced", on_chains));
  expect_resume_refused(t, copy);
}

// A run that `metarl adapt` does not evaluate has nothing to reduce to:
// refused, naming the run, and its checkpoint is left as it was.
TEST(ReduceCheckpoint, RunsThatAdaptDoesNotEvaluateAreRefused) {
  const std::string text = R"(name: reduce_ppo
seed: 1
threads: 1
env:
  name: Navigation2D
  num_envs: 2
  options: {max_episode_steps: 10}
algorithm:
  name: ppo
  steps_per_iteration: 20
  minibatches: 2
training: {total_env_steps: 20}
)";
  const Trained t = train("ppo", text);
  const std::string before = read_file((t.dir / "checkpoints" / "latest.pt").string());
  try {
    reduce_checkpoints({t.dir.string()});
    ADD_FAILURE() << "reduced a ppo run";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(t.dir.string()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(read_file((t.dir / "checkpoints" / "latest.pt").string()) == before);
}

}  // namespace
}  // namespace metarl
