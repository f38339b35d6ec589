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

}  // namespace metarl
