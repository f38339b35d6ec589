#include "agents/policy.h"

#include <gtest/gtest.h>

#include "agents/value_function.h"

namespace metarl {
namespace {

TEST(GaussianMlpPolicy, LayoutAndInitialStd) {
  torch::manual_seed(0);
  MlpPolicyConfig config;
  config.hidden = {32, 16};
  config.init_std = 0.5;
  GaussianMlpPolicy policy(5, 3, config);
  const auto& p = policy.parameters();
  ASSERT_EQ(p.size(), 7u);  // 3 layers x (W, b) + log_std
  EXPECT_EQ(p[0].sizes(), (std::vector<int64_t>{32, 5}));
  EXPECT_EQ(p[4].sizes(), (std::vector<int64_t>{3, 16}));
  EXPECT_NEAR(torch::exp(p[6]).mean().item<float>(), 0.5, 1e-6);
  for (const auto& t : p) EXPECT_TRUE(t.requires_grad() && t.is_leaf());
}

TEST(GaussianMlpPolicy, IsFunctionalInItsParameters) {
  torch::manual_seed(1);
  GaussianMlpPolicy policy(4, 2, MlpPolicyConfig{});
  const auto obs = torch::randn({6, 4});
  // Evaluating with other parameters changes the output; the policy's own are untouched.
  Params shifted;
  for (const auto& t : policy.parameters()) shifted.push_back(t + 0.1);
  const auto own = policy.forward(obs, policy.parameters()).mean;
  const auto other = policy.forward(obs, shifted).mean;
  EXPECT_FALSE(torch::allclose(own, other));
  // Gradients reach the parameters that were passed, through the shifted copies too.
  policy.forward(obs, shifted).mean.sum().backward();
  EXPECT_TRUE(policy.parameters()[0].grad().defined());
  EXPECT_GT(policy.parameters()[0].grad().abs().sum().item<float>(), 0.f);
  // Any leading shape: [T, N, obs] -> [T, N, act].
  EXPECT_EQ(policy.forward(torch::randn({3, 5, 4}), policy.parameters()).mean.sizes(), (std::vector<int64_t>{3, 5, 2}));
  EXPECT_THROW(policy.forward(obs, Params(shifted.begin(), shifted.end() - 1)), std::invalid_argument);
}

TEST(GaussianMlpPolicy, HandComputedForwardPass) {
  MlpPolicyConfig config;
  config.hidden = {2};
  GaussianMlpPolicy policy(1, 1, config);
  const Params params = {torch::tensor({{1.0f}, {-2.0f}}), torch::tensor({0.5f, 0.0f}), torch::tensor({{3.0f, 1.0f}}),
                         torch::tensor({0.25f}), torch::tensor({0.1f})};
  const auto out = policy.forward(torch::tensor({{0.7f}}), params);
  const double expected = 3.0 * std::tanh(0.7 + 0.5) + 1.0 * std::tanh(-1.4) + 0.25;
  EXPECT_NEAR(out.mean.item<float>(), expected, 1e-6);
  EXPECT_NEAR(out.log_std.item<float>(), 0.1, 1e-7);
}

TEST(LstmPolicy, SequenceLogProbsMatchAStepByStepUnroll) {
  torch::manual_seed(3);
  LstmPolicyConfig config;
  config.embedding = 8;
  config.hidden = 6;
  config.bptt = 4;
  LstmPolicy policy(3, 2, config);
  const int64_t steps = 9, envs = 4;
  const auto obs = torch::randn({steps, envs, 3});
  const auto actions = torch::randn({steps, envs, 2});
  auto starts = torch::zeros({steps, envs});
  starts[0].fill_(1.0);
  starts[4][1] = 1.0;  // env 1 begins a new episode at t = 4
  starts[6][3] = 1.0;
  // A non-zero state before t = 0 (a batch that begins mid-episode).
  const PolicyState initial{torch::randn({envs, 6}), torch::randn({envs, 6})};
  starts[0][2] = 0.0;  // env 2 continues its episode from `initial`

  const auto sequence = policy.evaluate(obs, starts, initial, policy.parameters()).log_prob(actions);
  PolicyState state = initial;
  for (int64_t t = 0; t < steps; ++t) {
    const auto step = policy.step(obs[t], starts[t], state, policy.parameters()).log_prob(actions[t]);
    EXPECT_TRUE(torch::allclose(sequence[t], step, 1e-5, 1e-6)) << "t = " << t;
  }
}

TEST(LstmPolicy, MeansEqualLibTorchsOwnLstmCell) {
  // An independent reference for the gate arithmetic (PyTorch's gate order
  // input, forget, cell, output is the policy's): torch::lstm_cell on the
  // embedded observations, then the output layer, plain and grouped.
  torch::manual_seed(7);
  LstmPolicyConfig config;
  config.embedding = 5;
  config.hidden = 4;
  LstmPolicy policy(3, 2, config);
  const auto& p = policy.parameters();
  const int64_t steps = 6, envs = 2;
  const auto obs = torch::randn({steps, envs, 3});
  auto starts = torch::zeros({steps, envs});
  starts[0].fill_(1.0);
  starts[3][1] = 1.0;
  const auto mean = policy.evaluate(obs, starts, PolicyState{}, p).mean;
  auto h = torch::zeros({envs, 4}), c = torch::zeros({envs, 4});
  for (int64_t t = 0; t < steps; ++t) {
    const auto keep = (1.0 - starts[t]).unsqueeze(1);
    const auto x = torch::tanh(torch::nn::functional::linear(obs[t], p[0], p[1]));
    const auto hc = torch::lstm_cell(x, {h * keep, c * keep}, p[2], p[3], p[4]);
    h = std::get<0>(hc);
    c = std::get<1>(hc);
    const auto expected = torch::nn::functional::linear(h, p[5], p[6]);
    EXPECT_TRUE(torch::allclose(mean[t], expected, 1e-5, 1e-6)) << "t = " << t;
  }
  // Two groups with their own parameters: each group's means are those of its own policy.
  Params other;
  for (const auto& q : p) other.push_back(q.detach() + 0.1 * torch::randn_like(q));
  const auto stacked = stack_params({p, other});
  const auto obs2 = torch::randn({steps, 2 * envs, 3});
  const auto starts2 = torch::cat({starts, starts}, 1);
  const auto grouped = policy.evaluate_grouped(obs2, starts2, PolicyState{}, stacked, 2).mean;
  const auto first = policy.evaluate(obs2.narrow(1, 0, envs), starts, PolicyState{}, p).mean;
  const auto second = policy.evaluate(obs2.narrow(1, envs, envs), starts, PolicyState{}, other).mean;
  EXPECT_TRUE(torch::allclose(grouped, torch::cat({first, second}, 1), 1e-5, 1e-6));
}

TEST(LstmPolicy, StateResetsAtEpisodeStartsAndGradientsAreTruncated) {
  torch::manual_seed(4);
  LstmPolicyConfig config;
  config.bptt = 3;
  LstmPolicy policy(2, 1, config);
  const auto obs = torch::randn({1, 1, 2});
  const PolicyState noisy{torch::randn({1, 64}), torch::randn({1, 64})};
  const auto fresh = policy.evaluate(obs, torch::ones({1, 1}), noisy, policy.parameters()).mean;
  const auto zero = policy.evaluate(obs, torch::ones({1, 1}), policy.initial_state(1), policy.parameters()).mean;
  EXPECT_TRUE(torch::allclose(fresh, zero));  // the start flag discards the old state
  const auto carried = policy.evaluate(obs, torch::zeros({1, 1}), noisy, policy.parameters()).mean;
  EXPECT_FALSE(torch::allclose(carried, zero));

  // With bptt = 3, the output at t = 5 does not depend on the observation at t = 1.
  auto seq = torch::randn({6, 1, 2}).requires_grad_(true);
  auto starts = torch::zeros({6, 1});
  starts[0].fill_(1.0);
  policy.evaluate(seq, starts, PolicyState{}, policy.parameters()).mean[5].sum().backward();
  EXPECT_EQ(seq.grad()[1].abs().sum().item<float>(), 0.f);
  EXPECT_GT(seq.grad()[4].abs().sum().item<float>(), 0.f);
}

TEST(MlpValueFunction, ShapesAndFunctionalParameters) {
  torch::manual_seed(5);
  MlpValueFunction value(4, {16}, Activation::kRelu);
  EXPECT_EQ(value.forward(torch::randn({7, 3, 4})).sizes(), (std::vector<int64_t>{7, 3}));
  Params zeros;
  for (const auto& p : value.parameters()) zeros.push_back(torch::zeros_like(p));
  EXPECT_EQ(value.forward(torch::randn({5, 4}), zeros).abs().sum().item<float>(), 0.f);
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

TEST(Policy, GroupedStepEqualsOneStepPerGroup) {
  torch::manual_seed(6);
  GaussianMlpPolicy mlp(5, 2, MlpPolicyConfig{});
  LstmPolicy lstm(5, 2, LstmPolicyConfig{});
  for (const Policy* policy : {static_cast<const Policy*>(&mlp), static_cast<const Policy*>(&lstm)}) {
    SCOPED_TRACE(policy->describe());
    std::vector<Params> groups;
    for (int g = 0; g < 3; ++g) {
      Params p;
      for (const auto& t : policy->parameters()) p.push_back(t.detach() + 0.1 * torch::randn_like(t));
      groups.push_back(p);
    }
    const auto obs = torch::randn({12, 5});
    const auto starts = torch::ones({12});
    PolicyState grouped_state;
    const DiagGaussian grouped = policy->step_grouped(obs, starts, grouped_state, stack_params(groups), 3);
    for (int g = 0; g < 3; ++g) {
      PolicyState state;
      const DiagGaussian one = policy->step(obs.narrow(0, 4 * g, 4), starts.narrow(0, 4 * g, 4), state, groups[g]);
      EXPECT_TRUE(torch::allclose(grouped.mean.narrow(0, 4 * g, 4), one.mean, 1e-5, 1e-6));
      EXPECT_TRUE(torch::allclose(grouped.log_std.narrow(0, 4 * g, 4), one.log_std.expand_as(one.mean)));
      if (policy->recurrent()) {
        EXPECT_TRUE(torch::allclose(grouped_state.h.narrow(0, 4 * g, 4), state.h, 1e-5, 1e-6));
      }
    }
  }
}

TEST(Policy, GroupedEvaluationEqualsOneEvaluationPerGroup) {
  torch::manual_seed(8);
  GaussianMlpPolicy mlp(5, 2, MlpPolicyConfig{});
  LstmPolicy lstm(5, 2, LstmPolicyConfig{});  // bptt 10: the 13 steps cross a truncation
  for (const Policy* policy : {static_cast<const Policy*>(&mlp), static_cast<const Policy*>(&lstm)}) {
    SCOPED_TRACE(policy->describe());
    std::vector<Params> groups;
    for (int g = 0; g < 3; ++g) {
      Params p;
      for (const auto& t : policy->parameters()) p.push_back((t.detach() + 0.1 * torch::randn_like(t)).requires_grad_(true));
      groups.push_back(p);
    }
    const auto obs = torch::randn({13, 12, 5});
    const auto starts = (torch::rand({13, 12}) < 0.2).to(torch::kFloat32);
    PolicyState initial = policy->initial_state(12);
    if (policy->recurrent()) initial = {torch::randn_like(initial.h), torch::randn_like(initial.c)};
    const Params stacked = stack_params(groups);
    const DiagGaussian grouped = policy->evaluate_grouped(obs, starts, initial, stacked, 3);
    ASSERT_EQ(grouped.mean.sizes(), (std::vector<int64_t>{13, 12, 2}));
    const auto grouped_grads = torch::autograd::grad({grouped.mean.pow(2).sum()}, groups[1], {}, false, false, true);
    for (int g = 0; g < 3; ++g) {
      PolicyState part;
      if (policy->recurrent()) part = {initial.h.narrow(0, 4 * g, 4), initial.c.narrow(0, 4 * g, 4)};
      const DiagGaussian one = policy->evaluate(obs.narrow(1, 4 * g, 4), starts.narrow(1, 4 * g, 4), part, groups[g]);
      EXPECT_TRUE(torch::allclose(grouped.mean.narrow(1, 4 * g, 4), one.mean, 1e-5, 1e-6)) << "group " << g;
      EXPECT_TRUE(torch::allclose(grouped.log_std.narrow(1, 4 * g, 4), one.log_std.expand_as(one.mean)));
      if (g == 1) {  // gradients too: the truncation of back-propagation is the same
        const auto grads = torch::autograd::grad({one.mean.pow(2).sum()}, groups[1], {}, false, false, true);
        for (size_t i = 0; i + 1 < grads.size(); ++i)
          EXPECT_TRUE(torch::allclose(grouped_grads[i], grads[i], 1e-4, 1e-5)) << "parameter " << i;
      }
    }
  }
}

}  // namespace
}  // namespace metarl
