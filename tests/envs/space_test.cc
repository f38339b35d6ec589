#include "envs/core/space.h"

#include <cmath>

#include <gtest/gtest.h>

#include "envs/core/error.h"

namespace metarl {
namespace {

TEST(Box, SizeIsTheProductOfTheShape) {
  Box box({2, 3}, -1.0, 1.0);
  EXPECT_EQ(box.size(), 6);
  EXPECT_EQ(box.low().size(), 6u);
}

TEST(Box, ContainsChecksEveryBoundAndRejectsNaN) {
  Box box({2}, {-1.0, 0.0}, {1.0, 2.0});
  const float inside[] = {0.5f, 2.0f};
  const float outside[] = {0.5f, 2.5f};
  const float nan[] = {NAN, 1.0f};
  EXPECT_TRUE(box.contains(inside));
  EXPECT_FALSE(box.contains(outside));
  EXPECT_FALSE(box.contains(nan));
}

TEST(Box, ClipClampsIntoBounds) {
  Box box({3}, -0.1, 0.1);
  float v[] = {-5.f, 0.05f, 7.f};
  box.clip(v);
  EXPECT_FLOAT_EQ(v[0], -0.1f);
  EXPECT_FLOAT_EQ(v[1], 0.05f);
  EXPECT_FLOAT_EQ(v[2], 0.1f);
}

TEST(Box, RejectsInconsistentBounds) {
  EXPECT_THROW(Box({2}, 1.0, -1.0), EnvError);
  EXPECT_THROW(Box({2}, std::vector<double>{0.0}, std::vector<double>{1.0, 1.0}), EnvError);
}

TEST(Box, UnboundedContainsLargeValues) {
  Box box = Box::unbounded(2);
  const float v[] = {1e30f, -1e30f};
  EXPECT_TRUE(box.contains(v));
  EXPECT_EQ(box.to_string(), "Box(shape=[2], low=-inf, high=inf)");
}

}  // namespace
}  // namespace metarl
