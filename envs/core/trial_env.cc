#include "envs/core/trial_env.h"

#include <algorithm>
#include <cstdint>

#include "envs/core/bytes.h"

namespace metarl {
namespace {

std::vector<std::string> with_trial_episode(std::vector<std::string> names) {
  names.push_back("trial_episode");
  return names;
}

int checked_length(const Env& inner, int episodes) {
  if (episodes < 1) throw_env_error("TrialEnv(", inner.name(), "): episodes per trial must be >= 1, got ", episodes);
  return episodes * inner.max_episode_steps();
}

}  // namespace

TrialEnv::TrialEnv(std::unique_ptr<Env> inner, int episodes, std::shared_ptr<const TaskFamily> family)
    : Env(inner->name() + "Trial", Box::unbounded(inner->obs_dim() + 2), inner->action_space(),
          with_trial_episode(inner->info_names()), checked_length(*inner, episodes)),
      inner_(std::move(inner)),
      episodes_(episodes),
      family_(std::move(family)) {
  if (!family_) throw_env_error(name(), ": a trial needs the task family its chains come from");
  if (inner_->num_agents() != 1)
    throw_env_error(name(), ": trials wrap one-agent envs, not ", inner_->num_agents(), " agents");
}

void TrialEnv::fix_task(const Task& task) { fixed_task_ = task; }

void TrialEnv::write_extras(float* obs, double previous_reward, bool episode_start) const {
  obs[inner_->obs_dim()] = float(previous_reward);
  obs[inner_->obs_dim() + 1] = episode_start ? 1.0f : 0.0f;
}

void TrialEnv::reset_state(Rng& rng, float* obs) {
  trial_task_ = fixed_task_ ? *fixed_task_ : family_->sample(1, rng).front();
  family_->apply(*inner_, trial_task_);  // a new chain: the next inner reset is its episode 0
  inner_->seed(rng.next_u64());          // the wrapped env's noise, from this env's stream
  trial_episode_ = 0;
  inner_->reset_into(obs);
  write_extras(obs, 0.0, true);
}

StepResult TrialEnv::advance(const float* action, float* obs, double* rewards, float* info) {
  const StepResult inner = inner_->step_unchecked(action, obs, rewards, info);
  info[inner_->info_names().size()] = float(trial_episode_);
  StepResult result;
  const bool inner_done = inner.terminated || inner.truncated;
  if (inner_done && trial_episode_ + 1 < episodes_) {
    // The trial goes on with the chain's next task; the policy's state is
    // not reset (only the flag tells it an episode began).
    ++trial_episode_;
    inner_->reset_into(obs);
    write_extras(obs, rewards[0], true);
  } else {
    // The trial's return ends with its last inner episode, whatever ended that.
    result.terminated = inner_done;
    write_extras(obs, rewards[0], false);
  }
  return result;
}

void TrialEnv::save_dynamic_state(std::string& out) const {
  const std::string task = trial_task_.family().empty() ? "" : trial_task_.to_string();
  const uint64_t length = task.size();
  append_bytes(out, &length, sizeof length);
  out += task;
  append_bytes(out, &trial_episode_, sizeof trial_episode_);
  inner_->save_state(out);
}

void TrialEnv::load_dynamic_state(const std::string& in, size_t& offset) {
  uint64_t length = 0;
  read_bytes(in, offset, &length, sizeof length, name());
  std::string task(std::min<uint64_t>(length, in.size()), '\0');
  read_bytes(in, offset, task.data(), length, name());
  if (!task.empty()) {
    trial_task_ = Task::parse(task);
    family_->apply(*inner_, trial_task_);  // the task first: load_state restores the chain position after it
  }
  read_bytes(in, offset, &trial_episode_, sizeof trial_episode_, name());
  inner_->load_state(in, offset);
}

}  // namespace metarl
