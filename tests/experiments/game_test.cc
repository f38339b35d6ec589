// `metarl game`: the opponent's versions round by round, adaptation only
// between rounds, repeatability, and its errors.
#include "experiments/game.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/file_io.h"
#include "envs/vector_env.h"
#include "experiments/match.h"
#include "experiments/players.h"
#include "tests/experiments/run_outputs.h"
#include "tests/experiments/tiny_sumo2d_run.h"

namespace metarl {
namespace {

namespace fs = std::filesystem;

fs::path test_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("metarl_game_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

GameOptions small_game(const std::string& agent, const fs::path& out) {
  GameOptions o;
  o.agent = agent;
  o.opponents = {"random", "scripted"};
  o.env = "Sumo2D";
  o.env_options = "max_episode_steps=60";
  o.rounds = 4;
  o.episodes_per_round = 4;
  o.repeats = 2;
  o.last_rounds = 2;
  o.out_dir = out.string();
  return o;
}

TEST(Game, AResolvedRunIsItsSnapshotsInStepOrder) {
  const fs::path dir = test_dir("snapshots");
  fs::create_directories(dir / "run" / "checkpoints");
  for (const char* name : {"steps_2000.pt", "steps_10000.pt", "steps_300.pt", "latest.pt"})
    std::ofstream(dir / "run" / "checkpoints" / name) << "x";
  const auto sequence = opponent_sequence({(dir / "run").string()});
  ASSERT_EQ(sequence.size(), 3u);
  EXPECT_EQ(fs::path(sequence[0]).filename(), "steps_300.pt");
  EXPECT_EQ(fs::path(sequence[1]).filename(), "steps_2000.pt");
  EXPECT_EQ(fs::path(sequence[2]).filename(), "steps_10000.pt");
  EXPECT_EQ(opponent_sequence({"random", "scripted"}), (std::vector<std::string>{"random", "scripted"}));
  fs::create_directories(dir / "bare");
  EXPECT_THROW(opponent_sequence({(dir / "bare").string()}), std::invalid_argument);
  fs::remove_all(dir);
}

TEST(Game, TheOpponentAdvancesOncePerRoundAndTheRecordsAddUp) {
  const fs::path dir = test_dir("advance");
  const fs::path run = tiny_sumo2d_run("game_agent");
  run_game(small_game(run.string(), dir / "out"));
  const auto rounds = read_csv_cells(dir / "out" / "game_rounds.csv");
  ASSERT_EQ(rounds.size(), 1u + 2 * 4);
  for (size_t i = 1; i < rounds.size(); ++i) {
    const int k = std::stoi(rounds[i][1]);
    EXPECT_EQ(std::stoi(rounds[i][0]), int(i - 1) / 4);        // repeat
    EXPECT_EQ(k, int(i - 1) % 4);                               // round
    EXPECT_EQ(rounds[i][2], k == 0 ? "random" : "scripted");    // then the last version stays
    EXPECT_EQ(std::stoi(rounds[i][3]) + std::stoi(rounds[i][4]) + std::stoi(rounds[i][5]), 4);
  }
  const auto curve = read_csv_cells(dir / "out" / "game.csv");
  ASSERT_EQ(curve.size(), 1u + 4);
  for (size_t k = 1; k < curve.size(); ++k)
    EXPECT_NEAR(std::stod(curve[k][2]) + std::stod(curve[k][4]) + std::stod(curve[k][5]), 1.0, 1e-5);
  const auto summary = nlohmann::json::parse(read_file((dir / "out" / "summary.json").string()));
  EXPECT_EQ(summary["games"]["won"].get<int>() + summary["games"]["drawn"].get<int>() +
                summary["games"]["lost"].get<int>(),
            2);
  EXPECT_TRUE(fs::exists(dir / "out" / "game.png"));
  fs::remove_all(dir);
  fs::remove_all(run.parent_path());
}

TEST(Game, TrackingAdaptsOnlyBetweenRoundsAndRepeatsExactly) {
  const fs::path dir = test_dir("tracking");
  const fs::path run = tiny_sumo2d_run("game_tracker");
  GameOptions none = small_game(run.string(), dir / "none");
  run_game(none);
  GameOptions tracking = small_game(run.string(), dir / "tracking");
  tracking.adaptation = "tracking";
  tracking.tracking_learning_rate = 0.05;  // large, so that it shows
  run_game(tracking);
  const auto a = read_csv_cells(dir / "none" / "game_rounds.csv");
  const auto b = read_csv_cells(dir / "tracking" / "game_rounds.csv");
  // Round 0 of each repeat is played before any adaptation: the same matches.
  EXPECT_EQ(a[1], b[1]);
  EXPECT_EQ(a[5], b[5]);
  // After it, the tracker's updates (large steps here) change how the agent plays.
  EXPECT_NE(a, b);
  // The same command again: the same game.
  GameOptions again = tracking;
  again.out_dir = (dir / "again").string();
  run_game(again);
  EXPECT_EQ(read_file((dir / "again" / "game_rounds.csv").string()),
            read_file((dir / "tracking" / "game_rounds.csv").string()));
  fs::remove_all(dir);
  fs::remove_all(run.parent_path());
}

TEST(Game, TheMetaLearnedUpdateAdaptsOnlyBetweenRoundsAndRepeatsExactly) {
  const fs::path dir = test_dir("meta");
  const fs::path run = tiny_sumo2d_meta_run("game_meta", 0.1);
  GameOptions none = small_game(run.string(), dir / "none");
  run_game(none);
  GameOptions meta = small_game(run.string(), dir / "meta");
  meta.adaptation = "meta";
  meta.meta_history = 8;
  run_game(meta);
  const auto a = read_csv_cells(dir / "none" / "game_rounds.csv");
  const auto b = read_csv_cells(dir / "meta" / "game_rounds.csv");
  EXPECT_EQ(a[1], b[1]);  // round 0 of each repeat: θ in both
  EXPECT_EQ(a[5], b[5]);
  EXPECT_NE(a, b);        // then the adapted parameters play
  GameOptions again = meta;
  again.out_dir = (dir / "again").string();
  run_game(again);
  EXPECT_EQ(read_file((dir / "again" / "game_rounds.csv").string()),
            read_file((dir / "meta" / "game_rounds.csv").string()));
  EXPECT_EQ(nlohmann::json::parse(read_file((dir / "meta" / "game.json").string()))["meta_history"], 8);
  // A self-play PPO run learned no update to take.
  const fs::path ppo = tiny_sumo2d_run("game_meta_ppo");
  GameOptions wrong = small_game(ppo.string(), dir / "wrong");
  wrong.adaptation = "meta";
  try {
    run_game(wrong);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("learned no update"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "wrong"));
  fs::remove_all(dir);
  fs::remove_all(run.parent_path());
  fs::remove_all(ppo.parent_path());
}

TEST(Game, StoppedAfterARepeatAndResumedItIsTheUninterruptedGame) {
  const fs::path dir = test_dir("resume");
  const fs::path run = tiny_sumo2d_run("game_resumed");
  GameOptions straight = small_game(run.string(), dir / "straight");
  straight.adaptation = "tracking";
  run_game(straight);
  GameOptions split = straight;
  split.out_dir = (dir / "split").string();
  split.max_repeats = 1;
  run_game(split);
  EXPECT_EQ(read_csv_cells(dir / "split" / "game_rounds.csv").size(), 1u + 4);  // one repeat of 4 rounds
  EXPECT_FALSE(fs::exists(dir / "split" / "summary.json"));
  split.max_repeats = -1;
  run_game(split);
  for (const char* file : {"game_rounds.csv", "game.csv", "summary.json"})
    EXPECT_EQ(read_file((dir / "split" / file).string()), read_file((dir / "straight" / file).string())) << file;
  GameOptions other = split;
  other.rounds = 5;
  try {
    run_game(other);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("holds another game"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
  fs::remove_all(run.parent_path());
}

TEST(Game, AnRl2AgentsMemoryRunsFromRoundToRoundAndAFreshGameStartsWithout) {
  const fs::path run = tiny_sumo2d_rl2_run("game_rl2");
  VectorEnv env("Sumo2D", 3, 1, Options::parse("max_episode_steps=20"));
  env.seed(5);
  const Box& action = env.action_space(0);
  const int obs_dim = env.observation_space(0).size();
  const Player agent = load_player(run.string(), obs_dim, action, "Sumo2D");
  const Player opponent = load_player("random", obs_dim, action, "Sumo2D");
  ASSERT_TRUE(agent.trial_inputs);
  TrialMemory memory;
  const EpisodeBatch first = play_round(env, agent, opponent, 0, 1, nullptr, &memory);
  const TrialMemory after_first = memory;
  const EpisodeBatch second = play_round(env, agent, opponent, 1, 2, nullptr, &memory);
  // The second round starts from the state each env's match ended with; only the first starts a memory.
  EXPECT_TRUE(torch::equal(second.initial_state.h, after_first.state.h));
  EXPECT_GT(after_first.state.h.abs().sum().item<float>(), 0.f);
  EXPECT_TRUE(torch::equal(first.episode_starts[0], torch::ones({3})));
  EXPECT_EQ(second.episode_starts.sum().item<float>(), 0.f);
  EXPECT_FALSE(torch::equal(memory.state.h, after_first.state.h));
  // A new game: a fresh memory starts from the initial state.
  TrialMemory fresh;
  const EpisodeBatch again = play_round(env, agent, opponent, 0, 1, nullptr, &fresh);
  EXPECT_EQ(again.initial_state.h.abs().sum().item<float>(), 0.f);
  EXPECT_TRUE(torch::equal(again.episode_starts[0], torch::ones({3})));
  // Only an RL² player has a memory to carry.
  TrialMemory none;
  EXPECT_THROW(play_round(env, opponent, agent, 0, 1, nullptr, &none), std::invalid_argument);

  // Whole games with it: each repeat starts afresh, so a game stopped after
  // its first repeat and resumed writes what an uninterrupted one does.
  const fs::path dir = test_dir("rl2");
  GameOptions o = small_game(run.string(), dir / "straight");
  o.adaptation = "rl2";
  run_game(o);
  o.out_dir = (dir / "split").string();
  o.max_repeats = 1;
  run_game(o);
  o.max_repeats = -1;
  run_game(o);
  EXPECT_EQ(read_file((dir / "split" / "game_rounds.csv").string()),
            read_file((dir / "straight" / "game_rounds.csv").string()));
  // Each round's matches, played one after another, are all recorded.
  const auto rounds = read_csv_cells(dir / "straight" / "game_rounds.csv");
  ASSERT_EQ(rounds.size(), 1u + 2 * 4);
  for (size_t i = 1; i < rounds.size(); ++i)
    EXPECT_EQ(std::stoi(rounds[i][3]) + std::stoi(rounds[i][4]) + std::stoi(rounds[i][5]), 4);
  fs::remove_all(dir);
  fs::remove_all(run.parent_path());
}

TEST(Game, BadOptionsAreRefusedBeforeAnythingIsWritten) {
  const fs::path dir = test_dir("bad");
  const auto refused = [&](GameOptions o, const std::string& expected) {
    try {
      run_game(o);
      ADD_FAILURE() << "accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "out")) << expected;
  };
  GameOptions o = small_game("random", dir / "out");
  o.adaptation = "rl3";
  refused(o, "--adapt must be none, tracking, meta or rl2");
  o = small_game("random", dir / "out");
  o.adaptation = "rl2";
  refused(o, "cannot adapt by rl2: it is not an RL² run");
  o = small_game("random", dir / "out");
  o.adaptation = "meta";
  refused(o, "cannot adapt by meta: it is not a run");
  o = small_game("random", dir / "out");
  o.last_rounds = 5;
  refused(o, "--last-rounds");
  o = small_game("random", dir / "out");
  o.opponents = {"/no/such/run"};
  refused(o, "/no/such/run");
  o = small_game("/no/agent", dir / "out");
  refused(o, "/no/agent");
  o = small_game("random", dir / "out");
  o.env = "";
  o.opponents = {"scripted"};
  refused(o, "name the env with --env");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace metarl
