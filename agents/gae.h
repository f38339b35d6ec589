// Advantage estimation over an episode batch laid out [T, N] (time, env).
#pragma once

#include <torch/torch.h>

namespace metarl {

// Generalised advantage estimation, GAE(gamma, lambda).
//
//   values[t]      = V(s_t)
//   next_values[t] = V(s_{t+1}) as seen from step t: the value of the next
//                    observation, or of the final observation where the
//                    episode was truncated at t (bootstrapping).
//   terminated[t]  = 1 where s_{t+1} is terminal: no bootstrap (V = 0).
//   episode_end[t] = 1 where the episode ended at t (terminated or truncated):
//                    the recursion does not cross into the next episode.
//   masks[t]       = 0 for padding steps (after an env's last episode in a
//                    fixed-episode batch); their advantages are 0.
//
//   delta_t = r_t + gamma * (1 - terminated_t) * next_values_t - values_t
//   A_t     = delta_t + gamma * lambda * (1 - episode_end_t) * A_{t+1}
//
// All inputs are float [T, N]; the result is [T, N] and carries no gradient.
torch::Tensor gae_advantages(const torch::Tensor& rewards, const torch::Tensor& values,
                             const torch::Tensor& next_values, const torch::Tensor& terminated,
                             const torch::Tensor& episode_end, const torch::Tensor& masks, double gamma,
                             double lambda);

// Discounted reward-to-go within each episode: R_t = r_t + gamma * (1 - episode_end_t) * R_{t+1},
// 0 on padding steps. [T, N] in, [T, N] out.
torch::Tensor discounted_returns(const torch::Tensor& rewards, const torch::Tensor& episode_end,
                                 const torch::Tensor& masks, double gamma);

}  // namespace metarl
