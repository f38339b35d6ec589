#include "envs/core/env.h"

#include <array>
#include <cmath>

#include "envs/core/bytes.h"
#include "envs/core/dynamics_schedule.h"

namespace metarl {

Env::Env(std::string name, Box observation_space, Box action_space, std::vector<std::string> info_names,
         int max_episode_steps)
    : name_(std::move(name)),
      observation_space_(std::move(observation_space)),
      action_space_(std::move(action_space)),
      info_names_(std::move(info_names)),
      max_episode_steps_(max_episode_steps) {
  if (max_episode_steps_ <= 0) throw_env_error(name_, ": max_episode_steps must be positive, got ", max_episode_steps_);
}

Env::~Env() = default;

void Env::begin_task(const Task& task) {
  task_ = task;
  has_task_ = true;
  episode_index_ = -1;
}

void Env::set_schedule(std::shared_ptr<const DynamicsSchedule> schedule) { schedule_ = std::move(schedule); }

void Env::set_task_schedule(std::shared_ptr<const DynamicsSchedule> schedule) { task_schedule_ = std::move(schedule); }

void Env::apply_schedules(int step) {
  if (schedule_) schedule_->restore(*this);
  if (task_schedule_) task_schedule_->restore(*this);
  if (schedule_) schedule_->modify(*this, task(), episode_index_, step);
  if (task_schedule_) task_schedule_->modify(*this, task(), episode_index_, step);
}

bool Env::schedules_change_within_episode() const {
  return (schedule_ && schedule_->changes_within_episode()) ||
         (task_schedule_ && task_schedule_->changes_within_episode());
}

void Env::pin_episode_index(int index) {
  if (index < -1) throw_env_error(name_, ": cannot pin episode index ", index);
  pinned_episode_index_ = index;
}

void Env::reset_into(float* obs) {
  episode_index_ = pinned_episode_index_ >= 0 ? pinned_episode_index_ : episode_index_ + 1;
  elapsed_steps_ = 0;
  apply_schedules(0);
  reset_state(rng_, obs);
}

void Env::check_action(const float* action) const {
  for (int i = 0; i < act_dim(); ++i) {
    if (std::isnan(action[i])) throw_env_error(name_, ": action[", i, "] is NaN");
    if (std::isinf(action[i])) throw_env_error(name_, ": action[", i, "] is infinite (", action[i], ")");
  }
}

StepResult Env::step_unchecked(const float* action, float* obs, float* info) {
  if (episode_index_ < 0) throw_env_error(name_, ": step() called before reset()");
  if (elapsed_steps_ > 0 && schedules_change_within_episode()) apply_schedules(elapsed_steps_);
  StepResult result = advance(action, obs, info);
  ++elapsed_steps_;
  result.truncated = elapsed_steps_ >= max_episode_steps_;
  return result;
}

void Env::save_state(std::string& out) const {
  const auto words = rng_.state();
  append_bytes(out, words.data(), sizeof words);
  append_bytes(out, &episode_index_, sizeof episode_index_);
  append_bytes(out, &elapsed_steps_, sizeof elapsed_steps_);
  save_dynamic_state(out);
}

void Env::load_state(const std::string& in, size_t& offset) {
  std::array<uint64_t, 4> words;
  read_bytes(in, offset, words.data(), sizeof words, name_);
  rng_.set_state(words);
  read_bytes(in, offset, &episode_index_, sizeof episode_index_, name_);
  read_bytes(in, offset, &elapsed_steps_, sizeof elapsed_steps_, name_);
  load_dynamic_state(in, offset);
  // The schedules' changes to the model are not part of the saved state:
  // redo them for the restored chain position (mid-episode too).
  if (episode_index_ >= 0) apply_schedules(elapsed_steps_);
}

std::vector<float> Env::reset() {
  std::vector<float> obs(obs_dim());
  reset_into(obs.data());
  return obs;
}

Transition Env::step(const std::vector<float>& action) {
  if (static_cast<int>(action.size()) != act_dim())
    throw_env_error(name_, ": action has ", action.size(), " values, expected ", act_dim());
  Transition t;
  t.observation.resize(obs_dim());
  t.info.resize(info_names_.size());
  const StepResult r = step_into(action.data(), t.observation.data(), t.info.data());
  t.reward = r.reward;
  t.terminated = r.terminated;
  t.truncated = r.truncated;
  return t;
}

}  // namespace metarl
