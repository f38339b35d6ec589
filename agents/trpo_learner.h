// TRPO as a learner: the importance-weighted surrogate and the mean KL between
// the policy that sampled the batch (detached) and the candidate, handed to
// trpo_step (agents/trpo.h).
#pragma once

#include "agents/learner.h"
#include "agents/metrics.h"
#include "agents/policy.h"
#include "agents/sampler.h"
#include "agents/trpo.h"

namespace metarl {

class TrpoLearner : public Learner {
 public:
  TrpoLearner(Policy& policy, const TrpoConfig& config, bool normalize_advantages = true)
      : policy_(policy), config_(config), normalize_advantages_(normalize_advantages) {}
  // returns unused: TRPO steps the policy only.
  Metrics update(const EpisodeBatch& batch, const torch::Tensor& advantages, const torch::Tensor& returns) override;
  // The step's size is the KL bound, which is not annealed.
  void anneal(double) override {}
  // Each step starts afresh from the batch: nothing to keep.
  void save_state(torch::serialize::OutputArchive&) const override {}
  void load_state(torch::serialize::InputArchive&) override {}

 private:
  Policy& policy_;
  TrpoConfig config_;
  bool normalize_advantages_;
};

}  // namespace metarl
