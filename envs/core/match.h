// What every competitive env (a match between two agents: the MuJoCo sumo,
// the Box2D sumo) shares: the outcome rules and rewards, the info terms that
// report them, and the dense-reward weight a trainer anneals.
//
// A match ends when an agent loses (it fell off the platform or was pushed
// out) or when time is up. One loser: it gets the loss reward, the other the
// win reward. Both lose at the same step, or time is up: a draw, both get
// the draw reward. The match's last step is terminal (terminated), the time
// limit's included: the draw penalty is part of the game, not a cut-off.
//
// Each agent's reward is
//   dense_weight * (its shaping terms) + its outcome reward,
// and its info row starts with match_info_names(): the outcome flags, the
// weight, the outcome reward and then the env's shaping terms, already
// weighted, so that the reward is exactly reward_outcome + the sum of the
// reward_* shaping terms.
#pragma once

#include <string>
#include <vector>

namespace metarl {

// The rewards of RoboSumo (Al-Shedivat et al. 2018).
struct MatchRewards {
  double win = 2000;
  double loss = -2000;
  double draw = -1000;
};

// Why an agent lost (kNone: it did not).
enum class LossReason { kNone = 0, kFell = 1, kPushedOut = 2 };

// One agent's result of a finished match.
enum class MatchResult { kUndecided = 0, kWon, kLost, kDrew };

// The results of both agents for this step: `losses` are each agent's
// reason for losing at this step, `time_up` whether this was the last step.
struct MatchStep {
  MatchResult result[2] = {MatchResult::kUndecided, MatchResult::kUndecided};
  bool over() const { return result[0] != MatchResult::kUndecided; }
};
MatchStep decide_match(const LossReason losses[2], bool time_up);

// The outcome reward of `result`.
double outcome_reward(MatchResult result, const MatchRewards& rewards);

// The first info terms of every match env, per agent, in this order:
//   won, lost, drew       1 on the match's last step for the agent's result, else 0
//   fell, pushed_out      1 on the last step when this agent lost that way
//   time_up               1 on the last step when the time limit ended it
//   dense_weight          the weight of the shaping terms at this step
//   reward_outcome        the outcome reward (0 before the last step)
// followed by the env's own shaping terms (named reward_*, weighted).
const std::vector<std::string>& match_info_names();
enum MatchInfo { kInfoWon = 0, kInfoLost, kInfoDrew, kInfoFell, kInfoPushedOut, kInfoTimeUp, kInfoDenseWeight,
                 kInfoRewardOutcome, kNumMatchInfo };

// Writes one agent's match terms (the first kNumMatchInfo entries of its info row).
void write_match_info(float* info, MatchResult result, LossReason loss, bool time_up, double dense_weight,
                      double reward_outcome);

// `weight` if it is a dense weight (in [0, 1]), else an EnvError naming `env_name`.
double checked_dense_weight(const std::string& env_name, double weight);

// The interface of a match env a trainer uses (through dynamic_cast).
class MatchEnv {
 public:
  virtual ~MatchEnv() = default;
  // Weight of the shaping terms from the next step on; 1 is the original
  // game, 0 outcome rewards only (Bansal et al. anneal it from 1 to 0).
  virtual void set_dense_weight(double weight) = 0;
  virtual double dense_weight() const = 0;
};

}  // namespace metarl
