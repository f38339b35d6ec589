#include "envs/core/space.h"

#include <algorithm>
#include <sstream>

#include "envs/core/error.h"

namespace metarl {
namespace {

int element_count(const std::vector<int>& shape) {
  int n = 1;
  for (int d : shape) {
    if (d < 0) throw_env_error("Box: negative dimension ", d, " in shape");
    n *= d;
  }
  return n;
}

}  // namespace

Box::Box(std::vector<int> shape, double low, double high)
    : shape_(std::move(shape)), size_(element_count(shape_)), low_(size_, low), high_(size_, high) {
  if (low > high) throw_env_error("Box: low ", low, " exceeds high ", high);
}

Box::Box(std::vector<int> shape, std::vector<double> low, std::vector<double> high)
    : shape_(std::move(shape)), size_(element_count(shape_)), low_(std::move(low)), high_(std::move(high)) {
  if (static_cast<int>(low_.size()) != size_ || static_cast<int>(high_.size()) != size_)
    throw_env_error("Box: bounds have ", low_.size(), "/", high_.size(), " values for ", size_, " elements");
  for (int i = 0; i < size_; ++i)
    if (low_[i] > high_[i]) throw_env_error("Box: low[", i, "]=", low_[i], " exceeds high[", i, "]=", high_[i]);
}

Box Box::unbounded(int size) {
  const double inf = std::numeric_limits<double>::infinity();
  return Box({size}, -inf, inf);
}

bool Box::contains(const float* values) const {
  for (int i = 0; i < size_; ++i)
    if (!(values[i] >= low_[i] && values[i] <= high_[i])) return false;
  return true;
}

void Box::clip(float* values) const {
  for (int i = 0; i < size_; ++i)
    values[i] = static_cast<float>(std::clamp<double>(values[i], low_[i], high_[i]));
}

std::string Box::to_string() const {
  std::ostringstream out;
  out << "Box(shape=[";
  for (size_t i = 0; i < shape_.size(); ++i) out << (i ? "," : "") << shape_[i];
  out << "]";
  if (size_ > 0) {
    const bool uniform = std::all_of(low_.begin(), low_.end(), [&](double v) { return v == low_[0]; }) &&
                         std::all_of(high_.begin(), high_.end(), [&](double v) { return v == high_[0]; });
    if (uniform) out << ", low=" << low_[0] << ", high=" << high_[0];
  }
  out << ")";
  return out.str();
}

}  // namespace metarl
