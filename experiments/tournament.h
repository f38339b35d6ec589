// `metarl tournament POPULATION.yaml --out DIR`: a population of players
// plays games against each other in a two-agent match env, and the games
// rate them (TrueSkill and Elo, meta/ratings.h).
//
// A population file:
//
//   env: Sumo2D               # optional: the env of the first agent that is a run
//   env_options: {ring_radius: 3}
//   seed: 0
//   games: round_robin        # every pair once; or a number: that many pairs drawn at random
//   rounds: 1                 # a game is rounds of episodes_per_round episodes
//   episodes_per_round: 8
//   envs: 16                  # matches played at once (here two games side by side)
//   threads: 2
//   tracking: {learning_rate: 3.0e-4, epochs: 4}   # for agents with adaptation: tracking
//   meta_history: 75          # for agents with adaptation: meta (the matches they adapt on)
//   agents:
//     early: {run: experiments/results/sumo/sumo2d/seed0, snapshot: steps_1000000}
//     final: {run: experiments/results/sumo/sumo2d/seed0}   # its latest checkpoint
//     final_tracking: {run: experiments/results/sumo/sumo2d/seed0, adaptation: tracking}
//     pusher: {player: scripted}                           # or random, or any `metarl match` player
//
// An agent with `adaptation: tracking` continues PPO on its own side of each
// round's matches, one with `adaptation: meta` takes its run's meta-learned
// update on its latest matches (experiments/round_adaptation.h); either
// starts every game from its checkpoint.
//
// A round goes to whoever won more of its episodes (equal: a drawn round);
// the game to whoever won more rounds by a margin of at least 5 % of the
// rounds played, else it is drawn. Seats: A takes seat (j + k) % 2 in the
// j-th match of round k, B the other, so that over a game each takes each
// seat about equally often (exactly, with an even number of rounds or of
// episodes per round).
//
// Games are played in waves: envs / episodes_per_round consecutive games of
// the schedule (at least one) side by side in one VectorEnv, round by round,
// each distinct player acting for all its seats of the wave in one batched
// policy call per step; an adapting agent plays as a fresh copy of itself in
// each game. A wave has its own seed (derived from the tournament's and the
// wave's index) and its games are appended to DIR/matches.csv as soon as it
// ends: killing the tournament loses at most the wave in progress, and
// running the same command again resumes after the last wave written, so
// the ratings come out as an uninterrupted run's.
// At the end (from matches.csv alone): win_rates.csv (row player's score
// against the column player's, draws half) and win_rates.png, trueskill.csv,
// elo.csv (with 95 % intervals from resampling the games) and elo.png, and
// summary.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agents/communicator.h"

namespace metarl {

struct TournamentOptions {
  std::string population_path;
  std::string out_dir;
  int threads = 0;         // 0: the file's
  int64_t max_games = -1;  // stop once this many games are played, in whole waves (then rate those so far); -1: all
  // Over several processes (--world-size ...): W waves at a time, wave i of
  // them played by rank i; rank 0 gathers their games and writes every
  // file. Each wave is seeded by its index, so the games are the ones one
  // process plays, to the bit.
  DistributedConfig distributed{};
};

// One game's record (a row of matches.csv).
struct GameRecord {
  int64_t game = 0;
  std::string a, b;  // agent names
  int64_t rounds = 0, episodes = 0;
  int64_t a_rounds = 0, b_rounds = 0, drawn_rounds = 0;
  int64_t a_episodes = 0, b_episodes = 0, drawn_episodes = 0;
  double score_a = 0.5;  // the game: 1 a won, 0.5 drawn, 0 b won
};

// A game goes to whoever won more rounds by at least this fraction of the
// rounds played (Al-Shedivat et al.'s 5 %).
constexpr double kGameMargin = 0.05;

// The winner of one round or game from its counts of wins: 1 when a won
// more than b by more than `margin` (a fraction of `played`), 0 when b did,
// 0.5 otherwise. Rounds use margin 0; games 0.05 of the rounds played.
double winner_by_margin(int64_t a_wins, int64_t b_wins, int64_t played, double margin);

void run_tournament(const TournamentOptions& options);

}  // namespace metarl
