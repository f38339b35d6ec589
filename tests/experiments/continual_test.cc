// Continual adaptation's inner steps: the step learned in training is the
// step taken at test time, the step sizes start and move as configured.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "experiments/config.h"
#include "experiments/run.h"
#include "meta/maml_trainer.h"

namespace metarl {
namespace {

// The sanity chain, small: 3 tasks × 2 episodes of 20 steps, three inner
// steps on the same episodes.
std::string continual_yaml(const std::string& algorithm_extra) {
  return R"(name: continual
seed: 4
threads: 1
env:
  name: Navigation2D
  task_family: Navigation2DDrift
  options:
    max_episode_steps: 20
    normalized_actions: true
algorithm:
  name: maml
  tasks_per_batch: 3
  episodes_per_task: 2
  inner_steps: 3
  inner_lr: 0.2
  chain_length: 7
  inner_episodes: shared
  outer: ppo
  epochs: 5
  minibatches: 3
  inner_clip: 0.2
)" + algorithm_extra +
         R"(training:
  total_env_steps: 100000
)";
}

Params stacked_copy(const Params& theta, int64_t tasks, double noise) {
  Params out;
  for (const auto& p : theta) {
    auto t = p.detach().unsqueeze(0).repeat_interleave(tasks, 0).clone();
    if (noise > 0) t = t + noise * torch::randn_like(t);
    out.push_back(t);
  }
  return out;
}

// On the same episodes, whoever acted them, the parameters test-time
// adaptation steps to (MamlTrainer::adapt_on, also training's sampled path)
// equal those of the map the meta-gradient differentiates (adapt(), as in
// meta_loss), for every estimator continual adaptation accepts.
TEST(ContinualAdaptation, TrainingAndTestTakeTheSameInnerStepsOnTheSameEpisodes) {
  for (const std::string estimator : {"lvc", "dice", "first_order"}) {
    SCOPED_TRACE(estimator);
    auto cfg = ExperimentConfig::from_string(continual_yaml("  meta_gradient: " + estimator + "\n"), "c.yaml");
    Experiment x = build_experiment(cfg, "continual");
    x.trainer->run_iteration();  // tasks assigned, θ moved once
    const MamlConfig& config = dynamic_cast<MamlTrainer&>(*x.trainer).config();
    EXPECT_TRUE(config.inner.off_policy);
    const int64_t tasks = config.tasks_per_batch;
    const Params theta = dynamic_cast<MamlTrainer&>(*x.trainer).policy().parameters();
    Sampler sampler(*x.env, dynamic_cast<MamlTrainer&>(*x.trainer).policy(), 9);
    torch::manual_seed(3);
    // θ's own episodes (training), and episodes of policies away from θ (test time).
    for (const double noise : {0.0, 0.05}) {
      SCOPED_TRACE(noise);
      const EpisodeBatch episodes = sampler.collect_episodes_grouped(20, stacked_copy(theta, tasks, noise), tasks);
      const Params tested = dynamic_cast<MamlTrainer&>(*x.trainer).adapt_on(episodes, tasks, /*acted_by_adapted=*/noise > 0);
      MetaBatch batch;
      batch.tasks = tasks;
      const InnerBatch ib{episodes, all_task_advantages(episodes, tasks, config.gamma, config.gae_lambda)};
      batch.inner.assign(size_t(config.inner.steps), ib);
      const Params trained = adapt(dynamic_cast<MamlTrainer&>(*x.trainer).policy(), theta, batch, config.inner, dynamic_cast<MamlTrainer&>(*x.trainer).step_sizes());
      double moved = 0;
      for (size_t i = 0; i < theta.size(); ++i) {
        EXPECT_TRUE(torch::allclose(tested[i], trained[i].detach(), 1e-5, 1e-6)) << "parameter " << i;
        moved += (tested[i] - theta[i].unsqueeze(0)).abs().max().item<double>();
      }
      EXPECT_GT(moved, 1e-3);  // the steps did move the policy
    }
  }
}

// step_size_updates: iteration — the step sizes take one Adam step per
// meta-iteration, on the gradient averaged over its 5 epochs × 3
// minibatches: Adam's first step moves log α by its learning rate.
TEST(ContinualAdaptation, StepSizesTakeOneStepPerIterationWhenUpdatedPerIteration) {
  auto cfg = ExperimentConfig::from_string(
      continual_yaml("  meta_gradient: lvc\n  learn_inner_lr: true\n  step_size_learning_rate: 0.01\n"
                     "  step_size_updates: iteration\n"),
      "c.yaml");
  Experiment x = build_experiment(cfg, "continual");
  const Metrics m = x.trainer->run_iteration();
  const torch::Tensor moved = (dynamic_cast<MamlTrainer&>(*x.trainer).step_sizes() / 0.2).log().abs();
  for (int64_t k = 0; k < 3; ++k) EXPECT_NEAR(moved[k].item<double>(), 0.01, 1e-4) << "step " << k;
  // The per-task log-α gradients are reported, one mean and spread per step.
  int reported = 0;
  for (const auto& [key, value] : m)
    if (key.rfind("log_step_size_grad_", 0) == 0) {
      ++reported;
      EXPECT_TRUE(std::isfinite(value)) << key;
    }
  EXPECT_EQ(reported, 6);
}

// initial_inner_kl: the step sizes are scaled before the first inner steps
// so that those steps move the policy by that KL (the inner_kl metric, on
// the same episodes).
TEST(ContinualAdaptation, InitialInnerKlScalesTheStepSizesToIt) {
  auto cfg = ExperimentConfig::from_string(
      continual_yaml("  meta_gradient: lvc\n  initial_inner_kl: 0.02\n"), "c.yaml");
  Experiment x = build_experiment(cfg, "continual");
  const Metrics m = x.trainer->run_iteration();
  double kl = -1;
  for (const auto& [key, value] : m)
    if (key == "inner_kl") kl = value;
  EXPECT_NEAR(kl, 0.02, 0.0006);
  const torch::Tensor alphas = dynamic_cast<MamlTrainer&>(*x.trainer).step_sizes();
  EXPECT_GT(std::abs(alphas[0].item<double>() - 0.2), 1e-3);  // not as configured
  EXPECT_NEAR(alphas[1].item<double>(), alphas[0].item<double>(), 1e-9);  // one factor for all steps
}

// chain_pairs: each task's chain rolled out over consecutive positions in
// one iteration (θ at p, then each adapted policy at the next position):
// three rounds of episodes for two pairs, the envs left at p + 2.
TEST(ContinualAdaptation, ChainPairsRollTheChainOutOverConsecutivePositions) {
  auto cfg = ExperimentConfig::from_string(continual_yaml("  meta_gradient: lvc\n  chain_pairs: 2\n"), "c.yaml");
  Experiment x = build_experiment(cfg, "continual");
  for (int iteration = 1; iteration <= 3; ++iteration) {
    x.trainer->run_iteration();
    // 3 rounds of 6 episodes of at most 20 steps (one that reaches its goal ends early).
    EXPECT_LE(x.trainer->env_steps(), iteration * 3 * 6 * 20);
    EXPECT_GT(x.trainer->env_steps(), iteration * 2 * 6 * 20);
    for (int i = 0; i < x.env->num_envs(); ++i) {
      const int position = x.env->env(i).episode_index();
      EXPECT_GE(position, 2);
      EXPECT_LE(position, 6);
    }
  }
  // Pairs after the first need shared inner episodes and the PPO outer step.
  const std::string yaml = continual_yaml("  meta_gradient: lvc\n  chain_pairs: 2\n");
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"inner_episodes: shared", "inner_episodes: per_step"},
                                 {"outer: ppo", "outer: trpo"}}) {
    std::string text = yaml;
    text.replace(text.find(from), from.size(), to);
    if (to == "outer: trpo") text.replace(text.find("  minibatches: 3\n"), 16, "");
    auto bad = ExperimentConfig::from_string(text, "bad.yaml");
    EXPECT_THROW(build_experiment(bad, "bad"), std::exception) << to;
  }
}

// theta_gradient_clip clips every element of θ's meta-gradient before
// Adam's step. Clipped to 1e-12, far below Adam's ε (1e-8), each step moves
// a parameter by about 1e-4 of the learning rate; unclipped, by about the
// learning rate.
TEST(ContinualAdaptation, ThetaGradientClipBoundsEveryElementOfThetasGradient) {
  auto largest_change = [](const std::string& clip) {
    auto cfg = ExperimentConfig::from_string(
        continual_yaml("  meta_gradient: lvc\n  learning_rate: 0.001\n  theta_gradient_clip: " + clip + "\n"), "c.yaml");
    Experiment x = build_experiment(cfg, "continual");
    std::vector<torch::Tensor> before;
    for (const auto& p : dynamic_cast<MamlTrainer&>(*x.trainer).policy().parameters()) before.push_back(p.detach().clone());
    x.trainer->run_iteration();  // 5 epochs × 3 minibatches: 15 Adam steps
    double largest = 0;
    const auto after = dynamic_cast<MamlTrainer&>(*x.trainer).policy().parameters();
    for (size_t i = 0; i < before.size(); ++i)
      largest = std::max(largest, (after[i].detach() - before[i]).abs().max().item<double>());
    return largest;
  };
  EXPECT_LT(largest_change("1.0e-12"), 15 * 1e-3 * 2e-4);
  EXPECT_GT(largest_change("0"), 1e-3);  // 0: not clipped
}

}  // namespace
}  // namespace metarl
