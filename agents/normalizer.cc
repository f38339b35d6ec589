#include "agents/normalizer.h"

#include <limits>

namespace metarl {

RunningNormalizer::RunningNormalizer(int64_t size, double clip, double epsilon)
    : mean_(torch::zeros({size}, torch::kFloat64)), var_(torch::ones({size}, torch::kFloat64)), clip_(clip),
      epsilon_(epsilon) {}

RunningNormalizer RunningNormalizer::identity(int64_t size) {
  return RunningNormalizer(size, std::numeric_limits<double>::infinity(), 0.0);
}

void RunningNormalizer::set_input_scale(const torch::Tensor& scale) {
  TORCH_CHECK(!scale.defined() || scale.sizes() == mean_.sizes(), "RunningNormalizer: input scale of size ",
              scale.sizes(), " for ", mean_.sizes());
  input_scale_ = scale.defined() ? scale.to(torch::kFloat64).clone() : torch::Tensor();
}

torch::Tensor RunningNormalizer::scaled_input(const torch::Tensor& x) const {
  const auto x64 = x.to(torch::kFloat64);
  return input_scale_.defined() ? x64 * input_scale_ : x64;
}

torch::Tensor RunningNormalizer::update_rows(const torch::Tensor& rows, const torch::Tensor& mask) const {
  auto x = scaled_input(rows).reshape({-1, mean_.size(0)});
  if (mask.defined()) x = x.index({mask.reshape({-1}).to(torch::kBool)});
  return x;
}

void RunningNormalizer::update(const torch::Tensor& rows, const torch::Tensor& mask) {
  torch::NoGradGuard no_grad;
  const auto x = update_rows(rows, mask);
  const double n = static_cast<double>(x.size(0));
  if (n == 0) return;
  merge(x.mean(0), x.var(0, /*unbiased=*/false), n);
}

void RunningNormalizer::update(const torch::Tensor& rows, const torch::Tensor& mask, const Communicator& processes) {
  if (!processes.several()) return update(rows, mask);
  torch::NoGradGuard no_grad;
  const auto x = update_rows(rows, mask);
  // Two passes over all ranks' rows, as one process's mean and variance take.
  const auto count_and_sum =
      processes.all_reduce_sum(torch::cat({torch::tensor({double(x.size(0))}, torch::kFloat64), x.sum(0)}));
  const double n = count_and_sum[0].item<double>();
  if (n == 0) return;
  const auto batch_mean = count_and_sum.narrow(0, 1, mean_.size(0)) / n;
  const auto batch_var = processes.all_reduce_sum((x - batch_mean).pow(2).sum(0)) / n;
  merge(batch_mean, batch_var, n);
}

void RunningNormalizer::merge(const torch::Tensor& batch_mean, const torch::Tensor& batch_var, double n) {
  const double total = count_ + n;
  const auto delta = batch_mean - mean_;
  mean_ = mean_ + delta * (n / total);
  var_ = (var_ * count_ + batch_var * n + delta.pow(2) * (count_ * n / total)) / total;
  count_ = total;
}

torch::Tensor RunningNormalizer::normalize(const torch::Tensor& x) const {
  const auto z = (scaled_input(x) - mean_) / torch::sqrt(var_ + epsilon_);
  return z.clamp(-clip_, clip_).to(torch::kFloat32);
}

torch::Tensor RunningNormalizer::scale(const torch::Tensor& x) const {
  return (scaled_input(x) / torch::sqrt(var_ + epsilon_)).to(torch::kFloat32);
}

std::vector<torch::Tensor> RunningNormalizer::state() const {
  return {mean_.clone(), var_.clone(), torch::tensor({count_, clip_, epsilon_}, torch::kFloat64)};
}

void RunningNormalizer::load_state(const std::vector<torch::Tensor>& state) {
  TORCH_CHECK(state.size() == 3, "RunningNormalizer: checkpoint holds ", state.size(), " tensors, expected 3");
  TORCH_CHECK(state[0].sizes() == mean_.sizes(), "RunningNormalizer: checkpoint size ", state[0].sizes(),
              " does not match ", mean_.sizes());
  mean_ = state[0].to(torch::kFloat64).clone();
  var_ = state[1].to(torch::kFloat64).clone();
  const auto extra = state[2].to(torch::kFloat64);
  count_ = extra[0].item<double>();
  clip_ = extra[1].item<double>();
  epsilon_ = extra[2].item<double>();
}

}  // namespace metarl
