#include "meta/rl2.h"

#include <algorithm>
#include <optional>

#include "agents/sampler.h"
#include "envs/core/trial_env.h"

namespace metarl {

std::vector<std::vector<double>> trial_episode_returns(const EpisodeBatch& batch, int64_t episodes) {
  const auto& names = batch.info_names;
  const auto column = std::find(names.begin(), names.end(), "trial_episode");
  TORCH_CHECK(column != names.end(), "trial_episode_returns: the batch has no trial_episode info (not a TrialEnv)");
  const auto index = batch.infos.select(2, column - names.begin()).to(torch::kLong);  // [T, N]
  const auto rewards = batch.rewards.to(torch::kFloat64) * batch.masks.to(torch::kFloat64);
  // [N, episodes]: the rewards of every step added to its inner episode's slot.
  auto sums = torch::zeros({batch.num_envs(), episodes}, torch::kFloat64);
  sums.scatter_add_(1, index.clamp(0, episodes - 1).t().contiguous(), rewards.t().contiguous());
  std::vector<std::vector<double>> out(size_t(batch.num_envs()));
  for (int64_t i = 0; i < batch.num_envs(); ++i)
    for (int64_t e = 0; e < episodes; ++e) out[size_t(i)].push_back(sums[i][e].item<double>());
  return out;
}

std::vector<std::vector<double>> rl2_chain_returns(VectorEnv& env, const Policy& policy,
                                                   const RunningNormalizer* normalizer, const std::vector<Task>& chains,
                                                   uint64_t seed) {
  const int64_t n = env.num_envs();
  std::vector<TrialEnv*> trials;
  for (int i = 0; i < n; ++i) trials.push_back(&env_as<TrialEnv>(env.env(i), "rl2_chain_returns"));
  const int64_t episodes = trials.front()->episodes_per_trial();
  std::optional<RunningNormalizer> frozen;  // a copy that the sampler never updates
  if (normalizer) frozen = *normalizer;
  env.seed(seed);
  Sampler sampler(env, policy, derive_seed(seed, 1), frozen ? &*frozen : nullptr, /*update_normalizer=*/false);
  std::vector<std::vector<double>> out;
  for (size_t first = 0; first < chains.size(); first += size_t(n)) {
    for (int64_t i = 0; i < n; ++i) trials[size_t(i)]->fix_task(chains[std::min(first + size_t(i), chains.size() - 1)]);
    const EpisodeBatch batch = sampler.collect_episodes(env.env(0).max_episode_steps(), policy.parameters());
    const auto returns = trial_episode_returns(batch, episodes);
    for (int64_t i = 0; i < n && first + size_t(i) < chains.size(); ++i) out.push_back(returns[size_t(i)]);
  }
  return out;
}

}  // namespace metarl
