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
#include "experiments/config.h"
#include "experiments/io.h"
#include "meta/maml_trainer.h"

#ifndef METARL_SOURCE_DIR
#error "METARL_SOURCE_DIR must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace metarl {
namespace {

struct EnvSettings {
  std::string name;
  Options options;
  int64_t num_envs;
  std::string task_family;
  Options family_options;
  std::string task;  // a fixed task for every env; empty: one sampled task per env
  std::shared_ptr<const DynamicsSchedule> schedule;  // env.schedules composed; null: none
  // > 0: every env is a TrialEnv of this many consecutive episodes of one
  // chain (RL²), a new task from the family per trial.
  int64_t trial_episodes = 0;
};

struct PolicySettings {
  std::string type;
  MlpPolicyConfig mlp;
  LstmPolicyConfig lstm;
};

Options to_options(const std::map<std::string, std::string>& values) {
  Options options;
  for (const auto& [key, value] : values) options.set(key, value);
  return options;
}

// fixed_num_envs > 0: the algorithm decides the number of envs (MAML: tasks x episodes).
EnvSettings read_env(ExperimentConfig& cfg, int64_t fixed_num_envs) {
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
  if (s.trial_episodes > 0 && s.task_family.empty())
    throw ConfigError(cfg.source() + ": env.trial_episodes needs env.task_family (the chains of the trials)");
  if (!s.task.empty() && s.task_family.empty())
    throw ConfigError(cfg.source() + ": env.task needs env.task_family");
  return s;
}

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
  return s;
}

void read_trpo(ExperimentConfig& cfg, TrpoConfig& r) {
  r.max_kl = cfg.get_double("algorithm.max_kl", r.max_kl, Bounds::positive());
  r.cg_iterations = cfg.get_int("algorithm.cg_iterations", r.cg_iterations, Bounds::at_least(1));
  r.cg_damping = cfg.get_double("algorithm.cg_damping", r.cg_damping, Bounds::non_negative());
  r.backtrack_ratio = cfg.get_double("algorithm.backtrack_ratio", r.backtrack_ratio, {0.0, 1.0, true, true});
  r.max_backtracks = cfg.get_int("algorithm.max_backtracks", r.max_backtracks, Bounds::non_negative());
}

MamlConfig read_maml(ExperimentConfig& cfg, const std::string& name) {
  MamlConfig m;
  m.pretrain = name == "maml_pretrain";
  m.tasks_per_batch = cfg.get_int("algorithm.tasks_per_batch", m.tasks_per_batch, Bounds::at_least(1));
  m.episodes_per_task = cfg.get_int("algorithm.episodes_per_task", m.episodes_per_task, Bounds::at_least(1));
  // The pretrained baseline trains without adaptation but is adapted at test
  // time with the same inner step, so it reads these too.
  m.inner.steps = cfg.get_int("algorithm.inner_steps", m.inner.steps, Bounds::at_least(1));
  m.inner.step_size = cfg.get_double("algorithm.inner_lr", m.inner.step_size, Bounds::non_negative());
  m.inner.normalize_advantages = cfg.get_bool("algorithm.normalize_inner_advantages", m.inner.normalize_advantages);
  try {
    m.inner.meta_gradient = parse_meta_gradient(cfg.get_string("algorithm.meta_gradient", "exact"));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(cfg.source() + ": algorithm.meta_gradient: " + e.what());
  }
  if (m.inner.meta_gradient == MetaGradient::kExact && !m.pretrain)
    m.score_baseline = cfg.get_string("algorithm.score_baseline", m.score_baseline);
  m.outer.normalize_advantages = cfg.get_bool("algorithm.normalize_outer_advantages", m.outer.normalize_advantages);
  m.gamma = cfg.get_double("algorithm.gamma", m.gamma, Bounds::closed(0, 1));
  m.chain_length = cfg.get_int("algorithm.chain_length", m.chain_length, Bounds::non_negative());
  const std::string inner_episodes = cfg.get_string("algorithm.inner_episodes", "per_step");
  if (inner_episodes != "per_step" && inner_episodes != "shared")
    throw ConfigError(cfg.source() + ": algorithm.inner_episodes '" + inner_episodes +
                      "' is unknown (known: per_step, shared)");
  m.shared_inner_episodes = inner_episodes == "shared";
  m.chain_pairs = cfg.get_int("algorithm.chain_pairs", m.chain_pairs, Bounds::at_least(1));
  m.off_policy_step_sizes = cfg.get_bool("algorithm.off_policy_step_sizes", m.off_policy_step_sizes);
  // The weights' slope within [1 − clip, 1 + clip]: a clip of 1 or more would let it reach 0.
  m.inner.clip = cfg.get_double("algorithm.inner_clip", m.inner.clip, {0.0, 1.0, false, true});
  m.initial_inner_kl = cfg.get_double("algorithm.initial_inner_kl", m.initial_inner_kl, Bounds::non_negative());
  m.gae_lambda = cfg.get_double("algorithm.gae_lambda", m.gae_lambda, Bounds::closed(0, 1));
  m.outer_optimizer = cfg.get_string("algorithm.outer", m.outer_optimizer);
  if (m.outer_optimizer == "trpo") {
    read_trpo(cfg, m.trpo);
    m.metric_subsample = cfg.get_double("algorithm.metric_subsample", m.metric_subsample, {0.0, 1.0, true, false});
    m.metric_through_adaptation =
        cfg.get_bool("algorithm.metric_through_adaptation", m.metric_through_adaptation);
  } else if (m.outer_optimizer == "ppo") {
    m.ppo_learning_rate = cfg.get_double("algorithm.learning_rate", m.ppo_learning_rate, Bounds::positive());
    m.ppo_epochs = cfg.get_int("algorithm.epochs", m.ppo_epochs, Bounds::at_least(1));
    m.ppo_minibatches = cfg.get_int("algorithm.minibatches", m.ppo_minibatches, Bounds::at_least(1));
    if (m.ppo_minibatches > m.tasks_per_batch)
      cfg.invalid("algorithm.minibatches", "must be at most algorithm.tasks_per_batch (" + std::to_string(m.tasks_per_batch) + ": minibatches are of whole tasks)");
    m.outer.clip_range = cfg.get_double("algorithm.clip_range", 0.2, Bounds::positive());
    // Read for the pretrained baseline too (the same file trains both), but
    // it has no inner steps to learn sizes for.
    m.learn_step_sizes = cfg.get_bool("algorithm.learn_inner_lr", m.learn_step_sizes) && !m.pretrain;
    m.step_size_learning_rate =
        cfg.get_double("algorithm.step_size_learning_rate", m.step_size_learning_rate, Bounds::non_negative());
    m.step_size_updates = cfg.get_string("algorithm.step_size_updates", m.step_size_updates);
    if (m.step_size_updates != "minibatch" && m.step_size_updates != "iteration")
      throw ConfigError(cfg.source() + ": algorithm.step_size_updates '" + m.step_size_updates +
                        "' is unknown (known: minibatch, iteration)");
    m.theta_gradient_clip = cfg.get_double("algorithm.theta_gradient_clip", m.theta_gradient_clip, Bounds::non_negative());
    m.value_function = cfg.get_string("algorithm.value_function", m.value_function);
    if (m.value_function == "adapted_mlp") {
      m.value_hidden = cfg.get_int_list("algorithm.value_hidden", m.value_hidden, Bounds::at_least(1));
      m.value_step_size = cfg.get_double("algorithm.value_inner_lr", m.value_step_size, Bounds::non_negative());
      m.value_coef = cfg.get_double("algorithm.value_coef", m.value_coef, Bounds::non_negative());
    }
  } else {
    throw ConfigError(cfg.source() + ": algorithm.outer '" + m.outer_optimizer + "' is unknown (known: trpo, ppo)");
  }
  return m;
}

TrainerConfig read_trainer(ExperimentConfig& cfg, const std::string& name) {
  TrainerConfig t;
  t.algorithm = name;
  t.steps_per_iteration = cfg.get_int("algorithm.steps_per_iteration", t.steps_per_iteration, Bounds::at_least(1));
  t.fixed_episodes = cfg.get_bool("algorithm.fixed_episodes", t.fixed_episodes);
  t.gamma = cfg.get_double("algorithm.gamma", t.gamma, Bounds::closed(0, 1));
  t.gae_lambda = cfg.get_double("algorithm.gae_lambda", t.gae_lambda, Bounds::closed(0, 1));
  t.baseline = cfg.get_string("algorithm.baseline", t.algorithm == "ppo" ? "mlp" : "linear");
  t.normalize_observations = cfg.get_bool("algorithm.normalize_observations", t.normalize_observations);
  t.normalize_rewards = cfg.get_bool("algorithm.normalize_rewards", t.normalize_rewards);
  if (t.baseline == "mlp")
    t.value_hidden = cfg.get_int_list("algorithm.value_hidden", t.value_hidden, Bounds::at_least(1));
  if (t.algorithm == "ppo") {
    auto& p = t.ppo;
    t.anneal_learning_rate = cfg.get_bool("algorithm.anneal_learning_rate", t.anneal_learning_rate);
    p.learning_rate = cfg.get_double("algorithm.learning_rate", p.learning_rate, Bounds::positive());
    p.epochs = cfg.get_int("algorithm.epochs", p.epochs, Bounds::at_least(1));
    p.minibatches = cfg.get_int("algorithm.minibatches", p.minibatches, Bounds::at_least(1));
    p.clip_range = cfg.get_double("algorithm.clip_range", p.clip_range, Bounds::positive());
    p.value_coef = cfg.get_double("algorithm.value_coef", p.value_coef, Bounds::non_negative());
    p.entropy_coef = cfg.get_double("algorithm.entropy_coef", p.entropy_coef, Bounds::finite());
    p.max_grad_norm = cfg.get_double("algorithm.max_grad_norm", p.max_grad_norm, Bounds::positive());
    p.target_kl = cfg.get_double("algorithm.target_kl", p.target_kl, Bounds::non_negative());
    p.normalize_advantages = cfg.get_bool("algorithm.normalize_advantages", p.normalize_advantages);
  } else if (t.algorithm == "trpo") {
    read_trpo(cfg, t.trpo);
  } else if (t.algorithm == "vpg") {
    t.vpg.learning_rate = cfg.get_double("algorithm.learning_rate", t.vpg.learning_rate, Bounds::positive());
  } else {
    throw ConfigError(cfg.source() + ": algorithm.name '" + t.algorithm +
                      "' is unknown (known: ppo, trpo, vpg, maml, maml_pretrain)");
  }
  if (t.algorithm != "ppo" && t.baseline == "mlp") {
    t.value.learning_rate = cfg.get_double("algorithm.value_learning_rate", t.value.learning_rate, Bounds::positive());
    t.value.epochs = cfg.get_int("algorithm.value_epochs", t.value.epochs, Bounds::at_least(1));
    t.value.minibatches = cfg.get_int("algorithm.value_minibatches", t.value.minibatches, Bounds::at_least(1));
  }
  return t;
}

// The batch of a ppo/trpo/vpg iteration against the settings that cut it.
void check_batch(const ExperimentConfig& cfg, const TrainerConfig& t, int64_t num_envs) {
  if (t.fixed_episodes) return;  // one episode per env: the batch has at least num_envs steps
  if (t.steps_per_iteration < num_envs)
    cfg.invalid("algorithm.steps_per_iteration",
                "must be at least env.num_envs (" + std::to_string(num_envs) + ": one step per env)");
  const int64_t batch = t.steps_per_iteration / num_envs * num_envs;
  if (t.algorithm == "ppo" && t.ppo.minibatches > batch)
    cfg.invalid("algorithm.minibatches",
                "must be at most the batch of " + std::to_string(batch) + " steps (algorithm.steps_per_iteration)");
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

Experiment build_experiment(ExperimentConfig& cfg, const std::string& default_name) {
  Experiment x;
  x.name = cfg.get_string("name", default_name);
  x.seed = cfg.get_int("seed", 0, Bounds::non_negative());
  x.threads = cfg.get_int("threads", 2, Bounds::at_least(1));
  x.algorithm = cfg.get_string_required("algorithm.name");
  const bool meta = x.algorithm == "maml" || x.algorithm == "maml_pretrain";
  TrainerConfig trainer_config;
  MamlConfig maml_config;
  if (meta)
    maml_config = read_maml(cfg, x.algorithm);
  else
    trainer_config = read_trainer(cfg, x.algorithm);
  const EnvSettings env_settings =
      read_env(cfg, meta ? maml_config.tasks_per_batch * maml_config.episodes_per_task : 0);
  if (meta && env_settings.task_family.empty())
    throw ConfigError(cfg.source() + ": " + x.algorithm + " needs env.task_family");
  if (meta && !env_settings.task.empty())
    throw ConfigError(cfg.source() + ": " + x.algorithm + " samples its tasks; remove env.task");
  const PolicySettings policy_settings = read_policy(cfg);
  x.total_env_steps = cfg.get_int("training.total_env_steps", 100000, Bounds::at_least(1));
  x.checkpoint_every = cfg.get_int("training.checkpoint_every", 10, Bounds::at_least(1));
  x.snapshot_every_env_steps = cfg.get_int("training.snapshot_every_env_steps", 0, Bounds::non_negative());
  cfg.reject_unknown();
  x.resolved_config = cfg.resolved_yaml();
  x.env_name = env_settings.name;
  x.task_family = env_settings.task_family;

  // The environments, tasks, policy and trainer.
  if (meta && env_settings.trial_episodes > 0)
    throw ConfigError(cfg.source() + ": env.trial_episodes (RL² trials) is for ppo, trpo and vpg runs; " +
                      x.algorithm + " samples its own tasks");
  if (!meta) check_batch(cfg, trainer_config, env_settings.num_envs);
  set_compute_threads(int(x.threads));
  // The env's own errors (an unknown env, option or task, a bad MJCF file)
  // name the env; say which file configured it.
  std::unique_ptr<TaskFamily> family;
  try {
    if (!env_settings.task_family.empty()) {
      family = make_task_family(env_settings.task_family, env_settings.family_options);
      if (family->env_name() != env_settings.name)
        cfg.invalid("env.task_family",
                    "must be a task family of env.name " + env_settings.name + " (not of " + family->env_name() + ")");
    }
    if (env_settings.trial_episodes > 0) {
      // RL²: each env wraps its own copy of the env; the schedules act on that copy.
      x.family = std::shared_ptr<const TaskFamily>(std::move(family));
      std::vector<std::unique_ptr<Env>> trials;
      for (int64_t i = 0; i < env_settings.num_envs; ++i) {
        auto inner = make_env(env_settings.name, env_settings.options);
        if (env_settings.schedule) inner->set_schedule(env_settings.schedule);
        auto trial = std::make_unique<TrialEnv>(std::move(inner), int(env_settings.trial_episodes), x.family);
        if (!env_settings.task.empty()) trial->fix_task(Task::parse(env_settings.task));
        trials.push_back(std::move(trial));
      }
      x.env = std::make_unique<VectorEnv>(std::move(trials), int(x.threads));
    } else {
      x.env = std::make_unique<VectorEnv>(env_settings.name, int(env_settings.num_envs), int(x.threads),
                                          env_settings.options);
      if (env_settings.schedule) x.env->set_schedule(env_settings.schedule);
    }
    VectorEnv& env = *x.env;
    env.seed(derive_seed(uint64_t(x.seed), 0xe5));
    if (family) {
      if (meta) {
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
  const int64_t copies = meta ? maml_config.tasks_per_batch * (maml_config.inner.steps + 1) : 1;
  if (policy_settings.type == "lstm")
    check_network_size(cfg, "policy.lstm_hidden", lstm_parameters(env.obs_dim(), policy_settings.lstm, env.act_dim()),
                       copies);
  else
    check_network_size(cfg, "policy.hidden", mlp_parameters(env.obs_dim(), policy_settings.mlp.hidden, env.act_dim()),
                       copies);
  if (meta ? maml_config.value_function == "adapted_mlp" : trainer_config.baseline == "mlp")
    check_network_size(cfg, "algorithm.value_hidden",
                       mlp_parameters(env.obs_dim(), meta ? maml_config.value_hidden : trainer_config.value_hidden, 1),
                       copies);
  torch::manual_seed(uint64_t(x.seed));
  std::unique_ptr<Policy> policy;
  if (policy_settings.type == "lstm")
    policy = std::make_unique<LstmPolicy>(env.obs_dim(), env.act_dim(), policy_settings.lstm);
  else
    policy = std::make_unique<GaussianMlpPolicy>(env.obs_dim(), env.act_dim(), policy_settings.mlp);

  if (meta) {
    std::unique_ptr<MamlTrainer> maml;
    try {
      maml = std::make_unique<MamlTrainer>(env, std::move(family), std::move(policy), maml_config, uint64_t(x.seed));
    } catch (const std::invalid_argument& e) {  // a combination of algorithm keys the trainer refuses
      throw ConfigError(cfg.source() + ": algorithm: " + e.what());
    }
    x.maml = maml.get();
    x.trainer = std::move(maml);
  } else {
    const int64_t steps_per_iteration =
        trainer_config.fixed_episodes ? env.num_envs() * env.env(0).max_episode_steps()  // at most
                                      : trainer_config.steps_per_iteration / env.num_envs() * env.num_envs();
    const int64_t planned_iterations = (x.total_env_steps + steps_per_iteration - 1) / steps_per_iteration;
    auto trainer = std::make_unique<PolicyGradientTrainer>(env, std::move(policy), trainer_config, uint64_t(x.seed),
                                                           planned_iterations);
    x.policy_gradient = trainer.get();
    x.trainer = std::move(trainer);
  }
  return x;
}

std::string run_experiment(const RunOptions& options) {
  if (options.max_iterations < 0)
    throw ConfigError("--max-iterations: expected an integer >= 0, got '" + std::to_string(options.max_iterations) +
                      "'");
  ExperimentConfig cfg = ExperimentConfig::load(options.experiment_path);
  for (const auto& assignment : options.overrides) cfg.set(assignment);
  if (options.seed) cfg.set("seed=" + std::to_string(*options.seed));
  if (options.threads) cfg.set("threads=" + std::to_string(*options.threads));
  Experiment x = build_experiment(cfg, fs::path(options.experiment_path).stem().string());
  const std::string& name = x.name;
  const int64_t total_env_steps = x.total_env_steps, checkpoint_every = x.checkpoint_every;

  // The output directory; an existing one must hold the same configuration
  // (checked, like the checkpoint, before anything in it is written).
  const fs::path out = options.out_dir.empty() ? fs::path("out") / name : fs::path(options.out_dir);
  const std::string& resolved = x.resolved_config;
  const fs::path config_path = out / "config.yaml", checkpoint = out / "checkpoints" / "latest.pt";
  if (fs::exists(config_path)) {
    const std::string conflict = resume_conflict(read_file(config_path.string()), resolved, out.string(), cfg);
    if (!conflict.empty())
      throw std::runtime_error(out.string() + " holds a run with another configuration (" + conflict +
                               "); choose another --out or delete it");
  }
  const bool resuming = fs::exists(checkpoint);
  IterativeTrainer& trainer = *x.trainer;
  if (resuming) {
    trainer.load_checkpoint(checkpoint.string());
    warn_if_numeric_environment_changed(checkpoint.string());
  }
  fs::create_directories(out / "checkpoints");
  fs::create_directories(out / "plots");
  write_file_atomically(config_path.string(), resolved);  // resumed: now with any newer settings

  const bool interactive = isatty(STDERR_FILENO) && !std::getenv("CI");
  if (resuming)
    std::cerr << name << ": resuming " << out.string() << " at iteration " << trainer.iteration() << " ("
              << trainer.env_steps() << " of " << total_env_steps << " env steps)" << std::endl;
  else
    std::cerr << name << ": starting " << out.string() << " (" << total_env_steps << " env steps)" << std::endl;
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
    if (!csv) {
      std::vector<std::string> columns;
      for (const auto& [key, value] : last) columns.push_back(key);
      csv = std::make_unique<MetricsCsv>((out / "metrics.csv").string(), columns, resume_after);
    }
    std::vector<double> row;
    for (const auto& [key, value] : last) row.push_back(value);
    csv->append(row);

    const bool done = trainer.env_steps() >= total_env_steps;
    if (trainer.iteration() % checkpoint_every == 0 || done) trainer.save_checkpoint(checkpoint.string());
    // A kept copy each time the run passes a multiple of snapshot_every_env_steps
    // (to compare runs at equal budgets: metarl adapt RUN/checkpoints/steps_N.pt).
    if (const int64_t every = x.snapshot_every_env_steps; every > 0 && trainer.env_steps() / every > steps_before / every) {
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
    if (interactive) {
      std::cerr << "\r" << line << "   " << std::flush;
    } else if (iterations_here == 1 || done || iterations_here == options.max_iterations ||
               seconds_since(last_line) >= options.progress_every_seconds) {
      std::cerr << line << std::endl;  // a plain line: redirected output (CI, nohup, a cluster job) sees progress
      last_line = Clock::now();
    }
  }
  if (interactive) std::cerr << "\n";
  trainer.save_checkpoint(checkpoint.string());

  const bool finished = trainer.env_steps() >= total_env_steps;
  // MAML runs also show the return before adaptation: the gap is what meta-learning bought.
  std::vector<std::string> curves = {"mean_return"};
  const bool has_metrics = fs::exists(out / "metrics.csv");
  if (has_metrics && csv_header(out / "metrics.csv").find("return_before_adaptation") != std::string::npos)
    curves.push_back("return_before_adaptation");
  const bool plotted =
      has_metrics && plot_learning_curve(out / "metrics.csv", out / "plots" / "learning_curve.png", name, curves);
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
    throw std::runtime_error(name + ": trained and checkpointed, but plots/learning_curve.png could not be drawn "
                                    "(the plotting script's message is above)");
  return out.string();
}

}  // namespace metarl
