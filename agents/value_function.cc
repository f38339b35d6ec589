#include "agents/value_function.h"

namespace metarl {

MlpValueFunction::MlpValueFunction(int obs_dim, std::vector<int64_t> hidden, Activation activation)
    : hidden_(std::move(hidden)), activation_(activation) {
  std::vector<int64_t> sizes = {obs_dim};
  sizes.insert(sizes.end(), hidden_.begin(), hidden_.end());
  sizes.push_back(1);
  append_mlp_params(params_, sizes, 1.0);
}

torch::Tensor MlpValueFunction::forward(const torch::Tensor& obs, const Params& params) const {
  return mlp_forward(obs, params, 0, hidden_.size() + 1, activation_).squeeze(-1);
}

torch::Tensor MlpValueFunction::forward_grouped(const torch::Tensor& obs, const Params& stacked, int64_t groups) const {
  const int64_t steps = obs.size(0), n = obs.size(1);
  TORCH_CHECK(groups > 0 && n % groups == 0, "MlpValueFunction: ", n, " envs do not split into ", groups, " groups");
  TORCH_CHECK(stacked.size() == params_.size(), "MlpValueFunction: ", stacked.size(), " stacked tensors, expected ",
              params_.size());
  const int64_t b = n / groups;
  // [T, G*B, D] -> [G, T*B, D]; x W^T + b per group; back to [T, G*B].
  torch::Tensor x = obs.reshape({steps, groups, b, obs.size(2)}).permute({1, 0, 2, 3}).reshape({groups, steps * b, -1});
  const size_t layers = hidden_.size() + 1;
  for (size_t l = 0; l < layers; ++l) {
    x = torch::baddbmm(stacked[2 * l + 1].unsqueeze(1), x, stacked[2 * l].transpose(1, 2));
    if (l + 1 < layers) x = activate(x, activation_);
  }
  return x.reshape({groups, steps, b}).permute({1, 0, 2}).reshape({steps, n});
}

}  // namespace metarl
