// Self-play's seats on a real match env: a known-good player acting as the
// learner in Sumo2D wins from both seats, so the learner's rows, actions and
// outcomes are wired to the right robot.
#include <gtest/gtest.h>

#include "agents/sampler.h"
#include "agents/scripted_policy.h"
#include "envs/box2d/sumo2d.h"
#include "meta/selfplay_trainer.h"

namespace metarl {
namespace {

TEST(SelfplaySeatsOnSumo2D, AScriptedLearnerBeatsTheRandomOpponentFromBothSeats) {
  VectorEnv env("Sumo2D", 8, 1);
  env.seed(4);
  const SelfplaySeats seats = selfplay_seats(env);
  ASSERT_TRUE(seats.same_kind);
  const PushTowardOpponentPolicy scripted;
  const auto random = random_policy(Sumo2DEnv::kObsSize, env.action_space(1));
  Sampler sampler(env, scripted, 1, nullptr, false, seats.learner_rows);
  std::vector<Actor> opponents;
  opponents.push_back(Actor{random.get(), random->parameters(), nullptr, seats.opponent_rows});
  sampler.set_opponents(std::move(opponents));
  const EpisodeBatch batch = sampler.collect_episodes(env.env(0).max_episode_steps(), scripted.parameters());
  const MatchOutcomes o = match_outcomes(batch);
  EXPECT_EQ(o.episodes, 8);
  EXPECT_GE(o.won, 7);
}

}  // namespace
}  // namespace metarl
