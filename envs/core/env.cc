#include "envs/core/env.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "envs/core/bytes.h"
#include "envs/core/dynamics_schedule.h"

namespace metarl {

Env::Env(std::string name, Box observation_space, Box action_space, std::vector<std::string> info_names,
         int max_episode_steps)
    : Env(std::move(name), {AgentSpaces{std::move(observation_space), std::move(action_space)}},
          std::move(info_names), max_episode_steps) {}

Env::Env(std::string name, std::vector<AgentSpaces> agents, std::vector<std::string> info_names,
         int max_episode_steps)
    : name_(std::move(name)),
      agents_(std::move(agents)),
      info_names_(std::move(info_names)),
      max_episode_steps_(max_episode_steps) {
  if (agents_.empty()) throw_env_error(name_, ": an env needs at least one agent");
  if (max_episode_steps_ <= 0) throw_env_error(name_, ": max_episode_steps must be positive, got ", max_episode_steps_);
  update_row_sizes();
}

void Env::set_observation_space(Box space, int agent) {
  agents_.at(size_t(agent)).observation = std::move(space);
  update_row_sizes();
}

void Env::update_row_sizes() {
  obs_row_size_ = act_row_size_ = 0;
  for (const auto& a : agents_) {
    obs_row_size_ = std::max(obs_row_size_, a.observation.size());
    act_row_size_ = std::max(act_row_size_, a.action.size());
  }
  agents_differ_in_size_ = false;
  for (const auto& a : agents_) agents_differ_in_size_ |= a.observation.size() != obs_row_size_;
}

void Env::pad_observation_rows(float* obs) const {
  if (!agents_differ_in_size_) return;
  for (int a = 0; a < num_agents(); ++a)
    std::fill(obs + size_t(a) * obs_row_size_ + obs_dim(a), obs + size_t(a + 1) * obs_row_size_, 0.0f);
}

Env::~Env() = default;

void Env::begin_task(const Task& task) {
  task_ = task;
  has_task_ = true;
  episode_index_ = -1;
}

namespace {

void check_accepts(const DynamicsSchedule* schedule, const Env& env) {
  if (!schedule) return;
  if (const std::string why = schedule->refusal(env); !why.empty()) throw_env_error(why);
}

}  // namespace

void Env::set_schedule(std::shared_ptr<const DynamicsSchedule> schedule) {
  check_accepts(schedule.get(), *this);
  schedule_ = std::move(schedule);
}

void Env::set_task_schedule(std::shared_ptr<const DynamicsSchedule> schedule) {
  check_accepts(schedule.get(), *this);
  task_schedule_ = std::move(schedule);
}

void Env::apply_schedules(int step) {
  std::optional<Rng> draws;
  if (schedules_draw()) draws.emplace(episode_seed_);
  const ScheduleContext context{task(), episode_index_, step, draws ? &*draws : nullptr};
  if (schedule_) schedule_->restore(*this);
  if (task_schedule_) task_schedule_->restore(*this);
  if (schedule_) schedule_->modify(*this, context);
  if (task_schedule_) task_schedule_->modify(*this, context);
}

bool Env::schedules_change_within_episode() const {
  return (schedule_ && schedule_->changes_within_episode()) ||
         (task_schedule_ && task_schedule_->changes_within_episode());
}

bool Env::schedules_draw() const {
  return (schedule_ && schedule_->draws()) || (task_schedule_ && task_schedule_->draws());
}

void Env::pin_episode_index(int index) {
  if (index < -1) throw_env_error(name_, ": cannot pin episode index ", index);
  pinned_episode_index_ = index;
}

void Env::reset_into(float* obs) {
  episode_index_ = pinned_episode_index_ >= 0 ? pinned_episode_index_ : episode_index_ + 1;
  elapsed_steps_ = 0;
  if (schedules_draw()) episode_seed_ = rng_.next_u64();
  apply_schedules(0);
  reset_state(rng_, obs);
  pad_observation_rows(obs);
}

void Env::check_action(const float* actions) const {
  for (int a = 0; a < num_agents(); ++a) {
    const float* action = actions + size_t(a) * act_row_size_;
    for (int i = 0; i < act_dim(a); ++i) {
      if (std::isfinite(action[i])) continue;
      // One-agent envs name no agent.
      const std::string who = num_agents() == 1 ? name_ + ": action" : name_ + ": agent " + std::to_string(a) + " action";
      if (std::isnan(action[i])) throw_env_error(who, "[", i, "] is NaN");
      throw_env_error(who, "[", i, "] is infinite (", action[i], ")");
    }
  }
}

StepResult Env::step_unchecked(const float* actions, float* obs, double* rewards, float* info) {
  if (episode_index_ < 0) throw_env_error(name_, ": step() called before reset()");
  if (elapsed_steps_ > 0 && schedules_change_within_episode()) apply_schedules(elapsed_steps_);
  StepResult result = advance(actions, obs, rewards, info);
  pad_observation_rows(obs);
  ++elapsed_steps_;
  result.truncated = elapsed_steps_ >= max_episode_steps_;
  return result;
}

void Env::save_state(std::string& out) const {
  const auto words = rng_.state();
  append_bytes(out, words.data(), sizeof words);
  append_bytes(out, &episode_index_, sizeof episode_index_);
  append_bytes(out, &elapsed_steps_, sizeof elapsed_steps_);
  if (schedules_draw()) append_bytes(out, &episode_seed_, sizeof episode_seed_);
  save_dynamic_state(out);
}

void Env::load_state(const std::string& in, size_t& offset) {
  std::array<uint64_t, 4> words;
  read_bytes(in, offset, words.data(), sizeof words, name_);
  rng_.set_state(words);
  read_bytes(in, offset, &episode_index_, sizeof episode_index_, name_);
  read_bytes(in, offset, &elapsed_steps_, sizeof elapsed_steps_, name_);
  if (schedules_draw()) read_bytes(in, offset, &episode_seed_, sizeof episode_seed_, name_);
  load_dynamic_state(in, offset);
  // The schedules' changes to the model are not part of the saved state:
  // redo them for the restored chain position (mid-episode too).
  if (episode_index_ >= 0) apply_schedules(elapsed_steps_);
}

std::vector<float> Env::reset() {
  std::vector<float> obs(size_t(num_agents()) * obs_row_size_);
  reset_into(obs.data());
  return obs;
}

Transition Env::step(const std::vector<float>& actions) {
  const size_t expected = size_t(num_agents()) * act_row_size_;
  if (actions.size() != expected) {
    if (num_agents() == 1) throw_env_error(name_, ": action has ", actions.size(), " values, expected ", act_dim());
    throw_env_error(name_, ": actions have ", actions.size(), " values, expected ", num_agents(), " agents x ",
                    act_row_size_);
  }
  Transition t;
  t.observation.resize(size_t(num_agents()) * obs_row_size_);
  t.info.resize(size_t(num_agents()) * info_names_.size());
  t.rewards.resize(size_t(num_agents()));
  const StepResult r = step_into(actions.data(), t.observation.data(), t.rewards.data(), t.info.data());
  t.reward = t.rewards[0];
  t.terminated = r.terminated;
  t.truncated = r.truncated;
  return t;
}

}  // namespace metarl
