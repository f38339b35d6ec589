// Sumo2D: a top-down 2D sumo match in Box2D, about a hundred times cheaper
// per step than the MuJoCo Ant–Ant match, for experiments that need many
// matches (population play, iterated adaptation games) before paying for 3D.
//
// The world (gravity 0, seen from above): a round platform of radius R (the
// ring, centred at the origin) and two agents. An agent is a round torso with
// two arms on motorised revolute joints at its front-left and front-right;
// it moves by a thruster along its heading and a turning torque. Each torso
// rubs on the ground (a b2FrictionJoint to a static ground body, Coulomb
// friction mu·m·g) and every body is damped, so bodies stop when not driven
// and a passive agent resists being shoved. Actions per agent, each in [-1, 1]:
// thrust, turn, left arm, right arm.
//
// Rules (envs/core/match.h): an agent loses when its torso centre leaves the
// platform (‖xy‖ > R). It was `pushed_out` if the agents touched within the
// last kTouchMemorySteps steps (1 s), else it `fell`: in 2D, "fell" means it
// left the ring on its own. Both out at once, or time up, is a draw.
//
// Checkpoints by replay (docs/ENVIRONMENTS.md, "What a checkpoint promises"):
// Box2D's world cannot be saved bit for bit, so the env keeps what its reset
// drew (a Sumo2DStart) and every action since; loading rebuilds the world
// from the start and re-applies the actions. Every episode builds a fresh
// b2World from its start alone (Box2D's advice for determinism).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <box2d/box2d.h>

#include "envs/core/env.h"
#include "envs/core/match.h"
#include "envs/core/options.h"

namespace metarl {

// One agent's initial state.
struct Sumo2DAgentStart {
  double x = 0, y = 0, angle = 0;          // torso position and heading (rad)
  double vx = 0, vy = 0, spin = 0;         // torso velocity and angular velocity
  double arm_angles[2] = {0, 0};           // left, right joint angles
};

// Everything an episode's world is built from: what its reset drew.
struct Sumo2DStart {
  double ring_radius = 0;
  Sumo2DAgentStart agents[2];
};

// Where the ring radius of an episode comes from: fixed, or ~ U(min, max)
// per episode (Bansal et al.'s sumo) when a range is given.
struct Sumo2DRing {
  double radius = 3;
  double radius_min = 0, radius_max = 0;  // a range when radius_max > 0
  bool drawn() const { return radius_max > 0; }
};

// An episode's start: agents at opposite points of a circle of radius 0.4 R
// (angles phi ~ U(0, 2 pi) and phi + pi), facing each other, with RoboSumo's
// noise (U(±0.1) on positions and angles, 0.1·N(0, 1) on velocities).
Sumo2DStart draw_sumo2d_start(const Sumo2DRing& ring, Rng& rng);

// The Box2D world of one episode, built from its start. The env and the
// bench's raw loop both step this, so they simulate the same thing.
class Sumo2DWorld {
 public:
  static constexpr int kActions = 4;  // thrust, turn, left arm, right arm
  static constexpr double kControlDt = 0.05;  // seconds per control step (the MuJoCo match's)
  // Box2D steps per control step. With one (20 Hz), arms overshoot their
  // joint limits by up to 12° and torsos shoving each other overlap by 9 cm;
  // two halve both, for about 1.7 times the cost of one.
  static constexpr int kSubsteps = 2;
  static constexpr double kTorsoRadius = 0.3;

  explicit Sumo2DWorld(const Sumo2DStart& start);
  Sumo2DWorld(const Sumo2DWorld&) = delete;
  Sumo2DWorld& operator=(const Sumo2DWorld&) = delete;

  // Applies both agents' actions (agent a's kActions values at actions + a *
  // row_stride, each clipped to [-1, 1]) and advances one control step.
  // Returns whether the agents touched at any substep.
  bool step(const float* actions, int row_stride);

  const b2Body& torso(int agent) const { return *torso_[agent]; }
  // The rule that ends a match: `agent`'s torso centre is off a platform of `ring_radius`.
  bool out_of_ring(int agent, double ring_radius) const {
    return double(torso_[agent]->GetPosition().Length()) > ring_radius;
  }
  const b2RevoluteJoint& arm_joint(int agent, int side) const { return *arm_joints_[agent][side]; }
  // The Box2D world itself, read-only (replays draw its bodies). An agent's
  // fixtures have filter group −(agent + 1).
  const b2World& physics() const { return world_; }

 private:
  void add_agent(int agent, const Sumo2DAgentStart& start);

  b2World world_;
  b2Body* ground_ = nullptr;  // static, no fixture: the anchor of the friction joints
  b2Body* torso_[2] = {};
  b2RevoluteJoint* arm_joints_[2][2] = {};
};

class Sumo2DEnv : public Env, public MatchEnv {
 public:
  // The last entry is the elapsed fraction of the time limit: a draw at the
  // limit costs 1000, and a value function that cannot see the clock cannot
  // predict it (Pardo et al. 2018, "Time Limits in Reinforcement Learning").
  static constexpr int kObsSize = 21;
  // Where the opponent's torso is in an agent's observation: its position
  // in the agent's frame (x forward, y to the left).
  static constexpr int kObsOpponentX = 11, kObsOpponentY = 12;
  // Steps within which a touch makes leaving the ring `pushed_out` (1 s).
  static constexpr int kTouchMemorySteps = 20;
  // RoboSumo's shaping coefficients.
  static constexpr double kCtrlCost = 0.1, kPushCost = 10, kMoveReward = 1.0;

  // Options (resolved against its registry entry, sumo2d.cc):
  // max_episode_steps, ring_radius, ring_radius_min, ring_radius_max, dense_weight.
  explicit Sumo2DEnv(const Options& options);

  void set_dense_weight(double weight) override { dense_weight_ = checked_dense_weight(name(), weight); }
  double dense_weight() const override { return dense_weight_; }

  const Sumo2DRing& ring() const { return ring_; }
  // The current episode's start (what reset drew, after any place()).
  const Sumo2DStart& start() const { return start_; }
  // For tests and scripted starts: puts `agent`'s torso at (x, y) with
  // heading `angle`, at rest with its arms at 0. Only before the episode's
  // first step: it changes the episode's start (so checkpoints replay it).
  void place(int agent, double x, double y, double angle);
  // Every agent's current observation (rows as reset_into writes them).
  std::vector<float> observe() const;
  // The current episode's world (after a reset).
  const Sumo2DWorld& world() const;

 protected:
  void reset_state(Rng& rng, float* obs) override;
  StepResult advance(const float* actions, float* obs, double* rewards, float* info) override;
  void save_dynamic_state(std::string& out) const override;
  void load_dynamic_state(const std::string& in, size_t& offset) override;

 private:
  // Rebuilds the world from start_ (forgetting every action).
  void build_world();
  // The physics of one step, all that replay redoes: the world and the touch memory.
  void simulate(const float* actions);
  void write_observation(int agent, float* obs) const;

  Sumo2DRing ring_;
  double dense_weight_;
  MatchRewards match_rewards_;
  Sumo2DStart start_;
  std::optional<Sumo2DWorld> world_;  // none before the first reset
  // Every action since the reset, both rows of each step (act_row_size() each).
  std::vector<float> actions_since_reset_;
  int steps_since_reset_ = 0;
  int last_touch_step_ = -1;  // the last step (counted from 1) at which the agents touched; -1 none
};

// What a bare Box2D loop needs to simulate as a Sumo2D env does (`metarl
// bench` compares the env with one).
struct Sumo2DStepping {
  Sumo2DRing ring;
  int episode_steps = 0;  // the env's time limit
};
// `env`'s stepping, or nothing when it is not a Sumo2D env.
std::optional<Sumo2DStepping> sumo2d_stepping(const Env& env);

}  // namespace metarl
