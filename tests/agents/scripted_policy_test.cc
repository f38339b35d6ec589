#include "agents/scripted_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "envs/box2d/sumo2d.h"
#include "envs/core/match.h"
#include "envs/core/registry.h"

namespace metarl {
namespace {

torch::Tensor mean_action(const PushTowardOpponentPolicy& policy, const float* obs) {
  const auto o = torch::from_blob(const_cast<float*>(obs), {1, Sumo2DEnv::kObsSize}, torch::kFloat32).clone();
  PolicyState state;
  return policy.step(o, torch::ones({1}), state, policy.parameters()).mean[0];
}

TEST(PushTowardOpponent, TurnsTowardTheOpponentAndThrustsOnlyWhenFacingIt) {
  const PushTowardOpponentPolicy policy;
  std::vector<float> obs(Sumo2DEnv::kObsSize, 0.0f);
  obs[Sumo2DEnv::kObsOpponentX] = 1.0f;  // straight ahead
  auto a = mean_action(policy, obs.data());
  EXPECT_FLOAT_EQ(a[0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(a[1].item<float>(), 0.0f);
  obs[Sumo2DEnv::kObsOpponentX] = 0.0f;
  obs[Sumo2DEnv::kObsOpponentY] = 1.0f;  // to the left: turn left (positive), no thrust
  a = mean_action(policy, obs.data());
  EXPECT_FLOAT_EQ(a[0].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(a[1].item<float>(), 1.0f);
  obs[Sumo2DEnv::kObsOpponentX] = 1.0f;
  obs[Sumo2DEnv::kObsOpponentY] = -0.1f;  // slightly to the right
  a = mean_action(policy, obs.data());
  EXPECT_FLOAT_EQ(a[0].item<float>(), 1.0f);
  EXPECT_NEAR(a[1].item<float>(), 3 * std::atan2(-0.1, 1.0), 1e-6);
  EXPECT_FLOAT_EQ(a[2].item<float>(), 0.0f);
}

TEST(PushTowardOpponent, BeatsAUniformlyRandomAgentFromEitherSeat) {
  const PushTowardOpponentPolicy policy;
  auto env = make_env("Sumo2D");
  Rng rng(7);
  int won = 0, matches = 0;
  for (int seat = 0; seat < 2; ++seat) {
    for (int match = 0; match < 25; ++match, ++matches) {
      std::vector<float> obs = env->reset(uint64_t(100 * seat + match));
      for (;;) {
        std::vector<float> actions(2 * Sumo2DWorld::kActions);
        const auto scripted = mean_action(policy, obs.data() + seat * Sumo2DEnv::kObsSize);
        for (int k = 0; k < Sumo2DWorld::kActions; ++k) {
          actions[size_t(seat * Sumo2DWorld::kActions + k)] = scripted[k].item<float>();
          actions[size_t((1 - seat) * Sumo2DWorld::kActions + k)] = float(rng.uniform(-1, 1));
        }
        const Transition t = env->step(actions);
        obs = t.observation;
        if (t.terminated || t.truncated) {
          won += t.info[size_t(seat) * env->info_names().size() + kInfoWon] > 0.5f;
          break;
        }
      }
    }
  }
  EXPECT_GE(won, matches - 2) << won << " of " << matches;
}

}  // namespace
}  // namespace metarl
