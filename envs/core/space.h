// Box spaces: a shaped array of floats with per-element bounds.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace metarl {

class Box {
 public:
  Box() = default;
  // Same bounds for every element.
  Box(std::vector<int> shape, double low, double high);
  // Per-element bounds; their size must match the shape's element count.
  Box(std::vector<int> shape, std::vector<double> low, std::vector<double> high);

  // An unbounded box of `size` elements, the usual observation space.
  static Box unbounded(int size);

  const std::vector<int>& shape() const { return shape_; }
  int size() const { return size_; }
  const std::vector<double>& low() const { return low_; }
  const std::vector<double>& high() const { return high_; }

  bool contains(const float* values) const;
  // Clamps each element into its bounds (in place).
  void clip(float* values) const;
  std::string to_string() const;

 private:
  std::vector<int> shape_;
  int size_ = 0;
  std::vector<double> low_, high_;
};

}  // namespace metarl
