// `metarl run`: trains one experiment described by a YAML file and writes its
// output directory (config.yaml, metrics.csv, summary.json, checkpoints/,
// plots/). Running again on the same directory resumes from its checkpoint.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/communicator.h"
#include "agents/iterative_trainer.h"
#include "agents/policy.h"
#include "envs/vector_env.h"
#include "experiments/config.h"

namespace metarl {

// A run built from its configuration: the envs and the trainer, and the
// settings `metarl run` needs around them.
struct Experiment {
  std::string name, algorithm, env_name, task_family;
  int64_t seed = 0, threads = 2, total_env_steps = 0, checkpoint_every = 10;
  int64_t snapshot_every_env_steps = 0;  // > 0: keep checkpoints/steps_N.pt at every multiple N
  int64_t world_size = 1;  // the processes it was configured for (world_size, set by --world-size)
  std::string resolved_config;
  std::unique_ptr<VectorEnv> env;              // declared before the trainer, which refers to it
  // Built by the algorithm's own file (experiments/algorithms/); test-time
  // adaptation finds what it needs through the interfaces of
  // meta/test_time_adaptation.h that the trainer implements.
  std::unique_ptr<IterativeTrainer> trainer;
};

// The policy section of an experiment (policy.type gaussian_mlp or lstm and
// their keys), as read from `cfg`, and the policy it describes (initialised
// from torch's global generator).
struct PolicySettings {
  std::string type;
  MlpPolicyConfig mlp;
  LstmPolicyConfig lstm;
  // policy.init_from: a run or RUN/checkpoints/NAME.pt whose policy parameters
  // a fresh run starts from instead of a random initialisation (a resumed one
  // continues from its own checkpoint). The architectures must match, and
  // neither run may normalise observations (their statistics are not carried).
  std::string init_from;
};
PolicySettings read_policy(ExperimentConfig& cfg);
std::unique_ptr<Policy> make_policy(const PolicySettings& settings, int obs_dim, int act_dim);

// Reads every setting from `cfg` (rejecting unknown keys) and builds the run.
// `fresh_run`: the run starts here, so its policy starts from
// policy.init_from when given; otherwise (a run rebuilt to load one of its
// checkpoints: resumed, adapted, reduced) that key is not acted on.
// `processes`: the run's; this one builds its share of the envs.
Experiment build_experiment(ExperimentConfig& cfg, const std::string& default_name, bool fresh_run = false,
                            const Communicator& processes = single_process());

struct RunOptions {
  std::string experiment_path;
  std::string out_dir;                 // empty: out/<experiment name>
  std::vector<std::string> overrides;  // "key.path=value"
  std::optional<int64_t> seed;
  std::optional<int64_t> threads;
  // Stop after this many iterations of this process (0: no limit), counted
  // from where it starts: a run resumed at iteration 40 with 10 stops at 50.
  // To split long runs across sessions, and for tests of resuming.
  int64_t max_iterations = 0;
  // Without a terminal, a plain progress line after the first iteration, the
  // last (of the run or of this process), and the first iteration that ends
  // this long after the previous line.
  double progress_every_seconds = 30;
  // One process of several (--world-size, --rank, --master): every process
  // trains its share, rank 0 writes the outputs, and each keeps its own
  // checkpoint (checkpoints/latest.pt for rank 0, latest.rank<R>.pt for the
  // others) to resume with the same world size.
  DistributedConfig distributed;
};

// Returns the output directory.
std::string run_experiment(const RunOptions& options);

}  // namespace metarl
