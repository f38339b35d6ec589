// Dynamics schedules: how an env's physics changes across the episodes of a
// chain of tasks (and, for some, within an episode).
//
// A schedule maps a position (task, episode index, step; ScheduleContext) to
// physical parameters and sets them in the env (a MuJoCo env keeps them as
// edits of its model). It works in two phases so that schedules compose:
// `restore` puts back the reference values of the fields it touches,
// `modify` multiplies (or sets) the current values. The env runs restore then
// modify at every reset, and before every step for a schedule that changes
// within an episode. Everything is computed from the reference values, so
// applying a schedule twice gives the same physics and starting a new chain
// restores the model exactly.
//
// A schedule acts on the kind of env it names through `refusal` (those of
// MuJoCo model numbers derive from MujocoSchedule, envs/mujoco/): the env
// refuses any other when it is set, before anything runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "envs/core/rng.h"

namespace metarl {

class Env;
class Task;

// Where in its chain an env applies its schedules.
struct ScheduleContext {
  const Task* task = nullptr;  // null before any task
  int episode_index = 0;
  int step = 0;  // the step about to be taken (0 at reset)
  // For schedules that draw(): a generator seeded from the episode's seed
  // (drawn from the env's own generator at each reset, and checkpointed),
  // fresh at every apply. So every apply within an episode, and re-applying
  // after a checkpoint is loaded, draws the same numbers; a schedule wanting
  // new numbers per step mixes in `step`. The env's schedules draw from it
  // in a fixed order. Null when none of them draws.
  Rng* rng = nullptr;
};

class DynamicsSchedule {
 public:
  virtual ~DynamicsSchedule() = default;
  virtual std::string name() const = 0;
  // One line describing the configured schedule (for logs and `metarl list`).
  virtual std::string describe() const = 0;
  // Why this schedule cannot act on `env` (one line naming both), or empty when it can.
  virtual std::string refusal(const Env& env) const = 0;
  // Puts back the reference values of every field this schedule changes.
  virtual void restore(Env& env) const = 0;
  // Changes this schedule's fields for the context's position, starting from their current values.
  virtual void modify(Env& env, const ScheduleContext& context) const = 0;
  // True when modify depends on the step: the env re-applies it before every step.
  virtual bool changes_within_episode() const { return false; }
  // True when modify draws from context.rng (e.g. a terrain per episode).
  virtual bool draws() const { return false; }
};

// Several schedules acting together: every part restores first, then every
// part modifies, so two schedules of the same field multiply.
class CompositeSchedule : public DynamicsSchedule {
 public:
  explicit CompositeSchedule(std::vector<std::shared_ptr<const DynamicsSchedule>> parts);
  std::string name() const override { return "Composite"; }
  std::string describe() const override;
  // The first part's refusal.
  std::string refusal(const Env& env) const override;
  void restore(Env& env) const override;
  void modify(Env& env, const ScheduleContext& context) const override;
  bool changes_within_episode() const override;
  bool draws() const override;
  const std::vector<std::shared_ptr<const DynamicsSchedule>>& parts() const { return parts_; }

 private:
  std::vector<std::shared_ptr<const DynamicsSchedule>> parts_;
};

}  // namespace metarl
