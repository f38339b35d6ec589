#include "agents/ppo.h"

#include <tuple>

#include <ATen/CPUGeneratorImpl.h>

#include "agents/checkpoint.h"

namespace metarl {

torch::Tensor ppo_clipped_objective(const torch::Tensor& ratio, const torch::Tensor& advantages, double clip_range) {
  const auto clipped = torch::clamp(ratio, 1.0 - clip_range, 1.0 + clip_range);
  return torch::min(ratio * advantages, clipped * advantages);
}

torch::Tensor ppo_clipped_loss(const torch::Tensor& log_probs, const torch::Tensor& old_log_probs,
                               const torch::Tensor& advantages, double clip_range) {
  return -ppo_clipped_objective(torch::exp(log_probs - old_log_probs), advantages, clip_range).mean();
}

namespace {

std::vector<torch::Tensor> policy_and_value(Policy& policy, MlpValueFunction& value) {
  std::vector<torch::Tensor> all = policy.parameters();
  all.insert(all.end(), value.parameters().begin(), value.parameters().end());
  return all;
}

}  // namespace

PpoLearner::PpoLearner(Policy& policy, MlpValueFunction& value, const PpoConfig& config, uint64_t seed,
                       const Communicator& processes)
    : policy_(policy),
      value_(value),
      config_(config),
      processes_(processes),
      optimizer_({{policy_and_value(policy, value), config.learning_rate}}, config.adam_epsilon),
      generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {
  TORCH_CHECK(config.epochs >= 1 && config.minibatches >= 1, "PPO: epochs and minibatches must be >= 1");
}

void PpoLearner::save_state(torch::serialize::OutputArchive& archive) const {
  optimizer_.save_state(archive, "ppo_adam");
  archive.write("ppo_generator", generator_.get_state());
}

void PpoLearner::load_state(torch::serialize::InputArchive& archive) {
  optimizer_.load_state(archive, "ppo_adam", "ppo_optimizer");
  generator_.set_state(read_tensor(archive, "ppo_generator"));
}

namespace {

// The mean and standard deviation (unbiased) of `values` over every process's.
std::pair<torch::Tensor, torch::Tensor> mean_and_std(const torch::Tensor& values, const Communicator& processes) {
  if (!processes.several()) return {values.mean(), values.std()};
  const auto x = values.to(torch::kFloat64);
  const auto count_and_sum =
      processes.all_reduce_sum(torch::stack({torch::tensor(double(x.numel()), torch::kFloat64), x.sum()}));
  const double n = count_and_sum[0].item<double>();
  const auto mean = count_and_sum[1] / n;
  const auto squares = processes.all_reduce_sum((x - mean).pow(2).sum());
  return {mean.to(values.scalar_type()), torch::sqrt(squares / (n - 1)).to(values.scalar_type())};
}

}  // namespace

Metrics PpoLearner::update(const EpisodeBatch& batch, const torch::Tensor& advantages, const torch::Tensor& returns) {
  const bool recurrent = policy_.recurrent();
  const bool several = processes_.several();
  const int64_t steps = batch.horizon(), n = batch.num_envs();
  auto adv = advantages;
  if (config_.normalize_advantages) {
    const auto [mean, std] = mean_and_std(adv.masked_select(batch.masks > 0), processes_);
    adv = (adv - mean) / (std + 1e-8);
  }

  // Feed-forward policies: minibatches of valid rows. Recurrent policies:
  // minibatches of whole env columns, so sequences stay intact.
  //
  // Over several processes every step is valid (continuing rollouts): the
  // units are those of the whole batch, [steps, run_envs] row-major or its
  // columns, of which this process holds the columns [first, first + n).
  const torch::Tensor flat_valid = batch.masks.reshape({-1}).nonzero().squeeze(-1);
  int64_t units = recurrent ? n : flat_valid.size(0);
  int64_t first = 0, run_envs = n;
  if (several) {
    TORCH_CHECK(flat_valid.size(0) == steps * n, "PPO over several processes: the batch has masked steps");
    std::tie(first, run_envs) = processes_.place(n);
    units = recurrent ? run_envs : steps * run_envs;
  }
  const int64_t minibatches = std::min<int64_t>(config_.minibatches, units);
  const int64_t per_batch = (units + minibatches - 1) / minibatches;
  const auto parameters = policy_and_value(policy_, value_);

  double policy_loss_sum = 0, value_loss_sum = 0, entropy_sum = 0, kl_sum = 0, clip_sum = 0;
  int64_t updates = 0, epochs_run = 0;
  double last_epoch_kl = 0;
  for (int64_t epoch = 0; epoch < config_.epochs; ++epoch) {
    const auto perm = torch::randperm(units, generator_, torch::kLong);
    double epoch_kl = 0;
    int64_t epoch_updates = 0;
    for (int64_t start = 0; start < units; start += per_batch) {
      auto pick = perm.narrow(0, start, std::min(per_batch, units - start));
      // Means over the minibatch: over several processes, this process's sum
      // over the whole minibatch's count (the sums over processes are means).
      const int64_t minibatch_count = recurrent ? pick.size(0) * steps : pick.size(0);
      if (several) {
        // This process's units of the minibatch, in its own numbering.
        const auto env = recurrent ? pick : pick.remainder(run_envs);
        const auto own = (env >= first).logical_and(env < first + n);
        pick = recurrent ? pick.masked_select(own) - first
                         : pick.masked_select(own).div(run_envs, "floor") * n + env.masked_select(own) - first;
      }
      auto reduce = [&](const torch::Tensor& x) { return several ? x.sum() / double(minibatch_count) : x.mean(); };

      torch::Tensor log_probs, old_log_probs, mb_adv, mb_returns, values, entropy, mask;
      if (recurrent) {
        const auto obs = batch.observations.index_select(1, pick);
        const PolicyState init{batch.initial_state.h.index_select(0, pick), batch.initial_state.c.index_select(0, pick)};
        const auto dist = policy_.evaluate(obs, batch.episode_starts.index_select(1, pick), init, policy_.parameters());
        mask = batch.masks.index_select(1, pick).reshape({-1}) > 0;
        log_probs = dist.log_prob(batch.actions.index_select(1, pick)).reshape({-1}).masked_select(mask);
        entropy = dist.entropy().reshape({-1}).masked_select(mask);
        values = value_.forward(obs).reshape({-1}).masked_select(mask);
        old_log_probs = batch.log_probs.index_select(1, pick).reshape({-1}).masked_select(mask);
        mb_adv = adv.index_select(1, pick).reshape({-1}).masked_select(mask);
        mb_returns = returns.index_select(1, pick).reshape({-1}).masked_select(mask);
      } else {
        const auto rows = several ? pick : flat_valid.index_select(0, pick);
        const auto obs = batch.observations.reshape({steps * n, -1}).index_select(0, rows);
        const auto dist = policy_.evaluate(obs, torch::Tensor(), PolicyState{}, policy_.parameters());
        log_probs = dist.log_prob(batch.actions.reshape({steps * n, -1}).index_select(0, rows));
        entropy = dist.entropy();
        values = value_.forward(obs);
        old_log_probs = batch.log_probs.reshape({-1}).index_select(0, rows);
        mb_adv = adv.reshape({-1}).index_select(0, rows);
        mb_returns = returns.reshape({-1}).index_select(0, rows);
      }
      const auto ratio = torch::exp(log_probs - old_log_probs);
      const auto policy_loss = -reduce(ppo_clipped_objective(ratio, mb_adv, config_.clip_range));
      const auto value_loss = 0.5 * reduce((values - mb_returns).pow(2));
      const auto entropy_mean = reduce(entropy);
      const auto loss = policy_loss + config_.value_coef * value_loss - config_.entropy_coef * entropy_mean;

      // The metrics, as of the parameters that sampled the minibatch.
      torch::Tensor stats;
      {
        torch::NoGradGuard no_grad;
        const auto log_ratio = log_probs.detach() - old_log_probs;
        const auto approx_kl = reduce((log_ratio.exp() - 1.0) - log_ratio);
        const auto clipped = reduce(((log_ratio.exp() - 1.0).abs() > config_.clip_range).to(torch::kFloat32));
        stats = torch::stack({policy_loss.detach(), value_loss.detach(), entropy_mean.detach(), approx_kl, clipped});
      }
      const auto clip_gradients = [&] {
        if (config_.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(parameters, config_.max_grad_norm);
      };
      if (!several) {
        optimizer_.minimize(loss, clip_gradients);
      } else {
        loss.backward();
        optimizer_.step_accumulated([&] {
          std::vector<torch::Tensor> summed = {stats};
          for (const auto& p : parameters) {
            if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
            summed.push_back(p.grad());
          }
          processes_.all_reduce_sum(summed);
          clip_gradients();
        });
      }

      const double approx_kl = stats[3].item<double>();
      policy_loss_sum += stats[0].item<double>();
      value_loss_sum += stats[1].item<double>();
      entropy_sum += stats[2].item<double>();
      kl_sum += approx_kl;
      clip_sum += stats[4].item<double>();
      epoch_kl += approx_kl;
      ++updates;
      ++epoch_updates;
    }
    ++epochs_run;
    last_epoch_kl = epoch_kl / std::max<int64_t>(1, epoch_updates);
    if (config_.target_kl > 0 && last_epoch_kl > 1.5 * config_.target_kl) break;
  }
  const double u = std::max<int64_t>(1, updates);
  return {{"policy_loss", policy_loss_sum / u}, {"value_loss", value_loss_sum / u}, {"entropy", entropy_sum / u},
          {"approx_kl", kl_sum / u},           {"clip_fraction", clip_sum / u},    {"epochs", double(epochs_run)}};
}

}  // namespace metarl
