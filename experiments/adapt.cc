#include "experiments/adapt.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "agents/checkpoint.h"
#include "agents/compute_threads.h"
#include "experiments/config.h"
#include "experiments/io.h"
#include "experiments/players.h"
#include "experiments/run.h"
#include "experiments/stats.h"
#include "experiments/algorithm.h"
#include "meta/selfplay_ensemble.h"
#include "meta/selfplay_trainer.h"
#include "meta/test_time_adaptation.h"

#ifndef METARL_SOURCE_DIR
#error "METARL_SOURCE_DIR must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace metarl {
namespace {

std::string number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", x);
  return buffer;
}

// Appends one policy's curve: for each column s of `returns` ([task][s]), the
// mean over tasks and its 95% confidence interval (experiments/stats.h), and
// every task's value.
void append_curve(const std::string& label, const std::vector<Task>& tasks,
                  const std::vector<std::vector<double>>& returns, int64_t first_x, const char* x_name,
                  std::string& summary, std::string& per_task) {
  for (size_t s = 0; s < returns.front().size(); ++s) {
    std::vector<double> column;
    for (const auto& r : returns) column.push_back(r[s]);
    const MeanWithInterval over_tasks = mean_with_ci95(column);
    const std::string x = std::to_string(first_x + int64_t(s));
    summary += label + "," + x + "," + number(over_tasks.mean) + "," + number(over_tasks.ci95) + "\n";
    std::cerr << "adapt: " << label << ", " << x_name << " " << x << ": " << number(over_tasks.mean) << " ± "
              << number(over_tasks.ci95) << " over " << returns.size() << " tasks\n";
    for (size_t t = 0; t < returns.size(); ++t)
      per_task += label + ",\"" + tasks[t].to_string() + "\"," + x + "," + number(returns[t][s]) + "\n";
  }
}

// A run directory (its latest checkpoint), or one checkpoint of a run,
// RUN/checkpoints/NAME.pt (a snapshot, for comparisons at equal budgets).
struct RunCheckpoint {
  fs::path run_dir, checkpoint;
  bool one_checkpoint = false;
};

RunCheckpoint locate_run(const std::string& command, const std::string& run) {
  RunCheckpoint out;
  out.one_checkpoint = fs::path(run).extension() == ".pt";
  const fs::path normal = fs::path(run).lexically_normal();  // "runs/maml/" ends in an empty name
  out.run_dir = out.one_checkpoint ? normal.parent_path().parent_path()
                : normal.filename().empty() ? normal.parent_path()
                                            : normal;
  out.checkpoint = out.one_checkpoint ? fs::path(run) : out.run_dir / "checkpoints" / "latest.pt";
  const fs::path config = out.run_dir / "config.yaml";
  if (!fs::exists(config) || !fs::exists(out.checkpoint))
    throw std::runtime_error(command + ": " + run + " is not a run directory or checkpoint (no " + config.string() +
                             " or " + out.checkpoint.string() + ")");
  return out;
}

// The run's trainer as adapt evaluates it: the interfaces of meta/test_time_adaptation.h.
AdaptableRun* adaptable_run(const std::string& command, Experiment& x, const std::string& dir) {
  auto* adaptable = dynamic_cast<AdaptableRun*>(x.trainer.get());
  if (!adaptable)
    throw std::runtime_error(command + ": " + dir + " is a " + x.algorithm +
                             " run, which does not adapt at test time (metarl list says which algorithms do; "
                             "RL²: env.trial_episodes)");
  return adaptable;
}

}  // namespace

void reduce_checkpoints(const std::vector<std::string>& runs) {
  if (runs.empty()) throw std::runtime_error("reduce: no run directory or checkpoint given");
  for (const std::string& run : runs) {
    const RunCheckpoint located = locate_run("reduce", run);
    ExperimentConfig cfg = ExperimentConfig::load((located.run_dir / "config.yaml").string());
    Experiment x = build_experiment(cfg, located.run_dir.filename().string());
    const std::string path = located.checkpoint.string();
    const auto before = fs::file_size(located.checkpoint);
    if (dynamic_cast<SelfplayTrainer*>(x.trainer.get()) || dynamic_cast<SelfplayEnsemble*>(x.trainer.get())) {
      // A self-play run (an ensemble: its member 0) is evaluated as a match player: keep what
      // load_player reads, read it as `metarl match` does before and after.
      const VectorEnv& env = *x.env;
      const auto read_as_player = [&] {
        (void)load_player(path, env.observation_space(0).size(), env.action_space(0), env.env(0).name());
      };
      read_as_player();
      reduce_checkpoint(path, player_records(), "metarl reduce");
      read_as_player();
    } else {
      AdaptableRun* adaptable = adaptable_run("reduce", x, located.run_dir.string());
      // Read as adapt reads it before and after: a checkpoint of another
      // configuration is refused before it is touched, and a record the list
      // forgot shows at once.
      adaptable->load_for_adaptation(path);
      reduce_checkpoint(path, adaptable->records_for_adaptation(), "metarl reduce");
      adaptable->load_for_adaptation(path);
    }
    std::cerr << "reduce: " << path << ": " << before << " -> " << fs::file_size(located.checkpoint)
              << " bytes (evaluation only)" << std::endl;
  }
}

void run_adaptation(const AdaptOptions& options) {
  if (options.run_dirs.empty()) throw std::runtime_error("adapt: no run directory given");
  if (options.tasks < 2) throw std::runtime_error("adapt: --tasks must be at least 2 (for a confidence interval)");
  if (options.steps < 0) throw std::runtime_error("adapt: --steps must be >= 0");
  if (options.chain_episodes < 0) throw std::runtime_error("adapt: --chain must be >= 0");
  if (options.history < 1) throw std::runtime_error("adapt: --history must be >= 1");
  for (const double lr : options.inner_lrs)
    if (!(lr > 0)) throw std::runtime_error("adapt: --inner-lr " + number(lr) + " is not positive");
  if (options.threads < 0) throw std::runtime_error("adapt: --threads must be >= 0");
  if (options.threads > 0) set_compute_threads(options.threads);
  const fs::path out = options.out_dir.empty() ? fs::path(options.run_dirs.front()) : fs::path(options.out_dir);
  fs::create_directories(out);

  const bool chains = options.chain_episodes > 0;
  const char* x_name = chains ? "episode" : "steps";
  std::string summary = std::string("policy,") + x_name + ",mean_return,ci95\n";
  std::string per_task = std::string("policy,task,") + x_name + ",return\n";
  for (const std::string& run : options.run_dirs) {
    const RunCheckpoint located = locate_run("adapt", run);
    const fs::path& run_dir = located.run_dir;
    const fs::path& checkpoint = located.checkpoint;
    const std::string dir = run_dir.string();
    ExperimentConfig cfg = ExperimentConfig::load((run_dir / "config.yaml").string());
    if (!options.family.empty()) cfg.set("env.task_family=" + options.family);
    for (const auto& option : options.family_options) cfg.set("env.family_options." + option);
    Experiment x = build_experiment(cfg, run_dir.filename().string());
    // Label: the run directory's name (e.g. maml, maml_no_score, pretrained),
    // and the checkpoint's when one was named (pretrained@steps_3000000).
    const std::string label =
        run_dir.filename().string() + (located.one_checkpoint ? "@" + checkpoint.stem().string() : std::string());
    Rng task_rng(derive_seed(options.seed, 0xada));
    // What the trainer adapts by: the interfaces of meta/test_time_adaptation.h.
    auto* on_tasks = dynamic_cast<TaskAdapter*>(x.trainer.get());
    auto* on_chains = dynamic_cast<ChainAdapter*>(x.trainer.get());
    AdaptableRun* adaptable = adaptable_run("adapt", x, dir);
    if (chains && !on_chains)
      throw std::runtime_error("adapt: " + dir + " is a " + x.algorithm + " run, which adapts on fresh tasks only: " +
                               "evaluate it without --chain");
    if (!chains && !on_tasks)
      throw std::runtime_error("adapt: " + dir + " is an RL² run (env.trial_episodes): evaluate it with --chain");
    adaptable->load_for_adaptation(checkpoint.string());

    const auto tasks = adaptable->family().sample(int(options.tasks), task_rng);
    // Every curve starts from the same seed: the same episodes until the
    // policies differ (before adaptation, or a chain's first episode).
    const uint64_t episode_seed = derive_seed(options.seed, 0xe5a1);
    // 0: the trained step sizes, under the run's own label. Adaptation
    // without steps (RL²'s recurrent state) has one curve, whatever --inner-lr says.
    const bool by_steps = !chains || on_chains->adapts_by_steps();
    const std::vector<double> step_sizes =
        options.inner_lrs.empty() || !by_steps ? std::vector<double>{0} : options.inner_lrs;
    // A refusal of the run's own (an RL² run of other trials) names the run.
    auto evaluate = [&](const std::string& protocol, double lr) {
      try {
        return chains ? on_chains->chain_curve(tasks, options.chain_episodes, options.history, protocol, lr)
                      : on_tasks->adaptation_returns(tasks, options.steps, lr);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error("adapt: " + dir + " " + e.what());
      }
    };
    for (const double lr : step_sizes) {
      const std::string curve = lr > 0 ? label + ":lr=" + number(lr) : label;
      adaptable->reseed(episode_seed);
      std::vector<std::vector<double>> returns;
      try {
        returns = evaluate("", lr);
      } catch (const AdaptationDiverged& e) {
        // A step size too large for these tasks (a swept one, or the run's
        // own off its training data): a result, not an error. No curve for
        // it; the other curves and runs go on.
        std::cerr << "adapt: " << curve << ": " << e.what() << "; no curve written for it" << std::endl;
        continue;
      }
      append_curve(curve, tasks, returns, chains ? 1 : 0, x_name, summary, per_task);
    }
    if (!chains) continue;
    // The baselines along chains, which no step size changes.
    for (const std::string& suffix : on_chains->chain_baselines(options.theta_episodes)) {
      adaptable->reseed(episode_seed);
      std::vector<std::vector<double>> returns;
      try {
        returns = evaluate(suffix, 0);
      } catch (const AdaptationDiverged& e) {
        std::cerr << "adapt: " << label + suffix << ": " << e.what() << "; no curve written for it" << std::endl;
        continue;
      }
      append_curve(label + suffix, tasks, returns, 1, x_name, summary, per_task);
    }
  }
  const std::string name = chains ? "adapt_chain" : "adapt";
  write_file_atomically((out / (name + ".csv")).string(), summary);
  write_file_atomically((out / (name + "_tasks.csv")).string(), per_task);
  const std::string command = "/usr/bin/python3 '" + std::string(METARL_SOURCE_DIR) + "/scripts/plot_adapt.py' '" +
                              (out / (name + ".csv")).string() + "' '" + (out / (name + ".png")).string() +
                              "' > /dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("adapt: plotting failed: " + command);
}

}  // namespace metarl
