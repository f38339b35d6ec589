// What `metarl run` drives: a trainer that runs one iteration at a time and
// is resumable from a checkpoint. Single-task policy gradient
// (agents/trainer.h), MAML and the other meta-learners (meta/) implement it.
#pragma once

#include <cstdint>
#include <string>

#include "agents/metrics.h"
#include "agents/policy.h"

namespace metarl {

class IterativeTrainer {
 public:
  virtual ~IterativeTrainer() = default;
  // One iteration; the metrics include iteration, env_steps, iter_seconds and mean_return.
  virtual Metrics run_iteration() = 0;
  virtual int64_t iteration() const = 0;
  virtual int64_t env_steps() const = 0;
  virtual Policy& policy() = 0;
  virtual void save_checkpoint(const std::string& path) const = 0;  // atomic
  virtual void load_checkpoint(const std::string& path) = 0;
};

}  // namespace metarl
