// `metarl tournament`: round and game winners, a rigged population's
// ratings, an interrupted tournament resumed, one played by two processes,
// and bad population files.
#include "experiments/tournament.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/file_io.h"
#include "tests/experiments/run_outputs.h"
#include "tests/experiments/tiny_sumo2d_run.h"
#include "tests/support/ranks.h"

namespace metarl {
namespace {

namespace fs = std::filesystem;

fs::path test_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("metarl_tournament_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string write_population(const fs::path& dir, const std::string& text) {
  const fs::path path = dir / "population.in.yaml";
  std::ofstream(path) << text;
  return path.string();
}

// The pusher and two random players: the pusher wins ~94 % of its matches
// against random. Two games side by side (8 envs, 4 episodes a round): the
// three games are played in a wave of two and one of one.
const char* kRigged = R"(env: Sumo2D
seed: 3
rounds: 3
episodes_per_round: 4
envs: 8
threads: 1
agents:
  pusher: {player: scripted}
  random_a: {player: random}
  random_b: {player: random}
)";

TEST(Tournament, RoundsGoToTheMoreWinsAndGamesNeedAFivePercentMargin) {
  EXPECT_EQ(winner_by_margin(2, 1, 3, 0), 1.0);
  EXPECT_EQ(winner_by_margin(1, 2, 3, 0), 0.0);
  EXPECT_EQ(winner_by_margin(1, 1, 3, 0), 0.5);  // the third episode drawn
  EXPECT_EQ(winner_by_margin(0, 0, 3, 0), 0.5);
  EXPECT_EQ(winner_by_margin(5, 4, 10, 0.05), 1.0);      // 1 round ahead of 10: 10 % >= 5 %
  EXPECT_EQ(winner_by_margin(50, 47, 100, 0.05), 0.5);   // 3 % ahead: drawn
  EXPECT_EQ(winner_by_margin(52, 47, 100, 0.05), 1.0);   // exactly 5 %
  EXPECT_EQ(winner_by_margin(47, 52, 100, 0.05), 0.0);
  EXPECT_EQ(winner_by_margin(40, 40, 100, 0.05), 0.5);   // 20 rounds drawn
}

TEST(Tournament, ARiggedPopulationIsRatedInOrderAndEveryFileIsWritten) {
  const fs::path dir = test_dir("rigged");
  TournamentOptions options;
  options.population_path = write_population(dir, kRigged);
  options.out_dir = (dir / "out").string();
  run_tournament(options);

  const auto matches = read_csv_cells(dir / "out" / "matches.csv");
  ASSERT_EQ(matches.size(), 4u);  // header + the 3 pairs
  for (size_t g = 1; g < matches.size(); ++g) {
    const auto& r = matches[g];
    EXPECT_EQ(r[0], std::to_string(g - 1));
    EXPECT_EQ(std::stoi(r[3]), 3);   // rounds
    EXPECT_EQ(std::stoi(r[4]), 12);  // episodes
    EXPECT_EQ(std::stoi(r[5]) + std::stoi(r[6]) + std::stoi(r[7]), 3);
    EXPECT_EQ(std::stoi(r[8]) + std::stoi(r[9]) + std::stoi(r[10]), 12);
  }
  const nlohmann::json summary = nlohmann::json::parse(read_file((dir / "out" / "summary.json").string()));
  ASSERT_EQ(summary["ranking"].size(), 3u);
  EXPECT_EQ(summary["ranking"][0]["agent"], "pusher");
  EXPECT_EQ(summary["games"], 3);
  const auto elo = read_csv_cells(dir / "out" / "elo.csv");
  ASSERT_EQ(elo.size(), 4u);
  EXPECT_EQ(elo[1][1], "pusher");  // ranked by TrueSkill's μ − 3σ, then Elo beside it
  for (size_t i = 1; i < elo.size(); ++i) {
    const double rating = std::stod(elo[i][2]);
    EXPECT_LE(std::stod(elo[i][3]), rating);  // the interval holds the rating
    EXPECT_GE(std::stod(elo[i][4]), rating);
  }
  EXPECT_GT(std::stod(elo[1][2]), std::max(std::stod(elo[2][2]), std::stod(elo[3][2])) + 200);
  const auto rates = read_csv_cells(dir / "out" / "win_rates.csv");
  ASSERT_EQ(rates.size(), 4u);
  EXPECT_EQ(rates[0], (std::vector<std::string>{"agent", "pusher", "random_a", "random_b"}));
  EXPECT_GT(std::stod(rates[1][2]), 0.7);  // pusher against random_a
  EXPECT_NEAR(std::stod(rates[1][2]) + std::stod(rates[2][1]), 1.0, 1e-5);
  EXPECT_EQ(rates[1][1], "");  // no agent plays itself
  for (const char* file : {"trueskill.csv", "win_rates.png", "elo.png", "population.yaml"})
    EXPECT_TRUE(fs::exists(dir / "out" / file)) << file;
  fs::remove_all(dir);
}

TEST(Tournament, TwoProcessesPlayTheGamesOneProcessPlays) {
  // One directory for both ranks, its population written before rank 1 starts.
  const fs::path dir = fs::path(::testing::TempDir()) / "metarl_tournament_test_two_processes";
  if (!std::getenv("METARL_TEST_RANK")) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    // Four agents, six games in waves of two: rank 0 plays waves 0 and 2, rank 1 wave 1.
    write_population(dir, std::string(kRigged) + "  random_c: {player: random}\n");
  }
  testing::Ranks ranks(2);
  const std::string population = (dir / "population.in.yaml").string();
  TournamentOptions two{population, (dir / "two").string()};
  two.distributed = ranks.config();
  run_tournament(two);
  if (ranks.is_child()) return;
  ranks.join();
  run_tournament({population, (dir / "one").string()});
  EXPECT_EQ(read_csv_cells(dir / "two" / "matches.csv").size(), 7u);
  for (const char* file : {"matches.csv", "trueskill.csv", "elo.csv", "win_rates.csv", "population.yaml"})
    EXPECT_EQ(read_file((dir / "two" / file).string()), read_file((dir / "one" / file).string())) << file;
  fs::remove_all(dir);
}

TEST(Tournament, StoppedAndResumedItRatesAsAnUninterruptedOne) {
  const fs::path dir = test_dir("resume");
  const std::string population = write_population(dir, kRigged);
  TournamentOptions straight{population, (dir / "straight").string()};
  run_tournament(straight);
  // Stopped after the first wave (its two games), resumed with another
  // number of threads: the same games and ratings.
  TournamentOptions split{population, (dir / "split").string()};
  split.max_games = 1;
  run_tournament(split);
  EXPECT_EQ(read_csv_cells(dir / "split" / "matches.csv").size(), 3u);
  split.max_games = -1;
  split.threads = 2;
  run_tournament(split);
  for (const char* file : {"matches.csv", "trueskill.csv", "elo.csv", "win_rates.csv"})
    EXPECT_EQ(read_file((dir / "split" / file).string()), read_file((dir / "straight" / file).string())) << file;
  // Another population into the same directory is refused, the files kept.
  const std::string other = write_population(dir, std::string(kRigged) + "  random_c: {player: random}\n");
  try {
    run_tournament({other, (dir / "split").string()});
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("another population"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file((dir / "split" / "matches.csv").string()), read_file((dir / "straight" / "matches.csv").string()));
  fs::remove_all(dir);
}

std::string error_of(const fs::path& dir, const std::string& text) {
  try {
    run_tournament({write_population(dir, text), (dir / "out").string()});
  } catch (const std::exception& e) {
    EXPECT_FALSE(fs::exists(dir / "out" / "matches.csv")) << "wrote before refusing: " << e.what();
    return e.what();
  }
  return "accepted";
}

TEST(Tournament, AnRl2PlayerMeetsPlainPlayersFromEitherSide) {
  // Seated first or as an opponent, it gets its RL² inputs and the others none.
  const fs::path dir = test_dir("rl2");
  const fs::path rl2 = tiny_sumo2d_rl2_run("tournament_rl2");
  const fs::path plain = tiny_sumo2d_run("tournament_plain");
  const std::string population = write_population(
      dir, "env: Sumo2D\nenv_options: {max_episode_steps: 30}\nseed: 1\nrounds: 2\nepisodes_per_round: 2\n"
           "envs: 4\nthreads: 1\nagents:\n"
           "  rl2: {run: " + rl2.string() + "}\n"
           "  plain: {run: " + plain.string() + "}\n"
           "  random: {player: random}\n");
  run_tournament({population, (dir / "out").string()});
  const auto matches = read_csv_cells(dir / "out" / "matches.csv");
  ASSERT_EQ(matches.size(), 4u);  // every pair once
  for (size_t g = 1; g < matches.size(); ++g)
    EXPECT_EQ(std::stoi(matches[g][8]) + std::stoi(matches[g][9]) + std::stoi(matches[g][10]), 4);
  fs::remove_all(dir);
  fs::remove_all(rl2.parent_path());
  fs::remove_all(plain.parent_path());
}

TEST(Tournament, AgentsThatTrackAdaptBetweenRoundsAndResumeExactly) {
  const fs::path dir = test_dir("tracking");
  const fs::path run = tiny_sumo2d_run("tournament_tracker");
  const std::string population = write_population(
      dir, "env: Sumo2D\nenv_options: {max_episode_steps: 40}\nseed: 2\nrounds: 3\nepisodes_per_round: 3\n"
           "envs: 6\nthreads: 1\ntracking: {learning_rate: 0.05, epochs: 2}\nagents:\n"
           "  tiny: {run: " + run.string() + "}\n"
           "  tiny_tracking: {run: " + run.string() + ", adaptation: tracking}\n"
           "  random: {player: random}\n");
  TournamentOptions straight{population, (dir / "straight").string()};
  run_tournament(straight);
  const auto matches = read_csv_cells(dir / "straight" / "matches.csv");
  ASSERT_EQ(matches.size(), 4u);
  for (size_t g = 1; g < matches.size(); ++g) {
    EXPECT_EQ(std::stoi(matches[g][4]), 9);  // 3 rounds of 3 matches, two games side by side
    EXPECT_EQ(std::stoi(matches[g][8]) + std::stoi(matches[g][9]) + std::stoi(matches[g][10]), 9);
  }
  // Each game starts the tracker from its checkpoint, so a resumed
  // tournament plays the games it had left exactly as an uninterrupted one.
  TournamentOptions split{population, (dir / "split").string()};
  split.max_games = 2;
  run_tournament(split);
  split.max_games = -1;
  run_tournament(split);
  for (const char* file : {"matches.csv", "trueskill.csv", "elo.csv"})
    EXPECT_EQ(read_file((dir / "split" / file).string()), read_file((dir / "straight" / file).string())) << file;
  const auto summary = nlohmann::json::parse(read_file((dir / "straight" / "summary.json").string()));
  int tracking = 0;
  for (const auto& entry : summary["ranking"]) tracking += entry["adaptation"] == "tracking";
  EXPECT_EQ(tracking, 1);
  const std::string bad = error_of(dir, "env: Sumo2D\nagents:\n  a: {player: random, adaptation: rl2}\n"
                                        "  b: {player: random}\n");
  EXPECT_NE(bad.find("agents.a.adaptation"), std::string::npos) << bad;
  EXPECT_NE(bad.find("metarl game --adapt rl2"), std::string::npos) << bad;  // RL² memory across matches is a game's
  fs::remove_all(dir);
  fs::remove_all(run.parent_path());
}

TEST(Tournament, BadPopulationsAreOneLineErrorsNamingTheEntry) {
  const fs::path dir = test_dir("bad");
  const fs::path run = tiny_sumo2d_run("tournament_player");
  const std::string head = "env: Sumo2D\nenvs: 2\nthreads: 1\nagents:\n  random: {player: random}\n";
  const std::string no_run = error_of(dir, head + "  ghost: {run: /no/such/run}\n");
  EXPECT_NE(no_run.find("agent 'ghost'"), std::string::npos) << no_run;
  const std::string no_snapshot = error_of(dir, head + "  early: {run: " + run.string() + ", snapshot: steps_7}\n");
  EXPECT_NE(no_snapshot.find("agent 'early'"), std::string::npos) << no_snapshot;
  EXPECT_NE(no_snapshot.find("steps_7.pt"), std::string::npos) << no_snapshot;
  const std::string other_env =
      error_of(dir, "env: SumoAnt\nagents:\n  random: {player: random}\n  tiny: {run: " + run.string() + "}\n");
  EXPECT_NE(other_env.find("agent 'tiny' was trained in Sumo2D, the tournament plays SumoAnt"), std::string::npos)
      << other_env;
  const std::string both = error_of(dir, head + "  odd: {run: " + run.string() + ", player: random}\n");
  EXPECT_NE(both.find("agents.odd"), std::string::npos) << both;
  const std::string typo = error_of(dir, head + "  tiny: {run: " + run.string() + ", snapshoot: steps_0}\n");
  EXPECT_NE(typo.find("agents.tiny.snapshoot"), std::string::npos) << typo;
  const std::string dotted = error_of(dir, head + "  v0.5: {player: scripted}\n");
  EXPECT_NE(dotted.find("'agents.v0.5'"), std::string::npos) << dotted;
  const std::string no_envs =
      error_of(dir, "env: Sumo2D\nenvs: 0\nagents:\n  random: {player: random}\n  pusher: {player: scripted}\n");
  EXPECT_NE(no_envs.find("'envs'"), std::string::npos) << no_envs;
  const std::string alone = error_of(dir, "env: Sumo2D\nagents:\n  random: {player: random}\n");
  EXPECT_NE(alone.find("at least two agents"), std::string::npos) << alone;
  const std::string games = error_of(dir, head + "  pusher: {player: scripted}\ngames: many\n");
  EXPECT_NE(games.find("'games'"), std::string::npos) << games;
  const std::string meta_random = error_of(dir, head + "  learner: {player: scripted, adaptation: meta}\n");
  EXPECT_NE(meta_random.find("agent 'learner': player scripted cannot adapt by meta"), std::string::npos)
      << meta_random;
  const std::string meta_ppo = error_of(dir, head + "  tiny: {run: " + run.string() + ", adaptation: meta}\n");
  EXPECT_NE(meta_ppo.find("agent 'tiny'"), std::string::npos) << meta_ppo;
  EXPECT_NE(meta_ppo.find("learned no update"), std::string::npos) << meta_ppo;
  const std::string unknown_player = error_of(dir, head + "  champion: {player: champion}\n");
  EXPECT_NE(unknown_player.find("agent 'champion'"), std::string::npos) << unknown_player;
  // The run's own env is the default.
  const std::string from_run = error_of(dir, "envs: 2\nthreads: 1\nrounds: 1\nepisodes_per_round: 2\nagents:\n"
                                             "  tiny: {run: " + run.string() + "}\n  random: {player: random}\n");
  EXPECT_EQ(from_run, "accepted");
  fs::remove_all(dir);
  fs::remove_all(run.parent_path());
}

}  // namespace
}  // namespace metarl
