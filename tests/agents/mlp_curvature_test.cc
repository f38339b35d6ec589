#include "agents/mlp_curvature.h"

#include <gtest/gtest.h>

namespace metarl {
namespace {

// Autograd's H v: differentiate (∇f · v) once more.
Params autograd_hessian_product(const std::function<torch::Tensor(const Params&)>& f, const Params& at,
                                const Params& v) {
  Params leaves;
  for (const auto& p : at) leaves.push_back(p.detach().requires_grad_(true));
  const auto grads = torch::autograd::grad({f(leaves)}, leaves, {}, true, true);
  torch::Tensor dot = torch::zeros({}, torch::kFloat64);
  for (size_t i = 0; i < grads.size(); ++i) dot = dot + (grads[i] * v[i]).sum();
  const auto h = torch::autograd::grad({dot}, leaves);
  return Params(h.begin(), h.end());
}

struct Case {
  std::unique_ptr<GaussianMlpPolicy> policy;
  Params stacked;  // 3 groups, each its own perturbation of the policy's parameters
  torch::Tensor obs, actions, weights;
};

Case make_case(Activation activation) {
  torch::manual_seed(5);
  Case c;
  MlpPolicyConfig config;
  config.hidden = {7, 5};
  config.activation = activation;
  config.output_gain = 1.0;
  config.init_std = 0.7;
  c.policy = std::make_unique<GaussianMlpPolicy>(4, 3, config);
  const int64_t groups = 3, rows = 11;
  for (const auto& p : c.policy->parameters()) {
    std::vector<int64_t> shape = {groups};
    shape.insert(shape.end(), p.sizes().begin(), p.sizes().end());
    c.stacked.push_back(p.detach().to(torch::kFloat64).unsqueeze(0) + 0.3 * torch::randn(shape, torch::kFloat64));
  }
  c.obs = torch::randn({groups, rows, 4}, torch::kFloat64);
  c.actions = torch::randn({groups, rows, 3}, torch::kFloat64);
  c.weights = torch::randn({groups, rows}, torch::kFloat64);
  c.weights.index_put_({1, 4}, 0.0);  // a padded row
  return c;
}

Params random_direction(const Params& like) {
  Params v;
  for (const auto& p : like) v.push_back(torch::randn_like(p));
  return v;
}

void expect_close(const Params& a, const Params& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(a[i].sizes(), b[i].sizes());
    EXPECT_LT((a[i] - b[i]).abs().max().item<double>(), 1e-10 * (1.0 + b[i].abs().max().item<double>()));
  }
}

TEST(GaussianMlpCurvature, LogLikelihoodHessianProductEqualsAutograd) {
  for (const Activation activation : {Activation::kTanh, Activation::kRelu}) {
    SCOPED_TRACE(to_string(activation));
    const Case c = make_case(activation);
    // Σ_g Σ_r c[g, r] log π_g(a_r | s_r): the groups' Hessians are blocks of its Hessian.
    auto weighted_log_likelihood = [&](const Params& p) {
      return (c.policy->forward_stacked(c.obs, p).log_prob(c.actions) * c.weights).sum();
    };
    GaussianMlpCurvature curvature(*c.policy, c.stacked, c.obs);
    curvature.prepare_log_likelihood(c.actions, c.weights);
    for (int trial = 0; trial < 3; ++trial) {
      const Params v = random_direction(c.stacked);
      expect_close(curvature.log_likelihood_hessian_product(v),
                   autograd_hessian_product(weighted_log_likelihood, c.stacked, v));
    }
  }
}

TEST(GaussianMlpCurvature, KlHessianProductIsTheFisherProductAtTheMinimum) {
  for (const Activation activation : {Activation::kTanh, Activation::kRelu}) {
    SCOPED_TRACE(to_string(activation));
    Case c = make_case(activation);
    c.weights = c.weights.abs();
    const DiagGaussian old = c.policy->forward_stacked(c.obs, c.stacked).detached();
    auto weighted_kl = [&](const Params& p) {
      const DiagGaussian d = c.policy->forward_stacked(c.obs, p);
      return (old.kl({d.mean, d.log_std.expand_as(d.mean)}) * c.weights).sum();
    };
    GaussianMlpCurvature curvature(*c.policy, c.stacked, c.obs);
    curvature.prepare_kl(c.weights);
    for (int trial = 0; trial < 3; ++trial) {
      const Params v = random_direction(c.stacked);
      const Params fv = curvature.kl_hessian_product(v);
      expect_close(fv, autograd_hessian_product(weighted_kl, c.stacked, v));
      // A Fisher matrix: vᵀ F v ≥ 0.
      double quadratic = 0;
      for (size_t i = 0; i < v.size(); ++i) quadratic += (v[i] * fv[i]).sum().item<double>();
      EXPECT_GT(quadratic, 0.0);
    }
  }
}

TEST(GaussianMlpCurvature, RefusesProductsBeforePreparingAndMismatchedShapes) {
  const Case c = make_case(Activation::kTanh);
  GaussianMlpCurvature curvature(*c.policy, c.stacked, c.obs);
  const Params v = random_direction(c.stacked);
  EXPECT_THROW(curvature.log_likelihood_hessian_product(v), c10::Error);
  EXPECT_THROW(curvature.kl_hessian_product(v), c10::Error);
  EXPECT_THROW(curvature.prepare_log_likelihood(c.actions.narrow(1, 0, 5), c.weights), c10::Error);
  EXPECT_THROW(curvature.prepare_kl(c.weights.narrow(1, 0, 5)), c10::Error);
  EXPECT_THROW(GaussianMlpCurvature(*c.policy, Params(c.stacked.begin(), c.stacked.end() - 1), c.obs), c10::Error);
}

TEST(GroupRows, RegroupsColumnsByGroupAndBack) {
  // 2 steps x (2 groups x 3 envs): group g's rows are its envs' columns, step by step.
  const auto x = torch::arange(12, torch::kFloat64).reshape({2, 6});
  const auto rows = to_group_rows(x, 2);
  const auto expected = torch::tensor({{0., 1., 2., 6., 7., 8.}, {3., 4., 5., 9., 10., 11.}}, torch::kFloat64);
  EXPECT_TRUE(torch::equal(rows, expected));
  EXPECT_TRUE(torch::equal(from_group_rows(rows, 2), x));
  const auto features = torch::randn({4, 6, 5});
  EXPECT_EQ(to_group_rows(features, 3).sizes(), (std::vector<int64_t>{3, 8, 5}));
  EXPECT_TRUE(torch::equal(from_group_rows(to_group_rows(features, 3), 4), features));
  EXPECT_THROW(to_group_rows(features, 4), c10::Error);
}

}  // namespace
}  // namespace metarl
