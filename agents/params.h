// Functional parameters: a policy or value function is evaluated as
// forward(input, params) with params an explicit list of tensors, so that
// MAML can evaluate adapted parameters and differentiate through updates.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace metarl {

using Params = std::vector<torch::Tensor>;

// All parameters as one flat vector (TRPO's search direction lives there).
torch::Tensor flatten(const Params& params);
// Splits a flat vector into tensors shaped like `like`.
Params unflatten(const torch::Tensor& flat, const Params& like);
// Copies of `params` detached from any graph, as new leaves requiring gradients.
Params detached_leaves(const Params& params);
int64_t count_elements(const Params& params);
// "[4, 3]" (or "(undefined)"), for error messages.
std::string shape_of(const torch::Tensor& t);

}  // namespace metarl
