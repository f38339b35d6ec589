// `metarl match A B`: two players (experiments/players.h: a run, one of its
// checkpoints, random or scripted) play whole matches in a two-agent match
// env, and A's results are reported with 95% Wilson intervals (one JSON line).
//
// Seats: when both agents are of one kind, A plays agent 0 in the even envs
// and agent 1 in the odd ones (as self-play trains), so neither seat's
// advantage favours a player; otherwise A plays agent 0 and B agent 1.
// Actions are sampled from the players' policies, as in training.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "agents/sampler.h"
#include "envs/vector_env.h"
#include "experiments/players.h"

namespace metarl {

struct MatchOptions {
  std::string player_a, player_b;
  // The env; empty: the env (name and options) of the first player that is a run.
  std::string env;
  std::string env_options;  // key=value,...: set on top of the run's
  int64_t episodes = 200;   // rounded up to whole rounds of num_envs matches
  int num_envs = 16;
  int threads = 2;
  uint64_t seed = 0;
};

void run_match(const MatchOptions& options, std::ostream& out);

// Players seated at rows of a match env: `player` acts for `rows`.
struct Seating {
  const Player* player = nullptr;
  std::vector<int64_t> rows;
};

// One match per env of `env`, every row played by the seating that holds it
// (each row exactly once; the players' agents of one kind), with one batched
// policy call per seating per step, the action noise from `seed`. Returns
// each seating's side of the matches, in the order given (columns in the
// order of its rows). Many games' matches can share one call this way.
// RL² players (Player::trial_inputs) get their inputs, their memory fresh
// each match; except, with `memory`, the first seating's (an RL² player):
// it starts from *memory where that holds a state (from an earlier call
// with the same columns) and leaves its memory there at the end, so it
// runs across consecutive calls' matches env by env.
std::vector<EpisodeBatch> play_matches(VectorEnv& env, const std::vector<Seating>& seatings, uint64_t seed,
                                       TrialMemory* memory = nullptr);

// One round of a game: one match per env of `env` (two agents of one kind)
// between players `a` and `b`, A in seat (j + first_seat) % 2 of env j, the
// action noise from `seed`. Returns A's side of the matches; with `b_side`,
// B's side goes there too (for a B that learns from it); with `a_memory`,
// A's RL² memory is carried as play_matches does.
EpisodeBatch play_round(VectorEnv& env, const Player& a, const Player& b, int64_t first_seat, uint64_t seed,
                        EpisodeBatch* b_side = nullptr, TrialMemory* a_memory = nullptr);

// The learner's score in each env's episode of a batch of
// Sampler::collect_episodes on a match env (one episode per env), by env:
// 1 won, 0 lost, 0.5 drawn.
std::vector<double> episode_scores(const EpisodeBatch& batch);

}  // namespace metarl
