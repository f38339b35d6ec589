#include "experiments/config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

namespace metarl {
namespace {

// The message of the ConfigError that `f` throws ("" if it throws none).
std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* const kExperiment = R"(
env:
  name: HalfCheetah
  options:
    max_episode_steps: 200
    ctrl_cost: 0.1
algorithm:
  lr: 3e-4
  gamma: 1
  iterations: 500
  total_steps: 1e6
  normalize: true
  hidden: [64, 64]
  betas: [0.9, 0.999]
)";

TEST(ExperimentConfig, TypedGettersReadTheFileAndFallBackToDefaults) {
  ExperimentConfig c = ExperimentConfig::from_string(kExperiment, "x.yaml");
  EXPECT_EQ(c.source(), "x.yaml");
  EXPECT_EQ(c.get_string("env.name", "Ant"), "HalfCheetah");
  EXPECT_DOUBLE_EQ(c.get_double("algorithm.lr", 0.1), 3e-4);
  EXPECT_DOUBLE_EQ(c.get_double("algorithm.gamma", 0.5), 1.0);  // an integer is a number
  EXPECT_EQ(c.get_int("algorithm.iterations", 0), 500);
  EXPECT_EQ(c.get_int("algorithm.total_steps", 0), 1000000);  // integral, so an integer
  EXPECT_TRUE(c.get_bool("algorithm.normalize", false));
  EXPECT_EQ(c.get_int_list("algorithm.hidden", {}), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(c.get_double_list("algorithm.betas", {}), (std::vector<double>{0.9, 0.999}));
  const std::map<std::string, std::string> options = c.get_string_map("env.options");
  EXPECT_EQ(options, (std::map<std::string, std::string>{{"max_episode_steps", "200"}, {"ctrl_cost", "0.1"}}));

  EXPECT_DOUBLE_EQ(c.get_double("algorithm.lam", 0.97), 0.97);
  EXPECT_EQ(c.get_int("algorithm.batch", 32), 32);
  EXPECT_FALSE(c.get_bool("algorithm.verbose", false));
  EXPECT_EQ(c.get_string("run.name", "default"), "default");
  EXPECT_EQ(c.get_int_list("policy.hidden", {32}), (std::vector<int64_t>{32}));
  EXPECT_EQ(c.get_double_list("policy.init", {}), (std::vector<double>{}));
  EXPECT_TRUE(c.get_string_map("task.options").empty());
  EXPECT_NO_THROW(c.reject_unknown());
}

TEST(ExperimentConfig, HasLooksWithoutReading) {
  ExperimentConfig c = ExperimentConfig::from_string(kExperiment, "x.yaml");
  EXPECT_TRUE(c.has("env"));
  EXPECT_TRUE(c.has("env.options.ctrl_cost"));
  EXPECT_FALSE(c.has("env.options.absent"));
  EXPECT_FALSE(c.has("env.name.deeper"));
  EXPECT_EQ(config_error([&] { c.reject_unknown(); }), "x.yaml: unknown key 'env.name'");
}

TEST(ExperimentConfig, RequiredKeys) {
  ExperimentConfig c = ExperimentConfig::from_string("env:\n  name: Ant\n", "x.yaml");
  EXPECT_EQ(c.get_string_required("env.name"), "Ant");
  EXPECT_EQ(config_error([&] { c.get_int_required("env.seed"); }), "x.yaml: missing required key 'env.seed'");
  EXPECT_EQ(config_error([&] { c.get_double_required("algorithm.lr"); }),
            "x.yaml: missing required key 'algorithm.lr'");
  EXPECT_EQ(config_error([&] { c.get_bool_required("a"); }), "x.yaml: missing required key 'a'");
  EXPECT_EQ(config_error([&] { c.get_int_list_required("a"); }), "x.yaml: missing required key 'a'");
  EXPECT_EQ(config_error([&] { c.get_double_list_required("a"); }), "x.yaml: missing required key 'a'");
  EXPECT_EQ(config_error([&] { c.get_string_required("env.task"); }), "x.yaml: missing required key 'env.task'");
}

TEST(ExperimentConfig, WrongTypesNameFileKeyAndValue) {
  ExperimentConfig c = ExperimentConfig::from_string(R"(
algorithm:
  lr: fast
  steps: 1.5
  big: 99999999999999999999
  normalize: yes
  hidden: [64, x]
  sizes: 64
  name: [a, b]
  nan: .nan
  quoted: "0.5"
  empty:
env: HalfCheetah
)",
                                                     "experiments/x.yaml");
  EXPECT_EQ(config_error([&] { c.get_double("algorithm.lr", 0.1); }),
            "experiments/x.yaml: key 'algorithm.lr' must be a number, got 'fast'");
  EXPECT_EQ(config_error([&] { c.get_int("algorithm.steps", 1); }),
            "experiments/x.yaml: key 'algorithm.steps' must be an integer, got '1.5'");
  EXPECT_EQ(config_error([&] { c.get_int("algorithm.big", 1); }),
            "experiments/x.yaml: key 'algorithm.big' must be an integer, got '99999999999999999999'");
  EXPECT_EQ(config_error([&] { c.get_bool("algorithm.normalize", false); }),
            "experiments/x.yaml: key 'algorithm.normalize' must be true or false, got 'yes'");
  EXPECT_EQ(config_error([&] { c.get_int_list("algorithm.hidden", {}); }),
            "experiments/x.yaml: key 'algorithm.hidden[1]' must be an integer, got 'x'");
  EXPECT_EQ(config_error([&] { c.get_int_list("algorithm.sizes", {}); }),
            "experiments/x.yaml: key 'algorithm.sizes' must be a list of integers, got '64'");
  EXPECT_EQ(config_error([&] { c.get_double_list("algorithm.sizes", {}); }),
            "experiments/x.yaml: key 'algorithm.sizes' must be a list of numbers, got '64'");
  EXPECT_EQ(config_error([&] { c.get_string("algorithm.name", ""); }),
            "experiments/x.yaml: key 'algorithm.name' must be a string, got a list");
  EXPECT_EQ(config_error([&] { c.get_double("algorithm.nan", 0.0); }),
            "experiments/x.yaml: key 'algorithm.nan' must be a number, got '.nan'");
  EXPECT_EQ(config_error([&] { c.get_double("algorithm.empty", 0.0); }),
            "experiments/x.yaml: key 'algorithm.empty' must be a number, got null");
  EXPECT_EQ(config_error([&] { c.get_double("algorithm", 0.0); }),
            "experiments/x.yaml: key 'algorithm' must be a number, got a map");
  EXPECT_EQ(config_error([&] { c.get_string("env.name", ""); }),
            "experiments/x.yaml: key 'env' must be a map, got 'HalfCheetah'");
  EXPECT_EQ(config_error([&] { c.get_string_map("env"); }),
            "experiments/x.yaml: key 'env' must be a map, got 'HalfCheetah'");
  EXPECT_EQ(config_error([&] { c.get_string_map("algorithm"); }),
            "experiments/x.yaml: key 'algorithm.hidden' must be a single value, got a list");
  EXPECT_DOUBLE_EQ(c.get_double("algorithm.quoted", 0.0), 0.5);  // a quoted number is still a number
}

TEST(ExperimentConfig, NumbersAreParsedStrictly) {
  ExperimentConfig c = ExperimentConfig::from_string(
      "a: -2.5e-3\nb: .5\nc: +7\nd: 0x10\ne: -.inf\nf: 1e999\ng: 2.0\nh: -9223372036854775808\ni: 1.0.0\n", "x.yaml");
  EXPECT_DOUBLE_EQ(c.get_double("a", 0), -2.5e-3);
  EXPECT_DOUBLE_EQ(c.get_double("b", 0), 0.5);
  EXPECT_EQ(c.get_int("c", 0), 7);
  EXPECT_EQ(config_error([&] { c.get_int("d", 0); }), "x.yaml: key 'd' must be an integer, got '0x10'");
  EXPECT_EQ(c.get_double("e", 0), -INFINITY);
  EXPECT_EQ(config_error([&] { c.get_double("f", 0); }), "x.yaml: key 'f' must be a number, got '1e999'");
  EXPECT_EQ(c.get_int("g", 0), 2);
  EXPECT_EQ(c.get_int("h", 0), INT64_MIN);
  EXPECT_EQ(config_error([&] { c.get_double("i", 0); }), "x.yaml: key 'i' must be a number, got '1.0.0'");
}

TEST(ExperimentConfig, OverridesWinOverTheFile) {
  ExperimentConfig c = ExperimentConfig::from_string(kExperiment, "x.yaml");
  c.set("algorithm.lr=0.5");
  c.set("algorithm.hidden=[128, 128, 128]");
  c.set("algorithm.normalize=false");
  c.set("env.name=Ant");
  c.set("env.options.max_episode_steps=1000");
  c.set("schedule.kind.name=drift");  // intermediate maps are created
  c.set("algorithm.iterations=3");
  c.set("algorithm.iterations=4");  // the last one wins
  c.set("run.tag=");                // the empty string
  EXPECT_DOUBLE_EQ(c.get_double("algorithm.lr", 0.1), 0.5);
  EXPECT_EQ(c.get_int_list("algorithm.hidden", {}), (std::vector<int64_t>{128, 128, 128}));
  EXPECT_FALSE(c.get_bool("algorithm.normalize", true));
  EXPECT_EQ(c.get_string("env.name", ""), "Ant");
  EXPECT_EQ(c.get_string_map("env.options").at("max_episode_steps"), "1000");
  EXPECT_EQ(c.get_string("schedule.kind.name", ""), "drift");
  EXPECT_EQ(c.get_int("algorithm.iterations", 0), 4);
  EXPECT_EQ(c.get_string("run.tag", "x"), "");
  EXPECT_TRUE(c.has("schedule.kind"));
}

TEST(ExperimentConfig, OverrideReplacesAValueByAMap) {
  ExperimentConfig c = ExperimentConfig::from_string("env: HalfCheetah\n", "x.yaml");
  c.set("env.name=Ant");
  EXPECT_EQ(c.get_string("env.name", ""), "Ant");
  EXPECT_NO_THROW(c.reject_unknown());
}

TEST(ExperimentConfig, MalformedOverridesNameTheAssignment) {
  ExperimentConfig c = ExperimentConfig::from_string(kExperiment, "x.yaml");
  EXPECT_EQ(config_error([&] { c.set("abc"); }), "--set 'abc': expected key.path=value");
  EXPECT_EQ(config_error([&] { c.set("=3"); }), "--set '=3': expected key.path=value");
  EXPECT_EQ(config_error([&] { c.set("a..b=3"); }), "--set 'a..b=3': expected key.path=value");
  EXPECT_EQ(config_error([&] { c.set("a.=3"); }), "--set 'a.=3': expected key.path=value");
  EXPECT_EQ(config_error([&] { c.set("a b=3"); }), "--set 'a b=3': expected key.path=value");
  EXPECT_EQ(config_error([&] { c.set("a=[1, 2"); }),
            "--set 'a=[1, 2': cannot parse value: end of sequence flow not found");
  EXPECT_EQ(config_error([&] { c.set("a={b.c: 1}"); }),
            "--set 'a={b.c: 1}': key 'a.b.c' at line 1 contains '.'; write nested maps instead");
  EXPECT_FALSE(c.has("a"));
}

TEST(ExperimentConfig, WrongTypeFromAnOverrideNamesTheOverride) {
  ExperimentConfig c = ExperimentConfig::from_string(kExperiment, "x.yaml");
  c.set("algorithm.lr=fast");
  EXPECT_EQ(config_error([&] { c.get_double("algorithm.lr", 0.1); }),
            "x.yaml: key 'algorithm.lr' must be a number, got 'fast' (from --set 'algorithm.lr=fast')");
}

TEST(ExperimentConfig, UnknownKeysNameTheFirstKeyNobodyRead) {
  ExperimentConfig c = ExperimentConfig::from_string(kExperiment, "x.yaml");
  c.get_string("env.name", "");
  c.get_string_map("env.options");
  c.get_double("algorithm.lr", 0.1);
  EXPECT_EQ(config_error([&] { c.reject_unknown(); }), "x.yaml: unknown key 'algorithm.gamma'");
  c.get_double("algorithm.gamma", 0.99);
  c.get_int("algorithm.iterations", 1);
  c.get_int("algorithm.total_steps", 1);
  c.get_bool("algorithm.normalize", false);
  c.get_int_list("algorithm.hidden", {});
  EXPECT_EQ(config_error([&] { c.reject_unknown(); }), "x.yaml: unknown key 'algorithm.betas'");
  c.get_double_list("algorithm.betas", {});
  EXPECT_NO_THROW(c.reject_unknown());
}

TEST(ExperimentConfig, UnknownKeysInMapsAndOverrides) {
  {
    ExperimentConfig c = ExperimentConfig::from_string("algorithm:\n  lrr: 0.1\n  lr: 0.2\n", "x.yaml");
    c.get_double("algorithm.lr", 0.1);
    EXPECT_EQ(config_error([&] { c.reject_unknown(); }), "x.yaml: unknown key 'algorithm.lrr'");
  }
  {  // a map nobody read, empty or not
    ExperimentConfig c = ExperimentConfig::from_string("a: 1\nlogging: {}\nextra:\n", "x.yaml");
    c.get_int("a", 0);
    EXPECT_EQ(config_error([&] { c.reject_unknown(); }), "x.yaml: unknown key 'logging'");
    c.get_string_map("logging");
    EXPECT_EQ(config_error([&] { c.reject_unknown(); }), "x.yaml: unknown key 'extra'");
    c.get_int("extra.value", 3);  // reading below a null level counts for it
    EXPECT_NO_THROW(c.reject_unknown());
  }
  {
    ExperimentConfig c = ExperimentConfig::from_string("algorithm:\n  lr: 0.2\n", "x.yaml");
    c.set("algorithm.lrr=3");
    c.get_double("algorithm.lr", 0.1);
    EXPECT_EQ(config_error([&] { c.reject_unknown(); }),
              "x.yaml: unknown key 'algorithm.lrr' (from --set 'algorithm.lrr=3')");
  }
  {
    ExperimentConfig c = ExperimentConfig::from_string("", "x.yaml");
    c.set("policy.hidden=[8]");
    EXPECT_EQ(config_error([&] { c.reject_unknown(); }),
              "x.yaml: unknown key 'policy.hidden' (from --set 'policy.hidden=[8]')");
  }
}

TEST(ExperimentConfig, ResolvedYamlHasDefaultsAndOverridesAndParsesBack) {
  ExperimentConfig c = ExperimentConfig::from_string(kExperiment, "x.yaml");
  c.set("algorithm.lr=0.001");
  c.set("env.options.goal=north");
  c.set("run.label=true");  // a string that looks like a bool
  c.get_string("env.name", "");
  const auto options = c.get_string_map("env.options");
  const double lr = c.get_double("algorithm.lr", 0.1);
  c.get_double("algorithm.gamma", 0.99);
  c.get_int("algorithm.iterations", 1);
  c.get_int("algorithm.total_steps", 1);
  c.get_bool("algorithm.normalize", false);
  c.get_int_list("algorithm.hidden", {});
  c.get_double_list("algorithm.betas", {});
  c.get_double("algorithm.lam", 0.97);            // default
  c.get_int_list("policy.hidden", {32, 32});      // default, new section
  c.get_string("run.label", "");                  // override
  c.get_string("run.dir", "runs/a b: c");         // default that needs quoting
  c.get_string("run.empty", "");                  // default empty string
  c.get_bool("run.verbose", false);               // default
  c.get_double("run.tiny", 0.1);                  // default with no exact binary form
  ASSERT_NO_THROW(c.reject_unknown());

  const std::string yaml = c.resolved_yaml();
  EXPECT_EQ(yaml,
            "env:\n"
            "  name: HalfCheetah\n"
            "  options:\n"
            "    max_episode_steps: 200\n"
            "    ctrl_cost: 0.1\n"
            "    goal: north\n"
            "algorithm:\n"
            "  lr: 0.001\n"
            "  gamma: 1\n"
            "  iterations: 500\n"
            "  total_steps: 1000000\n"
            "  normalize: true\n"
            "  hidden: [64, 64]\n"
            "  betas: [0.9, 0.999]\n"
            "  lam: 0.97\n"
            "policy:\n"
            "  hidden: [32, 32]\n"
            "run:\n"
            "  label: \"true\"\n"
            "  dir: \"runs/a b: c\"\n"
            "  empty: \"\"\n"
            "  verbose: false\n"
            "  tiny: 0.1\n");

  ExperimentConfig back = ExperimentConfig::from_string(yaml, "config.yaml");
  EXPECT_EQ(back.get_string("env.name", ""), "HalfCheetah");
  EXPECT_EQ(back.get_string_map("env.options"), options);
  EXPECT_EQ(back.get_double("algorithm.lr", 0.0), lr);
  EXPECT_EQ(back.get_double("algorithm.gamma", 0.0), 1.0);
  EXPECT_EQ(back.get_int("algorithm.iterations", 0), 500);
  EXPECT_EQ(back.get_int("algorithm.total_steps", 0), 1000000);
  EXPECT_TRUE(back.get_bool("algorithm.normalize", false));
  EXPECT_EQ(back.get_int_list("algorithm.hidden", {}), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(back.get_double_list("algorithm.betas", {}), (std::vector<double>{0.9, 0.999}));
  EXPECT_EQ(back.get_double("algorithm.lam", 0.0), 0.97);
  EXPECT_EQ(back.get_int_list("policy.hidden", {}), (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(back.get_string("run.label", ""), "true");
  EXPECT_EQ(back.get_string("run.dir", ""), "runs/a b: c");
  EXPECT_EQ(back.get_string("run.empty", "x"), "");
  EXPECT_FALSE(back.get_bool("run.verbose", true));
  EXPECT_EQ(back.get_double("run.tiny", 0.0), 0.1);
  EXPECT_NO_THROW(back.reject_unknown());
  EXPECT_EQ(back.resolved_yaml(), yaml);
}

TEST(ExperimentConfig, ResolvedYamlOfNothingIsAnEmptyMap) {
  ExperimentConfig c = ExperimentConfig::from_string("", "x.yaml");
  EXPECT_EQ(c.resolved_yaml(), "{}\n");
}

TEST(ExperimentConfig, MalformedYamlNamesFileAndLine) {
  EXPECT_EQ(config_error([] { ExperimentConfig::from_string("a: 1\nb: [1, 2\nc: 3\n", "experiments/x.yaml"); }),
            "experiments/x.yaml: cannot parse YAML: end of sequence flow not found at line 3, column 2");
  EXPECT_EQ(config_error([] { ExperimentConfig::from_string("a: 1\n  b: 2\n", "x.yaml"); }),
            "x.yaml: cannot parse YAML: illegal map value at line 2, column 4");
  EXPECT_EQ(config_error([] { ExperimentConfig::from_string("a: 1\nb: 2\na: 3\n", "x.yaml"); }),
            "x.yaml: duplicate key 'a' at line 3");
  EXPECT_EQ(config_error([] { ExperimentConfig::from_string("env:\n  x.y: 2\n", "x.yaml"); }),
            "x.yaml: key 'env.x.y' at line 2 contains '.'; write nested maps instead");
  EXPECT_EQ(config_error([] { ExperimentConfig::from_string("- 1\n- 2\n", "x.yaml"); }),
            "x.yaml: the top level must be a map of keys, got a list");
  EXPECT_EQ(config_error([] { ExperimentConfig::from_string("a: 1\n---\nb: 2\n", "x.yaml"); }),
            "x.yaml: expected one YAML document, found 2");
  // An alias to its own enclosing list is infinitely deep.
  const std::string cyclic = config_error([] { ExperimentConfig::from_string("a: &x [1, *x]\n", "x.yaml"); });
  EXPECT_EQ(cyclic.rfind("x.yaml: nesting deeper than 64 levels at 'a[1][1][1]", 0), 0u) << cyclic;
}

TEST(ExperimentConfig, EmptyAndCommentOnlyFilesAreEmptyConfigurations) {
  for (const char* text : {"", "# nothing yet\n", "---\n"}) {
    ExperimentConfig c = ExperimentConfig::from_string(text, "x.yaml");
    EXPECT_EQ(c.get_int("a", 5), 5);
    EXPECT_NO_THROW(c.reject_unknown());
  }
}

TEST(ExperimentConfig, LoadReadsAFileAndNamesItInErrors) {
  const std::string dir = ::testing::TempDir() + "/config_test_load";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/exp.yaml";
  std::ofstream(path) << "env:\n  name: Ant\nalgorithm:\n  lr: [\n";
  EXPECT_EQ(config_error([&] { ExperimentConfig::load(path); }),
            path + ": cannot parse YAML: end of sequence flow not found at line 5, column 1");
  std::ofstream(path) << "env:\n  name: Ant\n";
  ExperimentConfig c = ExperimentConfig::load(path);
  EXPECT_EQ(c.source(), path);
  EXPECT_EQ(c.get_string("env.name", ""), "Ant");
  EXPECT_EQ(config_error([&] { ExperimentConfig::load(dir + "/absent.yaml"); }),
            dir + "/absent.yaml: cannot read file: No such file or directory");
  EXPECT_EQ(config_error([&] { ExperimentConfig::load(dir); }), dir + ": cannot read file: Is a directory");
  std::filesystem::remove_all(dir);
}

// A config.yaml as committed run directories hold it: a copy of
// experiments/results/continual/bug_crippled/as_tested/config.yaml, so that
// it stays what an earlier build wrote.
const char* const kCommittedRunConfig = R"(name: continual_bug_crippled_as_tested
seed: 0
threads: 2
algorithm:
  name: maml
  tasks_per_batch: 24
  episodes_per_task: 3
  inner_steps: 3
  inner_lr: 0.001
  normalize_inner_advantages: true
  meta_gradient: lvc
  normalize_outer_advantages: true
  gamma: 0.995
  chain_length: 7
  inner_episodes: shared
  chain_pairs: 2
  off_policy_step_sizes: true
  inner_clip: 0.2
  initial_inner_kl: 0.01
  gae_lambda: 0.95
  outer: ppo
  learning_rate: 3e-04
  epochs: 5
  minibatches: 4
  clip_range: 0.2
  learn_inner_lr: true
  step_size_learning_rate: 0.01
  step_size_updates: iteration
  theta_gradient_clip: 0
  value_function: adapted_mlp
  value_hidden: [64, 64]
  value_inner_lr: 0.001
  value_coef: 0.5
env:
  name: Bug
  options:
    max_episode_steps: 200
  task_family: BugCrippledLegs
  family_options: {}
  task: ""
  trial_episodes: 0
policy:
  type: gaussian_mlp
  init_std: 1
  output_gain: 0.01
  hidden: [64, 64]
  activation: tanh
training:
  total_env_steps: 5000000
  checkpoint_every: 5
  snapshot_every_env_steps: 2500000
)";

TEST(ExperimentConfig, ACommittedConfigYamlReadsBackAsWritten) {
  ExperimentConfig c = ExperimentConfig::from_string(kCommittedRunConfig, "as_tested/config.yaml");
  // Every key, in file order (the order run.cc reads them in), with the getter run.cc uses.
  EXPECT_EQ(c.get_string("name", ""), "continual_bug_crippled_as_tested");
  EXPECT_EQ(c.get_int("seed", 1), 0);
  EXPECT_EQ(c.get_int("threads", 1), 2);
  EXPECT_EQ(c.get_string("algorithm.name", ""), "maml");
  EXPECT_EQ(c.get_int("algorithm.tasks_per_batch", 0), 24);
  EXPECT_EQ(c.get_int("algorithm.episodes_per_task", 0), 3);
  EXPECT_EQ(c.get_int("algorithm.inner_steps", 0), 3);
  EXPECT_EQ(c.get_double("algorithm.inner_lr", 0), 0.001);
  EXPECT_TRUE(c.get_bool("algorithm.normalize_inner_advantages", false));
  EXPECT_EQ(c.get_string("algorithm.meta_gradient", ""), "lvc");
  EXPECT_TRUE(c.get_bool("algorithm.normalize_outer_advantages", false));
  EXPECT_EQ(c.get_double("algorithm.gamma", 0), 0.995);
  EXPECT_EQ(c.get_int("algorithm.chain_length", 0), 7);
  EXPECT_EQ(c.get_string("algorithm.inner_episodes", ""), "shared");
  EXPECT_EQ(c.get_int("algorithm.chain_pairs", 0), 2);
  EXPECT_TRUE(c.get_bool("algorithm.off_policy_step_sizes", false));
  EXPECT_EQ(c.get_double("algorithm.inner_clip", 0), 0.2);
  EXPECT_EQ(c.get_double("algorithm.initial_inner_kl", 0), 0.01);
  EXPECT_EQ(c.get_double("algorithm.gae_lambda", 0), 0.95);
  EXPECT_EQ(c.get_string("algorithm.outer", ""), "ppo");
  EXPECT_EQ(c.get_double("algorithm.learning_rate", 0), 3e-4);  // written "3e-04"
  EXPECT_EQ(c.get_int("algorithm.epochs", 0), 5);
  EXPECT_EQ(c.get_int("algorithm.minibatches", 0), 4);
  EXPECT_EQ(c.get_double("algorithm.clip_range", 0), 0.2);
  EXPECT_TRUE(c.get_bool("algorithm.learn_inner_lr", false));
  EXPECT_EQ(c.get_double("algorithm.step_size_learning_rate", 0), 0.01);
  EXPECT_EQ(c.get_string("algorithm.step_size_updates", ""), "iteration");
  EXPECT_EQ(c.get_double("algorithm.theta_gradient_clip", 1), 0.0);
  EXPECT_EQ(c.get_string("algorithm.value_function", ""), "adapted_mlp");
  EXPECT_EQ(c.get_int_list("algorithm.value_hidden", {}), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(c.get_double("algorithm.value_inner_lr", 0), 0.001);
  EXPECT_EQ(c.get_double("algorithm.value_coef", 0), 0.5);
  EXPECT_EQ(c.get_string_required("env.name"), "Bug");
  EXPECT_EQ(c.get_string_map("env.options"), (std::map<std::string, std::string>{{"max_episode_steps", "200"}}));
  EXPECT_EQ(c.get_string("env.task_family", ""), "BugCrippledLegs");
  EXPECT_TRUE(c.get_string_map("env.family_options").empty());
  EXPECT_EQ(c.get_string("env.task", "x"), "");
  EXPECT_EQ(c.get_int("env.trial_episodes", 1), 0);
  EXPECT_EQ(c.get_string("policy.type", ""), "gaussian_mlp");
  EXPECT_EQ(c.get_double("policy.init_std", 0), 1.0);
  EXPECT_EQ(c.get_double("policy.output_gain", 0), 0.01);
  EXPECT_EQ(c.get_int_list("policy.hidden", {}), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(c.get_string("policy.activation", ""), "tanh");
  EXPECT_EQ(c.get_int("training.total_env_steps", 0), 5000000);
  EXPECT_EQ(c.get_int("training.checkpoint_every", 0), 5);
  EXPECT_EQ(c.get_int("training.snapshot_every_env_steps", 0), 2500000);
  ASSERT_NO_THROW(c.reject_unknown());

  // Written again byte for byte, so a resumed run compares equal and keeps its file.
  EXPECT_EQ(c.resolved_yaml(), kCommittedRunConfig);
  EXPECT_EQ(ExperimentConfig::from_string(c.resolved_yaml(), "this run").leaves(),
            ExperimentConfig::from_string(kCommittedRunConfig, "config.yaml").leaves());
}

TEST(ExperimentConfig, LeavesCompareValuesNotQuoting) {
  const auto plain = ExperimentConfig::from_string(
      "env:\n  name: Bug\n  task: \"\"\n  options: {max_episode_steps: 200, goal: a b}\nflag: \"true\"\n", "a.yaml");
  const auto quoted = ExperimentConfig::from_string(
      "env:\n  name: \"Bug\"\n  task: ''\n  options:\n    max_episode_steps: \"200\"\n    goal: 'a b'\nflag: true\n",
      "b.yaml");
  EXPECT_EQ(plain.leaves(), quoted.leaves());
  EXPECT_EQ(plain.leaves(), (std::map<std::string, std::string>{{"env.name", "Bug"},
                                                                {"env.task", "\"\""},
                                                                {"env.options.max_episode_steps", "200"},
                                                                {"env.options.goal", "\"a b\""},
                                                                {"flag", "true"}}));
}

TEST(ExperimentConfig, CopiesAreIndependent) {
  ExperimentConfig a = ExperimentConfig::from_string("algorithm:\n  lr: 0.1\n", "x.yaml");
  ExperimentConfig b = a;
  b.set("algorithm.lr=0.2");
  b.set("algorithm.epochs=3");
  EXPECT_EQ(a.get_double("algorithm.lr", 0), 0.1);
  EXPECT_FALSE(a.has("algorithm.epochs"));
  EXPECT_EQ(b.get_double("algorithm.lr", 0), 0.2);
  a = b;
  EXPECT_EQ(a.get_int("algorithm.epochs", 0), 3);
  a.get_double("algorithm.gamma", 0.9);
  EXPECT_EQ(b.resolved_yaml(), "algorithm:\n  lr: 0.2\n");
  EXPECT_EQ(a.resolved_yaml(), "algorithm:\n  lr: 0.2\n  epochs: 3\n  gamma: 0.9\n");
}

TEST(ExperimentConfig, AnOverrideChangesOnePlaceEvenThroughAnAlias) {
  ExperimentConfig c = ExperimentConfig::from_string("a: &x {b: 1}\nc: *x\n", "x.yaml");
  c.set("a.b=2");
  EXPECT_EQ(c.get_int("a.b", 0), 2);
  EXPECT_EQ(c.get_int("c.b", 0), 1);
}

TEST(ExperimentConfig, NumbersYamlCppWouldReadOtherwise) {
  // Octal-looking integers are decimal; yes/on are not bools; .nan is not a number.
  ExperimentConfig c = ExperimentConfig::from_string("a: 010\nb: yes\nc: on\nd: 1E6\ne: 0o17\n", "x.yaml");
  EXPECT_EQ(c.get_int("a", 0), 10);
  EXPECT_EQ(config_error([&] { c.get_bool("b", false); }), "x.yaml: key 'b' must be true or false, got 'yes'");
  EXPECT_EQ(config_error([&] { c.get_bool("c", false); }), "x.yaml: key 'c' must be true or false, got 'on'");
  EXPECT_EQ(c.get_int("d", 0), 1000000);
  EXPECT_EQ(config_error([&] { c.get_int("e", 0); }), "x.yaml: key 'e' must be an integer, got '0o17'");
}

}  // namespace
}  // namespace metarl
