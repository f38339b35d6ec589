// Dynamics schedules: how an env's physics changes across the episodes of a
// chain of tasks.
//
// A schedule maps (task, episode index) to physical parameters and writes them
// into the env's own model copy at the start of every episode. Schedules
// compute from the env's reference model, never from the current one, so
// applying one twice gives the same physics and starting a new chain restores
// the model exactly.
#pragma once

#include <string>

namespace metarl {

class Env;
class Task;

class DynamicsSchedule {
 public:
  virtual ~DynamicsSchedule() = default;
  virtual std::string name() const = 0;
  // One line describing the configured schedule (for logs and `metarl list`).
  virtual std::string describe() const = 0;
  // Called by Env::reset before the initial state is drawn. `task` may be null.
  virtual void apply(Env& env, const Task* task, int episode_index) const = 0;
};

}  // namespace metarl
