// The adapted value network of continual adaptation: grouped evaluation, the
// inner value step, and the outer value loss's gradients through it (with
// respect to ψ and the learned step sizes) against finite differences.
#include "meta/adapted_value.h"

#include <gtest/gtest.h>

#include "agents/gae.h"
#include "meta/maml.h"

namespace metarl {
namespace {

constexpr int64_t kTasks = 2, kPerTask = 3, kSteps = 5, kObs = 4;

Params as_double(const Params& p) {
  Params out;
  for (const auto& t : p) out.push_back(t.detach().to(torch::kFloat64));
  return out;
}

ValueBatch random_batch(uint64_t seed) {
  torch::manual_seed(seed);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  ValueBatch b;
  b.observations = torch::randn({kSteps, kTasks * kPerTask, kObs}, opts);
  b.targets = torch::randn({kSteps, kTasks * kPerTask}, opts) + 1.0;
  b.masks = torch::ones({kSteps, kTasks * kPerTask}, opts);
  b.masks.index_put_({torch::indexing::Slice(3, kSteps), 0}, 0.0);  // a short episode
  b.targets = b.targets * b.masks;
  return b;
}

TEST(AdaptedValue, GroupedEvaluationUsesEachGroupsParameters) {
  torch::manual_seed(0);
  MlpValueFunction value(kObs, {8, 8}, Activation::kTanh);
  Params other;
  for (const auto& p : value.parameters()) other.push_back(p.detach() + 0.1 * torch::randn_like(p));
  const Params stacked = stack_params({value.parameters(), other});
  const auto obs = torch::randn({kSteps, kTasks * kPerTask, kObs});
  const auto grouped = value.forward_grouped(obs, stacked, kTasks);
  ASSERT_EQ(grouped.sizes(), (std::vector<int64_t>{kSteps, kTasks * kPerTask}));
  EXPECT_TRUE(torch::allclose(grouped.narrow(1, 0, kPerTask), value.forward(obs.narrow(1, 0, kPerTask)), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(grouped.narrow(1, kPerTask, kPerTask),
                              value.forward(obs.narrow(1, kPerTask, kPerTask), other), 1e-5, 1e-6));
}

TEST(AdaptedValue, AnInnerStepFitsEachTasksOwnTargets) {
  torch::manual_seed(1);
  MlpValueFunction value(kObs, {8}, Activation::kTanh);
  const ValueBatch batch = random_batch(2);
  const Params psi = replicate(as_double(value.parameters()), kTasks);
  const auto before = value_losses(value, batch, psi, kTasks);
  const Params adapted = adapt_value_step(value, psi, batch, torch::tensor(0.05, torch::kFloat64), kTasks, false);
  const auto after = value_losses(value, batch, adapted, kTasks);
  for (int64_t i = 0; i < kTasks; ++i) EXPECT_LT(after[i].item<double>(), before[i].item<double>()) << "task " << i;
  // The tasks now have different parameters: each moved toward its own targets.
  EXPECT_FALSE(torch::allclose(adapted[0][0], adapted[0][1]));
}

TEST(AdaptedValue, OuterLossGradientsThroughTheInnerStepsMatchFiniteDifferences) {
  torch::manual_seed(3);
  MlpValueFunction value(kObs, {6}, Activation::kTanh);
  const std::vector<ValueBatch> inner = {random_batch(4), random_batch(5)};
  const ValueBatch validation = random_batch(6);
  auto outer = [&](const Params& psi, const torch::Tensor& betas) {
    Params p = replicate(psi, kTasks);
    for (size_t k = 0; k < inner.size(); ++k) p = adapt_value_step(value, p, inner[k], betas[int64_t(k)], kTasks, true);
    return value_losses(value, validation, p, kTasks).mean();
  };
  Params psi = as_double(value.parameters());
  for (auto& p : psi) p.requires_grad_(true);
  auto betas = torch::tensor({0.1, 0.05}, torch::kFloat64).requires_grad_(true);
  std::vector<torch::Tensor> wrt = psi;
  wrt.push_back(betas);
  const auto grads = torch::autograd::grad({outer(psi, betas)}, wrt);
  const double h = 1e-6;
  // Step sizes.
  for (int64_t k = 0; k < 2; ++k) {
    auto plus = betas.detach().clone(), minus = betas.detach().clone();
    plus[k] += h;
    minus[k] -= h;
    const double fd = (outer(psi, plus).item<double>() - outer(psi, minus).item<double>()) / (2 * h);
    EXPECT_NE(grads.back()[k].item<double>(), 0.0);
    EXPECT_NEAR(grads.back()[k].item<double>(), fd, 1e-6 + 1e-5 * std::abs(fd)) << "step size " << k;
  }
  // ψ along a random direction: second order through both inner steps.
  Params direction, plus, minus;
  double analytic = 0;
  for (size_t i = 0; i < psi.size(); ++i) {
    direction.push_back(torch::randn_like(psi[i]));
    plus.push_back(psi[i].detach() + h * direction[i]);
    minus.push_back(psi[i].detach() - h * direction[i]);
    analytic += (grads[i] * direction[i]).sum().item<double>();
  }
  const double fd = (outer(plus, betas.detach()).item<double>() - outer(minus, betas.detach()).item<double>()) / (2 * h);
  EXPECT_NEAR(analytic, fd, 1e-6 + 1e-5 * std::abs(fd));
}

TEST(AdaptedValue, AdvantagesAreGaeFromTheTasksValuesAndTargetsTheirLambdaReturns) {
  torch::manual_seed(7);
  MlpValueFunction value(kObs, {5}, Activation::kTanh);
  EpisodeBatch b;
  const int64_t n = kTasks * kPerTask;
  b.observations = torch::randn({kSteps, n, kObs});
  b.next_observations = torch::randn({kSteps, n, kObs});
  b.rewards = torch::randn({kSteps, n});
  b.terminated = torch::zeros({kSteps, n});
  b.terminated[2][1] = 1.0;  // env 1 falls at t = 2
  b.truncated = torch::zeros({kSteps, n});
  b.truncated[kSteps - 1] = 1.0;
  b.episode_end = torch::clamp_max(b.terminated + b.truncated, 1.0);
  b.masks = torch::ones({kSteps, n});
  b.masks.index_put_({torch::indexing::Slice(3, kSteps), 1}, 0.0);
  Params other;
  for (const auto& p : value.parameters()) other.push_back(p.detach() * 0.5);
  const Params stacked = stack_params({value.parameters(), other});
  const double scale = 2.5;
  const ValueAdvantages va = value_advantages(value, stacked, b, kTasks, scale, 0.99, 0.9);
  // By hand for task 1's first env (column kPerTask), parameters `other`.
  const auto v = value.forward(b.observations.select(1, kPerTask), other).detach() * scale;
  const auto next_v = value.forward(b.next_observations.select(1, kPerTask), other).detach() * scale;
  const auto r = b.rewards.select(1, kPerTask);
  double gae = 0;
  for (int64_t t = kSteps - 1; t >= 0; --t) {
    // Truncated at the last step: bootstrap from the value of the last observation.
    const double delta = r[t].item<double>() + 0.99 * next_v[t].item<double>() - v[t].item<double>();
    gae = delta + (t == kSteps - 1 ? 0.0 : 0.99 * 0.9 * gae);
    EXPECT_NEAR(va.advantages[t][kPerTask].item<double>(), gae, 1e-4) << "t " << t;
    EXPECT_NEAR(va.batch.targets[t][kPerTask].item<double>(), (gae + v[t].item<double>()) / scale, 1e-4);
  }
  // Env 1 fell: no bootstrap after its terminal step, nothing after it.
  const auto v1 = value.forward(b.observations.select(1, 1)).detach() * scale;
  EXPECT_NEAR(va.advantages[2][1].item<double>(), b.rewards[2][1].item<double>() - v1[2].item<double>(), 1e-4);
  EXPECT_EQ(va.batch.targets[4][1].item<double>(), 0.0);
}

}  // namespace
}  // namespace metarl
