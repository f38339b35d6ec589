// selfplay_ppo end to end on the test match env (tests/support/line_sumo.h,
// registered here): its metrics and plots, an exact resume, its keys' errors.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "agents/sampler.h"
#include "envs/core/registry.h"
#include "experiments/adapt.h"
#include "experiments/algorithm.h"
#include "experiments/config.h"
#include "experiments/io.h"
#include "experiments/players.h"
#include "experiments/run.h"
#include "tests/experiments/run_outputs.h"
#include "tests/support/line_sumo.h"
#include "tests/support/two_point_masses.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

const Registration<Env> kRegisterLineSumo(env_registry(), "LineSumo", "test-only match env: two points on a line",
                                          {{3, 1}, {3, 1}}, LineSumoEnv::option_specs(),
                                          [](const Options& o) { return std::make_unique<LineSumoEnv>(o); });
const Registration<Env> kRegisterTwoPointMasses(env_registry(), "TwoPointMasses", "test-only two-agent env",
                                                {{2, 1}, {3, 2}}, TwoPointMassesEnv::option_specs(),
                                                [](const Options& o) { return std::make_unique<TwoPointMassesEnv>(o); });

std::string experiment(const std::string& policy) {
  return R"(name: line_sumo_selfplay
seed: 4
threads: 1
env:
  name: LineSumo
  num_envs: 4
  options:
    max_episode_steps: 12
algorithm:
  name: selfplay_ppo
  steps_per_iteration: 60
  epochs: 2
  minibatches: 2
  opponent_delta: 0.5
  dense_anneal_fraction: 0.5
policy:
)" + policy + R"(
training:
  total_env_steps: 1000
)";
}

const char* kMlp = "  type: gaussian_mlp\n  hidden: [16]";
const char* kLstm = "  type: lstm\n  embedding: 8\n  lstm_hidden: 8\n  bptt: 4";

fs::path test_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("metarl_selfplay_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string write_file_in(const fs::path& dir, const std::string& text) {
  const fs::path path = dir / "experiment.yaml";
  std::ofstream(path) << text;
  return path.string();
}

// Runs `run` for two iterations in one call (into dir/straight) and in two,
// the second resuming (into dir/split); expects the same metrics rows and
// final checkpoint from both, and returns the straight run's directory.
std::string expect_split_run_to_match_straight(const RunOptions& run, const fs::path& dir) {
  RunOptions straight = run;
  straight.out_dir = (dir / "straight").string();
  straight.max_iterations = 2;
  run_experiment(straight);
  RunOptions split = run;
  split.out_dir = (dir / "split").string();
  split.max_iterations = 1;
  run_experiment(split);
  run_experiment(split);  // resumes after iteration 1
  EXPECT_EQ(deterministic_rows(split.out_dir), deterministic_rows(straight.out_dir));
  EXPECT_TRUE(read_file(split.out_dir + "/checkpoints/latest.pt") == read_file(straight.out_dir + "/checkpoints/latest.pt"))
      << "the final checkpoints differ";
  return straight.out_dir;
}

class SelfplayRun : public ::testing::TestWithParam<std::string> {};

TEST_P(SelfplayRun, TwoIterationsResumeBitExactlyAndReportOutcomes) {
  const fs::path dir = test_dir(GetParam() == kMlp ? "mlp" : "lstm");
  RunOptions run;
  run.experiment_path = write_file_in(dir, experiment(GetParam()));
  const std::string out = expect_split_run_to_match_straight(run, dir);
  ASSERT_EQ(deterministic_rows(out).size(), 2u);

  const auto win = metrics_column(out, "win_rate");
  const auto loss = metrics_column(out, "loss_rate");
  const auto draw = metrics_column(out, "draw_rate");
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(win[i] + loss[i] + draw[i], 1.0, 1e-12);
  const auto weight = metrics_column(out, "dense_weight");
  const auto steps = metrics_column(out, "env_steps");
  EXPECT_EQ(weight[0], 1.0);
  EXPECT_DOUBLE_EQ(weight[1], 1.0 - steps[0] / 500.0);  // over the first half of 1000 steps
  // δ = 0.5: version 0 alone, then [0.5, 1] holds version 1 alone.
  EXPECT_EQ(metrics_column(out, "pool_size"), (std::vector<double>{1, 1}));
  EXPECT_EQ(metrics_column(out, "opponent_version"), (std::vector<double>{0, 1}));
  EXPECT_GE(steps[0], 60);
  EXPECT_TRUE(fs::exists(fs::path(out) / "plots" / "match_outcomes.png"));
  fs::remove_all(dir);
}

TEST(Selfplay, FixedPlayersMixedIntoThePoolResumeBitExactly) {
  // Sumo2D, which has a scripted player as well as the random one.
  const fs::path dir = test_dir("mixed");
  std::string text = experiment(kMlp);
  text.replace(text.find("LineSumo"), 8, "Sumo2D");
  text.replace(text.find("  dense_anneal_fraction: 0.5"), 0, "  mixed_opponents: {random: 0.3, scripted: 0.4}\n");
  RunOptions run;
  run.experiment_path = write_file_in(dir, text);
  const std::string out = expect_split_run_to_match_straight(run, dir);
  // The win rate against each kind of opponent, each a rate (or NaN in an iteration without such a match).
  for (const char* column : {"win_rate_vs_pool", "win_rate_vs_random", "win_rate_vs_scripted"})
    for (const double rate : metrics_column(out, column))
      EXPECT_TRUE(std::isnan(rate) || (rate >= 0 && rate <= 1)) << column << " " << rate;
  EXPECT_TRUE(fs::exists(fs::path(out) / "plots" / "win_rates_by_opponent.png"));
  fs::remove_all(dir);
}

TEST(Selfplay, AnEnsembleTakesTurnsAndResumesBitExactly) {
  const fs::path dir = test_dir("ensemble");
  std::string text = experiment(kMlp);
  text.replace(text.find("  dense_anneal_fraction: 0.5"), 0, "  ensemble: 2\n");
  RunOptions run;
  run.experiment_path = write_file_in(dir, text);
  const std::string out = expect_split_run_to_match_straight(run, dir);  // the resume starts member 1's turn
  EXPECT_EQ(metrics_column(out, "member"), (std::vector<double>{0, 1}));
  EXPECT_EQ(metrics_column(out, "iteration"), (std::vector<double>{1, 2}));
  // Both members' initial versions, then member 0's first snapshot.
  EXPECT_EQ(metrics_column(out, "pool_size"), (std::vector<double>{1, 2}));  // δ = 0.5 keeps [ceil(v/2), v]
  // Reduced, it plays as member 0, as before.
  const auto member0 = load_player(out, 3, Box({1}, -1, 1), "LineSumo").policy->parameters();
  reduce_checkpoints({out});
  const auto reduced = load_player(out, 3, Box({1}, -1, 1), "LineSumo").policy->parameters();
  ASSERT_EQ(reduced.size(), member0.size());
  for (size_t i = 0; i < reduced.size(); ++i) EXPECT_TRUE(torch::equal(reduced[i], member0[i]));
  fs::remove_all(dir);
}

TEST(Selfplay, Rl2TrialsHoldWholeIterationsResumeBitExactlyAndPlayAsRl2Players) {
  const fs::path dir = test_dir("rl2");
  std::string text = experiment(kLstm);
  text.replace(text.find("  options:"), 0, "  trial_episodes: 3\n");
  text.replace(text.find("  opponent_delta: 0.5"), 21, "  opponent_delta: 0");
  RunOptions run;
  run.experiment_path = write_file_in(dir, text);
  const std::string out = expect_split_run_to_match_straight(run, dir);
  const auto rounds = metrics_column(out, "rounds");
  ASSERT_EQ(rounds.size(), 2u);
  for (const double r : rounds) EXPECT_EQ(std::fmod(r, 3.0), 0.0) << r << " rounds: not whole trials of 3";
  // Iteration 1 meets version 0 only; in iteration 2 each trial's opponent
  // starts at a version in {0, 1} and advances to 1 (the newest) by round 1.
  const auto version = metrics_column(out, "opponent_version");
  EXPECT_EQ(version[0], 0.0);
  EXPECT_GE(version[1], (rounds[1] - rounds[1] / 3) / rounds[1] - 1e-12);
  // As a player: the RL² inputs after LineSumo's 3 observations.
  const Player player = load_player(out, 3, Box({1}, -1, 1), "LineSumo");
  EXPECT_TRUE(player.trial_inputs);
  EXPECT_EQ(player.policy->obs_dim(), 3 + kTrialInputs);
  ASSERT_TRUE(player.normalizer);
  EXPECT_EQ(player.normalizer->mean().size(0), 3 + kTrialInputs);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Policies, SelfplayRun, ::testing::Values(std::string(kMlp), std::string(kLstm)),
                         [](const auto& info) { return std::string(info.param == kMlp ? "Mlp" : "Lstm"); });

TEST(Selfplay, ARandomOpponentNeedsNoPool) {
  const fs::path dir = test_dir("random");
  RunOptions run;
  run.experiment_path = write_file_in(dir, experiment(kMlp));
  run.out_dir = (dir / "out").string();
  run.max_iterations = 2;
  run.overrides = {"algorithm.opponent=random", "algorithm.dense_anneal_fraction=0"};
  run_experiment(run);
  EXPECT_EQ(metrics_column(run.out_dir, "pool_size"), (std::vector<double>{0, 0}));
  EXPECT_TRUE(std::isnan(metrics_column(run.out_dir, "opponent_version")[0]));
  EXPECT_EQ(metrics_column(run.out_dir, "dense_weight"), (std::vector<double>{1, 1}));  // 0: never annealed
  fs::remove_all(dir);
}

TEST(Selfplay, AgentsOfDifferentKindsPlayAgentZeroAgainstAFixedOpponent) {
  const fs::path dir = test_dir("mismatched");
  RunOptions run;
  run.experiment_path = write_file_in(dir, experiment(kMlp));
  run.out_dir = (dir / "out").string();
  run.max_iterations = 1;
  run.overrides = {"env.options.mismatched_agents=true", "algorithm.opponent=random"};
  run_experiment(run);  // the learner's policy is agent 0's (3 -> 1) in rows 4 wide
  EXPECT_EQ(metrics_column(run.out_dir, "pool_size"), (std::vector<double>{0}));
  fs::remove_all(dir);
}

TEST(Selfplay, AnOpponentLoadedFromAnotherRunsCheckpointResumesExactly) {
  const fs::path dir = test_dir("checkpoint_opponent");
  RunOptions first;
  first.experiment_path = write_file_in(dir, experiment(kLstm));
  first.out_dir = (dir / "first").string();
  first.max_iterations = 1;
  run_experiment(first);
  const std::string checkpoint = first.out_dir + "/checkpoints/latest.pt";

  RunOptions against_checkpoint = first;
  against_checkpoint.overrides = {"algorithm.opponent.checkpoint=" + checkpoint, "seed=9"};
  const std::string out = expect_split_run_to_match_straight(against_checkpoint, dir);
  EXPECT_EQ(metrics_column(out, "pool_size"), (std::vector<double>{0, 0}));

  // The other kind of agent cannot take that policy: a one-line error with both sizes.
  RunOptions wrong = against_checkpoint;
  wrong.out_dir = (dir / "wrong").string();
  wrong.overrides.push_back("env.options.mismatched_agents=true");
  try {
    run_experiment(wrong);
    FAIL() << "a policy of another size was accepted as the opponent";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("observation 4 and action 2"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  fs::remove_all(dir);
}

std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  const fs::path dir = test_dir("errors");
  RunOptions run;
  run.experiment_path = write_file_in(dir, text);
  run.out_dir = (dir / "out").string();
  run.overrides = overrides;
  run.max_iterations = 1;
  try {
    run_experiment(run);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no ConfigError";
}

TEST(Selfplay, BadSettingsAreOneLineErrorsNamingTheKeyOrTheEnv) {
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.opponent_delta=1.5"}).find("algorithm.opponent_delta"),
            std::string::npos);
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.dense_anneal_fraction=-0.1"}).find("algorithm.dense_anneal_fraction"),
            std::string::npos);
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.snapshot_every=0"}).find("algorithm.snapshot_every"),
            std::string::npos);
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.opponent=latest"}).find("algorithm.opponent"), std::string::npos);
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.fixed_episodes=true"}).find("algorithm.fixed_episodes"),
            std::string::npos);
  const std::string not_a_match = error_of(experiment(kMlp), {"env.name=TwoPointMasses"});
  EXPECT_NE(not_a_match.find("TwoPointMasses is not one"), std::string::npos) << not_a_match;
  const std::string kinds = error_of(experiment(kMlp), {"env.options.mismatched_agents=true"});
  EXPECT_NE(kinds.find("LineSumo differ"), std::string::npos) << kinds;
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.opponent.checkpoint=/nonexistent/checkpoints/latest.pt"})
                .find("/nonexistent/checkpoints/latest.pt does not exist"),
            std::string::npos);
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.mixed_opponents.random=1.5"}).find("algorithm.mixed_opponents.random"),
            std::string::npos);
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.mixed_opponents.random=often"}).find("got often"),
            std::string::npos);
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.mixed_opponents.champion=0.1"}).find("names no player"),
            std::string::npos);
  const std::string sum = error_of(experiment(kMlp), {"algorithm.mixed_opponents={random: 0.7, scripted: 0.6}"});
  EXPECT_NE(sum.find("'algorithm.mixed_opponents' must have probabilities summing to at most 1"), std::string::npos)
      << sum;
  const std::string beside_fixed =
      error_of(experiment(kMlp), {"algorithm.opponent=random", "algorithm.mixed_opponents.random=0.5"});
  EXPECT_NE(beside_fixed.find("applies only to opponent: pool"), std::string::npos) << beside_fixed;
  const std::string ensemble_fixed = error_of(experiment(kMlp), {"algorithm.opponent=random", "algorithm.ensemble=2"});
  EXPECT_NE(ensemble_fixed.find("'algorithm.ensemble' applies only to opponent: pool"), std::string::npos)
      << ensemble_fixed;
  EXPECT_NE(error_of(experiment(kMlp), {"algorithm.ensemble=0"}).find("algorithm.ensemble"), std::string::npos);
  const std::string rl2_mlp = error_of(experiment(kMlp), {"env.trial_episodes=3"});
  EXPECT_NE(rl2_mlp.find("'env.trial_episodes' (RL²) needs policy.type lstm"), std::string::npos) << rl2_mlp;
  const std::string rl2_ensemble = error_of(experiment(kLstm), {"env.trial_episodes=3", "algorithm.ensemble=2"});
  EXPECT_NE(rl2_ensemble.find("not algorithm.ensemble > 1"), std::string::npos) << rl2_ensemble;
  const std::string one_agent = error_of(experiment(kMlp), {"env.name=HalfCheetah"});
  EXPECT_NE(one_agent.find("HalfCheetah has 1 agent"), std::string::npos) << one_agent;
}

TEST(Selfplay, IsListedWithTheOtherAlgorithms) {
  bool found = false;
  for (const auto* entry : algorithm_entries()) found |= entry->name == "selfplay_ppo";
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace metarl
