// Learned state-value function V(s): a functional MLP (same parameter
// conventions as the policies, so continual adaptation can adapt it too).
#pragma once

#include <vector>

#include <torch/torch.h>

#include "agents/params.h"
#include "agents/policy.h"

namespace metarl {

class MlpValueFunction {
 public:
  MlpValueFunction(int obs_dim, std::vector<int64_t> hidden, Activation activation);
  Params& parameters() { return params_; }
  const Params& parameters() const { return params_; }
  // obs [..., obs_dim] -> values [...].
  torch::Tensor forward(const torch::Tensor& obs, const Params& params) const;
  torch::Tensor forward(const torch::Tensor& obs) const { return forward(obs, params_); }
  // obs [T, G*B, obs_dim] where group g (columns [g*B, (g+1)*B)) has its own
  // parameters, stacked along a leading dimension of size G -> values
  // [T, G*B]. All groups in one batched product per layer (continual
  // adaptation's per-task value networks).
  torch::Tensor forward_grouped(const torch::Tensor& obs, const Params& stacked, int64_t groups) const;

 private:
  std::vector<int64_t> hidden_;
  Activation activation_;
  Params params_;
};

}  // namespace metarl
