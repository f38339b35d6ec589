// Competitive meta-training (maml with algorithm.opponents: self_play) end to
// end on Sumo2D: its versions grow by one per iteration, each task meets a
// version drawn from them, and bad combinations are one-line errors naming
// the key. (Its exact resume is EveryExperimentResumes on
// experiments/sumo/sumo2d_meta.yaml.)
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "experiments/config.h"
#include "experiments/match.h"
#include "experiments/players.h"
#include "experiments/run.h"
#include "tests/experiments/run_outputs.h"
#include "tests/experiments/tiny_sumo2d_run.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

const char* kExperiment = R"(name: sumo2d_meta_test
seed: 2
threads: 1
env:
  name: Sumo2D
  options:
    max_episode_steps: 15
policy:
  type: gaussian_mlp
  hidden: [16]
algorithm:
  name: maml
  opponents: self_play
  tasks_per_batch: 3
  episodes_per_task: 2
  inner_steps: 2
  inner_lr: 0.001
  learn_inner_lr: true
  inner_episodes: shared
  meta_gradient: dice
  outer: ppo
  epochs: 2
  gamma: 0.995
  gae_lambda: 0.95
  value_function: adapted_mlp
  value_hidden: [16]
training:
  total_env_steps: 100000
)";

fs::path test_dir(const std::string& name) {
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("metarl_competitive_meta_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

RunOptions options_in(const fs::path& dir, std::vector<std::string> overrides = {}) {
  const fs::path path = dir / "experiment.yaml";
  std::ofstream(path) << kExperiment;
  RunOptions run;
  run.experiment_path = path.string();
  run.out_dir = (dir / "out").string();
  run.overrides = std::move(overrides);
  return run;
}

TEST(CompetitiveMeta, EachIterationAddsAVersionAndTasksMeetVersionsSoFar) {
  const fs::path dir = test_dir("versions");
  RunOptions run = options_in(dir);
  run.max_iterations = 4;
  run_experiment(run);
  const std::vector<double> pool = metrics_column(run.out_dir, "pool_size");
  const std::vector<double> version = metrics_column(run.out_dir, "opponent_version");
  ASSERT_EQ(pool.size(), 4u);
  for (size_t i = 0; i < pool.size(); ++i) {
    EXPECT_EQ(pool[i], double(i + 2)) << "after iteration " << i + 1;  // the initial policy and one per iteration
    // The mean first version of this iteration's tasks, drawn from the i + 1 versions before it.
    EXPECT_GE(version[i], 0.0);
    EXPECT_LE(version[i], double(i));
  }
  for (const char* column : {"win_rate_before_adaptation", "win_rate", "loss_rate", "draw_rate", "dense_weight",
                             "step_size_0", "inner_kl"}) {
    const std::vector<double> values = metrics_column(run.out_dir, column);
    ASSERT_EQ(values.size(), 4u) << column;
    for (const double v : values) EXPECT_TRUE(std::isfinite(v)) << column;
  }
  // Every match is won, lost or drawn.
  const auto won = metrics_column(run.out_dir, "win_rate"), lost = metrics_column(run.out_dir, "loss_rate"),
             drew = metrics_column(run.out_dir, "draw_rate");
  for (size_t i = 0; i < won.size(); ++i) EXPECT_NEAR(won[i] + lost[i] + drew[i], 1.0, 1e-9);
  // The run is a player (its policy acts on raw observations: MAML keeps no normaliser).
  const Player player = load_player(run.out_dir, 21, Box({4}, -1.0, 1.0), "Sumo2D");
  EXPECT_EQ(player.normalizer, nullptr);
  MatchOptions match;
  match.player_a = run.out_dir;
  match.player_b = "random";
  match.episodes = 4;
  match.num_envs = 4;
  match.threads = 1;
  std::ostringstream out;
  run_match(match, out);
  EXPECT_EQ(nlohmann::json::parse(out.str())["episodes"], 4);
  fs::remove_all(dir.parent_path());
}

TEST(CompetitiveMeta, APolicyStartsFromAnotherRunsWithInitFrom) {
  const fs::path dir = test_dir("init_from");
  RunOptions first = options_in(dir);
  first.max_iterations = 2;
  run_experiment(first);
  ExperimentConfig cfg = ExperimentConfig::load((dir / "experiment.yaml").string());
  cfg.set("policy.init_from=" + first.out_dir);
  Experiment x = build_experiment(cfg, "warm", /*fresh_run=*/true);
  const Player source = load_player(first.out_dir, 21, Box({4}, -1.0, 1.0), "Sumo2D");
  const Params& started = x.trainer->policy().parameters();
  ASSERT_EQ(started.size(), source.policy->parameters().size());
  for (size_t i = 0; i < started.size(); ++i) EXPECT_TRUE(torch::equal(started[i], source.policy->parameters()[i])) << i;
  // Its configuration with `sets` applied (experiment.yaml in dir).
  const auto config_with = [&](const std::vector<std::string>& sets) {
    ExperimentConfig cfg = ExperimentConfig::load((dir / "experiment.yaml").string());
    for (const std::string& assignment : sets) cfg.set(assignment);
    return cfg;
  };
  // Rebuilt to load a checkpoint of its own (resumed, adapted), a run does not read its source again.
  ExperimentConfig gone = config_with({"policy.init_from=/no/such/run"});
  EXPECT_NO_THROW(build_experiment(gone, "rebuilt"));
  // Other architectures, and runs that normalise observations, are refused by name.
  const auto refusal = [&](ExperimentConfig cfg) -> std::string {
    try {
      build_experiment(cfg, "refused", /*fresh_run=*/true);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "accepted";
  };
  const std::string wider = refusal(config_with({"policy.hidden=[32]", "policy.init_from=" + first.out_dir}));
  EXPECT_NE(wider.find("policy.init_from"), std::string::npos) << wider;
  const fs::path ppo = tiny_sumo2d_run("init_from_ppo");
  const std::string normalised = refusal(config_with({"policy.init_from=" + ppo.string()}));
  EXPECT_NE(normalised.find("policy.init_from"), std::string::npos) << normalised;
  EXPECT_NE(normalised.find("normalised its observations"), std::string::npos) << normalised;
  fs::remove_all(dir.parent_path());
  fs::remove_all(ppo.parent_path());
}

std::string error_of(const std::vector<std::string>& overrides) {
  const fs::path dir = test_dir("errors");
  try {
    RunOptions run = options_in(dir, overrides);
    run.max_iterations = 1;
    run_experiment(run);
  } catch (const std::exception& e) {
    EXPECT_FALSE(fs::exists(dir / "out" / "metrics.csv")) << "wrote before refusing: " << e.what();
    return e.what();
  }
  return "accepted";
}

TEST(CompetitiveMeta, BadCombinationsAreOneLineErrorsNamingTheKey) {
  const std::string family = error_of({"env.task_family=HalfCheetahVel"});
  EXPECT_NE(family.find("remove env.task_family"), std::string::npos) << family;
  const std::string none = error_of({"algorithm.opponents=none"});
  EXPECT_NE(none.find("needs env.task_family"), std::string::npos) << none;
  const std::string unknown = error_of({"algorithm.opponents=league"});
  EXPECT_NE(unknown.find("algorithm.opponents"), std::string::npos) << unknown;
  const std::string per_step = error_of({"algorithm.inner_episodes=per_step"});
  EXPECT_NE(per_step.find("inner_episodes shared"), std::string::npos) << per_step;
  const std::string one_agent = error_of({"env.name=HalfCheetah"});
  EXPECT_NE(one_agent.find("HalfCheetah has 1 agent"), std::string::npos) << one_agent;
  const std::string snapshots = error_of({"algorithm.snapshot_every=0"});
  EXPECT_NE(snapshots.find("algorithm.snapshot_every"), std::string::npos) << snapshots;
}

}  // namespace
}  // namespace metarl
