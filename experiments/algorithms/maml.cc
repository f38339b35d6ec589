// MAML-RL (Finn et al. 2017) with the meta-gradient estimators and outer
// steps of meta/maml.h, continual adaptation along chains (Al-Shedivat et al.
// 2018: algorithm.chain_length), and the multi-task pretrained baseline:
// algorithm.name maml and maml_pretrain (the same keys, so one file trains both).
#include <optional>
#include <stdexcept>

#include "experiments/algorithm.h"
#include "meta/maml_trainer.h"

namespace metarl {
namespace {

class MamlAlgorithm : public Algorithm {
 public:
  explicit MamlAlgorithm(std::string name) : name_(std::move(name)) {}

  void read(ExperimentConfig& cfg) override;
  int64_t num_envs() const override { return config_.tasks_per_batch * config_.episodes_per_task; }

  void check_env_keys(const ExperimentConfig& cfg, const EnvSettings& env) const override {
    if (config_.self_play && !env.task_family.empty())
      throw ConfigError(cfg.source() + ": " + name_ + " with algorithm.opponents self_play draws its tasks from its "
                        "own versions; remove env.task_family");
    if (!config_.self_play && env.task_family.empty())
      throw ConfigError(cfg.source() + ": " + name_ + " needs env.task_family (or algorithm.opponents: self_play in a "
                        "two-agent match env)");
    if (!env.task.empty()) throw ConfigError(cfg.source() + ": " + name_ + " samples its tasks; remove env.task");
  }

  void check(const ExperimentConfig& cfg, const EnvSettings& env) const override {
    if (env.trial_episodes > 0)
      throw ConfigError(cfg.source() + ": env.trial_episodes (RL² trials) is for ppo, trpo and vpg runs; " + name_ +
                        " samples its own tasks");
  }

  bool samples_tasks() const override { return true; }
  int64_t env_group_size(const EnvSettings&) const override { return config_.episodes_per_task; }
  // The adapted parameters of every task after every inner step.
  int64_t policy_copies() const override { return config_.tasks_per_batch * (config_.inner.steps + 1); }

  std::optional<NetworkSize> value_network() const override {
    if (config_.value_function != "adapted_mlp") return std::nullopt;
    return NetworkSize{"algorithm.value_hidden", config_.value_hidden, 1};
  }

  std::unique_ptr<IterativeTrainer> build(const ExperimentConfig& cfg, TrainerParts parts) override {
    try {
      MamlConfig config = config_;
      config.opponents.total_env_steps = parts.total_env_steps;
      return std::make_unique<MamlTrainer>(parts.env, std::move(parts.family), std::move(parts.policy), config,
                                           parts.seed, parts.processes);
    } catch (const std::invalid_argument& e) {  // a combination of algorithm keys the trainer refuses
      throw ConfigError(cfg.source() + ": algorithm: " + e.what());
    }
  }

 private:
  std::string name_;
  MamlConfig config_;
};

void MamlAlgorithm::read(ExperimentConfig& cfg) {
  MamlConfig& m = config_;
  m.pretrain = name_ == "maml_pretrain";
  m.tasks_per_batch = cfg.get_int("algorithm.tasks_per_batch", m.tasks_per_batch, Bounds::at_least(1));
  m.episodes_per_task = cfg.get_int("algorithm.episodes_per_task", m.episodes_per_task, Bounds::at_least(1));
  // The pretrained baseline trains without adaptation but is adapted at test
  // time with the same inner step, so it reads these too.
  m.inner.steps = cfg.get_int("algorithm.inner_steps", m.inner.steps, Bounds::at_least(1));
  m.inner.step_size = cfg.get_double("algorithm.inner_lr", m.inner.step_size, Bounds::non_negative());
  m.inner.normalize_advantages = cfg.get_bool("algorithm.normalize_inner_advantages", m.inner.normalize_advantages);
  try {
    m.inner.meta_gradient = parse_meta_gradient(cfg.get_string("algorithm.meta_gradient", "exact"));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(cfg.source() + ": algorithm.meta_gradient: " + e.what());
  }
  if (m.inner.meta_gradient == MetaGradient::kExact && !m.pretrain)
    m.score_baseline = cfg.get_string("algorithm.score_baseline", m.score_baseline);
  m.outer.normalize_advantages = cfg.get_bool("algorithm.normalize_outer_advantages", m.outer.normalize_advantages);
  m.gamma = cfg.get_double("algorithm.gamma", m.gamma, Bounds::closed(0, 1));
  m.chain_length = cfg.get_int("algorithm.chain_length", m.chain_length, Bounds::non_negative());
  // Competitive meta-training: the tasks are the learner's own versions as
  // opponents that change from round to round (meta/opponent_chains.h).
  // Read only when given (runs from before the key resume with their config.yaml unchanged).
  const std::string opponents =
      cfg.has("algorithm.opponents") ? cfg.get_string_required("algorithm.opponents") : "none";
  if (opponents != "none" && opponents != "self_play")
    cfg.invalid("algorithm.opponents", "must be none or self_play, not '" + opponents + "'");
  m.self_play = opponents == "self_play";
  if (m.self_play) {
    m.opponents.snapshot_every =
        cfg.get_int("algorithm.snapshot_every", m.opponents.snapshot_every, Bounds::at_least(1));
    m.opponents.dense_anneal_fraction =
        cfg.get_double("algorithm.dense_anneal_fraction", m.opponents.dense_anneal_fraction, Bounds::closed(0, 1));
  }
  const std::string inner_episodes = cfg.get_string("algorithm.inner_episodes", "per_step");
  if (inner_episodes != "per_step" && inner_episodes != "shared")
    throw ConfigError(cfg.source() + ": algorithm.inner_episodes '" + inner_episodes +
                      "' is unknown (known: per_step, shared)");
  m.shared_inner_episodes = inner_episodes == "shared";
  m.chain_pairs = cfg.get_int("algorithm.chain_pairs", m.chain_pairs, Bounds::at_least(1));
  m.off_policy_step_sizes = cfg.get_bool("algorithm.off_policy_step_sizes", m.off_policy_step_sizes);
  // The weights' slope within [1 − clip, 1 + clip]: a clip of 1 or more would let it reach 0.
  m.inner.clip = cfg.get_double("algorithm.inner_clip", m.inner.clip, {0.0, 1.0, false, true});
  m.initial_inner_kl = cfg.get_double("algorithm.initial_inner_kl", m.initial_inner_kl, Bounds::non_negative());
  m.gae_lambda = cfg.get_double("algorithm.gae_lambda", m.gae_lambda, Bounds::closed(0, 1));
  m.outer_optimizer = cfg.get_string("algorithm.outer", m.outer_optimizer);
  if (m.outer_optimizer == "trpo") {
    read_trpo(cfg, m.trpo);
    m.metric_subsample = cfg.get_double("algorithm.metric_subsample", m.metric_subsample, {0.0, 1.0, true, false});
    m.metric_through_adaptation =
        cfg.get_bool("algorithm.metric_through_adaptation", m.metric_through_adaptation);
  } else if (m.outer_optimizer == "ppo") {
    m.ppo_learning_rate = cfg.get_double("algorithm.learning_rate", m.ppo_learning_rate, Bounds::positive());
    m.ppo_epochs = cfg.get_int("algorithm.epochs", m.ppo_epochs, Bounds::at_least(1));
    m.ppo_minibatches = cfg.get_int("algorithm.minibatches", m.ppo_minibatches, Bounds::at_least(1));
    if (m.ppo_minibatches > m.tasks_per_batch)
      cfg.invalid("algorithm.minibatches", "must be at most algorithm.tasks_per_batch (" + std::to_string(m.tasks_per_batch) + ": minibatches are of whole tasks)");
    m.outer.clip_range = cfg.get_double("algorithm.clip_range", 0.2, Bounds::positive());
    // Read for the pretrained baseline too (the same file trains both), but
    // it has no inner steps to learn sizes for.
    m.learn_step_sizes = cfg.get_bool("algorithm.learn_inner_lr", m.learn_step_sizes) && !m.pretrain;
    m.step_size_learning_rate =
        cfg.get_double("algorithm.step_size_learning_rate", m.step_size_learning_rate, Bounds::non_negative());
    m.step_size_updates = cfg.get_string("algorithm.step_size_updates", m.step_size_updates);
    if (m.step_size_updates != "minibatch" && m.step_size_updates != "iteration")
      throw ConfigError(cfg.source() + ": algorithm.step_size_updates '" + m.step_size_updates +
                        "' is unknown (known: minibatch, iteration)");
    m.theta_gradient_clip = cfg.get_double("algorithm.theta_gradient_clip", m.theta_gradient_clip, Bounds::non_negative());
    m.value_function = cfg.get_string("algorithm.value_function", m.value_function);
    if (m.value_function == "adapted_mlp") {
      m.value_hidden = cfg.get_int_list("algorithm.value_hidden", m.value_hidden, Bounds::at_least(1));
      m.value_step_size = cfg.get_double("algorithm.value_inner_lr", m.value_step_size, Bounds::non_negative());
      m.value_coef = cfg.get_double("algorithm.value_coef", m.value_coef, Bounds::non_negative());
    }
  } else {
    throw ConfigError(cfg.source() + ": algorithm.outer '" + m.outer_optimizer + "' is unknown (known: trpo, ppo)");
  }
}


const AlgorithmRegistration kRegisterMaml(
    "maml", "MAML-RL (meta_gradient: dice | exact | lvc | no_score | first_order; outer: trpo | ppo; chain_length: "
            "continual adaptation; opponents: self_play, competitive meta-training in a match env)",
    [](const std::string& name) { return std::make_unique<MamlAlgorithm>(name); });
const AlgorithmRegistration kRegisterMamlPretrain(
    "maml_pretrain", "the multi-task pretrained baseline of MAML (the same keys; adapted at test time as MAML is)",
    [](const std::string& name) { return std::make_unique<MamlAlgorithm>(name); });

}  // namespace
}  // namespace metarl
