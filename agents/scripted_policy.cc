#include "agents/scripted_policy.h"

#include <cmath>

#include "envs/box2d/sumo2d.h"

namespace metarl {

PushTowardOpponentPolicy::PushTowardOpponentPolicy() : Policy(Sumo2DEnv::kObsSize, Sumo2DWorld::kActions) {
  params_.push_back(torch::full({Sumo2DWorld::kActions}, std::log(1e-3), torch::kFloat32));  // log_std
}

DiagGaussian PushTowardOpponentPolicy::actions(const torch::Tensor& obs, const Params& params) const {
  const auto x = obs.select(-1, Sumo2DEnv::kObsOpponentX), y = obs.select(-1, Sumo2DEnv::kObsOpponentY);
  const auto bearing = torch::atan2(y, x);
  const auto thrust = (torch::cos(bearing) > 0.5).to(obs.scalar_type());
  const auto turn = torch::clamp(3 * bearing, -1, 1);
  const auto arms = torch::zeros_like(bearing);
  return {torch::stack({thrust, turn, arms, arms}, -1), params.back()};
}

DiagGaussian PushTowardOpponentPolicy::step(const torch::Tensor& obs, const torch::Tensor&, PolicyState&,
                                            const Params& params) const {
  return actions(obs, params);
}

DiagGaussian PushTowardOpponentPolicy::evaluate(const torch::Tensor& obs, const torch::Tensor&, const PolicyState&,
                                                const Params& params) const {
  return actions(obs, params);
}

}  // namespace metarl
