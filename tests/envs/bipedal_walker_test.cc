#include "envs/box2d/bipedal_walker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "tests/support/info_terms.h"

namespace metarl {
namespace {

using namespace bipedal;

std::unique_ptr<BipedalWalkerEnv> make_walker(const Options& options = {}) {
  auto env = make_env("BipedalWalker", options);
  return std::unique_ptr<BipedalWalkerEnv>(dynamic_cast<BipedalWalkerEnv*>(env.release()));
}

const std::vector<float> kZero = {0, 0, 0, 0};
const double kStartX = kTerrainStep * kTerrainStartpad / 2;

// Gymnasium's shaping of the world as it is now.
double shaping_of(const BipedalWalkerEnv& env) {
  const b2Body& hull = env.world().hull();
  return 130 * double(hull.GetPosition().x) / 30 - 5 * std::abs(double(hull.GetAngle()));
}

// Uniform actions in [-1.2, 1.2] (some beyond the box, which the env clips).
std::vector<float> random_action(Rng& rng) {
  std::vector<float> a(4);
  for (float& v : a) v = float(rng.uniform(-1.2, 1.2));
  return a;
}

struct Episode {
  std::vector<std::vector<float>> observations;
  std::vector<double> rewards;
  bool operator==(const Episode& o) const { return observations == o.observations && rewards == o.rewards; }
};

Episode play(BipedalWalkerEnv& env, uint64_t seed, int steps) {
  Episode e;
  e.observations.push_back(env.reset(seed));
  Rng actions(99);
  for (int s = 0; s < steps; ++s) {
    const Transition t = env.step(random_action(actions));
    e.observations.push_back(t.observation);
    e.rewards.push_back(t.reward);
    if (t.terminated || t.truncated) break;
  }
  return e;
}

TEST(BipedalWalker, HasGymnasiumsSpacesAndTimeLimits) {
  const auto env = make_walker();
  EXPECT_EQ(env->obs_dim(), 24);
  EXPECT_EQ(env->act_dim(), 4);
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(env->action_space().low()[size_t(k)], -1.0);
    EXPECT_EQ(env->action_space().high()[size_t(k)], 1.0);
  }
  EXPECT_EQ(env->max_episode_steps(), 1600);
  EXPECT_FALSE(env->hardcore());
  const auto hardcore = make_walker({{"hardcore", "true"}});
  EXPECT_EQ(hardcore->max_episode_steps(), 2000);
  EXPECT_TRUE(hardcore->hardcore());
  EXPECT_EQ(make_walker({{"max_episode_steps", "300"}})->max_episode_steps(), 300);
}

TEST(BipedalWalker, BadOptionsNameTheEnvAndTheKey) {
  for (const Options& bad : {Options{{"hardcore", "maybe"}}, Options{{"max_episode_steps", "-1"}},
                             Options{{"hardcor", "true"}}}) {
    try {
      make_env("BipedalWalker", bad);
      ADD_FAILURE() << "accepted " << bad.to_string();
    } catch (const EnvError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("BipedalWalker"), std::string::npos) << message;
      EXPECT_NE(message.find(bad.values().begin()->first), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(BipedalWalkerTerrain, NormalCourseIsAFlatStartPadThenAGrassWalkWithoutObstacles) {
  for (uint64_t seed : {1, 2, 3}) {
    Rng rng(seed);
    const WalkerTerrain t = generate_walker_terrain(rng, 0);
    ASSERT_EQ(t.x.size(), size_t(kTerrainLength));
    ASSERT_EQ(t.y.size(), size_t(kTerrainLength));
    EXPECT_TRUE(t.polygons.empty());
    EXPECT_TRUE(t.obstacles.empty());
    for (int i = 0; i < kTerrainLength; ++i) EXPECT_DOUBLE_EQ(t.x[size_t(i)], i * kTerrainStep);
    // Columns 0..20 (the pad and the first grass column) are flat; the noise starts at 21.
    for (int i = 0; i <= kTerrainStartpad; ++i) EXPECT_EQ(t.y[size_t(i)], kTerrainHeight) << i;
    EXPECT_NE(t.y[kTerrainStartpad + 1], kTerrainHeight);
    // The walk is pulled back towards TERRAIN_HEIGHT: it stays within a few metres.
    for (double y : t.y) EXPECT_LT(std::abs(y - kTerrainHeight), 3.0);
  }
}

TEST(BipedalWalkerTerrain, HardcoreCourseHasPitsStumpsAndStairsOfGymnasiumsSizes) {
  int pits = 0, stumps = 0, stairs = 0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    Rng rng(seed);
    const WalkerTerrain t = generate_walker_terrain(rng, 1);
    ASSERT_FALSE(t.obstacles.empty());
    size_t polygon = 0;  // the obstacles' polygons, in order
    for (const WalkerObstacle& o : t.obstacles) {
      EXPECT_GE(o.column, kTerrainStartpad);  // nothing on the start pad
      const double x = o.column * kTerrainStep, y = t.y[size_t(o.column)];
      switch (o.kind) {
        case WalkerObstacleKind::kPit: {
          ++pits;
          EXPECT_GE(o.size, 3);
          EXPECT_LE(o.size, 4);
          // Two walls 4 steps deep, `size` columns apart; the surface between them 4 steps down.
          const auto& left = t.polygons[polygon++];
          const auto& right = t.polygons[polygon++];
          EXPECT_DOUBLE_EQ(left[0][0], x);
          EXPECT_DOUBLE_EQ(left[0][1], y);
          EXPECT_NEAR(left[0][1] - left[2][1], 4 * kTerrainStep, 1e-12);
          EXPECT_NEAR(right[0][0] - left[0][0], o.size * kTerrainStep, 1e-12);
          for (int k = 1; k <= o.size && o.column + k < kTerrainLength; ++k)
            EXPECT_NEAR(t.y[size_t(o.column + k)], y - 4 * kTerrainStep, 1e-12) << "pit column " << k;
          if (o.column + o.size + 1 < kTerrainLength) {
            EXPECT_EQ(t.y[size_t(o.column + o.size + 1)], y);
          }
          break;
        }
        case WalkerObstacleKind::kStump: {
          ++stumps;
          EXPECT_GE(o.size, 1);
          EXPECT_LE(o.size, 2);
          const auto& box = t.polygons[polygon++];
          EXPECT_NEAR(box[1][0] - box[0][0], o.size * kTerrainStep, 1e-12);
          EXPECT_NEAR(box[2][1] - box[1][1], o.size * kTerrainStep, 1e-12);
          EXPECT_DOUBLE_EQ(box[0][1], y);  // standing on the surface
          break;
        }
        case WalkerObstacleKind::kStairs: {
          ++stairs;
          EXPECT_GE(o.size, 3);
          EXPECT_LE(o.size, 4);
          EXPECT_TRUE(o.direction == 1 || o.direction == -1);
          for (int s = 0; s < o.size; ++s) {
            const auto& step = t.polygons[polygon++];
            EXPECT_NEAR(step[1][0] - step[0][0], 4 * kTerrainStep, 1e-12);      // 4 columns wide
            EXPECT_NEAR(step[0][1] - step[2][1], kTerrainStep, 1e-12);          // 1 step thick
            EXPECT_NEAR(step[0][1] - y, s * o.direction * kTerrainStep, 1e-12);  // each 1 step up or down
          }
          break;
        }
      }
    }
    EXPECT_EQ(polygon, t.polygons.size());
  }
  EXPECT_GT(pits, 0);
  EXPECT_GT(stumps, 0);
  EXPECT_GT(stairs, 0);
}

TEST(BipedalWalker, HardcoreEnvBuildsObstaclesIntoItsWorld) {
  auto normal = make_walker();
  auto hardcore = make_walker({{"hardcore", "true"}});
  normal->reset(3);
  hardcore->reset(3);
  EXPECT_TRUE(normal->terrain().obstacles.empty());
  EXPECT_FALSE(hardcore->terrain().obstacles.empty());
  // One static body per obstacle polygon and per surface edge, then the walker's five bodies.
  auto bodies = [](const BipedalWalkerEnv& env) { return env.world().physics().GetBodyCount(); };
  EXPECT_EQ(bodies(*normal), kTerrainLength - 1 + 5);
  EXPECT_EQ(bodies(*hardcore), int(hardcore->terrain().polygons.size()) + kTerrainLength - 1 + 5);
}

TEST(BipedalWalker, TheSameSeedReplaysTheSameEpisode) {
  auto a = make_walker({{"hardcore", "true"}});
  auto b = make_walker({{"hardcore", "true"}});
  const Episode first = play(*a, 11, 300);
  EXPECT_TRUE(first == play(*b, 11, 300));
  play(*a, 12, 50);  // another episode in between changes nothing
  EXPECT_TRUE(first == play(*a, 11, 300));
}

TEST(BipedalWalker, DifferentSeedsGiveDifferentTerrainAndPush) {
  auto env = make_walker();
  env->reset(1);
  const WalkerTerrain t1 = env->terrain();
  const double push1 = env->start().push;
  env->reset(2);
  EXPECT_NE(t1.y, env->terrain().y);
  EXPECT_NE(push1, env->start().push);
  EXPECT_LE(std::abs(push1), kInitialRandom);
}

TEST(BipedalWalker, ResetIsGymnasiumsStartAfterOneZeroStep) {
  auto env = make_walker();
  const auto obs = env->reset(5);
  EXPECT_EQ(env->elapsed_steps(), 0);
  const b2Body& hull = env->world().hull();
  // Released at (TERRAIN_STEP·TERRAIN_STARTPAD/2, TERRAIN_HEIGHT + 2·LEG_H) and stepped once (1/50 s).
  EXPECT_NEAR(hull.GetPosition().x, kStartX, 0.01);
  EXPECT_NEAR(hull.GetPosition().y, kTerrainHeight + 2 * kLegH, 0.1);
  EXPECT_EQ(obs, env->observe());
  // The hips' reference angle is the legs' start angle ±0.05 (pybox2d's
  // default: the bodies' relative angle), the knees' 0.
  EXPECT_FLOAT_EQ(env->world().joint(0).GetReferenceAngle(), -0.05f);
  EXPECT_FLOAT_EQ(env->world().joint(2).GetReferenceAngle(), 0.05f);
  EXPECT_EQ(env->world().joint(1).GetReferenceAngle(), 0.0f);
  EXPECT_EQ(env->world().joint(3).GetReferenceAngle(), 0.0f);
}

TEST(BipedalWalker, ZeroActionCostsNothingAndTheRewardIsTheShapingsChange) {
  auto env = make_walker();
  env->reset(4);
  double before = shaping_of(*env);
  for (int s = 0; s < 20; ++s) {
    const Transition t = env->step(kZero);
    const double after = shaping_of(*env);
    ASSERT_FALSE(t.terminated);
    EXPECT_DOUBLE_EQ(t.reward, after - before) << "step " << s;
    EXPECT_EQ(info_of(*env, t, 0, "reward_torque"), 0.0f);
    before = after;
  }
}

TEST(BipedalWalker, TorqueCostIs0_028PerClippedUnitOfAction) {
  auto env = make_walker();
  env->reset(4);
  const double before = shaping_of(*env);
  const Transition t = env->step({0.5f, -2.0f, 0.0f, 1.0f});  // clipped: 0.5 + 1 + 0 + 1
  const double expected_cost = 0.00035 * 80 * 2.5;
  EXPECT_NEAR(t.reward, shaping_of(*env) - before - expected_cost, 1e-12);
  EXPECT_NEAR(info_of(*env, t, 0, "reward_torque"), -expected_cost, 1e-7);
}

TEST(BipedalWalker, HullTouchingTheGroundGivesMinus100AndEnds) {
  auto env = make_walker();
  env->reset(6);
  // The hull's bottom is 8 px below its origin: 0.1 above the pad it is in the ground.
  env->place_hull(kStartX, kTerrainHeight + 0.1);
  EXPECT_TRUE(env->world().hull_touched());  // during the reset's step, as Gymnasium's game_over
  const Transition t = env->step({0.3f, 0.3f, 0.3f, 0.3f});
  EXPECT_TRUE(t.terminated);
  EXPECT_FALSE(t.truncated);
  EXPECT_EQ(t.reward, -100.0);
  EXPECT_EQ(info_of(*env, t, 0, "fell"), 1.0f);
  EXPECT_EQ(info_of(*env, t, 0, "finished"), 0.0f);
}

TEST(BipedalWalker, LeavingTheCourseOnTheLeftGivesMinus100AndEnds) {
  auto env = make_walker();
  env->reset(6);
  env->place_hull(-0.5, kTerrainHeight + 3);  // in the air left of the first column
  EXPECT_FALSE(env->world().hull_touched());
  const Transition t = env->step(kZero);
  EXPECT_TRUE(t.terminated);
  EXPECT_EQ(t.reward, -100.0);
  EXPECT_EQ(info_of(*env, t, 0, "fell"), 1.0f);
}

TEST(BipedalWalker, PassingTheFinishEndsWithoutPenalty) {
  auto env = make_walker();
  env->reset(6);
  const double x = kFinishX + 0.3;
  const double ground = env->terrain().y[size_t(x / kTerrainStep) + 1];
  env->place_hull(x, std::max(ground, env->terrain().y[size_t(x / kTerrainStep)]) + 2 * kLegH + 1);
  const double before = shaping_of(*env);
  const Transition t = env->step(kZero);
  EXPECT_TRUE(t.terminated);
  EXPECT_EQ(info_of(*env, t, 0, "finished"), 1.0f);
  EXPECT_EQ(info_of(*env, t, 0, "fell"), 0.0f);
  EXPECT_DOUBLE_EQ(t.reward, shaping_of(*env) - before);
  // Just before the line, the same drop does not end the episode.
  env->reset(6);
  env->place_hull(kFinishX - 0.3, std::max(ground, env->terrain().y[size_t(x / kTerrainStep)]) + 2 * kLegH + 1);
  EXPECT_FALSE(env->step(kZero).terminated);
}

// Over flat ground `h` below the hull, ray i (angle θ_i = 1.5·i/10 from
// straight down, range LIDAR_RANGE) hits at fraction h / (LIDAR_RANGE·cos θ_i),
// or not at all (1) when that exceeds 1.
void expect_lidar_over_flat_pad(const BipedalWalkerEnv& env, const std::vector<float>& obs) {
  const b2Vec2 p = env.world().hull().GetPosition();
  const double h = double(p.y) - double(float(kTerrainHeight));
  int hits = 0;
  for (int i = 0; i < 10; ++i) {
    const double angle = 1.5 * i / 10;
    const double fraction = h / (kLidarRange * std::cos(angle));
    if (fraction < 1) {
      ++hits;
      // The hit is on the start pad, which is flat.
      ASSERT_LT(p.x + h * std::tan(angle), kTerrainStartpad * kTerrainStep) << "ray " << i;
      EXPECT_NEAR(obs[size_t(14 + i)], fraction, 2e-6) << "ray " << i;
    } else {
      EXPECT_EQ(obs[size_t(14 + i)], 1.0f) << "ray " << i;
    }
  }
  EXPECT_GT(hits, 0);
}

TEST(BipedalWalker, LidarFractionsOverFlatGroundAreTheHandComputedOnes) {
  auto env = make_walker();
  // Gymnasium's start: ray 0 points straight down through both legs, which it ignores.
  const auto obs = env->reset(8);
  expect_lidar_over_flat_pad(*env, obs);
  EXPECT_GT(obs[14], 0.3f);  // the legs (0.3 of the range below the hull) are not what it hit
  // Higher up, fewer rays reach the ground.
  for (double height : {1.5, 3.0, 4.5}) {
    SCOPED_TRACE(height);
    env->reset(8);
    env->place_hull(kStartX - 2, kTerrainHeight + height);
    expect_lidar_over_flat_pad(*env, env->observe());
  }
  // Out of range: every ray reads 1.
  env->reset(8);
  env->place_hull(kStartX, kTerrainHeight + kLidarRange + 0.5);
  const auto high = env->observe();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(high[size_t(14 + i)], 1.0f);
}

TEST(BipedalWalker, LidarSeesObstaclesAsTerrain) {
  // Hardcore courses: somewhere a ray hits a stump or stair polygon above
  // the surface line; checked by hovering over each stump.
  auto env = make_walker({{"hardcore", "true"}});
  int checked = 0;
  for (uint64_t seed = 0; seed < 6 && checked == 0; ++seed) {
    env->reset(seed);
    const std::vector<WalkerObstacle> obstacles = env->terrain().obstacles;  // reset below rebuilds the terrain
    const std::vector<double> surface = env->terrain().y;
    for (const WalkerObstacle& o : obstacles) {
      if (o.kind != WalkerObstacleKind::kStump) continue;
      const double x = (o.column + 0.5 * o.size) * kTerrainStep;
      const double top = surface[size_t(o.column)] + o.size * kTerrainStep;
      env->reset(seed);
      env->place_hull(x, top + 3);  // ray 0 straight down onto the stump's top
      const float expected = float((double(env->world().hull().GetPosition().y) - top) / kLidarRange);
      EXPECT_NEAR(env->observe()[14], expected, 1e-5);
      ++checked;
      break;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(BipedalWalker, ObservationEntriesFollowTheirDefinitions) {
  auto env = make_walker();
  env->reset(9);
  Rng rng(3);
  for (int s = 0; s < 40; ++s) {
    const Transition t = env->step(random_action(rng));
    if (t.terminated) break;
    const auto& o = t.observation;
    const BipedalWalkerWorld& w = env->world();
    const b2Body& hull = w.hull();
    EXPECT_FLOAT_EQ(o[0], hull.GetAngle());
    EXPECT_FLOAT_EQ(o[1], float(2.0 * hull.GetAngularVelocity() / 50));
    EXPECT_FLOAT_EQ(o[2], float(0.3 * hull.GetLinearVelocity().x * (600.0 / 30) / 50));
    EXPECT_FLOAT_EQ(o[3], float(0.3 * hull.GetLinearVelocity().y * (400.0 / 30) / 50));
    for (int leg = 0; leg < 2; ++leg) {
      const b2RevoluteJoint& hip = w.joint(2 * leg);
      const b2RevoluteJoint& knee = w.joint(2 * leg + 1);
      const size_t k = size_t(4 + 5 * leg);
      EXPECT_FLOAT_EQ(o[k], hip.GetJointAngle());
      // The hip angle is the upper leg's angle relative to the hull, less the 0.05 reference.
      EXPECT_NEAR(o[k], w.leg(leg, 0).GetAngle() - hull.GetAngle() - (leg == 0 ? -0.05 : 0.05), 1e-5);
      EXPECT_FLOAT_EQ(o[k + 1], float(hip.GetJointSpeed() / 4));
      EXPECT_FLOAT_EQ(o[k + 2], float(knee.GetJointAngle() + 1.0));
      EXPECT_NEAR(o[k + 2], w.leg(leg, 1).GetAngle() - w.leg(leg, 0).GetAngle() + 1, 1e-5);
      EXPECT_FLOAT_EQ(o[k + 3], float(knee.GetJointSpeed() / 6));
      EXPECT_EQ(o[k + 4], w.ground_contact(leg) ? 1.0f : 0.0f);
    }
    EXPECT_FLOAT_EQ(info_of(*env, t, 0, "x_position"), hull.GetPosition().x);
  }
}

TEST(BipedalWalker, MotorsDriveAtSpeedTimesSignWithTorqueLimitTimesMagnitude) {
  auto env = make_walker();
  env->reset(2);
  env->step({0.25f, -0.5f, 1.5f, 0.0f});
  const BipedalWalkerWorld& w = env->world();
  EXPECT_FLOAT_EQ(w.joint(0).GetMotorSpeed(), 4);
  EXPECT_FLOAT_EQ(w.joint(1).GetMotorSpeed(), -6);
  EXPECT_FLOAT_EQ(w.joint(2).GetMotorSpeed(), 4);
  EXPECT_FLOAT_EQ(w.joint(3).GetMotorSpeed(), 0);
  EXPECT_FLOAT_EQ(w.joint(0).GetMaxMotorTorque(), 20);
  EXPECT_FLOAT_EQ(w.joint(1).GetMaxMotorTorque(), 40);
  EXPECT_FLOAT_EQ(w.joint(2).GetMaxMotorTorque(), 80);
  EXPECT_FLOAT_EQ(w.joint(3).GetMaxMotorTorque(), 0);
  // Limits: hips [−0.8, 1.1], knees [−1.6, −0.1].
  EXPECT_FLOAT_EQ(w.joint(0).GetLowerLimit(), -0.8f);
  EXPECT_FLOAT_EQ(w.joint(0).GetUpperLimit(), 1.1f);
  EXPECT_FLOAT_EQ(w.joint(3).GetLowerLimit(), -1.6f);
  EXPECT_FLOAT_EQ(w.joint(3).GetUpperLimit(), -0.1f);
}

TEST(BipedalWalker, LowerLegsReportGroundContact) {
  auto env = make_walker();
  env->reset(3);
  Transition t;
  for (int s = 0; s < 60; ++s) t = env->step(kZero);
  ASSERT_FALSE(t.terminated);
  EXPECT_EQ(t.observation[8], 1.0f);
  EXPECT_EQ(t.observation[13], 1.0f);
  env->reset(3);
  env->place_hull(kStartX, kTerrainHeight + 4);
  const auto air = env->observe();
  EXPECT_EQ(air[8], 0.0f);
  EXPECT_EQ(air[13], 0.0f);
}

TEST(BipedalWalker, ACheckpointOfAPlacedStartContinuesBitExactly) {
  auto env = make_walker({{"hardcore", "true"}});
  env->reset(21);
  env->place_hull(kStartX + 1, kTerrainHeight + 3, 0.2);
  Rng rng(5);
  for (int s = 0; s < 25; ++s) env->step(random_action(rng));
  std::string saved;
  env->save_state(saved);
  std::vector<std::vector<float>> actions;
  std::vector<Transition> after;
  for (int s = 0; s < 25; ++s) {
    actions.push_back(random_action(rng));
    after.push_back(env->step(actions.back()));
  }
  auto other = make_walker({{"hardcore", "true"}});
  size_t offset = 0;
  other->load_state(saved, offset);
  EXPECT_EQ(offset, saved.size());
  EXPECT_TRUE(other->start().placed);
  for (size_t s = 0; s < actions.size(); ++s) {
    const Transition t = other->step(actions[s]);
    ASSERT_EQ(t.observation, after[s].observation) << s;
    ASSERT_EQ(t.reward, after[s].reward) << s;
    ASSERT_EQ(t.terminated, after[s].terminated) << s;
  }
}

TEST(BipedalWalker, PlaceHullIsRefusedAfterTheFirstStep) {
  auto env = make_walker();
  EXPECT_THROW(env->place_hull(1, 5), EnvError);
  env->reset(1);
  env->step(kZero);
  EXPECT_THROW(env->place_hull(1, 5), EnvError);
}

// --- Nonstationary variants ---

std::shared_ptr<const DynamicsSchedule> schedule(const std::string& name, const Options& options) {
  return make_schedule(name, options);
}

TEST(BipedalWalkerSchedules, ObstacleRateRisesFromNormalToHardcoreOverTheChain) {
  auto env = make_walker();
  env->set_schedule(schedule("WalkerObstacleRate", {{"from", "0"}, {"to", "1"}, {"episodes", "3"}}));
  const double rates[] = {0, 0.5, 1, 1};
  std::vector<size_t> obstacles;
  for (int e = 0; e < 4; ++e) {
    env->reset(uint64_t(40 + e));
    EXPECT_EQ(env->start().physics.obstacle_rate, rates[e]) << e;
    obstacles.push_back(env->terrain().obstacles.size());
  }
  EXPECT_EQ(obstacles[0], 0u);
  EXPECT_GT(obstacles[1], 0u);
  // At rate 1 an obstacle follows every grass run: one every other stretch.
  EXPECT_GT(obstacles[2], obstacles[1]);
  EXPECT_GT(obstacles[3], obstacles[1]);
  // A new chain starts from the normal course again.
  env->begin_task(Task("Walk", {}));
  env->reset(44);
  EXPECT_EQ(env->start().physics.obstacle_rate, 0);
  EXPECT_TRUE(env->terrain().obstacles.empty());
}

TEST(BipedalWalkerSchedules, FrictionScalesTheTerrainsFixturesOnly) {
  auto env = make_walker();
  env->set_schedule(schedule("WalkerFrictionScale", {{"to", "0.2"}, {"episodes", "2"}}));
  for (int e = 0; e < 2; ++e) {
    env->reset(1);
    const float expected_terrain = float(2.5 * (e == 0 ? 1.0 : 0.2));
    int terrain = 0, walker = 0;
    for (const b2Body* b = env->world().physics().GetBodyList(); b; b = b->GetNext())
      for (const b2Fixture* f = b->GetFixtureList(); f; f = f->GetNext()) {
        if (b->GetType() == b2_staticBody) {
          ++terrain;
          EXPECT_FLOAT_EQ(f->GetFriction(), expected_terrain);
        } else {
          ++walker;
          EXPECT_FLOAT_EQ(f->GetFriction(), b == &env->world().hull() ? 0.1f : 0.2f);
        }
      }
    EXPECT_EQ(terrain, kTerrainLength - 1);
    EXPECT_EQ(walker, 5);
  }
}

TEST(BipedalWalkerSchedules, GravityScalesHowFastTheWalkerFalls) {
  auto env = make_walker();
  env->set_schedule(schedule("WalkerGravityScale", {{"from", "1"}, {"to", "0.5"}, {"episodes", "2"}}));
  double fall[2];
  for (int e = 0; e < 2; ++e) {
    env->reset(1);
    EXPECT_FLOAT_EQ(env->world().physics().GetGravity().y, float(-10 * (e == 0 ? 1.0 : 0.5)));
    env->place_hull(kStartX, kTerrainHeight + 4);  // in free fall, from rest
    for (int s = 0; s < 5; ++s) env->step(kZero);
    fall[e] = env->world().hull().GetLinearVelocity().y;
  }
  // Six steps of free fall: v = g·6/50.
  EXPECT_NEAR(fall[0], -10 * 6 / 50.0, 1e-3);
  EXPECT_NEAR(fall[1], -5 * 6 / 50.0, 1e-3);
}

TEST(BipedalWalkerSchedules, MotorScaleWeakensTheNamedJointsOnly) {
  auto env = make_walker();
  env->set_schedule(schedule("WalkerMotorScale", {{"joints", "hip_0 knee_1"}, {"to", "0.25"}, {"episodes", "1"}}));
  env->reset(1);
  env->place_hull(kStartX, kTerrainHeight + 4);  // legs free in the air
  const std::vector<float> full = {1, 1, 1, 1};
  env->step(full);
  const BipedalWalkerWorld& w = env->world();
  EXPECT_FLOAT_EQ(w.joint(0).GetMaxMotorTorque(), 20);
  EXPECT_FLOAT_EQ(w.joint(1).GetMaxMotorTorque(), 80);
  EXPECT_FLOAT_EQ(w.joint(2).GetMaxMotorTorque(), 80);
  EXPECT_FLOAT_EQ(w.joint(3).GetMaxMotorTorque(), 20);
  // The weak hip swings its leg more slowly than the strong one.
  for (int s = 0; s < 3; ++s) env->step(full);
  EXPECT_LT(w.joint(0).GetJointSpeed(), w.joint(2).GetJointSpeed());
  // The torque cost stays on the action.
  env->reset(1);
  const double before = shaping_of(*env);
  const Transition t = env->step(full);
  EXPECT_NEAR(t.reward, shaping_of(*env) - before - 4 * 0.028, 1e-12);
}

TEST(BipedalWalkerSchedules, LegScaleLengthensTheSegmentsAndRaisesTheStart) {
  auto env = make_walker();
  env->reset(1);
  const double normal_y = env->world().hull().GetPosition().y;
  env->set_schedule(schedule("WalkerLegScale", {{"segments", "upper"}, {"to", "1.3"}, {"episodes", "1"}}));
  env->reset(1);
  const BipedalWalkerWorld& w = env->world();
  auto half_height = [](const b2Body& body) {
    const auto* box = static_cast<const b2PolygonShape*>(body.GetFixtureList()->GetShape());
    return box->m_vertices[2].y;  // SetAsBox: (hx, hy) is the third vertex
  };
  for (int leg = 0; leg < 2; ++leg) {
    EXPECT_FLOAT_EQ(half_height(w.leg(leg, 0)), float(1.3 * kLegH / 2));
    EXPECT_FLOAT_EQ(half_height(w.leg(leg, 1)), float(kLegH / 2));
  }
  // The hull starts 0.3·LEG_H higher, so the feet start as far above the pad.
  EXPECT_NEAR(w.hull().GetPosition().y - normal_y, 0.3 * kLegH, 0.05);
}

TEST(BipedalWalkerSchedules, AreRefusedByOtherEnvsAndOtherSchedulesByTheWalker) {
  auto nav = make_env("Navigation2D");
  try {
    nav->set_schedule(schedule("WalkerGravityScale", {}));
    ADD_FAILURE();
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("WalkerGravityScale: needs a BipedalWalker env; Navigation2D"),
              std::string::npos)
        << e.what();
  }
  auto env = make_walker();
  EXPECT_THROW(env->set_schedule(schedule("GravityScale", {})), EnvError);
  EXPECT_THROW(schedule("WalkerMotorScale", {{"joints", "ankle_0"}}), EnvError);
  EXPECT_THROW(schedule("WalkerLegScale", {{"to", "0"}}), EnvError);
  EXPECT_THROW(schedule("WalkerObstacleRate", {{"to", "1.5"}}), EnvError);
  EXPECT_THROW(schedule("WalkerFrictionScale", {{"to", "fast"}}), EnvError);
}

TEST(BipedalWalkerSchedules, ACheckpointRebuildsTheEpisodesScheduledPhysics) {
  auto env = make_walker();
  const auto rate = schedule("WalkerObstacleRate", {{"from", "0"}, {"to", "1"}, {"episodes", "2"}});
  const auto gravity = schedule("WalkerGravityScale", {{"to", "0.7"}, {"episodes", "2"}});
  const auto both =
      std::make_shared<CompositeSchedule>(std::vector<std::shared_ptr<const DynamicsSchedule>>{rate, gravity});
  env->set_schedule(both);
  env->reset(1);
  env->reset(2);  // episode 1: hardcore course, weaker gravity
  Rng rng(8);
  for (int s = 0; s < 10; ++s) env->step(random_action(rng));
  std::string saved;
  env->save_state(saved);
  const auto a = random_action(rng);
  const Transition expected = env->step(a);
  auto other = make_walker();
  other->set_schedule(both);
  size_t offset = 0;
  other->load_state(saved, offset);
  EXPECT_EQ(other->start().physics, env->start().physics);
  EXPECT_EQ(other->terrain().y, env->terrain().y);
  const Transition t = other->step(a);
  EXPECT_EQ(t.observation, expected.observation);
  EXPECT_EQ(t.reward, expected.reward);
}

TEST(BipedalWalkerLegs, EachTaskBuildsItsOwnLegLengths) {
  const auto family = make_task_family("BipedalWalkerLegs", {{"low", "0.8"}, {"high", "1.2"}});
  EXPECT_EQ(family->env_name(), "BipedalWalker");
  Rng rng(4);
  const auto tasks = family->sample(2, rng);
  auto env = make_walker();
  double hull_y[2];
  for (size_t k = 0; k < tasks.size(); ++k) {
    const Task& task = tasks[k];
    EXPECT_GE(task.get("upper_leg"), 0.8);
    EXPECT_LT(task.get("upper_leg"), 1.2);
    family->apply(*env, task);
    env->reset(1);
    EXPECT_DOUBLE_EQ(env->start().physics.upper_leg_scale, task.get("upper_leg"));
    EXPECT_DOUBLE_EQ(env->start().physics.lower_leg_scale, task.get("lower_leg"));
    hull_y[k] = env->world().hull().GetPosition().y;
    // The whole chain keeps the task's legs.
    env->reset(2);
    EXPECT_DOUBLE_EQ(env->start().physics.upper_leg_scale, task.get("upper_leg"));
  }
  const double legs0 = tasks[0].get("upper_leg") + tasks[0].get("lower_leg");
  const double legs1 = tasks[1].get("upper_leg") + tasks[1].get("lower_leg");
  EXPECT_NEAR(hull_y[1] - hull_y[0], (legs1 - legs0) * kLegH, 0.05);
  EXPECT_THROW(make_task_family("BipedalWalkerLegs", {{"low", "1.3"}, {"high", "1.2"}}), EnvError);
}

TEST(BipedalWalkerObstacles, EachTaskRisesToItsOwnFinalRate) {
  const auto family = make_task_family("BipedalWalkerObstacles", {{"low", "0.4"}, {"high", "0.8"}, {"episodes", "3"}});
  EXPECT_EQ(family->env_name(), "BipedalWalker");
  Rng rng(5);
  const Task task = family->sample(1, rng)[0];
  const double final_rate = task.get("final_rate");
  EXPECT_GE(final_rate, 0.4);
  EXPECT_LT(final_rate, 0.8);
  auto env = make_walker();
  family->apply(*env, task);
  // Episodes 0, 1, 2, 3 of the chain: 0, half-way, the final rate, and it stays there.
  const double expected[] = {0, final_rate / 2, final_rate, final_rate};
  for (int episode = 0; episode < 4; ++episode) {
    env->reset(uint64_t(episode + 1));
    EXPECT_DOUBLE_EQ(env->start().physics.obstacle_rate, expected[episode]) << "episode " << episode;
  }
  EXPECT_THROW(make_task_family("BipedalWalkerObstacles", {{"high", "1.5"}}), EnvError);
  EXPECT_THROW(make_task_family("BipedalWalkerObstacles", {{"low", "0.9"}, {"high", "0.8"}}), EnvError);
}

}  // namespace
}  // namespace metarl
