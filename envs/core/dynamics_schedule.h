// Dynamics schedules: how an env's physics changes across the episodes of a
// chain of tasks (and, for some, within an episode).
//
// A schedule maps (task, episode index, step) to physical parameters and
// sets them in the env (a MuJoCo env keeps them as edits of its model). It works in two phases so that
// schedules compose: `restore` puts back the reference model's values of the
// fields it touches, `modify` multiplies (or sets) the current values. The
// env runs restore then modify at every reset, and before every step for a
// schedule that changes within an episode. Everything is computed from the
// reference model, so applying a schedule twice gives the same physics and
// starting a new chain restores the model exactly.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace metarl {

class Env;
class Task;

class DynamicsSchedule {
 public:
  virtual ~DynamicsSchedule() = default;
  virtual std::string name() const = 0;
  // One line describing the configured schedule (for logs and `metarl list`).
  virtual std::string describe() const = 0;
  // Puts back the reference values of every model field this schedule changes.
  virtual void restore(Env& env) const = 0;
  // Changes this schedule's fields for (task, episode, step), starting from
  // their current values. `task` may be null; `step` is the index of the
  // step about to be taken (0 at reset).
  virtual void modify(Env& env, const Task* task, int episode_index, int step) const = 0;
  // True when modify depends on the step: the env re-applies it before every step.
  virtual bool changes_within_episode() const { return false; }

  // What the env calls: restore, then modify.
  void apply(Env& env, const Task* task, int episode_index, int step = 0) const {
    restore(env);
    modify(env, task, episode_index, step);
  }
};

// Several schedules acting together: every part restores first, then every
// part modifies, so two schedules of the same field multiply.
class CompositeSchedule : public DynamicsSchedule {
 public:
  explicit CompositeSchedule(std::vector<std::shared_ptr<const DynamicsSchedule>> parts);
  std::string name() const override { return "Composite"; }
  std::string describe() const override;
  void restore(Env& env) const override;
  void modify(Env& env, const Task* task, int episode_index, int step) const override;
  bool changes_within_episode() const override;
  const std::vector<std::shared_ptr<const DynamicsSchedule>>& parts() const { return parts_; }

 private:
  std::vector<std::shared_ptr<const DynamicsSchedule>> parts_;
};

}  // namespace metarl
