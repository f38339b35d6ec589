// Scripted players: fixed rules written as a Policy, so that the Sampler and
// the match tools use them as they use trained policies (an Actor).
#pragma once

#include <memory>

#include "agents/policy.h"

namespace metarl {

// Sumo2D's "push toward the opponent" baseline: turn toward the opponent
// (turn = clip(3·bearing, ±1), the bearing read from the observation's
// opponent position in the agent's frame) and thrust full ahead once it is
// within 60° in front; arms still. A near-deterministic Gaussian (std 10⁻³)
// around those actions. It beats a uniformly random agent almost always (its
// test: at least 48 of 50 matches, from either seat).
class PushTowardOpponentPolicy : public Policy {
 public:
  PushTowardOpponentPolicy();
  std::string describe() const override { return "scripted: push toward the opponent (Sumo2D)"; }
  DiagGaussian step(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                    const Params& params) const override;
  DiagGaussian evaluate(const torch::Tensor& obs, const torch::Tensor& episode_start, const PolicyState& initial,
                        const Params& params) const override;

 private:
  DiagGaussian actions(const torch::Tensor& obs, const Params& params) const;
};

}  // namespace metarl
