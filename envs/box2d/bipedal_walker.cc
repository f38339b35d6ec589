#include "envs/box2d/bipedal_walker.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "envs/core/bytes.h"
#include "envs/core/registry.h"

namespace metarl {
namespace {

using namespace bipedal;

double sign(float v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }  // np.sign: 0 at 0
double clip_unit_abs(float v) { return std::min(std::abs(double(v)), 1.0); }

// The nearest terrain fixture along a ray. The walker's own fixtures (not
// category 1) are passed through: returning −1 tells Box2D to ignore a
// fixture, returning the fraction clips the ray there, so what is left at
// the end is the nearest hit.
class TerrainRay : public b2RayCastCallback {
 public:
  float fraction = 1;
  float ReportFixture(b2Fixture* fixture, const b2Vec2&, const b2Vec2&, float hit) override {
    if ((fixture->GetFilterData().categoryBits & kTerrainCategory) == 0) return -1;
    fraction = hit;
    return hit;
  }
};

b2FixtureDef walker_fixture(const b2Shape* shape, double density, double friction) {
  b2FixtureDef def;
  def.shape = shape;
  def.density = float(density);
  def.friction = float(friction);
  def.restitution = 0;
  def.filter.categoryBits = kWalkerCategory;
  def.filter.maskBits = kWalkerMask;
  return def;
}

}  // namespace

BipedalWalkerWorld::BipedalWalkerWorld(const WalkerStart& start, const WalkerTerrain& terrain)
    : world_(b2Vec2(0, float(kGravity * start.physics.gravity_scale))) {
  // Gymnasium's pybox2d is Box2D 2.3, whose motor setters wake both bodies
  // whenever they are called, which its step does every time: its walker
  // never sleeps. 2.4.1's wake only when the value changes, so a walker
  // standing still under a constant action would fall asleep; without
  // sleeping it is simulated at every step, as in Gymnasium.
  world_.SetAllowSleeping(false);
  world_.SetContactListener(this);
  build_terrain(terrain, float(kFriction * start.physics.friction_scale));
  build_walker(start);
}

void BipedalWalkerWorld::build_terrain(const WalkerTerrain& terrain, float friction) {
  // One static body per piece, with world coordinates as its vertices (a
  // body at the origin), created in Gymnasium's order: the obstacles'
  // polygons as the generator met them, then the surface's edges.
  b2BodyDef static_body;
  b2FixtureDef fixture;
  fixture.friction = friction;
  fixture.filter.categoryBits = kTerrainCategory;
  for (const WalkerTerrain::Quad& quad : terrain.polygons) {
    b2Vec2 vertices[4];
    for (int k = 0; k < 4; ++k) vertices[k].Set(float(quad[k][0]), float(quad[k][1]));
    b2PolygonShape shape;
    shape.Set(vertices, 4);
    fixture.shape = &shape;
    world_.CreateBody(&static_body)->CreateFixture(&fixture);
  }
  for (size_t i = 0; i + 1 < terrain.x.size(); ++i) {
    b2EdgeShape edge;  // two-sided, as 2.3's edges
    edge.SetTwoSided(b2Vec2(float(terrain.x[i]), float(terrain.y[i])),
                     b2Vec2(float(terrain.x[i + 1]), float(terrain.y[i + 1])));
    fixture.shape = &edge;
    world_.CreateBody(&static_body)->CreateFixture(&fixture);
  }
}

void BipedalWalkerWorld::build_walker(const WalkerStart& start) {
  const WalkerPhysics& physics = start.physics;
  const double upper = kLegH * physics.upper_leg_scale, lower = kLegH * physics.lower_leg_scale;
  // Gymnasium's start: the hull's origin 2·LEG_H above the start pad's middle
  // (the legs' length above the ground), level.
  double hull_x = kTerrainStep * kTerrainStartpad / 2, hull_y = kTerrainHeight + (upper + lower), angle = 0;
  if (start.placed) hull_x = start.hull_x, hull_y = start.hull_y, angle = start.hull_angle;
  const double c = std::cos(angle), s = std::sin(angle);
  // A point given in the hull's frame at the start (legs hang straight down from it).
  auto at = [&](double dx, double dy) { return b2Vec2(float(hull_x + c * dx - s * dy), float(hull_y + s * dx + c * dy)); };

  b2BodyDef hull_def;
  hull_def.type = b2_dynamicBody;
  hull_def.position = at(0, 0);
  hull_def.angle = float(angle);
  hull_ = world_.CreateBody(&hull_def);
  b2Vec2 hull_vertices[5];
  for (int k = 0; k < 5; ++k) hull_vertices[k].Set(float(kHullPolygon[k][0] / kScale), float(kHullPolygon[k][1] / kScale));
  b2PolygonShape hull_shape;
  hull_shape.Set(hull_vertices, 5);
  const b2FixtureDef hull_fixture = walker_fixture(&hull_shape, kHullDensity, kHullFriction);
  hull_->CreateFixture(&hull_fixture);
  // Box2D clears forces after each step: the push acts during the first only.
  hull_->ApplyForceToCenter(b2Vec2(float(start.push), 0), true);

  b2PolygonShape upper_shape, lower_shape;
  upper_shape.SetAsBox(float(kLegW / 2), float(upper / 2));
  lower_shape.SetAsBox(float(kLowerLegWidthFraction * kLegW / 2), float(lower / 2));
  const b2FixtureDef upper_fixture = walker_fixture(&upper_shape, kLegDensity, kLegFriction);
  const b2FixtureDef lower_fixture = walker_fixture(&lower_shape, kLegDensity, kLegFriction);
  for (int leg = 0; leg < 2; ++leg) {
    const int side = leg == 0 ? -1 : +1;  // Gymnasium's i
    const float leg_angle = float(angle + side * kLegStartAngle);

    b2BodyDef upper_def;
    upper_def.type = b2_dynamicBody;
    upper_def.position = at(0, -upper / 2 - kLegDown);
    upper_def.angle = leg_angle;
    b2Body* upper_leg = legs_[2 * leg] = world_.CreateBody(&upper_def);
    upper_leg->CreateFixture(&upper_fixture);

    b2RevoluteJointDef hip;
    hip.bodyA = hull_;
    hip.bodyB = upper_leg;
    hip.localAnchorA.Set(0, float(kLegDown));
    hip.localAnchorB.Set(0, float(upper / 2));
    // pybox2d's joint definitions take the bodies' relative angle as the
    // reference when none is given: the hips read 0, not ±0.05, at the start.
    hip.referenceAngle = upper_leg->GetAngle() - hull_->GetAngle();
    hip.enableMotor = true;
    hip.enableLimit = true;
    hip.maxMotorTorque = float(kMotorsTorque * physics.motor_scale[2 * leg]);
    hip.motorSpeed = float(side);
    hip.lowerAngle = float(kHipLower);
    hip.upperAngle = float(kHipUpper);
    joints_[2 * leg] = static_cast<b2RevoluteJoint*>(world_.CreateJoint(&hip));

    b2BodyDef lower_def;
    lower_def.type = b2_dynamicBody;
    lower_def.position = at(0, -(upper + lower / 2) - kLegDown);
    lower_def.angle = leg_angle;
    b2Body* lower_leg = legs_[2 * leg + 1] = world_.CreateBody(&lower_def);
    lower_leg->CreateFixture(&lower_fixture);

    b2RevoluteJointDef knee;
    knee.bodyA = upper_leg;
    knee.bodyB = lower_leg;
    knee.localAnchorA.Set(0, float(-upper / 2));
    knee.localAnchorB.Set(0, float(lower / 2));
    knee.referenceAngle = lower_leg->GetAngle() - upper_leg->GetAngle();
    knee.enableMotor = true;
    knee.enableLimit = true;
    knee.maxMotorTorque = float(kMotorsTorque * physics.motor_scale[2 * leg + 1]);
    knee.motorSpeed = 1;
    knee.lowerAngle = float(kKneeLower);
    knee.upperAngle = float(kKneeUpper);
    joints_[2 * leg + 1] = static_cast<b2RevoluteJoint*>(world_.CreateJoint(&knee));
  }
  for (int j = 0; j < kJoints; ++j) max_torque_[size_t(j)] = kMotorsTorque * physics.motor_scale[size_t(j)];
}

void BipedalWalkerWorld::BeginContact(b2Contact* contact) {
  // The walker's fixtures collide only with the terrain: every contact of
  // one of its bodies is with the ground.
  const b2Body* a = contact->GetFixtureA()->GetBody();
  const b2Body* b = contact->GetFixtureB()->GetBody();
  if (a == hull_ || b == hull_) hull_touched_ = true;
  for (int leg = 0; leg < 2; ++leg)
    if (a == legs_[2 * leg + 1] || b == legs_[2 * leg + 1]) ground_contact_[leg] = true;
}

void BipedalWalkerWorld::EndContact(b2Contact* contact) {
  const b2Body* a = contact->GetFixtureA()->GetBody();
  const b2Body* b = contact->GetFixtureB()->GetBody();
  for (int leg = 0; leg < 2; ++leg)
    if (a == legs_[2 * leg + 1] || b == legs_[2 * leg + 1]) ground_contact_[leg] = false;
}

void BipedalWalkerWorld::step(const float* action) {
  for (int j = 0; j < kJoints; ++j) {
    const double speed = j % 2 == 0 ? kSpeedHip : kSpeedKnee;
    joints_[j]->SetMotorSpeed(float(speed * sign(action[j])));
    joints_[j]->SetMaxMotorTorque(float(max_torque_[size_t(j)] * clip_unit_abs(action[j])));
  }
  world_.Step(float(1.0 / kFps), kVelocityIterations, kPositionIterations);
}

float BipedalWalkerWorld::lidar_fraction(int ray) const {
  const b2Vec2 from = hull_->GetPosition();
  const double angle = kLidarSpread * ray / kLidarRays;
  const b2Vec2 to(float(from.x + std::sin(angle) * kLidarRange), float(from.y - std::cos(angle) * kLidarRange));
  TerrainRay callback;
  world_.RayCast(&callback, from, to);
  return callback.fraction;
}

void BipedalWalkerWorld::observe(float* obs) const {
  const b2Vec2 v = hull_->GetLinearVelocity();
  obs[0] = hull_->GetAngle();
  obs[1] = float(2.0 * hull_->GetAngularVelocity() / kFps);
  obs[2] = float(0.3 * v.x * (kViewportW / kScale) / kFps);
  obs[3] = float(0.3 * v.y * (kViewportH / kScale) / kFps);
  for (int leg = 0; leg < 2; ++leg) {
    const b2RevoluteJoint& hip = *joints_[2 * leg];
    const b2RevoluteJoint& knee = *joints_[2 * leg + 1];
    float* o = obs + 4 + 5 * leg;
    o[0] = hip.GetJointAngle();
    o[1] = float(hip.GetJointSpeed() / kSpeedHip);
    o[2] = float(knee.GetJointAngle() + 1.0);
    o[3] = float(knee.GetJointSpeed() / kSpeedKnee);
    o[4] = ground_contact_[leg] ? 1.0f : 0.0f;
  }
  for (int ray = 0; ray < kLidarRays; ++ray) obs[14 + ray] = lidar_fraction(ray);
}

double BipedalWalkerWorld::shaping() const {
  return kForwardReward * double(hull_->GetPosition().x) / kScale - kHullAngleCost * std::abs(double(hull_->GetAngle()));
}

namespace {

const std::vector<std::string> kInfoNames = {
    "x_position", "hull_angle",
    "reward_shaping",  // the change of 130·x/SCALE − 5·|hull angle|
    "reward_torque",   // −0.028·Σ clip(|a|, 0, 1)
    "fell",            // the hull touched the terrain, or x < 0 (the reward is then −100)
    "finished",        // past the finish line
};
enum WalkerInfo { kInfoX, kInfoHullAngle, kInfoShaping, kInfoTorque, kInfoFell, kInfoFinished };

// Gymnasium declares ±π for angles and ±5 for speeds, which the values can
// exceed (its own comment: speeds can spike on impacts); only the contact
// flags and the lidar fractions are bounded, in [0, 1].
Box walker_observation_space() {
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<double> low(BipedalWalkerEnv::kObsSize, -inf), high(BipedalWalkerEnv::kObsSize, inf);
  for (int k : {8, 13}) low[size_t(k)] = 0, high[size_t(k)] = 1;
  for (int k = 14; k < BipedalWalkerEnv::kObsSize; ++k) low[size_t(k)] = 0, high[size_t(k)] = 1;
  return Box({BipedalWalkerEnv::kObsSize}, low, high);
}

int time_limit(const Options& options) {
  const int steps = options.get_int("BipedalWalker", "max_episode_steps");
  if (steps > 0) return steps;
  return options.get_bool("BipedalWalker", "hardcore") ? kHardcoreTimeLimit : kTimeLimit;
}

template <typename T>
void append_value(std::string& out, T value) {
  append_bytes(out, &value, sizeof value);
}
template <typename T>
T read_value(const std::string& in, size_t& offset, const std::string& who) {
  T value;
  read_bytes(in, offset, &value, sizeof value, who);
  return value;
}

}  // namespace

BipedalWalkerEnv::BipedalWalkerEnv(const Options& options)
    : Env("BipedalWalker", walker_observation_space(), Box({kActions}, -1.0, 1.0), kInfoNames, time_limit(options)),
      hardcore_(options.get_bool("BipedalWalker", "hardcore")) {
  reference_physics_.obstacle_rate = hardcore_ ? 1 : 0;
  physics_ = reference_physics_;
}

const WalkerStart& BipedalWalkerEnv::start() const {
  if (!started_) throw_env_error(name(), ": no episode before reset()");
  return start_;
}

const BipedalWalkerWorld& BipedalWalkerEnv::world() const {
  if (!world_) throw_env_error(name(), ": no world before reset()");
  return *world_;
}

const WalkerTerrain& BipedalWalkerEnv::terrain() const {
  if (!started_) throw_env_error(name(), ": no terrain before reset()");
  return terrain_;
}

std::vector<float> BipedalWalkerEnv::observe() const {
  std::vector<float> obs(kObsSize);
  world().observe(obs.data());
  return obs;
}

void BipedalWalkerEnv::build_world() {
  Rng terrain_rng(start_.terrain_seed);
  terrain_ = generate_walker_terrain(terrain_rng, start_.physics.obstacle_rate);
  world_.reset();  // the previous episode's world goes first
  world_ = std::make_unique<BipedalWalkerWorld>(start_, terrain_);
  started_ = true;
  actions_since_reset_.clear();
  // Gymnasium's reset returns the observation of a step with zero action.
  const float zero[kActions] = {0, 0, 0, 0};
  world_->step(zero);
  prev_shaping_ = world_->shaping();
}

WalkerStart draw_walker_start(Rng& rng, const WalkerPhysics& physics) {
  WalkerStart start;
  start.terrain_seed = rng.next_u64();
  start.push = rng.uniform(-kInitialRandom, kInitialRandom);
  start.physics = physics;
  return start;
}

std::optional<WalkerStepping> bipedal_walker_stepping(const Env& env) {
  const auto* walker = dynamic_cast<const BipedalWalkerEnv*>(&env);
  if (!walker) return std::nullopt;
  return WalkerStepping{walker->physics(), walker->max_episode_steps()};
}

void BipedalWalkerEnv::reset_state(Rng& rng, float* obs) {
  start_ = draw_walker_start(rng, physics_);
  build_world();
  world_->observe(obs);
}

void BipedalWalkerEnv::place_hull(double x, double y, double angle) {
  if (!world_ || !actions_since_reset_.empty())
    throw_env_error(name(), ": place_hull() only between reset and the first step");
  start_.placed = true;
  start_.hull_x = x;
  start_.hull_y = y;
  start_.hull_angle = angle;
  start_.push = 0;
  build_world();
}

void BipedalWalkerEnv::simulate(const float* action) {
  actions_since_reset_.insert(actions_since_reset_.end(), action, action + kActions);
  world_->step(action);
}

StepResult BipedalWalkerEnv::advance(const float* actions, float* obs, double* rewards, float* info) {
  simulate(actions);
  world_->observe(obs);
  const double shaping = world_->shaping();
  double reward = shaping - prev_shaping_;
  prev_shaping_ = shaping;
  const double shaping_change = reward;
  double torque = 0;
  for (int j = 0; j < kActions; ++j) {
    const double cost = kTorqueCost * kMotorsTorque * clip_unit_abs(actions[j]);
    reward -= cost;  // one at a time, as Gymnasium
    torque += cost;
  }
  const double x = world_->hull().GetPosition().x;
  const bool fell = world_->hull_touched() || x < 0;
  const bool finished = x > kFinishX;
  StepResult result;
  if (fell) {
    reward = kFallReward;
    result.terminated = true;
  }
  if (finished) result.terminated = true;
  rewards[0] = reward;
  info[kInfoX] = float(x);
  info[kInfoHullAngle] = world_->hull().GetAngle();
  info[kInfoShaping] = float(shaping_change);
  info[kInfoTorque] = float(-torque);
  info[kInfoFell] = fell;
  info[kInfoFinished] = finished;
  return result;
}

// The replay checkpoint: whether an episode started, its start field by
// field (no padding bytes), and every action since.
void BipedalWalkerEnv::save_dynamic_state(std::string& out) const {
  append_value<uint8_t>(out, started_);
  if (!started_) return;
  const WalkerStart& s = start_;
  append_value(out, s.terrain_seed);
  append_value(out, s.push);
  const WalkerPhysics& p = s.physics;
  for (double v : {p.friction_scale, p.gravity_scale, p.motor_scale[0], p.motor_scale[1], p.motor_scale[2],
                   p.motor_scale[3], p.upper_leg_scale, p.lower_leg_scale, p.obstacle_rate})
    append_value(out, v);
  append_value<uint8_t>(out, s.placed);
  for (double v : {s.hull_x, s.hull_y, s.hull_angle}) append_value(out, v);
  append_value(out, int32_t(actions_since_reset_.size() / kActions));
  append_bytes(out, actions_since_reset_.data(), actions_since_reset_.size() * sizeof(float));
}

void BipedalWalkerEnv::load_dynamic_state(const std::string& in, size_t& offset) {
  if (!read_value<uint8_t>(in, offset, name())) {
    world_.reset();
    started_ = false;
    actions_since_reset_.clear();
    return;
  }
  WalkerStart s;
  s.terrain_seed = read_value<uint64_t>(in, offset, name());
  s.push = read_value<double>(in, offset, name());
  WalkerPhysics& p = s.physics;
  for (double* v : {&p.friction_scale, &p.gravity_scale, &p.motor_scale[0], &p.motor_scale[1], &p.motor_scale[2],
                    &p.motor_scale[3], &p.upper_leg_scale, &p.lower_leg_scale, &p.obstacle_rate})
    *v = read_value<double>(in, offset, name());
  s.placed = read_value<uint8_t>(in, offset, name()) != 0;
  for (double* v : {&s.hull_x, &s.hull_y, &s.hull_angle}) *v = read_value<double>(in, offset, name());
  const int32_t steps = read_value<int32_t>(in, offset, name());
  if (steps < 0) throw_env_error(name(), ": checkpoint holds ", steps, " steps");
  std::vector<float> actions(size_t(steps) * kActions);
  read_bytes(in, offset, actions.data(), actions.size() * sizeof(float), name());
  start_ = s;
  build_world();
  for (int32_t k = 0; k < steps; ++k) simulate(actions.data() + size_t(k) * kActions);
  if (steps > 0) prev_shaping_ = world_->shaping();
}

namespace {

const Registration<Env> kRegisterBipedalWalker(
    env_registry(), "BipedalWalker",
    "Gymnasium's BipedalWalker-v3 in Box2D: a two-legged walker with lidar over grass (hardcore: pits, stumps, stairs)",
    {{BipedalWalkerEnv::kObsSize, BipedalWalkerEnv::kActions}},
    {bool_option("hardcore", false, "Gymnasium's hardcore course: an obstacle after every grass run"),
     int_option("max_episode_steps", 0, "time limit; 0: Gymnasium's (1600, hardcore 2000)").at_least(0)},
    [](const Options& o) { return std::make_unique<BipedalWalkerEnv>(o); });

}  // namespace
}  // namespace metarl
