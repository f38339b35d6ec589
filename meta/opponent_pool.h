// Self-play's pool of the learner's past versions (Bansal et al. 2018): a
// version is a snapshot of the policy's parameters and of its observation
// normaliser's statistics; opponents are drawn uniformly from the versions
// numbered in [δ·v, v], v the newest, i.e. from the integers
// ceil(δ·v) ... v (δ = 1: always the newest, δ = 0: any version so far).
//
// Since v only grows, a version below ceil(δ·v) can never be drawn again:
// add() drops it, so with δ > 0 the pool holds about (1 − δ)·v versions
// rather than all of them (δ = 0 keeps every version: memory and
// checkpoints grow with the run).
//
// Draws come from the pool's own seeded generator, saved with the versions
// in the checkpoint, so a resumed run draws the same opponents.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/normalizer.h"
#include "agents/params.h"
#include "envs/core/rng.h"

namespace metarl {

class OpponentPool {
 public:
  struct Version {
    int64_t number = 0;
    Params params;  // detached copies, no gradients
    // A read-only copy of the learner's normaliser at the snapshot, or null
    // when the learner normalises nothing.
    std::unique_ptr<RunningNormalizer> normalizer;
  };

  // delta in [0, 1].
  OpponentPool(double delta, uint64_t seed);

  // Snapshots `params` (and `normalizer`, may be null) as version v + 1 (0
  // for the first), then drops the versions that can no longer be drawn.
  void add(const Params& params, const RunningNormalizer* normalizer);

  double delta() const { return delta_; }
  bool empty() const { return versions_.empty(); }
  int64_t size() const { return int64_t(versions_.size()); }
  // v, the newest version's number (-1 when empty).
  int64_t newest() const { return versions_.empty() ? -1 : versions_.back()->number; }
  // The lowest number a draw can give now: ceil(δ·v).
  int64_t oldest_drawable() const;
  const Version& version(int64_t number) const;

  // One version number uniformly from [oldest_drawable(), newest()].
  int64_t draw();
  std::vector<int64_t> draw(int64_t count);
  // `count` draws, each of which is, with probability fixed_probabilities[k],
  // fixed_player(k) (the k-th of the players kept beside the pool, such as
  // a random one) rather than a version; the probabilities sum to at most 1.
  // Each draw takes one uniform number for the choice (none without fixed
  // players: then it draws exactly as draw(count)).
  static constexpr int64_t fixed_player(int64_t k) { return -1 - k; }
  static constexpr bool is_fixed_player(int64_t draw) { return draw < 0; }
  static constexpr int64_t fixed_player_index(int64_t draw) { return -1 - draw; }
  std::vector<int64_t> draw_mixed(int64_t count, const std::vector<double>& fixed_probabilities);

  // Every version and the generator, under `prefix` ("pool/...").
  void save(torch::serialize::OutputArchive& archive, const std::string& prefix) const;
  // Replaces the pool with the saved one (its δ is this pool's: a resumed
  // run has the same configuration).
  void load(torch::serialize::InputArchive& archive, const std::string& prefix);

 private:
  void drop_undrawable();

  double delta_;
  Rng rng_;
  std::deque<std::unique_ptr<Version>> versions_;  // by number, oldest first; pointers stay valid
};

}  // namespace metarl
