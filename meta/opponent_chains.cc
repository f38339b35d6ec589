#include "meta/opponent_chains.h"

#include <algorithm>
#include <stdexcept>

#include "envs/core/match.h"

namespace metarl {

OpponentChains::OpponentChains(VectorEnv& env, int64_t per_task, const OpponentChainsConfig& config, uint64_t seed)
    : env_(env), per_task_(per_task), config_(config), seats_(selfplay_seats(env)), pool_(0.0, seed) {
  if (per_task < 1 || env.num_envs() % per_task != 0)
    throw std::invalid_argument("opponent chains: " + std::to_string(env.num_envs()) + " envs are not whole tasks of " +
                                std::to_string(per_task));
  if (config.snapshot_every < 1) throw std::invalid_argument("opponent chains: snapshot_every must be at least 1");
  if (!seats_.same_kind)
    throw std::invalid_argument("opponent chains: the agents of " + env.env(0).name() +
                                " differ (observation or action space); the learner's versions cannot play agent 1");
}

void OpponentChains::add_version(const Params& params) { pool_.add(params, nullptr); }

void OpponentChains::begin_iteration(int64_t tasks, int64_t env_steps) {
  if (tasks * per_task_ != env_.num_envs())
    throw std::invalid_argument("opponent chains: " + std::to_string(tasks) + " tasks of " + std::to_string(per_task_) +
                                " envs in a VectorEnv of " + std::to_string(env_.num_envs()));
  if (pool_.empty()) throw std::logic_error("opponent chains: no version yet (add the initial policy first)");
  first_ = pool_.draw(tasks);
  dense_weight_ = dense_weight_at(env_steps, config_.total_env_steps, config_.dense_anneal_fraction);
  for (int i = 0; i < env_.num_envs(); ++i) dynamic_cast<MatchEnv&>(env_.env(i)).set_dense_weight(dense_weight_);
}

int64_t OpponentChains::version(int64_t task, int64_t round) const {
  return std::min(first_.at(size_t(task)) + round, pool_.newest());
}

std::vector<Actor> OpponentChains::actors(int64_t round, const Policy& policy) const {
  std::vector<int64_t> versions;
  for (int64_t j = 0; j < env_.num_envs(); ++j) versions.push_back(version(j / per_task_, round));
  return opponent_actors(pool_, policy, versions, seats_.opponent_rows);
}

void OpponentChains::end_iteration(int64_t iteration, const Params& params) {
  if (iteration % config_.snapshot_every == 0) add_version(params);
}

void OpponentChains::save(torch::serialize::OutputArchive& archive, const std::string& prefix) const {
  pool_.save(archive, prefix);
}

void OpponentChains::load(torch::serialize::InputArchive& archive, const std::string& prefix) {
  pool_.load(archive, prefix);
}

}  // namespace metarl
