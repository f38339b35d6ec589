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

std::string CompositeSchedule::refusal(const Env& env) const {
  for (const auto& part : parts_)
    if (std::string why = part->refusal(env); !why.empty()) return why;
  return "";
}

void CompositeSchedule::restore(Env& env) const {
  for (const auto& part : parts_) part->restore(env);
}

void CompositeSchedule::modify(Env& env, const ScheduleContext& context) const {
  for (const auto& part : parts_) part->modify(env, context);
}

bool CompositeSchedule::changes_within_episode() const {
  return std::any_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->changes_within_episode(); });
}

bool CompositeSchedule::draws() const {
  return std::any_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->draws(); });
}

}  // namespace metarl
