#include "envs/box2d/sumo2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "envs/core/registry.h"
#include "tests/support/info_terms.h"

namespace metarl {
namespace {

std::unique_ptr<Sumo2DEnv> make_sumo(const Options& options = {}) {
  auto env = make_env("Sumo2D", options);
  return std::unique_ptr<Sumo2DEnv>(dynamic_cast<Sumo2DEnv*>(env.release()));
}

// Both agents' actions: agent 0's then agent 1's.
std::vector<float> actions(std::vector<float> a0, std::vector<float> a1) {
  a0.insert(a0.end(), a1.begin(), a1.end());
  return a0;
}
const std::vector<float> kIdle = {0, 0, 0, 0};
const std::vector<float> kFullThrust = {1, 0, 0, 0};

// Steps with the same actions until the match ends (at most `limit` steps).
Transition play_until_over(Env& env, const std::vector<float>& a, int limit = 500) {
  Transition t;
  for (int s = 0; s < limit; ++s) {
    t = env.step(a);
    if (t.terminated) return t;
  }
  ADD_FAILURE() << "the match did not end within " << limit << " steps";
  return t;
}

TEST(Sumo2D, IsAMatchEnvWithTwoAgentsOfTheSameSizes) {
  const auto env = make_sumo();
  ASSERT_NE(dynamic_cast<MatchEnv*>(env.get()), nullptr);
  ASSERT_EQ(env->num_agents(), 2);
  for (int a = 0; a < 2; ++a) {
    EXPECT_EQ(env->obs_dim(a), 21);
    EXPECT_EQ(env->act_dim(a), 4);
    EXPECT_EQ(env->action_space(a).low()[0], -1.0);
    EXPECT_EQ(env->action_space(a).high()[3], 1.0);
  }
  EXPECT_EQ(env->max_episode_steps(), 500);
  const auto& names = env->info_names();
  for (size_t i = 0; i < match_info_names().size(); ++i) EXPECT_EQ(names[i], match_info_names()[i]);
  EXPECT_EQ(names[kNumMatchInfo], "reward_ctrl");
  EXPECT_EQ(names[kNumMatchInfo + 1], "reward_push");
  EXPECT_EQ(names[kNumMatchInfo + 2], "reward_move");
}

TEST(Sumo2D, AShovedAgentIsPushedOutAndLoses) {
  auto env = make_sumo();
  env->reset(1);
  const double r = env->start().ring_radius;
  // Agent 1 right behind agent 0 (torsos 0.62 apart), both facing the edge at +x.
  env->place(0, r - 0.6, 0, 0);
  env->place(1, r - 1.22, 0, 0);
  const Transition t = play_until_over(*env, actions(kIdle, kFullThrust));
  EXPECT_EQ(info_of(*env, t, 0, "lost"), 1);
  EXPECT_EQ(info_of(*env, t, 0, "pushed_out"), 1);
  EXPECT_EQ(info_of(*env, t, 0, "fell"), 0);
  EXPECT_EQ(info_of(*env, t, 1, "won"), 1);
  EXPECT_LT(info_of(*env, t, 0, "edge_distance"), 0);
  EXPECT_GT(info_of(*env, t, 1, "edge_distance"), 0);
  EXPECT_EQ(info_of(*env, t, 0, "reward_outcome"), -2000);
  EXPECT_EQ(info_of(*env, t, 1, "reward_outcome"), 2000);
  EXPECT_FALSE(t.truncated);
}

TEST(Sumo2D, AnAgentLeavingTheRingOnItsOwnFell) {
  auto env = make_sumo();
  env->reset(2);
  const double r = env->start().ring_radius;
  env->place(0, r - 0.5, 0, 0);   // facing the edge
  env->place(1, -1.0, 0, M_PI);   // far from it
  const Transition t = play_until_over(*env, actions(kFullThrust, kIdle));
  EXPECT_EQ(info_of(*env, t, 0, "lost"), 1);
  EXPECT_EQ(info_of(*env, t, 0, "fell"), 1);
  EXPECT_EQ(info_of(*env, t, 0, "pushed_out"), 0);
  EXPECT_EQ(info_of(*env, t, 1, "won"), 1);
  EXPECT_NEAR(t.rewards[0] - (info_of(*env, t, 0, "reward_ctrl") + info_of(*env, t, 0, "reward_push") +
                              info_of(*env, t, 0, "reward_move")),
              -2000, 1e-3);
}

// Agent 1 starts touching agent 0 from behind and backs off; agent 0 waits
// `wait` steps, then drives out of the ring. What it was called.
std::string how_agent_0_left_after_a_touch(int wait) {
  auto env = make_sumo();
  env->reset(12);
  const double r = env->start().ring_radius;
  env->place(0, r - 0.7, 0, 0);   // 0.7 m from the edge, facing it
  env->place(1, r - 1.29, 0, 0);  // torsos overlapping by 1 cm
  Transition t = env->step(actions(kIdle, kIdle));
  EXPECT_EQ(info_of(*env, t, 0, "touching"), 1);
  for (int s = 0; s < 5; ++s) t = env->step(actions(kIdle, {-1, 0, 0, 0}));
  EXPECT_EQ(info_of(*env, t, 0, "touching"), 0);
  for (int s = 0; s < wait; ++s) t = env->step(actions(kIdle, kIdle));
  const int steps_before = env->elapsed_steps();
  t = play_until_over(*env, actions(kFullThrust, kIdle));
  EXPECT_LE(env->elapsed_steps() - steps_before, 13) << "drove out slower than assumed";
  EXPECT_EQ(info_of(*env, t, 0, "lost"), 1);
  return info_of(*env, t, 0, "pushed_out") == 1 ? "pushed_out" : info_of(*env, t, 0, "fell") == 1 ? "fell" : "?";
}

TEST(Sumo2D, ATouchCountsForOneSecond) {
  // Touched at most 5 + 0 + 13 steps before leaving (< 20): pushed out.
  EXPECT_EQ(how_agent_0_left_after_a_touch(0), "pushed_out");
  // Touched more than 20 steps before: it left on its own.
  EXPECT_EQ(how_agent_0_left_after_a_touch(25), "fell");
}

TEST(Sumo2D, BothOutAtOnceIsADraw) {
  auto env = make_sumo();
  env->reset(3);
  const double r = env->start().ring_radius;
  // Mirror images across the y axis, both driving out.
  env->place(0, r - 0.3, 0, 0);
  env->place(1, -(r - 0.3), 0, M_PI);
  const Transition t = play_until_over(*env, actions(kFullThrust, kFullThrust));
  for (int a = 0; a < 2; ++a) {
    EXPECT_LT(info_of(*env, t, a, "edge_distance"), 0) << "agent " << a;
    EXPECT_EQ(info_of(*env, t, a, "drew"), 1);
    EXPECT_EQ(info_of(*env, t, a, "lost"), 0);
    EXPECT_EQ(info_of(*env, t, a, "time_up"), 0);
    EXPECT_EQ(info_of(*env, t, a, "reward_outcome"), -1000);
  }
}

TEST(Sumo2D, TimeUpIsADrawAndTheLastStepIsTerminal) {
  auto env = make_sumo({{"max_episode_steps", "10"}});
  env->reset(4);
  env->place(0, -1, 0, 0);
  env->place(1, 1, 0, M_PI);
  for (int s = 1; s <= 10; ++s) {
    const Transition t = env->step(actions(kIdle, kIdle));
    if (s < 10) {
      ASSERT_FALSE(t.terminated) << "step " << s;
      EXPECT_EQ(info_of(*env, t, 0, "reward_outcome"), 0);
      continue;
    }
    EXPECT_TRUE(t.terminated);
    EXPECT_TRUE(t.truncated);
    for (int a = 0; a < 2; ++a) {
      EXPECT_EQ(info_of(*env, t, a, "drew"), 1);
      EXPECT_EQ(info_of(*env, t, a, "time_up"), 1);
      EXPECT_EQ(info_of(*env, t, a, "reward_outcome"), -1000);
    }
  }
}

TEST(Sumo2D, IdleAgentsStayPut) {
  // Ground friction: an undriven agent stops; its start velocity noise fades.
  auto env = make_sumo();
  env->reset(5);
  Transition t;
  for (int s = 0; s < 40; ++s) t = env->step(actions(kIdle, kIdle));
  for (int a = 0; a < 2; ++a) {
    const float* obs = t.observation.data() + size_t(a) * env->obs_row_size();
    EXPECT_NEAR(obs[4], 0.f, 1e-6) << "vx of agent " << a;
    EXPECT_NEAR(obs[5], 0.f, 1e-6) << "vy of agent " << a;
    EXPECT_NEAR(std::hypot(obs[0], obs[1]), 0.4 * 3, 0.3);  // still near its start circle
  }
}

TEST(Sumo2D, RingRadiusIsDrawnWithinItsRangePerEpisode) {
  auto env = make_sumo({{"ring_radius_min", "2.5"}, {"ring_radius_max", "4.5"}});
  env->seed(6);
  double lowest = 1e9, highest = 0;
  for (int e = 0; e < 100; ++e) {
    const std::vector<float> obs = env->reset();
    const double r = env->start().ring_radius;
    ASSERT_GE(r, 2.5);
    ASSERT_LE(r, 4.5);
    EXPECT_EQ(obs[17], float(r));                          // agent 0 observes it
    EXPECT_EQ(obs[size_t(env->obs_row_size()) + 17], float(r));  // and agent 1
    lowest = std::min(lowest, r);
    highest = std::max(highest, r);
  }
  EXPECT_LT(lowest, 2.7);
  EXPECT_GT(highest, 4.3);
  // Without a range, every episode has ring_radius.
  auto fixed = make_sumo({{"ring_radius", "4"}});
  for (uint64_t seed : {1, 2, 3}) {
    fixed->reset(seed);
    EXPECT_EQ(fixed->start().ring_radius, 4.0);
  }
}

TEST(Sumo2D, BadRingOptionsAreRejected) {
  EXPECT_THROW(make_sumo({{"ring_radius", "1"}}), EnvError);  // the registry's bound
  EXPECT_THROW(make_sumo({{"ring_radius_max", "30"}}), EnvError);
  try {
    make_sumo({{"ring_radius_min", "4"}, {"ring_radius_max", "3"}});
    FAIL() << "min > max accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("Sumo2D: a ring radius range"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_sumo({{"ring_radius_min", "2.5"}}), EnvError);  // a range needs its max
}

TEST(Sumo2D, StartsFacingEachOtherOnOppositeSides) {
  auto env = make_sumo();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> obs = env->reset(seed);
    for (int a = 0; a < 2; ++a) {
      const float* row = obs.data() + size_t(a) * env->obs_row_size();
      EXPECT_NEAR(std::hypot(row[0], row[1]), 1.2, 0.15);  // 0.4 R, R = 3
      EXPECT_GT(row[11], 2.0);                               // the opponent ahead...
      EXPECT_LT(std::abs(row[12]), 0.5);                     // ...nearly straight ahead
      EXPECT_LT(row[13], -0.9);                              // facing back
    }
  }
}

TEST(Sumo2D, EachAgentObservesItsOwnView) {
  auto env = make_sumo();
  env->reset(7);
  env->place(0, -1.0, 0.5, 0.3);
  env->place(1, 1.5, -0.2, 2.0);
  const std::vector<float> view = env->observe();
  const size_t row = size_t(env->obs_row_size());
  // Agent 0 at (-1, 0.5): its own position, and the opponent in its frame.
  EXPECT_FLOAT_EQ(view[0], -1.0f);
  EXPECT_FLOAT_EQ(view[1], 0.5f);
  EXPECT_FLOAT_EQ(view[2], float(std::cos(0.3)));
  EXPECT_NEAR(view[11], 2.5 * std::cos(0.3) - 0.7 * std::sin(0.3), 1e-5);
  EXPECT_NEAR(view[12], -2.5 * std::sin(0.3) - 0.7 * std::cos(0.3), 1e-5);
  EXPECT_NEAR(view[13], std::cos(1.7), 1e-5);
  EXPECT_NEAR(view[18], 3 - std::hypot(1.0, 0.5), 1e-5);
  EXPECT_NEAR(view[19], 3 - std::hypot(1.5, 0.2), 1e-5);
  // Swapping the agents' places swaps their views.
  env->reset(7);
  env->place(0, 1.5, -0.2, 2.0);
  env->place(1, -1.0, 0.5, 0.3);
  const std::vector<float> swapped = env->observe();
  for (size_t k = 0; k < row; ++k) {
    EXPECT_EQ(swapped[k], view[row + k]) << k;
    EXPECT_EQ(swapped[row + k], view[k]) << k;
  }
}

TEST(Sumo2D, RewardIsTheOutcomePlusTheShapingTerms) {
  auto env = make_sumo({{"max_episode_steps", "60"}});
  env->reset(8);
  Rng rng(8);
  int ended = 0;
  for (int s = 0; s < 400; ++s) {
    std::vector<float> a(8);
    for (float& x : a) x = float(rng.uniform(-1.2, 1.2));  // some beyond the bounds: clipped
    const Transition t = env->step(a);
    for (int agent = 0; agent < 2; ++agent) {
      double action_sq = 0;
      for (int k = 0; k < 4; ++k) action_sq += std::pow(std::clamp(a[size_t(4 * agent + k)], -1.f, 1.f), 2);
      EXPECT_NEAR(info_of(*env, t, agent, "reward_ctrl"), -0.1 * action_sq, 1e-5);
      const float* opponent = t.observation.data() + size_t(1 - agent) * env->obs_row_size();
      EXPECT_NEAR(info_of(*env, t, agent, "reward_push"), -10 * std::exp(-std::hypot(opponent[0], opponent[1])), 1e-4);
      EXPECT_GE(info_of(*env, t, agent, "reward_move"), 0);
      const double sum = double(info_of(*env, t, agent, "reward_outcome")) + info_of(*env, t, agent, "reward_ctrl") +
                         info_of(*env, t, agent, "reward_push") + info_of(*env, t, agent, "reward_move");
      EXPECT_NEAR(t.rewards[size_t(agent)], sum, 1e-4 * (1 + std::abs(sum)));
    }
    if (t.terminated) {
      ++ended;
      env->reset();
    }
  }
  EXPECT_GT(ended, 0);
}

TEST(Sumo2D, DenseWeightScalesOnlyTheShapingTerms) {
  auto full = make_sumo({{"max_episode_steps", "30"}});
  auto half = make_sumo({{"max_episode_steps", "30"}});
  half->set_dense_weight(0.5);
  EXPECT_EQ(half->dense_weight(), 0.5);
  full->reset(9);
  half->reset(9);
  Rng rng(9);
  for (int s = 0; s < 30; ++s) {
    std::vector<float> a(8);
    for (float& x : a) x = float(rng.uniform(-1, 1));
    const Transition f = full->step(a), h = half->step(a);
    ASSERT_EQ(f.observation, h.observation);  // the weight changes no physics
    for (int agent = 0; agent < 2; ++agent) {
      EXPECT_EQ(info_of(*half, h, agent, "dense_weight"), 0.5f);
      EXPECT_EQ(info_of(*half, h, agent, "reward_outcome"), info_of(*full, f, agent, "reward_outcome"));
      for (const char* term : {"reward_ctrl", "reward_push", "reward_move"})
        EXPECT_FLOAT_EQ(info_of(*half, h, agent, term), 0.5f * info_of(*full, f, agent, term)) << term;
    }
    if (s == 29) {
      ASSERT_TRUE(h.terminated);
      EXPECT_NEAR(h.rewards[0] - f.rewards[0], -0.5 * (f.rewards[0] - (-1000)), 1e-3);
    }
  }
  // Weight 0 (the option): outcome rewards only.
  auto sparse = make_sumo({{"dense_weight", "0"}, {"max_episode_steps", "5"}});
  sparse->reset(9);
  for (int s = 1; s <= 5; ++s) {
    const Transition t = sparse->step(actions(kFullThrust, kFullThrust));
    EXPECT_EQ(t.rewards[0], s < 5 ? 0.0 : -1000.0) << "step " << s;
  }
}

TEST(Sumo2D, ABadActionOfAgentOneIsRejectedNamingTheEnvAndTheAgent) {
  auto env = make_sumo();
  env->reset(10);
  std::vector<float> a = actions(kIdle, kIdle);
  a[5] = NAN;  // agent 1's turn
  try {
    env->step(a);
    FAIL() << "a NaN action was accepted";
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "Sumo2D: agent 1 action[1] is NaN");
  }
  EXPECT_EQ(env->elapsed_steps(), 0);
}

TEST(Sumo2D, PlacingIsPartOfTheStartSoACheckpointReplaysIt) {
  auto env = make_sumo();
  env->reset(11);
  env->place(0, 2.0, 0, 0);
  env->place(1, 1.3, 0, 0);
  for (int s = 0; s < 5; ++s) env->step(actions(kIdle, kFullThrust));
  std::string state;
  env->save_state(state);
  EXPECT_THROW(env->place(0, 0, 0, 0), EnvError);  // not mid-episode
  auto resumed = make_sumo();
  size_t offset = 0;
  resumed->load_state(state, offset);
  EXPECT_EQ(offset, state.size());
  EXPECT_EQ(resumed->start().agents[0].x, 2.0);
  for (int s = 0; s < 10; ++s) {
    const Transition a = env->step(actions(kIdle, kFullThrust));
    const Transition b = resumed->step(actions(kIdle, kFullThrust));
    ASSERT_EQ(a.observation, b.observation) << "step " << s;
    ASSERT_EQ(a.info, b.info) << "step " << s;
    ASSERT_EQ(a.rewards, b.rewards) << "step " << s;
  }
}

}  // namespace
}  // namespace metarl
