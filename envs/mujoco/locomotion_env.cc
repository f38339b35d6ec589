#include "envs/mujoco/locomotion_env.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "envs/core/error.h"

namespace metarl {
namespace {

constexpr int kTorsoBody = 1;  // the first body after the world in every robot here

const std::vector<std::string> kInfoNames = {"x_velocity", "y_velocity", "x_position", "y_position",
                                             "ctrl_sq",    "contact_sq", "healthy"};

MujocoSettings settings_for(const LocomotionSpec& spec, const Options& options) {
  MujocoSettings settings;
  settings.read(spec.name, options);
  return settings;
}

}  // namespace

LocomotionSpec legged_robot_spec(std::string name, std::string asset, int legs) {
  LocomotionSpec spec;
  spec.name = std::move(name);
  spec.asset = std::move(asset);
  spec.nq = 7 + 2 * legs;
  spec.nv = 6 + 2 * legs;
  spec.nu = 2 * legs;
  spec.qpos_skip = 2;  // root x and y
  spec.root_has_y = true;
  spec.contact_forces = true;
  spec.terminate_when_unhealthy = true;
  spec.healthy_z_min = 0.2;
  spec.healthy_z_max = 1.0;
  spec.forward_weight = 1.0;
  spec.healthy_reward = 1.0;
  spec.ctrl_cost_weight = 0.5;
  spec.contact_cost_weight = 5e-4;
  return spec;
}

OptionSpecs locomotion_options(const LocomotionSpec& spec) {
  OptionSpecs options = mujoco_options(spec.asset);
  if (spec.contact_forces)
    options.push_back(bool_option("contact_forces_in_obs", true, "append clip(cfrc_ext, -1, 1) of every body"));
  options.push_back(bool_option("com_in_obs", false,
                                "append the torso subtree's centre of mass, x y z (as MAML's rllab envs)"));
  return options;
}

LocomotionEnv::LocomotionEnv(const LocomotionSpec& spec, const Options& options)
    : MujocoEnv(spec.name, settings_for(spec, options), spec.nq + spec.scene_nq, spec.nv + spec.scene_nv, spec.nu,
                kInfoNames),
      spec_(spec),
      reward_(default_reward(spec)),
      reward_description_("forward running (Gymnasium)") {
  init(options);
}

LocomotionEnv::LocomotionEnv(const LocomotionSpec& spec, const Options& options, std::shared_ptr<const mjModel> model)
    : MujocoEnv(spec.name, settings_for(spec, options), model,
                {AgentSpaces{Box(), Box({spec.nu}, -1.0, 1.0)}}, kInfoNames),
      spec_(spec),
      reward_(default_reward(spec)),
      reward_description_("forward running (Gymnasium)") {
  const int nq = spec.nq + spec.scene_nq, nv = spec.nv + spec.scene_nv;
  if (model->nq != nq || model->nv != nv || model->nu != spec.nu)
    throw_env_error(spec.name, ": its model (", model_path(), ") has nq=", model->nq, " nv=", model->nv,
                    " nu=", model->nu, ", expected nq=", nq, " nv=", nv, " nu=", spec.nu);
  init(options);
}

void LocomotionEnv::init(const Options& options) {
  const LocomotionSpec& spec = spec_;
  if (spec.contact_forces) contact_forces_in_obs_ = options.get_bool(spec.name, "contact_forces_in_obs");
  com_in_obs_ = options.get_bool(spec.name, "com_in_obs");
  set_observation_space(Box::unbounded(base_observation_size()));
}

int LocomotionEnv::base_observation_size() const {
  // Contact forces of every body but the world body, 6 values each.
  const int contact_size = contact_forces_in_obs_ ? 6 * (reference_model()->nbody - 1) : 0;
  return spec_.nq - spec_.qpos_skip + spec_.nv + contact_size + (com_in_obs_ ? 3 : 0);
}

LocomotionReward LocomotionEnv::default_reward(const LocomotionSpec& spec) {
  return [spec](const LocomotionState& s) {
    return spec.forward_weight * s.x_velocity + (s.healthy ? spec.healthy_reward : 0.0) -
           spec.ctrl_cost_weight * s.ctrl_sq - spec.contact_cost_weight * s.contact_sq;
  };
}

void LocomotionEnv::set_reward(std::string description, LocomotionReward reward) {
  reward_description_ = std::move(description);
  reward_ = std::move(reward);
}

void LocomotionEnv::reset_state(Rng& rng, float* obs) {
  reset_physics(rng);
  if (const double lift = spawn_lift(root_x(), root_y()); lift != 0.0) {
    std::vector<double> position(qpos(), qpos() + reference_model()->nq);
    const std::vector<double> velocity(data()->qvel, data()->qvel + reference_model()->nv);
    position[size_t(root_z_index())] += lift;
    set_state(position.data(), velocity.data());
  }
  if (spec_.contact_forces) mj_rnePostConstraint(model(), data_mut());
  state_ = LocomotionState{};
  state_.x_position = root_x();
  state_.y_position = root_y();
  write_observation(obs);
}

StepResult LocomotionEnv::advance(const float* action, float* obs, double* rewards, float* info) {
  const double x_before = root_x(), y_before = root_y();
  simulate(action);
  const mjModel* m = model();
  mjData* d = data_mut();
  // cfrc_ext is only filled by mj_rnePostConstraint; without it it reads zero.
  if (spec_.contact_forces) mj_rnePostConstraint(m, d);
  if (com_in_obs_) update_positions();

  LocomotionState& s = state_;
  s.x_position = root_x();
  s.y_position = root_y();
  s.x_velocity = (s.x_position - x_before) / dt();
  s.y_velocity = (s.y_position - y_before) / dt();
  s.ctrl_sq = 0.0;
  for (int j = 0; j < act_dim(); ++j) s.ctrl_sq += double(action[j]) * action[j];
  s.contact_sq = spec_.contact_forces ? contact_cost_sum() : 0.0;
  s.healthy = true;
  for (int i = 0; i < m->nq; ++i) s.healthy = s.healthy && std::isfinite(d->qpos[i]);
  for (int i = 0; i < m->nv; ++i) s.healthy = s.healthy && std::isfinite(d->qvel[i]);
  if (spec_.terminate_when_unhealthy) {
    const double z = d->qpos[2] - ground_height(s.x_position, s.y_position);
    s.healthy = s.healthy && z >= spec_.healthy_z_min && z <= spec_.healthy_z_max;
  }

  StepResult result;
  rewards[0] = reward_(s);
  result.terminated = spec_.terminate_when_unhealthy && !s.healthy;
  write_observation(obs);
  const double values[] = {s.x_velocity, s.y_velocity, s.x_position, s.y_position,
                           s.ctrl_sq,    s.contact_sq, s.healthy ? 1.0 : 0.0};
  std::copy(std::begin(values), std::end(values), info);
  return result;
}

double LocomotionEnv::contact_cost_sum() const {
  double sum = 0.0;
  const mjtNum* f = data()->cfrc_ext + 6;  // skip the world body
  const int n = 6 * (reference_model()->nbody - 1);
  for (int i = 0; i < n; ++i) {
    const double c = std::clamp<double>(f[i], -1.0, 1.0);
    sum += c * c;
  }
  return sum;
}

void LocomotionEnv::write_observation(float* obs) const {
  const mjData* d = data();
  const mjModel* m = model();
  float* out = obs;
  for (int i = spec_.qpos_skip; i < spec_.nq; ++i) *out++ = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < spec_.nv; ++i) *out++ = static_cast<float>(d->qvel[i]);
  if (contact_forces_in_obs_)
    for (int i = 6; i < 6 * m->nbody; ++i) *out++ = static_cast<float>(std::clamp<double>(d->cfrc_ext[i], -1.0, 1.0));
  if (com_in_obs_)
    for (int k = 0; k < 3; ++k) *out++ = static_cast<float>(d->subtree_com[3 * kTorsoBody + k]);
  write_extra_observation(out);
}

}  // namespace metarl
