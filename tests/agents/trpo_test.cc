#include "agents/trpo.h"

#include <gtest/gtest.h>

#include <cmath>

#include "agents/distributions.h"
#include "agents/params.h"

namespace metarl {
namespace {

// ---------------------------------------------------------------------------
// A tiny Gaussian MLP policy written out by hand: obs [B, 3] -> tanh(4) -> mean [B, 2],
// with a state-independent log_std [2]. Params: W1 [4,3], b1 [4], W2 [2,4], b2 [2], log_std [2].

constexpr int64_t kObsDim = 3, kHidden = 4, kActDim = 2, kBatch = 16;

Params make_policy(torch::Generator gen, torch::Dtype dtype) {
  const auto opts = torch::TensorOptions().dtype(dtype);
  Params p = {
      at::normal(0.0, 0.5, {kHidden, kObsDim}, gen, opts),  // W1
      at::normal(0.0, 0.1, {kHidden}, gen, opts),           // b1
      at::normal(0.0, 0.5, {kActDim, kHidden}, gen, opts),  // W2
      at::normal(0.0, 0.1, {kActDim}, gen, opts),           // b2
      at::normal(-0.5, 0.1, {kActDim}, gen, opts),          // log_std
  };
  for (auto& t : p) t.requires_grad_(true);
  return p;
}

DiagGaussian policy(const Params& p, const torch::Tensor& obs) {
  const auto hidden = torch::tanh(torch::matmul(obs, p[0].t()) + p[1]);
  return {torch::matmul(hidden, p[2].t()) + p[3], p[4]};
}

// mean KL(old || pi_p), with `old` cut from the graph.
torch::Tensor mean_kl_to(const DiagGaussian& old, const Params& p, const torch::Tensor& obs) {
  return old.kl(policy(p, obs)).mean();
}

torch::Tensor flat_grad_of(const torch::Tensor& y, const Params& p, bool create_graph) {
  const auto grads = torch::autograd::grad({y}, p, {}, /*retain_graph=*/true, create_graph, /*allow_unused=*/true);
  std::vector<torch::Tensor> flat;
  for (size_t i = 0; i < grads.size(); ++i) {
    flat.push_back(grads[i].defined() ? grads[i].reshape({-1}) : torch::zeros({p[i].numel()}, p[i].options()));
  }
  return torch::cat(flat);
}

double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
  return (got - want).norm().item<double>() / want.norm().item<double>();
}

// ---------------------------------------------------------------------------
// conjugate_gradient

TEST(ConjugateGradient, SolvesASymmetricPositiveDefiniteSystem) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  const auto m = at::normal(0.0, 1.0, {5, 5}, gen, opts);
  const auto a = torch::matmul(m, m.t()) + 5.0 * torch::eye(5, opts);
  const auto b = at::normal(0.0, 1.0, {5}, gen, opts);

  int calls = 0;
  const auto x = conjugate_gradient(
      [&](const torch::Tensor& v) {
        ++calls;
        return torch::mv(a, v);
      },
      b, 10);
  const auto expected = torch::linalg_solve(a, b.unsqueeze(1)).squeeze(1);
  ASSERT_EQ(x.sizes(), b.sizes());
  EXPECT_LT((x - expected).abs().max().item<double>(), 1e-5);
  EXPECT_LT((torch::mv(a, x) - b).abs().max().item<double>(), 1e-5);
  // Exact arithmetic needs at most n = 5 steps; the residual test stops it there.
  EXPECT_LE(calls, 6);
}

TEST(ConjugateGradient, StopsAsSoonAsTheResidualIsTiny) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto b = at::normal(0.0, 1.0, {5}, gen, torch::TensorOptions().dtype(torch::kDouble));
  int calls = 0;
  const auto identity = [&](const torch::Tensor& v) {
    ++calls;
    return v.clone();
  };
  const auto x = conjugate_gradient(identity, b, 10);
  EXPECT_EQ(calls, 1);  // A = I: exact after the first step
  EXPECT_LT((x - b).abs().max().item<double>(), 1e-12);

  calls = 0;
  const auto zero = conjugate_gradient(identity, torch::zeros_like(b), 10);
  EXPECT_EQ(calls, 0);  // b = 0 is already solved
  EXPECT_TRUE(torch::equal(zero, torch::zeros_like(b)));
}

TEST(ConjugateGradient, RespectsTheIterationBudget) {
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  const auto a = torch::diag(torch::tensor({1.0, 2.0, 3.0, 4.0, 5.0}, opts));
  const auto b = torch::ones({5}, opts);
  int calls = 0;
  const auto x = conjugate_gradient(
      [&](const torch::Tensor& v) {
        ++calls;
        return torch::mv(a, v);
      },
      b, 2);
  EXPECT_EQ(calls, 2);
  // Two steps cannot solve a system with five distinct eigenvalues, but CG
  // still reduces the A-norm error from that of x = 0.
  const auto exact = b / torch::diagonal(a);
  const auto a_norm = [&](const torch::Tensor& e) { return torch::dot(e, torch::mv(a, e)).item<double>(); };
  EXPECT_GT((x - exact).abs().max().item<double>(), 1e-3);
  EXPECT_LT(a_norm(x - exact), a_norm(exact));
}

// ---------------------------------------------------------------------------
// hessian_vector_product

struct KlFixture {
  torch::Tensor obs;
  Params params;
  DiagGaussian old;
  torch::Tensor kl;
};

KlFixture make_kl_fixture() {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  KlFixture f;
  f.obs = at::normal(0.0, 1.0, {kBatch, kObsDim}, gen, torch::TensorOptions().dtype(torch::kDouble));
  f.params = make_policy(gen, torch::kDouble);
  f.old = policy(f.params, f.obs).detached();
  f.kl = mean_kl_to(f.old, f.params, f.obs);  // KL(pi_detached || pi_params), at params = old
  return f;
}

// The full Hessian, row by row, by double back-propagation.
torch::Tensor full_hessian(const torch::Tensor& y, const Params& p) {
  const auto g = flat_grad_of(y, p, /*create_graph=*/true);
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < g.numel(); ++i) rows.push_back(flat_grad_of(g[i], p, /*create_graph=*/false));
  return torch::stack(rows);
}

TEST(HessianVectorProduct, MatchesTheFullHessianOfAPolicyKl) {
  KlFixture f = make_kl_fixture();
  const int64_t n = count_elements(f.params);
  ASSERT_EQ(n, 4 * 3 + 4 + 2 * 4 + 2 + 2);

  const auto h = full_hessian(f.kl, f.params);
  ASSERT_EQ(h.sizes(), (std::vector<int64_t>{n, n}));
  // The KL's Hessian at params = old is the Fisher information: symmetric, PSD.
  EXPECT_LT((h - h.t()).abs().max().item<double>(), 1e-10);
  EXPECT_GT(torch::linalg_eigvalsh(h).min().item<double>(), -1e-10);

  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto hvp = hessian_vector_product(f.kl, f.params, /*damping=*/0.0);
  for (int trial = 0; trial < 3; ++trial) {  // callable many times on one graph
    const auto v = at::normal(0.0, 1.0, {n}, gen, torch::TensorOptions().dtype(torch::kDouble));
    const auto got = hvp(v);
    ASSERT_EQ(got.sizes(), v.sizes());
    EXPECT_FALSE(got.requires_grad());
    EXPECT_LT(relative_error(got, torch::mv(h, v)), 1e-4);
  }
}

TEST(HessianVectorProduct, MatchesFiniteDifferencesOfTheGradient) {
  // Independent of double back-propagation: (grad(p + e v) - grad(p - e v)) / 2e.
  KlFixture f = make_kl_fixture();
  const int64_t n = count_elements(f.params);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const auto v = at::normal(0.0, 1.0, {n}, gen, torch::TensorOptions().dtype(torch::kDouble));
  const double eps = 1e-5;
  const auto grad_at = [&](double t) {
    Params shifted;
    {
      torch::NoGradGuard no_grad;
      shifted = detached_leaves(unflatten(flatten(f.params) + t * v, f.params));
    }
    return flat_grad_of(mean_kl_to(f.old, shifted, f.obs), shifted, /*create_graph=*/false);
  };
  const auto fd = (grad_at(eps) - grad_at(-eps)) / (2 * eps);
  const auto hvp = hessian_vector_product(f.kl, f.params, 0.0);
  EXPECT_LT(relative_error(hvp(v), fd), 1e-6);
}

TEST(HessianVectorProduct, KlOfAPolicyWithItsDetachedSelfHasZeroGradientButNonzeroHessian) {
  // The peers' bug: the KL between a policy and its detached copy is zero in
  // value and gradient at params = old, but not in curvature; TRPO needs the
  // curvature, and a line search needs the KL against a FIXED old policy.
  KlFixture f = make_kl_fixture();
  EXPECT_NEAR(f.kl.item<double>(), 0.0, 1e-14);
  const auto g = flat_grad_of(f.kl, f.params, /*create_graph=*/false);
  EXPECT_LT(g.abs().max().item<double>(), 1e-12);

  const auto h = full_hessian(f.kl, f.params);
  EXPECT_GT(h.abs().max().item<double>(), 1e-2);
  const auto hvp = hessian_vector_product(f.kl, f.params, 0.0);
  const auto v = torch::ones({count_elements(f.params)}, torch::TensorOptions().dtype(torch::kDouble));
  EXPECT_GT(hvp(v).norm().item<double>(), 1e-2);
}

TEST(HessianVectorProduct, DampingAddsDampingTimesV) {
  KlFixture f = make_kl_fixture();
  const int64_t n = count_elements(f.params);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(13);
  const auto v = at::normal(0.0, 1.0, {n}, gen, torch::TensorOptions().dtype(torch::kDouble));
  const auto plain = hessian_vector_product(f.kl, f.params, 0.0);
  const auto damped = hessian_vector_product(f.kl, f.params, 0.25);
  EXPECT_LT((damped(v) - plain(v) - 0.25 * v).abs().max().item<double>(), 1e-12);
}

TEST(HessianVectorProduct, ParametersTheKlIgnoresGetZeroRows) {
  // e.g. value-function parameters passed along with the policy's.
  KlFixture f = make_kl_fixture();
  Params with_unused = f.params;
  with_unused.push_back(torch::zeros({3}, torch::TensorOptions().dtype(torch::kDouble)).requires_grad_(true));
  const auto kl = mean_kl_to(f.old, f.params, f.obs);
  const auto hvp = hessian_vector_product(kl, with_unused, 0.0);
  const int64_t n = count_elements(f.params);
  const auto v = torch::ones({n + 3}, torch::TensorOptions().dtype(torch::kDouble));
  const auto hv = hvp(v);
  EXPECT_TRUE(torch::equal(hv.slice(0, n), torch::zeros({3}, hv.options())));
  EXPECT_LT(relative_error(hv.slice(0, 0, n), hessian_vector_product(kl, f.params, 0.0)(v.slice(0, 0, n))), 1e-12);
}

// ---------------------------------------------------------------------------
// trpo_step

// A fixed batch: observations, actions sampled from the initial policy,
// advantages; the old policy's distribution and log-probabilities, detached.
struct Batch {
  torch::Tensor obs, actions, advantages, logp_old;
  DiagGaussian old;
};

Batch make_batch(const Params& params, torch::Generator gen) {
  Batch b;
  b.obs = at::normal(0.0, 1.0, {kBatch, kObsDim}, gen, params[0].options().requires_grad(false));
  b.old = policy(params, b.obs).detached();
  b.actions = b.old.sample(gen);
  b.advantages = at::normal(0.0, 1.0, {kBatch}, gen, b.obs.options());
  b.logp_old = b.old.log_prob(b.actions);
  return b;
}

torch::Tensor surrogate_loss(const Batch& b, const Params& p) {
  const auto ratio = torch::exp(policy(p, b.obs).log_prob(b.actions) - b.logp_old);
  return -(ratio * b.advantages).mean();
}

TEST(TrpoStep, ImprovesTheSurrogateWithinTheTrustRegion) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  Params params = make_policy(gen, torch::kFloat);  // float32, as the agents use
  const Batch batch = make_batch(params, gen);
  Params before;
  for (const auto& p : params) before.push_back(p.detach().clone());

  TrpoConfig config;  // max_kl 0.01, 10 CG iterations, damping 1e-5, 0.8 ^ up to 15
  const auto surrogate = [&](const Params& p) { return surrogate_loss(batch, p); };
  // The KL against the FIXED old policy of the batch, never pi against itself.
  const auto mean_kl = [&](const Params& p) { return mean_kl_to(batch.old, p, batch.obs); };
  const TrpoStats stats = trpo_step(params, surrogate, mean_kl, config);

  ASSERT_TRUE(stats.accepted);
  EXPECT_NEAR(stats.loss_before, -batch.advantages.mean().item<double>(), 1e-6);  // ratio = 1 at the start
  EXPECT_LT(stats.loss_after, stats.loss_before);
  EXPECT_GE(stats.backtracks, 0);
  EXPECT_LE(stats.backtracks, config.max_backtracks);
  EXPECT_NEAR(stats.step_fraction, std::pow(config.backtrack_ratio, stats.backtracks), 1e-12);

  // Recompute everything independently at the new parameters.
  ASSERT_EQ(params.size(), before.size());
  bool changed = false;
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(params[i].is_leaf());
    EXPECT_TRUE(params[i].requires_grad());
    EXPECT_EQ(params[i].sizes(), before[i].sizes());
    EXPECT_EQ(params[i].dtype(), before[i].dtype());
    changed = changed || !torch::equal(params[i].detach(), before[i]);
  }
  EXPECT_TRUE(changed);
  torch::NoGradGuard no_grad;
  const double kl = mean_kl_to(batch.old, params, batch.obs).item<double>();
  const double loss = surrogate_loss(batch, params).item<double>();
  EXPECT_LE(kl, config.max_kl);
  EXPECT_GT(kl, 0.0);  // a real trust region, not a policy compared with itself
  EXPECT_NEAR(kl, stats.kl_after, 1e-7);
  EXPECT_NEAR(loss, stats.loss_after, 1e-6);
  EXPECT_LT(loss, stats.loss_before);
}

TEST(TrpoStep, NewParametersCanBeSteppedAgain) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(22);
  Params params = make_policy(gen, torch::kFloat);
  const Batch batch = make_batch(params, gen);
  const auto surrogate = [&](const Params& p) { return surrogate_loss(batch, p); };
  TrpoConfig config;
  double previous = 0;
  for (int step = 0; step < 3; ++step) {
    // Each step's trust region is centred on the parameters it starts from.
    const DiagGaussian old = [&] {
      torch::NoGradGuard no_grad;
      return policy(params, batch.obs).detached();
    }();
    const auto mean_kl = [&](const Params& p) { return mean_kl_to(old, p, batch.obs); };
    const TrpoStats stats = trpo_step(params, surrogate, mean_kl, config);
    ASSERT_TRUE(stats.accepted) << "step " << step;
    if (step > 0) {
      EXPECT_FLOAT_EQ(static_cast<float>(stats.loss_before), static_cast<float>(previous));
    }
    EXPECT_LT(stats.loss_after, stats.loss_before);
    previous = stats.loss_after;
  }
}

// A quadratic problem with a closed form: KL = 1/2 (p - p0)^T F (p - p0) and a
// linear surrogate g^T p. The natural step is -F^-1 g scaled to KL = max_kl.
TEST(TrpoStep, FullStepMatchesTheClosedFormOnAQuadraticModel) {
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(31);
  const auto m = at::normal(0.0, 1.0, {4, 4}, gen, opts);
  const auto fisher = torch::matmul(m, m.t()) + torch::eye(4, opts);
  const auto g = at::normal(0.0, 1.0, {4}, gen, opts);
  const auto p0 = at::normal(0.0, 1.0, {4}, gen, opts);
  Params params = {p0.slice(0, 0, 3).clone().requires_grad_(true), p0.slice(0, 3).clone().requires_grad_(true)};

  const auto surrogate = [&](const Params& p) { return torch::dot(g, flatten(p)); };
  const auto mean_kl = [&](const Params& p) {
    const auto d = flatten(p) - p0;
    return 0.5 * torch::dot(d, torch::mv(fisher, d));
  };
  TrpoConfig config;
  config.cg_damping = 1e-5;  // makes the full step's KL land just inside max_kl
  const TrpoStats stats = trpo_step(params, surrogate, mean_kl, config);

  ASSERT_TRUE(stats.accepted);
  EXPECT_EQ(stats.backtracks, 0);
  EXPECT_EQ(stats.step_fraction, 1.0);
  const auto natural = -torch::linalg_solve(fisher, g.unsqueeze(1)).squeeze(1);
  const auto expected = natural * std::sqrt(2 * config.max_kl / torch::dot(natural, torch::mv(fisher, natural)).item<double>());
  const auto step = flatten(params).detach() - p0;
  EXPECT_LT(relative_error(step, expected), 1e-4);
  EXPECT_NEAR(stats.kl_after, config.max_kl, 1e-4 * config.max_kl);
  EXPECT_LE(stats.kl_after, config.max_kl);
  const double expected_change = torch::dot(g, expected).item<double>();
  EXPECT_NEAR(stats.loss_after - stats.loss_before, expected_change, 1e-4 * std::abs(expected_change));
}

Params bitwise_copy(const Params& params) {
  Params out;
  for (const auto& p : params) out.push_back(p.detach().clone());
  return out;
}

void expect_bitwise_unchanged(const Params& params, const Params& copy, const Params& originals) {
  ASSERT_EQ(params.size(), copy.size());
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(params[i].is_same(originals[i])) << "tensor " << i << " was replaced";
    EXPECT_TRUE(torch::equal(params[i].detach(), copy[i])) << "tensor " << i << " changed";
  }
}

TEST(TrpoStep, RejectsWhenTheSurrogateIsAlreadyMinimal) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(41);
  Params params = make_policy(gen, torch::kFloat);
  const Batch batch = make_batch(params, gen);
  const Params p0 = bitwise_copy(params);
  const Params originals = params;
  // sum (p - p0)^2: minimal, with zero gradient, at the current parameters.
  const auto surrogate = [&](const Params& p) { return (flatten(p) - flatten(p0)).pow(2).sum(); };
  const auto mean_kl = [&](const Params& p) { return mean_kl_to(batch.old, p, batch.obs); };
  const TrpoStats stats = trpo_step(params, surrogate, mean_kl, TrpoConfig{});
  EXPECT_FALSE(stats.accepted);
  EXPECT_EQ(stats.step_fraction, 0.0);
  EXPECT_EQ(stats.loss_before, 0.0);
  EXPECT_EQ(stats.loss_after, stats.loss_before);
  expect_bitwise_unchanged(params, p0, originals);
}

TEST(TrpoStep, RejectsWhenNoFractionOfTheStepImprovesTheLoss) {
  // A nonzero gradient, but so much curvature that every tried step overshoots:
  // f(p0 + t d) = -|g| t + c t^2 > f(p0) for all t >= 0.8^15 * |full step|.
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  const auto p0 = torch::linspace(-1.0, 1.0, 10, opts);
  Params params = {p0.clone().requires_grad_(true)};
  const Params originals = params;
  const auto surrogate = [&](const Params& p) { return -p[0].sum() + 1e4 * (p[0] - p0).pow(2).sum(); };
  const auto mean_kl = [&](const Params& p) { return 0.5 * (p[0] - p0).pow(2).sum(); };
  TrpoConfig config;
  const TrpoStats stats = trpo_step(params, surrogate, mean_kl, config);
  EXPECT_FALSE(stats.accepted);
  EXPECT_EQ(stats.backtracks, config.max_backtracks);
  EXPECT_EQ(stats.loss_after, stats.loss_before);
  expect_bitwise_unchanged(params, {p0}, originals);
}

TEST(TrpoStep, RejectsWhenEveryStepViolatesTheKlBound) {
  // The loss improves along the step, but the KL is never below max_kl.
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  const auto p0 = torch::linspace(-1.0, 1.0, 10, opts);
  Params params = {p0.clone().requires_grad_(true)};
  const Params originals = params;
  const auto surrogate = [&](const Params& p) { return -p[0].sum(); };
  const auto mean_kl = [&](const Params& p) { return 0.5 * (p[0] - p0).pow(2).sum() + 1.0; };
  TrpoConfig config;
  config.max_backtracks = 3;
  const TrpoStats stats = trpo_step(params, surrogate, mean_kl, config);
  EXPECT_FALSE(stats.accepted);
  EXPECT_EQ(stats.backtracks, 3);
  expect_bitwise_unchanged(params, {p0}, originals);
}

TEST(TrpoStep, RefusesAKlWithoutCurvature) {
  // A KL that does not depend on the parameters (undamped) gives s^T H s = 0.
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  Params params = {torch::ones({3}, opts).requires_grad_(true)};
  const auto surrogate = [&](const Params& p) { return -p[0].sum(); };
  const auto mean_kl = [&](const Params& p) { return 0.0 * p[0].sum(); };
  TrpoConfig config;
  config.cg_damping = 0.0;
  EXPECT_THROW(trpo_step(params, surrogate, mean_kl, config), c10::Error);
}

}  // namespace
}  // namespace metarl
