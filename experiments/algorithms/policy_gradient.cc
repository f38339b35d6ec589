#include "experiments/algorithms/policy_gradient.h"

#include <stdexcept>

#include "agents/checkpoint.h"
#include "envs/core/trial_env.h"
#include "meta/rl2.h"
#include "meta/test_time_adaptation.h"

namespace metarl {
namespace {

// An RL² run: the policy-gradient trainer of trials of consecutive episodes,
// evaluated along chains by running one trial per chain (its recurrent state
// is the adaptation: no step sizes, no other protocols).
class Rl2Trainer : public PolicyGradientTrainer, public ChainAdapter {
 public:
  Rl2Trainer(VectorEnv& env, std::unique_ptr<Policy> policy, const TrainerConfig& config,
             const LearnerFactory& learner, uint64_t seed, int64_t total_iterations,
             std::shared_ptr<const TaskFamily> family)
      : PolicyGradientTrainer(env, std::move(policy), config, learner, seed, total_iterations),
        env_(env),
        family_(std::move(family)) {}

  const TaskFamily& family() const override { return *family_; }
  // Its evaluation (rl2_chain_returns) runs the policy with a frozen copy of
  // the observation normaliser, on reset envs reseeded per evaluation: it
  // reads nothing else of the training state.
  void load_for_adaptation(const std::string& checkpoint) override {
    read_checkpoint_for_evaluation(checkpoint, [&](torch::serialize::InputArchive& archive) {
      read_policy_and_normalizer(archive);
    });
  }
  std::vector<std::string> records_for_adaptation() const override { return {"policy", "obs_normalizer"}; }
  void reseed(uint64_t seed) override { evaluation_seed_ = seed; }
  bool adapts_by_steps() const override { return false; }
  std::vector<std::string> chain_baselines(bool) const override { return {}; }
  std::vector<std::vector<double>> chain_curve(const std::vector<Task>& chains, int64_t episodes, int64_t,
                                               const std::string& protocol, double) override {
    if (!protocol.empty()) throw std::invalid_argument("has no chain protocol '" + protocol + "'");
    const int64_t per_trial = env_as<TrialEnv>(env_.env(0), "adapt").episodes_per_trial();
    if (per_trial != episodes)
      throw std::invalid_argument("was trained on trials of " + std::to_string(per_trial) + " episodes, not --chain " +
                                  std::to_string(episodes));
    return rl2_chain_returns(env_, policy(), observation_normalizer(), chains, evaluation_seed_);
  }

 private:
  VectorEnv& env_;
  std::shared_ptr<const TaskFamily> family_;
  uint64_t evaluation_seed_ = 0;
};

}  // namespace

void PolicyGradientAlgorithm::read(ExperimentConfig& cfg) {
  TrainerConfig& t = config_;
  t.steps_per_iteration = cfg.get_int("algorithm.steps_per_iteration", t.steps_per_iteration, Bounds::at_least(1));
  t.fixed_episodes = cfg.get_bool("algorithm.fixed_episodes", t.fixed_episodes);
  t.gamma = cfg.get_double("algorithm.gamma", t.gamma, Bounds::closed(0, 1));
  t.gae_lambda = cfg.get_double("algorithm.gae_lambda", t.gae_lambda, Bounds::closed(0, 1));
  t.baseline = cfg.get_string("algorithm.baseline", default_baseline());
  t.normalize_observations = cfg.get_bool("algorithm.normalize_observations", t.normalize_observations);
  t.normalize_rewards = cfg.get_bool("algorithm.normalize_rewards", t.normalize_rewards);
  if (t.baseline == "mlp")
    t.value_hidden = cfg.get_int_list("algorithm.value_hidden", t.value_hidden, Bounds::at_least(1));
  read_learner(cfg);
  t.learner_trains_value = learner_trains_value();
  if (!t.learner_trains_value && t.baseline == "mlp") {
    t.value.learning_rate = cfg.get_double("algorithm.value_learning_rate", t.value.learning_rate, Bounds::positive());
    t.value.epochs = cfg.get_int("algorithm.value_epochs", t.value.epochs, Bounds::at_least(1));
    t.value.minibatches = cfg.get_int("algorithm.value_minibatches", t.value.minibatches, Bounds::at_least(1));
  }
}

// The batch of an iteration against the settings that cut it.
void PolicyGradientAlgorithm::check(const ExperimentConfig& cfg, const EnvSettings& env) const {
  const TrainerConfig& t = config_;
  if (t.fixed_episodes) return;  // one episode per env: the batch has at least num_envs steps
  if (t.steps_per_iteration < env.num_envs)
    cfg.invalid("algorithm.steps_per_iteration",
                "must be at least env.num_envs (" + std::to_string(env.num_envs) + ": one step per env)");
  check_learner(cfg, t.steps_per_iteration / env.num_envs * env.num_envs);
}

std::optional<NetworkSize> PolicyGradientAlgorithm::value_network() const {
  if (config_.baseline != "mlp") return std::nullopt;
  return NetworkSize{"algorithm.value_hidden", config_.value_hidden, 1};
}

std::unique_ptr<IterativeTrainer> PolicyGradientAlgorithm::build(const ExperimentConfig&, TrainerParts parts) {
  VectorEnv& env = parts.env;
  // Over several processes, env holds this one's share of the run's envs.
  const int64_t run_envs = parts.processes.place(env.num_envs()).second;
  const int64_t steps_per_iteration =
      config_.fixed_episodes ? run_envs * env.env(0).max_episode_steps()  // at most
                             : config_.steps_per_iteration / run_envs * run_envs;
  const int64_t planned_iterations = (parts.total_env_steps + steps_per_iteration - 1) / steps_per_iteration;
  if (parts.trial_family)
    return std::make_unique<Rl2Trainer>(env, std::move(parts.policy), config_, learner(single_process()), parts.seed,
                                        planned_iterations, parts.trial_family);
  return std::make_unique<PolicyGradientTrainer>(env, std::move(parts.policy), config_, learner(parts.processes),
                                                 parts.seed, planned_iterations, std::vector<int64_t>{},
                                                 parts.processes);
}

}  // namespace metarl
