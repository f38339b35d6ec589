// MuJoCo's renderer offscreen: a robot is drawn where its torso is.
#include "experiments/offscreen_renderer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "envs/sumo/sumo_env.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

constexpr int kWidth = 320, kHeight = 240;

// Looking straight down on the tatami's centre: +x to the right, +y up.
CameraPose top_down() {
  CameraPose pose;
  pose.lookat[2] = 0.5;  // the tatami's top
  pose.distance = 6;
  pose.azimuth = 90;
  pose.elevation = -90;
  return pose;
}

TEST(OffscreenRenderer, ARobotIsDrawnWhereItsTorsoIs) {
  VectorEnv env("SumoAnt", 1, 1);
  env.seed(0);
  env.reset();
  auto& sumo = dynamic_cast<SumoEnv&>(env.env(0));
  OffscreenRenderer renderer(sumo.model(), kWidth, kHeight);
  const double z = 1.0;  // the torso's height above the floor
  // Seat 1 stays at the top of the tatami; seat 0 is drawn at x = −1, then +1.
  const auto frame = [&](double x) {
    sumo.place(1, 0, 1.5, z, 0);
    sumo.place(0, x, 0, z, 0);
    return renderer.render(sumo.data(), top_down());
  };
  const auto left = frame(-1), right = frame(1);
  ASSERT_EQ(left.size(), size_t(kWidth * kHeight * 3));
  // Where the two frames differ: the Ant in one or the other. The mean
  // column of the changed pixels in each half is where the torso projects.
  double sum[2] = {0, 0}, count[2] = {0, 0};
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      const size_t i = (size_t(y) * kWidth + size_t(x)) * 3;
      const int change = std::abs(left[i] - right[i]) + std::abs(left[i + 1] - right[i + 1]) +
                         std::abs(left[i + 2] - right[i + 2]);
      if (change < 30) continue;
      const int half = x < kWidth / 2 ? 0 : 1;
      sum[half] += x;
      count[half] += 1;
    }
  ASSERT_GT(count[0], 100) << "no Ant drawn on the left";
  ASSERT_GT(count[1], 100) << "no Ant drawn on the right";
  // Perspective: x = ±1 at depth (distance − (z − lookat z)) is at
  // ±(1 / depth) / tan(fovy / 2) half-heights from the centre.
  const double fovy = sumo.model()->vis.global.fovy * M_PI / 180;
  const double depth = 6 - (z - 0.5);
  const double offset = (1 / depth) / std::tan(fovy / 2) * kHeight / 2;
  EXPECT_NEAR(sum[0] / count[0], kWidth / 2.0 - offset, 8);
  EXPECT_NEAR(sum[1] / count[1], kWidth / 2.0 + offset, 8);
  // The same state renders the same image.
  EXPECT_EQ(frame(1), right);
}

TEST(OffscreenRenderer, ASizeBeyondTheModelsBufferIsRefused) {
  VectorEnv env("SumoAnt", 1, 1);
  auto& sumo = dynamic_cast<SumoEnv&>(env.env(0));
  EXPECT_THROW(OffscreenRenderer(sumo.model(), 4000, 100), std::runtime_error);
}

}  // namespace
}  // namespace metarl
