#include "meta/selfplay_trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace metarl {

double dense_weight_at(int64_t env_steps, int64_t total_env_steps, double anneal_fraction) {
  if (anneal_fraction <= 0 || total_env_steps <= 0) return 1.0;  // never annealed
  const double progress = double(env_steps) / (anneal_fraction * double(total_env_steps));
  return std::clamp(1.0 - progress, 0.0, 1.0);
}

namespace {

bool same_box(const Box& a, const Box& b) { return a.size() == b.size() && a.low() == b.low() && a.high() == b.high(); }

}  // namespace

SelfplaySeats selfplay_seats(const VectorEnv& env) {
  const Env& first = env.env(0);
  if (env.num_agents() != 2)
    throw std::invalid_argument("self-play needs a two-agent match env; " + first.name() + " has " +
                                std::to_string(env.num_agents()) + " agent(s)");
  for (int i = 0; i < env.num_envs(); ++i)
    if (!dynamic_cast<const MatchEnv*>(&env.env(i)))
      throw std::invalid_argument("self-play needs a match env (envs/core/match.h: outcome rules and a dense "
                                  "weight); " + env.env(i).name() + " is not one");
  const auto& names = env.info_names();
  const auto& match = match_info_names();
  if (names.size() < match.size() || !std::equal(match.begin(), match.end(), names.begin()))
    throw std::invalid_argument("self-play: " + first.name() + "'s info terms do not start with the match terms (" +
                                match.front() + ", " + match[1] + ", ...)");
  SelfplaySeats seats;
  seats.same_kind = same_box(env.observation_space(0), env.observation_space(1)) &&
                    same_box(env.action_space(0), env.action_space(1));
  for (int64_t j = 0; j < env.num_envs(); ++j) {
    const int64_t learner = seats.same_kind ? j % 2 : 0;
    seats.learner_rows.push_back(2 * j + learner);
    seats.opponent_rows.push_back(2 * j + 1 - learner);
  }
  return seats;
}

double MatchOutcomes::rate(int64_t count) const {
  return episodes > 0 ? double(count) / double(episodes) : std::numeric_limits<double>::quiet_NaN();
}

MatchOutcomes match_outcomes(const EpisodeBatch& batch) {
  return match_outcomes(batch, torch::ones({batch.masks.size(1)}, torch::kBool));
}

MatchOutcomes match_outcomes(const EpisodeBatch& batch, const torch::Tensor& envs) {
  TORCH_CHECK(envs.dim() == 1 && envs.size(0) == batch.masks.size(1), "match_outcomes: a selection of ",
              envs.numel(), " envs for a batch of ", batch.masks.size(1));
  const auto& names = batch.info_names;
  const auto& match = match_info_names();
  TORCH_CHECK(names.size() >= match.size() && std::equal(match.begin(), match.end(), names.begin()),
              "match_outcomes: the batch's info terms are not a match env's");
  const auto ended =  // [T, N]
      (batch.masks > 0).logical_and(batch.episode_end > 0).logical_and(envs.to(torch::kBool).unsqueeze(0));
  const auto flag = [&](int term) { return batch.infos.select(2, term).gt(0.5).logical_and(ended); };
  const auto count = [](const torch::Tensor& flags) { return int64_t(flags.sum().item<int64_t>()); };
  MatchOutcomes o;
  o.episodes = count(ended);
  o.won = count(flag(kInfoWon));
  o.lost = count(flag(kInfoLost));
  o.drew = count(flag(kInfoDrew));
  // Both out at once is a draw with each agent's reason set: count the lost ones only.
  o.lost_fell = count(flag(kInfoLost).logical_and(flag(kInfoFell)));
  o.lost_pushed_out = count(flag(kInfoLost).logical_and(flag(kInfoPushedOut)));
  o.time_up = count(flag(kInfoTimeUp));
  return o;
}

MatchOutcomes& MatchOutcomes::operator+=(const MatchOutcomes& other) {
  episodes += other.episodes;
  won += other.won;
  lost += other.lost;
  drew += other.drew;
  lost_fell += other.lost_fell;
  lost_pushed_out += other.lost_pushed_out;
  time_up += other.time_up;
  return *this;
}

std::unique_ptr<Policy> random_policy(int obs_dim, const Box& action) {
  MlpPolicyConfig config;
  config.hidden = {};  // one linear layer: W = 0, b = the centres
  auto policy = std::make_unique<GaussianMlpPolicy>(obs_dim, action.size(), config);
  std::vector<double> centre, log_std;
  for (int k = 0; k < action.size(); ++k) {
    const double low = action.low()[size_t(k)], high = action.high()[size_t(k)];
    if (!std::isfinite(low) || !std::isfinite(high))
      throw std::invalid_argument("a random opponent needs a bounded action space, not " + action.to_string());
    centre.push_back((low + high) / 2);
    log_std.push_back(std::log(std::max((high - low) / 2 / std::sqrt(3.0), 1e-6)));
  }
  torch::NoGradGuard no_grad;
  Params& p = policy->parameters();
  p[0].zero_();
  p[1].copy_(torch::tensor(centre, torch::kFloat64).to(torch::kFloat32));
  p[2].copy_(torch::tensor(log_std, torch::kFloat64).to(torch::kFloat32));
  return policy;
}

std::vector<Actor> opponent_actors(const OpponentPool& pool, const Policy& policy, const std::vector<int64_t>& versions,
                                   const std::vector<int64_t>& opponent_rows, bool trial_inputs) {
  TORCH_CHECK(versions.size() == opponent_rows.size(), "opponent_actors: ", versions.size(), " versions for ",
              opponent_rows.size(), " rows");
  std::map<int64_t, std::vector<int64_t>> rows_by_version;  // ordered: the same actors for the same draws
  for (size_t j = 0; j < versions.size(); ++j) rows_by_version[versions[j]].push_back(opponent_rows[j]);
  std::vector<Actor> actors;
  for (auto& [number, rows] : rows_by_version) {
    const OpponentPool::Version& v = pool.version(number);
    // The learner's policy object with the version's parameters; a recurrent
    // one keeps its own state per actor in the Sampler.
    actors.push_back(Actor{&policy, v.params, v.normalizer.get(), std::move(rows), /*record=*/false, trial_inputs});
  }
  return actors;
}

SelfplayTrainer::SelfplayTrainer(VectorEnv& env, std::unique_ptr<Policy> policy, const TrainerConfig& config,
                                 const LearnerFactory& learner, uint64_t seed, int64_t total_iterations,
                                 const SelfplayConfig& selfplay, FixedOpponent fixed,
                                 std::vector<MixedOpponent> mixed, OpponentPool* shared_pool)
    : PolicyGradientTrainer(env, std::move(policy), config, learner, seed, total_iterations,
                            selfplay_seats(env).learner_rows),
      selfplay_(selfplay),
      seats_(selfplay_seats(env)),
      own_pool_(selfplay.opponent_delta, derive_seed(seed, 0x5e1f)),
      pool_(shared_pool ? *shared_pool : own_pool_),
      fixed_(std::move(fixed)),
      mixed_(std::move(mixed)) {
  for (int i = 0; i < env.num_envs(); ++i) match_envs_.push_back(dynamic_cast<MatchEnv*>(&env.env(i)));
  if (selfplay.snapshot_every < 1) throw std::invalid_argument("snapshot_every must be at least 1");
  double mixed_total = 0;
  for (const MixedOpponent& m : mixed_) {
    if (!m.player.policy || !(m.probability > 0 && m.probability <= 1))
      throw std::invalid_argument("a mixed opponent needs a policy and a probability in (0, 1]");
    mixed_probabilities_.push_back(m.probability);
    mixed_total += m.probability;
  }
  if (mixed_total > 1 + 1e-9) throw std::invalid_argument("the mixed opponents' probabilities sum to more than 1");
  if (fixed_.policy && !mixed_.empty())
    throw std::invalid_argument("mixed opponents join the pool's draws: they need the pool as the opponent");
  if (fixed_.policy && shared_pool) throw std::invalid_argument("a fixed opponent plays instead of a pool, shared or not");
  if (selfplay.trial_episodes < 0) throw std::invalid_argument("trial_episodes must be at least 0");
  if (selfplay.trial_episodes > 0 && !config.trial_inputs)
    throw std::invalid_argument("RL² trials need a policy with the RL² inputs (TrainerConfig::trial_inputs)");
  if (selfplay.trial_episodes > 0 && shared_pool)
    throw std::invalid_argument("RL² trials are for one learner, not an ensemble");
  if (fixed_.policy) return;  // no pool
  if (!seats_.same_kind)
    throw std::invalid_argument("the agents of " + env.env(0).name() +
                                " differ (observation or action space): a pool of the learner's versions cannot "
                                "play agent 1; give it a fixed opponent");
  pool_.add(this->policy().parameters(), observation_normalizer());  // version 0: the initial policy
}

std::vector<int64_t> SelfplayTrainer::draw_opponents(const std::vector<int64_t>& draws, bool continue_trial) {
  if (fixed_.policy) return {};
  if (!continue_trial) return pool_.draw_mixed(int64_t(seats_.opponent_rows.size()), mixed_probabilities_);
  std::vector<int64_t> next = draws;
  for (int64_t& d : next)
    if (!OpponentPool::is_fixed_player(d)) d = std::min(d + 1, pool_.newest());
  return next;
}

std::vector<Actor> SelfplayTrainer::opponent_actors_of(const std::vector<int64_t>& draws) {
  if (fixed_.policy)
    return {Actor{fixed_.policy.get(), fixed_.policy->parameters(), fixed_.normalizer.get(), seats_.opponent_rows}};
  std::vector<int64_t> versions, version_rows;
  std::vector<std::vector<int64_t>> mixed_rows(mixed_.size());
  for (size_t j = 0; j < draws.size(); ++j) {
    if (OpponentPool::is_fixed_player(draws[j])) {
      mixed_rows[size_t(OpponentPool::fixed_player_index(draws[j]))].push_back(seats_.opponent_rows[j]);
      continue;
    }
    versions.push_back(draws[j]);
    version_rows.push_back(seats_.opponent_rows[j]);
    opponent_version_sum_ += double(draws[j]);
    ++opponent_draws_;
  }
  std::vector<Actor> actors =
      opponent_actors(pool_, policy(), versions, version_rows, /*trial_inputs=*/selfplay_.trial_episodes > 0);
  for (size_t k = 0; k < mixed_.size(); ++k) {
    if (mixed_rows[k].empty()) continue;
    const FixedOpponent& m = mixed_[k].player;
    actors.push_back(Actor{m.policy.get(), m.policy->parameters(), m.normalizer.get(), std::move(mixed_rows[k])});
  }
  return actors;
}

EpisodeBatch SelfplayTrainer::collect_batch() {
  dense_weight_ = dense_weight_at(env_steps(), selfplay_.total_env_steps, selfplay_.dense_anneal_fraction);
  for (MatchEnv* env : match_envs_) env->set_dense_weight(dense_weight_);
  pool_size_ = pool_.size();
  opponent_version_sum_ = 0;
  opponent_draws_ = 0;
  outcomes_by_opponent_.assign(mixed_.empty() ? 0 : mixed_.size() + 1, MatchOutcomes{});
  std::vector<EpisodeBatch> rounds;
  int64_t steps = 0;
  const int64_t horizon = env().env(0).max_episode_steps();
  const int64_t trial = selfplay_.trial_episodes;
  const auto continues_trial = [&] { return trial > 0 && int64_t(rounds.size()) % trial != 0; };
  std::vector<int64_t> draws;  // each env's opponent in the current round
  do {
    const bool continue_trial = continues_trial();
    draws = draw_opponents(draws, continue_trial);
    sampler().set_opponents(opponent_actors_of(draws));
    EpisodeBatch round = sampler().collect_episodes(horizon, policy().parameters(), continue_trial);
    // The masked steps after an env's episode hold its next, unfinished one:
    // zero their rewards, so that the running discounted return that scales
    // rewards (PolicyGradientTrainer::learning_rewards) starts the next
    // round's episodes from 0 rather than from that remnant.
    round.rewards = round.rewards * round.masks;
    if (!outcomes_by_opponent_.empty()) {
      const auto drawn = torch::tensor(draws, torch::kLong);
      outcomes_by_opponent_[0] += match_outcomes(round, drawn >= 0);
      for (size_t k = 0; k < mixed_.size(); ++k)
        outcomes_by_opponent_[k + 1] += match_outcomes(round, drawn == OpponentPool::fixed_player(int64_t(k)));
    }
    steps += round.env_steps();
    rounds.push_back(std::move(round));
  } while (steps < config().steps_per_iteration || continues_trial());
  rounds_ = int64_t(rounds.size());
  // An RL² learner's trials: each env's episodes back to back, as its memory ran through them.
  return trial > 0 ? compact_in_time(concatenate_in_time(rounds)) : concatenate_in_time(rounds);
}

Metrics SelfplayTrainer::batch_metrics(const EpisodeBatch& batch) const {
  const MatchOutcomes o = match_outcomes(batch);
  Metrics m = {{"win_rate", o.rate(o.won)},
               {"loss_rate", o.rate(o.lost)},
               {"draw_rate", o.rate(o.drew)},
               {"dense_weight", dense_weight_},
               {"pool_size", double(pool_size_)},
               {"opponent_version", opponent_draws_ > 0 ? opponent_version_sum_ / double(opponent_draws_)
                                                        : std::numeric_limits<double>::quiet_NaN()},
               {"rounds", double(rounds_)}};
  for (size_t c = 0; c < outcomes_by_opponent_.size(); ++c) {
    const MatchOutcomes& against = outcomes_by_opponent_[c];
    m.emplace_back("win_rate_vs_" + (c == 0 ? std::string("pool") : mixed_[c - 1].name), against.rate(against.won));
  }
  return m;
}

Metrics SelfplayTrainer::run_iteration() {
  Metrics m = PolicyGradientTrainer::run_iteration();
  if (!fixed_.policy && iteration() % selfplay_.snapshot_every == 0)
    pool_.add(policy().parameters(), observation_normalizer());
  return m;
}

void SelfplayTrainer::save_extra(torch::serialize::OutputArchive& archive) const {
  if (&pool_ == &own_pool_) pool_.save(archive, "selfplay_pool");
}

void SelfplayTrainer::load_extra(torch::serialize::InputArchive& archive) {
  if (&pool_ == &own_pool_) pool_.load(archive, "selfplay_pool");
}

}  // namespace metarl
