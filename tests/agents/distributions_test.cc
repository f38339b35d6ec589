#include "agents/distributions.h"

#include <cmath>

#include <gtest/gtest.h>

namespace metarl {
namespace {

constexpr double kPi = 3.14159265358979323846;

TEST(DiagGaussian, LogProbMatchesTheClosedForm) {
  const DiagGaussian d{torch::tensor({{0.5, -1.0}}, torch::kFloat64), torch::tensor({std::log(2.0), std::log(0.5)}, torch::kFloat64)};
  const auto a = torch::tensor({{1.5, -0.75}}, torch::kFloat64);
  // Each dimension: -(a - m)^2 / (2 s^2) - log s - log(sqrt(2 pi)).
  const double expected = -(1.0 * 1.0) / (2 * 4.0) - std::log(2.0) - 0.5 * std::log(2 * kPi) +
                          -(0.25 * 0.25) / (2 * 0.25) - std::log(0.5) - 0.5 * std::log(2 * kPi);
  EXPECT_NEAR(d.log_prob(a).item<double>(), expected, 1e-12);
}

TEST(DiagGaussian, EntropyMatchesTheClosedForm) {
  const DiagGaussian d{torch::zeros({3, 2}, torch::kFloat64), torch::tensor({0.3, -0.2}, torch::kFloat64)};
  const auto h = d.entropy();
  ASSERT_EQ(h.sizes(), (std::vector<int64_t>{3}));
  // Sum over dimensions of 0.5 * log(2 pi e s^2).
  const double expected = 0.5 * std::log(2 * kPi * std::exp(1.0) * std::exp(0.6)) +
                          0.5 * std::log(2 * kPi * std::exp(1.0) * std::exp(-0.4));
  EXPECT_NEAR(h[1].item<double>(), expected, 1e-12);
}

TEST(DiagGaussian, KlMatchesTheClosedFormAndIsZeroForEqualDistributions) {
  const DiagGaussian p{torch::tensor({{0.0, 1.0}}, torch::kFloat64), torch::tensor({0.0, std::log(2.0)}, torch::kFloat64)};
  const DiagGaussian q{torch::tensor({{1.0, -1.0}}, torch::kFloat64), torch::tensor({std::log(0.5), 0.0}, torch::kFloat64)};
  // KL(p||q) per dim: log(sq/sp) + (sp^2 + (mp-mq)^2) / (2 sq^2) - 1/2.
  const double d1 = std::log(0.5 / 1.0) + (1.0 + 1.0) / (2 * 0.25) - 0.5;
  const double d2 = std::log(1.0 / 2.0) + (4.0 + 4.0) / 2.0 - 0.5;
  EXPECT_NEAR(p.kl(q).item<double>(), d1 + d2, 1e-12);
  EXPECT_NEAR(p.kl(p).item<double>(), 0.0, 1e-15);
  EXPECT_GT(q.kl(p).item<double>(), 0.0);
}

TEST(DiagGaussian, MonteCarloLogProbAveragesToMinusEntropy) {
  const DiagGaussian d{torch::tensor({{0.2, -0.3, 1.0}}), torch::tensor({-0.5, 0.1, 0.4})};
  auto generator = at::detail::createCPUGenerator(7);
  const DiagGaussian wide{d.mean.expand({20000, 3}), d.log_std};
  const auto samples = wide.sample(generator);
  EXPECT_NEAR(-wide.log_prob(samples).mean().item<double>(), d.entropy().item<double>(), 0.03);
  EXPECT_NEAR(samples.mean(0)[2].item<double>(), 1.0, 0.05);
  EXPECT_NEAR(samples.std(0)[2].item<double>(), std::exp(0.4), 0.05);
}

TEST(DiagGaussian, GradientsFlowToMeanAndLogStd) {
  auto mean = torch::zeros({1, 2}, torch::requires_grad());
  auto log_std = torch::zeros({2}, torch::requires_grad());
  const DiagGaussian d{mean, log_std};
  d.log_prob(torch::tensor({{1.0f, -2.0f}})).backward();
  // d/dm = (a - m) / s^2; d/dlog_s = (a - m)^2 / s^2 - 1.
  EXPECT_NEAR(mean.grad()[0][0].item<float>(), 1.0, 1e-6);
  EXPECT_NEAR(mean.grad()[0][1].item<float>(), -2.0, 1e-6);
  EXPECT_NEAR(log_std.grad()[0].item<float>(), 0.0, 1e-6);
  EXPECT_NEAR(log_std.grad()[1].item<float>(), 3.0, 1e-6);
}

}  // namespace
}  // namespace metarl
