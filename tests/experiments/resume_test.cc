// Every experiment file under experiments/, at a tiny budget, stopped after
// each iteration of a short run and resumed, ends exactly where the
// uninterrupted run ends: the same metrics and the same checkpoint bytes.
// A MAML file is also run as its pretrained baseline (algorithm.name=maml_pretrain).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "experiments/config.h"
#include "experiments/io.h"
#include "experiments/run.h"
#include "tests/experiments/run_outputs.h"

#ifndef METARL_SOURCE_DIR
#error "METARL_SOURCE_DIR must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace metarl {
namespace {

constexpr int kIterations = 3;

struct ResumeCase {
  std::string file;  // relative to the source directory
  bool pretrain = false;
};

std::vector<ResumeCase> every_experiment_file() {
  std::vector<ResumeCase> cases;
  const fs::path root = fs::path(METARL_SOURCE_DIR) / "experiments";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".yaml" || path.find("/results/") != std::string::npos ||
        path.find("/populations/") != std::string::npos)  // tournaments' populations, not experiments
      continue;
    const std::string file = fs::relative(entry.path(), METARL_SOURCE_DIR).string();
    cases.push_back({file, false});
    if (ExperimentConfig::load(path).get_string("algorithm.name", "") == "maml") cases.push_back({file, true});
  }
  std::sort(cases.begin(), cases.end(),
            [](const ResumeCase& a, const ResumeCase& b) { return std::tie(a.file, a.pretrain) < std::tie(b.file, b.pretrain); });
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<ResumeCase>& info) {
  std::string name = info.param.file.substr(std::string("experiments/").size());
  name = name.substr(0, name.size() - std::string(".yaml").size());
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name + (info.param.pretrain ? "_pretrain" : "");
}

// Overrides that shrink an experiment file to a few seconds while keeping
// its algorithm and options: short episodes, few envs or tasks, one thread.
std::vector<std::string> tiny_budget(const ResumeCase& c) {
  ExperimentConfig cfg = ExperimentConfig::load((fs::path(METARL_SOURCE_DIR) / c.file).string());
  const std::string algorithm = cfg.get_string("algorithm.name", "");
  constexpr int kEpisodeSteps = 12;
  std::vector<std::string> sets = {"threads=1", "env.options.max_episode_steps=" + std::to_string(kEpisodeSteps)};
  if (algorithm == "maml" || algorithm == "maml_pretrain" || algorithm == "reptile") {  // meta-batches of tasks
    sets.push_back("algorithm.tasks_per_batch=2");
    sets.push_back("algorithm.episodes_per_task=2");
    // Minibatches of whole tasks: at most the two tasks left.
    if (cfg.get_int("algorithm.minibatches", 1) > 2) sets.push_back("algorithm.minibatches=2");
    if (c.pretrain) sets.push_back("algorithm.name=maml_pretrain");
  } else {
    sets.push_back("env.num_envs=2");
    // One and a half episodes (RL²: trials) per env: iterations end mid-episode.
    const int64_t trial_episodes = std::max<int64_t>(1, cfg.get_int("env.trial_episodes", 0));
    sets.push_back("algorithm.steps_per_iteration=" + std::to_string(2 * trial_episodes * kEpisodeSteps * 3 / 2));
    if (algorithm == "ppo" || algorithm == "selfplay_ppo") sets.push_back("algorithm.minibatches=2");
  }
  return sets;
}

class EveryExperimentResumes : public ::testing::TestWithParam<ResumeCase> {};

TEST_P(EveryExperimentResumes, AtEveryIterationExactlyAsUninterrupted) {
  const ResumeCase& c = GetParam();
  const fs::path dir = fs::path(::testing::TempDir()) / "metarl_resume_test" / case_name({c, 0});
  fs::remove_all(dir);
  RunOptions straight;
  straight.experiment_path = (fs::path(METARL_SOURCE_DIR) / c.file).string();
  straight.overrides = tiny_budget(c);
  straight.out_dir = (dir / "straight").string();
  straight.max_iterations = kIterations;
  run_experiment(straight);
  const auto expected_rows = deterministic_rows(straight.out_dir);
  ASSERT_EQ(expected_rows.size(), size_t(kIterations));
  const std::string expected_checkpoint = read_file(straight.out_dir + "/checkpoints/latest.pt");

  for (int stop = 1; stop < kIterations; ++stop) {
    SCOPED_TRACE("stopped after iteration " + std::to_string(stop));
    RunOptions split = straight;
    split.out_dir = (dir / ("split" + std::to_string(stop))).string();
    split.max_iterations = stop;
    run_experiment(split);
    split.max_iterations = kIterations - stop;
    run_experiment(split);
    EXPECT_EQ(deterministic_rows(split.out_dir), expected_rows);
    EXPECT_TRUE(read_file(split.out_dir + "/checkpoints/latest.pt") == expected_checkpoint)
        << "the final checkpoints differ";
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(ExperimentFiles, EveryExperimentResumes, ::testing::ValuesIn(every_experiment_file()),
                         case_name);

}  // namespace
}  // namespace metarl
