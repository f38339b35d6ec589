// RL²'s trials (Duan et al. 2016; the recurrent baseline of Al-Shedivat et
// al. 2018, arXiv:1710.03641).
//
// One episode of a TrialEnv is `episodes` consecutive episodes of the env it
// wraps: the consecutive tasks T_1 … T_n of one chain (the wrapped env's
// episode index advances at each inner reset, so its schedules walk the
// chain, e.g. a pair of legs weakening). A recurrent policy acting in it
// keeps its state across the inner episodes — its state is reset only where
// the trial starts — so whatever it learns about the task it must carry in
// that state: the meta-learner is the LSTM. Observation: the wrapped env's,
// then the previous step's reward (0 at the trial's start) and a flag that
// is 1 on the first observation of every inner episode. Trained by ordinary
// PPO on whole trials.
//
// Every trial starts a new chain: a task drawn from the family with this
// env's generator (training: a new task per trial, as RL² resamples its
// MDPs), or the task fixed by fix_task (evaluation on held-out chains).
#pragma once

#include <memory>
#include <optional>

#include "envs/core/env.h"
#include "envs/core/task.h"

namespace metarl {

class TrialEnv : public Env {
 public:
  TrialEnv(std::unique_ptr<Env> inner, int episodes, std::shared_ptr<const TaskFamily> family);

  Env& inner() { return *inner_; }
  const Env& inner() const { return *inner_; }
  int episodes_per_trial() const { return episodes_; }
  // The inner episode (0 … episodes - 1) the last step or reset belongs to.
  int trial_episode() const { return trial_episode_; }
  // Every following trial runs this task's chain instead of a sampled one.
  void fix_task(const Task& task);
  // The task of the current trial (undefined before the first reset).
  const Task& trial_task() const { return trial_task_; }

 protected:
  void reset_state(Rng& rng, float* obs) override;
  StepResult advance(const float* action, float* obs, double* rewards, float* info) override;
  void save_dynamic_state(std::string& out) const override;
  void load_dynamic_state(const std::string& in, size_t& offset) override;

 private:
  void write_extras(float* obs, double previous_reward, bool episode_start) const;

  std::unique_ptr<Env> inner_;
  int episodes_;
  std::shared_ptr<const TaskFamily> family_;
  std::optional<Task> fixed_task_;
  Task trial_task_;
  int trial_episode_ = 0;
};

}  // namespace metarl
