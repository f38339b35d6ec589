#include "meta/maml.h"

#include <stdexcept>

#include "agents/vpg.h"

namespace metarl {

MetaGradient parse_meta_gradient(const std::string& name) {
  if (name == "exact") return MetaGradient::kExact;
  if (name == "no_score") return MetaGradient::kNoScore;
  if (name == "first_order") return MetaGradient::kFirstOrder;
  throw std::invalid_argument("unknown meta_gradient '" + name + "' (known: exact, no_score, first_order)");
}

torch::Tensor inner_loss(const Policy& policy, const InnerBatch& batch, const Params& params, bool normalize) {
  const auto& episodes = batch.episodes;
  const auto advantages = normalize ? standardize(batch.advantages, episodes.masks) : batch.advantages;
  const auto log_probs = batch_log_probs(policy, episodes, params);
  return -masked_mean(log_probs * advantages.detach(), episodes.masks);
}

Params adapt_step(const Policy& policy, const Params& theta, const InnerBatch& batch, const torch::Tensor& step_size,
                  bool normalize, bool create_graph) {
  // The inner gradient needs autograd even when the caller evaluates without
  // gradients (a TRPO line search): differentiate with respect to leaves.
  torch::AutoGradMode enable_grad(true);
  Params params = theta;
  const bool differentiable = create_graph && std::all_of(theta.begin(), theta.end(), [](const torch::Tensor& p) {
                                return p.requires_grad();
                              });
  if (!differentiable) params = detached_leaves(theta);
  const auto loss = inner_loss(policy, batch, params, normalize);
  const auto grads = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/differentiable,
                                           /*create_graph=*/differentiable, /*allow_unused=*/true);
  Params adapted;
  adapted.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const auto g = grads[i].defined() ? grads[i] : torch::zeros_like(params[i]);
    // A differentiable step keeps θ's graph; a first-order one starts from θ
    // itself (so ∇θ still flows through the identity part θ − α g).
    adapted.push_back(theta[i] - step_size * (differentiable ? g : g.detach()));
  }
  return adapted;
}

Params adapt(const Policy& policy, const Params& theta, const MetaTask& task, const InnerLoopConfig& config,
             const torch::Tensor& step_sizes) {
  if (int64_t(task.inner.size()) < config.steps)
    throw std::invalid_argument("adapt: the task has " + std::to_string(task.inner.size()) + " inner batches for " +
                                std::to_string(config.steps) + " steps");
  const bool create_graph = config.meta_gradient != MetaGradient::kFirstOrder;
  Params params = theta;
  for (int64_t k = 0; k < config.steps; ++k) {
    const torch::Tensor alpha = step_sizes.defined() ? step_sizes[k] : torch::tensor(config.step_size);
    params = adapt_step(policy, params, task.inner[k], alpha, config.normalize_advantages, create_graph);
  }
  return params;
}

namespace {

// Leave-one-out mean of the validation returns: a baseline for task i that
// does not depend on task i's episodes.
std::vector<double> leave_one_out_baselines(const std::vector<MetaTask>& tasks) {
  double total = 0;
  for (const auto& t : tasks) total += t.validation_return;
  std::vector<double> b(tasks.size(), 0.0);
  if (tasks.size() < 2) return b;
  for (size_t i = 0; i < tasks.size(); ++i) b[i] = (total - tasks[i].validation_return) / double(tasks.size() - 1);
  return b;
}

// Σ_k Σ_t log π_{θ_k}(a|s) over the valid steps of every inner batch, with
// θ_k recomputed from θ (so the sum depends on θ through the adaptation too).
torch::Tensor inner_log_likelihood(const Policy& policy, const Params& theta, const MetaTask& task,
                                   const InnerLoopConfig& config, const torch::Tensor& step_sizes) {
  torch::Tensor total = torch::zeros({});
  Params params = theta;
  for (int64_t k = 0; k < config.steps; ++k) {
    const auto& batch = task.inner[k];
    total = total + (batch_log_probs(policy, batch.episodes, params) * batch.episodes.masks).sum();
    if (k + 1 < config.steps) {
      const torch::Tensor alpha = step_sizes.defined() ? step_sizes[k] : torch::tensor(config.step_size);
      params = adapt_step(policy, params, batch, alpha, config.normalize_advantages, true);
    }
  }
  return total;
}

}  // namespace

torch::Tensor meta_loss(const Policy& policy, const Params& theta, const std::vector<MetaTask>& tasks,
                        const InnerLoopConfig& inner, const OuterConfig& outer, const torch::Tensor& step_sizes) {
  if (tasks.empty()) throw std::invalid_argument("meta_loss: no tasks");
  const auto baselines = leave_one_out_baselines(tasks);
  torch::Tensor total = torch::zeros({});
  for (size_t i = 0; i < tasks.size(); ++i) {
    const MetaTask& task = tasks[i];
    const EpisodeBatch& valid = task.validation;
    const Params adapted = adapt(policy, theta, task, inner, step_sizes);
    const auto log_probs = batch_log_probs(policy, valid, adapted);
    torch::Tensor advantages = task.validation_advantages;
    double weight = 1.0;
    if (outer.normalize_advantages) {
      const auto valid_adv = advantages.masked_select(valid.masks > 0);
      const double std = valid_adv.numel() > 1 ? valid_adv.std().item<double>() : 1.0;
      weight = 1.0 / (std + 1e-8);
      advantages = (advantages - valid_adv.mean()) * valid.masks;
    }
    torch::Tensor weighted;
    if (!outer.importance_weights) {
      weighted = log_probs * advantages;
    } else {
      const auto ratio = torch::exp(log_probs - valid.log_probs);
      weighted = ratio * advantages;
      if (outer.clip_range > 0)
        weighted = torch::min(weighted, torch::clamp(ratio, 1.0 - outer.clip_range, 1.0 + outer.clip_range) * advantages);
    }
    torch::Tensor objective = masked_mean(weighted, valid.masks);
    if (inner.meta_gradient == MetaGradient::kExact) {
      const double steps_per_episode = valid.masks.sum().item<double>() / std::max<size_t>(1, valid.episode_returns.size());
      const double centred = (task.validation_return - baselines[i]) / steps_per_episode;
      objective = objective + centred * magic_box_minus_one(inner_log_likelihood(policy, theta, task, inner, step_sizes));
    }
    total = total - weight * objective;
  }
  return total / double(tasks.size());
}

std::vector<DiagGaussian> adapted_distributions(const Policy& policy, const Params& theta,
                                                const std::vector<MetaTask>& tasks, const InnerLoopConfig& inner,
                                                const torch::Tensor& step_sizes) {
  std::vector<DiagGaussian> out;
  out.reserve(tasks.size());
  for (const auto& task : tasks) {
    InnerLoopConfig first_order = inner;
    first_order.meta_gradient = MetaGradient::kFirstOrder;  // values only
    const Params adapted = adapt(policy, theta, task, first_order, step_sizes);
    torch::NoGradGuard no_grad;
    const auto& v = task.validation;
    out.push_back(policy.evaluate(v.observations, v.episode_starts, v.initial_state, adapted).detached());
  }
  return out;
}

torch::Tensor meta_kl(const Policy& policy, const Params& theta, const std::vector<MetaTask>& tasks,
                      const std::vector<DiagGaussian>& old_distributions, const InnerLoopConfig& inner,
                      const torch::Tensor& step_sizes) {
  torch::Tensor total = torch::zeros({});
  for (size_t i = 0; i < tasks.size(); ++i) {
    const auto& v = tasks[i].validation;
    const Params adapted = adapt(policy, theta, tasks[i], inner, step_sizes);
    const auto dist = policy.evaluate(v.observations, v.episode_starts, v.initial_state, adapted);
    total = total + masked_mean(old_distributions[i].kl(dist), v.masks);
  }
  return total / double(tasks.size());
}

}  // namespace metarl
