#include "meta/ratings.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <Eigen/Dense>
#include <boost/math/distributions/normal.hpp>

namespace metarl {
namespace {

const boost::math::normal kStandardNormal;

double pdf(double x) { return boost::math::pdf(kStandardNormal, x); }
double cdf(double x) { return boost::math::cdf(kStandardNormal, x); }

// φ(x)/Φ(x), the mean shift of a win: for x far below 0 Φ underflows, and
// the ratio tends to −x.
double win_shift(double x) {
  const double denominator = cdf(x);
  return denominator > 1e-300 ? pdf(x) / denominator : -x;
}

void check_player(int64_t player, int64_t players) {
  if (player < 0 || player >= players)
    throw std::invalid_argument("ratings: a game names player " + std::to_string(player) + " of " +
                                std::to_string(players));
}

void check_score(double score) {
  if (score != 0 && score != 0.5 && score != 1)
    throw std::invalid_argument("ratings: a game's score must be 1, 0.5 or 0, got " + std::to_string(score));
}

}  // namespace

TrueSkill::TrueSkill(const TrueSkillConfig& config) : config_(config) {
  if (!(config.sigma > 0) || !(config.beta > 0) || !(config.tau >= 0))
    throw std::invalid_argument("TrueSkill: sigma and beta must be positive and tau at least 0");
  if (!(config.draw_probability >= 0 && config.draw_probability < 1))
    throw std::invalid_argument("TrueSkill: the draw probability must be in [0, 1)");
  draw_margin_ = boost::math::quantile(kStandardNormal, (config.draw_probability + 1) / 2) * std::sqrt(2.0) *
                 config.beta;
}

std::pair<Rating, Rating> TrueSkill::rate(const Rating& a, const Rating& b, double score_a) const {
  check_score(score_a);
  const double tau2 = config_.tau * config_.tau;
  const double var_a = a.sigma * a.sigma + tau2, var_b = b.sigma * b.sigma + tau2;
  const double c2 = 2 * config_.beta * config_.beta + var_a + var_b, c = std::sqrt(c2);
  const double eps = draw_margin_ / c;
  double v = 0, w = 0;
  if (score_a == 0.5) {
    const double t = (a.mu - b.mu) / c;
    const double d = cdf(eps - t) - cdf(-eps - t);
    v = (pdf(-eps - t) - pdf(eps - t)) / d;
    w = v * v + ((eps - t) * pdf(eps - t) + (eps + t) * pdf(eps + t)) / d;
  } else {
    // From the winner's side, then back: the winner's mean rises by σ²·v/c.
    const double sign = score_a == 1 ? 1.0 : -1.0;
    const double t = sign * (a.mu - b.mu) / c;
    v = sign * win_shift(t - eps);
    w = win_shift(t - eps) * (win_shift(t - eps) + t - eps);
  }
  Rating new_a{a.mu + var_a / c * v, std::sqrt(var_a * std::max(1 - var_a / c2 * w, 0.0))};
  Rating new_b{b.mu - var_b / c * v, std::sqrt(var_b * std::max(1 - var_b / c2 * w, 0.0))};
  return {new_a, new_b};
}

double TrueSkill::win_probability(const Rating& a, const Rating& b) const {
  const double c2 = 2 * config_.beta * config_.beta + a.sigma * a.sigma + b.sigma * b.sigma;
  return cdf((a.mu - b.mu) / std::sqrt(c2));
}

double TrueSkill::match_quality(const Rating& a, const Rating& b) const {
  const double beta2 = config_.beta * config_.beta;
  const double c2 = 2 * beta2 + a.sigma * a.sigma + b.sigma * b.sigma;
  const double gap = a.mu - b.mu;
  return std::sqrt(2 * beta2 / c2) * std::exp(-gap * gap / (2 * c2));
}

std::vector<Rating> TrueSkill::rate_all(int64_t players, const std::vector<GameResult>& games) const {
  std::vector<Rating> ratings(size_t(players), initial());
  for (const GameResult& g : games) {
    check_player(g.a, players);
    check_player(g.b, players);
    if (g.a == g.b) throw std::invalid_argument("ratings: player " + std::to_string(g.a) + " plays itself");
    auto [a, b] = rate(ratings[size_t(g.a)], ratings[size_t(g.b)], g.score_a);
    ratings[size_t(g.a)] = a;
    ratings[size_t(g.b)] = b;
  }
  return ratings;
}

double elo_expected_score(double rating_a, double rating_b) {
  return 1.0 / (1.0 + std::pow(10.0, (rating_b - rating_a) / 400.0));
}

std::pair<double, double> elo_update(double rating_a, double rating_b, double score_a, double k) {
  check_score(score_a);
  const double change = k * (score_a - elo_expected_score(rating_a, rating_b));
  return {rating_a + change, rating_b - change};
}

std::vector<double> elo_from_games(int64_t players, const std::vector<GameResult>& games, double prior_games,
                                   double tolerance) {
  if (players < 1) throw std::invalid_argument("ratings: no players");
  if (!(prior_games > 0)) throw std::invalid_argument("ratings: prior_games must be positive");
  // Each pair's games and a's score (draws half), then Newton's method on
  // the log-likelihood in θ = ln γ (γ = 10^(R/400)): concave, and with the
  // prior's virtual draws against a player of θ = 0 strictly so. (The
  // minorisation–maximisation iteration usual for Bradley–Terry crawls when
  // the prior is light against many games: its steps along the direction
  // only the prior fixes are tiny, and it stops far from the optimum.)
  Eigen::MatrixXd games_between = Eigen::MatrixXd::Zero(players, players);
  Eigen::MatrixXd score_against = Eigen::MatrixXd::Zero(players, players);  // (i, j): i's score against j
  for (const GameResult& g : games) {
    check_player(g.a, players);
    check_player(g.b, players);
    check_score(g.score_a);
    if (g.a == g.b) throw std::invalid_argument("ratings: player " + std::to_string(g.a) + " plays itself");
    games_between(g.a, g.b) += 1;
    games_between(g.b, g.a) += 1;
    score_against(g.a, g.b) += g.score_a;
    score_against(g.b, g.a) += 1 - g.score_a;
  }
  const auto logistic = [](double x) { return 1 / (1 + std::exp(-x)); };
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(players);
  for (int iteration = 0; iteration < 200; ++iteration) {
    Eigen::VectorXd gradient(players);
    Eigen::MatrixXd curvature = Eigen::MatrixXd::Zero(players, players);  // minus the Hessian
    for (int64_t i = 0; i < players; ++i) {
      const double p0 = logistic(theta(i));
      gradient(i) = prior_games * (0.5 - p0);
      curvature(i, i) = prior_games * p0 * (1 - p0);
      for (int64_t j = 0; j < players; ++j) {
        if (games_between(i, j) == 0) continue;
        const double p = logistic(theta(i) - theta(j));
        gradient(i) += score_against(i, j) - games_between(i, j) * p;
        curvature(i, i) += games_between(i, j) * p * (1 - p);
        curvature(i, j) -= games_between(i, j) * p * (1 - p);
      }
    }
    Eigen::VectorXd step = curvature.ldlt().solve(gradient);
    const double largest = step.cwiseAbs().maxCoeff();
    if (largest > 1) step /= largest;  // at most a factor e in strength per step: no overshoot from afar
    theta += step;
    if (largest * 400 / std::log(10.0) < tolerance) break;
  }
  const Eigen::VectorXd elo = theta * (400 / std::log(10.0));
  std::vector<double> out(elo.data(), elo.data() + players);
  const double mean = elo.mean();
  for (double& r : out) r -= mean;
  return out;
}

}  // namespace metarl
