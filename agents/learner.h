// The one interface of the policy-gradient learners (PPO, TRPO, VPG): an
// update of the policy from a batch and its advantage estimates, and the
// state a checkpoint must hold to continue bit-exactly (optimiser moments,
// minibatch generators). A trainer owns one and never asks which it is.
//
// MAML's outer step (meta/maml_trainer.h) optimises a meta-objective over
// adapted policies, not a batch's advantages, so it is no Learner; it steps
// through the same pieces: trpo_step (agents/trpo.h) as TrpoLearner does,
// and AdamOptimizer (agents/adam.h) with ppo_clipped_objective as the
// clipped surrogate as PpoLearner does.
#pragma once

#include <torch/torch.h>

#include "agents/metrics.h"
#include "agents/sampler.h"

namespace metarl {

class Learner {
 public:
  virtual ~Learner() = default;
  // One update from `batch`; advantages and returns are [T, N] (returns are
  // the value function's targets, for learners that train one with the policy).
  virtual Metrics update(const EpisodeBatch& batch, const torch::Tensor& advantages, const torch::Tensor& returns) = 0;
  // Scales the configured learning rate by `fraction` (annealing: 1 at the
  // start, towards 0 at the end). A trust-region step has no learning rate
  // (its size is the KL bound) and is left as it is.
  virtual void anneal(double fraction) = 0;
  // Records under the learner's own keys; a learner without state writes none.
  virtual void save_state(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load_state(torch::serialize::InputArchive& archive) = 0;
};

}  // namespace metarl
