// PPO-tracking (Al-Shedivat et al.'s baseline): a player that keeps training
// with PPO on the matches it has just played, from its current parameters,
// between the rounds of a game (experiments/game.h, experiments/tournament.h).
// It sees only its own side of those matches.
#pragma once

#include <cstdint>

#include "agents/ppo.h"
#include "agents/sampler.h"
#include "agents/value_function.h"

namespace metarl {

struct TrackingConfig {
  double learning_rate = 3e-4;
  int64_t epochs = 4;
};

class Tracker {
 public:
  // Trains `policy`'s parameters in place; a value function of its own is
  // learnt alongside, initialised from `seed`.
  Tracker(Policy& policy, const TrackingConfig& config, uint64_t seed);
  // One PPO update on `batch`, the player's own side of the round's matches
  // (rewards in units of 1000: a win is +2).
  void update(const EpisodeBatch& batch);

 private:
  MlpValueFunction value_;
  PpoLearner learner_;
};

}  // namespace metarl
