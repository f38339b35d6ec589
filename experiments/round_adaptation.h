// How a player adapts between the rounds of a game (experiments/game.h,
// experiments/tournament.h): from its own side of the matches it has played,
// never from the opponent's parameters.
//   none      it plays as loaded throughout;
//   tracking  PPO continued on each round's matches (experiments/tracking.h),
//             the paper's tracking baseline;
//   meta      the meta-learned update of its run (continual adaptation,
//             Al-Shedivat et al. 2018): before each round its parameters are
//             θ adapted afresh by the run's own inner steps and learned step
//             sizes on its last `meta_history` matches, importance-weighted
//             against the policies that played them. Needs a run whose
//             trainer adapts from episodes (meta/test_time_adaptation.h's
//             EpisodeAdapter: maml runs, e.g. algorithm.opponents self_play);
//   rl2       an RL² run's memory (its recurrent state and last reward)
//             carried from each match to the next in its env, reset
//             between games; its parameters never change. The caller
//             carries the memory (play_round's a_memory): no object here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agents/sampler.h"
#include "experiments/players.h"
#include "experiments/tracking.h"

namespace metarl {

struct RoundAdaptationSettings {
  std::string method = "none";  // none | tracking | meta | rl2
  TrackingConfig tracking;
  // meta: the matches adapted on, the latest rounds' (Al-Shedivat et al.'s
  // buffer of 75 episodes in sumo); whole rounds, the oldest dropped once the
  // others hold this many.
  int64_t meta_history = 75;
};

// The methods, for messages.
inline const char* kRoundAdaptationMethods = "none, tracking, meta or rl2";
bool is_round_adaptation_method(const std::string& method);

class RoundAdaptation {
 public:
  virtual ~RoundAdaptation() = default;
  // After a round: `own_side`, the player's side of its matches (as the
  // Sampler returns it, acted by its current parameters). Changes the
  // player's parameters in place for the next round.
  virtual void after_round(const EpisodeBatch& own_side) = 0;
};

// The adaptation `settings.method` for `player`, loaded from `spec` (a run
// player, for meta), starting from its parameters as loaded; null for none
// and rl2.
// Throws std::invalid_argument naming `spec` when it cannot adapt that way
// (meta with a run whose algorithm learned no update, or a built-in player).
std::unique_ptr<RoundAdaptation> make_round_adaptation(const RoundAdaptationSettings& settings,
                                                       const std::string& spec, Player& player, uint64_t seed);

}  // namespace metarl
