// The test match env of self-play's tests (tests/support/line_sumo.h) keeps
// match.h's rules; registered here so the generic env contract covers it.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "envs/core/registry.h"
#include "tests/support/line_sumo.h"

namespace metarl {
namespace {

const Registration<Env> kRegisterLineSumo(env_registry(), "LineSumo", "test-only match env: two points on a line",
                                          {{3, 1}, {3, 1}}, LineSumoEnv::option_specs(),
                                          [](const Options& o) { return std::make_unique<LineSumoEnv>(o); });

float term(const Transition& t, int agent, int index) {
  return t.info[size_t(agent) * LineSumoEnv::info_names_of().size() + size_t(index)];
}

TEST(LineSumo, AgentsSeeTheLineInTheirOwnFrames) {
  LineSumoEnv env;
  const std::vector<float> obs = env.reset(3);
  EXPECT_EQ(obs, (std::vector<float>{float(env.x(0)), float(env.x(1)), 0.f, float(-env.x(1)), float(-env.x(0)), 0.f}));
}

TEST(LineSumo, TheStrongerPushWinsAndTheLoserIsPushedOut) {
  LineSumoEnv env;
  env.reset(1);
  Transition t;
  int steps = 0;
  do {
    t = env.step({1.f, 0.f});  // agent 0 pushes, agent 1 stands
    ++steps;
    ASSERT_LT(steps, 30) << "nobody was pushed out";
  } while (!t.terminated);
  EXPECT_GT(env.x(1), 1.0);
  EXPECT_EQ(term(t, 0, kInfoWon), 1.f);
  EXPECT_EQ(term(t, 1, kInfoLost), 1.f);
  EXPECT_EQ(term(t, 1, kInfoPushedOut), 1.f);
  EXPECT_EQ(term(t, 0, kInfoTimeUp), 0.f);
  const double shaping0 = term(t, 0, kNumMatchInfo), shaping1 = term(t, 1, kNumMatchInfo);
  EXPECT_NEAR(t.rewards[0], 2000 + shaping0, 1e-3);
  EXPECT_NEAR(t.rewards[1], -2000 + shaping1, 1e-3);
  EXPECT_GT(shaping0, 0);  // the opponent is further from the centre
}

TEST(LineSumo, TimeUpIsADrawAndADenseWeightOfZeroLeavesTheOutcomeOnly) {
  LineSumoEnv env(resolve_options("env", "LineSumo", LineSumoEnv::option_specs(), {{"max_episode_steps", "4"}}));
  env.set_dense_weight(0.0);
  env.reset(2);
  Transition t;
  for (int s = 0; s < 4; ++s) {
    t = env.step({-0.3f, 0.2f});
    EXPECT_EQ(t.terminated, s == 3);
    if (s < 3) {
      EXPECT_EQ(t.rewards, (std::vector<double>{0.0, 0.0}));
    }
  }
  EXPECT_EQ(term(t, 0, kInfoDrew), 1.f);
  EXPECT_EQ(term(t, 1, kInfoDrew), 1.f);
  EXPECT_EQ(term(t, 0, kInfoTimeUp), 1.f);
  EXPECT_EQ(term(t, 0, kInfoDenseWeight), 0.f);
  EXPECT_EQ(t.rewards, (std::vector<double>{-1000.0, -1000.0}));
}

}  // namespace
}  // namespace metarl
