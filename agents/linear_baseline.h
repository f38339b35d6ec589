// The linear feature baseline of the MAML papers (rllab's LinearFeatureBaseline).
//
// Features of an observation o at time step t of its episode:
//   [clip(o, -10, 10), clip(o, -10, 10)^2, t/100, (t/100)^2, (t/100)^3, 1]
// The weights are refit by regularised least squares on every batch; the
// regulariser starts at reg_coeff and grows tenfold (up to 5 times) until the
// solution is finite.
#pragma once

#include <torch/torch.h>

namespace metarl {

class LinearFeatureBaseline {
 public:
  explicit LinearFeatureBaseline(double reg_coeff = 1e-5) : reg_coeff_(reg_coeff) {}

  // observations [T, N, D], timesteps [T, N] (step index within the episode)
  // -> features [T, N, 2D + 4].
  static torch::Tensor features(const torch::Tensor& observations, const torch::Tensor& timesteps);

  // Least-squares fit of returns [T, N] on the features of the steps where masks [T, N] is 1.
  void fit(const torch::Tensor& observations, const torch::Tensor& timesteps, const torch::Tensor& returns,
           const torch::Tensor& masks);
  // [T, N] predictions (0 before the first fit). No gradient.
  torch::Tensor predict(const torch::Tensor& observations, const torch::Tensor& timesteps) const;

  const torch::Tensor& weights() const { return weights_; }
  bool fitted() const { return weights_.defined(); }

 private:
  double reg_coeff_;
  torch::Tensor weights_;  // [2D + 4], float64
};

}  // namespace metarl
