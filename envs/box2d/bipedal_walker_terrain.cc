#include "envs/box2d/bipedal_walker_terrain.h"

#include "envs/core/rng.h"

namespace metarl {
namespace {

using namespace bipedal;

// What the columns being generated are part of. A stretch starts with one
// "oneshot" column, where an obstacle builds its polygons and grass stays
// level; its following columns shape the surface.
enum class Stretch { kGrass = 0, kStump = 1, kStairs = 2, kPit = 3 };

// Uniform integer in [low, high] (numpy's integers(low, high + 1)).
int draw_int(Rng& rng, int low, int high) { return low + int(rng.below(uint64_t(high - low + 1))); }

double sign(double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }  // np.sign: 0 at 0

WalkerTerrain::Quad quad(double x0, double y0, double x1, double y1, double x2, double y2, double x3, double y3) {
  return {{{x0, y0}, {x1, y1}, {x2, y2}, {x3, y3}}};
}

}  // namespace

WalkerTerrain generate_walker_terrain(Rng& rng, double obstacle_rate) {
  WalkerTerrain t;
  t.x.reserve(kTerrainLength);
  t.y.reserve(kTerrainLength);
  Stretch stretch = Stretch::kGrass;
  bool oneshot = false;
  double velocity = 0, y = kTerrainHeight;
  int counter = kTerrainStartpad;  // columns left in the current stretch
  int stair_steps = 0, stair_height = 0;
  double original_y = 0;  // the surface's level where a pit or stairs began
  for (int i = 0; i < kTerrainLength; ++i) {
    const double x = i * kTerrainStep;
    t.x.push_back(x);
    if (stretch == Stretch::kGrass && !oneshot) {
      // The start pad stays flat: y starts at the target height, so the
      // pull towards it is 0 until the noise starts.
      velocity = 0.8 * velocity + 0.01 * sign(kTerrainHeight - y);
      if (i > kTerrainStartpad) velocity += rng.uniform(-1, 1) / kScale;
      y += velocity;
    } else if (stretch == Stretch::kPit && oneshot) {
      // Two walls 4 steps deep, `width` columns apart; the surface drops
      // between them (below) and the gap's edges run diagonally to the walls.
      const int width = draw_int(rng, kPitWidthMin, kPitWidthMax);
      const double depth = kPitDepth * kTerrainStep;
      t.polygons.push_back(quad(x, y, x + kTerrainStep, y, x + kTerrainStep, y - depth, x, y - depth));
      const double shift = width * kTerrainStep;
      t.polygons.push_back(quad(x + shift, y, x + kTerrainStep + shift, y, x + kTerrainStep + shift, y - depth,
                                x + shift, y - depth));
      t.obstacles.push_back({WalkerObstacleKind::kPit, i, width, 0});
      counter = width + 2;
      original_y = y;
    } else if (stretch == Stretch::kPit && !oneshot) {
      y = original_y;
      if (counter > 1) y -= kPitDepth * kTerrainStep;
    } else if (stretch == Stretch::kStump && oneshot) {
      const int size = draw_int(rng, kStumpSizeMin, kStumpSizeMax);
      const double side = size * kTerrainStep;
      t.polygons.push_back(quad(x, y, x + side, y, x + side, y + side, x, y + side));
      t.obstacles.push_back({WalkerObstacleKind::kStump, i, size, 0});
      counter = size;
    } else if (stretch == Stretch::kStairs && oneshot) {
      stair_height = rng.uniform() > 0.5 ? +1 : -1;
      stair_steps = draw_int(rng, kStairStepsMin, kStairStepsMax);
      original_y = y;
      for (int s = 0; s < stair_steps; ++s) {
        const double left = x + (s * kStairWidth) * kTerrainStep;
        const double right = x + ((1 + s) * kStairWidth) * kTerrainStep;
        const double top = y + (s * stair_height) * kTerrainStep;
        const double bottom = y + (-1 + s * stair_height) * kTerrainStep;
        t.polygons.push_back(quad(left, top, right, top, right, bottom, left, bottom));
      }
      t.obstacles.push_back({WalkerObstacleKind::kStairs, i, stair_steps, stair_height});
      counter = stair_steps * kStairWidth;
    } else if (stretch == Stretch::kStairs && !oneshot) {
      // Gymnasium divides with Python 3's true division: the surface is a
      // ramp along the steps (the steps' polygons stand on it), not a staircase.
      const int s = stair_steps * kStairWidth - counter - stair_height;
      const double n = double(s) / kStairWidth;
      y = original_y + (n * stair_height) * kTerrainStep;
    }
    oneshot = false;
    t.y.push_back(y);
    if (--counter == 0) {
      counter = draw_int(rng, kTerrainGrass / 2, kTerrainGrass - 1);
      const bool obstacle = stretch == Stretch::kGrass &&
                            (obstacle_rate >= 1 || (obstacle_rate > 0 && rng.uniform() < obstacle_rate));
      stretch = obstacle ? Stretch(draw_int(rng, 1, 3)) : Stretch::kGrass;
      oneshot = true;
    }
  }
  return t;
}

}  // namespace metarl
