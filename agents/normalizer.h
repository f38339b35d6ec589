// Running mean and variance of observations (or returns), in float64, with
// Chan et al.'s parallel update so that batch order does not matter.
// Normalised values are clipped to ±clip. Saved with the checkpoint.
#pragma once

#include <torch/torch.h>

namespace metarl {

class RunningNormalizer {
 public:
  RunningNormalizer() = default;
  explicit RunningNormalizer(int64_t size, double clip = 10.0, double epsilon = 1e-8);

  // rows: [M, size] (any float dtype). Rows with weight 0 in `mask` [M] are ignored.
  void update(const torch::Tensor& rows, const torch::Tensor& mask = {});
  // (x - mean) / sqrt(var + eps), clipped; float32 out, same shape as x.
  torch::Tensor normalize(const torch::Tensor& x) const;
  // x / sqrt(var + eps), no centring (reward scaling).
  torch::Tensor scale(const torch::Tensor& x) const;

  const torch::Tensor& mean() const { return mean_; }
  const torch::Tensor& var() const { return var_; }
  double count() const { return count_; }

  // For checkpoints: [mean, var, count] tensors.
  std::vector<torch::Tensor> state() const;
  void load_state(const std::vector<torch::Tensor>& state);

 private:
  torch::Tensor mean_, var_;  // float64 [size]
  double count_ = 0.0;
  double clip_ = 10.0;
  double epsilon_ = 1e-8;
};

}  // namespace metarl
