#include "experiments/run.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/error.h"
#include "experiments/config.h"
#include "experiments/io.h"
#include "experiments/rollout.h"
#include "tests/experiments/run_outputs.h"
#include "experiments/stats.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

// The lines of a CSV file (header first).
std::vector<std::string> csv_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const char* kTinyPpo = R"(name: tiny_ppo
seed: 3
threads: 2
env:
  name: HalfCheetah
  num_envs: 4
  options:
    max_episode_steps: 100
algorithm:
  name: ppo
  steps_per_iteration: 256
  epochs: 2
  minibatches: 4
  anneal_learning_rate: true
training:
  total_env_steps: 2048
  checkpoint_every: 3
)";

std::string write_experiment(const std::string& name, const std::string& text) {
  const fs::path dir = fs::path(::testing::TempDir()) / "metarl_run_test";
  fs::create_directories(dir);
  const fs::path path = dir / name;
  // Tests of this binary run in parallel processes and write the same files:
  // write aside and rename, so a reader never sees a half-written file.
  const fs::path partial = dir / (name + "." + std::to_string(::getpid()) + ".partial");
  std::ofstream(partial) << text;
  fs::rename(partial, path);
  return path.string();
}

std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / "metarl_run_test" / name;
  fs::remove_all(dir);
  return dir.string();
}

// An experiment run straight through into fresh_dir(name), and again into
// fresh_dir(name + "_split") stopped after one iteration and resumed: both
// metrics.csv (deterministic columns) and the straight run's directory.
struct StraightAndSplit {
  std::string dir;
  std::vector<std::string> straight, split;
};
StraightAndSplit run_straight_and_split(const std::string& text, const std::string& name) {
  RunOptions straight;
  straight.experiment_path = write_experiment(name + ".yaml", text);
  straight.out_dir = fresh_dir(name);
  run_experiment(straight);
  RunOptions split = straight;
  split.out_dir = fresh_dir(name + "_split");
  split.max_iterations = 1;
  run_experiment(split);
  split.max_iterations = 0;
  run_experiment(split);
  return {straight.out_dir, deterministic_rows(straight.out_dir), deterministic_rows(split.out_dir)};
}

TEST(RunExperiment, WritesTheOutputDirectory) {
  RunOptions options;
  options.experiment_path = write_experiment("tiny_ppo.yaml", kTinyPpo);
  options.out_dir = fresh_dir("outputs");
  run_experiment(options);
  for (const char* file : {"config.yaml", "metrics.csv", "summary.json", "checkpoints/latest.pt",
                           "plots/learning_curve.png"})
    EXPECT_TRUE(fs::exists(fs::path(options.out_dir) / file)) << file;
  EXPECT_EQ(deterministic_rows(options.out_dir).size(), 8u);  // 2048 / 256 iterations
  // The resolved configuration includes the defaults that were used.
  std::ifstream config(fs::path(options.out_dir) / "config.yaml");
  std::stringstream text;
  text << config.rdbuf();
  EXPECT_NE(text.str().find("clip_range: 0.2"), std::string::npos) << text.str();
}

// metarl rollout --player: a trained run's episodes, whole and as many as
// asked, the same at any thread count; a match env or a non-run refused.
TEST(RolloutPlayer, RunsTheRunsPolicyForWholeEpisodesTheSameAtAnyThreadCount) {
  RunOptions options;
  options.experiment_path = write_experiment("tiny_ppo_rollout.yaml", kTinyPpo);
  options.out_dir = fresh_dir("rollout_player");
  run_experiment(options);
  auto rollout = [&](const std::string& player, int threads) {
    RolloutConfig config;
    config.env = "HalfCheetah";
    config.env_options = Options::parse("max_episode_steps=100");
    config.player = player;
    config.num_envs = 3;
    config.episodes_per_env = 2;
    config.threads = threads;
    config.seed = 4;
    std::ostringstream out;
    run_rollout(config, out);
    std::vector<nlohmann::json> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  };
  const auto mean1 = rollout("mean:" + options.out_dir, 1);
  ASSERT_EQ(mean1.size(), 4u);  // one line per env, then the summary
  const nlohmann::json& summary = mean1.back();
  EXPECT_EQ(summary["episodes"], 6);
  EXPECT_EQ(summary["env_steps"], 600);  // HalfCheetah never ends early: 6 whole episodes of 100 steps
  EXPECT_EQ(summary["mean_length"], 100.0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(mean1[size_t(i)]["episodes"], 2);
  const auto mean2 = rollout("mean:" + options.out_dir, 2);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(mean2[i]["mean_return"], mean1[i]["mean_return"]) << "env " << i;
  // Sampling acts otherwise than the mean action from the same starts.
  EXPECT_NE(rollout(options.out_dir, 1).back()["mean_return"], summary["mean_return"]);

  RolloutConfig match;
  match.env = "Sumo2D";
  match.player = options.out_dir;
  std::ostringstream ignored;
  EXPECT_THROW(run_rollout(match, ignored), EnvError);
  RolloutConfig missing;
  missing.player = options.out_dir + "_nowhere";
  try {
    run_rollout(missing, ignored);
    ADD_FAILURE() << "a player that is no run was accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("_nowhere"), std::string::npos) << e.what();
  }
}

TEST(RunExperiment, AResumedRunContinuesExactlyAsAnUninterruptedOne) {
  RunOptions straight;
  straight.experiment_path = write_experiment("tiny_ppo.yaml", kTinyPpo);
  straight.out_dir = fresh_dir("straight");
  run_experiment(straight);

  // Stop after 3 iterations and keep that checkpoint; go on to 5; then lose
  // the newer checkpoint (a crash) and resume from iteration 3: rows 4 and 5
  // of metrics.csv must be dropped and recomputed identically.
  RunOptions interrupted = straight;
  interrupted.out_dir = fresh_dir("interrupted");
  const fs::path checkpoint = fs::path(interrupted.out_dir) / "checkpoints" / "latest.pt";
  interrupted.max_iterations = 3;
  run_experiment(interrupted);
  fs::copy_file(checkpoint, checkpoint.string() + ".at3");
  interrupted.max_iterations = 2;
  run_experiment(interrupted);
  EXPECT_EQ(deterministic_rows(interrupted.out_dir).size(), 5u);
  fs::rename(checkpoint.string() + ".at3", checkpoint);
  interrupted.max_iterations = 0;
  run_experiment(interrupted);

  const auto a = deterministic_rows(straight.out_dir);
  const auto b = deterministic_rows(interrupted.out_dir);
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a, b);
}

TEST(RunExperiment, AFinishedRunWithoutItsTrainingCheckpointIsNotOverwritten) {
  RunOptions options;
  options.experiment_path = write_experiment("tiny_ppo.yaml", kTinyPpo);
  options.out_dir = fresh_dir("finished_without_latest");
  run_experiment(options);
  const fs::path out(options.out_dir);
  fs::remove(out / "checkpoints" / "latest.pt");
  const auto metrics = csv_lines(out / "metrics.csv");
  const std::string summary = read_file((out / "summary.json").string());
  // The same command again: finished, nothing to train or rewrite.
  run_experiment(options);
  EXPECT_EQ(csv_lines(out / "metrics.csv"), metrics);
  EXPECT_EQ(read_file((out / "summary.json").string()), summary);
  EXPECT_FALSE(fs::exists(out / "checkpoints" / "latest.pt"));
  // Asked for more steps, it would have to resume, and cannot.
  options.overrides = {"training.total_env_steps=4096"};
  try {
    run_experiment(options);
    FAIL() << "expected a refusal";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no checkpoints/latest.pt to resume from"), std::string::npos) << e.what();
  }
  EXPECT_EQ(csv_lines(out / "metrics.csv"), metrics);
}

TEST(RunExperiment, ResumingWithAnotherConfigurationIsRefused) {
  RunOptions options;
  options.experiment_path = write_experiment("tiny_ppo.yaml", kTinyPpo);
  options.out_dir = fresh_dir("changed");
  options.max_iterations = 1;
  run_experiment(options);
  options.overrides = {"algorithm.epochs=3"};
  try {
    run_experiment(options);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("holds a run with another configuration (algorithm.epochs = 2 there, 3 here)"),
              std::string::npos)
        << e.what();
  }
  // A setting newer than the saved run (absent from its config.yaml) is
  // accepted at its default; so are another thread count and a larger
  // budget: the run goes on to it.
  const fs::path config = fs::path(options.out_dir) / "config.yaml";
  std::string saved = read_file(config.string());
  const size_t line = saved.find("  gae_lambda:");
  ASSERT_NE(line, std::string::npos) << saved;
  saved.erase(line, saved.find('\n', line) + 1 - line);
  std::ofstream(config) << saved;
  // Snapshots may be asked for on resuming: they copy checkpoints, the run is the same.
  options.overrides = {"training.total_env_steps=2304", "training.snapshot_every_env_steps=1000"};
  options.threads = 1;
  options.max_iterations = 0;
  run_experiment(options);
  EXPECT_EQ(deterministic_rows(options.out_dir).size(), 9u);  // 2304 / 256
  for (const char* kept : {"steps_1000.pt", "steps_2000.pt"})  // the first checkpoints past each multiple
    EXPECT_TRUE(fs::exists(fs::path(options.out_dir) / "checkpoints" / kept)) << kept;
  EXPECT_FALSE(fs::exists(fs::path(options.out_dir) / "checkpoints" / "steps_3000.pt"));
  EXPECT_NE(read_file(config.string()).find("  gae_lambda:"), std::string::npos);  // the full configuration again
  // A newer setting given explicitly would change the run: refused.
  saved = read_file(config.string());
  const size_t anneal = saved.find("  anneal_learning_rate:");
  ASSERT_NE(anneal, std::string::npos) << saved;
  saved.erase(anneal, saved.find('\n', anneal) + 1 - anneal);
  std::ofstream(config) << saved;
  options.overrides = {"training.total_env_steps=2560"};
  try {
    run_experiment(options);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("(algorithm.anneal_learning_rate absent there, set to true here)"),
              std::string::npos)
        << e.what();
  }
}

TEST(RunExperiment, UnknownKeysAndWrongTypesNameTheKeyAndTheFile) {
  RunOptions options;
  options.experiment_path = write_experiment("typo.yaml", std::string(kTinyPpo) + "  learning_rat: 0.1\n");
  options.out_dir = fresh_dir("typo");
  try {
    run_experiment(options);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), options.experiment_path + ": unknown key 'training.learning_rat'");
  }
  EXPECT_FALSE(fs::exists(fs::path(options.out_dir) / "config.yaml"));  // nothing written
  options.overrides = {"algorithm.epochs=many"};
  options.experiment_path = write_experiment("tiny_ppo.yaml", kTinyPpo);
  try {
    run_experiment(options);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("key 'algorithm.epochs' must be an integer, got 'many'"), std::string::npos)
        << e.what();
  }
}

// env.schedules: every labelled schedule reaches every env, composed; a
// missing name or a bad option names its path.
TEST(RunExperiment, EnvSchedulesAreBuiltFromTheConfiguration) {
  const std::string with_schedules = std::string(kTinyPpo) + R"(  schedules:
    slippery:
      schedule: FrictionScale
      geom: floor
      from: 1
      to: 0.5
    weak_back:
      schedule: ActuatorGearScale
      actuator: bthigh bshin
      to: 0.25
      episodes: 3
)";
  // The YAML above appends to `training:`; move it under `env:`.
  std::string text = kTinyPpo;
  text.replace(text.find("algorithm:"), 0, with_schedules.substr(std::string(kTinyPpo).size()));
  auto cfg = ExperimentConfig::from_string(text, "schedules.yaml");
  Experiment x = build_experiment(cfg, "schedules");
  for (int i = 0; i < x.env->num_envs(); ++i) {
    ASSERT_NE(x.env->env(i).schedule(), nullptr);
    EXPECT_EQ(x.env->env(i).schedule()->describe(),
              "FrictionScale(geom=floor, from=1, to=0.5, episodes=7) + "
              "ActuatorGearScale(actuator=bthigh bshin, from=1, to=0.25, episodes=3)");
  }
  std::string missing_text = text;
  missing_text.erase(missing_text.find("      schedule: FrictionScale\n"), std::string("      schedule: FrictionScale\n").size());
  auto missing = ExperimentConfig::from_string(missing_text, "missing.yaml");
  try {
    build_experiment(missing, "missing");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "missing.yaml: env.schedules.slippery.schedule (a schedule name) is required");
  }
  std::string bad_text = text;
  bad_text.replace(bad_text.find("to: 0.25"), 8, "to: weak");
  auto bad = ExperimentConfig::from_string(bad_text, "bad.yaml");
  try {
    build_experiment(bad, "bad");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml: env.schedules.weak_back: ActuatorGearScale: to 'weak'"),
              std::string::npos)
        << e.what();
  }
}

// Every committed run directory's config.yaml, read back as an experiment,
// keeps every value it holds (it may gain settings newer than the run, at
// their defaults): parsing and writing it loses nothing a resumed run
// compares.
TEST(RunExperiment, CommittedRunConfigurationsReadBackUnchanged) {
  int runs = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(METARL_SOURCE_DIR) / "experiments" / "results")) {
    if (entry.path().filename() != "config.yaml") continue;
    auto cfg = ExperimentConfig::load(entry.path().string());
    const Experiment x = build_experiment(cfg, "committed");
    const auto before = ExperimentConfig::from_string(read_file(entry.path().string()), "before").leaves();
    const auto now = ExperimentConfig::from_string(x.resolved_config, "now").leaves();
    for (const auto& [key, value] : before) {
      ASSERT_TRUE(now.count(key)) << entry.path() << ": " << key;
      EXPECT_EQ(now.at(key), value) << entry.path() << ": " << key;
    }
    ++runs;
  }
  EXPECT_GT(runs, 0);
}

// A committed run resumes under the command that trained it (here one that
// finished: nothing to train) and keeps its config.yaml and checkpoint byte
// for byte.
TEST(RunExperiment, ACommittedRunResumes) {
  const fs::path committed = fs::path(METARL_SOURCE_DIR) / "experiments/results/continual/bug_crippled/as_tested";
  RunOptions options;
  options.experiment_path = (fs::path(METARL_SOURCE_DIR) / "experiments/continual/bug_crippled_as_tested.yaml").string();
  options.out_dir = fresh_dir("committed_as_tested");
  fs::create_directories(fs::path(options.out_dir) / "checkpoints");
  for (const char* file : {"config.yaml", "summary.json", "checkpoints/latest.pt"})
    fs::copy_file(committed / file, fs::path(options.out_dir) / file);
  run_experiment(options);
  for (const char* file : {"config.yaml", "checkpoints/latest.pt"})
    EXPECT_EQ(read_file((fs::path(options.out_dir) / file).string()), read_file((committed / file).string())) << file;
}

}  // namespace
}  // namespace metarl

#include "experiments/adapt.h"

namespace metarl {
namespace {

const char* kTinyMaml = R"(name: tiny_maml
seed: 5
threads: 2
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
training:
  total_env_steps: 480
  checkpoint_every: 2
)";

TEST(RunExperiment, MamlResumesExactlyAndAdaptWritesItsCurves) {
  const auto runs = run_straight_and_split(kTinyMaml, "maml_straight");
  ASSERT_EQ(runs.straight.size(), 4u);  // 4 iterations of 2 x 3 x 2 x 10 steps
  EXPECT_EQ(runs.straight, runs.split);
  RunOptions straight;
  straight.experiment_path = write_experiment("tiny_maml.yaml", kTinyMaml);
  straight.out_dir = runs.dir;

  RunOptions pretrained = straight;
  pretrained.out_dir = fresh_dir("maml_pretrained");
  pretrained.overrides = {"algorithm.name=maml_pretrain"};
  run_experiment(pretrained);

  AdaptOptions adapt;
  adapt.run_dirs = {straight.out_dir, pretrained.out_dir};
  adapt.out_dir = fresh_dir("maml_adapt");
  adapt.tasks = 4;
  adapt.steps = 2;
  run_adaptation(adapt);
  const std::vector<std::string> lines = csv_lines(fs::path(adapt.out_dir) / "adapt.csv");
  ASSERT_EQ(lines.size(), 7u);  // header + 2 policies x 3 step counts
  EXPECT_EQ(lines[0], "policy,steps,mean_return,ci95");
  EXPECT_EQ(lines[1].rfind("maml_straight,0,", 0), 0u);  // labelled by run directory
  EXPECT_EQ(lines[6].rfind("maml_pretrained,2,", 0), 0u);
  EXPECT_TRUE(fs::exists(fs::path(adapt.out_dir) / "adapt.png"));
  // Its interval is Student's t over the tasks of adapt_tasks.csv, whose rows
  // 1-4 (policy,"task",steps,return) are maml_straight's 4 tasks at step 0;
  // with 3 degrees of freedom t is 3.18, far from the normal 1.96.
  const std::vector<std::string> per_task = csv_lines(fs::path(adapt.out_dir) / "adapt_tasks.csv");
  ASSERT_GE(per_task.size(), 5u);
  std::vector<double> before_adaptation;
  for (int row = 1; row <= 4; ++row) {
    ASSERT_EQ(per_task[row].rfind("maml_straight,", 0), 0u) << per_task[row];
    before_adaptation.push_back(std::stod(per_task[row].substr(per_task[row].rfind(',') + 1)));
  }
  const MeanWithInterval expected = mean_with_ci95(before_adaptation);
  const double written_ci95 = std::stod(lines[1].substr(lines[1].rfind(',') + 1));
  EXPECT_NEAR(written_ci95, expected.ci95, 1e-3 * expected.ci95) << lines[1];  // both from 6-digit values
  // The same held-out tasks and seed give the same curves.
  adapt.out_dir = fresh_dir("maml_adapt_again");
  run_adaptation(adapt);
  const std::vector<std::string> lines_again = csv_lines(fs::path(adapt.out_dir) / "adapt.csv");
  EXPECT_EQ(lines, lines_again);
  // Test-time step sizes: the trained one (0.5) reproduces the curve; another
  // starts from the same returns before adaptation and then differs.
  adapt.out_dir = fresh_dir("maml_adapt_lrs");
  adapt.run_dirs = {straight.out_dir};
  adapt.inner_lrs = {0.5, 0.05};
  run_adaptation(adapt);
  const std::vector<std::string> sweep = csv_lines(fs::path(adapt.out_dir) / "adapt.csv");
  ASSERT_EQ(sweep.size(), 7u);  // header + 2 step sizes x 3 step counts
  auto after_label = [](const std::string& row) { return row.substr(row.find(',')); };
  EXPECT_EQ(sweep[1].rfind("maml_straight:lr=0.5,0,", 0), 0u);
  EXPECT_EQ(sweep[4].rfind("maml_straight:lr=0.05,0,", 0), 0u);
  for (int row = 1; row <= 3; ++row) EXPECT_EQ(after_label(sweep[row]), after_label(lines[row]));
  EXPECT_EQ(after_label(sweep[4]), after_label(lines[1]));
  EXPECT_NE(after_label(sweep[5]), after_label(lines[2]));
  adapt.inner_lrs = {-1};
  EXPECT_THROW(run_adaptation(adapt), std::runtime_error);
  // A swept step size whose adaptation diverges (1e30: the second step's
  // gradient overflows) writes no curve; the others are written as without it.
  adapt.inner_lrs = {1e30, 0.05};
  adapt.out_dir = fresh_dir("maml_adapt_diverged");
  run_adaptation(adapt);
  const std::vector<std::string> kept = csv_lines(fs::path(adapt.out_dir) / "adapt.csv");
  ASSERT_EQ(kept.size(), 4u);
  for (int row = 1; row <= 3; ++row) EXPECT_EQ(kept[row], sweep[row + 3]);
  adapt.inner_lrs = {};
  // Along chains: each run adapted and not, episodes 1 .. 3; the same first
  // episode for both (θ acts, same noise).
  adapt.chain_episodes = 3;
  adapt.history = 2;
  adapt.run_dirs = {straight.out_dir};
  run_adaptation(adapt);
  const std::vector<std::string> rows = csv_lines(fs::path(adapt.out_dir) / "adapt_chain.csv");
  ASSERT_EQ(rows.size(), 10u);  // header + 3 curves x 3 episodes
  EXPECT_EQ(rows[0], "policy,episode,mean_return,ci95");
  EXPECT_EQ(rows[1].rfind("maml_straight,1,", 0), 0u);
  EXPECT_EQ(rows[4].rfind("maml_straight:no_adaptation,1,", 0), 0u);
  EXPECT_EQ(rows[7].rfind("maml_straight:tracking,1,", 0), 0u);
  EXPECT_EQ(rows[1].substr(rows[1].find(",1,")), rows[4].substr(rows[4].find(",1,")));
  EXPECT_EQ(rows[1].substr(rows[1].find(",1,")), rows[7].substr(rows[7].find(",1,")));
  EXPECT_TRUE(fs::exists(fs::path(adapt.out_dir) / "adapt_chain.png"));
  // Test-time step sizes along chains replace the adaptation from θ only:
  // the trained 0.5 reproduces its curve, 0.05 shares only the first
  // episode, and the baselines are written once, unchanged.
  adapt.inner_lrs = {0.5, 0.05};
  adapt.out_dir = fresh_dir("maml_adapt_chain_lrs");
  run_adaptation(adapt);
  const std::vector<std::string> chain_sweep = csv_lines(fs::path(adapt.out_dir) / "adapt_chain.csv");
  ASSERT_EQ(chain_sweep.size(), 13u);  // header + (2 step sizes + 2 baselines) x 3 episodes
  EXPECT_EQ(chain_sweep[1].rfind("maml_straight:lr=0.5,1,", 0), 0u);
  EXPECT_EQ(chain_sweep[4].rfind("maml_straight:lr=0.05,1,", 0), 0u);
  for (int row = 1; row <= 3; ++row) EXPECT_EQ(after_label(chain_sweep[row]), after_label(rows[row]));
  EXPECT_EQ(after_label(chain_sweep[4]), after_label(rows[1]));
  EXPECT_NE(after_label(chain_sweep[6]), after_label(rows[3]));
  for (int row = 4; row <= 9; ++row) EXPECT_EQ(chain_sweep[row + 3], rows[row]);
  adapt.inner_lrs = {};
  adapt.family_options = {"no_such_option=1"};
  EXPECT_THROW(run_adaptation(adapt), std::exception);  // the family rejects it by name
  // Evaluated on another family of the env (held-out tasks of another kind):
  // the same curves' layout, other tasks' returns; a family of another env is refused.
  adapt.family_options = {};
  adapt.chain_episodes = 0;
  adapt.out_dir = fresh_dir("maml_adapt_own_family");
  run_adaptation(adapt);
  const std::vector<std::string> own = csv_lines(fs::path(adapt.out_dir) / "adapt.csv");
  adapt.family = "Navigation2DDrift";
  adapt.out_dir = fresh_dir("maml_adapt_other_family");
  run_adaptation(adapt);
  const std::vector<std::string> other = csv_lines(fs::path(adapt.out_dir) / "adapt.csv");
  ASSERT_EQ(other.size(), own.size());
  EXPECT_EQ(other[1].substr(0, other[1].find(",0,") + 3), own[1].substr(0, own[1].find(",0,") + 3));
  EXPECT_NE(other[1], own[1]);
  adapt.family = "HalfCheetahHill";
  EXPECT_THROW(run_adaptation(adapt), std::exception);
}

}  // namespace
}  // namespace metarl

#include "envs/mujoco/locomotion_env.h"
#include "meta/maml_trainer.h"

namespace metarl {
namespace {

// A variant without code (README, docs/ENVIRONMENTS.md): HalfCheetahVel with
// goal velocities in [2, 3] through env.family_options, recorded in the
// resolved configuration that config.yaml holds.
TEST(RunExperiment, EnvFamilyOptionsShapeTheTasksAndAreRecorded) {
  auto cfg = ExperimentConfig::from_string(R"(name: vel_2_3
seed: 0
threads: 1
env:
  name: HalfCheetah
  task_family: HalfCheetahVel
  family_options: {low: 2, high: 3}
  options:
    max_episode_steps: 5
algorithm:
  name: maml
  tasks_per_batch: 2
  episodes_per_task: 1
)",
                                           "vel_2_3.yaml");
  Experiment x = build_experiment(cfg, "vel_2_3");
  ASSERT_NE(dynamic_cast<MamlTrainer*>(x.trainer.get()), nullptr);
  Rng rng(1);
  for (const Task& task : dynamic_cast<MamlTrainer&>(*x.trainer).family().sample(100, rng)) {
    EXPECT_GE(task.get("velocity"), 2.0);
    EXPECT_LE(task.get("velocity"), 3.0);
  }
  EXPECT_NE(x.resolved_config.find("  family_options:\n    low: 2\n    high: 3\n"), std::string::npos)
      << x.resolved_config;
}

// algorithm.chain_length: the training episodes of a task run at one
// position of its chain, the validation episodes at the next; here the Bug's
// crippled legs, weaker by 1/6 at each position.
TEST(RunExperiment, MamlOnChainsSamplesConsecutiveTasks) {
  auto cfg = ExperimentConfig::from_string(R"(name: chains
seed: 2
threads: 2
env:
  name: Bug
  task_family: BugCrippledLegs
  options:
    max_episode_steps: 5
algorithm:
  name: maml
  tasks_per_batch: 4
  episodes_per_task: 2
  inner_lr: 0.1
  meta_gradient: first_order
  chain_length: 7
training:
  total_env_steps: 400
)",
                                           "chains.yaml");
  Experiment x = build_experiment(cfg, "chains");
  std::set<int> positions;
  for (int iteration = 0; iteration < 3; ++iteration) {
    x.trainer->run_iteration();
    for (int i = 0; i < x.env->num_envs(); ++i) {
      const Env& env = x.env->env(i);
      const int position = env.episode_index();
      EXPECT_EQ(env.pinned_episode_index(), position);
      EXPECT_GE(position, 1);  // validation after one inner step: p + 1
      EXPECT_LE(position, 6);
      EXPECT_EQ(position, x.env->env(i ^ 1).episode_index()) << "the two envs of a task share its chain";
      positions.insert(position);
      const mjModel* m = dynamic_cast<const LocomotionEnv&>(env).model();
      const std::string hip_a = "hip_" + std::to_string(int(env.task()->get("leg_a")));
      EXPECT_NEAR(m->actuator_gear[6 * mj_name2id(m, mjOBJ_ACTUATOR, hip_a.c_str())], 150.0 * (1.0 - position / 6.0),
                  1e-9);
    }
  }
  EXPECT_GT(positions.size(), 2u);  // positions are drawn, not fixed
  // Test-time continual adaptation walks each chain: episode e at position e.
  const std::vector<Task> chains = {Task("BugCrippledLegs", {{"leg_a", 1}, {"leg_b", 4}})};
  const auto returns = dynamic_cast<MamlTrainer&>(*x.trainer).chain_returns(chains, 3, 2, MamlTrainer::ChainAdaptation::kFromTheta);
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_EQ(returns[0].size(), 3u);
  for (int i = 0; i < x.env->num_envs(); ++i) EXPECT_EQ(x.env->env(i).episode_index(), 2);
  auto bad = ExperimentConfig::from_string(
      "env:\n  name: Bug\n  task_family: BugCrippledLegs\nalgorithm:\n  name: maml\n  chain_length: 1\n", "bad.yaml");
  EXPECT_THROW(build_experiment(bad, "bad"), ConfigError);
}

// inner_episodes: shared (Al-Shedivat et al.): every inner step adapts on the
// episodes of T_i, the validation episodes run at T_{i+1} whatever the number
// of steps — so a chain of 2 suffices for 3 steps.
TEST(RunExperiment, SharedInnerEpisodesValidateOnTheNextTask) {
  const std::string text = R"(name: shared
seed: 2
threads: 2
env:
  name: Bug
  task_family: BugCrippledLegs
  options:
    max_episode_steps: 5
algorithm:
  name: maml
  tasks_per_batch: 2
  episodes_per_task: 2
  inner_steps: 3
  inner_lr: 0.01
  meta_gradient: dice
  outer: ppo
  epochs: 1
  inner_episodes: shared
  chain_length: 2
training:
  total_env_steps: 400
)";
  auto cfg = ExperimentConfig::from_string(text, "shared.yaml");
  Experiment x = build_experiment(cfg, "shared");
  const Metrics m = x.trainer->run_iteration();
  for (int i = 0; i < x.env->num_envs(); ++i) EXPECT_EQ(x.env->env(i).episode_index(), 1);
  for (const auto& [key, value] : m) {
    if (key == "env_steps") {
      EXPECT_LE(value, 2 * 4 * 5);  // two rounds of 4 episodes, not four
    }
  }
  auto per_step = ExperimentConfig::from_string(text.substr(0, text.find("  inner_episodes")) + "  chain_length: 2\n",
                                                "per_step.yaml");
  EXPECT_THROW(build_experiment(per_step, "per_step"), ConfigError);  // 3 fresh rounds need 4 positions
  std::string plain = text;
  plain.replace(plain.find("meta_gradient: dice"), 19, "meta_gradient: no_score");
  auto no_weights = ExperimentConfig::from_string(plain, "no_score.yaml");
  EXPECT_THROW(build_experiment(no_weights, "no_score"), ConfigError);  // steps off θ need importance weights
  std::string unknown = text;
  unknown.replace(unknown.find("inner_episodes: shared"), 22, "inner_episodes: reused");
  auto bad_name = ExperimentConfig::from_string(unknown, "reused.yaml");
  EXPECT_THROW(build_experiment(bad_name, "reused"), ConfigError);
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

// Chains at test time: one env per chain, padded chunks, episode 0 with θ;
// with a zero step size adapting changes nothing, with a real one it changes
// the episodes after the first.
TEST(RunExperiment, ChainReturnsAdaptFromThetaAfterTheFirstEpisode) {
  auto run = [](double inner_lr, MamlTrainer::ChainAdaptation how) {
    std::string text = kTinyMaml;
    text.replace(text.find("inner_lr: 0.5"), 13, "inner_lr: " + std::to_string(inner_lr));
    auto cfg = ExperimentConfig::from_string(text, "chains.yaml");
    Experiment x = build_experiment(cfg, "chains");
    std::vector<Task> chains;
    for (int i = 0; i < 8; ++i)  // 6 envs: two chunks, the second padded
      chains.push_back(Task("Navigation2D", {{"goal_x", 0.1 * i - 0.4}, {"goal_y", 0.3}}));
    return dynamic_cast<MamlTrainer&>(*x.trainer).chain_returns(chains, 4, 2, how);
  };
  const auto fixed = run(0.5, MamlTrainer::ChainAdaptation::kNone);
  ASSERT_EQ(fixed.size(), 8u);
  for (const auto& chain : fixed) EXPECT_EQ(chain.size(), 4u);
  EXPECT_EQ(run(0.0, MamlTrainer::ChainAdaptation::kFromTheta), fixed);
  for (const auto how : {MamlTrainer::ChainAdaptation::kFromTheta, MamlTrainer::ChainAdaptation::kTracking}) {
    const auto adapted = run(0.5, how);
    int changed = 0;
    for (size_t c = 0; c < 8; ++c) {
      EXPECT_EQ(adapted[c][0], fixed[c][0]);  // θ acts in the first episode
      for (size_t e = 1; e < 4; ++e) changed += adapted[c][e] != fixed[c][e];
    }
    // Of 24 later episodes; a small change can leave an episode whose actions
    // all hit the ±0.1 clip with the same return.
    EXPECT_GT(changed, 12);
  }
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

// RL²: PPO on trials of a chain's episodes with an LSTM. Continuing rollouts
// stop mid-trial at each iteration, so resuming exactly needs the trials'
// state (task, inner episode, physics) in the checkpoint.
TEST(RunExperiment, Rl2TrialsResumeExactlyAndAdaptReportsEachEpisode) {
  const char* rl2 = R"(name: tiny_rl2
seed: 4
threads: 2
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
  total_env_steps: 80
  checkpoint_every: 1
  snapshot_every_env_steps: 40
)";
  const auto runs = run_straight_and_split(rl2, "rl2_straight");  // the split stops 10 steps into the first trials
  ASSERT_EQ(runs.straight.size(), 4u);
  EXPECT_EQ(runs.straight, runs.split);

  AdaptOptions adapt;
  adapt.run_dirs = {runs.dir};
  adapt.out_dir = fresh_dir("rl2_adapt");
  adapt.tasks = 3;  // two envs: a padded second chunk
  adapt.chain_episodes = 3;
  adapt.family_options = {"split=test"};
  run_adaptation(adapt);
  const auto lines = csv_lines(fs::path(adapt.out_dir) / "adapt_chain.csv");
  ASSERT_EQ(lines.size(), 4u);  // header + episodes 1 .. 3 (RL² has no adapted / tracking variants)
  EXPECT_EQ(lines[1].rfind("rl2_straight,1,", 0), 0u);
  EXPECT_EQ(lines[3].rfind("rl2_straight,3,", 0), 0u);
  const auto tasks = csv_lines(fs::path(adapt.out_dir) / "adapt_chain_tasks.csv");
  ASSERT_EQ(tasks.size(), 10u);
  for (size_t i = 1; i < tasks.size(); ++i)  // the held-out pairs only
    EXPECT_TRUE(tasks[i].find("leg_a=1, leg_b=4") != std::string::npos ||
                tasks[i].find("leg_a=2, leg_b=3") != std::string::npos ||
                tasks[i].find("leg_a=4, leg_b=6") != std::string::npos)
        << tasks[i];

  // One checkpoint of a run, labelled with its name.
  adapt.run_dirs = {(fs::path(runs.dir) / "checkpoints" / "steps_40.pt").string()};
  run_adaptation(adapt);
  EXPECT_EQ(csv_lines(fs::path(adapt.out_dir) / "adapt_chain.csv")[1].rfind("rl2_straight@steps_40,1,", 0), 0u);
  adapt.run_dirs = {(fs::path(runs.dir) / "checkpoints" / "steps_1000.pt").string()};
  EXPECT_THROW(run_adaptation(adapt), std::runtime_error);  // no such checkpoint

  adapt.run_dirs = {runs.dir};
  adapt.chain_episodes = 0;
  EXPECT_THROW(run_adaptation(adapt), std::runtime_error);  // RL² is evaluated on chains
  adapt.chain_episodes = 5;
  EXPECT_THROW(run_adaptation(adapt), std::runtime_error);  // trained on trials of 3
  std::string as_maml = rl2;
  as_maml.replace(as_maml.find("name: ppo"), 9, "name: maml");
  auto cfg = ExperimentConfig::from_string(as_maml, "rl2_maml.yaml");
  EXPECT_THROW(build_experiment(cfg, "x"), ConfigError);  // MAML samples its own tasks
}

// Continual adaptation with the paper's parts: an LSTM policy, a value
// network adapted with it, learned step sizes for both.
const char* kTinyContinual = R"(name: tiny_continual
seed: 6
threads: 2
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
  meta_gradient: dice
  outer: ppo
  epochs: 2
  value_function: adapted_mlp
  value_hidden: [8]
  value_inner_lr: 0.01
  inner_episodes: shared
training:
  total_env_steps: 144
  checkpoint_every: 1
)";
// Resumes exactly: the value network, its step sizes and the return scale
// are in the checkpoint.
TEST(RunExperiment, ContinualMamlWithAdaptedValueAndLstmResumesExactly) {
  const auto runs = run_straight_and_split(kTinyContinual, "continual_straight");
  ASSERT_EQ(runs.straight.size(), 3u);  // 2 rounds x 2 tasks x 2 episodes x 6 steps = 48 steps each (if none fall)
  EXPECT_EQ(runs.straight, runs.split);
  const auto header = csv_lines(fs::path(runs.dir) / "metrics.csv").front();
  for (const char* column : {"value_loss", "step_size_1", "value_step_size_1", "return_scale"})
    EXPECT_NE(header.find(column), std::string::npos) << column;
  // The learned step sizes moved away from their initial values, and stay
  // positive (learned as log α).
  std::vector<std::string> names, values;
  std::stringstream hs(header), ls(csv_lines(fs::path(runs.dir) / "metrics.csv").back());
  for (std::string v; std::getline(hs, v, ',');) names.push_back(v);
  for (std::string v; std::getline(ls, v, ',');) values.push_back(v);
  ASSERT_EQ(names.size(), values.size());
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].rfind("step_size_", 0) == 0 || names[i].rfind("value_step_size_", 0) == 0) {
      EXPECT_NE(std::stod(values[i]), 0.01) << names[i];
      EXPECT_GT(std::stod(values[i]), 0.0) << names[i];
    }

  AdaptOptions adapt;
  adapt.run_dirs = {runs.dir};
  adapt.out_dir = fresh_dir("continual_adapt");
  adapt.tasks = 3;
  adapt.chain_episodes = 3;
  adapt.history = 2;
  run_adaptation(adapt);
  EXPECT_EQ(csv_lines(fs::path(adapt.out_dir) / "adapt_chain.csv").size(), 10u);
}

// The outer PPO step on minibatches of whole tasks: it resumes exactly (the
// partitions come from the checkpointed task stream), changes the run
// against the full batch, and more minibatches than tasks is refused.
TEST(RunExperiment, ContinualMamlOnTaskMinibatchesResumesExactly) {
  std::string text = kTinyContinual;
  const std::string epochs = "  epochs: 2\n";
  text.replace(text.find(epochs), epochs.size(), epochs + "  minibatches: 2\n");
  const auto minibatched = run_straight_and_split(text, "continual_minibatches");
  ASSERT_EQ(minibatched.straight.size(), 3u);
  EXPECT_EQ(minibatched.straight, minibatched.split);
  const auto full = run_straight_and_split(kTinyContinual, "continual_full_batch");
  EXPECT_EQ(full.straight.front().substr(0, 20), minibatched.straight.front().substr(0, 20));  // same first samples
  EXPECT_NE(full.straight.back(), minibatched.straight.back());

  RunOptions options;
  options.experiment_path = write_experiment("tiny_continual.yaml", kTinyContinual);
  options.out_dir = fresh_dir("continual_too_many_minibatches");
  options.overrides = {"algorithm.minibatches=3"};
  try {
    run_experiment(options);
    ADD_FAILURE() << "3 minibatches of 2 tasks were accepted";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()),
              write_experiment("tiny_continual.yaml", kTinyContinual) +
                  ": key 'algorithm.minibatches' must be at most algorithm.tasks_per_batch (2: minibatches are of "
                  "whole tasks), got 3 (from --set 'algorithm.minibatches=3')");
  }
  EXPECT_FALSE(fs::exists(options.out_dir));  // refused before anything was written
}

// Adam's first step moves every parameter by its learning rate (times the
// gradient's sign): log α by algorithm.step_size_learning_rate when it is
// set, by the outer learning rate (3e-4) when not.
TEST(RunExperiment, LearnedStepSizesHaveTheirOwnLearningRate) {
  auto log_size_moves = [](const std::vector<std::string>& overrides, const std::string& name) {
    RunOptions options;
    options.experiment_path = write_experiment("tiny_continual.yaml", kTinyContinual);
    options.out_dir = fresh_dir(name);
    options.overrides = overrides;
    options.overrides.push_back("algorithm.epochs=1");
    options.max_iterations = 1;
    run_experiment(options);
    const auto lines = csv_lines(fs::path(options.out_dir) / "metrics.csv");
    std::vector<std::string> names, values;
    std::stringstream hs(lines.front()), ls(lines.back());
    for (std::string v; std::getline(hs, v, ',');) names.push_back(v);
    for (std::string v; std::getline(ls, v, ',');) values.push_back(v);
    std::vector<double> moves;
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i].rfind("step_size_", 0) == 0 || names[i].rfind("value_step_size_", 0) == 0)
        moves.push_back(std::log(std::stod(values[i]) / 0.01));
    EXPECT_EQ(moves.size(), 4u);  // two inner steps, policy and value
    return moves;
  };
  for (const double move : log_size_moves({"algorithm.step_size_learning_rate=0.05"}, "own_rate"))
    EXPECT_NEAR(std::abs(move), 0.05, 1e-3);
  for (const double move : log_size_moves({}, "shared_rate")) EXPECT_NEAR(std::abs(move), 3e-4, 1e-5);
}

}  // namespace
}  // namespace metarl
