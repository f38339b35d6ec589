#include "agents/distributions.h"

#include <cmath>

namespace metarl {
namespace {
constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log(sqrt(2*pi))
}

torch::Tensor DiagGaussian::log_prob(const torch::Tensor& actions) const {
  const auto z = (actions - mean) * torch::exp(-log_std);
  return (-0.5 * z.pow(2) - log_std - kLogSqrt2Pi).sum(-1);
}

torch::Tensor DiagGaussian::entropy() const {
  return (log_std + 0.5 + kLogSqrt2Pi).expand_as(mean).sum(-1);
}

torch::Tensor DiagGaussian::kl(const DiagGaussian& other) const {
  // KL(p||q) = log(sq/sp) + (sp^2 + (mp - mq)^2) / (2 sq^2) - 1/2, per dimension.
  const auto var_ratio = torch::exp(2.0 * (log_std - other.log_std));
  const auto mean_term = (mean - other.mean).pow(2) * torch::exp(-2.0 * other.log_std);
  return (other.log_std - log_std + 0.5 * (var_ratio + mean_term) - 0.5).sum(-1);
}

torch::Tensor DiagGaussian::sample(torch::Generator generator) const {
  torch::NoGradGuard no_grad;
  const auto noise = at::normal(0.0, 1.0, mean.sizes(), generator, mean.options());
  return mean + torch::exp(log_std) * noise;
}

torch::Tensor DiagGaussian::sample_rows(torch::Generator generator, int64_t drawn_rows, int64_t first) const {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(mean.dim() == 2 && first >= 0 && first + mean.size(0) <= drawn_rows, "DiagGaussian::sample_rows: rows [",
              first, ", ", first + mean.size(0), ") of a draw of ", drawn_rows);
  const auto noise = at::normal(0.0, 1.0, {drawn_rows, mean.size(1)}, generator, mean.options());
  return mean + torch::exp(log_std) * noise.narrow(0, first, mean.size(0));
}

}  // namespace metarl
