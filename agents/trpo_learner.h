// TRPO as a learner: the importance-weighted surrogate and the mean KL between
// the policy that sampled the batch (detached) and the candidate, handed to
// trpo_step (agents/trpo.h).
#pragma once

#include "agents/metrics.h"
#include "agents/policy.h"
#include "agents/sampler.h"
#include "agents/trpo.h"

namespace metarl {

class TrpoLearner {
 public:
  TrpoLearner(Policy& policy, const TrpoConfig& config, bool normalize_advantages = true)
      : policy_(policy), config_(config), normalize_advantages_(normalize_advantages) {}
  Metrics update(const EpisodeBatch& batch, const torch::Tensor& advantages);

 private:
  Policy& policy_;
  TrpoConfig config_;
  bool normalize_advantages_;
};

}  // namespace metarl
