// BipedalWalker: Gymnasium's BipedalWalker-v3 (normal and hardcore) in
// Box2D 2.4.1, plus the physical parameters its nonstationary variants
// change (bipedal_walker_schedules.cc).
//
// A hull on two legs of two segments each, four motorised joints (hip and
// knee of leg 0, then of leg 1), walking right over a course of 200 columns
// (bipedal_walker_terrain.h, where every constant is named). Actions in
// [−1, 1]: joint j's motor drives at SPEED_j·sign(a_j) with at most
// 80·clip(|a_j|, 0, 1) N·m. Observation (24): hull angle, 2ω/FPS,
// 0.3·vx·(600/SCALE)/FPS, 0.3·vy·(400/SCALE)/FPS; per leg the hip angle, hip
// speed/4, knee angle + 1, knee speed/6, lower leg touching the ground (0 or
// 1); 10 lidar fractions. Reward: the change of 130·x/SCALE − 5·|hull angle|
// minus 0.028·Σ clip(|a|, 0, 1); −100 and the end when the hull touches the
// terrain or x < 0; the end (success) past x = 190·TERRAIN_STEP.
//
// As Gymnasium's reset, a reset builds the world and takes one step with
// zero action, whose reward is dropped: its observation is the first one.
//
// Determinism: every reset builds a new b2World from what the reset drew
// (a WalkerStart), Box2D's author's advice, so an episode is a function of
// the env's seed (Gymnasium reuses one world and is not, gym issue #2390).
//
// Checkpoints by replay, as Sumo2D's: a b2World cannot be saved and restored
// bit for bit (contact caches, warm-starting impulses, broad-phase tree and
// the order of its lists all steer the next step), so the state is the
// episode's WalkerStart (terrain seed, push, physics, any placement) and every
// action since the reset; loading rebuilds the world and re-applies them.
// Replaying the same float operations in the same order gives the same bits.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <box2d/box2d.h>

#include "envs/box2d/bipedal_walker_terrain.h"
#include "envs/core/env.h"
#include "envs/core/options.h"

namespace metarl {

// The walker's physical parameters that the variants change. The defaults
// are Gymnasium's; a factor multiplies Gymnasium's value.
struct WalkerPhysics {
  double friction_scale = 1;  // the terrain's friction, FRICTION·f (Box2D mixes sqrt(f_terrain·f_body))
  double gravity_scale = 1;   // gravity (0, −10·f)
  std::array<double, 4> motor_scale = {1, 1, 1, 1};  // each joint's torque limit: hip 0, knee 0, hip 1, knee 1
  double upper_leg_scale = 1, lower_leg_scale = 1;   // each segment's length (LEG_H·f), both legs
  double obstacle_rate = 0;  // chance an obstacle follows a grass run: 0 normal terrain, 1 hardcore
  bool operator==(const WalkerPhysics& o) const {
    return friction_scale == o.friction_scale && gravity_scale == o.gravity_scale && motor_scale == o.motor_scale &&
           upper_leg_scale == o.upper_leg_scale && lower_leg_scale == o.lower_leg_scale &&
           obstacle_rate == o.obstacle_rate;
  }
};

// Everything an episode's world is built from: what its reset drew, the
// physics of its position in the chain, and any placement (tests).
struct WalkerStart {
  uint64_t terrain_seed = 0;
  double push = 0;  // the horizontal force on the hull during the first step
  WalkerPhysics physics;
  bool placed = false;  // the hull at (hull_x, hull_y, hull_angle), at rest, instead of Gymnasium's start
  double hull_x = 0, hull_y = 0, hull_angle = 0;
};

// What a reset draws, in the env's order: the terrain's seed, then the push.
WalkerStart draw_walker_start(Rng& rng, const WalkerPhysics& physics);

// The Box2D world of one episode.
class BipedalWalkerWorld : public b2ContactListener {
 public:
  static constexpr int kJoints = 4;  // hip 0, knee 0, hip 1, knee 1
  static constexpr int kObsSize = 24;

  BipedalWalkerWorld(const WalkerStart& start, const WalkerTerrain& terrain);
  BipedalWalkerWorld(const BipedalWalkerWorld&) = delete;
  BipedalWalkerWorld& operator=(const BipedalWalkerWorld&) = delete;

  // Sets the motors from `action` (kJoints values) and takes one Box2D step.
  void step(const float* action);
  // Gymnasium's 24 observation values (lidar cast from the hull as it is now).
  void observe(float* obs) const;
  // 130·x/SCALE − 5·|hull angle|: the reward is its change.
  double shaping() const;
  // The hull has touched the terrain since the world was built (Gymnasium's game_over).
  bool hull_touched() const { return hull_touched_; }
  // Whether lower leg `leg` (0 or 1) touches the terrain, as Gymnasium keeps
  // it: set when one of its contacts begins, cleared when one ends (so a
  // foot leaving one edge while still on the next reads 0, as there).
  bool ground_contact(int leg) const { return ground_contact_[leg]; }

  const b2Body& hull() const { return *hull_; }
  // Segment `segment` (0 upper, 1 lower) of leg `leg`.
  const b2Body& leg(int leg, int segment) const { return *legs_[2 * leg + segment]; }
  const b2RevoluteJoint& joint(int j) const { return *joints_[j]; }
  // Lidar ray i's fraction of its range to the nearest terrain fixture (1: none).
  float lidar_fraction(int ray) const;
  const b2World& physics() const { return world_; }

 private:
  void BeginContact(b2Contact* contact) override;
  void EndContact(b2Contact* contact) override;
  void build_terrain(const WalkerTerrain& terrain, float friction);
  void build_walker(const WalkerStart& start);

  b2World world_;
  b2Body* hull_ = nullptr;
  b2Body* legs_[4] = {};  // upper 0, lower 0, upper 1, lower 1 (Gymnasium's order)
  b2RevoluteJoint* joints_[kJoints] = {};
  std::array<double, kJoints> max_torque_;  // MOTORS_TORQUE times each joint's motor_scale
  bool hull_touched_ = false;
  bool ground_contact_[2] = {false, false};
};

class BipedalWalkerEnv : public Env {
 public:
  static constexpr int kObsSize = BipedalWalkerWorld::kObsSize;
  static constexpr int kActions = BipedalWalkerWorld::kJoints;

  // Options (registry entry in bipedal_walker.cc): hardcore, max_episode_steps.
  explicit BipedalWalkerEnv(const Options& options);

  bool hardcore() const { return hardcore_; }
  // The physics the next reset builds with (schedules set it; see
  // bipedal_walker_schedules.cc) and its reference (the options').
  WalkerPhysics& physics() { return physics_; }
  const WalkerPhysics& physics() const { return physics_; }
  const WalkerPhysics& reference_physics() const { return reference_physics_; }

  // The current episode's start, world and terrain (after a reset).
  const WalkerStart& start() const;
  const BipedalWalkerWorld& world() const;
  const WalkerTerrain& terrain() const;
  // For tests and scripted starts: rebuilds the episode with the hull's
  // origin at (x, y), tilted by `angle`, at rest and without the push, the
  // legs hanging below it as at Gymnasium's start, then takes the reset's
  // zero step. Only between reset and the first step (it changes the
  // episode's start, so checkpoints replay it).
  void place_hull(double x, double y, double angle = 0);
  // The current observation (as reset and step write it).
  std::vector<float> observe() const;

 protected:
  void reset_state(Rng& rng, float* obs) override;
  StepResult advance(const float* actions, float* obs, double* rewards, float* info) override;
  void save_dynamic_state(std::string& out) const override;
  void load_dynamic_state(const std::string& in, size_t& offset) override;

 private:
  // Builds the world from start_ and takes the reset's zero step (forgetting every action).
  void build_world();
  // The physics of one step and all that replay redoes.
  void simulate(const float* action);

  bool hardcore_;
  WalkerPhysics reference_physics_;
  WalkerPhysics physics_;
  WalkerStart start_;
  bool started_ = false;
  WalkerTerrain terrain_;
  std::unique_ptr<BipedalWalkerWorld> world_;
  double prev_shaping_ = 0;
  std::vector<float> actions_since_reset_;  // kActions per step
};

// What a bare Box2D loop needs to simulate as the env does (`metarl bench`):
// the physics its next reset builds with and its time limit.
struct WalkerStepping {
  WalkerPhysics physics;
  int episode_steps = 0;
};
// `env`'s stepping, or nothing when it is not a BipedalWalker.
std::optional<WalkerStepping> bipedal_walker_stepping(const Env& env);

}  // namespace metarl
