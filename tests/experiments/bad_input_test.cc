// Bad input to `metarl run` is refused with one line naming what was wrong,
// before anything is written; a fault later never damages what was written.
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agents/file_io.h"
#include "experiments/config.h"
#include "experiments/run.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

const char* kTinyPpo = R"(name: tiny_ppo
seed: 3
threads: 1
env:
  name: HalfCheetah
  num_envs: 2
  options:
    max_episode_steps: 50
algorithm:
  name: ppo
  steps_per_iteration: 64
  epochs: 2
  minibatches: 2
training:
  total_env_steps: 256
  checkpoint_every: 2
)";

const char* kTinyMaml = R"(name: tiny_maml
seed: 1
threads: 1
env:
  name: Navigation2D
  task_family: Navigation2D
  options:
    max_episode_steps: 10
algorithm:
  name: maml
  tasks_per_batch: 2
  episodes_per_task: 2
  inner_lr: 0.1
training:
  total_env_steps: 400
)";

fs::path test_dir() { return fs::path(::testing::TempDir()) / "metarl_bad_input_test"; }

std::string write_experiment(const std::string& name, const std::string& text) {
  fs::create_directories(test_dir());
  const fs::path path = test_dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

RunOptions options_for(const std::string& name, const std::string& text, std::vector<std::string> overrides = {}) {
  RunOptions options;
  options.experiment_path = write_experiment(name + ".yaml", text);
  options.out_dir = (test_dir() / name).string();
  fs::remove_all(options.out_dir);
  options.overrides = std::move(overrides);
  return options;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

struct BadSetting {
  const char* text;  // the experiment file
  std::vector<std::string> overrides;
  std::string message;  // after "<file>: "
};

// Each refused while reading the configuration: one line naming the key,
// and no output directory.
TEST(BadInput, EveryBadSettingIsRefusedBeforeAnythingIsWritten) {
  const std::vector<BadSetting> cases = {
      {kTinyPpo, {"algorithm.learning_rate=.inf"}, "key 'algorithm.learning_rate' must be > 0, got .inf"},
      {kTinyPpo, {"algorithm.learning_rate=-1"}, "key 'algorithm.learning_rate' must be > 0, got -1"},
      {kTinyPpo, {"algorithm.gamma=1.5"}, "key 'algorithm.gamma' must be in [0, 1], got 1.5"},
      {kTinyPpo, {"algorithm.gae_lambda=-0.1"}, "key 'algorithm.gae_lambda' must be in [0, 1], got -0.1"},
      {kTinyPpo, {"policy.hidden=[0, 16]"}, "key 'policy.hidden' must hold numbers >= 1, got [0, 16]"},
      {kTinyPpo, {"algorithm.minibatches=65"},
       "key 'algorithm.minibatches' must be at most the batch of 64 steps (algorithm.steps_per_iteration), got 65"},
      {kTinyPpo, {"algorithm.steps_per_iteration=1"},
       "key 'algorithm.steps_per_iteration' must be at least env.num_envs (2: one step per env), got 1"},
      {kTinyPpo, {"training.total_env_steps=0"}, "key 'training.total_env_steps' must be >= 1, got 0"},
      {kTinyPpo, {"env.num_envs=0"}, "key 'env.num_envs' must be >= 1, got 0"},
      {kTinyPpo, {"seed=-1"}, "key 'seed' must be >= 0, got -1"},
      {kTinyPpo, {"policy.init_std=0"}, "key 'policy.init_std' must be > 0, got 0"},
      {kTinyPpo, {"env.task_family=AntVel"}, "key 'env.task_family' must be a task family of env.name HalfCheetah (not of Ant), got AntVel"},
      {kTinyMaml, {"algorithm.gamma=2"}, "key 'algorithm.gamma' must be in [0, 1], got 2"},
      {kTinyMaml, {"algorithm.max_kl=0"}, "key 'algorithm.max_kl' must be > 0, got 0"},
      {kTinyMaml, {"algorithm.inner_steps=0"}, "key 'algorithm.inner_steps' must be >= 1, got 0"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.overrides.front());
    const RunOptions options = options_for("bad_setting", c.text, c.overrides);
    const std::string origin = " (from --set '" + c.overrides.front() + "')";
    EXPECT_EQ(error_of([&] { run_experiment(options); }), options.experiment_path + ": " + c.message + origin);
    EXPECT_FALSE(fs::exists(options.out_dir));
  }
}

// A schedule the env cannot take is refused while the experiment is built,
// naming the file, the schedule and the env.
TEST(BadInput, AScheduleTheEnvCannotTakeIsRefusedBeforeAnythingIsWritten) {
  std::string text = kTinyMaml;
  text.replace(text.find("algorithm:"), 0,
               "  schedules:\n    weak:\n      schedule: ActuatorGearScale\n      actuator: 0\n");
  const RunOptions options = options_for("schedule_on_navigation", text);
  EXPECT_EQ(error_of([&] { run_experiment(options); }),
            options.experiment_path + ": env: ActuatorGearScale: needs a MuJoCo env; Navigation2D is not one");
  EXPECT_FALSE(fs::exists(options.out_dir));
}

// A network that cannot fit in memory is refused naming its key, not by a
// failed allocation deep inside LibTorch.
TEST(BadInput, ANetworkTooLargeForThisMachineNamesItsKey) {
  const RunOptions options = options_for("huge_network", kTinyPpo, {"policy.hidden=[1000000000]"});
  const std::string error = error_of([&] { run_experiment(options); });
  EXPECT_EQ(error.rfind(options.experiment_path + ": key 'policy.hidden' gives a network of", 0), 0u) << error;
  EXPECT_NE(error.find("more than this machine's"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(options.out_dir));
}

TEST(BadInput, IntegerFlagsAreNeverClampedOrIgnored) {
  EXPECT_EQ(integer_flag("--seed", "42", 0), 42);
  EXPECT_EQ(integer_flag("--seed", "9223372036854775807", 0), INT64_MAX);
  EXPECT_EQ(error_of([] { integer_flag("--seed", "-1", 0); }), "--seed: expected an integer >= 0, got '-1'");
  EXPECT_EQ(error_of([] { integer_flag("--threads", "-3", 1); }), "--threads: expected an integer >= 1, got '-3'");
  EXPECT_EQ(error_of([] { integer_flag("--threads", "0", 1); }), "--threads: expected an integer >= 1, got '0'");
  EXPECT_EQ(error_of([] { integer_flag("--seed", "18446744073709551616", 0); }),
            "--seed: 18446744073709551616 does not fit in a 64-bit integer (at most 9223372036854775807)");
  EXPECT_EQ(error_of([] { integer_flag("--seed", "-99999999999999999999", 0); }),
            "--seed: -99999999999999999999 does not fit in a 64-bit integer (at most 9223372036854775807)");
  EXPECT_EQ(error_of([] { integer_flag("--seed", "3x", 0); }), "--seed: expected an integer >= 0, got '3x'");
  EXPECT_EQ(error_of([] { integer_flag("--max-iterations", "", 0); }),
            "--max-iterations: expected an integer >= 0, got ''");
  RunOptions options = options_for("negative_iterations", kTinyPpo);
  options.max_iterations = -1;
  EXPECT_EQ(error_of([&] { run_experiment(options); }), "--max-iterations: expected an integer >= 0, got '-1'");
  EXPECT_FALSE(fs::exists(options.out_dir));
}

// --max-iterations counts the iterations of this process, from where it starts.
TEST(BadInput, MaxIterationsCountsThisProcesssIterations) {
  RunOptions options = options_for("max_iterations", kTinyPpo);
  options.max_iterations = 1;
  run_experiment(options);
  run_experiment(options);
  options.max_iterations = 0;  // no limit: on to the end of the budget (4 iterations)
  run_experiment(options);
  std::ifstream csv(fs::path(options.out_dir) / "metrics.csv");
  std::vector<std::string> iterations;
  for (std::string line; std::getline(csv, line);) iterations.push_back(line.substr(0, line.find(',')));
  EXPECT_EQ(iterations, (std::vector<std::string>{"iteration", "1", "2", "3", "4"}));
}

// Running a finished run again trains nothing and keeps what it reported.
TEST(BadInput, AFinishedRunRunAgainKeepsItsSummary) {
  RunOptions options = options_for("finished", kTinyPpo);
  run_experiment(options);
  const std::string summary = read_file(options.out_dir + "/summary.json");
  const std::string metrics = read_file(options.out_dir + "/metrics.csv");
  run_experiment(options);
  EXPECT_EQ(read_file(options.out_dir + "/summary.json"), summary);
  EXPECT_EQ(read_file(options.out_dir + "/metrics.csv"), metrics);
}

// A damaged checkpoint is refused naming the file, and nothing the run had
// written changes.
TEST(BadInput, ACorruptedCheckpointIsRefusedAndTheRunDirectoryKept) {
  RunOptions options = options_for("corrupted", kTinyPpo);
  options.max_iterations = 1;
  run_experiment(options);
  const fs::path dir = options.out_dir, checkpoint = dir / "checkpoints" / "latest.pt";
  std::string bytes = read_file(checkpoint.string());
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) bytes[i] = char(~bytes[i]);
  std::ofstream(checkpoint, std::ios::binary) << bytes;
  const std::string metrics = read_file((dir / "metrics.csv").string()), config = read_file((dir / "config.yaml").string());
  EXPECT_EQ(error_of([&] { run_experiment(options); }),
            checkpoint.string() + ": the checkpoint is corrupted (its checksum does not match its contents)");
  EXPECT_EQ(read_file((dir / "metrics.csv").string()), metrics);
  EXPECT_EQ(read_file((dir / "config.yaml").string()), config);
  EXPECT_TRUE(read_file(checkpoint.string()) == bytes);
}

// A directory holding another run's configuration is refused even when it
// has no checkpoint yet: its metrics are not overwritten.
TEST(BadInput, AnotherRunsDirectoryWithoutACheckpointIsNotOverwritten) {
  RunOptions options = options_for("other_run", kTinyPpo);
  options.max_iterations = 1;
  run_experiment(options);
  fs::remove(fs::path(options.out_dir) / "checkpoints" / "latest.pt");
  const std::string metrics = read_file(options.out_dir + "/metrics.csv");
  options.overrides = {"algorithm.gamma=0.9"};
  const std::string error = error_of([&] { run_experiment(options); });
  EXPECT_NE(error.find("holds a run with another configuration (algorithm.gamma = 0.99 there, 0.9 here)"),
            std::string::npos)
      << error;
  EXPECT_EQ(read_file(options.out_dir + "/metrics.csv"), metrics);
}

// Resuming under another numeric environment (here another compute thread
// count) says so in one line.
TEST(BadInput, ResumingUnderAnotherNumericEnvironmentWarns) {
  RunOptions options = options_for("numeric_environment", kTinyPpo);
  options.max_iterations = 1;
  run_experiment(options);
  options.threads = 2;
  ::testing::internal::CaptureStderr();
  run_experiment(options);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("metarl: warning: resuming " + options.out_dir +
                     "/checkpoints/latest.pt under another numeric environment (compute threads: 1 -> 2"),
            std::string::npos)
      << err;
  // The checkpoint is now written under 2 threads: going on with 2 is silent.
  ::testing::internal::CaptureStderr();
  run_experiment(options);
  EXPECT_EQ(::testing::internal::GetCapturedStderr().find("numeric environment"), std::string::npos);
}

// Without a terminal a run prints a plain line after its first iteration,
// then whenever progress_every_seconds have passed, and after its last.
TEST(BadInput, RedirectedOutputShowsProgressLines) {
  RunOptions options = options_for("progress", kTinyPpo);
  auto progress_lines = [&](double every) {
    fs::remove_all(options.out_dir);
    options.progress_every_seconds = every;
    ::testing::internal::CaptureStderr();
    run_experiment(options);
    std::istringstream err(::testing::internal::GetCapturedStderr());
    std::vector<std::string> lines;
    for (std::string line; std::getline(err, line);)
      if (line.rfind("tiny_ppo iter ", 0) == 0) lines.push_back(line.substr(0, line.find("  steps")));
    return lines;
  };
  EXPECT_EQ(progress_lines(0), (std::vector<std::string>{"tiny_ppo iter 1", "tiny_ppo iter 2", "tiny_ppo iter 3",
                                                         "tiny_ppo iter 4"}));
  EXPECT_EQ(progress_lines(1e9), (std::vector<std::string>{"tiny_ppo iter 1", "tiny_ppo iter 4"}));
}

}  // namespace
}  // namespace metarl
