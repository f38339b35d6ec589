// Registries of environments, task families and dynamics schedules.
//
// Each component registers itself from its own .cc file with a static
// Registration object, so adding one is adding one file (plus its asset):
//
//   const Registration<Env> kRegisterAnt(env_registry(), "Ant", "4-legged ...",
//       {{105, 8}},                                  // sizes per agent (envs only)
//       {int_option("frame_skip", 5, "...").positive(), ...},
//       [](const Options& options) { return std::make_unique<AntEnv>(options); });
//
// An entry is the component's metadata: a description, its options (key,
// type, default, range, help) and, for an env, the observation and action
// sizes of each agent under the default options, so `metarl list` can show
// them without building anything. `create` resolves the given options
// against the entry's (resolve_options: unknown keys, wrong types and
// out-of-range values are errors; defaults are filled in) and hands the
// factory the complete options, which the component reads without
// fallbacks: each default is written once, in the entry.
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

// One agent's observation and action sizes.
struct AgentSizes {
  int obs = 0;
  int act = 0;
};

template <typename Product>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Product>(const Options&)>;
  struct Entry {
    std::string name;
    std::string description;
    OptionSpecs options;
    // Envs: each agent's sizes with the default options (empty otherwise).
    std::vector<AgentSizes> sizes;
    Factory factory;
    // Whether `key` is among the options.
    bool takes(const std::string& key) const;
  };

  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(Entry entry);
  bool contains(const std::string& name) const { return entries_.count(name) > 0; }
  // The entry of `name`; an unknown name is an error listing the known ones.
  const Entry& entry(const std::string& name) const;
  // `options` resolved against the entry's specs (defaults filled in).
  Options resolve(const std::string& name, const Options& options = {}) const;
  // Builds `name` from `options` resolved; unknown names, undeclared options,
  // wrong types and out-of-range values are errors.
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
  // Task families and schedules.
  Registration(Registry<Product>& registry, std::string name, std::string description, OptionSpecs options,
               typename Registry<Product>::Factory factory) {
    registry.add({std::move(name), std::move(description), std::move(options), {}, std::move(factory)});
  }
  // Envs: with each agent's sizes under the default options.
  Registration(Registry<Product>& registry, std::string name, std::string description, std::vector<AgentSizes> sizes,
               OptionSpecs options, typename Registry<Product>::Factory factory) {
    registry.add({std::move(name), std::move(description), std::move(options), std::move(sizes), std::move(factory)});
  }
};

// Shorthands used everywhere else.
std::unique_ptr<Env> make_env(const std::string& name, const Options& options = {});
std::unique_ptr<TaskFamily> make_task_family(const std::string& name, const Options& options = {});
std::unique_ptr<DynamicsSchedule> make_schedule(const std::string& name, const Options& options = {});

}  // namespace metarl
