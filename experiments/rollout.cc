#include "experiments/rollout.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/sampler.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/vector_env.h"
#include "experiments/players.h"

namespace metarl {
namespace {

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};

Stats stats_of(const std::vector<double>& v) {
  Stats s;
  if (v.empty()) return s;
  s.min = s.max = v[0];
  for (double x : v) {
    s.mean += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= v.size();
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / v.size());
  return s;
}

}  // namespace

void run_rollout(const RolloutConfig& config, std::ostream& out) {
  using nlohmann::json;
  if (config.episodes_per_env <= 0) throw_env_error("rollout: episodes per env must be positive");
  VectorEnv venv(config.env, config.num_envs, config.threads, config.env_options);
  venv.seed(config.seed);

  std::vector<std::string> task_names(config.num_envs, "default");
  if (!config.family.empty()) {
    auto family = make_task_family(config.family, config.family_options);
    if (family->env_name() != config.env)
      throw_env_error("rollout: task family ", config.family, " is defined on env ", family->env_name(), ", not ",
                      config.env);
    Rng task_rng(derive_seed(config.seed, 0x7a5c));
    const auto tasks = family->sample(config.num_envs, task_rng);
    venv.set_tasks(*family, tasks);
    for (int i = 0; i < config.num_envs; ++i) task_names[i] = tasks[i].to_string();
  }

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<double>> returns(config.num_envs), lengths(config.num_envs);
  if (config.player.empty()) {
    venv.reset();
    const Box& space = venv.action_space();
    Rng action_rng(derive_seed(config.seed, 0xac7));
    std::vector<float> actions(size_t(venv.num_envs()) * venv.act_dim());
    int finished_envs = 0;
    while (finished_envs < config.num_envs) {
      for (size_t k = 0; k < actions.size(); ++k) {
        const int j = int(k % venv.act_dim());
        actions[k] = static_cast<float>(action_rng.uniform(space.low()[j], space.high()[j]));
      }
      venv.step(actions);
      for (int i = 0; i < config.num_envs; ++i) {
        if (!venv.done(i) || int(returns[i].size()) >= config.episodes_per_env) continue;
        returns[i].push_back(venv.episode_returns()[i]);
        lengths[i].push_back(venv.episode_lengths()[i]);
        if (int(returns[i].size()) == config.episodes_per_env) ++finished_envs;
      }
    }
  } else {
    if (venv.num_agents() != 1) throw_env_error("rollout: --player needs a one-agent env; ", config.env, " has ",
                                                venv.num_agents(), " (metarl match plays two)");
    Player player;
    try {
      player = load_player(config.player, venv, 0);
    } catch (const std::invalid_argument& e) {
      throw_env_error("rollout: --player: ", e.what());
    }
    // Each round runs every env's next episode to its end (fixed episodes).
    Sampler sampler(venv, *player.policy, config.seed, player.normalizer.get(), /*update_normalizer=*/false);
    for (int round = 0; round < config.episodes_per_env; ++round) {
      const EpisodeBatch batch = sampler.collect_episodes(venv.env(0).max_episode_steps(), player.policy->parameters());
      for (size_t k = 0; k < batch.episode_returns.size(); ++k) {
        const size_t i = size_t(batch.episode_envs[k]);
        returns[i].push_back(batch.episode_returns[k]);
        lengths[i].push_back(double(batch.episode_lengths[k]));
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> all_returns, all_lengths;
  for (int i = 0; i < config.num_envs; ++i) {
    const Stats s = stats_of(returns[i]);
    out << json{{"env_index", i}, {"task", task_names[i]}, {"episodes", returns[i].size()}, {"mean_return", s.mean}}
               .dump()
        << "\n";
    all_returns.insert(all_returns.end(), returns[i].begin(), returns[i].end());
    all_lengths.insert(all_lengths.end(), lengths[i].begin(), lengths[i].end());
  }
  const Stats r = stats_of(all_returns);
  out << json{{"summary", config.player.empty() ? "random policy" : "player " + config.player},
              {"env", config.env},
              {"family", config.family.empty() ? "none" : config.family},
              {"num_envs", config.num_envs},
              {"threads", config.threads},
              {"seed", config.seed},
              {"episodes", all_returns.size()},
              {"mean_return", r.mean},
              {"std_return", r.std},
              {"min_return", r.min},
              {"max_return", r.max},
              {"mean_length", stats_of(all_lengths).mean},
              {"env_steps", venv.total_steps()},
              {"seconds", seconds},
              {"env_steps_per_s", std::round(venv.total_steps() / seconds)}}
             .dump()
      << std::endl;
}

}  // namespace metarl
