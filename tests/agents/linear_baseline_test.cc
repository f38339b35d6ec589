#include "agents/linear_baseline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

namespace metarl {
namespace {

// Step indices 0, 1, 2, ... down each env's column, shifted by `offset` per env
// (so the envs are at different points of their episodes).
torch::Tensor step_indices(int64_t steps, int64_t n, int64_t offset) {
  return torch::arange(steps, torch::kLong).unsqueeze(1) + offset * torch::arange(n, torch::kLong).unsqueeze(0);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LinearBaselineTest, FeaturesLayoutAndValues) {
  // T = 2, N = 1, D = 2: o = (3, -12) at t = 0 and (0.5, 15) at t = 150.
  const auto obs = torch::tensor({3.0f, -12.0f, 0.5f, 15.0f}).reshape({2, 1, 2});
  const auto ts = torch::tensor({0, 150}, torch::kLong).reshape({2, 1});
  const auto f = LinearFeatureBaseline::features(obs, ts);
  ASSERT_EQ(f.sizes(), (std::vector<int64_t>{2, 1, 2 * 2 + 4}));
  EXPECT_EQ(f.scalar_type(), torch::kFloat);
  //          [clip(o)     , clip(o)^2    , t/100, (t/100)^2, (t/100)^3, 1]
  const auto expected = torch::tensor({3.0f, -10.0f, 9.0f, 100.0f, 0.0f, 0.0f, 0.0f, 1.0f,  //
                                       0.5f, 10.0f, 0.25f, 100.0f, 1.5f, 2.25f, 3.375f, 1.0f})
                            .reshape({2, 1, 8});
  EXPECT_TRUE(torch::allclose(f, expected, 0.0, 1e-6)) << f;
  // The square is taken after clipping: -12 -> -10 -> 100, not 144.
  EXPECT_FLOAT_EQ(f[0][0][3].item<float>(), 100.0f);
  // Float64 observations give float64 features.
  EXPECT_EQ(LinearFeatureBaseline::features(obs.to(torch::kDouble), ts).scalar_type(), torch::kDouble);
}

TEST(LinearBaselineTest, PredictBeforeFitReturnsZeros) {
  const LinearFeatureBaseline baseline;
  EXPECT_FALSE(baseline.fitted());
  const auto p = baseline.predict(torch::randn({5, 3, 4}), step_indices(5, 3, 0));
  EXPECT_EQ(p.sizes(), (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(p.scalar_type(), torch::kFloat);
  EXPECT_EQ(torch::count_nonzero(p).item<int64_t>(), 0);
}

TEST(LinearBaselineTest, RecoversTheWeightsOfExactDataAndPredictsThem) {
  torch::manual_seed(3);
  const int64_t steps = 200, n = 4, d = 3;
  const auto obs = torch::rand({steps, n, d}) * 10.0 - 5.0;  // inside the clip range
  const auto ts = step_indices(steps, n, 0);
  const auto w_true = torch::tensor({0.5, -1.0, 2.0, 0.25, -0.125, 0.75, 3.0, -2.0, 1.5, -4.0}, torch::kDouble);
  ASSERT_EQ(w_true.size(0), 2 * d + 4);
  const auto returns = torch::matmul(LinearFeatureBaseline::features(obs.to(torch::kDouble), ts), w_true);

  // A tiny regulariser, so that its bias stays far below the tolerance.
  LinearFeatureBaseline baseline(1e-12);
  baseline.fit(obs, ts, returns, torch::ones({steps, n}));
  ASSERT_TRUE(baseline.fitted());
  EXPECT_EQ(baseline.weights().scalar_type(), torch::kDouble);
  EXPECT_TRUE(torch::allclose(baseline.weights(), w_true, 0.0, 1e-6))
      << baseline.weights() - w_true;

  const auto p = baseline.predict(obs, ts);
  EXPECT_EQ(p.sizes(), (std::vector<int64_t>{steps, n}));
  EXPECT_EQ(p.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::allclose(p.to(torch::kDouble), returns, 1e-5, 1e-4));
}

TEST(LinearBaselineTest, MaskedRowsDoNotAffectTheFit) {
  torch::manual_seed(5);
  const int64_t steps = 30, n = 3, d = 2;
  auto obs = torch::randn({steps, n, d});
  const auto ts = step_indices(steps, n, 7);
  auto returns = torch::randn({steps, n}) * 5.0;
  // Env 2 is padding after t = 19; env 0 after t = 24.
  auto masks = torch::ones({steps, n});
  masks.slice(0, 20).select(1, 2).fill_(0.0);
  masks.slice(0, 25).select(1, 0).fill_(0.0);

  LinearFeatureBaseline clean;
  clean.fit(obs, ts, returns, masks);

  // Garbage in the masked rows: huge returns, NaN, and NaN observations.
  auto dirty_returns = returns.clone();
  auto dirty_obs = obs.clone();
  dirty_returns.slice(0, 20).select(1, 2).fill_(1e9);
  dirty_returns.slice(0, 25).select(1, 0).fill_(std::numeric_limits<float>::quiet_NaN());
  dirty_obs.slice(0, 25).select(1, 0).fill_(std::numeric_limits<float>::quiet_NaN());
  LinearFeatureBaseline dirty;
  dirty.fit(dirty_obs, ts, dirty_returns, masks);
  ASSERT_TRUE(torch::isfinite(dirty.weights()).all().item<bool>()) << dirty.weights();
  EXPECT_TRUE(torch::allclose(dirty.weights(), clean.weights(), 1e-12, 1e-12));

  // And it is the same fit as on the unmasked rows alone: env 1 in full plus env 2's first 20 steps.
  LinearFeatureBaseline subset;
  const auto rows_obs = torch::cat({obs.slice(0, 0, 25).select(1, 0), obs.select(1, 1), obs.slice(0, 0, 20).select(1, 2)}, 0);
  const auto rows_ts = torch::cat({ts.slice(0, 0, 25).select(1, 0), ts.select(1, 1), ts.slice(0, 0, 20).select(1, 2)}, 0);
  const auto rows_ret =
      torch::cat({returns.slice(0, 0, 25).select(1, 0), returns.select(1, 1), returns.slice(0, 0, 20).select(1, 2)}, 0);
  // As a single env of 75 steps.
  subset.fit(rows_obs.unsqueeze(1), rows_ts.unsqueeze(1), rows_ret.unsqueeze(1), torch::ones({75, 1}));
  EXPECT_TRUE(torch::allclose(subset.weights(), clean.weights(), 1e-9, 1e-9));
}

TEST(LinearBaselineTest, RankDeficientDesignStillGivesFiniteWeights) {
  // Every observation is the same, so o, o^2 and the constant are collinear.
  const int64_t steps = 50, n = 2;
  const auto obs = torch::full({steps, n, 3}, 0.3f);
  const auto ts = step_indices(steps, n, 10);
  const auto returns = 2.0 + 3.0 * ts.to(torch::kFloat) / 100.0;
  LinearFeatureBaseline baseline;  // default reg_coeff 1e-5
  baseline.fit(obs, ts, returns, torch::ones({steps, n}));
  EXPECT_TRUE(torch::isfinite(baseline.weights()).all().item<bool>()) << baseline.weights();
  EXPECT_TRUE(torch::allclose(baseline.predict(obs, ts), returns, 0.0, 1e-3));
}

// A design whose normal matrix is singular and whose numbers are powers of two,
// so that every floating-point operation of the factorisation is exact:
// 4 rows of [o, o^2, t, t^2, t^3, 1] = [1, 1, 0, 0, 0, 1], returns 2.
// F^T F + reg I is numerically positive definite only once reg is at least
// about half a unit in the last place of 4 (2^-51 ~ 4.4e-16); below that, reg
// vanishes in the rounding and the matrix is singular.
struct SingularDesign {
  torch::Tensor obs = torch::ones({2, 2, 1});
  torch::Tensor ts = torch::zeros({2, 2}, torch::kLong);
  torch::Tensor returns = torch::full({2, 2}, 2.0f);
  torch::Tensor masks = torch::ones({2, 2});
};

TEST(LinearBaselineTest, RegularisationEscalatesUntilTheSolutionIsFinite) {
  const SingularDesign s;
  // 1e-18 (and 1e-17, 1e-16) are lost against 4; the fourth attempt, 1e-15, is not.
  LinearFeatureBaseline baseline(1e-18);
  baseline.fit(s.obs, s.ts, s.returns, s.masks);
  ASSERT_TRUE(baseline.fitted());
  EXPECT_TRUE(torch::isfinite(baseline.weights()).all().item<bool>()) << baseline.weights();
  EXPECT_TRUE(torch::allclose(baseline.predict(s.obs, s.ts), s.returns, 0.0, 1e-6));
}

TEST(LinearBaselineTest, FailsClearlyWhenNoRegulariserHelpsAndKeepsTheOldWeights) {
  const SingularDesign s;
  // Five attempts from 1e-22 reach only 1e-18: all lost against 4.
  LinearFeatureBaseline baseline(1e-22);
  const auto message = error_of([&] { baseline.fit(s.obs, s.ts, s.returns, s.masks); });
  EXPECT_NE(message.find("LinearFeatureBaseline::fit"), std::string::npos) << message;
  EXPECT_NE(message.find("no finite solution"), std::string::npos) << message;
  EXPECT_FALSE(baseline.fitted());

  // After a successful fit, a failed one leaves the weights as they were.
  torch::manual_seed(13);
  const auto obs = torch::randn({20, 2, 1});
  const auto ts = step_indices(20, 2, 3);
  baseline.fit(obs, ts, torch::randn({20, 2}), torch::ones({20, 2}));
  ASSERT_TRUE(baseline.fitted());
  const auto before = baseline.weights().clone();
  EXPECT_THROW(baseline.fit(s.obs, s.ts, s.returns, s.masks), c10::Error);
  EXPECT_TRUE(torch::equal(baseline.weights(), before));

  // reg_coeff = 0 never grows.
  LinearFeatureBaseline unregularised(0.0);
  EXPECT_THROW(unregularised.fit(s.obs, s.ts, s.returns, s.masks), c10::Error);
}

TEST(LinearBaselineTest, PredictionsCarryNoGradient) {
  torch::manual_seed(11);
  const auto obs = torch::randn({6, 2, 3}).requires_grad_(true);
  const auto ts = step_indices(6, 2, 0);
  LinearFeatureBaseline baseline;
  baseline.fit(obs, ts, torch::randn({6, 2}).requires_grad_(true), torch::ones({6, 2}));
  const auto p = baseline.predict(obs, ts);
  EXPECT_FALSE(p.requires_grad());
  EXPECT_FALSE(baseline.weights().requires_grad());
  EXPECT_EQ(p.scalar_type(), torch::kFloat);
}

TEST(LinearBaselineTest, RejectsEmptyMasksAndMismatchedShapes) {
  LinearFeatureBaseline baseline;
  const auto obs = torch::randn({4, 2, 3});
  const auto ts = step_indices(4, 2, 0);

  auto message = error_of([&] { baseline.fit(obs, ts, torch::randn({4, 2}), torch::zeros({4, 2})); });
  EXPECT_NE(message.find("no unmasked rows"), std::string::npos) << message;

  message = error_of([&] { baseline.fit(obs, ts, torch::randn({4, 3}), torch::ones({4, 2})); });
  EXPECT_NE(message.find("returns has shape [4, 3] but observations has shape [4, 2, 3]"), std::string::npos)
      << message;

  message = error_of([&] { baseline.fit(obs, ts, torch::randn({4, 2}), torch::ones({2, 4})); });
  EXPECT_NE(message.find("masks has shape [2, 4]"), std::string::npos) << message;

  message = error_of([&] { baseline.predict(obs, step_indices(3, 2, 0)); });
  EXPECT_NE(message.find("LinearFeatureBaseline::predict: timesteps has shape [3, 2]"), std::string::npos) << message;

  message = error_of([&] { LinearFeatureBaseline::features(torch::randn({4, 3}), torch::zeros({4})); });
  EXPECT_NE(message.find("observations must be [T, N, D]"), std::string::npos) << message;

  // Predicting with another observation size than the fit's.
  baseline.fit(obs, ts, torch::randn({4, 2}), torch::ones({4, 2}));
  message = error_of([&] { baseline.predict(torch::randn({4, 2, 5}), ts); });
  EXPECT_NE(message.find("observations have 5 dimensions but the baseline was fit on 3"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace metarl
