#include "experiments/run.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <torch/torch.h>

#include "agents/checkpoint.h"
#include "agents/compute_threads.h"
#include "agents/stopwatch.h"
#include "agents/trainer.h"
#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/core/trial_env.h"
#include "envs/vector_env.h"
#include "experiments/algorithm.h"
#include "experiments/config.h"
#include "experiments/io.h"
#include "experiments/players.h"

#ifndef METARL_SOURCE_DIR
#error "METARL_SOURCE_DIR must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace metarl {
namespace {

Options to_options(const std::map<std::string, std::string>& values) {
  Options options;
  for (const auto& [key, value] : values) options.set(key, value);
  return options;
}

// fixed_num_envs > 0: the algorithm decides the number of envs (MAML: tasks x episodes).
EnvSettings read_env(ExperimentConfig& cfg, int64_t fixed_num_envs, bool trials_are_rounds) {
  EnvSettings s;
  s.name = cfg.get_string_required("env.name");
  s.options = to_options(cfg.get_string_map("env.options"));
  s.num_envs = fixed_num_envs > 0 ? fixed_num_envs : cfg.get_int("env.num_envs", 8, Bounds::at_least(1));
  s.task_family = cfg.get_string("env.task_family", "");
  s.family_options = to_options(cfg.get_string_map("env.family_options"));
  s.task = cfg.get_string("env.task", "");
  // env.schedules: label -> {schedule: NAME, its options}, all composed (a
  // task family's own schedule, like the crippling of legs, adds to them).
  std::vector<std::shared_ptr<const DynamicsSchedule>> parts;
  for (const auto& label : cfg.get_map_keys("env.schedules")) {
    const std::string path = "env.schedules." + label;
    auto values = cfg.get_string_map(path);
    const auto name = values.find("schedule");
    if (name == values.end()) throw ConfigError(cfg.source() + ": " + path + ".schedule (a schedule name) is required");
    const std::string schedule = name->second;
    values.erase(name);
    try {
      parts.push_back(make_schedule(schedule, to_options(values)));
    } catch (const EnvError& e) {
      throw ConfigError(cfg.source() + ": " + path + ": " + e.what());
    }
  }
  if (parts.size() == 1) s.schedule = parts.front();
  if (parts.size() > 1) s.schedule = std::make_shared<CompositeSchedule>(std::move(parts));
  s.trial_episodes = cfg.get_int("env.trial_episodes", 0, Bounds::non_negative());
  if (s.trial_episodes > 0 && s.task_family.empty() && !trials_are_rounds)
    throw ConfigError(cfg.source() + ": env.trial_episodes needs env.task_family (the chains of the trials)");
  if (!s.task.empty() && s.task_family.empty())
    throw ConfigError(cfg.source() + ": env.task needs env.task_family");
  return s;
}

double mlp_parameters(int64_t inputs, const std::vector<int64_t>& hidden, int64_t outputs) {
  double count = 0, width = double(inputs);
  for (const int64_t h : hidden) {
    count += (width + 1) * double(h);
    width = double(h);
  }
  return count + (width + 1) * double(outputs);
}

double lstm_parameters(int64_t inputs, const LstmPolicyConfig& lstm, int64_t outputs) {
  const double e = double(lstm.embedding), h = double(lstm.hidden);
  return (double(inputs) + 1) * e + 4 * h * (e + h + 2) + (h + 1) * double(outputs);
}

// A network too large for this machine is a configuration error naming its
// key, not an allocation failure (or the kernel's OOM killer) deep inside
// LibTorch. The estimate counts each parameter `copies` times (MAML keeps
// adapted parameters per task and inner step) plus its gradient and Adam's
// two moments, in float32.
void check_network_size(const ExperimentConfig& cfg, const std::string& key, double parameters, int64_t copies) {
  const double memory = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE));
  const double bytes = parameters * 4.0 * double(copies + 3);
  if (bytes <= memory) return;
  char what[160];
  std::snprintf(what, sizeof what,
                "gives a network of %.3g parameters, about %.0f GB to train, more than this machine's %.0f GB",
                parameters, bytes / 1e9, memory / 1e9);
  cfg.invalid(key, what);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = int64_t(seconds + 0.5);
  char buffer[32];
  if (s >= 3600)
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", long(s / 3600), long(s / 60 % 60));
  else
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", long(s / 60), long(s % 60));
  return buffer;
}

// Why a run saved with configuration `previous` (its config.yaml in `out`)
// cannot go on under `resolved`, or "" when it can. A resumed run may change
// its budget (training.total_env_steps: a long run extended over several
// sessions; PPO's learning-rate annealing then stretches to the new end), its
// thread count (environments are bit-identical across thread counts) and its
// snapshots (training.snapshot_every_env_steps: copies of checkpoints, not a
// change of the run). A setting newer than the saved run is accepted only at
// its default (the behaviour the run had); set explicitly (in the file or by
// --set) it would change the run halfway; any other change would make it a
// different experiment.
std::string resume_conflict(const std::string& previous, const std::string& resolved, const std::string& out,
                            const ExperimentConfig& cfg) {
  const auto before = ExperimentConfig::from_string(previous, out + "/config.yaml").leaves();
  const auto now = ExperimentConfig::from_string(resolved, "this run").leaves();
  auto may_change = [](const std::string& key) {
    return key == "training.total_env_steps" || key == "threads" || key == "training.snapshot_every_env_steps";
  };
  for (const auto& [key, value] : before) {
    if (may_change(key)) continue;
    const auto it = now.find(key);
    if (it == now.end()) return key + " = " + value + " there, absent here";
    if (it->second != value) return key + " = " + value + " there, " + it->second + " here";
  }
  for (const auto& [key, value] : now)
    if (!before.count(key) && cfg.has(key) && !may_change(key)) return key + " absent there, set to " + value + " here";
  return "";
}

double metric(const Metrics& m, const std::string& name) {
  for (const auto& [key, value] : m)
    if (key == name) return value;
  return std::nan("");
}

std::string csv_header(const fs::path& csv) {
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  return header;
}

// Runs the plotting script; returns false (after printing why) if it failed.
bool plot_learning_curve(const fs::path& metrics, const fs::path& png, const std::string& title,
                         const std::vector<std::string>& curves) {
  std::string columns;
  for (const auto& c : curves) columns += " " + c;
  const std::string command = "/usr/bin/python3 '" + std::string(METARL_SOURCE_DIR) + "/scripts/plot_metrics.py' '" +
                              metrics.string() + "' '" + png.string() + "' --x env_steps --y" + columns +
                              " --title '" + title + "' > /dev/null";
  if (std::system(command.c_str()) != 0) {
    std::cerr << "metarl: warning: plotting failed: " << command << std::endl;
    return false;
  }
  return true;
}

// Whether `dir` holds any checkpoint file.
bool has_snapshots(const fs::path& dir) {
  if (!fs::is_directory(dir)) return false;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".pt") return true;
  return false;
}

// A resumed run continues bit-exactly only under the numeric environment its
// checkpoint was written in: say so, once, when this one differs.
void warn_if_numeric_environment_changed(const std::string& checkpoint) {
  const std::string then = checkpoint_numeric_environment(checkpoint), now = numeric_environment();
  if (then.empty() || then == now) return;
  std::map<std::string, std::string> before;
  std::istringstream lines(then);
  for (std::string line; std::getline(lines, line);) before[line.substr(0, line.find(": "))] = line;
  std::string changes;
  std::istringstream current(now);
  for (std::string line; std::getline(current, line);) {
    const auto it = before.find(line.substr(0, line.find(": ")));
    if (it == before.end() || it->second != line)
      changes += std::string(changes.empty() ? "" : "; ") + (it == before.end() ? "(absent)" : it->second) + " -> " +
                 line.substr(line.find(": ") + 2);
  }
  std::cerr << "metarl: warning: resuming " << checkpoint << " under another numeric environment (" << changes
            << "): the run may not continue bit-exactly as an uninterrupted one would" << std::endl;
}

}  // namespace

PolicySettings read_policy(ExperimentConfig& cfg) {
  PolicySettings s;
  s.type = cfg.get_string("policy.type", "gaussian_mlp");
  const double init_std = cfg.get_double("policy.init_std", 1.0, Bounds::positive());
  const double output_gain = cfg.get_double("policy.output_gain", 0.01, Bounds::non_negative());
  if (s.type == "gaussian_mlp") {
    s.mlp.hidden = cfg.get_int_list("policy.hidden", {64, 64}, Bounds::at_least(1));
    try {
      s.mlp.activation = parse_activation(cfg.get_string("policy.activation", "tanh"));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(cfg.source() + ": policy.activation: " + e.what());
    }
    s.mlp.init_std = init_std;
    s.mlp.output_gain = output_gain;
  } else if (s.type == "lstm") {
    s.lstm.embedding = cfg.get_int("policy.embedding", 64, Bounds::at_least(1));
    s.lstm.hidden = cfg.get_int("policy.lstm_hidden", 64, Bounds::at_least(1));
    s.lstm.bptt = cfg.get_int("policy.bptt", 10, Bounds::at_least(1));
    s.lstm.init_std = init_std;
    s.lstm.output_gain = output_gain;
  } else {
    throw ConfigError(cfg.source() + ": policy.type '" + s.type + "' is unknown (known: gaussian_mlp, lstm)");
  }
  // Read only when given: the resolved config of a run without it stays as
  // it was before the key existed, so such runs resume unchanged.
  if (cfg.has("policy.init_from")) s.init_from = cfg.get_string_required("policy.init_from");
  return s;
}

std::unique_ptr<Policy> make_policy(const PolicySettings& settings, int obs_dim, int act_dim) {
  if (settings.type == "lstm") return std::make_unique<LstmPolicy>(obs_dim, act_dim, settings.lstm);
  return std::make_unique<GaussianMlpPolicy>(obs_dim, act_dim, settings.mlp);
}

Experiment build_experiment(ExperimentConfig& cfg, const std::string& default_name, bool fresh_run,
                            const Communicator& processes) {
  Experiment x;
  x.name = cfg.get_string("name", default_name);
  x.seed = cfg.get_int("seed", 0, Bounds::non_negative());
  x.threads = cfg.get_int("threads", 2, Bounds::at_least(1));
  // Only in the configurations of runs over several processes (--world-size).
  if (cfg.has("world_size")) x.world_size = cfg.get_int("world_size", 1, Bounds::at_least(1));
  x.algorithm = cfg.get_string_required("algorithm.name");
  // The algorithm's own file reads its keys, checks them against the env's
  // and builds the trainer (experiments/algorithm.h).
  const std::unique_ptr<Algorithm> algorithm = make_algorithm(x.algorithm, cfg);
  algorithm->read(cfg);
  const EnvSettings env_settings = read_env(cfg, algorithm->num_envs(), algorithm->trials_are_rounds());
  algorithm->check_env_keys(cfg, env_settings);
  // This process's envs: [first_env, first_env + num_envs) of the run's.
  int64_t first_env = 0, num_envs = env_settings.num_envs;
  if (processes.several()) {
    const int64_t group = algorithm->env_group_size(env_settings);
    if (group == 0)
      throw ConfigError(cfg.source() + ": algorithm " + x.algorithm +
                        " does not run over several processes with these settings (ppo with continuing rollouts and "
                        "maml with the trpo outer step do)");
    const auto [first, last] = processes.share(env_settings.num_envs / group);
    if (last == first)
      throw ConfigError(cfg.source() + ": " + std::to_string(env_settings.num_envs / group) + " " +
                        (group > 1 ? "tasks" : "envs") + " cannot be shared by " +
                        std::to_string(processes.world_size()) + " processes");
    first_env = first * group;
    num_envs = (last - first) * group;
  }
  const PolicySettings policy_settings = read_policy(cfg);
  x.total_env_steps = cfg.get_int("training.total_env_steps", 100000, Bounds::at_least(1));
  x.checkpoint_every = cfg.get_int("training.checkpoint_every", 10, Bounds::at_least(1));
  x.snapshot_every_env_steps = cfg.get_int("training.snapshot_every_env_steps", 0, Bounds::non_negative());
  cfg.reject_unknown();
  x.resolved_config = cfg.resolved_yaml();
  x.env_name = env_settings.name;
  x.task_family = env_settings.task_family;

  // The environments, tasks, policy and trainer.
  algorithm->check(cfg, env_settings);
  set_compute_threads(int(x.threads));
  // The env's own errors (an unknown env, option or task, a bad MJCF file)
  // name the env; say which file configured it.
  std::unique_ptr<TaskFamily> family;
  std::shared_ptr<const TaskFamily> trial_family;
  try {
    if (!env_settings.task_family.empty()) {
      family = make_task_family(env_settings.task_family, env_settings.family_options);
      if (family->env_name() != env_settings.name)
        cfg.invalid("env.task_family",
                    "must be a task family of env.name " + env_settings.name + " (not of " + family->env_name() + ")");
    }
    if (env_settings.trial_episodes > 0 && !algorithm->trials_are_rounds()) {
      // RL²: each env wraps its own copy of the env; the schedules act on that copy.
      trial_family = std::shared_ptr<const TaskFamily>(std::move(family));
      std::vector<std::unique_ptr<Env>> trials;
      for (int64_t i = 0; i < num_envs; ++i) {
        auto inner = make_env(env_settings.name, env_settings.options);
        if (env_settings.schedule) inner->set_schedule(env_settings.schedule);
        auto trial = std::make_unique<TrialEnv>(std::move(inner), int(env_settings.trial_episodes), trial_family);
        if (!env_settings.task.empty()) trial->fix_task(Task::parse(env_settings.task));
        trials.push_back(std::move(trial));
      }
      x.env = std::make_unique<VectorEnv>(std::move(trials), int(x.threads));
    } else {
      x.env = std::make_unique<VectorEnv>(env_settings.name, int(num_envs), int(x.threads), env_settings.options);
      if (env_settings.schedule) x.env->set_schedule(env_settings.schedule);
    }
    VectorEnv& env = *x.env;
    env.seed(derive_seed(uint64_t(x.seed), 0xe5), first_env);
    if (family) {
      if (algorithm->samples_tasks()) {
        // The trainer assigns a new meta-batch of tasks every iteration.
      } else if (!env_settings.task.empty()) {
        const Task task = Task::parse(env_settings.task);
        for (int i = 0; i < env.num_envs(); ++i) env.set_task(i, *family, task);
      } else {
        Rng task_rng(derive_seed(uint64_t(x.seed), 0x7a5c));
        env.set_tasks(*family, family->sample(env.num_envs(), task_rng));
      }
    }
  } catch (const EnvError& e) {
    throw ConfigError(cfg.source() + ": env: " + e.what());
  }
  VectorEnv& env = *x.env;
  // The policy is agent 0's (the learner's seat; in envs with agents of
  // different sizes the rows are wider than its observation and action).
  const bool rl2_inputs = algorithm->policy_takes_trial_inputs(env_settings.trial_episodes);
  const int obs_dim = env.observation_space(0).size() + (rl2_inputs ? kTrialInputs : 0),
            act_dim = env.action_space(0).size();
  const int64_t copies = algorithm->policy_copies();
  if (policy_settings.type == "lstm")
    check_network_size(cfg, "policy.lstm_hidden", lstm_parameters(obs_dim, policy_settings.lstm, act_dim), copies);
  else
    check_network_size(cfg, "policy.hidden", mlp_parameters(obs_dim, policy_settings.mlp.hidden, act_dim), copies);
  if (const auto value = algorithm->value_network())
    check_network_size(cfg, value->key, mlp_parameters(obs_dim, value->hidden, value->outputs), copies);
  torch::manual_seed(uint64_t(x.seed));
  std::unique_ptr<Policy> policy = make_policy(policy_settings, obs_dim, act_dim);
  if (fresh_run && !policy_settings.init_from.empty()) {
    const std::string& from = policy_settings.init_from;
    if (algorithm->normalizes_observations())
      cfg.invalid("policy.init_from", "needs a run that acts on raw observations (this one normalises them: set "
                                      "algorithm.normalize_observations false)");
    Player source;
    try {
      source = load_player(from, env.observation_space(0).size(), env.action_space(0), env_settings.name);
      if (source.normalizer)
        throw std::invalid_argument(from + " normalised its observations, whose statistics would not be carried");
      copy_into(policy->parameters(), source.policy->parameters(), "the policy of " + from);
    } catch (const std::exception& e) {
      throw ConfigError(cfg.source() + ": policy.init_from: " + e.what());
    }
  }

  x.trainer = algorithm->build(cfg, TrainerParts{env, std::move(family), std::move(trial_family), std::move(policy),
                                                 uint64_t(x.seed), x.total_env_steps, env_settings.trial_episodes,
                                                 processes});
  return x;
}

std::string run_experiment(const RunOptions& options) {
  if (options.max_iterations < 0)
    throw ConfigError("--max-iterations: expected an integer >= 0, got '" + std::to_string(options.max_iterations) +
                      "'");
  if (const std::string error = distributed_config_error(options.distributed); !error.empty())
    throw std::invalid_argument(error);
  ExperimentConfig cfg = ExperimentConfig::load(options.experiment_path);
  for (const auto& assignment : options.overrides) cfg.set(assignment);
  if (options.seed) cfg.set("seed=" + std::to_string(*options.seed));
  if (options.threads) cfg.set("threads=" + std::to_string(*options.threads));
  const int world_size = options.distributed.world_size;
  if (world_size > 1) cfg.set("world_size=" + std::to_string(world_size));
  // Every process joins the others before building its share of the run.
  const Communicator processes(options.distributed);
  const bool writer = processes.writes_outputs();
  // Rank 0 keeps the run's checkpoint; every other rank its own envs' and
  // sampler's state beside it.
  const std::string checkpoint_name =
      writer ? std::string("latest.pt") : "latest.rank" + std::to_string(processes.rank()) + ".pt";
  const std::string default_name = fs::path(options.experiment_path).stem().string();
  // Whether the run starts here or resumes (policy.init_from applies to a fresh one only).
  const fs::path planned_out = options.out_dir.empty()
                                   ? fs::path("out") / ExperimentConfig(cfg).get_string("name", default_name)
                                   : fs::path(options.out_dir);
  Experiment x = build_experiment(cfg, default_name, !fs::exists(planned_out / "checkpoints" / checkpoint_name),
                                  processes);
  const std::string& name = x.name;
  if (x.world_size != world_size)
    throw ConfigError(cfg.source() + ": world_size " + std::to_string(x.world_size) + " is a run over " +
                      std::to_string(x.world_size) + " processes; start it with --world-size " +
                      std::to_string(x.world_size) + " (this process: " + std::to_string(world_size) + ")");
  processes.require_same("configuration", x.resolved_config);
  const int64_t total_env_steps = x.total_env_steps, checkpoint_every = x.checkpoint_every;

  // The output directory; an existing one must hold the same configuration
  // (checked, like the checkpoint, before anything in it is written).
  const fs::path out = options.out_dir.empty() ? fs::path("out") / name : fs::path(options.out_dir);
  const std::string& resolved = x.resolved_config;
  const fs::path config_path = out / "config.yaml", checkpoint = out / "checkpoints" / checkpoint_name;
  const bool resuming = fs::exists(checkpoint);
  // Whether the output directory takes this run: rank 0's verdict (its
  // directory holds the run's outputs), "" to train, for every rank.
  std::string verdict;
  const std::string nothing_to_train = "finished";
  if (writer && fs::exists(config_path)) {
    const std::string conflict = resume_conflict(read_file(config_path.string()), resolved, out.string(), cfg);
    if (!conflict.empty())
      verdict = out.string() + " holds a run with another configuration (" + conflict +
                "); choose another --out or delete it";
  }
  // A finished run asked for no more env steps than it took: nothing to
  // train, and nothing is rewritten (its latest.pt may be evaluation-only,
  // as in experiments/results), so a script of runs can be run again.
  if (writer && verdict.empty() && fs::exists(out / "summary.json")) {
    const auto summary = nlohmann::json::parse(read_file((out / "summary.json").string()), nullptr, false);
    if (summary.is_object() && summary.value("finished", false) && summary.contains("env_steps") &&
        summary["env_steps"].is_number_integer() && summary["env_steps"].get<int64_t>() >= total_env_steps) {
      std::cerr << name << ": " << out.string() << " is finished (" << summary["env_steps"].get<int64_t>() << " of "
                << total_env_steps << " env steps); nothing to train" << std::endl;
      verdict = nothing_to_train;
    }
  }
  // Results without latest.pt are a finished run whose training state was
  // dropped (experiments/results keeps evaluation snapshots only): starting
  // over would overwrite its metrics.csv. A run stopped before its first
  // checkpoint has neither a summary nor snapshots, and restarts.
  if (writer && verdict.empty() && !resuming && fs::exists(out / "metrics.csv") &&
      (fs::exists(out / "summary.json") || has_snapshots(out / "checkpoints")))
    verdict = out.string() + " holds a run's results but no checkpoints/latest.pt to resume from; " +
              "choose another --out or delete it";
  verdict = processes.from_rank0("verdict", verdict);
  if (verdict == nothing_to_train) return out.string();
  if (!verdict.empty()) throw std::runtime_error(verdict);
  IterativeTrainer& trainer = *x.trainer;
  if (resuming) {
    trainer.load_checkpoint(checkpoint.string());
    if (writer) warn_if_numeric_environment_changed(checkpoint.string());
  }
  // Every rank goes on from the same iteration (its own checkpoint's).
  processes.require_same("resume point", resuming ? "iteration " + std::to_string(trainer.iteration()) : "a fresh start");
  fs::create_directories(out / "checkpoints");
  if (writer) {
    fs::create_directories(out / "plots");
    write_file_atomically(config_path.string(), resolved);  // resumed: now with any newer settings
  }

  const bool interactive = writer && isatty(STDERR_FILENO) && !std::getenv("CI");
  if (!writer) {
    // Rank 0 reports the run.
  } else if (resuming) {
    std::cerr << name << ": resuming " << out.string() << " at iteration " << trainer.iteration() << " ("
              << trainer.env_steps() << " of " << total_env_steps << " env steps)" << std::endl;
  } else {
    std::cerr << name << ": starting " << out.string() << " (" << total_env_steps << " env steps)" << std::endl;
  }
  // A fresh run (re)creates metrics.csv; a resumed one drops the rows after its checkpoint.
  const int64_t resume_after = resuming ? trainer.iteration() : -1;
  std::unique_ptr<MetricsCsv> csv;
  const auto start = Clock::now();
  const int64_t start_steps = trainer.env_steps();
  int64_t iterations_here = 0;
  auto last_line = start;
  Metrics last;
  while (trainer.env_steps() < total_env_steps &&
         (options.max_iterations == 0 || iterations_here < options.max_iterations)) {
    const int64_t steps_before = trainer.env_steps();
    last = trainer.run_iteration();
    ++iterations_here;
    for (const auto& [key, value] : last)
      if (key.find("loss") != std::string::npos && !std::isfinite(value))
        throw std::runtime_error(name + ": " + key + " is " + std::to_string(value) + " at iteration " +
                                 std::to_string(trainer.iteration()) + " (diverged); last checkpoint kept");
    if (writer) {
      if (!csv) {
        std::vector<std::string> columns;
        for (const auto& [key, value] : last) columns.push_back(key);
        csv = std::make_unique<MetricsCsv>((out / "metrics.csv").string(), columns, resume_after);
      }
      std::vector<double> row;
      for (const auto& [key, value] : last) row.push_back(value);
      csv->append(row);
    }

    const bool done = trainer.env_steps() >= total_env_steps;
    if (trainer.iteration() % checkpoint_every == 0 || done) trainer.save_checkpoint(checkpoint.string());
    // A kept copy each time the run passes a multiple of snapshot_every_env_steps
    // (to compare runs at equal budgets: metarl adapt RUN/checkpoints/steps_N.pt).
    if (const int64_t every = x.snapshot_every_env_steps;
        writer && every > 0 && trainer.env_steps() / every > steps_before / every) {
      const std::string name = "steps_" + std::to_string(trainer.env_steps() / every * every) + ".pt";
      trainer.save_checkpoint((out / "checkpoints" / name).string());
    }

    const double elapsed = seconds_since(start);
    const double rate = (trainer.env_steps() - start_steps) / std::max(elapsed, 1e-9);
    const double eta = (total_env_steps - trainer.env_steps()) / std::max(rate, 1e-9);
    char line[256];
    std::snprintf(line, sizeof line, "%s iter %ld  steps %ld/%ld  %.0f steps/s  ETA %s  return %.1f", name.c_str(),
                  long(trainer.iteration()), long(trainer.env_steps()), long(total_env_steps), rate,
                  format_duration(eta).c_str(), metric(last, "mean_return"));
    if (!writer) {
      // Rank 0 reports progress.
    } else if (interactive) {
      std::cerr << "\r" << line << "   " << std::flush;
    } else if (iterations_here == 1 || done || iterations_here == options.max_iterations ||
               seconds_since(last_line) >= options.progress_every_seconds) {
      std::cerr << line << std::endl;  // a plain line: redirected output (CI, nohup, a cluster job) sees progress
      last_line = Clock::now();
    }
  }
  if (interactive) std::cerr << "\n";
  // Only what trained here is written: a finished run resumed is left byte
  // for byte as it was (its checkpoint records the numeric environment it
  // was saved under, which may not be this machine's).
  if (iterations_here > 0 || !fs::exists(checkpoint)) trainer.save_checkpoint(checkpoint.string());
  if (!writer) return out.string();

  const bool finished = trainer.env_steps() >= total_env_steps;
  // MAML runs also show the return before adaptation: the gap is what meta-learning bought.
  std::vector<std::string> curves = {"mean_return"};
  const bool has_metrics = fs::exists(out / "metrics.csv");
  if (has_metrics && csv_header(out / "metrics.csv").find("return_before_adaptation") != std::string::npos)
    curves.push_back("return_before_adaptation");
  bool plotted =
      has_metrics && plot_learning_curve(out / "metrics.csv", out / "plots" / "learning_curve.png", name, curves);
  // Match runs (selfplay_ppo) also show how the learner's matches end, and the dense-reward weight.
  const std::string header = has_metrics ? csv_header(out / "metrics.csv") : std::string();
  const bool match_run = header.find("win_rate") != std::string::npos;
  if (match_run)
    plotted = plot_learning_curve(out / "metrics.csv", out / "plots" / "match_outcomes.png", name + ": outcomes",
                                  {"win_rate", "loss_rate", "draw_rate", "dense_weight"}) &&
              plotted;
  // Self-play with fixed players mixed in: the win rate against each kind of opponent.
  std::vector<std::string> win_rates_by_opponent;
  std::istringstream columns(header);
  for (std::string column; std::getline(columns, column, ',');)
    if (column.rfind("win_rate_vs_", 0) == 0) win_rates_by_opponent.push_back(column);
  if (!win_rates_by_opponent.empty())
    plotted = plot_learning_curve(out / "metrics.csv", out / "plots" / "win_rates_by_opponent.png",
                                  name + ": win rate by opponent", win_rates_by_opponent) &&
              plotted;
  nlohmann::json summary = {{"experiment", name},
                            {"config", fs::path(options.experiment_path).string()},
                            {"env", x.env_name},
                            {"task_family", x.task_family},
                            {"algorithm", x.algorithm},
                            {"policy", trainer.policy().describe()},
                            {"seed", x.seed},
                            {"threads", x.threads},
                            {"finished", finished},
                            {"iterations", trainer.iteration()},
                            {"env_steps", trainer.env_steps()},
                            {"plot", plotted ? "plots/learning_curve.png" : ""}};
  double final_return = metric(last, "mean_return");
  // A run resumed after its end ran no iteration here: keep the final return it reported.
  if (last.empty() && fs::exists(out / "summary.json")) {
    const auto previous = nlohmann::json::parse(read_file((out / "summary.json").string()), nullptr, false);
    if (previous.is_object() && previous.contains("final_mean_return") && previous["final_mean_return"].is_number())
      final_return = previous["final_mean_return"].get<double>();
  }
  summary["final_mean_return"] = std::isfinite(final_return) ? nlohmann::json(final_return) : nlohmann::json();
  write_json_atomically((out / "summary.json").string(), summary);
  if (has_metrics && !plotted)
    throw std::runtime_error(name + ": trained and checkpointed, but plots/learning_curve.png" +
                             (match_run ? std::string(" or plots/match_outcomes.png") : std::string()) +
                             " could not be drawn (the plotting script's message is above)");
  return out.string();
}

}  // namespace metarl
