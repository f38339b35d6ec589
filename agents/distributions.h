// Diagonal Gaussian action distributions, batched over any leading shape.
//
// All functions are differentiable with respect to mean and log_std, which is
// what policy gradients, TRPO's KL and MAML's higher derivatives need.
#pragma once

#include <torch/torch.h>

namespace metarl {

struct DiagGaussian {
  torch::Tensor mean;     // [..., act_dim]
  torch::Tensor log_std;  // broadcastable to mean

  // Sum over the last dimension: one log-density per action vector.
  torch::Tensor log_prob(const torch::Tensor& actions) const;
  // One entropy per action vector.
  torch::Tensor entropy() const;
  // KL(this || other), one value per action vector.
  torch::Tensor kl(const DiagGaussian& other) const;
  // mean + std * N(0, 1) with the given generator (no gradient).
  torch::Tensor sample(torch::Generator generator) const;
  // The same for rows [first, first + N) of a draw of `drawn_rows` rows
  // (mean [N, act_dim]): the noise these rows would get in a batch of
  // `drawn_rows` (several processes sharing one batch, agents/communicator.h).
  torch::Tensor sample_rows(torch::Generator generator, int64_t drawn_rows, int64_t first) const;
  // A copy cut from the graph (TRPO's "old" policy, importance weights).
  DiagGaussian detached() const { return {mean.detach(), log_std.detach()}; }
};

}  // namespace metarl
