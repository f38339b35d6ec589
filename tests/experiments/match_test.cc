// `metarl match`: players, seats and the reported rates.
#include "experiments/match.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "experiments/adapt.h"
#include "experiments/players.h"
#include "experiments/run.h"
#include "tests/experiments/tiny_sumo2d_run.h"

namespace metarl {
namespace {

namespace fs = std::filesystem;

nlohmann::json play(const std::string& a, const std::string& b, const std::string& env, int64_t episodes,
                    const std::string& env_options = "") {
  MatchOptions options;
  options.player_a = a;
  options.player_b = b;
  options.env = env;
  options.env_options = env_options;
  options.episodes = episodes;
  options.num_envs = 8;
  options.threads = 1;
  std::ostringstream out;
  run_match(options, out);
  return nlohmann::json::parse(out.str());
}

TEST(Match, TheScriptedSumo2DPlayerBeatsRandomFromBothSeatsAndTheRatesAddUp) {
  const auto row = play("scripted", "random", "Sumo2D", 16);
  EXPECT_EQ(row["episodes"], 16);
  EXPECT_EQ(row["seats"], "alternating");
  const double won = row["a_won"]["rate"], lost = row["a_lost"]["rate"], drew = row["drew"]["rate"];
  EXPECT_DOUBLE_EQ(won + lost + drew, 1.0);
  EXPECT_GE(won, 14.0 / 16);
  EXPECT_LE(row["a_won"]["ci95"][0].get<double>(), won);
  EXPECT_GE(row["a_won"]["ci95"][1].get<double>(), won);
  // The other way round: B's wins are A's losses, pushed out.
  const auto reverse = play("random", "scripted", "Sumo2D", 16);
  EXPECT_GE(reverse["a_lost"]["rate"].get<double>(), 14.0 / 16);
  EXPECT_EQ(reverse["a_lost_pushed_out"].get<int64_t>() + reverse["a_lost_fell"].get<int64_t>(),
            int64_t(std::llround(reverse["a_lost"]["rate"].get<double>() * 16)));
}

TEST(Match, RobotsOfTwoKindsKeepTheirSeats) {
  // The calibration's matches: each player plays the robot its policy fits.
  const auto row = play("random", "random", "SumoAnt", 2, "robot0=ant,robot1=bug,max_episode_steps=5");
  EXPECT_EQ(row["seats"], "a is agent 0");
  EXPECT_EQ(row["env_options"], "max_episode_steps=5,robot0=ant,robot1=bug");
  EXPECT_EQ(row["episodes"], 8);  // one round of the 8 envs
}

TEST(Match, LoadingAPlayerLeavesTorchsGlobalGeneratorAsItWas) {
  // Else a run that loads an opponent would initialise its learner differently.
  torch::manual_seed(5);
  const torch::Tensor expected = torch::rand({4});
  torch::manual_seed(5);
  const Player random = load_player("random", 21, Box({4}, -1, 1), "Sumo2D");
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected));
}

TEST(Match, BadPlayersAndEnvsAreOneLineErrorsNamingThem) {
  try {
    play("scripted", "random", "SumoAnt", 8);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("only Sumo2D has a scripted player"), std::string::npos) << e.what();
  }
  try {
    play("no/such/run", "random", "Sumo2D", 8);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/run"), std::string::npos) << e.what();
  }
  EXPECT_THROW(play("random", "random", "HalfCheetah", 8), std::invalid_argument);
  EXPECT_THROW(play("random", "random", "", 8), std::invalid_argument);  // no run to take the env from
}

TEST(Match, ARunPlaysAsItsCheckpointSaysBeforeAndAfterReduce) {
  const fs::path run = tiny_sumo2d_run("match_test");
  const auto full = play(run.string(), "random", "", 8);  // the env comes from the run
  EXPECT_EQ(full["env"], "Sumo2D");
  EXPECT_EQ(full["env_options"], "max_episode_steps=12");
  const auto before = fs::file_size(run / "checkpoints" / "latest.pt");
  reduce_checkpoints({run.string()});  // also reads the run's own config.yaml back
  EXPECT_LT(fs::file_size(run / "checkpoints" / "latest.pt"), before);
  EXPECT_EQ(play(run.string(), "random", "", 8), full);
  // --env-options go on top of the run's.
  EXPECT_EQ(play(run.string(), "random", "", 8, "max_episode_steps=7")["env_options"], "max_episode_steps=7");

  // mean: plays the same policy's mean action, with no spread to speak of;
  // its env still comes from the run.
  const Box action({4}, -1, 1);
  const Player sampled = load_player(run.string(), 21, action, "Sumo2D");
  const Player mean = load_player("mean:" + run.string(), 21, action, "Sumo2D");
  EXPECT_EQ(mean.label, "mean:" + run.string());
  const torch::Tensor obs = torch::randn({3, 21});
  PolicyState none;
  const DiagGaussian s = sampled.policy->step(obs, torch::zeros({3}), none, sampled.policy->parameters());
  const DiagGaussian m = mean.policy->step(obs, torch::zeros({3}), none, mean.policy->parameters());
  EXPECT_TRUE(torch::equal(m.mean, s.mean));
  EXPECT_NEAR(m.log_std.exp().max().item<double>(), 1e-3, 1e-9);
  EXPECT_GT(s.log_std.exp().min().item<double>(), 0.1);
  EXPECT_EQ(play("mean:" + run.string(), "random", "", 8)["env"], "Sumo2D");
  try {
    load_player("mean:random", 21, action, "Sumo2D");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("mean:random"), std::string::npos) << e.what();
  }
}

TEST(Match, RunsTrainedWithOtherEnvOptionsMeetOnlyWhereTheCommandSaysHow) {
  // A copy of a run whose config says it saw longer matches: the same env,
  // one option set otherwise.
  const fs::path run = tiny_sumo2d_run("match_options_test");
  const fs::path other = run.parent_path() / "other";
  fs::remove_all(other);
  fs::copy(run, other, fs::copy_options::recursive);
  const fs::path config = other / "config.yaml";
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::string from = "max_episode_steps: 12", to = "max_episode_steps: 20";
  ASSERT_NE(text.find(from), std::string::npos) << text;
  text.replace(text.find(from), from.size(), to);
  std::ofstream(config) << text;

  try {
    play(run.string(), other.string(), "", 4);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("max_episode_steps=12, max_episode_steps=20"), std::string::npos) << message;
    EXPECT_NE(message.find(other.string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // Setting the option for both, or naming the env, is the user's choice.
  EXPECT_EQ(play(run.string(), other.string(), "", 4, "max_episode_steps=7")["env_options"], "max_episode_steps=7");
  EXPECT_EQ(play(run.string(), other.string(), "Sumo2D", 4, "max_episode_steps=7")["env_options"],
            "max_episode_steps=7");
  // A built-in player has no env of its own to disagree with.
  EXPECT_EQ(play(other.string(), "random", "", 4)["env_options"], "max_episode_steps=20");
}

}  // namespace
}  // namespace metarl
