// Self-play PPO (Bansal et al. 2018): algorithm.name selfplay_ppo. PPO's
// keys (ppo.h), plus:
//   opponent               pool (default: the learner's past versions) | random
//   opponent_delta         δ in [0, 1], default 0.5: opponents uniform over versions [δ·v, v]; 1: the newest
//   snapshot_every         iterations between versions, default 1
//   dense_anneal_fraction  in [0, 1], default 0.5: the dense weight falls from 1 to 0 over this
//                          fraction of training.total_env_steps; 0: never annealed (weight 1)
// The batch is rounds of one whole episode per env until at least
// steps_per_iteration steps (agents/selfplay_trainer.h says why);
// fixed_episodes does not apply.
#include <stdexcept>

#include "agents/selfplay_trainer.h"
#include "experiments/algorithms/ppo.h"

namespace metarl {
namespace {

class SelfplayPpoAlgorithm : public PpoAlgorithm {
 public:
  using PpoAlgorithm::PpoAlgorithm;

  void read(ExperimentConfig& cfg) override {
    if (cfg.has("algorithm.fixed_episodes"))
      cfg.invalid("algorithm.fixed_episodes",
                  "does not apply to selfplay_ppo (it always collects rounds of whole episodes, one per env, until "
                  "algorithm.steps_per_iteration steps)");
    PpoAlgorithm::read(cfg);
    SelfplayConfig& s = selfplay_;
    s.opponent = cfg.get_string("algorithm.opponent", s.opponent);
    if (s.opponent != "pool" && s.opponent != "random")
      cfg.invalid("algorithm.opponent", "must be pool or random (an opponent loaded from a checkpoint is not "
                                        "implemented yet)");
    s.opponent_delta = cfg.get_double("algorithm.opponent_delta", s.opponent_delta, Bounds::closed(0, 1));
    s.snapshot_every = cfg.get_int("algorithm.snapshot_every", s.snapshot_every, Bounds::at_least(1));
    s.dense_anneal_fraction =
        cfg.get_double("algorithm.dense_anneal_fraction", s.dense_anneal_fraction, Bounds::closed(0, 1));
  }

  void check_env_keys(const ExperimentConfig& cfg, const EnvSettings& env) const override {
    if (env.trial_episodes > 0) cfg.invalid("env.trial_episodes", "must be 0 for selfplay_ppo (no RL² trials)");
  }

  std::unique_ptr<IterativeTrainer> build(const ExperimentConfig& cfg, TrainerParts parts) override {
    SelfplayConfig s = selfplay_;
    s.total_env_steps = parts.total_env_steps;
    const int64_t planned_iterations =
        (parts.total_env_steps + config_.steps_per_iteration - 1) / config_.steps_per_iteration;
    try {
      return std::make_unique<SelfplayTrainer>(parts.env, std::move(parts.policy), config_, learner(), parts.seed,
                                               planned_iterations, s);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(cfg.source() + ": selfplay_ppo: " + e.what());
    }
  }

 private:
  SelfplayConfig selfplay_;
};

const AlgorithmRegistration kRegisterSelfplayPpo(
    "selfplay_ppo",
    "PPO in a two-agent match env against its own past versions drawn per episode from [delta*v, v], dense reward "
    "annealed to 0 (Bansal et al. 2018)",
    [](const std::string& name) { return std::make_unique<SelfplayPpoAlgorithm>(name); });

}  // namespace
}  // namespace metarl
