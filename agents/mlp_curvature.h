// Exact curvature-vector products of a grouped Gaussian MLP policy, written
// out by hand (Pearlmutter's R-operator) instead of by double
// back-propagation through autograd.
//
// MAML-TRPO's metric Jᵀ F J needs, at every conjugate-gradient iteration, two
// Hessian-vector products of the inner loss (J = I − αH) and one Fisher
// product of the adapted policies, each over every step of the meta-batch.
// The forward activations, the first-order back-propagated errors and the
// activation slopes do not change between those products, so they are
// computed once here; a product then costs one forward and one backward pass
// of matrix products in the direction's tangent, without autograd's graph
// of a graph.
//
// Layout: G groups (MAML's tasks), each with its own parameters, stacked as
// from stack_params (W_l [G, out, in], b_l [G, out], log_std [G, act]); rows
// [G, R, ·] as from to_group_rows. Directions and results use the same
// stacked layout.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "agents/params.h"
#include "agents/policy.h"

namespace metarl {

class GaussianMlpCurvature {
 public:
  // The network evaluated at `stacked` on obs [G, R, obs_dim].
  GaussianMlpCurvature(const GaussianMlpPolicy& policy, const Params& stacked, const torch::Tensor& obs);

  // H v for each group's weighted log-likelihood S_g = Σ_r c[g, r] log π(a_r | s_r)
  // (c: a policy-gradient loss's per-step coefficients, e.g. −A_t / count).
  // Prepares with actions [G, R, act_dim] and c [G, R]; then any number of products.
  void prepare_log_likelihood(const torch::Tensor& actions, const torch::Tensor& coefficients);
  Params log_likelihood_hessian_product(const Params& v) const;

  // F v for each group's Σ_r w[g, r] KL(π_r || π'_r), the Hessian with
  // respect to π' at π' = π (the Fisher matrix, weighted). w [G, R].
  void prepare_kl(const torch::Tensor& weights);
  Params kl_hessian_product(const Params& v) const;

 private:
  struct Tangent {
    std::vector<torch::Tensor> pre_activation;  // R z_l for every layer
    std::vector<torch::Tensor> input;           // R x_l for every layer (undefined for x_0 = obs)
  };
  Tangent forward_tangent(const Params& v) const;
  const torch::Tensor& weight(size_t layer) const { return params_[2 * layer]; }
  size_t layers() const { return inputs_.size(); }

  Params params_;
  Activation activation_;
  std::vector<torch::Tensor> inputs_;      // x_l: the input of layer l, [G, R, in_l]
  std::vector<torch::Tensor> slopes_;      // act'(z_l) for the hidden layers
  torch::Tensor mean_, inverse_variance_;  // [G, R, act], [G, 1, act]
  // prepare_log_likelihood: δ_l = ∂S/∂z_l, the tanh second-derivative terms
  // (δ_{l+1} W_{l+1}) ⊙ act''(z_l), and Σ_r c (a − μ)²/σ² per group.
  std::vector<torch::Tensor> errors_, curvature_terms_;
  torch::Tensor coefficients_, squared_residuals_;  // c [G, R, 1]; [G, act]
  torch::Tensor kl_weights_;  // prepare_kl's w, [G, R, 1]
};

}  // namespace metarl
