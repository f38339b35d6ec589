#include "envs/core/registry.h"

#include <set>
#include <type_traits>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/env.h"
#include "envs/core/error.h"
#include "envs/core/task.h"

namespace metarl {

template <typename Product>
bool Registry<Product>::Entry::takes(const std::string& key) const {
  for (const auto& spec : options)
    if (spec.key == key) return true;
  return false;
}

template <typename Product>
void Registry<Product>::add(Entry entry) {
  if (entries_.count(entry.name)) throw_env_error(kind_, " '", entry.name, "' is registered twice");
  if constexpr (std::is_same_v<Product, Env>)
    if (entry.sizes.empty()) throw_env_error(kind_, " '", entry.name, "' is registered without its agents' sizes");
  std::set<std::string> keys;
  for (const auto& spec : entry.options)
    if (!keys.insert(spec.key).second)
      throw_env_error(kind_, " '", entry.name, "' declares option '", spec.key, "' twice");
  const std::string name = entry.name;
  entries_.emplace(name, std::move(entry));
}

template <typename Product>
const typename Registry<Product>::Entry& Registry<Product>::entry(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::string known;
    for (const auto& [key, entry] : entries_) known += (known.empty() ? "" : ", ") + key;
    throw_env_error("unknown ", kind_, " '", name, "' (known: ", known, ")");
  }
  return it->second;
}

template <typename Product>
Options Registry<Product>::resolve(const std::string& name, const Options& options) const {
  return resolve_options(kind_, name, entry(name).options, options);
}

template <typename Product>
std::unique_ptr<Product> Registry<Product>::create(const std::string& name, const Options& options) const {
  const Entry& e = entry(name);
  const Options resolved = resolve_options(kind_, name, e.options, options);
  auto product = e.factory(resolved);
  // Every declared option is one the component reads.
  for (const auto& spec : e.options)
    if (!resolved.was_read(spec.key))
      throw_env_error(kind_, " ", name, ": internal error: declared option '", spec.key, "' was never read");
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
