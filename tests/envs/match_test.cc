#include "envs/core/match.h"

#include <gtest/gtest.h>

namespace metarl {
namespace {

MatchStep decide(LossReason a, LossReason b, bool time_up) {
  const LossReason losses[2] = {a, b};
  return decide_match(losses, time_up);
}

TEST(Match, OneLoserLosesTheOtherWins) {
  const MatchStep s = decide(LossReason::kNone, LossReason::kPushedOut, false);
  EXPECT_EQ(s.result[0], MatchResult::kWon);
  EXPECT_EQ(s.result[1], MatchResult::kLost);
  // Losing on the last step is still a loss, not a draw.
  const MatchStep last = decide(LossReason::kFell, LossReason::kNone, true);
  EXPECT_EQ(last.result[0], MatchResult::kLost);
  EXPECT_EQ(last.result[1], MatchResult::kWon);
}

TEST(Match, BothLosingOrTimeUpIsADraw) {
  const MatchStep both = decide(LossReason::kFell, LossReason::kPushedOut, false);
  EXPECT_EQ(both.result[0], MatchResult::kDrew);
  EXPECT_EQ(both.result[1], MatchResult::kDrew);
  const MatchStep time = decide(LossReason::kNone, LossReason::kNone, true);
  EXPECT_EQ(time.result[0], MatchResult::kDrew);
  EXPECT_FALSE(decide(LossReason::kNone, LossReason::kNone, false).over());
}

TEST(Match, RewardsAreRoboSumos) {
  const MatchRewards r;
  EXPECT_EQ(outcome_reward(MatchResult::kWon, r), 2000);
  EXPECT_EQ(outcome_reward(MatchResult::kLost, r), -2000);
  EXPECT_EQ(outcome_reward(MatchResult::kDrew, r), -1000);
  EXPECT_EQ(outcome_reward(MatchResult::kUndecided, r), 0);
}

TEST(Match, InfoTermsFollowTheirNames) {
  ASSERT_EQ(match_info_names().size(), size_t(kNumMatchInfo));
  float info[kNumMatchInfo];
  write_match_info(info, MatchResult::kLost, LossReason::kPushedOut, false, 0.25, -2000);
  const auto& names = match_info_names();
  auto at = [&](const std::string& name) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return info[i];
    ADD_FAILURE() << name;
    return -1.0f;
  };
  EXPECT_EQ(at("lost"), 1);
  EXPECT_EQ(at("won"), 0);
  EXPECT_EQ(at("pushed_out"), 1);
  EXPECT_EQ(at("fell"), 0);
  EXPECT_EQ(at("time_up"), 0);
  EXPECT_FLOAT_EQ(at("dense_weight"), 0.25f);
  EXPECT_EQ(at("reward_outcome"), -2000);
}

}  // namespace
}  // namespace metarl
