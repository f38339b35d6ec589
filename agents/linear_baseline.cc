#include "agents/linear_baseline.h"

#include <string>

#include "agents/params.h"

namespace metarl {
namespace {

constexpr double kObservationClip = 10.0;
constexpr double kTimeScale = 100.0;
// Attempts at solving the normal equations: reg_coeff, then 10x, 100x, ...
// (rllab's loop: five solves, the regulariser growing tenfold after each failure).
constexpr int kSolveAttempts = 5;

// observations [T, N, D] and timesteps [T, N].
void check_inputs(const char* function, const torch::Tensor& observations, const torch::Tensor& timesteps) {
  TORCH_CHECK(observations.defined() && observations.dim() == 3, function, ": observations must be [T, N, D], got ",
              shape_of(observations));
  TORCH_CHECK(timesteps.defined() && timesteps.dim() == 2 && timesteps.size(0) == observations.size(0) &&
                  timesteps.size(1) == observations.size(1),
              function, ": timesteps has shape ", shape_of(timesteps), " but observations has shape ",
              shape_of(observations), "; expected timesteps [T, N]");
}

void check_same_shape(const char* function, const char* name, const torch::Tensor& t,
                      const torch::Tensor& observations) {
  TORCH_CHECK(t.defined() && t.dim() == 2 && t.size(0) == observations.size(0) && t.size(1) == observations.size(1),
              function, ": ", name, " has shape ", shape_of(t), " but observations has shape ",
              shape_of(observations), "; expected ", name, " [T, N]");
}

}  // namespace

torch::Tensor LinearFeatureBaseline::features(const torch::Tensor& observations, const torch::Tensor& timesteps) {
  check_inputs("LinearFeatureBaseline::features", observations, timesteps);
  torch::NoGradGuard no_grad;
  const auto type = observations.is_floating_point() ? observations.scalar_type() : torch::kFloat;
  const auto o = observations.detach().to(type).clamp(-kObservationClip, kObservationClip);
  const auto t = (timesteps.detach().to(type) / kTimeScale).unsqueeze(-1);
  return torch::cat({o, o * o, t, t * t, t * t * t, torch::ones_like(t)}, -1);
}

void LinearFeatureBaseline::fit(const torch::Tensor& observations, const torch::Tensor& timesteps,
                                const torch::Tensor& returns, const torch::Tensor& masks) {
  constexpr const char* kName = "LinearFeatureBaseline::fit";
  check_inputs(kName, observations, timesteps);
  check_same_shape(kName, "returns", returns, observations);
  check_same_shape(kName, "masks", masks, observations);
  TORCH_CHECK(reg_coeff_ >= 0.0, kName, ": reg_coeff must be >= 0, got ", reg_coeff_);
  torch::NoGradGuard no_grad;

  // Only the unmasked rows enter the design matrix, so whatever padding holds
  // (even NaN) cannot leak into the fit.
  const auto selected = masks.detach().reshape({-1}) != 0;
  const int64_t rows = selected.sum().item<int64_t>();
  TORCH_CHECK(rows > 0, kName, ": no unmasked rows to fit (masks of shape ", shape_of(masks), " are all 0)");

  const auto all_features = features(observations.detach().to(torch::kDouble), timesteps);
  const auto design = all_features.reshape({-1, all_features.size(-1)}).index({selected});  // [rows, K]
  const auto targets = returns.detach().to(torch::kDouble).reshape({-1}).index({selected}).unsqueeze(-1);
  TORCH_CHECK(torch::isfinite(design).all().item<bool>(), kName,
              ": non-finite observations or timesteps in the unmasked rows");
  TORCH_CHECK(torch::isfinite(targets).all().item<bool>(), kName, ": non-finite returns in the unmasked rows");

  const int64_t k = design.size(1);
  const auto gram = design.t().mm(design);        // F^T F
  const auto moment = design.t().mm(targets);     // F^T y
  const auto identity = torch::eye(k, gram.options());
  double reg = reg_coeff_;
  for (int attempt = 0; attempt < kSolveAttempts; ++attempt, reg *= 10.0) {
    // F^T F + reg I is symmetric; a failed Cholesky factorisation means it is
    // not numerically positive definite (the regulariser is lost against the
    // rank deficiency), which is the case where a direct solve would give
    // infinities or NaN.
    const auto [factor, info] = torch::linalg_cholesky_ex(gram + reg * identity);
    if (info.item<int64_t>() != 0) continue;
    const auto w = torch::cholesky_solve(moment, factor).squeeze(-1);
    if (!torch::isfinite(w).all().item<bool>()) continue;
    weights_ = w.to(torch::kCPU);
    return;
  }
  TORCH_CHECK(false, kName, ": the normal equations (F^T F + reg I) w = F^T y have no finite solution for reg from ",
              reg_coeff_, " up to ", reg_coeff_ * 1e4, " (", rows, " rows, ", k,
              " features); the weights are left unchanged");
}

torch::Tensor LinearFeatureBaseline::predict(const torch::Tensor& observations, const torch::Tensor& timesteps) const {
  constexpr const char* kName = "LinearFeatureBaseline::predict";
  check_inputs(kName, observations, timesteps);
  torch::NoGradGuard no_grad;
  const auto out_options = torch::TensorOptions().dtype(torch::kFloat).device(observations.device());
  if (!fitted()) return torch::zeros({observations.size(0), observations.size(1)}, out_options);

  const int64_t d = observations.size(2);
  TORCH_CHECK(weights_.size(0) == 2 * d + 4, kName, ": observations have ", d, " dimensions but the baseline was fit on ",
              (weights_.size(0) - 4) / 2);
  const auto f = features(observations.detach().to(torch::kDouble), timesteps);  // [T, N, K]
  return torch::matmul(f, weights_.to(f.device())).to(torch::kFloat);
}

}  // namespace metarl
