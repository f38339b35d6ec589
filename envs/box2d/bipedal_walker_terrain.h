// BipedalWalker's constants and terrain (Gymnasium's BipedalWalker-v3,
// gymnasium/envs/box2d/bipedal_walker.py, by Oleg Klimov).
//
// Every number the walker is built from is named here, once, in Gymnasium's
// units: lengths in pixels are divided by kScale to get metres, as there.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace metarl {
namespace bipedal {

// Simulation.
constexpr double kFps = 50;     // control steps per second; one Box2D step each
constexpr double kScale = 30;   // pixels per metre
constexpr double kGravity = -10;
constexpr int kVelocityIterations = 6 * 30;  // Gymnasium's world.Step(1/FPS, 6*30, 2*30)
constexpr int kPositionIterations = 2 * 30;

// Motors: speed SPEED·sign(a), torque limit MOTORS_TORQUE·clip(|a|, 0, 1).
constexpr double kMotorsTorque = 80;
constexpr double kSpeedHip = 4, kSpeedKnee = 6;

// The body. The hull is a pentagon (pixels), its origin 8 px above its bottom.
constexpr double kHullPolygon[5][2] = {{-30, +9}, {+6, +9}, {+34, +1}, {+34, -8}, {-30, -8}};
constexpr double kHullDensity = 5, kHullFriction = 0.1;
constexpr double kLegDown = -8 / kScale;               // the hips' anchor below the hull's origin
constexpr double kLegW = 8 / kScale, kLegH = 34 / kScale;
constexpr double kLowerLegWidthFraction = 0.8;         // lower leg half-width 0.8·LEG_W/2
constexpr double kLegDensity = 1;
constexpr double kLegFriction = 0.2;                   // Box2D's default: Gymnasium sets none for legs
constexpr double kHipLower = -0.8, kHipUpper = 1.1;    // joint limits (rad)
constexpr double kKneeLower = -1.6, kKneeUpper = -0.1;
constexpr double kLegStartAngle = 0.05;                // leg i ∈ {−1, +1} starts at angle i·0.05
constexpr double kInitialRandom = 5;                   // the hull's start push ~ U(±5) N, horizontal

// Collision filtering: terrain fixtures are category 1 (Box2D's default);
// the walker's are category 0x20 and collide only with category 1, so its
// parts never collide with each other and the lidar can tell them apart.
constexpr uint16_t kTerrainCategory = 0x0001;
constexpr uint16_t kWalkerCategory = 0x0020;
constexpr uint16_t kWalkerMask = 0x0001;

// Lidar: ray i of 10 points along (sin(1.5·i/10), −cos(1.5·i/10)), range 160 px.
constexpr int kLidarRays = 10;
constexpr double kLidarSpread = 1.5;  // the last ray's angle is 1.5·9/10 rad from straight down
constexpr double kLidarRange = 160 / kScale;

// Observation normalisation (the viewport's size in pixels scales the velocities).
constexpr double kViewportW = 600, kViewportH = 400;

// Terrain: TERRAIN_LENGTH columns TERRAIN_STEP apart, the first
// TERRAIN_STARTPAD flat at TERRAIN_HEIGHT; grass runs of 5–9 columns.
constexpr double kTerrainStep = 14 / kScale;
constexpr int kTerrainLength = 200;
constexpr double kTerrainHeight = kViewportH / kScale / 4;
constexpr int kTerrainGrass = 10;
constexpr int kTerrainStartpad = 20;
constexpr double kFriction = 2.5;  // every terrain fixture's
// Hardcore obstacles, in terrain steps: pits 3–4 wide and 4 deep, stumps of
// side 1–2, stairs of 3–4 steps, each 4 wide and 1 high (up or down).
constexpr int kPitDepth = 4;
constexpr int kPitWidthMin = 3, kPitWidthMax = 4;
constexpr int kStumpSizeMin = 1, kStumpSizeMax = 2;
constexpr int kStairStepsMin = 3, kStairStepsMax = 4;
constexpr int kStairWidth = 4;  // Gymnasium draws integers(4, 5): always 4

// Reward: the change of 130·x/SCALE − 5·|hull angle| (x in metres), minus
// 0.00035·MOTORS_TORQUE·Σ clip(|a|, 0, 1); a fall is −100.
constexpr double kForwardReward = 130;
constexpr double kHullAngleCost = 5;
constexpr double kTorqueCost = 0.00035;
constexpr double kFallReward = -100;
// An episode succeeds (ends) once the hull passes the last grass stretch.
constexpr double kFinishX = (kTerrainLength - kTerrainGrass) * kTerrainStep;

// Gymnasium's time limits (BipedalWalker-v3, BipedalWalkerHardcore-v3).
constexpr int kTimeLimit = 1600, kHardcoreTimeLimit = 2000;

}  // namespace bipedal

class Rng;

enum class WalkerObstacleKind : uint8_t { kStump = 1, kStairs = 2, kPit = 3 };

// One hardcore obstacle, where and how big (in terrain steps).
struct WalkerObstacle {
  WalkerObstacleKind kind;
  int column = 0;     // the terrain column it starts at
  int size = 0;       // pit: width (3–4); stump: side (1–2); stairs: number of steps (3–4)
  int direction = 0;  // stairs: +1 up, −1 down; 0 otherwise
};

// A course: the surface (one point per column, joined by edges) and the
// obstacles' solid quadrilaterals (pit walls, stumps, stair steps), in the
// order Gymnasium creates them.
struct WalkerTerrain {
  using Quad = std::array<std::array<double, 2>, 4>;
  std::vector<double> x, y;  // kTerrainLength points
  std::vector<Quad> polygons;
  std::vector<WalkerObstacle> obstacles;
};

// Gymnasium's _generate_terrain, drawing from `rng`: a grass random walk
// (v ← 0.8·v + 0.01·sign(TERRAIN_HEIGHT − y), plus U(±1)/SCALE after the
// start pad) in runs of 5–9 columns; after each run, with probability
// `obstacle_rate`, an obstacle (pit, stump or stairs, equally likely).
// obstacle_rate 1 is Gymnasium's hardcore terrain and 0 its normal one
// (neither draws for the choice, as Gymnasium does not); in between, one
// uniform draw per run decides.
WalkerTerrain generate_walker_terrain(Rng& rng, double obstacle_rate);

}  // namespace metarl
