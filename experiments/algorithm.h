// The algorithms of `metarl run`. Each is one file under
// experiments/algorithms/ that reads its own `algorithm:` section of an
// experiment file, builds its trainer and describes itself for `metarl list`,
// and registers itself with a static AlgorithmRegistration, as envs register
// themselves (envs/core/registry.h):
//
//   const AlgorithmRegistration kRegisterReptile("reptile", "Reptile (Nichol et al. 2018) ...",
//       [] { return std::make_unique<ReptileAlgorithm>(); });
//
// A key means the same thing in every file that reads it: MAML's
// learning_rate, epochs, minibatches and clip_range are those of its PPO
// outer step, as PPO's are of its step; a key that meant something else
// would get its own name (Reptile's outer_step_size is not a learning rate).
//
// Adding an algorithm is adding that file: experiments/ is globbed, and its
// objects are all linked into the program and the tests (an object library,
// experiments/CMakeLists.txt), so no registration is dropped by the linker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agents/communicator.h"
#include "agents/iterative_trainer.h"
#include "agents/trpo.h"
#include "envs/core/dynamics_schedule.h"
#include "envs/core/options.h"
#include "envs/core/task.h"
#include "envs/vector_env.h"
#include "experiments/config.h"

namespace metarl {

// The env section of an experiment, as read (experiments/run.cc).
struct EnvSettings {
  std::string name;
  Options options;
  int64_t num_envs;
  std::string task_family;
  Options family_options;
  std::string task;  // a fixed task for every env; empty: one sampled task per env
  std::shared_ptr<const DynamicsSchedule> schedule;  // env.schedules composed; null: none
  // > 0: RL². Every env is a TrialEnv of this many consecutive episodes of
  // one chain, a new task from the family per trial; or, for an algorithm
  // whose trials are rounds of matches (Algorithm::trials_are_rounds), a
  // trial is this many rounds.
  int64_t trial_episodes = 0;
};

// What an algorithm builds its trainer from.
struct TrainerParts {
  VectorEnv& env;
  // The configured task family (null without one). The envs already run its
  // tasks unless the algorithm samples its own (Algorithm::samples_tasks).
  std::unique_ptr<TaskFamily> family;
  // RL² runs (env.trial_episodes): the family whose chains the trials draw,
  // shared by the envs (`family` is then null).
  std::shared_ptr<const TaskFamily> trial_family;
  std::unique_ptr<Policy> policy;
  uint64_t seed = 0;
  int64_t total_env_steps = 0;
  int64_t trial_episodes = 0;  // env.trial_episodes
  // The processes of the run; `env` holds this one's share of the envs
  // (Algorithm::env_group_size).
  const Communicator& processes = single_process();
};

// A network whose size `metarl run` checks against the machine's memory: the
// key that sets it and its hidden layers (inputs: the observation).
struct NetworkSize {
  std::string key;
  std::vector<int64_t> hidden;
  int64_t outputs = 1;
};

// One algorithm of one experiment, from reading its keys to its trainer.
// build_experiment (experiments/run.cc) calls, in this order: read, then
// reads the env section with num_envs(), check_env_keys, reads the policy
// and training sections, rejects unknown keys, check, builds the envs
// (giving them tasks unless samples_tasks()), checks the networks' sizes and
// makes the policy, and build.
class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // Reads every algorithm.* key it uses (algorithm.name is read already).
  virtual void read(ExperimentConfig& cfg) = 0;
  // The number of envs it runs, when it decides it (MAML: tasks × episodes
  // per task); 0: env.num_envs decides.
  virtual int64_t num_envs() const = 0;
  // Refuses env settings it cannot run, before the policy's keys are read.
  virtual void check_env_keys(const ExperimentConfig& cfg, const EnvSettings& env) const = 0;
  // Checks that relate its settings to the env's, once every key is read.
  virtual void check(const ExperimentConfig& cfg, const EnvSettings& env) const = 0;
  // Whether it assigns tasks to the envs itself (a meta-batch per iteration).
  virtual bool samples_tasks() const = 0;
  // How a run over several processes (--world-size) shares its envs `env`:
  // in whole groups of this many consecutive envs (MAML: a task's episodes;
  // PPO: one env), each process taking its share of the groups in order; 0:
  // the algorithm does not run over several processes with these settings.
  virtual int64_t env_group_size(const EnvSettings& /*env*/) const { return 0; }
  // How many copies of the policy's parameters it holds at once (MAML: one
  // per task and inner step), for the memory check.
  virtual int64_t policy_copies() const = 0;
  // Its value network, if it has one, for the same check.
  virtual std::optional<NetworkSize> value_network() const = 0;
  // Whether its policy acts on observations normalised by running
  // statistics that its checkpoints hold ("obs_normalizer"), which whoever
  // plays a run's policy (experiments/players.h) must apply too.
  virtual bool normalizes_observations() const { return false; }
  // Whether its RL² trials (env.trial_episodes) are rounds of matches it
  // plays itself (selfplay_ppo) rather than TrialEnvs over a task family's
  // chains: then no env is wrapped, and its policy takes the Sampler's
  // kTrialInputs inputs after the observation (agents/sampler.h).
  virtual bool trials_are_rounds() const { return false; }
  // Whether its policy takes the Sampler's RL² inputs in an env whose
  // env.trial_episodes is `trial_episodes`: trials of rounds it plays itself.
  bool policy_takes_trial_inputs(int64_t trial_episodes) const { return trial_episodes > 0 && trials_are_rounds(); }
  // The trainer. A combination of settings that the trainer refuses is a
  // ConfigError naming cfg's file.
  virtual std::unique_ptr<IterativeTrainer> build(const ExperimentConfig& cfg, TrainerParts parts) = 0;
};

struct AlgorithmEntry {
  std::string name;
  std::string description;  // one line, for `metarl list`
  std::function<std::unique_ptr<Algorithm>(const std::string& name)> factory;
};

struct AlgorithmRegistration {
  AlgorithmRegistration(std::string name, std::string description,
                        std::function<std::unique_ptr<Algorithm>(const std::string& name)> factory);
};

// Sorted by name.
std::vector<const AlgorithmEntry*> algorithm_entries();
// The algorithm `name`; an unknown name is a ConfigError naming cfg's file
// and the known ones.
std::unique_ptr<Algorithm> make_algorithm(const std::string& name, const ExperimentConfig& cfg);

// TRPO's keys (algorithm.max_kl, cg_iterations, cg_damping,
// backtrack_ratio, max_backtracks), for every algorithm with a TRPO step.
void read_trpo(ExperimentConfig& cfg, TrpoConfig& trpo);

}  // namespace metarl
