// TrueSkill and Elo against the reference numbers of /work/shared/ANCHORS.md
// §3 (the `trueskill` library's defaults), and Elo fitted to a log of games
// against ratings it was generated from.
#include "meta/ratings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace metarl {
namespace {

void expect_rating(const Rating& r, double mu, double sigma) {
  EXPECT_NEAR(r.mu, mu, 1e-3);
  EXPECT_NEAR(r.sigma, sigma, 1e-3);
}

TEST(TrueSkill, MatchesTheReferenceLibrarysUpdates) {
  const TrueSkill ts;
  EXPECT_NEAR(ts.draw_margin(), 0.74047, 1e-5);
  const Rating fresh = ts.initial();
  auto [winner, loser] = ts.rate(fresh, fresh, 1);
  expect_rating(winner, 29.396, 7.171);
  expect_rating(loser, 20.604, 7.171);
  auto [draw_a, draw_b] = ts.rate(fresh, fresh, 0.5);
  expect_rating(draw_a, 25.000, 6.458);
  expect_rating(draw_b, 25.000, 6.458);
  EXPECT_NEAR(ts.match_quality(fresh, fresh), 0.447, 1e-3);

  const Rating weaker{25, 25.0 / 3}, stronger{30, 25.0 / 3};
  auto [upset_winner, upset_loser] = ts.rate(weaker, stronger, 1);
  expect_rating(upset_winner, 30.768, 7.030);
  expect_rating(upset_loser, 24.232, 7.030);
  auto [drew_weaker, drew_stronger] = ts.rate(weaker, stronger, 0.5);
  expect_rating(drew_weaker, 26.998, 6.458);
  expect_rating(drew_stronger, 28.002, 6.458);

  const Rating sure{30, 3}, unsure{20, 4};
  auto [expected_winner, expected_loser] = ts.rate(sure, unsure, 1);
  expect_rating(expected_winner, 30.256, 2.930);
  expect_rating(expected_loser, 19.544, 3.830);
  auto [surprise_winner, surprise_loser] = ts.rate(unsure, sure, 1);
  expect_rating(surprise_winner, 23.822, 3.521);
  expect_rating(surprise_loser, 27.850, 2.804);
}

TEST(TrueSkill, ALossIsTheOpponentsWinAndAFarUpsetStaysFinite) {
  const TrueSkill ts;
  const Rating a{27, 5}, b{22, 6};
  auto [a_lost, b_won] = ts.rate(a, b, 0);
  auto [b_won2, a_lost2] = ts.rate(b, a, 1);
  EXPECT_DOUBLE_EQ(a_lost.mu, a_lost2.mu);
  EXPECT_DOUBLE_EQ(a_lost.sigma, a_lost2.sigma);
  EXPECT_DOUBLE_EQ(b_won.mu, b_won2.mu);
  // 40 σ apart: Φ(t − ε) underflows, the update must not.
  auto [tiny_won, giant_lost] = ts.rate(Rating{0, 1}, Rating{1000, 1}, 1);
  EXPECT_TRUE(std::isfinite(tiny_won.mu) && std::isfinite(giant_lost.sigma));
  EXPECT_GT(tiny_won.mu, 0);
  EXPECT_LT(giant_lost.mu, 1000);
}

TEST(TrueSkill, WinProbabilityIsTheNormalCdfOfTheScaledGap) {
  const TrueSkill ts;
  EXPECT_DOUBLE_EQ(ts.win_probability(ts.initial(), ts.initial()), 0.5);
  // (μa − μb)/√(2β² + σa² + σb²) = 5/√(2·(25/6)² + 4 + 4) = 0.76497; Φ of it 0.77785.
  const Rating a{30, 2}, b{25, 2};
  EXPECT_NEAR(ts.win_probability(a, b), 0.77785, 1e-5);
  EXPECT_NEAR(ts.win_probability(a, b) + ts.win_probability(b, a), 1.0, 1e-12);
}

TEST(TrueSkill, ARiggedPopulationIsRankedInOrder) {
  // Player k always beats player j < k; games in a random order.
  std::mt19937 rng(3);
  std::vector<GameResult> games;
  for (int n = 0; n < 600; ++n) {
    int64_t a = int64_t(rng() % 4), b = int64_t(rng() % 4);
    if (a == b) continue;
    games.push_back({a, b, a > b ? 1.0 : 0.0});
  }
  const std::vector<Rating> r = TrueSkill().rate_all(4, games);
  for (int k = 1; k < 4; ++k) EXPECT_GT(r[size_t(k)].conservative(), r[size_t(k - 1)].conservative()) << k;
}

TEST(TrueSkill, BadSettingsAndGamesAreRefused) {
  EXPECT_THROW(TrueSkill(TrueSkillConfig{25, 0}), std::invalid_argument);
  TrueSkillConfig always_draw;
  always_draw.draw_probability = 1;
  EXPECT_THROW(TrueSkill{always_draw}, std::invalid_argument);
  const TrueSkill ts;
  EXPECT_THROW(ts.rate(ts.initial(), ts.initial(), 0.7), std::invalid_argument);
  EXPECT_THROW(ts.rate_all(2, {{0, 2, 1}}), std::invalid_argument);
  EXPECT_THROW(ts.rate_all(2, {{1, 1, 1}}), std::invalid_argument);
}

TEST(Elo, MatchesTheReferenceUpdate) {
  EXPECT_NEAR(elo_expected_score(1600, 1400), 0.7597, 1e-4);
  EXPECT_NEAR(elo_update(1600, 1400, 1).first - 1600, 7.69, 0.005);
  EXPECT_NEAR(elo_update(1600, 1400, 0.5).first - 1600, -8.31, 0.005);
  EXPECT_NEAR(elo_update(1600, 1400, 0).first - 1600, -24.31, 0.005);
  const auto [a, b] = elo_update(1600, 1400, 0);
  EXPECT_DOUBLE_EQ(a + b, 3000);  // what one gains the other loses
}

TEST(Elo, FittedToALogRecoversTheRatingsThatMadeIt) {
  // 20000 games a pair at ratings 0, 200, 500 (mean 233.3), with the wins
  // each pair's expected score says; a draw is half a win, so 0.2·min(E, 1 − E) of
  // the games are draws and the score is still E per game.
  const std::vector<double> truth = {0, 200, 500};
  std::vector<GameResult> games;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = i + 1; j < 3; ++j) {
      const double expected = elo_expected_score(truth[size_t(i)], truth[size_t(j)]);
      const int total = 20000, draws = int(0.2 * total * std::min(expected, 1 - expected));
      const int wins = int(std::lround(expected * total - draws / 2.0));
      for (int n = 0; n < total; ++n)
        games.push_back({i, j, n < wins ? 1.0 : n < wins + draws ? 0.5 : 0.0});
    }
  std::shuffle(games.begin(), games.end(), std::mt19937(1));
  const std::vector<double> fitted = elo_from_games(3, games);
  const double mean = (truth[0] + truth[1] + truth[2]) / 3;
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(fitted[k], truth[k] - mean, 1.0) << k;
  // The order of the games does not matter.
  std::reverse(games.begin(), games.end());
  const std::vector<double> reversed = elo_from_games(3, games);
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(reversed[k], fitted[k], 1e-4);
}

TEST(Elo, APlayerWhoWonEverythingIsRatedHighestButFinite) {
  std::vector<GameResult> games;
  for (int n = 0; n < 50; ++n) {
    games.push_back({2, 0, 1});
    games.push_back({2, 1, 1});
    games.push_back({1, 0, n % 2 ? 1.0 : 0.5});
  }
  const std::vector<double> r = elo_from_games(3, games);
  EXPECT_GT(r[2], r[1]);
  EXPECT_GT(r[1], r[0]);
  EXPECT_TRUE(std::isfinite(r[2]));
  EXPECT_NEAR(r[0] + r[1] + r[2], 0, 1e-9);
  EXPECT_THROW(elo_from_games(3, {{0, 3, 1}}), std::invalid_argument);
  EXPECT_THROW(elo_from_games(3, {{0, 1, 0.2}}), std::invalid_argument);
}

}  // namespace
}  // namespace metarl
