// Trust-region policy optimisation pieces, generic over how the surrogate and
// the KL are computed (so MAML-TRPO can reuse them on post-adaptation losses).
#pragma once

#include <functional>

#include <torch/torch.h>

#include "agents/params.h"

namespace metarl {

// Solves A x = b for symmetric positive-definite A given only as x -> A x,
// by at most `iterations` conjugate-gradient steps (stops early when the
// squared residual falls below residual_tol). b and the result are flat vectors.
torch::Tensor conjugate_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& matrix_vector,
                                 const torch::Tensor& b, int iterations, double residual_tol = 1e-10);

// v -> (H + damping I) v, where H is the Hessian of the scalar `kl` with
// respect to `params`. `kl` must have been computed from `params` (its first
// derivative is taken here with create_graph; the returned function does the
// second back-propagation for each v). The usual `kl` is the mean
// KL(pi_old_detached || pi_params), whose gradient is zero at params = old but
// whose Hessian is the Fisher information.
std::function<torch::Tensor(const torch::Tensor&)> hessian_vector_product(const torch::Tensor& kl,
                                                                          const Params& params, double damping);

struct TrpoConfig {
  double max_kl = 0.01;
  int cg_iterations = 10;
  double cg_damping = 1e-5;
  double backtrack_ratio = 0.8;
  int max_backtracks = 15;
};

struct TrpoStats {
  bool accepted = false;     // false: no step satisfied both conditions; params unchanged
  int backtracks = 0;        // how many times the step was shrunk
  double step_fraction = 0;  // accepted fraction of the full step
  double loss_before = 0, loss_after = 0;
  double kl_after = 0;       // mean KL of the accepted step
  // Wall time of the surrogate's gradient, of the metric and conjugate
  // gradient (the natural-gradient direction), and of the line search.
  double gradient_seconds = 0, direction_seconds = 0, line_search_seconds = 0;
};

// One TRPO update of `params` (modified in place, as new leaf tensors).
//   surrogate(p): scalar loss to MINIMISE at parameters p (e.g. -mean(ratio * A));
//   mean_kl(p):   scalar mean KL(pi_old || pi_p), with pi_old detached.
// Step: s = CG(H, -g) with H from mean_kl's Hessian at the current params,
// scaled to sqrt(2 max_kl / s^T H s); then backtracking by backtrack_ratio up
// to max_backtracks times, accepting the first step where the loss decreased
// AND mean_kl <= max_kl.
// `metric_vector_product`, when given, replaces the Hessian-vector product of
// mean_kl in the conjugate-gradient solve (it must include the damping); the
// line search still checks mean_kl itself. MAML uses it for a cheaper but
// equal product at the current parameters.
//
// `processes` with several ranks (agents/communicator.h): each rank's
// surrogate, mean_kl and metric_vector_product give its share of the batch's
// value (its tasks' part of the mean; the metric's damping from rank 0 only),
// and the step sums them over ranks: the gradient, the loss and KL values and
// every curvature product, so every rank takes the same step.
using VectorProduct = std::function<torch::Tensor(const torch::Tensor&)>;
class Communicator;
TrpoStats trpo_step(Params& params, const std::function<torch::Tensor(const Params&)>& surrogate,
                    const std::function<torch::Tensor(const Params&)>& mean_kl, const TrpoConfig& config,
                    const std::function<VectorProduct()>& metric_vector_product = {},
                    const Communicator* processes = nullptr);

}  // namespace metarl
