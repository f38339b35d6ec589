// Self-play PPO (Bansal et al. 2018): algorithm.name selfplay_ppo. PPO's
// keys (ppo.h), plus:
//   opponent               who plays the other seat:
//                            pool (default): the learner's past versions (agents of one kind only);
//                            random: a fixed policy spread over the action box (random_policy);
//                            {checkpoint: PATH}: the policy and normaliser of another metarl run's
//                              checkpoint (PATH = RUN/checkpoints/latest.pt; its RUN/config.yaml says
//                              the policy's architecture), for agent 1's spaces
//   opponent_delta         δ in [0, 1], default 0.5: opponents uniform over versions [δ·v, v]; 1: the newest
//   snapshot_every         iterations between versions, default 1
//   dense_anneal_fraction  in [0, 1], default 0.5: the dense weight falls from 1 to 0 over this
//                          fraction of training.total_env_steps; 0: never annealed (weight 1)
// The batch is rounds of one whole episode per env until at least
// steps_per_iteration steps (meta/selfplay_trainer.h says why);
// fixed_episodes does not apply.
#include <filesystem>
#include <stdexcept>

#include "agents/checkpoint.h"
#include "meta/selfplay_trainer.h"
#include "experiments/algorithms/ppo.h"
#include "experiments/run.h"

namespace metarl {
namespace {

// The policy (and normaliser, when that run normalised observations) saved
// in another run's checkpoint, for an agent with these spaces. A resumed
// self-play run reloads it from the file: the file must not change between.
FixedOpponent load_opponent(const std::string& checkpoint, int obs_dim, const Box& action) {
  namespace fs = std::filesystem;
  const fs::path config = fs::path(checkpoint).parent_path().parent_path() / "config.yaml";
  if (!fs::exists(checkpoint)) throw std::invalid_argument(checkpoint + " does not exist");
  if (!fs::exists(config))
    throw std::invalid_argument(checkpoint + " is not in a metarl run's checkpoints/ (no " + config.string() + ")");
  ExperimentConfig other = ExperimentConfig::load(config.string());
  const PolicySettings settings = read_policy(other);
  const bool normalizes = other.get_bool("algorithm.normalize_observations", true);
  FixedOpponent opponent;
  opponent.policy = make_policy(settings, obs_dim, action.size());
  if (normalizes) opponent.normalizer = std::make_unique<RunningNormalizer>(obs_dim);
  try {
    read_checkpoint_for_evaluation(checkpoint, [&](torch::serialize::InputArchive& archive) {
      copy_into(opponent.policy->parameters(), read_tensors(archive, "policy"), "its policy");
      if (normalizes) opponent.normalizer->load_state(read_tensors(archive, "obs_normalizer"));
    });
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string(e.what()) + " (the opponent's agent has observation " +
                                std::to_string(obs_dim) + " and action " + std::to_string(action.size()) + ")");
  }
  return opponent;
}

class SelfplayPpoAlgorithm : public PpoAlgorithm {
 public:
  using PpoAlgorithm::PpoAlgorithm;

  void read(ExperimentConfig& cfg) override {
    if (cfg.has("algorithm.fixed_episodes"))
      cfg.invalid("algorithm.fixed_episodes",
                  "does not apply to selfplay_ppo (it always collects rounds of whole episodes, one per env, until "
                  "algorithm.steps_per_iteration steps)");
    PpoAlgorithm::read(cfg);
    if (cfg.has("algorithm.opponent.checkpoint")) {
      opponent_ = "checkpoint";
      opponent_checkpoint_ = cfg.get_string_required("algorithm.opponent.checkpoint");
    } else {
      opponent_ = cfg.get_string("algorithm.opponent", "pool");
      if (opponent_ != "pool" && opponent_ != "random")
        cfg.invalid("algorithm.opponent", "must be pool, random or {checkpoint: PATH}");
    }
    SelfplayConfig& s = selfplay_;
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
    VectorEnv& env = parts.env;
    try {
      selfplay_seats(env);  // a two-agent match env, before anything reads agent 1
      FixedOpponent fixed;
      if (opponent_ == "random") fixed.policy = random_policy(env.observation_space(1).size(), env.action_space(1));
      if (opponent_ == "checkpoint")
        fixed = load_opponent(opponent_checkpoint_, env.observation_space(1).size(), env.action_space(1));
      return std::make_unique<SelfplayTrainer>(env, std::move(parts.policy), config_, learner(), parts.seed,
                                               planned_iterations, s, std::move(fixed));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(cfg.source() + ": selfplay_ppo: " + e.what());
    }
  }

 private:
  SelfplayConfig selfplay_;
  std::string opponent_;             // pool | random | checkpoint
  std::string opponent_checkpoint_;  // opponent checkpoint: its path
};

const AlgorithmRegistration kRegisterSelfplayPpo(
    "selfplay_ppo",
    "PPO in a two-agent match env against its own past versions drawn per episode from [delta*v, v], dense reward "
    "annealed to 0 (Bansal et al. 2018)",
    [](const std::string& name) { return std::make_unique<SelfplayPpoAlgorithm>(name); });

}  // namespace
}  // namespace metarl
