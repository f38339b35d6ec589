#include "agents/trainer.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "agents/checkpoint.h"
#include "agents/gae.h"
#include "agents/stopwatch.h"

namespace metarl {
namespace {

constexpr size_t kRecentEpisodes = 100;

double mean_of(const std::deque<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  return std::accumulate(values.begin(), values.end(), 0.0) / values.size();
}

}  // namespace

PolicyGradientTrainer::PolicyGradientTrainer(VectorEnv& env, std::unique_ptr<Policy> policy,
                                             const TrainerConfig& config, const LearnerFactory& learner,
                                             uint64_t seed, int64_t total_iterations,
                                             std::vector<int64_t> learner_rows, const Communicator& processes)
    : env_(env),
      policy_(std::move(policy)),
      config_(config),
      processes_(processes),
      run_envs_(env.num_envs()),
      total_iterations_(total_iterations),
      obs_normalizer_(policy_->obs_dim()),
      return_normalizer_(1, /*clip=*/1e9),
      discounted_return_(torch::zeros({env.num_envs()}, torch::kFloat64)) {
  if (config.baseline != "mlp" && config.baseline != "linear")
    throw std::invalid_argument("unknown baseline '" + config.baseline + "' (known: mlp, linear)");
  if (processes.several()) {
    if (config.fixed_episodes || config.trial_inputs || !learner_rows.empty())
      throw std::invalid_argument(
          "over several processes only continuing rollouts of a one-agent learner are shared (not fixed_episodes, "
          "RL² trials or matches)");
    std::tie(first_env_, run_envs_) = processes.place(env.num_envs());
  }
  if (!config.fixed_episodes && config.steps_per_iteration < run_envs_)
    throw std::invalid_argument("steps_per_iteration must be at least the number of envs");

  if (config.baseline == "mlp") value_ = std::make_unique<MlpValueFunction>(policy_->obs_dim(), config.value_hidden, Activation::kTanh);
  sampler_ = std::make_unique<Sampler>(env, *policy_, derive_seed(seed, 1),
                                       config.normalize_observations ? &obs_normalizer_ : nullptr,
                                       /*update_normalizer=*/true, std::move(learner_rows), config.trial_inputs);
  if (processes.several()) sampler_->share_batch(processes, run_envs_, first_env_);
  learner_ = learner(*policy_, value_.get(), derive_seed(seed, 2));
  if (!config.learner_trains_value && value_)
    value_regression_ = std::make_unique<ValueRegression>(*value_, config.value, derive_seed(seed, 3));
}

torch::Tensor PolicyGradientTrainer::learning_rewards(const EpisodeBatch& batch) {
  if (!config_.normalize_rewards) return batch.rewards;
  // Running discounted return per env; its variance scales the rewards.
  std::vector<torch::Tensor> returns;
  for (int64_t t = 0; t < batch.horizon(); ++t) {
    discounted_return_ = discounted_return_ * config_.gamma + batch.rewards[t].to(torch::kFloat64);
    returns.push_back(discounted_return_.clone());
    discounted_return_ = discounted_return_ * (1.0 - batch.episode_end[t].to(torch::kFloat64));
  }
  return_normalizer_.update(torch::stack(returns).reshape({-1, 1}), batch.masks.reshape({-1}), processes_);
  return return_normalizer_.scale(batch.rewards.unsqueeze(-1)).squeeze(-1);
}

PolicyGradientTrainer::Advantages PolicyGradientTrainer::estimate(const EpisodeBatch& batch,
                                                                 const torch::Tensor& rewards) {
  torch::NoGradGuard no_grad;
  Advantages a;
  torch::Tensor next_values, no_bootstrap;
  if (value_) {
    a.values = value_->forward(batch.observations);
    next_values = value_->forward(batch.next_observations);
    no_bootstrap = batch.terminated;  // bootstrap through time limits and the batch's end
  } else {
    // MAML's convention: the linear baseline is fitted to this batch's
    // discounted returns, and episode ends (including the horizon) are terminal.
    const auto returns = discounted_returns(rewards, batch.episode_end, batch.masks, config_.gamma);
    linear_baseline_.fit(batch.observations, batch.timesteps, returns, batch.masks);
    a.values = linear_baseline_.predict(batch.observations, batch.timesteps);
    next_values = linear_baseline_.predict(batch.next_observations, batch.timesteps + 1.0);
    no_bootstrap = batch.episode_end;
  }
  a.advantages = gae_advantages(rewards, a.values, next_values, no_bootstrap, batch.episode_end, batch.masks,
                                config_.gamma, config_.gae_lambda);
  a.returns = a.advantages + a.values;
  return a;
}

EpisodeBatch PolicyGradientTrainer::collect_batch() {
  return config_.fixed_episodes
             ? sampler_->collect_episodes(env_.env(0).max_episode_steps(), policy_->parameters())
             : sampler_->collect(config_.steps_per_iteration / run_envs_, policy_->parameters());
}

Metrics PolicyGradientTrainer::run_iteration() {
  const auto start = Clock::now();
  const Communicator::Traffic traffic_before = processes_.traffic();
  if (config_.anneal_learning_rate)
    learner_->anneal(1.0 - double(iteration_) / std::max<int64_t>(1, total_iterations_));

  sampler_->reset_times();
  const EpisodeBatch batch = collect_batch();
  const double sample_seconds = seconds_since(start);

  const auto learn_start = Clock::now();
  const auto rewards = learning_rewards(batch);
  const Advantages a = estimate(batch, rewards);
  Metrics learner = learner_->update(batch, a.advantages, a.returns);
  if (value_regression_) {
    const Metrics v = value_regression_->fit(batch.observations, a.returns, batch.masks);
    learner.insert(learner.end(), v.begin(), v.end());
  }
  const double learn_seconds = seconds_since(learn_start);

  ++iteration_;
  env_steps_ += int64_t(processes_.all_reduce_sum(double(batch.env_steps())));
  const auto [batch_return, batch_episodes] = record_episodes(batch);

  const SamplerTimes& times = sampler_->times();
  Metrics m = {{"iteration", double(iteration_)},
               {"env_steps", double(env_steps_)},
               {"iter_seconds", seconds_since(start)},
               {"mean_return", mean_of(recent_returns_)},
               {"batch_mean_return", batch_return},
               {"episodes", double(batch_episodes)},
               {"mean_length", mean_of(recent_lengths_)},
               {"sample_seconds", sample_seconds},
               {"env_seconds", times.env_seconds},
               {"policy_seconds", times.policy_seconds},
               {"learn_seconds", learn_seconds},
               {"action_std", torch::exp(policy_->parameters().back()).mean().item<double>()}};
  const Metrics own = batch_metrics(batch);
  m.insert(m.end(), own.begin(), own.end());
  m.insert(m.end(), learner.begin(), learner.end());
  const Metrics exchanged = processes_.exchanged_since(traffic_before);  // with the other processes
  m.insert(m.end(), exchanged.begin(), exchanged.end());
  return m;
}

std::pair<double, int64_t> PolicyGradientTrainer::record_episodes(const EpisodeBatch& batch) {
  std::vector<double> returns = batch.episode_returns;
  std::vector<double> lengths(batch.episode_lengths.begin(), batch.episode_lengths.end());
  if (processes_.several()) {
    // Every process's episodes as rows (step, env in the run, return,
    // length), ordered as one process's sampler lists them: by the step
    // they ended at, then by env. A batch's episodes end at its masked
    // episode ends, in that order.
    const auto ends = (batch.episode_end * batch.masks).nonzero().to(torch::kFloat64);  // [k, 2]: step, env
    TORCH_CHECK(ends.size(0) == int64_t(returns.size()), "trainer: ", ends.size(0), " episode ends for ",
                returns.size(), " episodes");
    const auto own = torch::stack({ends.select(1, 0), ends.select(1, 1) + double(first_env_),
                                   torch::tensor(returns, torch::kFloat64), torch::tensor(lengths, torch::kFloat64)},
                                  1);
    const auto all = processes_.all_gather_rows(own);
    const auto order = (all.select(1, 0) * double(run_envs_) + all.select(1, 1)).argsort();
    const auto sorted = all.index_select(0, order);
    returns.clear(), lengths.clear();
    for (int64_t k = 0; k < sorted.size(0); ++k) {
      returns.push_back(sorted[k][2].item<double>());
      lengths.push_back(sorted[k][3].item<double>());
    }
  }
  for (size_t k = 0; k < returns.size(); ++k) {
    recent_returns_.push_back(returns[k]);
    recent_lengths_.push_back(lengths[k]);
    if (recent_returns_.size() > kRecentEpisodes) {
      recent_returns_.pop_front();
      recent_lengths_.pop_front();
    }
  }
  if (returns.empty()) return {std::numeric_limits<double>::quiet_NaN(), 0};
  return {std::accumulate(returns.begin(), returns.end(), 0.0) / returns.size(), int64_t(returns.size())};
}

void PolicyGradientTrainer::save_checkpoint(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  save_state(archive);
  write_checkpoint(archive, path);
}

void PolicyGradientTrainer::save_state(torch::serialize::OutputArchive& archive) const {
  archive.write("iteration", torch::tensor(iteration_));
  archive.write("env_steps", torch::tensor(env_steps_));
  save_policy_and_normalizer(archive);
  if (value_) write_tensors(archive, "value", value_->parameters());
  write_tensors(archive, "return_normalizer", return_normalizer_.state());
  archive.write("discounted_return", discounted_return_);
  write_tensors(archive, "sampler", sampler_->state());
  archive.write("recent_returns", doubles_tensor(recent_returns_));
  archive.write("recent_lengths", doubles_tensor(recent_lengths_));
  write_env_state(archive, env_);
  learner_->save_state(archive);
  if (value_regression_) value_regression_->save_state(archive);
  save_extra(archive);
}

void PolicyGradientTrainer::save_policy_and_normalizer(torch::serialize::OutputArchive& archive) const {
  write_tensors(archive, "policy", policy_->parameters());
  write_tensors(archive, "obs_normalizer", obs_normalizer_.state());
}

void PolicyGradientTrainer::read_policy_and_normalizer(torch::serialize::InputArchive& archive) {
  copy_into(policy_->parameters(), read_tensors(archive, "policy"), "policy");
  obs_normalizer_.load_state(read_tensors(archive, "obs_normalizer"));
}

void PolicyGradientTrainer::load_checkpoint(const std::string& path) {
  read_checkpoint(path, [&](torch::serialize::InputArchive& archive) { load_state(archive); });
}

void PolicyGradientTrainer::load_state(torch::serialize::InputArchive& archive) {
  iteration_ = read_tensor(archive, "iteration").item<int64_t>();
  env_steps_ = read_tensor(archive, "env_steps").item<int64_t>();
  read_policy_and_normalizer(archive);
  if (value_) copy_into(value_->parameters(), read_tensors(archive, "value"), "value function");
  return_normalizer_.load_state(read_tensors(archive, "return_normalizer"));
  discounted_return_ = read_tensor(archive, "discounted_return");
  sampler_->load_state(read_tensors(archive, "sampler"));
  recent_returns_ = tensor_doubles(read_tensor(archive, "recent_returns"));
  recent_lengths_ = tensor_doubles(read_tensor(archive, "recent_lengths"));
  read_env_state(archive, env_);
  learner_->load_state(archive);
  if (value_regression_) value_regression_->load_state(archive);
  load_extra(archive);
}

}  // namespace metarl
