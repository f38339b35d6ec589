// Ratings of players from the games they played: TrueSkill (Herbrich et al.
// 2006, two players, draws included), Elo's online update, and Elo fitted to
// a whole log of games at once (the maximum-likelihood Bradley–Terry
// ratings on Elo's scale, as OpenSpiel's evaluation does: the order of the
// games does not matter, unlike the online update's).
// /work/shared/ANCHORS.md §3 has the formulas and the reference numbers the
// tests hold these to.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace metarl {

// One game's result from player a's side: 1 a won, 0.5 a draw, 0 a lost.
struct GameResult {
  int64_t a = 0, b = 0;
  double score_a = 0.5;
};

// --- TrueSkill ------------------------------------------------------------------

struct TrueSkillConfig {
  double mu = 25.0;
  double sigma = 25.0 / 3;
  double beta = 25.0 / 6;    // the spread of one game's performance
  double tau = 25.0 / 300;   // skill drift added before each game
  double draw_probability = 0.1;
};

struct Rating {
  double mu = 25.0, sigma = 25.0 / 3;
  double conservative() const { return mu - 3 * sigma; }  // μ − 3σ, what rankings sort by
};

class TrueSkill {
 public:
  // Throws std::invalid_argument for σ, β ≤ 0, τ < 0 or a draw probability outside [0, 1).
  explicit TrueSkill(const TrueSkillConfig& config = {});

  Rating initial() const { return {config_.mu, config_.sigma}; }
  // The draw margin m = Φ⁻¹((p_draw + 1)/2)·√2·β.
  double draw_margin() const { return draw_margin_; }
  // Both ratings after one game; `score_a` 1, 0.5 or 0 (a won, drew, lost).
  std::pair<Rating, Rating> rate(const Rating& a, const Rating& b, double score_a) const;
  // P(a beats b) = Φ((μa − μb)/√(2β² + σa² + σb²)).
  double win_probability(const Rating& a, const Rating& b) const;
  // How even the game is: √(2β²/c²)·exp(−(μa − μb)²/2c²).
  double match_quality(const Rating& a, const Rating& b) const;
  // Every player's rating after the `games` in their order, from initial().
  std::vector<Rating> rate_all(int64_t players, const std::vector<GameResult>& games) const;

  const TrueSkillConfig& config() const { return config_; }

 private:
  TrueSkillConfig config_;
  double draw_margin_;
};

// --- Elo ------------------------------------------------------------------------

// A's expected score against B: 1/(1 + 10^((R_B − R_A)/400)).
double elo_expected_score(double rating_a, double rating_b);
// Both ratings after one game with step k.
std::pair<double, double> elo_update(double rating_a, double rating_b, double score_a, double k = 32);

// Elo ratings fitted to every game of `games` at once: the ratings R
// maximising Π P(result) with P(a beats b) = elo_expected_score(R_a, R_b)
// (a draw counts half a win to each), plus `prior_games` virtual draws of
// each player against a fixed player of rating 0, which keeps a player who
// won or lost everything finite (and pulls every rating a little toward 0).
// Returned with mean 0 (add 1500 or so for the usual scale). Found by
// Newton's method to a step below `tolerance` Elo.
std::vector<double> elo_from_games(int64_t players, const std::vector<GameResult>& games, double prior_games = 1.0,
                                   double tolerance = 1e-6);

}  // namespace metarl
