// Reptile (Nichol, Achiam and Schulman 2018, "On First-Order Meta-Learning
// Algorithms"): algorithm.name reptile. The whole algorithm is this file: its
// keys, its trainer, its test-time adaptation and its registration.
//
// Every iteration samples tasks_per_batch tasks; from θ, each task i takes
// inner_steps policy-gradient steps φ ← φ − α ∇L_in(φ), each on new
// episodes of the current φ (MAML's inner step and machinery, meta/maml.h:
// the linear baseline per task, the plain surrogate, first order), giving
// φ_i; then θ ← θ + ε (mean_i φ_i − θ). No second derivatives and no outer
// optimiser: the outer step is the interpolation itself. ε is annealed
// linearly to 0 over the run's env steps when anneal_outer_step_size (as the
// paper anneals its meta step size).
//
// Test-time adaptation (`metarl adapt`) takes the same inner step as
// training on fresh tasks (TaskAdapter), exactly as MAML's runs do.
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "agents/checkpoint.h"
#include "agents/stopwatch.h"
#include "experiments/algorithm.h"
#include "meta/maml.h"
#include "meta/maml_trainer.h"
#include "meta/test_time_adaptation.h"

namespace metarl {
namespace {

struct ReptileConfig {
  int64_t tasks_per_batch = 20;
  int64_t episodes_per_task = 10;
  int64_t inner_steps = 3;
  double inner_lr = 0.1;          // α of every inner step
  double outer_step_size = 0.5;   // ε
  bool anneal_outer_step_size = true;
  bool normalize_inner_advantages = true;
  double gamma = 0.99;
  double gae_lambda = 1.0;
};

Params values_of(const Params& params) {
  Params out;
  for (const auto& p : params) out.push_back(p.detach());
  return out;
}

class ReptileTrainer : public IterativeTrainer, public TaskAdapter {
 public:
  ReptileTrainer(VectorEnv& env, std::unique_ptr<TaskFamily> family, std::unique_ptr<Policy> policy,
                 const ReptileConfig& config, uint64_t seed, int64_t total_env_steps)
      : env_(env),
        family_(std::move(family)),
        policy_(std::move(policy)),
        config_(config),
        total_env_steps_(total_env_steps),
        horizon_(env.env(0).max_episode_steps()),
        task_rng_(derive_seed(seed, 0x7a5c)),
        sampler_(env, *policy_, derive_seed(seed, 1)) {
    if (policy_->recurrent()) throw std::invalid_argument("reptile: the inner steps need a feed-forward policy");
    if (env.num_envs() != config.tasks_per_batch * config.episodes_per_task)
      throw std::invalid_argument("reptile: the VectorEnv has " + std::to_string(env.num_envs()) + " envs, expected " +
                                  std::to_string(config.tasks_per_batch * config.episodes_per_task));
  }

  Metrics run_iteration() override {
    const auto start = Clock::now();
    const int64_t m = config_.tasks_per_batch;
    assign_tasks(family_->sample(int(m), task_rng_));
    env_.pin_episode_index(-1);
    sampler_.reset_times();
    const double epsilon = outer_step_size();
    const torch::Tensor alpha = torch::tensor(float(config_.inner_lr));

    // The inner steps of every task at once (its parameters stacked), each on
    // new episodes of the parameters it steps from.
    Params adapted = values_of(replicate(policy_->parameters(), m));
    std::vector<double> round_returns;
    double sample_seconds = 0;
    for (int64_t step = 0; step < config_.inner_steps; ++step) {
      const auto t0 = Clock::now();
      const EpisodeBatch episodes = sampler_.collect_episodes_grouped(horizon_, adapted, m);
      sample_seconds += seconds_since(t0);
      env_steps_ += episodes.env_steps();
      round_returns.push_back(mean_of(episodes.episode_returns));
      const InnerBatch batch{episodes, all_task_advantages(episodes, m, config_.gamma, config_.gae_lambda)};
      adapted = values_of(adapt_step(*policy_, adapted, batch, alpha, m, config_.normalize_inner_advantages,
                                     /*create_graph=*/false));
    }
    // θ ← θ + ε (mean_i φ_i − θ).
    double step_norm = 0;
    {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < adapted.size(); ++i) {
        torch::Tensor& theta = policy_->parameters()[i];
        const torch::Tensor direction = adapted[i].mean(0) - theta;
        theta.add_(direction, epsilon);
        step_norm += direction.pow(2).sum().item<double>();
      }
    }
    ++iteration_;
    const SamplerTimes& times = sampler_.times();
    return {{"iteration", double(iteration_)},
            {"env_steps", double(env_steps_)},
            {"iter_seconds", seconds_since(start)},
            // The episodes of the last inner step's parameters (after
            // inner_steps − 1 steps), and of θ itself.
            {"mean_return", round_returns.back()},
            {"return_before_adaptation", round_returns.front()},
            {"sample_seconds", sample_seconds},
            {"env_seconds", times.env_seconds},
            {"policy_seconds", times.policy_seconds},
            {"outer_step_size", epsilon},
            {"adaptation_distance", std::sqrt(step_norm)}};  // ‖mean φ − θ‖
  }

  int64_t iteration() const override { return iteration_; }
  int64_t env_steps() const override { return env_steps_; }
  Policy& policy() override { return *policy_; }

  void save_checkpoint(const std::string& path) const override {
    torch::serialize::OutputArchive archive;
    archive.write("iteration", torch::tensor(iteration_));
    archive.write("env_steps", torch::tensor(env_steps_));
    write_tensors(archive, "policy", policy_->parameters());
    const auto words = task_rng_.state();
    archive.write("task_rng", torch::tensor(std::vector<int64_t>(words.begin(), words.end())));
    write_tensors(archive, "sampler", sampler_.state());
    write_env_state(archive, env_);
    write_checkpoint(archive, path);
  }

  void load_checkpoint(const std::string& path) override {
    read_checkpoint(path, [&](torch::serialize::InputArchive& archive) {
      iteration_ = read_tensor(archive, "iteration").item<int64_t>();
      env_steps_ = read_tensor(archive, "env_steps").item<int64_t>();
      copy_into(policy_->parameters(), read_tensors(archive, "policy"), "policy");
      const auto words = read_tensor(archive, "task_rng");
      std::array<uint64_t, 4> state;
      for (int i = 0; i < 4; ++i) state[i] = uint64_t(words[i].item<int64_t>());
      task_rng_.set_state(state);
      sampler_.load_state(read_tensors(archive, "sampler"));
      read_env_state(archive, env_);
    });
  }

  // TaskAdapter: the training's inner step, inner_steps times at α (and at
  // α past them), from θ on fresh tasks.
  const TaskFamily& family() const override { return *family_; }
  void load_for_adaptation(const std::string& path) override {
    read_checkpoint_for_evaluation(path, [&](torch::serialize::InputArchive& archive) {
      copy_into(policy_->parameters(), read_tensors(archive, "policy"), "policy");
    });
  }
  std::vector<std::string> records_for_adaptation() const override { return {"policy"}; }
  void reseed(uint64_t seed) override {
    env_.seed(seed);
    sampler_.reseed(derive_seed(seed, 1));
  }
  std::vector<std::vector<double>> adaptation_returns(const std::vector<Task>& tasks, int64_t steps,
                                                      double step_size) override {
    const torch::Tensor alphas =
        torch::full({config_.inner_steps}, float(step_size > 0 ? step_size : config_.inner_lr));
    const InnerStepAdaptation setup{env_,
                                    sampler_,
                                    *family_,
                                    *policy_,
                                    config_.tasks_per_batch,
                                    config_.episodes_per_task,
                                    config_.gamma,
                                    config_.gae_lambda,
                                    config_.normalize_inner_advantages};
    return inner_step_adaptation_returns(setup, tasks, steps, alphas);
  }

 private:
  static double mean_of(const std::vector<double>& v) {
    return v.empty() ? std::nan("") : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  }

  // ε at the start of this iteration: annealed by the share of the run's env steps taken.
  double outer_step_size() const {
    if (!config_.anneal_outer_step_size) return config_.outer_step_size;
    return config_.outer_step_size * std::max(0.0, 1.0 - double(env_steps_) / double(total_env_steps_));
  }

  void assign_tasks(const std::vector<Task>& tasks) {
    const int64_t k = config_.episodes_per_task;
    for (int64_t i = 0; i < env_.num_envs(); ++i) env_.set_task(int(i), *family_, tasks[size_t(i / k)]);
  }

  VectorEnv& env_;
  std::unique_ptr<TaskFamily> family_;
  std::unique_ptr<Policy> policy_;
  ReptileConfig config_;
  int64_t total_env_steps_;
  int64_t horizon_;
  Rng task_rng_;
  Sampler sampler_;
  int64_t iteration_ = 0;
  int64_t env_steps_ = 0;
};

class ReptileAlgorithm : public Algorithm {
 public:
  void read(ExperimentConfig& cfg) override {
    ReptileConfig& r = config_;
    r.tasks_per_batch = cfg.get_int("algorithm.tasks_per_batch", r.tasks_per_batch, Bounds::at_least(1));
    r.episodes_per_task = cfg.get_int("algorithm.episodes_per_task", r.episodes_per_task, Bounds::at_least(1));
    r.inner_steps = cfg.get_int("algorithm.inner_steps", r.inner_steps, Bounds::at_least(1));
    r.inner_lr = cfg.get_double("algorithm.inner_lr", r.inner_lr, Bounds::positive());
    r.normalize_inner_advantages =
        cfg.get_bool("algorithm.normalize_inner_advantages", r.normalize_inner_advantages);
    // ε interpolates between θ and the adapted parameters: beyond 1 it extrapolates.
    r.outer_step_size = cfg.get_double("algorithm.outer_step_size", r.outer_step_size, {0.0, 1.0, true, false});
    r.anneal_outer_step_size = cfg.get_bool("algorithm.anneal_outer_step_size", r.anneal_outer_step_size);
    r.gamma = cfg.get_double("algorithm.gamma", r.gamma, Bounds::closed(0, 1));
    r.gae_lambda = cfg.get_double("algorithm.gae_lambda", r.gae_lambda, Bounds::closed(0, 1));
  }

  int64_t num_envs() const override { return config_.tasks_per_batch * config_.episodes_per_task; }

  void check_env_keys(const ExperimentConfig& cfg, const EnvSettings& env) const override {
    if (env.task_family.empty()) throw ConfigError(cfg.source() + ": reptile needs env.task_family");
    if (!env.task.empty()) throw ConfigError(cfg.source() + ": reptile samples its tasks; remove env.task");
  }

  void check(const ExperimentConfig& cfg, const EnvSettings& env) const override {
    if (env.trial_episodes > 0)
      throw ConfigError(cfg.source() +
                        ": env.trial_episodes (RL² trials) is for ppo, trpo and vpg runs; reptile samples its own tasks");
  }

  bool samples_tasks() const override { return true; }
  // Every task's parameters, and their gradient during a step.
  int64_t policy_copies() const override { return 2 * config_.tasks_per_batch; }
  std::optional<NetworkSize> value_network() const override { return std::nullopt; }  // the linear baseline

  std::unique_ptr<IterativeTrainer> build(const ExperimentConfig& cfg, TrainerParts parts) override {
    try {
      return std::make_unique<ReptileTrainer>(parts.env, std::move(parts.family), std::move(parts.policy), config_,
                                              parts.seed, parts.total_env_steps);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(cfg.source() + ": algorithm: " + e.what());
    }
  }

 private:
  ReptileConfig config_;
};

const AlgorithmRegistration kRegisterReptile(
    "reptile",
    "Reptile (first order: inner policy-gradient steps per task, θ moved toward their mean; outer_step_size ε)",
    [](const std::string&) { return std::make_unique<ReptileAlgorithm>(); });

}  // namespace
}  // namespace metarl
