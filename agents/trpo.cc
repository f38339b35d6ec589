#include "agents/trpo.h"

#include <cmath>
#include <utility>

#include "agents/communicator.h"
#include "agents/stopwatch.h"

namespace metarl {
namespace {

// Gradients of `output` with respect to every tensor of `params`, flattened
// into one vector. Parameters `output` does not depend on get zeros (rather
// than the undefined tensors autograd returns for them).
torch::Tensor flat_grad(const torch::Tensor& output, const Params& params, bool retain_graph, bool create_graph) {
  const auto grads = torch::autograd::grad({output}, params, /*grad_outputs=*/{}, retain_graph, create_graph,
                                           /*allow_unused=*/true);
  std::vector<torch::Tensor> flat;
  flat.reserve(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    flat.push_back(grads[i].defined() ? grads[i].reshape({-1}) : torch::zeros({params[i].numel()}, params[i].options()));
  }
  return torch::cat(flat);
}

double dot_value(const torch::Tensor& a, const torch::Tensor& b) { return torch::dot(a, b).item<double>(); }

void check_scalar(const torch::Tensor& t, const char* what) {
  TORCH_CHECK(t.defined() && t.numel() == 1, "trpo_step: ", what, " must return a scalar tensor, got ",
              t.defined() ? t.sizes() : c10::IntArrayRef{});
}

}  // namespace

torch::Tensor conjugate_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& matrix_vector,
                                 const torch::Tensor& b, int iterations, double residual_tol) {
  TORCH_CHECK(b.dim() == 1, "conjugate_gradient: b must be a flat vector, got shape ", b.sizes());
  const torch::Tensor rhs = b.detach();
  torch::Tensor x = torch::zeros_like(rhs);
  torch::Tensor r = rhs.clone();  // residual b - A x, with x = 0
  torch::Tensor p = rhs.clone();  // search direction
  double rr = dot_value(r, r);
  for (int i = 0; i < iterations && rr >= residual_tol; ++i) {
    const torch::Tensor ap = matrix_vector(p).detach();
    const double p_ap = dot_value(p, ap);
    // A is promised to be positive definite; a non-positive curvature along p
    // (numerical breakdown) ends the iteration with the solution so far.
    if (!(p_ap > 0.0)) break;
    const double alpha = rr / p_ap;
    x.add_(p, alpha);
    r.sub_(ap, alpha);
    const double rr_new = dot_value(r, r);
    p = r + (rr_new / rr) * p;
    rr = rr_new;
  }
  return x;
}

std::function<torch::Tensor(const torch::Tensor&)> hessian_vector_product(const torch::Tensor& kl,
                                                                          const Params& params, double damping) {
  TORCH_CHECK(kl.defined() && kl.numel() == 1, "hessian_vector_product: kl must be a scalar tensor");
  TORCH_CHECK(!params.empty(), "hessian_vector_product: no parameters");
  for (const auto& p : params) {
    TORCH_CHECK(p.requires_grad(), "hessian_vector_product: every parameter must require grad");
  }
  // First derivative, itself differentiable: its graph stays alive as long as
  // the returned function (which holds `grad`) does.
  torch::Tensor grad = flat_grad(kl, params, /*retain_graph=*/true, /*create_graph=*/true);
  const int64_t n = grad.numel();
  return [grad = std::move(grad), params, damping, n](const torch::Tensor& v) -> torch::Tensor {
    TORCH_CHECK(v.dim() == 1 && v.numel() == n, "hessian_vector_product: v must be a flat vector of ", n,
                " values, got shape ", v.sizes());
    const torch::Tensor vd = v.detach();
    const torch::Tensor grad_v = torch::dot(grad, vd);
    torch::Tensor hv;
    if (grad_v.requires_grad()) {
      // retain_graph so the same first derivative serves every call (CG calls
      // this once per iteration, trpo_step once more for s^T H s).
      hv = flat_grad(grad_v, params, /*retain_graph=*/true, /*create_graph=*/false);
    } else {
      hv = torch::zeros_like(vd);  // kl is at most linear in params: H = 0
    }
    return damping != 0.0 ? hv + damping * vd : hv;
  };
}

TrpoStats trpo_step(Params& params, const std::function<torch::Tensor(const Params&)>& surrogate,
                    const std::function<torch::Tensor(const Params&)>& mean_kl, const TrpoConfig& config,
                    const std::function<VectorProduct()>& metric_vector_product, const Communicator* processes) {
  TORCH_CHECK(!params.empty(), "trpo_step: no parameters");
  const bool spread = processes && processes->several();
  // Values summed over the ranks (each its share); as they are with one.
  auto summed = [&](double value) { return spread ? processes->all_reduce_sum(value) : value; };
  for (const auto& p : params) TORCH_CHECK(p.requires_grad(), "trpo_step: every parameter must require grad");
  TORCH_CHECK(config.max_kl > 0.0, "trpo_step: max_kl must be positive");
  TORCH_CHECK(config.backtrack_ratio > 0.0 && config.backtrack_ratio < 1.0,
              "trpo_step: backtrack_ratio must lie in (0, 1)");
  TORCH_CHECK(config.max_backtracks >= 0, "trpo_step: max_backtracks must be >= 0");

  TrpoStats stats;
  auto started = Clock::now();

  // Gradient of the surrogate at the current parameters. The graph is kept in
  // case the caller's surrogate and KL share cached sub-graphs; it is freed
  // with `loss` at the end of this block.
  torch::Tensor loss_grad;
  {
    const torch::Tensor loss = surrogate(params);
    check_scalar(loss, "surrogate");
    stats.loss_before = summed(loss.item<double>());
    loss_grad = flat_grad(loss, params, /*retain_graph=*/true, /*create_graph=*/false).detach();
    if (spread) loss_grad = processes->all_reduce_sum(loss_grad);
  }
  TORCH_CHECK(torch::isfinite(loss_grad).all().item<bool>(), "trpo_step: the surrogate's gradient is not finite");
  stats.loss_after = stats.loss_before;
  stats.gradient_seconds = seconds_since(started);
  if (!(loss_grad.abs().max().item<double>() > 0.0)) {
    // Zero gradient (a stationary point of the surrogate): there is no
    // direction to search along, so no step can be accepted.
    return stats;
  }

  // Natural-gradient direction s = (H + damping I)^-1 (-g).
  torch::Tensor full_step;
  {
    VectorProduct hvp;
    if (metric_vector_product) {
      hvp = metric_vector_product();
    } else {
      const torch::Tensor kl = mean_kl(params);
      check_scalar(kl, "mean_kl");
      hvp = hessian_vector_product(kl, params, !spread || processes->rank() == 0 ? config.cg_damping : 0.0);
    }
    if (spread) hvp = [share = std::move(hvp), processes](const torch::Tensor& v) {
      return processes->all_reduce_sum(share(v));
    };
    const torch::Tensor direction = conjugate_gradient(hvp, -loss_grad, config.cg_iterations);
    const double shs = dot_value(direction, hvp(direction));
    TORCH_CHECK(std::isfinite(shs) && shs > 0.0,
                "trpo_step: s^T H s = ", shs,
                " is not positive; the Hessian of mean_kl is not positive definite along the search direction "
                "(is mean_kl computed from the parameters it is given, against a fixed old policy?)");
    full_step = direction * std::sqrt(2.0 * config.max_kl / shs);
  }
  stats.direction_seconds = seconds_since(started) - stats.gradient_seconds;
  started = Clock::now();

  // Backtracking line search on the fraction of the full step.
  torch::Tensor start;
  {
    torch::NoGradGuard no_grad;
    start = flatten(params).detach();
  }
  double fraction = 1.0;
  for (int shrinks = 0; shrinks <= config.max_backtracks; ++shrinks) {
    stats.backtracks = shrinks;
    if (shrinks > 0) fraction *= config.backtrack_ratio;
    Params candidate;
    double loss_value = 0, kl_value = 0;
    {
      torch::NoGradGuard no_grad;
      candidate = unflatten(start + fraction * full_step, params);
      const torch::Tensor loss = surrogate(candidate);
      check_scalar(loss, "surrogate");
      loss_value = summed(loss.item<double>());
      if (!(loss_value < stats.loss_before)) continue;
      const torch::Tensor kl = mean_kl(candidate);
      check_scalar(kl, "mean_kl");
      kl_value = summed(kl.item<double>());
      if (!(kl_value <= config.max_kl)) continue;
    }
    params = detached_leaves(candidate);  // new leaves, requiring grad
    stats.line_search_seconds = seconds_since(started);
    stats.accepted = true;
    stats.step_fraction = fraction;
    stats.loss_after = loss_value;
    stats.kl_after = kl_value;
    return stats;
  }
  stats.line_search_seconds = seconds_since(started);
  return stats;  // rejected: params untouched
}

}  // namespace metarl
