#include "experiments/stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <boost/math/distributions/students_t.hpp>

namespace metarl {

double students_t_quantile_95(int64_t degrees_of_freedom) {
  if (degrees_of_freedom < 1)
    throw std::invalid_argument("students_t_quantile_95: " + std::to_string(degrees_of_freedom) +
                                " degrees of freedom, need at least 1");
  return boost::math::quantile(boost::math::students_t(double(degrees_of_freedom)), 0.975);
}

MeanWithInterval mean_with_ci95(const std::vector<double>& sample) {
  const size_t n = sample.size();
  if (n < 2)
    throw std::invalid_argument("mean_with_ci95: a 95% interval needs at least 2 values, got " + std::to_string(n));
  double sum = 0;
  for (const double x : sample) sum += x;
  const double mean = sum / n;
  double squares = 0;
  for (const double x : sample) squares += (x - mean) * (x - mean);
  const double standard_error = std::sqrt(squares / (n - 1)) / std::sqrt(double(n));
  return {mean, students_t_quantile_95(int64_t(n) - 1) * standard_error};
}

RateWithInterval wilson_interval_95(int64_t successes, int64_t trials) {
  if (trials < 1 || successes < 0 || successes > trials)
    throw std::invalid_argument("wilson_interval_95: " + std::to_string(successes) + " successes in " +
                                std::to_string(trials) + " trials");
  const double z = 1.959963984540054;  // the normal's 0.975 quantile
  const double n = double(trials), p = double(successes) / n;
  const double scale = 1 + z * z / n;
  const double centre = (p + z * z / (2 * n)) / scale;
  const double half = z / scale * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  // At 0 or n successes the bound is exactly 0 or 1 (rounding leaves ~1e-18).
  return {p, successes == 0 ? 0.0 : centre - half, successes == trials ? 1.0 : centre + half};
}

}  // namespace metarl
