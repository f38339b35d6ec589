#include "meta/maml_trainer.h"

#include <cmath>
#include <deque>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "agents/checkpoint.h"
#include "agents/gae.h"
#include "agents/stopwatch.h"
#include "agents/vpg.h"

namespace metarl {
namespace {

double mean_of(const std::vector<double>& v) {
  return v.empty() ? std::nan("") : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

Params detached(const Params& params) {  // values only
  Params out;
  for (const auto& p : params) out.push_back(p.detach());
  return out;
}

// The policy parameters after test-time inner step `step` (0-based), checked
// before they act: a NaN would otherwise surface as an env's "action is NaN".
const Params& finite_or_throw(const Params& params, int64_t step, const torch::Tensor& alpha) {
  for (const auto& p : params) {
    if (torch::isfinite(p).all().item<bool>()) continue;
    std::ostringstream message;
    message << "adaptation diverged: non-finite policy parameters after inner step " << step + 1 << " of step size "
            << alpha.item<float>();
    throw AdaptationDiverged(message.str());
  }
  return params;
}

// One consecutive pair of a chain (or MAML's one task pair): the inner
// steps' episodes at one position, the outer objective's at the next, acted
// by the policy those steps adapted; with the adapted value network's
// targets of every inner step and of the validation episodes.
struct ChainPair {
  MetaBatch batch;
  std::vector<ValueBatch> value_inner;
  ValueBatch value_validation;
};

}  // namespace

torch::Tensor task_mean_returns(const EpisodeBatch& episodes, int64_t tasks, int64_t per_task) {
  std::vector<double> sum(tasks, 0.0), count(tasks, 0.0);
  for (size_t e = 0; e < episodes.episode_returns.size(); ++e) {
    const int64_t task = episodes.episode_envs[e] / per_task;
    sum[task] += episodes.episode_returns[e];
    count[task] += 1;
  }
  auto out = torch::empty({tasks}, torch::kFloat64);
  for (int64_t i = 0; i < tasks; ++i) out[i] = count[i] > 0 ? sum[i] / count[i] : std::nan("");
  return out;
}

torch::Tensor all_task_advantages(const EpisodeBatch& episodes, int64_t tasks, double gamma, double lambda) {
  const int64_t per_task = episodes.num_envs() / tasks;
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < tasks; ++i)
    parts.push_back(task_advantages(episodes.select_envs(i * per_task, per_task), gamma, lambda));
  return torch::cat(parts, 1);
}

torch::Tensor task_advantages(const EpisodeBatch& b, double gamma, double lambda) {
  torch::NoGradGuard no_grad;
  LinearFeatureBaseline baseline;
  const auto returns = discounted_returns(b.rewards, b.episode_end, b.masks, gamma);
  baseline.fit(b.observations, b.timesteps, returns, b.masks);
  const auto values = baseline.predict(b.observations, b.timesteps);
  const auto next_values = baseline.predict(b.next_observations, b.timesteps + 1.0);
  return gae_advantages(b.rewards, values, next_values, b.episode_end, b.episode_end, b.masks, gamma, lambda);
}

MamlTrainer::MamlTrainer(VectorEnv& env, std::unique_ptr<TaskFamily> family, std::unique_ptr<Policy> policy,
                         const MamlConfig& config, uint64_t seed, const Communicator& processes)
    : env_(env),
      processes_(processes),
      family_(std::move(family)),
      policy_(std::move(policy)),
      config_(config),
      horizon_(env.env(0).max_episode_steps()),
      task_rng_(derive_seed(seed, 0x7a5c)) {
  if (config.tasks_per_batch < 1 || config.episodes_per_task < 1)
    throw std::invalid_argument("maml: tasks_per_batch and episodes_per_task must be >= 1");
  if (config.self_play == (family_ != nullptr))
    throw std::invalid_argument(config.self_play ? "maml: self-play's tasks are opponents, not a task family's"
                                                 : "maml: a task family is needed");
  if (config.self_play && (!config.shared_inner_episodes || config.chain_length != 0))
    throw std::invalid_argument(
        "maml: self-play adapts on one round's matches and is judged on the next (inner_episodes shared, no "
        "chain_length)");
  const auto [first_task, last_task] = processes.share(config.tasks_per_batch);
  first_task_ = first_task;
  local_tasks_ = last_task - first_task;
  if (processes.several()) {
    // What sums over processes so far: TRPO's outer step on a task family's tasks.
    std::string refused;
    if (config.outer_optimizer != "trpo") refused = "outer_optimizer " + config.outer_optimizer;
    if (config.self_play) refused = "self-play";
    if (config.initial_inner_kl > 0) refused = "initial_inner_kl";
    if (!refused.empty())
      throw std::invalid_argument("maml: " + refused + " does not run over several processes yet (outer_optimizer "
                                  "trpo on a task family does)");
    if (local_tasks_ < 1)
      throw std::invalid_argument("maml: tasks_per_batch " + std::to_string(config.tasks_per_batch) +
                                  " leaves no task to some of the " + std::to_string(processes.world_size()) +
                                  " processes");
  }
  if (env.num_envs() != local_tasks_ * config.episodes_per_task)
    throw std::invalid_argument("maml: the VectorEnv has " + std::to_string(env.num_envs()) + " envs, expected " +
                                std::to_string(local_tasks_ * config.episodes_per_task));
  if (config.outer_optimizer != "trpo" && config.outer_optimizer != "ppo")
    throw std::invalid_argument("maml: unknown outer optimizer '" + config.outer_optimizer + "' (known: trpo, ppo)");
  if (config.score_baseline != "task_regression" && config.score_baseline != "leave_one_out")
    throw std::invalid_argument("maml: unknown score_baseline '" + config.score_baseline +
                                "' (known: task_regression, leave_one_out)");
  if (config.shared_inner_episodes && config.inner.meta_gradient != MetaGradient::kDice &&
      config.inner.meta_gradient != MetaGradient::kLvc && config.inner.meta_gradient != MetaGradient::kFirstOrder)
    throw std::invalid_argument(
        "maml: shared inner episodes need an importance-weighted inner loss (meta_gradient dice, lvc or first_order)");
  if (config.chain_pairs < 1 || (config.chain_pairs > 1 && !config.shared_inner_episodes) ||
      (config.chain_pairs > 1 && config.outer_optimizer != "ppo"))
    throw std::invalid_argument("maml: chain_pairs " + std::to_string(config.chain_pairs) +
                                " must be 1, or more with shared inner episodes and the ppo outer optimizer");
  if (config.step_size_updates != "minibatch" && config.step_size_updates != "iteration")
    throw std::invalid_argument("maml: unknown step_size_updates '" + config.step_size_updates +
                                "' (known: minibatch, iteration)");
  if (!(config.initial_inner_kl >= 0))
    throw std::invalid_argument("maml: initial_inner_kl must be >= 0");
  // Every inner step of continual adaptation may learn off-policy.
  config_.inner.off_policy = config.shared_inner_episodes;
  if (config.learn_step_sizes && config.outer_optimizer != "ppo")
    throw std::invalid_argument("maml: learned step sizes need the ppo outer optimizer");
  if (config.value_function != "linear" && config.value_function != "adapted_mlp")
    throw std::invalid_argument("maml: unknown value_function '" + config.value_function +
                                "' (known: linear, adapted_mlp)");
  if (config.value_function == "adapted_mlp" && config.outer_optimizer != "ppo")
    throw std::invalid_argument("maml: value_function adapted_mlp needs the ppo outer optimizer");
  const int64_t step_count = std::max<int64_t>(1, config_.inner.steps);
  if (config.learn_step_sizes &&
      !(config_.inner.step_size > 0 && (config.value_function != "adapted_mlp" || config.value_step_size > 0)))
    throw std::invalid_argument("maml: learned step sizes must start positive (inner_lr " +
                                std::to_string(config_.inner.step_size) + ", value_inner_lr " +
                                std::to_string(config.value_step_size) + ")");
  // Learned sizes live in log space (see step_sizes_).
  auto sizes_leaf = [&](double alpha) {
    const auto t = torch::full({step_count}, alpha);
    return config.learn_step_sizes ? t.log() : t;
  };
  step_sizes_ = sizes_leaf(config_.inner.step_size);
  if (config.off_policy_step_sizes) off_policy_step_sizes_ = sizes_leaf(config_.inner.step_size);
  if (config.value_function == "adapted_mlp") {
    value_ = std::make_unique<MlpValueFunction>(env.obs_dim(), config.value_hidden, Activation::kTanh);
    value_step_sizes_ = sizes_leaf(config.value_step_size);
  }
  if (config.pretrain) config_.inner.steps = 0;  // after sizing the step sizes: test-time adaptation uses them
  if (const int64_t rounds = training_rounds();
      config.chain_length < 0 || (config.chain_length > 0 && config.chain_length <= rounds))
    throw std::invalid_argument("maml: chain_length " + std::to_string(config.chain_length) +
                                " leaves no position for the validation episodes after " + std::to_string(rounds) +
                                " rounds of training episodes");
  if (config.self_play) {
    opponents_ = std::make_unique<OpponentChains>(env, config.episodes_per_task, config.opponents,
                                                  derive_seed(seed, 0x0c4a));
    opponents_->add_version(policy_->parameters());  // version 0: the initial policy
  }
  sampler_ = std::make_unique<Sampler>(env, *policy_, derive_seed(seed, 1), nullptr, true,
                                       opponents_ ? opponents_->seats().learner_rows : std::vector<int64_t>{});
  if (processes.several())
    sampler_->share_batch(processes_, config.tasks_per_batch * config.episodes_per_task,
                          first_task_ * config.episodes_per_task);
  if (config.off_policy_step_sizes && config.chain_pairs < 2)
    throw std::invalid_argument("maml: off_policy_step_sizes need chain_pairs >= 2 (the pairs that learn them)");
  if (config.learn_step_sizes) step_sizes_.requires_grad_(true);
  if (config.learn_step_sizes && config.off_policy_step_sizes) off_policy_step_sizes_.requires_grad_(true);
  if (config.learn_step_sizes && value_) value_step_sizes_.requires_grad_(true);
  if (config.ppo_minibatches < 1 || config.ppo_minibatches > config.tasks_per_batch)
    throw std::invalid_argument("maml: minibatches " + std::to_string(config.ppo_minibatches) +
                                " must lie in [1, tasks_per_batch = " + std::to_string(config.tasks_per_batch) + "]");
  if (config.step_size_learning_rate < 0)
    throw std::invalid_argument("maml: step_size_learning_rate must be >= 0 (0: the outer learning rate)");
  if (config.outer_optimizer == "ppo") {
    std::vector<torch::Tensor> trained = policy_->parameters(), sizes;
    if (config.learn_step_sizes) sizes.push_back(step_sizes_);
    if (config.learn_step_sizes && config.off_policy_step_sizes) sizes.push_back(off_policy_step_sizes_);
    if (value_) {
      for (const auto& p : value_->parameters()) trained.push_back(p);
      if (config.learn_step_sizes) sizes.push_back(value_step_sizes_);
    }
    const double sizes_rate = config.step_size_learning_rate > 0 ? config.step_size_learning_rate
                                                                  : config.ppo_learning_rate;
    if (config.step_size_updates == "iteration" && !sizes.empty()) {
      step_size_optimizer_ = std::make_unique<AdamOptimizer>(std::vector<AdamGroup>{{sizes, sizes_rate}},
                                                             config.ppo_adam_epsilon);
      sizes.clear();
    }
    // One group unless the sizes have their own rate: the checkpoints of
    // runs from before step_size_learning_rate existed hold one group.
    const bool own_group = config.step_size_learning_rate > 0 && !sizes.empty();
    if (!own_group) trained.insert(trained.end(), sizes.begin(), sizes.end());
    std::vector<AdamGroup> groups = {{trained, config.ppo_learning_rate}};
    if (own_group) groups.push_back({sizes, config.step_size_learning_rate});
    ppo_optimizer_ = std::make_unique<AdamOptimizer>(std::move(groups), config.ppo_adam_epsilon);
  }
}

torch::Tensor MamlTrainer::alphas_of(const torch::Tensor& leaf, bool graph) const {
  if (!config_.learn_step_sizes) return leaf.detach();
  return graph ? leaf.exp() : leaf.detach().exp();
}

int64_t MamlTrainer::training_rounds() const {
  return config_.shared_inner_episodes ? std::min<int64_t>(1, config_.inner.steps) * config_.chain_pairs
                                       : config_.inner.steps;
}

double MamlTrainer::return_scale() const { return std::sqrt(return_stats_.var()[0].item<double>() + 1e-8); }

void MamlTrainer::update_return_scale(const EpisodeBatch& episodes) {
  const auto returns = discounted_returns(episodes.rewards, episodes.episode_end, episodes.masks, config_.gamma);
  return_stats_.update(returns.reshape({-1, 1}), episodes.masks.reshape({-1}));
}

torch::Tensor MamlTrainer::round_advantages(const EpisodeBatch& episodes, int64_t tasks, const Params& value,
                                            ValueBatch* value_batch) const {
  if (!value_) return all_task_advantages(episodes, tasks, config_.gamma, config_.gae_lambda);
  ValueAdvantages va =
      value_advantages(*value_, value, episodes, tasks, return_scale(), config_.gamma, config_.gae_lambda);
  if (value_batch) *value_batch = std::move(va.batch);
  return va.advantages;
}

torch::Tensor MamlTrainer::outer_value_loss(const std::vector<ValueBatch>& inner, const ValueBatch& validation,
                                            int64_t m) const {
  const torch::Tensor sizes = alphas_of(value_step_sizes_, true);
  Params psi = replicate(value_->parameters(), m);
  for (size_t k = 0; k < inner.size(); ++k)
    psi = adapt_value_step(*value_, psi, inner[k], sizes[int64_t(k)], m, /*create_graph=*/true);
  return value_losses(*value_, validation, psi, m).mean();
}

MamlTrainer::InnerRound MamlTrainer::take_inner_steps(const EpisodeBatch& episodes, int64_t tasks, Params policy,
                                                      Params value, const torch::Tensor& alphas,
                                                      const torch::Tensor& value_alphas, int64_t first, int64_t last,
                                                      const InnerObjective& objective, bool check_finite) const {
  InnerRound round;
  torch::Tensor advantages;
  for (int64_t step = first; step < last; ++step) {
    // Advantages from the value network as adapted so far (the linear
    // baseline's do not change from one step to the next).
    ValueBatch value_batch;
    if (value_ || !advantages.defined()) advantages = round_advantages(episodes, tasks, value, &value_batch);
    InnerBatch ib{episodes, advantages};
    policy = detached(adapt_step(*policy_, policy, ib, alphas[step], tasks, config_.inner.normalize_advantages,
                                 /*create_graph=*/false, objective));
    if (check_finite) finite_or_throw(policy, step, alphas[step]);
    round.path.push_back(policy);
    round.batches.push_back(std::move(ib));
    if (value_) {
      value = detached(adapt_value_step(*value_, value, value_batch, value_alphas[step], tasks, false));
      round.value_batches.push_back(std::move(value_batch));
    }
  }
  round.policy = std::move(policy);
  round.value = std::move(value);
  return round;
}

void MamlTrainer::calibrate_step_sizes(const EpisodeBatch& episodes, int64_t tasks, const Params& theta,
                                       const Params& value, const InnerObjective& objective) {
  const torch::Tensor configured = step_sizes();
  const torch::Tensor value_alphas = value_ ? alphas_of(value_step_sizes_, false) : torch::Tensor();
  // KL grows as α² while the step is small: a few fixed-point iterations of
  // α ← α sqrt(target / KL(α)), each factor bounded, on these episodes.
  double scale = 1;
  for (int i = 0; i < 10; ++i) {
    const InnerRound round = take_inner_steps(episodes, tasks, theta, value, configured * scale, value_alphas, 0,
                                              config_.inner.steps, objective, /*check_finite=*/false);
    const double kl = inner_kl(*policy_, theta, round.policy, episodes, tasks);
    if (!(kl > 0) || !std::isfinite(kl)) break;
    const double factor = std::clamp(std::sqrt(config_.initial_inner_kl / kl), 0.1, 10.0);
    scale *= factor;
    if (std::abs(factor - 1) < 0.01) break;
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor alphas = configured * scale;
  step_sizes_.copy_(config_.learn_step_sizes ? alphas.log() : alphas);
  if (config_.off_policy_step_sizes) off_policy_step_sizes_.copy_(step_sizes_);
}

Params MamlTrainer::adapt_on(const EpisodeBatch& episodes, int64_t tasks, bool acted_by_adapted,
                             double step_size) const {
  const torch::Tensor trained = acted_by_adapted ? off_policy_step_sizes() : step_sizes();
  const torch::Tensor alphas = step_size > 0 ? torch::full_like(trained, step_size) : trained;
  const torch::Tensor value_alphas = value_ ? alphas_of(value_step_sizes_, false) : torch::Tensor();
  InnerLoopConfig continual = config_.inner;
  continual.off_policy = true;
  const Params theta = detached(replicate(policy_->parameters(), tasks));
  const Params value = value_ ? detached(replicate(value_->parameters(), tasks)) : Params{};
  // As many steps as the run's inner_steps (a pretrained run reads them
  // from the same file).
  return take_inner_steps(episodes, tasks, theta, value, alphas, value_alphas, 0, alphas.numel(),
                          inner_objective(continual), /*check_finite=*/true)
      .policy;
}

Params MamlTrainer::adapted_parameters(const EpisodeBatch& episodes, bool acted_by_adapted) const {
  Params out;
  for (const auto& p : adapt_on(episodes, 1, acted_by_adapted)) out.push_back(p.squeeze(0).detach());
  return out;
}

void MamlTrainer::assign_tasks(const std::vector<Task>& tasks) {
  const int64_t k = config_.episodes_per_task;
  for (int64_t i = 0; i < env_.num_envs(); ++i) env_.set_task(int(i), *family_, tasks[size_t(first_task_ + i / k)]);
}

void MamlTrainer::pin_chain_positions(const std::vector<int>& positions) {
  const int64_t k = config_.episodes_per_task;
  for (int64_t i = 0; i < env_.num_envs(); ++i)
    env_.env(int(i)).pin_episode_index(positions[size_t(first_task_ + i / k)]);
}

EpisodeBatch MamlTrainer::sample(const Params& stacked) {
  const EpisodeBatch b = sampler_->collect_episodes_grouped(horizon_, stacked, local_tasks_);
  if (!processes_.several()) {
    env_steps_ += b.env_steps();
    return b;
  }
  // One process's batch runs until the last of all envs ends: draw the
  // noise of the steps this one's envs did not need.
  sampler_->skip_noise(processes_.all_reduce_max(b.horizon()) - b.horizon());
  env_steps_ += int64_t(processes_.all_reduce_sum(double(b.env_steps())));
  return b;
}

double MamlTrainer::mean_episode_return(const EpisodeBatch& episodes) const {
  if (!processes_.several()) return mean_of(episodes.episode_returns);
  const auto& r = episodes.episode_returns;
  std::vector<torch::Tensor> sums = {
      torch::tensor({std::accumulate(r.begin(), r.end(), 0.0), double(r.size())}, torch::kFloat64)};
  processes_.all_reduce_sum(sums);
  return sums[0][1].item<double>() > 0 ? sums[0][0].item<double>() / sums[0][1].item<double>() : std::nan("");
}

torch::Tensor MamlTrainer::every_task(const torch::Tensor& mine) const {
  if (!processes_.several()) return mine;
  auto all = torch::zeros({config_.tasks_per_batch}, mine.options());
  all.narrow(0, first_task_, local_tasks_).copy_(mine);
  return processes_.all_reduce_sum(all);
}

Metrics MamlTrainer::run_iteration() {
  const auto start = Clock::now();
  const Communicator::Traffic traffic_before = processes_.traffic();
  // m tasks in all, `mine` of them this process's (all of them in one process).
  const int64_t m = config_.tasks_per_batch, k = config_.episodes_per_task, mine = local_tasks_;
  const InnerLoopConfig& inner = config_.inner;
  std::vector<Task> sampled;
  if (opponents_) {
    opponents_->begin_iteration(m, env_steps_);
  } else {
    sampled = family_->sample(int(m), task_rng_);
    assign_tasks(sampled);
  }
  // Chains: where each task's pair of consecutive tasks starts (no draw
  // without chains, so that runs without them keep their random stream).
  std::vector<int> chain_start(size_t(m), 0);
  if (config_.chain_length > 0) {
    const int64_t starts = config_.chain_length - training_rounds();
    for (auto& p : chain_start) p = int(std::min<int64_t>(starts - 1, int64_t(task_rng_.uniform() * double(starts))));
  }
  std::vector<std::vector<double>> task_params;
  for (const Task& t : sampled) {
    std::vector<double> p;
    for (const auto& [key, value] : t.params()) p.push_back(value);
    task_params.push_back(p);
  }
  if (opponents_)
    for (const int64_t v : opponents_->first_versions()) task_params.push_back({double(v)});
  sampler_->reset_times();

  // The consecutive pairs of this iteration: one, or chain_pairs rolled
  // out along each task's chain as at test time.
  const int64_t rounds = training_rounds();
  const int64_t pair_count = config_.shared_inner_episodes && rounds > 0 ? rounds : 1;  // pretraining: one
  std::vector<ChainPair> pairs(static_cast<size_t>(pair_count));
  for (auto& pair : pairs) pair.batch.tasks = mine;
  const Params theta = detached(replicate(policy_->parameters(), mine));
  // The adapted value networks (value_function adapted_mlp): each task's parameters.
  const Params theta_value = value_ ? detached(replicate(value_->parameters(), mine)) : Params{};
  Params current = theta;              // each task's parameters, stacked
  Params value_current = theta_value;
  std::vector<Params> adapted_path;    // the first pair's: `current` after each inner step
  const torch::Tensor value_alphas = value_ ? alphas_of(value_step_sizes_, false) : torch::Tensor();
  std::vector<double> step_returns;  // mean return of the episodes of each sampling round
  std::vector<MatchOutcomes> round_outcomes;  // self-play: the learner's in each sampling round
  double sample_seconds = 0, inner_seconds = 0;
  torch::Tensor alphas = step_sizes();
  torch::Tensor off_policy_alphas = off_policy_step_sizes();
  // On-policy steps (MAML: new episodes per step) follow the plain loss;
  // continual adaptation's, the weighted one it takes at test time.
  const InnerObjective objective = inner.off_policy ? inner_objective(inner) : InnerObjective::kPlain;
  for (int64_t s = 0; s <= rounds; ++s) {
    if (config_.chain_length > 0) {
      std::vector<int> positions = chain_start;
      for (auto& p : positions) p += int(s);
      pin_chain_positions(positions);
    } else {
      env_.pin_episode_index(-1);  // an evaluation along chains may have pinned them
    }
    if (opponents_) sampler_->set_opponents(opponents_->actors(s, *policy_));
    auto t0 = Clock::now();
    EpisodeBatch episodes = sample(current);
    sample_seconds += seconds_since(t0);
    step_returns.push_back(mean_episode_return(episodes));
    if (opponents_) round_outcomes.push_back(match_outcomes(episodes));
    t0 = Clock::now();
    // The value targets' scale, from the first episodes of a run (then from
    // every iteration's, after its outer step).
    if (value_ && return_stats_.count() == 0) update_return_scale(episodes);
    // These episodes are the outer objective's of the pair whose adapted
    // policy acted them: with shared episodes the previous round's pair,
    // else (MAML, or pretraining) the one pair after its last inner step.
    const int64_t validated = s == rounds ? pair_count - 1 : config_.shared_inner_episodes ? s - 1 : -1;
    if (validated >= 0) {
      ChainPair& pair = pairs[size_t(validated)];
      pair.batch.validation_advantages = round_advantages(episodes, mine, value_current, &pair.value_validation);
      pair.batch.validation_returns = task_mean_returns(episodes, mine, k);
      // Only the exact estimator's score term uses them: predicted from
      // every task's parameters, or (spread over processes) the other
      // tasks' mean, which meta_loss would otherwise take over this process's only.
      if (config_.inner.meta_gradient == MetaGradient::kExact) {
        torch::Tensor baselines;
        if (config_.score_baseline == "task_regression" && task_baseline_.ready()) {
          baselines = task_baseline_.predict(task_params);
        } else if (processes_.several() && m > 1) {
          const torch::Tensor returns = every_task(pair.batch.validation_returns);
          baselines = (returns.sum() - returns) / double(m - 1);
        }
        if (baselines.defined()) pair.batch.score_baselines = baselines.narrow(0, first_task_, mine);
      }
      pair.batch.validation = episodes;
    }
    if (s < rounds) {
      if (iteration_ == 0 && s == 0 && config_.initial_inner_kl > 0) {
        calibrate_step_sizes(episodes, mine, current, value_current, objective);
        alphas = step_sizes();
        off_policy_alphas = off_policy_step_sizes();
      }
      // The inner steps these episodes serve: step s, or all of them, from
      // θ (every adaptation along a chain restarts from θ).
      const int64_t first = config_.shared_inner_episodes ? 0 : s;
      const int64_t last = config_.shared_inner_episodes ? inner.steps : s + 1;
      const size_t pair_index = config_.shared_inner_episodes ? size_t(s) : 0;
      if (config_.shared_inner_episodes) {
        current = theta;
        value_current = theta_value;
      }
      InnerRound round = take_inner_steps(episodes, mine, current, value_current, pair_index > 0 ? off_policy_alphas : alphas,
                                          value_alphas, first, last, objective, /*check_finite=*/false);
      current = std::move(round.policy);
      value_current = std::move(round.value);
      ChainPair& pair = pairs[pair_index];
      if (pair_index == 0)
        for (auto& p : round.path) adapted_path.push_back(std::move(p));
      for (auto& ib : round.batches) pair.batch.inner.push_back(std::move(ib));
      for (auto& vb : round.value_batches) pair.value_inner.push_back(std::move(vb));
    }
    inner_seconds += seconds_since(t0);
  }
  // The first pair: TRPO's (which takes one pair) and the score baselines'.
  const MetaBatch& batch = pairs.front().batch;

  // How far the inner steps moved the policy on the states they learned from
  // (the mean over tasks; each process's tasks weigh as many).
  const double share = double(mine) / double(m);
  const double kl_of_inner_steps =
      adapted_path.empty() ? std::nan("")
                           : inner_kl(*policy_, replicate(policy_->parameters(), mine), adapted_path.back(),
                                      batch.inner.front().episodes, mine);
  const double every_inner_kl =
      processes_.several() ? processes_.all_reduce_sum(share * kl_of_inner_steps) : kl_of_inner_steps;

  const auto outer_start = Clock::now();
  Metrics outer_metrics;
  if (config_.outer_optimizer == "trpo") {
    const torch::Tensor sizes = step_sizes();  // not learned with TRPO
    // The validation episodes were sampled with `current` = θ_S at the current θ.
    DiagGaussian old;
    {
      torch::NoGradGuard no_grad;
      const auto& v = batch.validation;
      old = policy_->evaluate_grouped(v.observations, v.episode_starts, v.initial_state, current, mine).detached();
    }
    // A line search evaluates the loss and then the KL at each candidate:
    // adapt once per candidate (values only: no gradient is taken there).
    Params cached_for, cached;
    auto same_values = [](const Params& a, const Params& b) {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!torch::equal(a[i], b[i])) return false;
      return true;
    };
    auto adapted_values = [&](const Params& p) -> const Params* {
      if (torch::GradMode::is_enabled()) return nullptr;  // the gradient needs the full graph
      if (!same_values(cached_for, p)) {
        cached = adapt(*policy_, p, batch, inner, sizes);
        cached_for.clear();
        for (const auto& t : p) cached_for.push_back(t.detach().clone());  // a copy: candidates may change in place
      }
      return &cached;
    };
    // Spread over processes, each gives its tasks' share of the means
    // (trpo_step sums them), the metric's damping added once, by rank 0.
    const bool spread = processes_.several();
    auto surrogate = [&](const Params& p) {
      const auto loss = meta_loss(*policy_, p, batch, inner, config_.outer, sizes, adapted_values(p));
      return spread ? loss * share : loss;
    };
    auto kl = [&](const Params& p) {
      const auto value = meta_kl(*policy_, p, batch, old, inner, sizes, adapted_values(p));
      return spread ? value * share : value;
    };
    InnerLoopConfig metric_inner = inner;
    if (!config_.metric_through_adaptation) metric_inner.meta_gradient = MetaGradient::kFirstOrder;
    auto metric = [&]() -> VectorProduct {
      const double damping = config_.trpo.cg_damping;
      auto product = meta_fisher_vector_product(*policy_, policy_->parameters(), batch, old, metric_inner,
                                                spread ? 0.0 : damping, sizes, config_.metric_subsample,
                                                &adapted_path);
      if (!spread) return product;
      const double own_damping = processes_.rank() == 0 ? damping : 0.0;
      return [product, share, own_damping](const torch::Tensor& v) { return product(v) * share + own_damping * v; };
    };
    const TrpoStats stats = trpo_step(policy_->parameters(), surrogate, kl, config_.trpo, metric, &processes_);
    outer_metrics = {{"outer_loss_before", stats.loss_before},
                     {"outer_loss_after", stats.loss_after},
                     {"kl", stats.kl_after},
                     {"backtracks", double(stats.backtracks)},
                     {"step_accepted", stats.accepted ? 1.0 : 0.0},
                     {"outer_gradient_seconds", stats.gradient_seconds},
                     {"outer_direction_seconds", stats.direction_seconds},
                     {"outer_line_search_seconds", stats.line_search_seconds}};
  } else {
    const int64_t minibatches = config_.ppo_minibatches;
    double first = 0, last = 0, value_loss = 0;
    // The first epoch's gradient of each task's own outer loss with respect
    // to log α_k: does the meta-gradient of the step sizes carry a signal?
    // For each set of the policy's step sizes (the metrics' name, the leaf):
    std::vector<std::pair<std::string, const torch::Tensor*>> size_sets = {{"log_step_size_grad", &step_sizes_}};
    if (config_.off_policy_step_sizes) size_sets.push_back({"off_policy_log_step_size_grad", &off_policy_step_sizes_});
    std::vector<std::vector<std::vector<double>>> task_log_alpha_gradients(
        size_sets.size(), std::vector<std::vector<double>>(size_t(step_sizes_.numel())));
    for (int64_t e = 0; e < config_.ppo_epochs; ++e) {
      // A fresh partition of the tasks each epoch (no draw for the full
      // batch, so that those runs keep their random stream).
      std::vector<int64_t> order(static_cast<size_t>(m));
      std::iota(order.begin(), order.end(), int64_t(0));
      if (minibatches > 1)
        for (size_t i = order.size() - 1; i > 0; --i)
          std::swap(order[i], order[std::min(i, size_t(task_rng_.uniform() * double(i + 1)))]);
      double epoch_loss = 0;
      for (int64_t b = 0; b < minibatches; ++b) {
        const std::vector<int64_t> tasks(order.begin() + b * m / minibatches,
                                         order.begin() + (b + 1) * m / minibatches);
        const int64_t minibatch_tasks = int64_t(tasks.size());
        // α from the current log α: Adam changed it after the previous step.
        // In the first epoch each task gets its own copy of log α, whose
        // gradient is that task's.
        const bool per_task_alphas = config_.learn_step_sizes && e == 0;
        std::vector<torch::Tensor> task_log_alphas(size_sets.size()), sizes(size_sets.size());  // [steps, tasks]
        for (size_t set = 0; set < size_sets.size(); ++set) {
          const torch::Tensor& leaf = *size_sets[set].second;
          if (per_task_alphas) {
            task_log_alphas[set] = leaf.unsqueeze(1).expand({leaf.size(0), minibatch_tasks}).clone();
            task_log_alphas[set].retain_grad();
          }
          sizes[set] = per_task_alphas ? task_log_alphas[set].exp() : alphas_of(leaf, true);
        }
        // The mean over the pairs of each one's outer loss.
        torch::Tensor loss;
        for (size_t pair_index = 0; pair_index < pairs.size(); ++pair_index) {
          const ChainPair& pair = pairs[pair_index];
          const MetaBatch part = minibatches > 1 ? select_tasks(pair.batch, tasks) : MetaBatch{};
          const MetaBatch& used = minibatches > 1 ? part : pair.batch;
          const torch::Tensor& pair_sizes = pair_index > 0 && config_.off_policy_step_sizes ? sizes[1] : sizes[0];
          auto pair_loss = meta_loss(*policy_, policy_->parameters(), used, inner, config_.outer, pair_sizes);
          if (value_) {
            torch::Tensor v;
            if (minibatches > 1) {
              const std::vector<int64_t> columns = task_columns(tasks, k);
              std::vector<ValueBatch> inner_part;
              for (const auto& vb : pair.value_inner) inner_part.push_back(select_columns(vb, columns));
              v = outer_value_loss(inner_part, select_columns(pair.value_validation, columns), used.tasks);
            } else {
              v = outer_value_loss(pair.value_inner, pair.value_validation, m);
            }
            if (e == 0) value_loss += v.item<double>() * double(used.tasks) / double(m * pair_count);
            pair_loss = pair_loss + config_.value_coef * v;
          }
          loss = loss.defined() ? loss + pair_loss : pair_loss;
        }
        loss = loss / double(pair_count);
        ppo_optimizer_->minimize(loss, [&] {
          for (size_t set = 0; per_task_alphas && set < size_sets.size(); ++set) {
            if (!task_log_alphas[set].grad().defined()) continue;
            // The loss is the mean over the minibatch's tasks.
            const auto g = (task_log_alphas[set].grad() * double(minibatch_tasks)).to(torch::kFloat64).contiguous();
            for (int64_t step = 0; step < g.size(0); ++step)
              for (int64_t task = 0; task < g.size(1); ++task)
                task_log_alpha_gradients[set][size_t(step)].push_back(g[step][task].item<double>());
          }
          // Meta-gradient clipping of the step sizes (unless they move once per
          // iteration: then their averaged gradient), and of θ (and ψ) when asked.
          for (auto* t : {&step_sizes_, &off_policy_step_sizes_, &value_step_sizes_})
            if (!step_size_optimizer_ && t->defined() && t->requires_grad() && t->grad().defined())
              t->grad().clamp_(-0.1, 0.1);
          if (const double c = config_.theta_gradient_clip; c > 0) {
            for (auto& p : policy_->parameters())
              if (p.grad().defined()) p.grad().clamp_(-c, c);
            if (value_)
              for (auto& p : value_->parameters())
                if (p.grad().defined()) p.grad().clamp_(-c, c);
          }
        });
        epoch_loss += loss.item<double>() * double(minibatch_tasks) / double(m);
      }
      if (e == 0) first = epoch_loss;
      last = epoch_loss;
    }
    if (step_size_optimizer_) {
      // Their gradients accumulated over every backward pass of the outer step.
      step_size_optimizer_->step_accumulated([&] {
        for (auto* t : {&step_sizes_, &off_policy_step_sizes_, &value_step_sizes_})
          if (t->defined() && t->grad().defined())
            t->grad().div_(double(config_.ppo_epochs * minibatches)).clamp_(-0.1, 0.1);
      });
    }
    outer_metrics = {{"outer_loss_before", first}, {"outer_loss_after", last}};
    if (value_) outer_metrics.push_back({"value_loss", value_loss});
    for (size_t set = 0; set < size_sets.size(); ++set)
      for (size_t step = 0; step < task_log_alpha_gradients[set].size(); ++step) {
        const auto& g = task_log_alpha_gradients[set][step];
        if (g.empty()) continue;
        const double mean = mean_of(g);
        double squares = 0;
        for (double x : g) squares += (x - mean) * (x - mean);
        const std::string& name = size_sets[set].first;
        outer_metrics.push_back({name + "_mean_" + std::to_string(step), mean});
        outer_metrics.push_back(
            {name + "_sd_" + std::to_string(step), g.size() > 1 ? std::sqrt(squares / double(g.size() - 1)) : 0.0});
      }
  }
  const double outer_seconds = seconds_since(outer_start);
  task_baseline_.add(task_params, every_task(batch.validation_returns));  // after use: never its own baseline
  if (value_) {  // after use too: one scale for all of this iteration's targets
    for (const ChainPair& pair : pairs)
      for (const auto& ib : pair.batch.inner) update_return_scale(ib.episodes);
    update_return_scale(pairs.back().batch.validation);
  }

  ++iteration_;
  if (opponents_) opponents_->end_iteration(iteration_, policy_->parameters());
  const SamplerTimes& times = sampler_->times();
  Metrics metrics = {{"iteration", double(iteration_)},
                     {"env_steps", double(env_steps_)},
                     {"iter_seconds", seconds_since(start)},
                     {"mean_return", step_returns.back()},
                     {"return_before_adaptation", step_returns.front()},
                     {"sample_seconds", sample_seconds},
                     {"env_seconds", times.env_seconds},
                     {"policy_seconds", times.policy_seconds},
                     {"inner_seconds", inner_seconds},
                     {"outer_seconds", outer_seconds}};
  metrics.insert(metrics.end(), outer_metrics.begin(), outer_metrics.end());
  if (!adapted_path.empty()) {
    metrics.push_back({"inner_kl", every_inner_kl});
    // How much of that is exploration: the policy's last parameter is its
    // log standard deviation (agents/policy.h), mean change over tasks and dimensions.
    const double change = (adapted_path.back().back() - policy_->parameters().back().detach()).mean().item<double>();
    metrics.push_back({"inner_log_std_change", processes_.several() ? processes_.all_reduce_sum(share * change) : change});
  }
  if (config_.learn_step_sizes || config_.initial_inner_kl > 0) {
    // After the outer step.
    const torch::Tensor learned = step_sizes();
    for (int64_t s = 0; s < learned.numel(); ++s)
      metrics.push_back({"step_size_" + std::to_string(s), learned[s].item<double>()});
    const torch::Tensor off_policy = off_policy_step_sizes();
    for (int64_t s = 0; config_.off_policy_step_sizes && s < off_policy.numel(); ++s)
      metrics.push_back({"off_policy_step_size_" + std::to_string(s), off_policy[s].item<double>()});
    const torch::Tensor learned_value = value_ ? alphas_of(value_step_sizes_, false) : torch::Tensor();
    for (int64_t s = 0; value_ && s < learned_value.numel(); ++s)
      metrics.push_back({"value_step_size_" + std::to_string(s), learned_value[s].item<double>()});
  }
  if (value_) metrics.push_back({"return_scale", return_scale()});
  const Metrics exchanged = processes_.exchanged_since(traffic_before);  // with the other processes
  metrics.insert(metrics.end(), exchanged.begin(), exchanged.end());
  if (opponents_) {
    // Before adaptation: against the first version; after: against the next.
    const MatchOutcomes &before = round_outcomes.front(), &after = round_outcomes.back();
    double first_version = 0;
    for (const int64_t v : opponents_->first_versions()) first_version += double(v);
    metrics.insert(metrics.end(), {{"win_rate_before_adaptation", before.rate(before.won)},
                                   {"win_rate", after.rate(after.won)},
                                   {"loss_rate", after.rate(after.lost)},
                                   {"draw_rate", after.rate(after.drew)},
                                   {"dense_weight", opponents_->dense_weight()},
                                   {"pool_size", double(opponents_->size())},
                                   {"opponent_version", first_version / double(m)}});
  }
  return metrics;
}

const TaskFamily& MamlTrainer::family() const {
  if (!family_) throw std::logic_error("maml: a self-play run has no task family (its tasks are opponents)");
  return *family_;
}

std::vector<std::vector<double>> inner_step_adaptation_returns(const InnerStepAdaptation& setup,
                                                               const std::vector<Task>& tasks, int64_t steps,
                                                               const torch::Tensor& alphas) {
  const int64_t m = setup.tasks_per_batch, k = setup.episodes_per_task;
  const int64_t horizon = setup.env.env(0).max_episode_steps();
  std::vector<std::vector<double>> out;
  setup.env.pin_episode_index(-1);  // fresh tasks, unpinned (training on chains leaves the envs pinned)
  for (size_t first = 0; first < tasks.size(); first += m) {
    // Fill the last chunk up with repeats; only the real tasks are reported.
    std::vector<Task> chunk;
    for (int64_t i = 0; i < m; ++i) chunk.push_back(tasks[std::min(first + i, tasks.size() - 1)]);
    for (int64_t i = 0; i < setup.env.num_envs(); ++i) setup.env.set_task(int(i), setup.family, chunk[i / k]);
    Params current = detached(replicate(setup.policy.parameters(), m));
    std::vector<std::vector<double>> chunk_returns(m);
    for (int64_t s = 0; s <= steps; ++s) {
      EpisodeBatch episodes = setup.sampler.collect_episodes_grouped(horizon, current, m);
      const torch::Tensor returns = task_mean_returns(episodes, m, k);
      for (int64_t i = 0; i < m; ++i) chunk_returns[i].push_back(returns[i].item<double>());
      if (s == steps) break;
      InnerBatch ib{episodes, all_task_advantages(episodes, m, setup.gamma, setup.gae_lambda)};
      // Past the trained number of steps, keep the last trained step size.
      const torch::Tensor alpha = alphas[std::min<int64_t>(s, alphas.numel() - 1)];
      current = finite_or_throw(
          detached(adapt_step(setup.policy, current, ib, alpha, m, setup.normalize_advantages, false)), s, alpha);
    }
    for (int64_t i = 0; i < m && first + i < tasks.size(); ++i) out.push_back(chunk_returns[i]);
  }
  return out;
}

std::vector<std::vector<double>> MamlTrainer::adaptation_returns(const std::vector<Task>& tasks, int64_t steps,
                                                               double step_size) {
  const torch::Tensor alphas = step_size > 0 ? torch::full_like(step_sizes(), step_size) : step_sizes();
  const InnerStepAdaptation setup{env_,          *sampler_,     family(),     *policy_,
                                  config_.tasks_per_batch, config_.episodes_per_task, config_.gamma,
                                  config_.gae_lambda,      config_.inner.normalize_advantages};
  return inner_step_adaptation_returns(setup, tasks, steps, alphas);
}

std::vector<std::string> MamlTrainer::chain_baselines(bool theta_episodes) const {
  std::vector<std::string> out = {":no_adaptation", ":tracking"};
  if (theta_episodes) out.push_back(":theta_episodes");
  return out;
}

std::vector<std::vector<double>> MamlTrainer::chain_curve(const std::vector<Task>& chains, int64_t episodes,
                                                          int64_t history, const std::string& protocol,
                                                          double step_size) {
  if (protocol.empty()) return chain_returns(chains, episodes, history, ChainAdaptation::kFromTheta, step_size);
  if (protocol == ":no_adaptation") return chain_returns(chains, episodes, history, ChainAdaptation::kNone);
  if (protocol == ":tracking") return chain_returns(chains, episodes, history, ChainAdaptation::kTracking);
  if (protocol == ":theta_episodes") return chain_returns(chains, episodes, history, ChainAdaptation::kThetaEpisodes);
  throw std::invalid_argument("maml: no chain protocol '" + protocol + "'");
}

void MamlTrainer::reseed(uint64_t seed) {
  env_.seed(seed);
  sampler_->reseed(derive_seed(seed, 1));
}

std::vector<std::vector<double>> MamlTrainer::chain_returns(const std::vector<Task>& chains, int64_t episodes,
                                                            int64_t history, ChainAdaptation how,
                                                            double step_size) {
  TORCH_CHECK(episodes >= 1 && history >= 1, "chain_returns: episodes and history must be >= 1, got ", episodes, " and ",
              history);
  const int64_t n = env_.num_envs();
  std::vector<std::vector<double>> out;
  for (size_t first = 0; first < chains.size(); first += size_t(n)) {
    // One chain per env; the last chunk filled up with repeats, not reported.
    for (int64_t i = 0; i < n; ++i)
      env_.set_task(int(i), family(), chains[std::min(first + size_t(i), chains.size() - 1)]);
    const Params theta = detached(replicate(policy_->parameters(), n));
    Params current = theta;
    // Tracking: every chain's parameters, optimised in place; Adam acts
    // element by element, so one optimiser over the stacked tensors is an
    // independent one per chain.
    Params tracked;
    std::unique_ptr<AdamOptimizer> tracking_optimizer;
    if (how == ChainAdaptation::kTracking) {
      for (const auto& p : theta) tracked.push_back(p.clone().requires_grad_(true));
      tracking_optimizer = std::make_unique<AdamOptimizer>(std::vector<AdamGroup>{{tracked, config_.ppo_learning_rate}},
                                                           config_.ppo_adam_epsilon);
    }
    std::deque<EpisodeBatch> recent;
    std::vector<std::vector<double>> chunk(static_cast<size_t>(n));
    for (int64_t e = 0; e < episodes; ++e) {
      // Episode e of the chain, whatever resets the sampler makes around it
      // (it also auto-resets an env whose episode ended).
      env_.pin_episode_index(int(e));
      EpisodeBatch b = sampler_->collect_episodes_grouped(horizon_, current, n);
      const torch::Tensor returns = task_mean_returns(b, n, 1);
      for (int64_t i = 0; i < n; ++i) chunk[size_t(i)].push_back(returns[i].item<double>());
      if (how == ChainAdaptation::kNone || e + 1 == episodes) continue;
      if (how == ChainAdaptation::kThetaEpisodes) {
        std::vector<EpisodeBatch> own;
        for (int64_t h = 0; h < history; ++h) own.push_back(sampler_->collect_episodes_grouped(horizon_, theta, n));
        current = adapt_on(interleave_envs(own), n, /*acted_by_adapted=*/false, step_size);
        continue;
      }
      recent.push_back(std::move(b));
      if (int64_t(recent.size()) > history) recent.pop_front();
      // Each chain's recent episodes as one group.
      const EpisodeBatch group = interleave_envs({recent.begin(), recent.end()});
      if (how == ChainAdaptation::kTracking) {
        const InnerBatch ib{group, all_task_advantages(group, n, config_.gamma, config_.gae_lambda)};
        const double clip = config_.outer.clip_range > 0 ? config_.outer.clip_range : 0.2;
        for (int64_t epoch = 0; epoch < config_.ppo_epochs; ++epoch)
          tracking_optimizer->minimize(clipped_task_losses(*policy_, ib, tracked, n, clip).sum());
        current = detached(tracked);
        continue;
      }
      // Episode 0 is θ's; every later one an adapted policy's.
      current = adapt_on(group, n, /*acted_by_adapted=*/e > 0, step_size);
    }
    for (int64_t i = 0; i < n && first + size_t(i) < chains.size(); ++i) out.push_back(chunk[size_t(i)]);
  }
  return out;
}

void MamlTrainer::save_checkpoint(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  archive.write("iteration", torch::tensor(iteration_));
  archive.write("env_steps", torch::tensor(env_steps_));
  write_tensors(archive, "policy", policy_->parameters());
  archive.write("step_sizes", step_sizes());  // α, whatever the parametrisation
  if (config_.off_policy_step_sizes) archive.write("off_policy_step_sizes", off_policy_step_sizes());
  if (value_) {
    write_tensors(archive, "value", value_->parameters());
    archive.write("value_step_sizes", alphas_of(value_step_sizes_, false));
    write_tensors(archive, "return_stats", return_stats_.state());
  }
  const auto words = task_rng_.state();
  archive.write("task_rng", torch::tensor(std::vector<int64_t>(words.begin(), words.end())));
  write_tensors(archive, "sampler", sampler_->state());
  write_tensors(archive, "task_baseline", task_baseline_.state());
  write_env_state(archive, env_);
  if (opponents_) opponents_->save(archive, "opponent_chains");
  if (ppo_optimizer_) ppo_optimizer_->save_state(archive, "ppo_adam");
  if (step_size_optimizer_) step_size_optimizer_->save_state(archive, "step_size_adam");
  write_checkpoint(archive, path);
}

void MamlTrainer::load_parameters(const std::string& path) {
  read_checkpoint_for_evaluation(path, [&](torch::serialize::InputArchive& archive) { read_parameters(archive); });
}

// What read_parameters reads.
std::vector<std::string> MamlTrainer::records_for_adaptation() const {
  std::vector<std::string> records = {"policy", "step_sizes"};
  if (config_.off_policy_step_sizes) records.push_back("off_policy_step_sizes");
  if (value_) records.insert(records.end(), {"value", "value_step_sizes", "return_stats"});
  return records;
}

void MamlTrainer::load_step_sizes(torch::Tensor& leaf, const torch::Tensor& alphas, const std::string& name) const {
  TORCH_CHECK(alphas.sizes() == leaf.sizes(), "maml: checkpoint's ", name, " have shape ", shape_of(alphas),
              ", expected ", shape_of(leaf));
  if (!config_.learn_step_sizes) {
    leaf.copy_(alphas);
    return;
  }
  if (!(alphas > 0).all().item<bool>())
    throw std::runtime_error("maml: the checkpoint's learned " + name +
                             " are not all positive (learned on α itself, before log α): start a new run");
  leaf.copy_(alphas.log());
}

void MamlTrainer::read_parameters(torch::serialize::InputArchive& archive) {
  copy_into(policy_->parameters(), read_tensors(archive, "policy"), "policy");
  torch::NoGradGuard no_grad;
  load_step_sizes(step_sizes_, read_tensor(archive, "step_sizes"), "step_sizes");
  if (config_.off_policy_step_sizes)
    load_step_sizes(off_policy_step_sizes_, read_tensor(archive, "off_policy_step_sizes"), "off_policy_step_sizes");
  if (value_) {  // the adapted value network is part of what test-time adaptation uses
    copy_into(value_->parameters(), read_tensors(archive, "value"), "value");
    load_step_sizes(value_step_sizes_, read_tensor(archive, "value_step_sizes"), "value_step_sizes");
    return_stats_.load_state(read_tensors(archive, "return_stats"));
  }
}

void MamlTrainer::load_checkpoint(const std::string& path) {
  read_checkpoint(path, [&](torch::serialize::InputArchive& archive) {
    iteration_ = read_tensor(archive, "iteration").item<int64_t>();
    env_steps_ = read_tensor(archive, "env_steps").item<int64_t>();
    read_parameters(archive);
    const auto words = read_tensor(archive, "task_rng");
    std::array<uint64_t, 4> state;
    for (int i = 0; i < 4; ++i) state[i] = uint64_t(words[i].item<int64_t>());
    task_rng_.set_state(state);
    sampler_->load_state(read_tensors(archive, "sampler"));
    task_baseline_.load_state(read_tensors(archive, "task_baseline"));
    read_env_state(archive, env_);
    if (opponents_) opponents_->load(archive, "opponent_chains");
    if (ppo_optimizer_) ppo_optimizer_->load_state(archive, "ppo_adam", "ppo_optimizer");
    if (step_size_optimizer_) step_size_optimizer_->load_state(archive, "step_size_adam", "step_size_adam");
  });
}

}  // namespace metarl
