#include "envs/core/registry.h"

#include "envs/core/dynamics_schedule.h"
#include "envs/core/env.h"
#include "envs/core/error.h"
#include "envs/core/task.h"

namespace metarl {

template <typename Product>
void Registry<Product>::add(Entry entry) {
  if (entries_.count(entry.name)) throw_env_error(kind_, " '", entry.name, "' is registered twice");
  const std::string name = entry.name;
  entries_.emplace(name, std::move(entry));
}

template <typename Product>
std::unique_ptr<Product> Registry<Product>::create(const std::string& name, const Options& options) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::string known;
    for (const auto& [key, entry] : entries_) known += (known.empty() ? "" : ", ") + key;
    throw_env_error("unknown ", kind_, " '", name, "' (known: ", known, ")");
  }
  auto product = it->second.factory(options);
  options.reject_unused(kind_ + " " + name);
  return product;
}

template <typename Product>
std::vector<const typename Registry<Product>::Entry*> Registry<Product>::entries() const {
  std::vector<const Entry*> out;
  for (const auto& [name, entry] : entries_) out.push_back(&entry);
  return out;
}

template class Registry<Env>;
template class Registry<TaskFamily>;
template class Registry<DynamicsSchedule>;

Registry<Env>& env_registry() {
  static Registry<Env> registry("env");
  return registry;
}

Registry<TaskFamily>& task_family_registry() {
  static Registry<TaskFamily> registry("task family");
  return registry;
}

Registry<DynamicsSchedule>& schedule_registry() {
  static Registry<DynamicsSchedule> registry("schedule");
  return registry;
}

std::unique_ptr<Env> make_env(const std::string& name, const Options& options) {
  return env_registry().create(name, options);
}

std::unique_ptr<TaskFamily> make_task_family(const std::string& name, const Options& options) {
  return task_family_registry().create(name, options);
}

std::unique_ptr<DynamicsSchedule> make_schedule(const std::string& name, const Options& options) {
  return schedule_registry().create(name, options);
}

}  // namespace metarl
