// `metarl game AGENT OPPONENT... --out DIR`: iterated adaptation games
// (Al-Shedivat et al. 2018, ANCHORS §3). An agent plays `rounds` rounds of
// `episodes_per_round` matches against an opponent whose version advances
// every round: round k is played against opponent k of the sequence (the
// last one once the sequence is exhausted). The sequence is the players
// named, in order, or, for one run directory, its snapshots
// (checkpoints/steps_N.pt by N): the opponent improving as it did in
// training.
//
// Between rounds the agent adapts, from what it saw in the rounds played
// and nothing else (its own observations, actions and rewards; never the
// opponent's parameters), by experiments/round_adaptation.h's methods: none;
// tracking (PPO continued on the round's matches, the paper's baseline);
// meta (its run's meta-learned update on its last meta_history matches);
// rl2 (an RL² run's memory, its recurrent state and last reward, carried
// from each match to the next through the whole game and restarted with
// the next game; its parameters never change). For rl2 a round's matches
// are played one after another in one env, so that the memory sees every
// match in order; the others play them side by side.
//
// Seats: the agent plays seat 0 and seat 1 in alternate matches, round k
// starting from seat k % 2, so that an odd number of matches a round
// favours no seat over a game. A round goes to whoever won more of its
// matches; a game to whoever won more rounds by at least 5 % of them
// (experiments/tournament.h). The game
// is repeated `repeats` times from the loaded agent, each repeat with its
// own seed. DIR gets game_rounds.csv (every repeat's every round: the
// opponent, the agent's wins, losses and draws, the round's winner),
// game.csv (per round: the agent's match win, draw and loss rates over the
// repeats, with 95 % intervals over repeats), game.png and summary.json
// (the win rate over the last `last_rounds` rounds, the paper's measure, and
// the games won, drawn and lost). game_rounds.csv is rewritten after each
// repeat, and the same options on the same DIR (game.json holds them)
// resume after the last repeat written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metarl {

struct GameOptions {
  std::string agent;                   // a `metarl match` player
  std::vector<std::string> opponents;  // players in order, or one run directory: its snapshots
  std::string env;                     // default: the env of the agent's (or first opponent's) run
  std::string env_options;             // key=value,... on top of the run's
  int64_t rounds = 100;
  int64_t episodes_per_round = 3;
  int64_t repeats = 8;
  std::string adaptation = "none";  // none | tracking | meta | rl2
  int64_t meta_history = 75;        // meta: the matches it adapts on
  double tracking_learning_rate = 3e-4;
  int64_t tracking_epochs = 4;
  int64_t last_rounds = 25;
  int threads = 1;
  uint64_t seed = 0;
  std::string out_dir;
  int64_t max_repeats = -1;  // stop after playing this many repeats (the same options resume); -1: all
};

// The opponents a game's rounds meet, in order (GameOptions::opponents
// resolved: a lone run directory becomes its snapshots, sorted by step).
std::vector<std::string> opponent_sequence(const std::vector<std::string>& opponents);

void run_game(const GameOptions& options);

}  // namespace metarl
