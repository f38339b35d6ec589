#include "meta/maml.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "agents/mlp_curvature.h"
#include "agents/ppo.h"

namespace metarl {
namespace {

// [T, tasks * K] -> [T, tasks, K]
torch::Tensor by_task(const torch::Tensor& x, int64_t tasks) { return x.reshape({x.size(0), tasks, -1}); }

// Advantages standardised within each task (constants: no gradient).
torch::Tensor standardize_per_task(const torch::Tensor& advantages, const torch::Tensor& masks, int64_t tasks) {
  const auto a = by_task(advantages, tasks), m = by_task(masks, tasks);
  const auto count = m.sum(std::vector<int64_t>{0, 2}, true).clamp_min(2.0);
  const auto mean = (a * m).sum(std::vector<int64_t>{0, 2}, true) / count;
  const auto std = torch::sqrt(((a - mean).pow(2) * m).sum(std::vector<int64_t>{0, 2}, true) / (count - 1.0));
  return ((a - mean) / (std + 1e-8) * m).reshape(advantages.sizes());
}

torch::Tensor log_probs(const Policy& policy, const EpisodeBatch& b, const Params& stacked, int64_t tasks) {
  return policy.evaluate_grouped(b.observations, b.episode_starts, b.initial_state, stacked, tasks)
      .log_prob(b.actions);
}

// log π(a_t|s_t) − log π_b(a_t|s_t) against the policy b that acted the
// episodes; 0 on padding.
torch::Tensor acting_log_ratio(const torch::Tensor& log_probs, const EpisodeBatch& episodes) {
  return (log_probs - episodes.log_probs) * episodes.masks;
}

torch::Tensor alpha_at(const InnerLoopConfig& config, const torch::Tensor& step_sizes, int64_t k) {
  return step_sizes.defined() ? step_sizes[k] : torch::tensor(config.step_size);
}

// A step size shaped to scale `stacked` ([tasks, ...]): a scalar as it is,
// one size per task ([tasks]) along the leading dimension.
torch::Tensor per_task(const torch::Tensor& step_size, const torch::Tensor& stacked) {
  if (step_size.dim() == 0) return step_size;
  std::vector<int64_t> shape(size_t(stacked.dim()), 1);
  shape[0] = step_size.numel();
  return step_size.reshape(shape);
}

}  // namespace

MetaGradient parse_meta_gradient(const std::string& name) {
  if (name == "exact") return MetaGradient::kExact;
  if (name == "dice") return MetaGradient::kDice;
  if (name == "lvc") return MetaGradient::kLvc;
  if (name == "no_score") return MetaGradient::kNoScore;
  if (name == "first_order") return MetaGradient::kFirstOrder;
  throw std::invalid_argument("unknown meta_gradient '" + name + "' (known: exact, dice, lvc, no_score, first_order)");
}

InnerObjective inner_objective(const InnerLoopConfig& config) {
  switch (config.meta_gradient) {
    case MetaGradient::kDice:
      return {InnerObjective::kDice, config.clip};
    case MetaGradient::kLvc:
      return {InnerObjective::kLvc, config.clip};
    default:
      return {config.off_policy ? InnerObjective::kLvc : InnerObjective::kPlain, config.clip};
  }
}

torch::Tensor task_means(const torch::Tensor& x, const torch::Tensor& masks, int64_t tasks) {
  const auto m = by_task(masks, tasks);
  return (by_task(x, tasks) * m).sum(std::vector<int64_t>{0, 2}) / m.sum(std::vector<int64_t>{0, 2}).clamp_min(1.0);
}

double inner_kl(const Policy& policy, const Params& theta, const Params& adapted, const EpisodeBatch& episodes,
                int64_t tasks) {
  torch::NoGradGuard no_grad;
  const auto& e = episodes;
  const auto before = policy.evaluate_grouped(e.observations, e.episode_starts, e.initial_state, theta, tasks);
  const auto after = policy.evaluate_grouped(e.observations, e.episode_starts, e.initial_state, adapted, tasks);
  return task_means(before.kl(after), e.masks, tasks).mean().item<double>();
}

Params replicate(const Params& theta, int64_t tasks) {
  Params out;
  out.reserve(theta.size());
  for (const auto& p : theta) {
    std::vector<int64_t> shape = {tasks};
    shape.insert(shape.end(), p.sizes().begin(), p.sizes().end());
    out.push_back(p.unsqueeze(0).expand(shape));
  }
  return out;
}

torch::Tensor cumsum_within_episodes(const torch::Tensor& x, const torch::Tensor& episode_starts) {
  const auto cum = x.cumsum(0);
  // Index of the latest episode start at or before each step (0 if none).
  const auto t = torch::arange(x.size(0), torch::kLong).unsqueeze(1).expand(x.sizes());
  const auto start = std::get<0>(torch::cummax(t * episode_starts.to(torch::kLong), 0));
  return cum - (cum - x).gather(0, start);
}

torch::Tensor inner_losses(const Policy& policy, const InnerBatch& batch, const Params& stacked, int64_t tasks,
                           bool normalize, InnerObjective objective) {
  const auto& episodes = batch.episodes;
  const auto advantages = normalize ? standardize_per_task(batch.advantages, episodes.masks, tasks)
                                    : batch.advantages;
  const auto& m = episodes.masks;
  const auto lp = log_probs(policy, episodes, stacked, tasks);
  if (objective.kind == InnerObjective::kPlain) return -task_means(lp * advantages.detach(), m, tasks);
  const auto log_ratio = acting_log_ratio(lp, episodes);
  // Loaded DiCE with importance weights: A_t weighs w(ℓ_{≤t}) − w(ℓ_{<t}),
  // ℓ the log-likelihood ratio of the actions up to (before) t under these
  // parameters to the sampling policy's (episodes.log_probs), and
  // w(x) = x + x²/2 the second-order expansion of the ratio e^x − 1. At the
  // sampling parameters (ℓ = 0) it has DiCE's first and second derivatives:
  // the plain gradient, and a Hessian that adds
  // (∇log π_t ∇log π_tᵀ + ∇log π_t ∇ℓ_{<t}ᵀ + ∇ℓ_{<t} ∇log π_tᵀ) A_t — the
  // score-function terms, causally. Elsewhere (a TRPO line-search candidate)
  // the weights make the adapted parameters, and the outer surrogate's value,
  // move as the meta-gradient says, so the line search and the metric see
  // the function whose gradient is followed; being polynomial in ℓ, they stay
  // tame where exact ratios would reach e^±4 two hundred steps into an episode.
  // kLvc keeps only the step's own ratio: w(ℓ_t). With a clip, w's slope
  // 1 + x is held within [1 − clip, 1 + clip]: w continues linearly past
  // x = ±clip, where its value and slope are continuous.
  const double clip = objective.clip;
  auto weight = [clip](const torch::Tensor& x) {
    if (clip <= 0) return x + 0.5 * x * x;
    const auto inside = x.clamp(-clip, clip);
    return inside + 0.5 * inside * inside + (1.0 + inside) * (x - inside);
  };
  if (objective.kind == InnerObjective::kLvc) return -task_means(weight(log_ratio) * advantages.detach(), m, tasks);
  const auto through = cumsum_within_episodes(log_ratio, episodes.episode_starts);
  const auto before = through - log_ratio;
  return -task_means((weight(through) - weight(before)) * advantages.detach(), m, tasks);
}

torch::Tensor clipped_task_losses(const Policy& policy, const InnerBatch& batch, const Params& stacked, int64_t tasks,
                                  double clip_range) {
  const auto& episodes = batch.episodes;
  const auto advantages = standardize_per_task(batch.advantages, episodes.masks, tasks).detach();
  const auto ratio = acting_log_ratio(log_probs(policy, episodes, stacked, tasks), episodes).exp();
  return -task_means(ppo_clipped_objective(ratio, advantages, clip_range), episodes.masks, tasks);
}

Params gradient_step(const std::function<torch::Tensor(const Params&)>& summed_loss, const Params& stacked,
                     const torch::Tensor& step_size, bool create_graph) {
  // The inner gradient needs autograd even when the caller evaluates without
  // gradients (a TRPO line search): then differentiate with respect to leaves.
  torch::AutoGradMode enable_grad(true);
  const bool differentiable =
      create_graph && std::all_of(stacked.begin(), stacked.end(), [](const torch::Tensor& p) { return p.requires_grad(); });
  const Params params = differentiable ? stacked : detached_leaves(stacked);
  const auto loss = summed_loss(params);
  const auto grads = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/differentiable,
                                           /*create_graph=*/differentiable, /*allow_unused=*/true);
  Params adapted;
  adapted.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const auto g = grads[i].defined() ? grads[i] : torch::zeros_like(params[i]);
    // A first-order step starts from the input itself, so ∇θ still flows
    // through the identity part of θ − α g.
    adapted.push_back(stacked[i] - per_task(step_size, g) * (differentiable ? g : g.detach()));
  }
  return adapted;
}

Params adapt_step(const Policy& policy, const Params& stacked, const InnerBatch& batch, const torch::Tensor& step_size,
                  int64_t tasks, bool normalize, bool create_graph, InnerObjective objective) {
  // Task i's loss depends only on slice i of every stacked tensor, so the
  // gradient of the sum holds every task's own gradient.
  return gradient_step(
      [&](const Params& params) { return inner_losses(policy, batch, params, tasks, normalize, objective).sum(); },
      stacked, step_size, create_graph);
}

Params adapt(const Policy& policy, const Params& theta, const MetaBatch& batch, const InnerLoopConfig& config,
             const torch::Tensor& step_sizes) {
  if (int64_t(batch.inner.size()) < config.steps)
    throw std::invalid_argument("adapt: the meta-batch has " + std::to_string(batch.inner.size()) +
                                " inner batches for " + std::to_string(config.steps) + " steps");
  const bool create_graph = config.meta_gradient != MetaGradient::kFirstOrder;
  Params params = replicate(theta, batch.tasks);
  for (int64_t k = 0; k < config.steps; ++k)
    params = adapt_step(policy, params, batch.inner[k], alpha_at(config, step_sizes, k), batch.tasks,
                        config.normalize_advantages, create_graph, inner_objective(config));
  return params;
}

namespace {

// Per-task Σ_k Σ_t log π_{θ_k}(a|s) over the valid steps of every inner
// batch, with θ_k recomputed from θ (so it depends on θ through the
// adaptation too). [tasks]
torch::Tensor inner_log_likelihoods(const Policy& policy, const Params& theta, const MetaBatch& batch,
                                    const InnerLoopConfig& config, const torch::Tensor& step_sizes) {
  torch::Tensor total;
  Params params = replicate(theta, batch.tasks);
  for (int64_t k = 0; k < config.steps; ++k) {
    const auto& ib = batch.inner[k];
    const auto lp = log_probs(policy, ib.episodes, params, batch.tasks) * ib.episodes.masks;
    const auto per_task = by_task(lp, batch.tasks).sum(std::vector<int64_t>{0, 2});
    total = total.defined() ? total + per_task : per_task;
    if (k + 1 < config.steps)
      params = adapt_step(policy, params, ib, alpha_at(config, step_sizes, k), batch.tasks,
                          config.normalize_advantages, true);
  }
  return total;
}

}  // namespace

torch::Tensor meta_loss(const Policy& policy, const Params& theta, const MetaBatch& batch,
                        const InnerLoopConfig& inner, const OuterConfig& outer, const torch::Tensor& step_sizes,
                        const Params* precomputed) {
  const int64_t tasks = batch.tasks;
  if (tasks < 1) throw std::invalid_argument("meta_loss: no tasks");
  const EpisodeBatch& valid = batch.validation;
  const Params adapted = precomputed ? *precomputed : adapt(policy, theta, batch, inner, step_sizes);
  const auto lp = log_probs(policy, valid, adapted, tasks);

  torch::Tensor advantages = batch.validation_advantages;
  torch::Tensor weights = torch::ones({tasks}, lp.options());
  if (outer.normalize_advantages) {
    const auto a = by_task(advantages, tasks), m = by_task(valid.masks, tasks);
    const auto count = m.sum(std::vector<int64_t>{0, 2}, true).clamp_min(2.0);
    const auto mean = (a * m).sum(std::vector<int64_t>{0, 2}, true) / count;
    const auto std = torch::sqrt(((a - mean).pow(2) * m).sum(std::vector<int64_t>{0, 2}, true) / (count - 1.0));
    weights = 1.0 / (std.reshape({tasks}) + 1e-8);
    advantages = ((a - mean) * m).reshape(advantages.sizes());
  }
  torch::Tensor weighted;
  if (!outer.importance_weights) {
    weighted = lp * advantages;
  } else {
    const auto ratio = torch::exp(lp - valid.log_probs);
    weighted = outer.clip_range > 0 ? ppo_clipped_objective(ratio, advantages, outer.clip_range) : ratio * advantages;
  }
  torch::Tensor objective = task_means(weighted, valid.masks, tasks);  // [tasks]
  // The score term is 0 in value: only build it when a gradient will be taken.
  if (inner.meta_gradient == MetaGradient::kExact && inner.steps > 0 && torch::GradMode::is_enabled()) {
    // Leave-one-out baselines and the per-step scale of each task's return.
    const auto returns = batch.validation_returns.to(objective.scalar_type());
    const auto baselines = batch.score_baselines.defined() ? batch.score_baselines.to(returns.scalar_type())
                           : tasks > 1 ? (returns.sum() - returns) / double(tasks - 1)
                                       : torch::zeros_like(returns);
    const auto episodes = by_task(valid.episode_starts * valid.masks, tasks).sum(std::vector<int64_t>{0, 2}).clamp_min(1.0);
    const auto steps_per_episode = by_task(valid.masks, tasks).sum(std::vector<int64_t>{0, 2}) / episodes;
    const auto centred = (returns - baselines) / steps_per_episode.clamp_min(1.0);
    objective = objective +
                centred * magic_box_minus_one(inner_log_likelihoods(policy, theta, batch, inner, step_sizes));
  }
  return -(weights * objective).mean();
}

DiagGaussian adapted_distribution(const Policy& policy, const Params& theta, const MetaBatch& batch,
                                  const InnerLoopConfig& inner, const torch::Tensor& step_sizes) {
  // Values only (parameters that need no gradient), through the same
  // adaptation map as meta_kl's.
  Params values;
  for (const auto& p : theta) values.push_back(p.detach());
  const Params adapted = adapt(policy, values, batch, inner, step_sizes.defined() ? step_sizes.detach() : step_sizes);
  torch::NoGradGuard no_grad;
  const auto& v = batch.validation;
  return policy.evaluate_grouped(v.observations, v.episode_starts, v.initial_state, adapted, batch.tasks).detached();
}

torch::Tensor meta_kl(const Policy& policy, const Params& theta, const MetaBatch& batch, const DiagGaussian& old,
                      const InnerLoopConfig& inner, const torch::Tensor& step_sizes, const Params* precomputed) {
  const auto& v = batch.validation;
  const Params adapted = precomputed ? *precomputed : adapt(policy, theta, batch, inner, step_sizes);
  const auto dist = policy.evaluate_grouped(v.observations, v.episode_starts, v.initial_state, adapted, batch.tasks);
  return task_means(old.kl(dist), v.masks, batch.tasks).mean();
}

std::vector<int64_t> task_columns(const std::vector<int64_t>& tasks, int64_t per_task, int64_t keep) {
  if (keep < 0) keep = per_task;
  std::vector<int64_t> columns;
  for (int64_t i : tasks)
    for (int64_t j = 0; j < keep; ++j) columns.push_back(i * per_task + j);
  return columns;
}

MetaBatch select_tasks(const MetaBatch& batch, const std::vector<int64_t>& tasks) {
  TORCH_CHECK(!tasks.empty(), "select_tasks: no tasks selected");
  for (int64_t i : tasks)
    TORCH_CHECK(i >= 0 && i < batch.tasks, "select_tasks: task ", i, " of a meta-batch of ", batch.tasks);
  const int64_t per_task = batch.validation.num_envs() / batch.tasks;
  const std::vector<int64_t> columns = task_columns(tasks, per_task);
  const torch::Tensor column_index = torch::tensor(columns, torch::kLong);
  const torch::Tensor task_index = torch::tensor(tasks, torch::kLong);
  MetaBatch out;
  out.tasks = int64_t(tasks.size());
  for (const auto& ib : batch.inner)
    out.inner.push_back({ib.episodes.select_envs(columns), ib.advantages.index_select(1, column_index)});
  out.validation = batch.validation.select_envs(columns);
  out.validation_advantages = batch.validation_advantages.index_select(1, column_index);
  if (batch.validation_returns.defined()) out.validation_returns = batch.validation_returns.index_select(0, task_index);
  if (batch.score_baselines.defined()) out.score_baselines = batch.score_baselines.index_select(0, task_index);
  return out;
}

std::function<torch::Tensor(const torch::Tensor&)> meta_fisher_vector_product(
    const Policy& policy, const Params& theta, const MetaBatch& full, const DiagGaussian& full_old,
    const InnerLoopConfig& inner, double damping, const torch::Tensor& step_sizes, double subsample,
    const std::vector<Params>* adapted_path) {
  torch::AutoGradMode enable_grad(true);
  TORCH_CHECK(!adapted_path || int64_t(adapted_path->size()) == inner.steps,
              "meta_fisher_vector_product: adapted_path holds ", adapted_path ? adapted_path->size() : 0,
              " parameter sets for ", inner.steps, " inner steps");
  const int64_t tasks = full.tasks;
  TORCH_CHECK(subsample > 0 && subsample <= 1, "meta_fisher_vector_product: subsample must lie in (0, 1]");
  const int64_t per_task = full.validation.masks.size(1) / tasks;
  const int64_t keep = std::max<int64_t>(1, int64_t(std::ceil(subsample * per_task)));
  // The metric's batch: the kept episodes, with advantages standardised on the full batch.
  std::vector<int64_t> all_tasks(static_cast<size_t>(tasks));
  std::iota(all_tasks.begin(), all_tasks.end(), int64_t(0));
  const std::vector<int64_t> columns = task_columns(all_tasks, per_task, keep);
  const torch::Tensor index = torch::tensor(columns, torch::kLong);
  MetaBatch batch;
  batch.tasks = tasks;
  for (const auto& ib : full.inner) {
    const auto adv = inner.normalize_advantages ? standardize_per_task(ib.advantages, ib.episodes.masks, tasks)
                                                : ib.advantages;
    batch.inner.push_back({ib.episodes.select_envs(columns), adv.index_select(1, index)});
  }
  batch.validation = full.validation.select_envs(columns);
  const DiagGaussian old{full_old.mean.index_select(1, index),
                         full_old.log_std.dim() >= 2 ? full_old.log_std.index_select(1, index) : full_old.log_std};
  const bool first_order = inner.meta_gradient == MetaGradient::kFirstOrder;
  const InnerObjective objective = inner_objective(inner);
  // The points θ_k the inner steps pass through at the current θ, and their
  // step sizes. The next point is the full batch's adaptation, not the
  // subsample's (the sampler's, when the caller kept it).
  std::vector<Params> points;
  std::vector<torch::Tensor> alphas;
  Params current = replicate(theta, tasks);
  for (int64_t k = 0; k < inner.steps; ++k) {
    points.push_back(detached_leaves(current));
    alphas.push_back(alpha_at(inner, step_sizes, k).detach());
    current = adapted_path ? detached_leaves((*adapted_path)[size_t(k)])
                           : detached_leaves(adapt_step(policy, current, full.inner[k], alphas.back(), tasks,
                                                        inner.normalize_advantages, /*create_graph=*/false, objective));
  }
  const Params adapted = detached_leaves(current);
  // H_k w (the inner loss's Hessian at θ_k; the same inner loss as the
  // adaptation map whose KL the line search evaluates, for kDice / kLvc the
  // weighted one: its Jacobian holds the score-function terms) and F w (the
  // adapted policies' Fisher matrix: the KL's Hessian at its minimum), per
  // task. First order treats the inner gradients as constants: J = I, no H.
  std::function<Params(size_t, const Params&)> inner_hessian;
  std::function<Params(const Params&)> kl_hessian;
  const auto* mlp = dynamic_cast<const GaussianMlpPolicy*>(&policy);
  if (mlp && (first_order || objective.kind == InnerObjective::kPlain)) {
    // The same products written out for the MLP (agents/mlp_curvature.h),
    // cheaper than double back-propagation (PERFORMANCE.md).
    std::vector<std::shared_ptr<GaussianMlpCurvature>> inner_curvatures;
    for (int64_t k = 0; !first_order && k < inner.steps; ++k) {
      const auto& e = batch.inner[size_t(k)].episodes;
      const auto masks = to_group_rows(e.masks, tasks);
      const auto counts = masks.sum(1, true).clamp_min(1.0);
      // The plain inner loss per task: −(1/count) Σ_t m_t A_t log π(a_t|s_t).
      const auto coefficients = -masks * to_group_rows(batch.inner[size_t(k)].advantages, tasks) / counts;
      auto c = std::make_shared<GaussianMlpCurvature>(*mlp, points[size_t(k)], to_group_rows(e.observations, tasks));
      c->prepare_log_likelihood(to_group_rows(e.actions, tasks), coefficients);
      inner_curvatures.push_back(std::move(c));
    }
    const auto& v = batch.validation;
    auto kl_curvature = std::make_shared<GaussianMlpCurvature>(*mlp, adapted, to_group_rows(v.observations, tasks));
    const auto masks = to_group_rows(v.masks, tasks);
    kl_curvature->prepare_kl(masks / (masks.sum(1, true).clamp_min(1.0) * double(tasks)));  // task_means(·).mean()
    inner_hessian = [inner_curvatures](size_t k, const Params& w) {
      return inner_curvatures[k]->log_likelihood_hessian_product(w);
    };
    kl_hessian = [kl_curvature](const Params& w) { return kl_curvature->kl_hessian_product(w); };
  } else {
    // Any policy and inner loss: double back-propagation through the
    // differentiable first derivatives, kept alive by the closures.
    auto hessian_product = [](const Params& leaves, const Params& grads, const Params& w) {
      torch::Tensor dot = torch::zeros({}, leaves[0].options());
      for (size_t i = 0; i < grads.size(); ++i)
        if (grads[i].requires_grad()) dot = dot + (grads[i] * w[i]).sum();
      if (!dot.requires_grad()) return Params(w.size(), torch::Tensor());
      auto h = torch::autograd::grad({dot}, leaves, {}, /*retain_graph=*/true, false, /*allow_unused=*/true);
      return Params(h.begin(), h.end());
    };
    auto gradients = [](const torch::Tensor& loss, const Params& leaves) {
      Params out;
      const auto g = torch::autograd::grad({loss}, leaves, {}, true, true, true);
      for (size_t i = 0; i < g.size(); ++i) out.push_back(g[i].defined() ? g[i] : torch::zeros_like(leaves[i]));
      return out;
    };
    auto inner_grads = std::make_shared<std::vector<Params>>();
    for (int64_t k = 0; !first_order && k < inner.steps; ++k) {
      const Params& leaves = points[size_t(k)];
      inner_grads->push_back(gradients(
          inner_losses(policy, batch.inner[size_t(k)], leaves, tasks, false, objective).sum(), leaves));
    }
    auto kl_leaves = std::make_shared<Params>(adapted);
    const auto& v = batch.validation;
    const auto dist = policy.evaluate_grouped(v.observations, v.episode_starts, v.initial_state, *kl_leaves, tasks);
    auto kl_grads = std::make_shared<Params>(gradients(task_means(old.kl(dist), v.masks, tasks).mean(), *kl_leaves));
    inner_hessian = [points, inner_grads, hessian_product](size_t k, const Params& w) {
      return hessian_product(points[k], (*inner_grads)[k], w);
    };
    kl_hessian = [kl_leaves, kl_grads, hessian_product](const Params& w) {
      return hessian_product(*kl_leaves, *kl_grads, w);
    };
  }

  auto jacobian_product = [inner_hessian, alphas, first_order](Params w, bool transpose) {
    // J = J_S ... J_1 with J_k = I − α_k H_k (symmetric): Jᵀ applies them in reverse.
    const size_t n = first_order ? 0 : alphas.size();
    for (size_t j = 0; j < n; ++j) {
      const size_t k = transpose ? n - 1 - j : j;
      const Params h = inner_hessian(k, w);
      for (size_t i = 0; i < w.size(); ++i)
        if (h[i].defined()) w[i] = w[i] - alphas[k] * h[i];
    }
    return w;
  };
  const Params shapes = theta;
  return [=](const torch::Tensor& flat) {
    const torch::Tensor vd = flat.detach();
    Params w = replicate(unflatten(vd, shapes), tasks);
    for (auto& t : w) t = t.contiguous();
    w = jacobian_product(w, false);
    Params u = kl_hessian(w);
    for (size_t i = 0; i < u.size(); ++i)
      if (!u[i].defined()) u[i] = torch::zeros_like(w[i]);
    u = jacobian_product(u, true);
    Params summed;
    for (const auto& t : u) summed.push_back(t.sum(0));  // θ is shared by every task
    const auto hv = flatten(summed);
    return damping != 0.0 ? hv + damping * vd : hv;
  };
}

std::vector<double> TaskReturnBaseline::features(const std::vector<double>& p) {
  std::vector<double> f;
  double norm = 0;
  for (double x : p) {
    f.push_back(x);
    f.push_back(x * x);
    norm += x * x;
  }
  f.push_back(std::sqrt(norm));
  f.push_back(1.0);
  return f;
}

void TaskReturnBaseline::add(const std::vector<std::vector<double>>& task_params, const torch::Tensor& returns) {
  const auto r = returns.to(torch::kFloat64).contiguous();
  for (size_t i = 0; i < task_params.size(); ++i) {
    const double value = r[int64_t(i)].item<double>();
    if (!std::isfinite(value)) continue;
    features_.push_back(features(task_params[i]));
    returns_.push_back(value);
  }
  while (returns_.size() > capacity_) {  // keep the most recent: the policy moves
    features_.erase(features_.begin());
    returns_.erase(returns_.begin());
  }
}

std::vector<torch::Tensor> TaskReturnBaseline::state() const {
  const int64_t n = int64_t(returns_.size()), d = n ? int64_t(features_.front().size()) : 0;
  auto x = torch::empty({n, d}, torch::kFloat64);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) x[i][j] = features_[i][j];
  return {x, torch::tensor(returns_, torch::kFloat64)};
}

void TaskReturnBaseline::load_state(const std::vector<torch::Tensor>& state) {
  TORCH_CHECK(state.size() == 2, "TaskReturnBaseline: checkpoint holds ", state.size(), " tensors, expected 2");
  const auto x = state[0].to(torch::kFloat64).contiguous(), y = state[1].to(torch::kFloat64).contiguous();
  features_.clear();
  returns_.clear();
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::vector<double> row(x.size(1));
    for (int64_t j = 0; j < x.size(1); ++j) row[j] = x[i][j].item<double>();
    features_.push_back(row);
    returns_.push_back(y[i].item<double>());
  }
}

torch::Tensor TaskReturnBaseline::predict(const std::vector<std::vector<double>>& task_params) const {
  const int64_t n = int64_t(returns_.size()), d = int64_t(features_.front().size());
  auto x = torch::empty({n, d}, torch::kFloat64);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) x[i][j] = features_[i][j];
  const auto y = torch::tensor(returns_, torch::kFloat64);
  const auto gram = x.t().mm(x) + 1e-3 * torch::eye(d, torch::kFloat64);
  const auto w = torch::linalg_solve(gram, x.t().mv(y));
  auto q = torch::empty({int64_t(task_params.size()), d}, torch::kFloat64);
  for (size_t i = 0; i < task_params.size(); ++i) {
    const auto f = features(task_params[i]);
    for (int64_t j = 0; j < d; ++j) q[int64_t(i)][j] = f[j];
  }
  return q.mv(w);
}

}  // namespace metarl
