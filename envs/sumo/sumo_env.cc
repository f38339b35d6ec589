#include "envs/sumo/sumo_env.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>

#include "envs/core/bytes.h"
#include "envs/core/registry.h"

namespace metarl {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<std::string> robot_kinds() {
  std::vector<std::string> kinds;
  for (const SumoRobot& robot : sumo_robots()) kinds.push_back(robot.kind);
  return kinds;
}

SumoSceneSpec read_scene(const std::string& name, const Options& options) {
  SumoSceneSpec spec;
  spec.robots = {options.get_string(name, "robot0"), options.get_string(name, "robot1")};
  spec.arena = options.get_string(name, "arena") == "ring" ? SumoArena::kRing : SumoArena::kTatami;
  spec.ring_radius = spec.arena == SumoArena::kRing ? options.get_double(name, "ring_radius_max") : 0;
  return spec;
}

MujocoSettings read_settings(const std::string& name, const Options& options, const SumoSceneSpec& spec) {
  MujocoSettings settings;
  settings.frame_skip = options.get_int(name, "frame_skip");
  settings.reset_noise_scale = options.get_double(name, "reset_noise_scale");
  settings.max_episode_steps = options.get_int(name, "max_episode_steps");
  settings.model_path = "sumo scene: " + spec.robots[0] + "0 vs " + spec.robots[1] + "1 on the " +
                        (spec.arena == SumoArena::kRing ? "ring" : "tatami");
  return settings;
}

std::vector<AgentSpaces> agent_spaces(const std::string& name, const SumoSceneSpec& spec, bool observe_time) {
  std::vector<AgentSpaces> agents;
  for (const std::string& kind : spec.robots) {
    const SumoRobot& robot = sumo_robot(kind, name);
    agents.push_back({Box::unbounded(SumoEnv::observation_size(robot.legs, spec.arena, observe_time)),
                      Box({2 * robot.legs}, -1.0, 1.0)});
  }
  return agents;
}

std::vector<std::string> sumo_info_names() {
  std::vector<std::string> names = match_info_names();
  for (const char* term : {"reward_ctrl", "reward_push", "reward_move", "torso_x", "torso_y", "torso_z"})
    names.push_back(term);
  return names;
}
enum SumoInfo { kInfoCtrl = kNumMatchInfo, kInfoPush, kInfoMove, kInfoTorsoX, kInfoTorsoY, kInfoTorsoZ };

// Why a robot whose torso is at `xyz` loses (kNone: it does not).
LossReason sumo_loss(SumoArena arena, double ring_radius, const double* xyz) {
  if (xyz[2] < SumoEnv::kFallZ) return LossReason::kFell;
  const bool out = arena == SumoArena::kRing ? std::hypot(xyz[0], xyz[1]) >= ring_radius
                                             : std::max(std::abs(xyz[0]), std::abs(xyz[1])) >= SumoEnv::kTatamiOut;
  return out ? LossReason::kPushedOut : LossReason::kNone;
}

// The quaternion (w, x, y, z) of a turn by `yaw` about +z.
void yaw_quaternion(double yaw, double* q) {
  q[0] = std::cos(yaw / 2);
  q[1] = q[2] = 0;
  q[3] = std::sin(yaw / 2);
}

}  // namespace

OptionSpecs SumoEnv::option_specs(const std::string& robot) {
  return {
      string_option("robot0", robot, "robot of seat 0: ant, bug or spider").one_of(robot_kinds()),
      string_option("robot1", robot, "robot of seat 1: ant, bug or spider").one_of(robot_kinds()),
      string_option("arena", "tatami", "tatami (RoboSumo's square) or ring (round, radius drawn per episode)")
          .one_of({"tatami", "ring"}),
      double_option("ring_radius_min", 2.5, "ring: smallest radius drawn").positive(),
      double_option("ring_radius_max", 4.5, "ring: largest radius drawn").positive(),
      double_option("dense_weight", 1.0, "weight of the shaping terms (a trainer anneals it)").within(0, 1),
      bool_option("observe_time", false, "append the elapsed fraction of the time limit to each observation"),
      double_option("force_scale", 1.0,
                    "multiplies the |cfrc_ext| observations (each up to 100): 0.01 puts them within [0, 1] for a "
                    "policy that does not normalise its observations")
          .positive(),
      int_option("frame_skip", 5, "physics steps per control step").positive(),
      double_option("reset_noise_scale", 0.1, "start: qpos += U(-s, s), qvel += s N(0, 1)").at_least(0),
      int_option("max_episode_steps", 500, "time limit: a draw").positive(),
  };
}

int SumoEnv::observation_size(int legs, SumoArena arena, bool observe_time) {
  const int nq = 7 + 2 * legs, nv = 6 + 2 * legs, nbody = 1 + 3 * legs;
  return nq + nv + 6 * nbody + 7 + 6 + (arena == SumoArena::kRing ? 3 : 0) + (observe_time ? 1 : 0);
}

SumoEnv::SumoEnv(const std::string& name, const Options& options)
    : MujocoEnv(name, read_settings(name, options, read_scene(name, options)),
                load_reference_model_from_xml(name, sumo_scene_xml(read_scene(name, options), name)),
                agent_spaces(name, read_scene(name, options), options.get_bool(name, "observe_time")),
                sumo_info_names()),
      spec_(read_scene(name, options)),
      observe_time_(options.get_bool(name, "observe_time")),
      force_scale_(options.get_double(name, "force_scale")) {
  const mjModel* m = reference_model();
  seats_ = sumo_seats(m, spec_, name);
  for (int k = 0; k < 2; ++k) {
    const int legs = sumo_robot(spec_.robots[size_t(k)], name).legs;
    const SumoSeat& s = seats_[size_t(k)];
    if (s.nq != 7 + 2 * legs || s.nv != 6 + 2 * legs || s.nbody != 1 + 3 * legs || s.nu != 2 * legs)
      throw_env_error(name, ": robot ", s.prefix, " does not have the joints, bodies and motors of ", legs, " legs");
  }
  ring_radius_min_ = options.get_double(name, "ring_radius_min");
  ring_radius_max_ = options.get_double(name, "ring_radius_max");
  if (spec_.arena == SumoArena::kRing && ring_radius_min_ > ring_radius_max_)
    throw_env_error(name, ": ring_radius_min (", ring_radius_min_, ") exceeds ring_radius_max (", ring_radius_max_, ")");
  if (spec_.arena == SumoArena::kRing && ring_radius_min_ <= kStartRadius + 0.5)
    throw_env_error(name, ": ring_radius_min (", ring_radius_min_, ") leaves no room around the start positions (radius ",
                    kStartRadius, ")");
  if (spec_.arena == SumoArena::kRing) ring_radius_ = ring_radius_max_;
  set_dense_weight(options.get_double(name, "dense_weight"));
  platform_geom_ = mj_name2id(m, mjOBJ_GEOM, kPlatformGeom);
  ctrl_.resize(size_t(m->nu));
}

void SumoEnv::set_dense_weight(double weight) {
  dense_weight_ = checked_dense_weight(name(), weight);
}

void SumoEnv::set_ring_radius(double radius) {
  ring_radius_ = radius;
  // The model holds the largest radius: shrinking keeps the bounding sphere valid.
  set_model_value(ModelArray::kGeomSize, 3 * platform_geom_, radius);
}

LossReason SumoEnv::loss_reason(int k) const {
  return sumo_loss(spec_.arena, ring_radius_, qpos() + seats_[size_t(k)].qpos_begin);
}

std::function<bool(const mjData*)> SumoEnv::physics_episode_end() const {
  // The rules by value (the env may be gone when the raw loop runs), the
  // ring at its largest radius (the raw loop never shrinks it).
  const SumoArena arena = spec_.arena;
  const double radius = ring_radius_max_;
  const int roots[2] = {seats_[0].qpos_begin, seats_[1].qpos_begin};
  return [arena, radius, roots](const mjData* d) {
    return sumo_loss(arena, radius, d->qpos + roots[0]) != LossReason::kNone ||
           sumo_loss(arena, radius, d->qpos + roots[1]) != LossReason::kNone;
  };
}

void SumoEnv::reset_state(Rng& rng, float* obs) {
  if (spec_.arena == SumoArena::kRing) set_ring_radius(rng.uniform(ring_radius_min_, ring_radius_max_));
  const mjModel* m = reference_model();
  std::vector<double> qpos(m->qpos0, m->qpos0 + m->nq), qvel(size_t(m->nv));
  const double phi = rng.uniform(0, 2 * kPi);
  for (int k = 0; k < 2; ++k) {
    const double angle = phi + k * kPi;
    double* root = qpos.data() + seats_[size_t(k)].qpos_begin;
    root[0] = kStartRadius * std::cos(angle);
    root[1] = kStartRadius * std::sin(angle);
    root[2] = kStartZ;
    yaw_quaternion(angle + kPi, root + 3);  // facing the centre, and so the opponent
  }
  const double s = reset_noise_scale();
  for (double& q : qpos) q += rng.uniform(-s, s);
  for (double& v : qvel) v = s * rng.normal();
  for (const SumoSeat& seat : seats_) {  // the noise left the quaternions off unit length
    double* q = qpos.data() + seat.qpos_begin + 3;
    const double norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    for (int i = 0; i < 4; ++i) q[i] /= norm;
  }
  set_state(qpos.data(), qvel.data());
  observe(obs, 0);
}

void SumoEnv::place(int k, double x, double y, double z, double yaw) {
  const mjModel* m = reference_model();
  std::vector<double> positions(qpos(), qpos() + m->nq), velocities(size_t(m->nv), 0.0);
  double* root = positions.data() + seats_.at(size_t(k)).qpos_begin;
  root[0] = x, root[1] = y, root[2] = z;
  yaw_quaternion(yaw, root + 3);
  set_state(positions.data(), velocities.data());
}

StepResult SumoEnv::advance(const float* actions, float* obs, double* rewards, float* info) {
  // A schedule of geom sizes restores every size edit, the ring's included.
  if (spec_.arena == SumoArena::kRing) set_ring_radius(ring_radius_);
  for (int k = 0; k < 2; ++k)
    std::copy_n(actions + size_t(k) * act_row_size(), seats_[size_t(k)].nu, ctrl_.data() + seats_[size_t(k)].actuator_begin);
  simulate(ctrl_.data());
  observe(obs, elapsed_steps() + 1);  // the base counts this step after advance

  const LossReason losses[2] = {loss_reason(0), loss_reason(1)};
  const bool time_up = elapsed_steps() + 1 >= max_episode_steps();
  const MatchStep match = decide_match(losses, time_up);
  const MatchRewards outcome_rewards;
  const size_t info_size = info_names().size();
  for (int k = 0; k < 2; ++k) {
    const SumoSeat& self = seats_[size_t(k)];
    const int other = 1 - k;
    const float* action = actions + size_t(k) * act_row_size();
    double action_sq = 0;
    for (int i = 0; i < self.nu; ++i) action_sq += double(action[i]) * action[i];
    const double dx = torso(other, 0) - torso(k, 0), dy = torso(other, 1) - torso(k, 1);
    const double distance = std::hypot(dx, dy);
    const mjtNum* v = data()->qvel + self.dof_begin;  // the free joint's linear velocity, world frame
    const double toward = distance > 0 ? (v[0] * dx + v[1] * dy) / distance : 0.0;
    const double ctrl = dense_weight_ * (-0.1 * action_sq);
    const double push = dense_weight_ * (-10.0 * std::exp(-std::hypot(torso(other, 0), torso(other, 1))));
    const double move = dense_weight_ * (0.1 * std::max(0.0, toward));
    const double outcome = outcome_reward(match.result[k], outcome_rewards);
    rewards[k] = outcome + ctrl + push + move;

    float* row = info + size_t(k) * info_size;
    write_match_info(row, match.result[k], match.over() ? losses[k] : LossReason::kNone, time_up, dense_weight_,
                     outcome);
    row[kInfoCtrl] = float(ctrl);
    row[kInfoPush] = float(push);
    row[kInfoMove] = float(move);
    row[kInfoTorsoX] = float(torso(k, 0));
    row[kInfoTorsoY] = float(torso(k, 1));
    row[kInfoTorsoZ] = float(torso(k, 2));
  }
  return StepResult{match.over(), false};
}

void SumoEnv::observe(float* obs, int steps) {
  mjData* d = data_mut();
  mj_rnePostConstraint(model(), d);
  for (int k = 0; k < 2; ++k) write_observation(k, d, steps, obs + size_t(k) * obs_row_size());
}

void SumoEnv::write_observation(int k, const mjData* d, int steps, float* out) const {
  const SumoSeat& self = seats_[size_t(k)];
  const SumoSeat& other = seats_[size_t(1 - k)];
  auto force = [&](int body, int i) {
    return float(force_scale_ * std::abs(std::clamp<double>(d->cfrc_ext[6 * body + i], -kForceClip, kForceClip)));
  };
  for (int i = 0; i < self.nq; ++i) *out++ = float(d->qpos[self.qpos_begin + i]);
  for (int i = 0; i < self.nv; ++i) *out++ = float(d->qvel[self.dof_begin + i]);
  for (int b = self.body_begin; b < self.body_begin + self.nbody; ++b)
    for (int i = 0; i < 6; ++i) *out++ = force(b, i);
  for (int i = 0; i < 7; ++i) *out++ = float(d->qpos[other.qpos_begin + i]);
  for (int i = 0; i < 6; ++i) *out++ = force(other.torso_body, i);
  if (spec_.arena == SumoArena::kRing) {
    *out++ = float(ring_radius_);
    *out++ = float(ring_radius_ - std::hypot(torso(k, 0), torso(k, 1)));
    *out++ = float(ring_radius_ - std::hypot(torso(1 - k, 0), torso(1 - k, 1)));
  }
  if (observe_time_) *out++ = float(steps) / float(max_episode_steps());
}

std::vector<bool> SumoEnv::force_entries(int k) const {
  const SumoSeat& self = seats_[size_t(k)];
  std::vector<bool> entries;
  entries.insert(entries.end(), size_t(self.nq + self.nv), false);
  entries.insert(entries.end(), size_t(6 * self.nbody), true);
  entries.insert(entries.end(), 7, false);  // the opponent's torso pose
  entries.insert(entries.end(), 6, true);   // and the forces on it
  if (spec_.arena == SumoArena::kRing) entries.insert(entries.end(), 3, false);
  if (observe_time_) entries.push_back(false);
  return entries;
}

void SumoEnv::save_dynamic_state(std::string& out) const {
  MujocoEnv::save_dynamic_state(out);
  append_bytes(out, &ring_radius_, sizeof ring_radius_);
  append_bytes(out, &dense_weight_, sizeof dense_weight_);
}

void SumoEnv::load_dynamic_state(const std::string& in, size_t& offset) {
  MujocoEnv::load_dynamic_state(in, offset);
  double radius = 0;
  read_bytes(in, offset, &radius, sizeof radius, name());
  read_bytes(in, offset, &dense_weight_, sizeof dense_weight_, name());
  if (spec_.arena == SumoArena::kRing) set_ring_radius(radius);
}

namespace {

// SumoAnt, SumoBug, SumoSpider: two robots of one kind by default (robot0
// and robot1 seat any pair).
struct RegisterSumoEnvs {
  RegisterSumoEnvs() {
    for (const SumoRobot& robot : sumo_robots()) {
      std::string title = robot.kind;
      title[0] = char(std::toupper(title[0]));
      const std::string name = "Sumo" + title;
      const AgentSizes sizes{SumoEnv::observation_size(robot.legs, SumoArena::kTatami), 2 * robot.legs};
      env_registry().add({name,
                          "RoboSumo: " + title + " vs " + title + " on the tatami (robot0, robot1, arena: any match)",
                          SumoEnv::option_specs(robot.kind),
                          {sizes, sizes},
                          [name](const Options& options) { return std::make_unique<SumoEnv>(name, options); }});
    }
  }
} const kRegisterSumoEnvs;

}  // namespace
}  // namespace metarl
