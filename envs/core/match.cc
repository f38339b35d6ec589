#include "envs/core/match.h"

#include "envs/core/error.h"

namespace metarl {

MatchStep decide_match(const LossReason losses[2], bool time_up) {
  MatchStep step;
  const bool lost0 = losses[0] != LossReason::kNone;
  const bool lost1 = losses[1] != LossReason::kNone;
  if (lost0 != lost1) {
    step.result[0] = lost0 ? MatchResult::kLost : MatchResult::kWon;
    step.result[1] = lost1 ? MatchResult::kLost : MatchResult::kWon;
  } else if (lost0 || time_up) {  // both lost at once, or nobody before the time limit
    step.result[0] = step.result[1] = MatchResult::kDrew;
  }
  return step;
}

double outcome_reward(MatchResult result, const MatchRewards& rewards) {
  switch (result) {
    case MatchResult::kWon: return rewards.win;
    case MatchResult::kLost: return rewards.loss;
    case MatchResult::kDrew: return rewards.draw;
    case MatchResult::kUndecided: return 0;
  }
  return 0;
}

const std::vector<std::string>& match_info_names() {
  static const std::vector<std::string> names = {"won",     "lost",         "drew",          "fell",
                                                 "pushed_out", "time_up", "dense_weight", "reward_outcome"};
  return names;
}

void write_match_info(float* info, MatchResult result, LossReason loss, bool time_up, double dense_weight,
                      double reward_outcome) {
  info[kInfoWon] = result == MatchResult::kWon;
  info[kInfoLost] = result == MatchResult::kLost;
  info[kInfoDrew] = result == MatchResult::kDrew;
  info[kInfoFell] = loss == LossReason::kFell;
  info[kInfoPushedOut] = loss == LossReason::kPushedOut;
  info[kInfoTimeUp] = result != MatchResult::kUndecided && time_up;
  info[kInfoDenseWeight] = float(dense_weight);
  info[kInfoRewardOutcome] = float(reward_outcome);
}

double checked_dense_weight(const std::string& env_name, double weight) {
  if (!(weight >= 0 && weight <= 1)) throw_env_error(env_name, ": dense weight must be in [0, 1], got ", weight);
  return weight;
}

}  // namespace metarl
