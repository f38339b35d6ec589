#include "envs/core/dynamics_schedule.h"

#include <algorithm>

#include "envs/core/error.h"

namespace metarl {

CompositeSchedule::CompositeSchedule(std::vector<std::shared_ptr<const DynamicsSchedule>> parts)
    : parts_(std::move(parts)) {
  for (const auto& part : parts_)
    if (!part) throw_env_error("Composite schedule: a part is null");
}

std::string CompositeSchedule::describe() const {
  std::string out;
  for (const auto& part : parts_) out += (out.empty() ? "" : " + ") + part->describe();
  return out.empty() ? "Composite()" : out;
}

void CompositeSchedule::restore(Env& env) const {
  for (const auto& part : parts_) part->restore(env);
}

void CompositeSchedule::modify(Env& env, const Task* task, int episode_index, int step) const {
  for (const auto& part : parts_) part->modify(env, task, episode_index, step);
}

bool CompositeSchedule::changes_within_episode() const {
  return std::any_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->changes_within_episode(); });
}

}  // namespace metarl
