#include "experiments/stats.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace metarl {
namespace {

TEST(StudentsTQuantile95, MatchesPublishedTTableValues) {
  // Two-sided 95% column of the t table, to its 4 decimals.
  EXPECT_NEAR(students_t_quantile_95(1), 12.7062, 5e-5);
  EXPECT_NEAR(students_t_quantile_95(2), 4.3027, 5e-5);
  EXPECT_NEAR(students_t_quantile_95(4), 2.7764, 5e-5);
  EXPECT_NEAR(students_t_quantile_95(9), 2.2622, 5e-5);
  EXPECT_NEAR(students_t_quantile_95(29), 2.0452, 5e-5);
  EXPECT_NEAR(students_t_quantile_95(49), 2.0096, 5e-5);
  EXPECT_NEAR(students_t_quantile_95(1000000), 1.9600, 5e-5);  // the normal's 1.96 in the limit
}

TEST(StudentsTQuantile95, RejectsFewerThanOneDegreeOfFreedom) {
  EXPECT_THROW(students_t_quantile_95(0), std::invalid_argument);
  EXPECT_THROW(students_t_quantile_95(-3), std::invalid_argument);
}

TEST(MeanWithCi95, IsTTimesTheStandardErrorOfTheMean) {
  // {2, 4, 6}: mean 4, squared deviations 4 + 0 + 4 = 8, sample variance
  // 8 / 2 = 4, standard deviation 2, standard error 2 / √3 = 1.154701;
  // t(2) = 4.302653, half-width 4.302653 × 1.154701 = 4.968275.
  const MeanWithInterval m = mean_with_ci95({2, 4, 6});
  EXPECT_DOUBLE_EQ(m.mean, 4);
  EXPECT_NEAR(m.ci95, 4.968275, 1e-6);
  // No spread, no width.
  EXPECT_EQ(mean_with_ci95({7, 7}).ci95, 0);
}

TEST(MeanWithCi95, NeedsTwoValuesAndSaysHowManyItGot) {
  try {
    mean_with_ci95({1.5});
    FAIL() << "one value gave an interval";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "mean_with_ci95: a 95% interval needs at least 2 values, got 1");
  }
  EXPECT_THROW(mean_with_ci95({}), std::invalid_argument);
}

TEST(WilsonInterval, MatchesTheTextbookValues) {
  // Wilson (1927) score interval, as e.g. statsmodels' proportion_confint(method="wilson").
  const RateWithInterval a = wilson_interval_95(45, 100);
  EXPECT_DOUBLE_EQ(a.rate, 0.45);
  EXPECT_NEAR(a.low, 0.356145, 1e-6);
  EXPECT_NEAR(a.high, 0.547554, 1e-6);
  const RateWithInterval none = wilson_interval_95(0, 10);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_NEAR(none.high, 0.277533, 1e-6);
  const RateWithInterval most = wilson_interval_95(95, 100);
  EXPECT_NEAR(most.low, 0.888250, 1e-6);
  EXPECT_NEAR(most.high, 0.978456, 1e-6);
  EXPECT_THROW(wilson_interval_95(3, 2), std::invalid_argument);
  EXPECT_THROW(wilson_interval_95(0, 0), std::invalid_argument);
}

}  // namespace
}  // namespace metarl
