#include "experiments/algorithm.h"

#include <map>
#include <stdexcept>

namespace metarl {
namespace {

std::map<std::string, AlgorithmEntry>& registry() {
  static std::map<std::string, AlgorithmEntry> entries;
  return entries;
}

}  // namespace

AlgorithmRegistration::AlgorithmRegistration(std::string name, std::string description,
                                             std::function<std::unique_ptr<Algorithm>(const std::string&)> factory) {
  auto& entries = registry();
  if (entries.count(name)) throw std::logic_error("algorithm '" + name + "' is registered twice");
  const std::string key = name;
  entries.emplace(key, AlgorithmEntry{std::move(name), std::move(description), std::move(factory)});
}

std::vector<const AlgorithmEntry*> algorithm_entries() {
  std::vector<const AlgorithmEntry*> out;
  for (const auto& [name, entry] : registry()) out.push_back(&entry);
  return out;
}

std::unique_ptr<Algorithm> make_algorithm(const std::string& name, const ExperimentConfig& cfg) {
  const auto it = registry().find(name);
  if (it == registry().end()) {
    std::string known;
    for (const auto& [key, entry] : registry()) known += (known.empty() ? "" : ", ") + key;
    throw ConfigError(cfg.source() + ": algorithm.name '" + name + "' is unknown (known: " + known + ")");
  }
  return it->second.factory(name);
}

void read_trpo(ExperimentConfig& cfg, TrpoConfig& r) {
  r.max_kl = cfg.get_double("algorithm.max_kl", r.max_kl, Bounds::positive());
  r.cg_iterations = cfg.get_int("algorithm.cg_iterations", r.cg_iterations, Bounds::at_least(1));
  r.cg_damping = cfg.get_double("algorithm.cg_damping", r.cg_damping, Bounds::non_negative());
  r.backtrack_ratio = cfg.get_double("algorithm.backtrack_ratio", r.backtrack_ratio, {0.0, 1.0, true, true});
  r.max_backtracks = cfg.get_int("algorithm.max_backtracks", r.max_backtracks, Bounds::non_negative());
}

}  // namespace metarl
