// The MAML meta-gradient: against the closed form of a Gaussian bandit (which
// catches a missing score-function term), against finite differences on a
// fixed batch, first-order mode, several inner steps, learned step sizes.
#include "meta/maml.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "agents/gae.h"
#include "envs/vector_env.h"
#include "agents/trpo.h"
#include "meta/maml_trainer.h"

namespace metarl {
namespace {

// π(a) = N(μ, σ²) with μ the only parameter; σ fixed.
class BanditPolicy : public Policy {
 public:
  BanditPolicy(double mu, double sigma) : Policy(1, 1), log_sigma_(std::log(sigma)) {
    params_.push_back(torch::tensor({mu}, torch::kFloat64).requires_grad_(true));
  }
  std::string describe() const override { return "BanditPolicy"; }
  DiagGaussian step(const torch::Tensor& obs, const torch::Tensor&, PolicyState&, const Params& p) const override {
    return dist(obs, p);
  }
  DiagGaussian evaluate(const torch::Tensor& obs, const torch::Tensor&, const PolicyState&,
                        const Params& p) const override {
    return dist(obs, p);
  }

 private:
  DiagGaussian dist(const torch::Tensor& obs, const Params& p) const {
    auto mean = p[0].expand(obs.sizes());  // obs [..., 1]
    return {mean, torch::full({1}, log_sigma_, torch::kFloat64)};
  }
  double log_sigma_;
};

// One-step episodes with reward -(a - g)^2, actions drawn from N(mu, sigma^2).
EpisodeBatch bandit_episodes(int64_t n, double mu, double sigma, double goal, torch::Generator& gen) {
  EpisodeBatch b;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  b.observations = torch::zeros({1, n, 1}, opts);
  b.next_observations = b.observations;
  b.actions = mu + sigma * at::normal(0.0, 1.0, {1, n, 1}, gen, opts);
  b.rewards = -(b.actions.squeeze(-1) - goal).pow(2);
  const double log_norm = -std::log(sigma) - 0.5 * std::log(2 * M_PI);
  b.log_probs = -0.5 * ((b.actions.squeeze(-1) - mu) / sigma).pow(2) + log_norm;
  b.terminated = torch::ones({1, n}, opts);
  b.truncated = torch::zeros({1, n}, opts);
  b.episode_end = b.terminated;
  b.episode_starts = torch::ones({1, n}, opts);
  b.masks = torch::ones({1, n}, opts);
  b.timesteps = torch::zeros({1, n}, opts);
  for (int64_t i = 0; i < n; ++i) {
    b.episode_returns.push_back(b.rewards[0][i].item<double>());
    b.episode_lengths.push_back(1);
  }
  return b;
}

struct BanditSetup {
  double mu = 0.0, goal = 0.5, sigma = 0.5, alpha = 0.3;
  // The validation episodes' goal: the task after the change (continual or
  // competitive meta-learning: adapt against one opponent version, be judged
  // against the next); NaN: the same task.
  double next_goal = std::nan("");
  int64_t train = 2, valid = 10;
  double outer_goal() const { return std::isnan(next_goal) ? goal : next_goal; }
  // d/dmu of F(mu) = E[J1(mu + alpha g_hat)] with J1(m) = -(m - g1)^2 - sigma^2
  // and g_hat = mean_k (a_k - mu)/sigma^2 r_k, r_k = -(a_k - g)^2 (E g_hat = -2 d):
  //   F = -(d1 - 2 alpha d)^2 - alpha^2 Var(g_hat) - sigma^2,
  //   Var(g_hat) = (15 sigma^2 + 14 d^2 + d^4 / sigma^2) / K,   d = mu - g, d1 = mu - g1.
  double analytic_meta_gradient() const {
    const double d = mu - goal, d1 = mu - outer_goal();
    return -2 * (d1 - 2 * alpha * d) * (1 - 2 * alpha) -
           alpha * alpha * (28 * d + 4 * d * d * d / (sigma * sigma)) / train;
  }
  // Expectation of the dice estimate ∇J1(μ')(1 + α Ĥ), with Ĥ = mean_k (s_k² − 1/σ²) r_k
  // the DiCE estimate of J'' = −2 and s_k = (a_k − μ)/σ² (ĝ = mean_k s_k r_k):
  //   −2 E[(d1 + α ĝ)(1 + α Ĥ)] = −2 (d1 − 2α d)(1 − 2α) − 2 α² Cov(ĝ, Ĥ),
  //   Cov(ĝ, Ĥ) = (8 d³ / σ² + 44 d) / K.
  // The first part is d/dμ J1(μ + α J'(μ)), MAML's objective as written.
  double dice_expectation() const {
    const double d = mu - goal, d1 = mu - outer_goal();
    return -2 * (d1 - 2 * alpha * d) * (1 - 2 * alpha) -
           2 * alpha * alpha * (8 * d * d * d / (sigma * sigma) + 44 * d) / train;
  }
};

// Mean and standard error of the meta-gradient estimate over `batches` meta-batches.
std::pair<double, double> monte_carlo_meta_gradient(const BanditSetup& s, MetaGradient mode, int batches,
                                                    int tasks_per_batch) {
  BanditPolicy policy(s.mu, s.sigma);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(12345);
  InnerLoopConfig inner;
  inner.step_size = s.alpha;
  inner.normalize_advantages = false;
  inner.meta_gradient = mode;
  OuterConfig outer;
  outer.normalize_advantages = false;
  std::vector<double> per_batch;
  for (int m = 0; m < batches; ++m) {
    MetaBatch batch;
    batch.tasks = tasks_per_batch;
    InnerBatch train{bandit_episodes(s.train * tasks_per_batch, s.mu, s.sigma, s.goal, gen), {}};
    train.advantages = train.episodes.rewards;  // no baseline: g_hat is the plain estimator
    batch.inner.push_back(train);
    const auto adapted_mu = adapt(policy, policy.parameters(), batch, inner)[0].detach();  // [tasks, 1]
    // Validation episodes: task i's actions from N(adapted mu_i, sigma^2).
    std::vector<EpisodeBatch> parts;
    EpisodeBatch valid = bandit_episodes(s.valid * tasks_per_batch, 0.0, s.sigma, s.outer_goal(), gen);
    const auto mus = adapted_mu.reshape({tasks_per_batch, 1}).expand({tasks_per_batch, s.valid}).reshape({1, -1, 1});
    valid.actions = valid.actions + mus;
    valid.rewards = -(valid.actions.squeeze(-1) - s.outer_goal()).pow(2);
    valid.log_probs = -0.5 * ((valid.actions.squeeze(-1) - mus.squeeze(-1)) / s.sigma).pow(2) - std::log(s.sigma) -
                      0.5 * std::log(2 * M_PI);
    batch.validation = valid;
    batch.validation_advantages = valid.rewards;
    batch.validation_returns = valid.rewards.reshape({tasks_per_batch, s.valid}).mean(1);
    const auto loss = meta_loss(policy, policy.parameters(), batch, inner, outer);
    // The loss is the mean over tasks of minus each task's objective: scale
    // back to one sample per task.
    per_batch.push_back(-torch::autograd::grad({loss}, policy.parameters())[0].item<double>());
  }
  std::vector<double>& per_task = per_batch;
  double mean = 0, sq = 0;
  for (double v : per_task) mean += v;
  mean /= per_task.size();
  for (double v : per_task) sq += (v - mean) * (v - mean);
  const double se = std::sqrt(sq / (per_task.size() - 1) / per_task.size());
  return {mean, se};
}

TEST(MamlMetaGradient, EstimatorsMatchTheClosedFormsOfAGaussianBandit) {
  const BanditSetup s;
  // exact: unbiased for the sampled-adaptation objective E[J(μ + α ĝ)];
  // dice (and lvc, the same on one-step episodes): the expectation of
  // ∇J(μ')(1 + α Ĥ) with the DiCE Hessian estimate Ĥ.
  const struct {
    MetaGradient mode;
    const char* name;
    double expected;
  } cases[] = {{MetaGradient::kExact, "exact", s.analytic_meta_gradient()},  // 0.88
               {MetaGradient::kDice, "dice", s.dice_expectation()},         // 2.50
               {MetaGradient::kLvc, "lvc", s.dice_expectation()}};
  // Without the training episodes' score-function terms the estimate is
  // biased against both: this is what the test exists to catch.
  const auto [no_score, no_score_se] = monte_carlo_meta_gradient(s, MetaGradient::kNoScore, 400, 20);
  for (const auto& c : cases) {
    const auto [estimate, se] = monte_carlo_meta_gradient(s, c.mode, 400, 20);
    EXPECT_LT(std::abs(estimate - c.expected), 4 * se) << c.name << " " << estimate << " ± " << se << " vs " << c.expected;
    EXPECT_GT(std::abs(no_score - c.expected), 6 * no_score_se)
        << "no_score " << no_score << " ± " << no_score_se << " vs " << c.name << "'s " << c.expected;
  }
}

// Competitive meta-learning's objective: adapt against one opponent version
// (goal 0.5), be judged against the next (goal 0.9). The estimators follow
// the changed objective's closed forms as they follow the unchanged one's.
TEST(MamlMetaGradient, EstimatorsMatchTheClosedFormsWhenTheTaskChangesBetweenInnerAndOuter) {
  BanditSetup s;
  s.next_goal = 0.9;
  ASSERT_GT(std::abs(s.analytic_meta_gradient() - BanditSetup{}.analytic_meta_gradient()), 0.3);
  const struct {
    MetaGradient mode;
    const char* name;
    double expected;
  } cases[] = {{MetaGradient::kExact, "exact", s.analytic_meta_gradient()},
               {MetaGradient::kDice, "dice", s.dice_expectation()}};
  for (const auto& c : cases) {
    const auto [estimate, se] = monte_carlo_meta_gradient(s, c.mode, 400, 20);
    EXPECT_LT(std::abs(estimate - c.expected), 4 * se) << c.name << " " << estimate << " ± " << se << " vs " << c.expected;
  }
}

TEST(MamlMetaGradient, CumulativeSumRestartsAtEpisodeStarts) {
  const auto x = torch::tensor({1.0, 2.0, 3.0, 4.0, 5.0}).unsqueeze(1);
  const auto starts = torch::tensor({0.0, 0.0, 1.0, 0.0, 1.0}).unsqueeze(1);  // a batch that begins mid-episode
  const auto expected = torch::tensor({1.0, 3.0, 3.0, 7.0, 5.0}).unsqueeze(1);
  EXPECT_TRUE(torch::equal(cumsum_within_episodes(x, starts), expected)) << cumsum_within_episodes(x, starts);
}

// A small MLP policy and a fixed meta-batch of HalfCheetah episodes (2 tasks
// x 3 episodes per inner step and for validation), in float64.
struct FixedProblem {
  std::unique_ptr<GaussianMlpPolicy> policy;
  Params theta;
  MetaBatch batch;
};

EpisodeBatch to_double(EpisodeBatch b) {
  for (torch::Tensor* t : b.step_tensors()) *t = t->to(torch::kFloat64);
  return b;
}

FixedProblem fixed_problem(int steps) {
  torch::manual_seed(11);
  FixedProblem f;
  MlpPolicyConfig config;
  config.hidden = {8};
  config.output_gain = 1.0;
  f.policy = std::make_unique<GaussianMlpPolicy>(17, 6, config);
  VectorEnv env("HalfCheetah", 6, 1, Options::parse("max_episode_steps=12"));
  env.seed(2);
  Sampler sampler(env, *f.policy, 3);
  f.batch.tasks = 2;
  auto make = [&] {
    EpisodeBatch b = to_double(sampler.collect_episodes(12, f.policy->parameters()));
    const auto zeros = torch::zeros_like(b.rewards);
    auto adv = gae_advantages(b.rewards, zeros, zeros, b.terminated, b.episode_end, b.masks, 0.99, 1.0);
    return InnerBatch{b, adv};
  };
  for (int k = 0; k < steps; ++k) f.batch.inner.push_back(make());
  const InnerBatch v = make();
  f.batch.validation = v.episodes;
  f.batch.validation_advantages = v.advantages;
  f.batch.validation_returns = task_mean_returns(v.episodes, 2, 3);
  for (const auto& p : f.policy->parameters()) f.theta.push_back(p.detach().to(torch::kFloat64).requires_grad_(true));
  return f;
}

// The inner loop the fixed-problem tests use: `steps` steps of size 0.5.
InnerLoopConfig inner_config(int steps, MetaGradient mode) {
  InnerLoopConfig inner;
  inner.steps = steps;
  inner.step_size = 0.5;
  inner.meta_gradient = mode;
  return inner;
}

double loss_value(const FixedProblem& f, const Params& theta, const InnerLoopConfig& inner,
                  const torch::Tensor& alphas = {}) {
  return meta_loss(*f.policy, theta, f.batch, inner, OuterConfig{}, alphas).item<double>();
}

// Central finite differences of the meta-loss along `direction`.
double finite_difference(const FixedProblem& f, const Params& direction, const InnerLoopConfig& inner, double h) {
  Params plus, minus;
  for (size_t i = 0; i < f.theta.size(); ++i) {
    plus.push_back((f.theta[i] + h * direction[i]).detach().requires_grad_(true));
    minus.push_back((f.theta[i] - h * direction[i]).detach().requires_grad_(true));
  }
  return (loss_value(f, plus, inner) - loss_value(f, minus, inner)) / (2 * h);
}

double directional(const std::vector<torch::Tensor>& grads, const Params& direction) {
  double total = 0;
  for (size_t i = 0; i < grads.size(); ++i) total += (grads[i] * direction[i]).sum().item<double>();
  return total;
}

TEST(MamlMetaGradient, AutogradMatchesFiniteDifferencesThroughOneAndTwoInnerSteps) {
  // no_score, and dice / lvc, whose weights put their score-function terms
  // into the meta-loss's value (exact's outer score term is zero in value:
  // finite differences cannot see it).
  for (const MetaGradient mode : {MetaGradient::kNoScore, MetaGradient::kDice, MetaGradient::kLvc}) {
    for (int steps : {1, 2}) {
      SCOPED_TRACE(steps);
      SCOPED_TRACE(int(mode));
      const FixedProblem f = fixed_problem(steps);
      const InnerLoopConfig inner = inner_config(steps, mode);
      const auto grads = torch::autograd::grad({meta_loss(*f.policy, f.theta, f.batch, inner, OuterConfig{})}, f.theta);
      for (int trial = 0; trial < 3; ++trial) {
        Params direction;
        for (const auto& p : f.theta) direction.push_back(torch::randn_like(p));
        const double norm = flatten(direction).norm().item<double>();
        for (auto& d : direction) d = d / norm;  // a unit direction
        // Richardson extrapolation of central differences: O(h^4) truncation error.
        const double h = 1e-4;
        const double fd =
            (4 * finite_difference(f, direction, inner, h / 2) - finite_difference(f, direction, inner, h)) / 3;
        EXPECT_NEAR(directional(grads, direction), fd, 1e-7 + 1e-6 * std::abs(fd));
      }
    }
  }
}

TEST(MamlMetaGradient, WeightedInnerLossesKeepTheStepAndChangeOnlyTheCurvature) {
  // At the sampling parameters the plain, DiCE and LVC inner losses give the
  // same inner step; their meta-gradients differ by the score-function
  // terms (all of them for dice, the per-step ones for lvc).
  const FixedProblem f = fixed_problem(1);
  std::vector<torch::Tensor> adapted, gradients;
  for (const MetaGradient mode : {MetaGradient::kNoScore, MetaGradient::kDice, MetaGradient::kLvc}) {
    InnerLoopConfig inner;
    inner.step_size = 0.5;
    inner.meta_gradient = mode;
    adapted.push_back(flatten(adapt(*f.policy, f.theta, f.batch, inner)).detach());
    gradients.push_back(
        flatten(torch::autograd::grad({meta_loss(*f.policy, f.theta, f.batch, inner, OuterConfig{})}, f.theta)));
  }
  for (int i = 1; i < 3; ++i) EXPECT_TRUE(torch::allclose(adapted[i], adapted[0], 1e-6, 1e-6)) << i;
  for (auto [i, j] : {std::pair{0, 1}, {0, 2}, {1, 2}})
    EXPECT_GT((gradients[i] - gradients[j]).norm().item<double>(), 1e-3 * gradients[0].norm().item<double>())
        << i << " vs " << j;
}

// The inner KL reported per iteration, against a direct computation: for
// each task, the closed-form KL of two diagonal Gaussians at every valid
// step of its columns, θ's and the adapted policy's, averaged.
TEST(MamlInnerKl, EqualsTheGaussianKlAveragedOverEachTasksSteps) {
  const FixedProblem f = fixed_problem(1);
  const EpisodeBatch& e = f.batch.inner[0].episodes;
  const Params theta = replicate(f.theta, 2);
  const Params adapted = adapt(*f.policy, f.theta, f.batch, inner_config(1, MetaGradient::kFirstOrder));
  const double reported = inner_kl(*f.policy, theta, adapted, e, 2);
  double expected = 0;
  const int64_t per_task = e.num_envs() / 2;
  for (int64_t task = 0; task < 2; ++task) {
    Params mine, theirs;
    for (size_t i = 0; i < theta.size(); ++i) mine.push_back(theta[i][task].detach());
    for (size_t i = 0; i < adapted.size(); ++i) theirs.push_back(adapted[i][task].detach());
    double sum = 0, steps = 0;
    for (int64_t column = task * per_task; column < (task + 1) * per_task; ++column)
      for (int64_t t = 0; t < e.horizon(); ++t) {
        if (e.masks[t][column].item<double>() == 0) continue;
        const auto obs = e.observations[t][column].unsqueeze(0);
        const auto p = f.policy->forward(obs, mine), q = f.policy->forward(obs, theirs);
        for (int64_t d = 0; d < 6; ++d) {
          const double m1 = p.mean[0][d].item<double>(), m2 = q.mean[0][d].item<double>();
          const double s1 = std::exp(p.log_std.reshape({-1})[d].item<double>());
          const double s2 = std::exp(q.log_std.reshape({-1})[d].item<double>());
          sum += std::log(s2 / s1) + (s1 * s1 + (m1 - m2) * (m1 - m2)) / (2 * s2 * s2) - 0.5;
        }
        steps += 1;
      }
    expected += sum / steps / 2;
  }
  EXPECT_GT(reported, 1e-4);  // the step moved the policy
  EXPECT_NEAR(reported, expected, 1e-9 * expected);
  EXPECT_NEAR(inner_kl(*f.policy, theta, theta, e, 2), 0.0, 1e-12);
}

// Continual adaptation's steps reuse episodes another policy acted: the lvc
// weight's slope 1 + ℓ_t corrects for it to first order (the plain step when
// that policy is θ), and a clip holds the slope within [1 − clip, 1 + clip].
TEST(MamlMetaGradient, WeightedInnerLossCorrectsForTheActingPolicyWithinItsClip) {
  const FixedProblem f = fixed_problem(1);
  const InnerBatch& batch = f.batch.inner[0];
  const Params stacked = replicate(f.theta, 2);
  auto gradient = [&](const InnerBatch& b, InnerObjective objective) {
    return flatten(torch::autograd::grad({inner_losses(*f.policy, b, stacked, 2, false, objective).sum()}, f.theta));
  };
  const auto g_plain = gradient(batch, InnerObjective::kPlain);
  const double norm = g_plain.norm().item<double>();
  // (The episodes' log-probabilities were stored in float32: ℓ = 0 to 1e-7.)
  for (double clip : {0.0, 0.2})
    EXPECT_LT((gradient(batch, {InnerObjective::kLvc, clip}) - g_plain).norm().item<double>(), 1e-5 * norm);
  // Acted by a policy b under which every action had log-probability
  // log π_θ − shift: ℓ_t = shift, so the step is (1 + shift) × the plain one,
  // or the clipped slope. Unclipped, a policy that made the actions e^1.5
  // more likely than θ does (shift −1.5) turns the step around.
  struct Case {
    double shift, clip, slope;
  };
  for (const Case c : {Case{0.3, 0.0, 1.3}, Case{0.3, 0.2, 1.2}, Case{-1.5, 0.0, -0.5}, Case{-1.5, 0.2, 0.8},
                       Case{0.1, 0.2, 1.1}}) {
    SCOPED_TRACE(c.shift);
    SCOPED_TRACE(c.clip);
    InnerBatch shifted = batch;
    shifted.episodes.log_probs = batch.episodes.log_probs - c.shift;
    const auto g = gradient(shifted, {InnerObjective::kLvc, c.clip});
    EXPECT_LT((g - c.slope * g_plain).norm().item<double>(), 1e-5 * norm);
  }
}

// PPO-tracking's loss: the plain policy gradient where the ratio is 1, none
// from steps whose ratio is clipped and whose advantage pushes it further.
TEST(MamlMetaGradient, ClippedTaskLossesFollowPpo) {
  const FixedProblem f = fixed_problem(1);
  const Params stacked = replicate(f.theta, 2);
  const InnerBatch& batch = f.batch.inner[0];
  const auto g_plain = flatten(torch::autograd::grad(
      {inner_losses(*f.policy, batch, stacked, 2, true, InnerObjective::kPlain).sum()}, f.theta));
  const auto g_clipped =
      flatten(torch::autograd::grad({clipped_task_losses(*f.policy, batch, stacked, 2, 0.2).sum()}, f.theta));
  EXPECT_LT((g_clipped - g_plain).norm().item<double>(), 1e-5 * g_plain.norm().item<double>());
  // Acted by a policy under which these actions were e^0.3 less likely: ρ =
  // e^0.3 ≈ 1.35 everywhere, beyond the clip at 1.2, so only the steps with
  // negative advantages (where min picks the unclipped ρA) pass a gradient:
  // e^0.3 × the plain gradient of the negative standardised advantages.
  InnerBatch shifted = batch;
  shifted.episodes.log_probs = batch.episodes.log_probs - 0.3;
  const auto g_shifted = flatten(
      torch::autograd::grad({clipped_task_losses(*f.policy, shifted, stacked, 2, 0.2).sum()}, f.theta));
  InnerBatch negative = batch;
  const auto& m = batch.episodes.masks;
  std::vector<torch::Tensor> columns;
  for (int64_t t = 0; t < 2; ++t) {  // standardise each task's 3 columns as the loss does
    const auto a = batch.advantages.narrow(1, 3 * t, 3), w = m.narrow(1, 3 * t, 3);
    const auto mean = (a * w).sum() / w.sum();
    const auto sd = torch::sqrt(((a - mean).pow(2) * w).sum() / (w.sum() - 1.0));
    columns.push_back(((a - mean) / (sd + 1e-8) * w).clamp_max(0.0));
  }
  negative.advantages = torch::cat(columns, 1);
  const auto g_expected = std::exp(0.3) * flatten(torch::autograd::grad(
      {inner_losses(*f.policy, negative, stacked, 2, false, InnerObjective::kPlain).sum()}, f.theta));
  EXPECT_LT((g_shifted - g_expected).norm().item<double>(), 1e-5 * g_expected.norm().item<double>());
}

TEST(MamlMetaGradient, FirstOrderDropsExactlyTheSecondOrderTerms) {
  const FixedProblem f = fixed_problem(1);
  InnerLoopConfig inner;
  inner.step_size = 0.5;
  inner.meta_gradient = MetaGradient::kFirstOrder;
  const auto first_order = torch::autograd::grad({meta_loss(*f.policy, f.theta, f.batch, inner, OuterConfig{})}, f.theta);
  // Expected: the mean over tasks of the outer loss's gradient with respect to
  // the task's adapted parameters, at them (the inner step's Jacobian taken as I).
  const Params adapted = adapt(*f.policy, f.theta, f.batch, inner);
  std::vector<torch::Tensor> expected(f.theta.size());
  for (int64_t task = 0; task < 2; ++task) {
    MetaBatch single;
    single.tasks = 1;
    single.validation = f.batch.validation.select_envs(3 * task, 3);
    single.validation_advantages = f.batch.validation_advantages.narrow(1, 3 * task, 3);
    single.validation_returns = f.batch.validation_returns.narrow(0, task, 1);
    Params leaves;
    for (const auto& p : adapted) leaves.push_back(p[task].detach().requires_grad_(true));
    const auto loss = meta_loss(*f.policy, leaves, single, InnerLoopConfig{0, 0.0, true, MetaGradient::kNoScore},
                                OuterConfig{});
    const auto g = torch::autograd::grad({loss}, leaves);
    for (size_t i = 0; i < g.size(); ++i) expected[i] = expected[i].defined() ? expected[i] + g[i] / 2.0 : g[i] / 2.0;
  }
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(torch::allclose(first_order[i], expected[i], 1e-9, 1e-12));
  // And it differs from the second-order gradient.
  inner.meta_gradient = MetaGradient::kNoScore;
  const auto second_order = torch::autograd::grad({meta_loss(*f.policy, f.theta, f.batch, inner, OuterConfig{})}, f.theta);
  EXPECT_FALSE(torch::allclose(first_order[0], second_order[0], 1e-6, 1e-9));
}

TEST(MamlMetaGradient, LearnedStepSizesReceiveTheirGradient) {
  const FixedProblem f = fixed_problem(2);
  InnerLoopConfig inner;
  inner.steps = 2;
  inner.meta_gradient = MetaGradient::kNoScore;
  auto alphas = torch::tensor({0.3, 0.2}, torch::kFloat64).requires_grad_(true);
  const auto loss = meta_loss(*f.policy, f.theta, f.batch, inner, OuterConfig{}, alphas);
  const auto g = torch::autograd::grad({loss}, {alphas})[0];
  for (int k = 0; k < 2; ++k) {
    const double h = 1e-6;
    auto plus = alphas.detach().clone(), minus = alphas.detach().clone();
    plus[k] += h;
    minus[k] -= h;
    const double fd = (loss_value(f, f.theta, inner, plus) - loss_value(f, f.theta, inner, minus)) / (2 * h);
    EXPECT_NE(g[k].item<double>(), 0.0);
    EXPECT_NEAR(g[k].item<double>(), fd, 1e-6 + 1e-5 * std::abs(fd)) << "step " << k;
  }
}

// Continual adaptation's objective on a tiny deterministic case: two inner
// steps on the same episodes (the second off-policy through lvc's clipped
// weights), one step size per step and task. Each task's α gets the
// gradient of the meta-loss through both steps, as finite differences say.
TEST(MamlMetaGradient, PerTaskStepSizesGetTheChainObjectivesGradient) {
  FixedProblem f = fixed_problem(1);
  f.batch.inner.push_back(f.batch.inner[0]);  // both steps on θ's episodes
  InnerLoopConfig inner = inner_config(2, MetaGradient::kLvc);
  inner.off_policy = true;
  inner.clip = 0.2;
  const auto alphas = torch::tensor({0.3, 0.5, 0.2, 0.4}, torch::kFloat64).reshape({2, 2}).requires_grad_(true);
  const auto g = torch::autograd::grad({meta_loss(*f.policy, f.theta, f.batch, inner, OuterConfig{}, alphas)},
                                       {alphas})[0];
  for (int64_t k = 0; k < 2; ++k)
    for (int64_t task = 0; task < 2; ++task) {
      const double h = 1e-6;
      auto plus = alphas.detach().clone(), minus = alphas.detach().clone();
      plus[k][task] += h;
      minus[k][task] -= h;
      const double fd = (loss_value(f, f.theta, inner, plus) - loss_value(f, f.theta, inner, minus)) / (2 * h);
      EXPECT_GT(std::abs(fd), 1e-6) << "step " << k << " task " << task;
      EXPECT_NEAR(g[k][task].item<double>(), fd, 1e-7 + 1e-5 * std::abs(fd)) << "step " << k << " task " << task;
    }
  // A scalar α per step is the same map: each task's gradient adds up.
  const auto shared = torch::tensor({0.3, 0.2}, torch::kFloat64).requires_grad_(true);
  const auto same = torch::tensor({0.3, 0.3, 0.2, 0.2}, torch::kFloat64).reshape({2, 2}).requires_grad_(true);
  const auto g_shared =
      torch::autograd::grad({meta_loss(*f.policy, f.theta, f.batch, inner, OuterConfig{}, shared)}, {shared})[0];
  const auto g_same =
      torch::autograd::grad({meta_loss(*f.policy, f.theta, f.batch, inner, OuterConfig{}, same)}, {same})[0];
  EXPECT_TRUE(torch::allclose(g_shared, g_same.sum(1), 1e-9, 1e-12));
}

// Minibatches of whole tasks: the meta-loss is a mean over tasks, so the
// single-task minibatches' losses and gradients (θ and the learned sizes)
// average to the full batch's, and the tasks in another order change
// nothing. With the dice inner loss on shared-style episodes, two steps.
TEST(MamlMetaGradient, TaskMinibatchesAverageToTheFullBatch) {
  const FixedProblem f = fixed_problem(2);
  const InnerLoopConfig inner = inner_config(2, MetaGradient::kDice);
  const auto alphas = torch::tensor({0.3, 0.2}, torch::kFloat64).requires_grad_(true);
  Params leaves = f.theta;
  leaves.push_back(alphas);
  auto loss_and_grad = [&](const MetaBatch& batch) {
    const auto loss = meta_loss(*f.policy, f.theta, batch, inner, OuterConfig{}, alphas);
    return std::pair{loss.item<double>(), torch::autograd::grad({loss}, leaves)};
  };
  const auto [full_loss, full_grad] = loss_and_grad(f.batch);
  const auto [loss_0, grad_0] = loss_and_grad(select_tasks(f.batch, {0}));
  const auto [loss_1, grad_1] = loss_and_grad(select_tasks(f.batch, {1}));
  EXPECT_NEAR((loss_0 + loss_1) / 2, full_loss, 1e-12);
  EXPECT_GT(std::abs(loss_0 - loss_1), 1e-6);  // the tasks do differ
  for (size_t i = 0; i < leaves.size(); ++i)
    EXPECT_TRUE(torch::allclose((grad_0[i] + grad_1[i]) / 2, full_grad[i], 1e-9, 1e-12)) << "parameter " << i;
  // Task 1 alone is the full batch's columns 3..5.
  const MetaBatch second = select_tasks(f.batch, {1});
  EXPECT_TRUE(torch::equal(second.inner[1].episodes.actions, f.batch.inner[1].episodes.actions.narrow(1, 3, 3)));
  EXPECT_TRUE(torch::equal(second.validation_advantages, f.batch.validation_advantages.narrow(1, 3, 3)));
  EXPECT_DOUBLE_EQ(second.validation_returns[0].item<double>(), f.batch.validation_returns[1].item<double>());
  const auto [swapped_loss, swapped_grad] = loss_and_grad(select_tasks(f.batch, {1, 0}));
  EXPECT_NEAR(swapped_loss, full_loss, 1e-12);
  EXPECT_TRUE(torch::allclose(swapped_grad[0], full_grad[0], 1e-9, 1e-12));
  EXPECT_THROW(select_tasks(f.batch, {2}), c10::Error);
}

TEST(MamlMetaGradient, ParseNames) {
  EXPECT_EQ(parse_meta_gradient("exact"), MetaGradient::kExact);
  EXPECT_EQ(parse_meta_gradient("dice"), MetaGradient::kDice);
  EXPECT_EQ(parse_meta_gradient("lvc"), MetaGradient::kLvc);
  EXPECT_EQ(parse_meta_gradient("first_order"), MetaGradient::kFirstOrder);
  EXPECT_THROW(parse_meta_gradient("second"), std::invalid_argument);
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

TEST(TaskReturnBaseline, RecoversAReturnThatDependsOnTheTaskAndRoundTrips) {
  // Returns that depend on the goal's distance, as in 2D navigation.
  TaskReturnBaseline baseline(1000, 10);
  Rng rng(3);
  auto make = [&](int n) {
    std::vector<std::vector<double>> params;
    for (int i = 0; i < n; ++i) params.push_back({rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)});
    return params;
  };
  auto truth = [](const std::vector<double>& p) { return -10.0 - 40.0 * std::sqrt(p[0] * p[0] + p[1] * p[1]); };
  EXPECT_FALSE(baseline.ready());
  for (int round = 0; round < 5; ++round) {
    const auto params = make(20);
    auto returns = torch::empty({20}, torch::kFloat64);
    for (int i = 0; i < 20; ++i) returns[i] = truth(params[i]);
    baseline.add(params, returns);
  }
  ASSERT_TRUE(baseline.ready());
  const auto query = make(5);
  const auto predicted = baseline.predict(query);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(predicted[i].item<double>(), truth(query[i]), 0.05);
  TaskReturnBaseline restored(1000, 10);
  restored.load_state(baseline.state());
  EXPECT_TRUE(torch::equal(restored.predict(query), predicted));
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

TEST(MetaFisherVectorProduct, EqualsTheHessianOfTheMetaKlAtTheCurrentParameters) {
  // Second order through the plain and the weighted (DiCE, LVC) inner
  // losses, and first order (J = I: the adapted policies' Fisher matrix, the
  // cheap metric).
  for (const MetaGradient mode :
       {MetaGradient::kExact, MetaGradient::kDice, MetaGradient::kLvc, MetaGradient::kFirstOrder}) {
    for (int steps : {1, 2}) {
      SCOPED_TRACE(steps);
      SCOPED_TRACE(int(mode));
      const FixedProblem f = fixed_problem(steps);
      const InnerLoopConfig inner = inner_config(steps, mode);
      const DiagGaussian old = adapted_distribution(*f.policy, f.theta, f.batch, inner);
      const auto kl = meta_kl(*f.policy, f.theta, f.batch, old, inner);
      const auto reference = hessian_vector_product(kl, f.theta, 1e-3);  // double back-propagation through adapt
      const auto fast = meta_fisher_vector_product(*f.policy, f.theta, f.batch, old, inner, 1e-3);
      for (int trial = 0; trial < 3; ++trial) {
        const auto v = torch::randn({count_elements(f.theta)}, torch::kFloat64);
        const auto a = reference(v), b = fast(v);
        EXPECT_LT((a - b).norm().item<double>(), 1e-8 * (1 + a.norm().item<double>()));
      }
    }
  }
}

}  // namespace
}  // namespace metarl

namespace metarl {
namespace {

TEST(MetaFisherVectorProduct, SubsampledProductIsTheProductOfTheKeptEpisodes) {
  const FixedProblem f = fixed_problem(1);
  InnerLoopConfig inner;
  inner.step_size = 0.5;
  const DiagGaussian old = adapted_distribution(*f.policy, f.theta, f.batch, inner);
  const auto full = meta_fisher_vector_product(*f.policy, f.theta, f.batch, old, inner, 0.0, {}, 1.0);
  const auto all_kept = meta_fisher_vector_product(*f.policy, f.theta, f.batch, old, inner, 0.0, {}, 0.9);
  const auto part = meta_fisher_vector_product(*f.policy, f.theta, f.batch, old, inner, 0.0, {}, 0.5);
  const auto v = torch::randn({count_elements(f.theta)}, torch::kFloat64);
  const auto w = torch::randn({count_elements(f.theta)}, torch::kFloat64);
  // ceil(0.9 x 3 episodes) keeps all three: the same product.
  EXPECT_TRUE(torch::allclose(full(v), all_kept(v), 1e-12, 1e-14));
  // Two of three episodes: another estimate, still a symmetric positive semi-definite metric.
  const auto pv = part(v), pw = part(w);
  EXPECT_FALSE(torch::allclose(pv, full(v)));
  EXPECT_NEAR(torch::dot(w, pv).item<double>(), torch::dot(v, pw).item<double>(), 1e-9 * pv.norm().item<double>());
  EXPECT_GT(torch::dot(v, pv).item<double>(), 0.0);
  // The sampler's adaptation passed in instead of recomputed: the same product.
  const std::vector<Params> path = {detached_leaves(adapt(*f.policy, f.theta, f.batch, inner))};
  const auto given = meta_fisher_vector_product(*f.policy, f.theta, f.batch, old, inner, 0.0, {}, 0.5, &path);
  EXPECT_TRUE(torch::allclose(given(v), pv, 1e-12, 1e-14));
}

}  // namespace
}  // namespace metarl
