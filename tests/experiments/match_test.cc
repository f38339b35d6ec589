// `metarl match`: players, seats and the reported rates.
#include "experiments/match.h"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace metarl {
namespace {

nlohmann::json play(const std::string& a, const std::string& b, const std::string& env, int64_t episodes) {
  MatchOptions options;
  options.player_a = a;
  options.player_b = b;
  options.env = env;
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

}  // namespace
}  // namespace metarl
