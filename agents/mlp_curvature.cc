#include "agents/mlp_curvature.h"

namespace metarl {
namespace {

// x [G, R, in] · Wᵀ for W [G, out, in], plus b [G, out] if given.
torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {}) {
  return b.defined() ? torch::baddbmm(b.unsqueeze(1), x, w.transpose(1, 2)) : torch::bmm(x, w.transpose(1, 2));
}

// Σ_r δ[g, r]ᵀ x[g, r]: a weight's gradient [G, out, in] from errors [G, R, out].
torch::Tensor outer_sum(const torch::Tensor& delta, const torch::Tensor& x) {
  return torch::bmm(delta.transpose(1, 2), x);
}

}  // namespace

GaussianMlpCurvature::GaussianMlpCurvature(const GaussianMlpPolicy& policy, const Params& stacked,
                                           const torch::Tensor& obs)
    : activation_(policy.config().activation) {
  torch::NoGradGuard no_grad;
  const size_t n_layers = policy.config().hidden.size() + 1;
  TORCH_CHECK(stacked.size() == 2 * n_layers + 1, "GaussianMlpCurvature: ", stacked.size(),
              " parameter tensors for ", n_layers, " layers");
  TORCH_CHECK(obs.dim() == 3 && obs.size(0) == stacked[0].size(0),
              "GaussianMlpCurvature: obs must be [groups, rows, obs_dim] with one group per parameter set, got ",
              shape_of(obs));
  for (const auto& p : stacked) params_.push_back(p.detach());
  torch::Tensor x = obs;
  for (size_t l = 0; l < n_layers; ++l) {
    inputs_.push_back(x);
    const auto z = affine(x, params_[2 * l], params_[2 * l + 1]);
    if (l + 1 == n_layers) {
      mean_ = z;
    } else if (activation_ == Activation::kRelu) {
      slopes_.push_back((z > 0).to(z.scalar_type()));
      x = z * slopes_.back();
    } else {
      x = torch::tanh(z);
      slopes_.push_back(1.0 - x * x);
    }
  }
  inverse_variance_ = torch::exp(-2.0 * params_.back()).unsqueeze(1);
}

GaussianMlpCurvature::Tangent GaussianMlpCurvature::forward_tangent(const Params& v) const {
  // R z_l = x_l dW_lᵀ + db_l + R x_l W_lᵀ, R x_{l+1} = act'(z_l) ⊙ R z_l.
  Tangent t;
  torch::Tensor rx;
  for (size_t l = 0; l < layers(); ++l) {
    auto rz = affine(inputs_[l], v[2 * l], v[2 * l + 1]);
    if (rx.defined()) rz = torch::baddbmm(rz, rx, weight(l).transpose(1, 2));
    t.pre_activation.push_back(rz);
    t.input.push_back(rx);
    if (l + 1 < layers()) rx = slopes_[l] * rz;
  }
  return t;
}

void GaussianMlpCurvature::prepare_log_likelihood(const torch::Tensor& actions, const torch::Tensor& coefficients) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(actions.sizes() == mean_.sizes(), "prepare_log_likelihood: actions ", shape_of(actions),
              " do not match the means ", shape_of(mean_));
  TORCH_CHECK(coefficients.dim() == 2 && coefficients.size(0) == mean_.size(0) &&
                  coefficients.size(1) == mean_.size(1),
              "prepare_log_likelihood: coefficients must be [groups, rows], got ", shape_of(coefficients));
  const auto c = coefficients.to(mean_.scalar_type()).unsqueeze(-1);
  const auto residual = actions.to(mean_.scalar_type()) - mean_;
  // ∂ log π / ∂μ = (a − μ)/σ², ∂ log π / ∂ log σ = (a − μ)²/σ² − 1.
  const auto delta = c * residual * inverse_variance_;
  squared_residuals_ = (delta * residual).sum(1);
  errors_.assign(layers(), {});
  curvature_terms_.assign(layers(), {});
  errors_[layers() - 1] = delta;
  for (size_t l = layers() - 1; l > 0; --l) {
    const auto back = torch::bmm(errors_[l], weight(l));  // ∂S/∂x_l
    errors_[l - 1] = back * slopes_[l - 1];
    // tanh'' = −2 tanh · tanh'; ReLU's is 0 (almost everywhere).
    if (activation_ == Activation::kTanh) curvature_terms_[l - 1] = back * (-2.0 * inputs_[l] * slopes_[l - 1]);
  }
  coefficients_ = c;
}

Params GaussianMlpCurvature::log_likelihood_hessian_product(const Params& v) const {
  TORCH_CHECK(!errors_.empty(), "log_likelihood_hessian_product: call prepare_log_likelihood first");
  TORCH_CHECK(v.size() == params_.size(), "log_likelihood_hessian_product: ", v.size(), " direction tensors for ",
              params_.size(), " parameters");
  torch::NoGradGuard no_grad;
  const Tangent t = forward_tangent(v);
  const auto& r_mean = t.pre_activation.back();
  const auto d_log_std = v.back().unsqueeze(1);
  Params out(params_.size());
  // R δ at the output: δ = c (a − μ)/σ², differentiated in μ and in log σ.
  torch::Tensor r_delta = -coefficients_ * r_mean * inverse_variance_ - 2.0 * errors_.back() * d_log_std;
  out.back() = -2.0 * (errors_.back() * r_mean).sum(1) - 2.0 * v.back() * squared_residuals_;
  for (size_t l = layers(); l-- > 0;) {
    auto hw = outer_sum(r_delta, inputs_[l]);
    if (t.input[l].defined()) hw = torch::baddbmm(hw, errors_[l].transpose(1, 2), t.input[l]);
    out[2 * l] = hw;
    out[2 * l + 1] = r_delta.sum(1);
    if (l == 0) break;
    auto back = torch::bmm(r_delta, weight(l));
    back = torch::baddbmm(back, errors_[l], v[2 * l]);
    r_delta = back * slopes_[l - 1];
    if (curvature_terms_[l - 1].defined()) r_delta = r_delta + curvature_terms_[l - 1] * t.pre_activation[l - 1];
  }
  return out;
}

void GaussianMlpCurvature::prepare_kl(const torch::Tensor& weights) {
  TORCH_CHECK(weights.dim() == 2 && weights.size(0) == mean_.size(0) && weights.size(1) == mean_.size(1),
              "prepare_kl: weights must be [groups, rows], got ", shape_of(weights));
  kl_weights_ = weights.detach().to(mean_.scalar_type()).unsqueeze(-1);
}

Params GaussianMlpCurvature::kl_hessian_product(const Params& v) const {
  TORCH_CHECK(kl_weights_.defined(), "kl_hessian_product: call prepare_kl first");
  TORCH_CHECK(v.size() == params_.size(), "kl_hessian_product: ", v.size(), " direction tensors for ",
              params_.size(), " parameters");
  torch::NoGradGuard no_grad;
  // At π' = π the KL's first derivatives vanish sample by sample, so its
  // Hessian is the Gauss-Newton product: 1/σ² on the means, 2 on log σ.
  const Tangent t = forward_tangent(v);
  Params out(params_.size());
  torch::Tensor delta = kl_weights_ * t.pre_activation.back() * inverse_variance_;
  out.back() = 2.0 * kl_weights_.sum(1) * v.back();
  for (size_t l = layers(); l-- > 0;) {
    out[2 * l] = outer_sum(delta, inputs_[l]);
    out[2 * l + 1] = delta.sum(1);
    if (l == 0) break;
    delta = torch::bmm(delta, weight(l)) * slopes_[l - 1];
  }
  return out;
}

}  // namespace metarl
