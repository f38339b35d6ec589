#include "envs/box2d/sumo2d.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "envs/core/bytes.h"
#include "envs/core/registry.h"

namespace metarl {
namespace {

// The bodies. A torso of radius 0.3 weighs 2.8 kg, an arm 0.4 kg.
constexpr float kTorsoDensity = 10;
constexpr float kArmHalfLength = 0.2f, kArmHalfWidth = 0.05f, kArmDensity = 10;
// Arms are mounted on the torso's rim at ±50° from the heading and swing ±60° about it.
constexpr float kArmMountAngle = float(50 * M_PI / 180), kArmRange = float(60 * M_PI / 180);

// The ground: Coulomb friction mu·m·g on each torso (5.5 N), plus damping on
// every body, which caps a driven torso's speed at about 3 m/s. The arms are held
// above the ground: they do not rub on it (a friction joint each would also
// double the cost of a step). Contact friction between agents.
constexpr float kGroundFriction = 0.2f, kGravity = 9.81f;
constexpr float kLinearDamping = 3, kAngularDamping = 3;
constexpr float kContactFriction = 0.5f;

// The actuators. 40 N of thrust shoves a passive opponent (11 N of friction
// for both torsos); two agents thrusting at each other stall, and holding a
// full push takes 29 N, three quarters of an agent's thrust. With mu 0.5
// (14 N a torso) a third of it held, and self-play learned to hold its
// ground rather than to push (docs/RESULTS.md, issue 21). Arms are
// torque-driven as BipedalWalker's joints are: motor speed
// kArmSpeed·sign(a), torque limit kArmTorque·|a|.
constexpr float kThrust = 40, kTurnTorque = 6;
constexpr float kArmTorque = 4, kArmSpeed = 6;

// Box2D's recommended iterations.
constexpr int kVelocityIterations = 8, kPositionIterations = 3;

// Agents start at this fraction of the ring radius from its centre.
constexpr double kStartRadiusFraction = 0.4;
// RoboSumo's start noise.
constexpr double kStartPositionNoise = 0.1, kStartVelocityNoise = 0.1;

float clip_unit(float a) { return std::clamp(a, -1.0f, 1.0f); }

// Makes `body` rub on the ground: a friction joint to the static ground body
// resisting up to mu·m·g of force and mu·m·g·`lever` of torque (`lever`: the
// mean distance of the body's contact area from its centre).
void rub_on_ground(b2World& world, b2Body* ground, b2Body* body, float lever) {
  const float normal_force = body->GetMass() * kGravity;
  b2FrictionJointDef def;
  def.Initialize(ground, body, body->GetWorldCenter());
  def.maxForce = kGroundFriction * normal_force;
  def.maxTorque = kGroundFriction * normal_force * lever;
  world.CreateJoint(&def);
}

}  // namespace

Sumo2DStart draw_sumo2d_start(const Sumo2DRing& ring, Rng& rng) {
  Sumo2DStart start;
  start.ring_radius = ring.drawn() ? rng.uniform(ring.radius_min, ring.radius_max) : ring.radius;
  const double phi = rng.uniform(0.0, 2.0 * M_PI);
  const double r = kStartRadiusFraction * start.ring_radius;
  for (int a = 0; a < 2; ++a) {
    Sumo2DAgentStart& agent = start.agents[a];
    const double at = phi + a * M_PI;  // opposite points of the circle
    agent.x = r * std::cos(at) + rng.uniform(-kStartPositionNoise, kStartPositionNoise);
    agent.y = r * std::sin(at) + rng.uniform(-kStartPositionNoise, kStartPositionNoise);
    agent.angle = at + M_PI + rng.uniform(-kStartPositionNoise, kStartPositionNoise);  // facing the centre
    for (double& q : agent.arm_angles) q = rng.uniform(-kStartPositionNoise, kStartPositionNoise);
    agent.vx = kStartVelocityNoise * rng.normal();
    agent.vy = kStartVelocityNoise * rng.normal();
    agent.spin = kStartVelocityNoise * rng.normal();
  }
  return start;
}

Sumo2DWorld::Sumo2DWorld(const Sumo2DStart& start) : world_(b2Vec2(0, 0)) {
  b2BodyDef ground;  // static at the origin
  ground_ = world_.CreateBody(&ground);
  for (int a = 0; a < 2; ++a) add_agent(a, start.agents[a]);
}

void Sumo2DWorld::add_agent(int agent, const Sumo2DAgentStart& start) {
  // All of an agent's fixtures share a negative group: they never collide
  // with each other, so every contact in the world is between the two agents.
  const int16 group = int16(-(agent + 1));

  b2BodyDef torso_def;
  torso_def.type = b2_dynamicBody;
  torso_def.position.Set(float(start.x), float(start.y));
  torso_def.angle = float(start.angle);
  torso_def.linearVelocity.Set(float(start.vx), float(start.vy));
  torso_def.angularVelocity = float(start.spin);
  torso_def.linearDamping = kLinearDamping;
  torso_def.angularDamping = kAngularDamping;
  b2Body* torso = torso_[agent] = world_.CreateBody(&torso_def);
  b2CircleShape circle;
  circle.m_radius = float(kTorsoRadius);
  b2FixtureDef torso_fixture;
  torso_fixture.shape = &circle;
  torso_fixture.density = kTorsoDensity;
  torso_fixture.friction = kContactFriction;
  torso_fixture.filter.groupIndex = group;
  torso->CreateFixture(&torso_fixture);
  rub_on_ground(world_, ground_, torso, float(2.0 / 3.0 * kTorsoRadius));  // a disc's mean radius

  for (int side = 0; side < 2; ++side) {
    const float mount = side == 0 ? kArmMountAngle : -kArmMountAngle;  // left, right
    const b2Vec2 anchor(float(kTorsoRadius) * std::cos(mount), float(kTorsoRadius) * std::sin(mount));
    b2BodyDef arm_def;
    arm_def.type = b2_dynamicBody;
    arm_def.position = torso->GetWorldPoint(anchor);
    arm_def.angle = float(start.angle) + mount + float(start.arm_angles[side]);
    arm_def.linearVelocity = torso->GetLinearVelocityFromWorldPoint(arm_def.position);
    arm_def.angularVelocity = torso->GetAngularVelocity();
    arm_def.linearDamping = kLinearDamping;
    arm_def.angularDamping = kAngularDamping;
    b2Body* arm = world_.CreateBody(&arm_def);
    b2PolygonShape box;  // from the joint outwards along the arm's x axis
    box.SetAsBox(kArmHalfLength, kArmHalfWidth, b2Vec2(kArmHalfLength, 0), 0);
    b2FixtureDef arm_fixture;
    arm_fixture.shape = &box;
    arm_fixture.density = kArmDensity;
    arm_fixture.friction = kContactFriction;
    arm_fixture.filter.groupIndex = group;
    arm->CreateFixture(&arm_fixture);

    b2RevoluteJointDef joint;
    joint.bodyA = torso;
    joint.bodyB = arm;
    joint.localAnchorA = anchor;
    joint.localAnchorB.SetZero();
    joint.referenceAngle = mount;  // the joint angle is the arm's swing from its mount direction
    joint.enableLimit = true;
    joint.lowerAngle = -kArmRange;
    joint.upperAngle = kArmRange;
    joint.enableMotor = true;
    arm_joints_[agent][side] = static_cast<b2RevoluteJoint*>(world_.CreateJoint(&joint));
  }
}

bool Sumo2DWorld::step(const float* actions, int row_stride) {
  for (int a = 0; a < 2; ++a) {
    const float* action = actions + a * row_stride;
    for (int side = 0; side < 2; ++side) {
      const float u = clip_unit(action[2 + side]);
      arm_joints_[a][side]->SetMotorSpeed(u > 0 ? kArmSpeed : u < 0 ? -kArmSpeed : 0.0f);
      arm_joints_[a][side]->SetMaxMotorTorque(kArmTorque * std::abs(u));
    }
  }
  bool touched = false;
  const float dt = float(kControlDt / kSubsteps);
  for (int k = 0; k < kSubsteps; ++k) {
    // Box2D clears forces after each step: thrust and torque are applied
    // anew at each substep, along the heading of that moment.
    for (int a = 0; a < 2; ++a) {
      const float* action = actions + a * row_stride;
      b2Body* torso = torso_[a];
      const b2Rot& heading = torso->GetTransform().q;
      const float thrust = kThrust * clip_unit(action[0]);
      torso->ApplyForceToCenter(b2Vec2(thrust * heading.c, thrust * heading.s), true);
      torso->ApplyTorque(kTurnTorque * clip_unit(action[1]), true);
    }
    world_.Step(dt, kVelocityIterations, kPositionIterations);
    for (const b2Contact* c = world_.GetContactList(); c && !touched; c = c->GetNext()) touched = c->IsTouching();
  }
  return touched;
}

namespace {

std::vector<std::string> sumo2d_info_names() {
  std::vector<std::string> names = match_info_names();
  for (const char* name : {"reward_ctrl", "reward_push", "reward_move",  // weighted shaping terms
                           "x", "y", "edge_distance", "opponent_distance", "touching"})
    names.push_back(name);
  return names;
}
// The env's own info terms, after the match's.
enum Sumo2DInfo { kInfoRewardCtrl = kNumMatchInfo, kInfoRewardPush, kInfoRewardMove, kInfoX, kInfoY,
                  kInfoEdgeDistance, kInfoOpponentDistance, kInfoTouching };

constexpr double kMinRingRadius = 2;  // the agents' arms must not overlap at the start
constexpr double kMaxRingRadius = 20;

Sumo2DRing read_ring(const Options& options) {
  Sumo2DRing ring;
  ring.radius = options.get_double("Sumo2D", "ring_radius");
  ring.radius_min = options.get_double("Sumo2D", "ring_radius_min");
  ring.radius_max = options.get_double("Sumo2D", "ring_radius_max");
  // The registry bounds each value; only their combination is checked here.
  const bool range_given = ring.radius_min > 0 || ring.radius_max > 0;
  if (range_given && !(ring.radius_min >= kMinRingRadius && ring.radius_min <= ring.radius_max))
    throw_env_error("Sumo2D: a ring radius range needs ", kMinRingRadius,
                    " <= ring_radius_min <= ring_radius_max, got [", ring.radius_min, ", ", ring.radius_max, "]");
  return ring;
}

std::vector<AgentSpaces> sumo2d_agents() {
  const AgentSpaces agent{Box::unbounded(Sumo2DEnv::kObsSize), Box({Sumo2DWorld::kActions}, -1.0, 1.0)};
  return {agent, agent};
}

}  // namespace

Sumo2DEnv::Sumo2DEnv(const Options& options)
    : Env("Sumo2D", sumo2d_agents(), sumo2d_info_names(), options.get_int("Sumo2D", "max_episode_steps")),
      ring_(read_ring(options)),
      dense_weight_(options.get_double("Sumo2D", "dense_weight")) {}

void Sumo2DEnv::build_world() {
  world_.emplace(start_);
  actions_since_reset_.clear();
  steps_since_reset_ = 0;
  last_touch_step_ = -1;
}

void Sumo2DEnv::reset_state(Rng& rng, float* obs) {
  start_ = draw_sumo2d_start(ring_, rng);
  build_world();
  for (int a = 0; a < 2; ++a) write_observation(a, obs + size_t(a) * obs_row_size());
}

void Sumo2DEnv::place(int agent, double x, double y, double angle) {
  if (agent < 0 || agent > 1) throw_env_error(name(), ": no agent ", agent, " to place");
  if (!world_ || steps_since_reset_ > 0) throw_env_error(name(), ": place() only between reset and the first step");
  Sumo2DAgentStart& placed = start_.agents[agent];
  placed = Sumo2DAgentStart{};
  placed.x = x;
  placed.y = y;
  placed.angle = angle;
  build_world();
}

const Sumo2DWorld& Sumo2DEnv::world() const {
  if (!world_) throw_env_error(name(), ": no world before reset()");
  return *world_;
}

std::vector<float> Sumo2DEnv::observe() const {
  if (!world_) throw_env_error(name(), ": observe() called before reset()");
  std::vector<float> obs(2 * size_t(obs_row_size()));
  for (int a = 0; a < 2; ++a) write_observation(a, obs.data() + size_t(a) * obs_row_size());
  return obs;
}

void Sumo2DEnv::simulate(const float* actions) {
  actions_since_reset_.insert(actions_since_reset_.end(), actions, actions + 2 * act_row_size());
  const bool touched = world_->step(actions, act_row_size());
  ++steps_since_reset_;
  if (touched) last_touch_step_ = steps_since_reset_;
}

void Sumo2DEnv::write_observation(int agent, float* obs) const {
  const b2Body& self = world_->torso(agent);
  const b2Body& other = world_->torso(1 - agent);
  const b2Vec2 p = self.GetPosition(), v = self.GetLinearVelocity();
  const b2Rot& q = self.GetTransform().q;
  const b2Vec2 po = other.GetPosition();
  // The opponent as seen from the torso: x forward, y to the left.
  const b2Vec2 to_other = b2MulT(q, po - p);
  const b2Rot other_heading = b2MulT(q, other.GetTransform().q);
  const b2Vec2 other_velocity = b2MulT(q, other.GetLinearVelocity() - v);
  const float ring_radius = float(start_.ring_radius);
  const float own[] = {p.x, p.y, q.c, q.s, v.x, v.y, self.GetAngularVelocity(),
                       world_->arm_joint(agent, 0).GetJointAngle(), world_->arm_joint(agent, 1).GetJointAngle(),
                       world_->arm_joint(agent, 0).GetJointSpeed(), world_->arm_joint(agent, 1).GetJointSpeed(),
                       to_other.x, to_other.y, other_heading.c, other_heading.s, other_velocity.x, other_velocity.y,
                       ring_radius, ring_radius - p.Length(), ring_radius - po.Length(),
                       float(steps_since_reset_) / float(max_episode_steps())};
  static_assert(sizeof own / sizeof own[0] == kObsSize);
  static_assert(kObsOpponentX == 11 && kObsOpponentY == 12, "to_other's place in `own`");
  std::copy(std::begin(own), std::end(own), obs);
}

StepResult Sumo2DEnv::advance(const float* actions, float* obs, double* rewards, float* info) {
  simulate(actions);
  const double ring_radius = start_.ring_radius;
  const bool touched_recently = last_touch_step_ >= 0 && steps_since_reset_ - last_touch_step_ < kTouchMemorySteps;
  LossReason losses[2];
  b2Vec2 position[2], velocity[2];
  for (int a = 0; a < 2; ++a) {
    position[a] = world_->torso(a).GetPosition();
    velocity[a] = world_->torso(a).GetLinearVelocity();
    const bool out = world_->out_of_ring(a, ring_radius);
    losses[a] = !out ? LossReason::kNone : touched_recently ? LossReason::kPushedOut : LossReason::kFell;
  }
  const bool time_up = elapsed_steps() + 1 >= max_episode_steps();  // the base counts this step after advance
  const MatchStep match = decide_match(losses, time_up);

  const size_t info_size = info_names().size();
  for (int a = 0; a < 2; ++a) {
    const int o = 1 - a;
    const float* action = actions + size_t(a) * act_row_size();
    double action_sq = 0;
    for (int k = 0; k < Sumo2DWorld::kActions; ++k) action_sq += double(clip_unit(action[k])) * clip_unit(action[k]);
    const b2Vec2 to_other = position[o] - position[a];
    const double distance = to_other.Length();
    const double approach =
        distance > 0 ? (double(velocity[a].x) * to_other.x + double(velocity[a].y) * to_other.y) / distance : 0.0;
    // Shaping terms, weighted (RoboSumo's: control cost, the opponent near the
    // ring's centre, moving towards the opponent).
    const double ctrl = dense_weight_ * -kCtrlCost * action_sq;
    const double push = dense_weight_ * -kPushCost * std::exp(-double(position[o].Length()));
    const double move = dense_weight_ * kMoveReward * std::max(0.0, approach);
    const double outcome = outcome_reward(match.result[a], match_rewards_);
    rewards[a] = outcome + ctrl + push + move;

    float* row = info + size_t(a) * info_size;
    write_match_info(row, match.result[a], match.result[a] == MatchResult::kLost ? losses[a] : LossReason::kNone,
                     time_up, dense_weight_, outcome);
    row[kInfoRewardCtrl] = float(ctrl);
    row[kInfoRewardPush] = float(push);
    row[kInfoRewardMove] = float(move);
    row[kInfoX] = position[a].x;
    row[kInfoY] = position[a].y;
    row[kInfoEdgeDistance] = float(ring_radius - position[a].Length());
    row[kInfoOpponentDistance] = float(distance);
    row[kInfoTouching] = last_touch_step_ == steps_since_reset_;
    write_observation(a, obs + size_t(a) * obs_row_size());
  }
  StepResult result;
  result.terminated = match.over();
  return result;
}

// The replay checkpoint: whether an episode started, its start, and every action since.
void Sumo2DEnv::save_dynamic_state(std::string& out) const {
  const uint8_t started = world_.has_value();
  append_bytes(out, &started, sizeof started);
  if (!started) return;
  append_bytes(out, &start_, sizeof start_);
  const int32_t steps = steps_since_reset_;
  append_bytes(out, &steps, sizeof steps);
  append_bytes(out, actions_since_reset_.data(), actions_since_reset_.size() * sizeof(float));
}

void Sumo2DEnv::load_dynamic_state(const std::string& in, size_t& offset) {
  uint8_t started = 0;
  read_bytes(in, offset, &started, sizeof started, name());
  if (!started) {
    world_.reset();
    actions_since_reset_.clear();
    steps_since_reset_ = 0;
    last_touch_step_ = -1;
    return;
  }
  read_bytes(in, offset, &start_, sizeof start_, name());
  int32_t steps = 0;
  read_bytes(in, offset, &steps, sizeof steps, name());
  if (steps < 0) throw_env_error(name(), ": checkpoint holds ", steps, " steps");
  const size_t step_size = 2 * size_t(act_row_size());
  std::vector<float> actions(size_t(steps) * step_size);
  read_bytes(in, offset, actions.data(), actions.size() * sizeof(float), name());
  build_world();
  for (int32_t s = 0; s < steps; ++s) simulate(actions.data() + size_t(s) * step_size);
}

std::optional<Sumo2DStepping> sumo2d_stepping(const Env& env) {
  const auto* sumo = dynamic_cast<const Sumo2DEnv*>(&env);
  if (!sumo) return std::nullopt;
  return Sumo2DStepping{sumo->ring(), sumo->max_episode_steps()};
}

namespace {

const Registration<Env> kRegisterSumo2D(
    env_registry(), "Sumo2D", "top-down 2D sumo match in Box2D: two round agents with arms and thrusters on a ring",
    {{Sumo2DEnv::kObsSize, Sumo2DWorld::kActions}, {Sumo2DEnv::kObsSize, Sumo2DWorld::kActions}},
    {int_option("max_episode_steps", 500, "time limit; time up is a draw").positive(),
     double_option("ring_radius", 3, "the platform's radius (unless ring_radius_max draws one per episode)").within(kMinRingRadius, kMaxRingRadius),
     double_option("ring_radius_min", 0, "with ring_radius_max: each episode's radius ~ U(min, max) (0: fixed)")
         .within(0, kMaxRingRadius),
     double_option("ring_radius_max", 0, "see ring_radius_min (0: every episode has ring_radius)")
         .within(0, kMaxRingRadius),
     double_option("dense_weight", 1, "weight of the shaping rewards (1: RoboSumo's; 0: outcome only)").at_least(0)},
    [](const Options& o) { return std::make_unique<Sumo2DEnv>(o); });

}  // namespace
}  // namespace metarl
