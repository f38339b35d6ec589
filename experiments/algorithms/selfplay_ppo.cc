// Self-play PPO (Bansal et al. 2018): algorithm.name selfplay_ppo. PPO's
// keys (ppo.h), plus:
//   opponent               who plays the other seat:
//                            pool (default): the learner's past versions (agents of one kind only);
//                            random: a fixed policy spread over the action box (random_policy);
//                            scripted: the env's scripted baseline (Sumo2D: push toward the opponent);
//                            {checkpoint: PATH}: the policy and normaliser of another metarl run's
//                              checkpoint (PATH = RUN/checkpoints/latest.pt; its RUN/config.yaml says
//                              the policy's architecture), for agent 1's spaces
//   opponent_delta         δ in [0, 1], default 0.5: opponents uniform over versions [δ·v, v]; 1: the newest
//   snapshot_every         iterations between versions, default 1
//   dense_anneal_fraction  in [0, 1], default 0.5: the dense weight falls from 1 to 0 over this
//                          fraction of training.total_env_steps; 0: never annealed (weight 1)
//   mixed_opponents        a map from player (random or scripted, as `opponent` names them) to
//                          the probability in (0, 1] that an episode's opponent is that player
//                          instead of a pool version (opponent: pool only; the probabilities sum
//                          to at most 1); default none: pure self-play. metrics.csv then adds
//                          win_rate_vs_pool and win_rate_vs_PLAYER (plots/win_rates_by_opponent.png)
//   ensemble               K >= 1, default 1: K learners, each with its own policy (the same
//                          architecture, initialised apart) and PPO, taking turns one iteration
//                          each against versions of all of them drawn from one pool
//                          (meta/selfplay_ensemble.h, Bansal et al. §5.3); opponent: pool only.
//                          Member 0 is the run's policy; metrics.csv adds `member`
// With env.trial_episodes K > 0 it is RL² in competition (policy.type lstm;
// meta/selfplay_trainer.h): trials of K rounds through which the learner
// keeps its memory, its policy seeing the previous reward and an
// episode-start flag after the observation, each env's opponent advancing
// one version a round; no env.task_family, no ensemble.
// The batch is rounds of one whole episode per env until at least
// steps_per_iteration steps (meta/selfplay_trainer.h says why);
// fixed_episodes does not apply.
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "experiments/players.h"
#include "meta/selfplay_ensemble.h"
#include "meta/selfplay_trainer.h"
#include "experiments/algorithms/ppo.h"
#include "experiments/run.h"

namespace metarl {
namespace {

// A fixed opponent: a built-in player or another run's policy (experiments/players.h).
FixedOpponent load_opponent(const std::string& spec, const VectorEnv& env) {
  Player player = load_player(spec, env, 1);
  FixedOpponent opponent;
  opponent.policy = std::move(player.policy);
  opponent.normalizer = std::move(player.normalizer);
  return opponent;
}

class SelfplayPpoAlgorithm : public PpoAlgorithm {
 public:
  using PpoAlgorithm::PpoAlgorithm;

  void read(ExperimentConfig& cfg) override {
    // A run's resolved config.yaml says fixed_episodes: false; only true is refused.
    if (cfg.has("algorithm.fixed_episodes") && cfg.get_bool("algorithm.fixed_episodes", false))
      cfg.invalid("algorithm.fixed_episodes",
                  "does not apply to selfplay_ppo (it always collects rounds of whole episodes, one per env, until "
                  "algorithm.steps_per_iteration steps)");
    PpoAlgorithm::read(cfg);
    if (cfg.has("algorithm.opponent.checkpoint")) {
      opponent_ = "checkpoint";
      opponent_checkpoint_ = cfg.get_string_required("algorithm.opponent.checkpoint");
    } else {
      opponent_ = cfg.get_string("algorithm.opponent", "pool");
      if (opponent_ != "pool" && opponent_ != "random" && opponent_ != "scripted")
        cfg.invalid("algorithm.opponent", "must be pool, random, scripted or {checkpoint: PATH}");
    }
    SelfplayConfig& s = selfplay_;
    s.opponent_delta = cfg.get_double("algorithm.opponent_delta", s.opponent_delta, Bounds::closed(0, 1));
    s.snapshot_every = cfg.get_int("algorithm.snapshot_every", s.snapshot_every, Bounds::at_least(1));
    s.dense_anneal_fraction =
        cfg.get_double("algorithm.dense_anneal_fraction", s.dense_anneal_fraction, Bounds::closed(0, 1));
    mixed_.clear();
    double mixed_total = 0;
    for (const auto& [player, probability] : cfg.get_string_map("algorithm.mixed_opponents")) {
      const std::string key = "algorithm.mixed_opponents." + player;
      if (player != "random" && player != "scripted")
        cfg.invalid(key, "names no player: the mix takes random or scripted");
      char* end = nullptr;
      const double p = std::strtod(probability.c_str(), &end);
      if (probability.empty() || *end != '\0' || !(p > 0 && p <= 1))
        cfg.invalid(key, "must be a probability in (0, 1]");
      mixed_.emplace_back(player, p);
      mixed_total += p;
    }
    if (!mixed_.empty() && opponent_ != "pool")
      cfg.invalid("algorithm.mixed_opponents", "applies only to opponent: pool");
    if (mixed_total > 1 + 1e-9)
      cfg.invalid("algorithm.mixed_opponents", "must have probabilities summing to at most 1");
    ensemble_ = cfg.get_int("algorithm.ensemble", 1, Bounds::at_least(1));
    if (ensemble_ > 1 && opponent_ != "pool")
      cfg.invalid("algorithm.ensemble", "applies only to opponent: pool (the members play each other's versions)");
    policy_settings_ = read_policy(cfg);
  }

  bool trials_are_rounds() const override { return true; }
  int64_t env_group_size(const EnvSettings&) const override { return 0; }  // matches are not shared yet

  void check_env_keys(const ExperimentConfig& cfg, const EnvSettings& env) const override {
    if (env.trial_episodes == 0) return;
    if (policy_settings_.type != "lstm")
      cfg.invalid("env.trial_episodes", "(RL²) needs policy.type lstm: its memory is the recurrent state");
    if (ensemble_ > 1) cfg.invalid("env.trial_episodes", "(RL²) is for one learner, not algorithm.ensemble > 1");
    if (!env.task_family.empty())
      cfg.invalid("env.task_family", "does not apply to RL² in self-play: the opponents are the trials' changing part");
  }

  std::unique_ptr<IterativeTrainer> build(const ExperimentConfig& cfg, TrainerParts parts) override {
    SelfplayConfig s = selfplay_;
    s.total_env_steps = parts.total_env_steps;
    s.trial_episodes = parts.trial_episodes;
    TrainerConfig config = config_;
    config.trial_inputs = s.trial_episodes > 0;
    const int64_t planned_iterations =
        (parts.total_env_steps + config_.steps_per_iteration - 1) / config_.steps_per_iteration;
    VectorEnv& env = parts.env;
    try {
      selfplay_seats(env);  // a two-agent match env, before anything reads agent 1
      FixedOpponent fixed;
      if (opponent_ != "pool") fixed = load_opponent(opponent_ == "checkpoint" ? opponent_checkpoint_ : opponent_, env);
      const auto load_mixed = [&] {
        std::vector<MixedOpponent> mixed;
        for (const auto& [player, probability] : mixed_)
          mixed.push_back({player, load_opponent(player, env), probability});
        return mixed;
      };
      if (ensemble_ > 1) {
        std::vector<std::unique_ptr<Policy>> policies;
        std::vector<std::vector<MixedOpponent>> mixed;
        const int obs_dim = parts.policy->obs_dim(), act_dim = parts.policy->act_dim();
        policies.push_back(std::move(parts.policy));
        mixed.push_back(load_mixed());
        for (int64_t k = 1; k < ensemble_; ++k) {
          policies.push_back(make_policy(policy_settings_, obs_dim, act_dim));
          mixed.push_back(load_mixed());
        }
        return std::make_unique<SelfplayEnsemble>(env, std::move(policies), config_, learner(single_process()),
                                                  parts.seed, planned_iterations, s, std::move(mixed));
      }
      std::vector<MixedOpponent> mixed = load_mixed();
      return std::make_unique<SelfplayTrainer>(env, std::move(parts.policy), config, learner(single_process()),
                                               parts.seed, planned_iterations, s, std::move(fixed), std::move(mixed));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(cfg.source() + ": selfplay_ppo: " + e.what());
    }
  }

 private:
  SelfplayConfig selfplay_;
  std::string opponent_;             // pool | random | scripted | checkpoint
  std::string opponent_checkpoint_;  // opponent checkpoint: its path
  std::vector<std::pair<std::string, double>> mixed_;  // mixed_opponents: (player, probability), in key order
  int64_t ensemble_ = 1;
  PolicySettings policy_settings_;  // the members' architecture
};

const AlgorithmRegistration kRegisterSelfplayPpo(
    "selfplay_ppo",
    "PPO in a two-agent match env against its own past versions drawn per episode from [delta*v, v], dense reward "
    "annealed to 0 (Bansal et al. 2018)",
    [](const std::string& name) { return std::make_unique<SelfplayPpoAlgorithm>(name); });

}  // namespace
}  // namespace metarl
