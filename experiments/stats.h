// The 95% confidence interval of a sample mean, for every interval the
// project reports (`metarl adapt`'s ci95 columns and stderr lines).
// Student's t with n - 1 degrees of freedom rather than the normal 1.96: the
// sample standard deviation of few tasks underestimates the spread often
// enough that 1.96 is too narrow (for 2 tasks the quantile is 12.7, for 40
// it is 2.02). scripts/task_stats.py computes the same interval in Python.
#pragma once

#include <cstdint>
#include <vector>

namespace metarl {

// The 0.975 quantile of Student's t with `degrees_of_freedom` (>= 1): the
// multiple of the standard error that a two-sided 95% interval spans on each
// side. std::invalid_argument if degrees_of_freedom < 1.
double students_t_quantile_95(int64_t degrees_of_freedom);

struct MeanWithInterval {
  double mean = 0;
  double ci95 = 0;  // half-width: the interval is mean ± ci95
};

// The mean of `sample` and the half-width of its 95% interval,
// t(n - 1) × sample standard deviation / √n. std::invalid_argument if the
// sample has fewer than 2 values (no spread to estimate).
MeanWithInterval mean_with_ci95(const std::vector<double>& sample);

// A rate (win rate, success rate) with its 95% Wilson score interval: unlike
// p ± 1.96·√(p(1 − p)/n) it stays inside [0, 1] and is not empty at 0 or n
// successes, which is where win rates against weak opponents sit.
struct RateWithInterval {
  double rate = 0;
  double low = 0, high = 0;
};
// std::invalid_argument unless 0 <= successes <= trials and trials >= 1.
RateWithInterval wilson_interval_95(int64_t successes, int64_t trials);

}  // namespace metarl
