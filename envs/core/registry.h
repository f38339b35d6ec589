// Registries of environments, task families and dynamics schedules.
//
// Each component registers itself from its own .cc file with a static
// Registration object, so adding one is adding one file (plus its asset):
//
//   const Registration<Env> kRegisterAnt(env_registry(), "Ant", "4-legged ...",
//       [](const Options& options) { return std::make_unique<AntEnv>(options); });
//
// envs/ is built as a shared library so that these static objects are never
// dropped by the linker.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "envs/core/options.h"

namespace metarl {

class Env;
class TaskFamily;
class DynamicsSchedule;

template <typename Product>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Product>(const Options&)>;
  struct Entry {
    std::string name;
    std::string description;
    Factory factory;
  };

  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(Entry entry);
  bool contains(const std::string& name) const { return entries_.count(name) > 0; }
  // Builds `name` from `options`; unknown names and unused options are errors.
  std::unique_ptr<Product> create(const std::string& name, const Options& options = {}) const;
  // Sorted by name.
  std::vector<const Entry*> entries() const;
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::map<std::string, Entry> entries_;
};

Registry<Env>& env_registry();
Registry<TaskFamily>& task_family_registry();
Registry<DynamicsSchedule>& schedule_registry();

template <typename Product>
struct Registration {
  Registration(Registry<Product>& registry, std::string name, std::string description,
               typename Registry<Product>::Factory factory) {
    registry.add({std::move(name), std::move(description), std::move(factory)});
  }
};

// Shorthands used everywhere else.
std::unique_ptr<Env> make_env(const std::string& name, const Options& options = {});
std::unique_ptr<TaskFamily> make_task_family(const std::string& name, const Options& options = {});
std::unique_ptr<DynamicsSchedule> make_schedule(const std::string& name, const Options& options = {});

}  // namespace metarl
