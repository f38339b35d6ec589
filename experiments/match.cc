#include "experiments/match.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "agents/sampler.h"
#include "envs/core/match.h"
#include "envs/vector_env.h"
#include "experiments/players.h"
#include "experiments/stats.h"
#include "meta/selfplay_trainer.h"

namespace metarl {
namespace {

nlohmann::json rate(int64_t count, int64_t episodes) {
  const RateWithInterval r = wilson_interval_95(count, episodes);
  return {{"rate", r.rate}, {"ci95", {r.low, r.high}}};
}

}  // namespace

std::vector<EpisodeBatch> play_matches(VectorEnv& env, const std::vector<Seating>& seatings, uint64_t seed,
                                       TrialMemory* memory) {
  if (seatings.empty()) throw std::invalid_argument("play_matches: no players");
  const Player& first = *seatings[0].player;
  if (memory && !first.trial_inputs)
    throw std::invalid_argument("play_matches: " + first.label + " is not an RL² player: it has no memory to carry");
  Sampler sampler(env, *first.policy, seed, first.normalizer.get(), /*update_normalizer=*/false, seatings[0].rows,
                  first.trial_inputs);
  std::vector<Actor> opponents;
  for (size_t s = 1; s < seatings.size(); ++s) {
    const Player& p = *seatings[s].player;
    opponents.push_back(Actor{p.policy.get(), p.policy->parameters(), p.normalizer.get(), seatings[s].rows,
                              /*record=*/true, p.trial_inputs});
  }
  sampler.set_opponents(std::move(opponents));
  const bool continues = memory && memory->state.h.defined();
  if (continues) sampler.set_trial_memory(*memory);
  std::vector<EpisodeBatch> sides;
  sides.push_back(sampler.collect_episodes(env.env(0).max_episode_steps(), first.policy->parameters(), continues));
  for (size_t s = 1; s < seatings.size(); ++s) sides.push_back(sampler.opponent_batch(s - 1));
  if (memory) *memory = sampler.trial_memory();
  return sides;
}

EpisodeBatch play_round(VectorEnv& env, const Player& a, const Player& b, int64_t first_seat, uint64_t seed,
                        EpisodeBatch* b_side, TrialMemory* a_memory) {
  Seating a_seats{&a, {}}, b_seats{&b, {}};
  for (int64_t j = 0; j < env.num_envs(); ++j) {
    const int64_t seat = (j + first_seat) % 2;
    a_seats.rows.push_back(2 * j + seat);
    b_seats.rows.push_back(2 * j + 1 - seat);
  }
  std::vector<EpisodeBatch> sides = play_matches(env, {a_seats, b_seats}, seed, a_memory);
  if (b_side) *b_side = std::move(sides[1]);
  return std::move(sides[0]);
}

std::vector<double> episode_scores(const EpisodeBatch& batch) {
  const auto ended = (batch.masks > 0).logical_and(batch.episode_end > 0);  // [T, N]
  std::vector<double> scores;
  for (int64_t j = 0; j < batch.num_envs(); ++j) {
    const auto steps = ended.select(1, j).nonzero();
    TORCH_CHECK(steps.size(0) == 1, "episode_scores: env ", j, " ended ", steps.size(0), " episodes, not 1");
    const auto info = batch.infos[steps[0][0].item<int64_t>()][j];
    scores.push_back(info[kInfoWon].item<float>() > 0.5f ? 1.0 : info[kInfoLost].item<float>() > 0.5f ? 0.0 : 0.5);
  }
  return scores;
}

void run_match(const MatchOptions& options, std::ostream& out) {
  if (options.episodes < 1) throw std::invalid_argument("match: --episodes must be at least 1");
  if (options.num_envs < 1) throw std::invalid_argument("match: --envs must be at least 1");
  if (options.threads < 1) throw std::invalid_argument("match: --threads must be at least 1");
  const auto [env_name, env_options] =
      players_env("match", options.env, {options.player_a, options.player_b}, options.env_options);
  VectorEnv env(env_name, options.num_envs, options.threads, env_options);
  env.seed(options.seed);
  const SelfplaySeats seats = selfplay_seats(env);  // a two-agent match env, or a one-line error naming it
  const int b_agent = seats.same_kind ? 0 : 1;      // whose spaces B's policy has
  Player a = load_player(options.player_a, env, 0);
  Player b = load_player(options.player_b, env, b_agent);

  Sampler sampler(env, *a.policy, options.seed, a.normalizer.get(), /*update_normalizer=*/false, seats.learner_rows,
                  a.trial_inputs);
  std::vector<Actor> opponents;
  opponents.push_back(Actor{b.policy.get(), b.policy->parameters(), b.normalizer.get(), seats.opponent_rows,
                            /*record=*/false, b.trial_inputs});
  sampler.set_opponents(std::move(opponents));
  MatchOutcomes tally;  // A's
  const int64_t horizon = env.env(0).max_episode_steps();
  while (tally.episodes < options.episodes)
    tally += match_outcomes(sampler.collect_episodes(horizon, a.policy->parameters()));

  nlohmann::json row{{"a", options.player_a},
                     {"b", options.player_b},
                     {"env", env_name},
                     {"env_options", env_options.to_string()},
                     {"seats", seats.same_kind ? "alternating" : "a is agent 0"},
                     {"seed", options.seed},
                     {"episodes", tally.episodes},
                     {"a_won", rate(tally.won, tally.episodes)},
                     {"a_lost", rate(tally.lost, tally.episodes)},
                     {"drew", rate(tally.drew, tally.episodes)},
                     {"a_lost_fell", tally.lost_fell},
                     {"a_lost_pushed_out", tally.lost_pushed_out},
                     {"time_up", tally.time_up}};
  out << row.dump() << std::endl;
}

}  // namespace metarl
