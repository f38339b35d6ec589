// Legged and planar robots that run on flat ground (HalfCheetah, Ant, ...).
//
// One class serves every such robot; a LocomotionSpec says what differs
// (model, observation layout, when the robot counts as fallen, the default
// Gymnasium reward). Task families replace the reward: a reward is a function
// of the LocomotionState measured after each control step, so a new task
// family needs no change here.
#pragma once

#include <functional>
#include <string>

#include "envs/mujoco/mujoco_env.h"

namespace metarl {

struct LocomotionSpec {
  std::string name;
  std::string asset;  // file name under assets/
  int nq = 0, nv = 0, nu = 0;
  // Joints of the scene declared after the robot's (a pier's floating
  // blocks): their nq positions and nv velocities follow the robot's in the
  // model's state and are not observed.
  int scene_nq = 0, scene_nv = 0;
  // Leading qpos entries left out of the observation (1: root x; 2: root x and y).
  int qpos_skip = 1;
  // The root's qpos holds x and y (free joint) rather than x alone (planar slide).
  bool root_has_y = false;
  // Compute contact forces (mj_rnePostConstraint) for the reward, and append
  // clip(cfrc_ext[1:], -1, 1) to the observation unless the option turns it off.
  bool contact_forces = false;
  // Terminate when root z (qpos[2]) leaves [healthy_z_min, healthy_z_max].
  bool terminate_when_unhealthy = false;
  double healthy_z_min = 0.0, healthy_z_max = 0.0;
  // Default reward (Gymnasium): forward_weight*v + healthy_reward*healthy
  //   - ctrl_cost_weight*|a|^2 - contact_cost_weight*|clip(cfrc_ext)|^2.
  double forward_weight = 1.0;
  double healthy_reward = 0.0;
  double ctrl_cost_weight = 0.1;
  double contact_cost_weight = 0.0;
};

// A torso sphere on a free joint with `legs` Ant-shaped legs of two hinges
// each (assets/ant.xml, bug.xml, spider.xml): obs = qpos without root x, y,
// then qvel, then clipped contact forces; Gymnasium's Ant reward and
// termination (torso z outside [0.2, 1]).
LocomotionSpec legged_robot_spec(std::string name, std::string asset, int legs);

// HalfCheetah's (Gymnasium's planar cheetah).
LocomotionSpec half_cheetah_spec();

// The options of a locomotion env of `spec` (its registry entry's): the
// MuJoCo settings, contact_forces_in_obs (robots with contact forces only)
// and com_in_obs.
OptionSpecs locomotion_options(const LocomotionSpec& spec);

// What one control step did, measured after it.
struct LocomotionState {
  double x_velocity = 0, y_velocity = 0;  // root displacement over dt
  double x_position = 0, y_position = 0;  // root position after the step
  double ctrl_sq = 0;                     // |a|^2 of the action as given
  double contact_sq = 0;                  // |clip(cfrc_ext[1:], -1, 1)|^2 (0 without contact forces)
  bool healthy = true;
};

using LocomotionReward = std::function<double(const LocomotionState&)>;

class LocomotionEnv : public MujocoEnv {
 public:
  // Options: locomotion_options(spec), resolved (the registry does that).
  LocomotionEnv(const LocomotionSpec& spec, const Options& options);

  const LocomotionSpec& spec() const { return spec_; }
  // Replaces the reward (task families call this); `description` names it.
  void set_reward(std::string description, LocomotionReward reward);
  const std::string& reward_description() const { return reward_description_; }
  // The last step's measurements.
  const LocomotionState& state() const { return state_; }

  // The Gymnasium forward-running reward of a spec.
  static LocomotionReward default_reward(const LocomotionSpec& spec);

 protected:
  // `spec`'s robot on a model the caller compiled (its MJCF changed in
  // memory, as terrain envs do); the model's sizes must be the spec's
  // (the robot's and its scene's).
  LocomotionEnv(const LocomotionSpec& spec, const Options& options, std::shared_ptr<const mjModel> model);

  void reset_state(Rng& rng, float* obs) override;
  StepResult advance(const float* action, float* obs, double* rewards, float* info) override;

  // Uneven ground (envs/mujoco/terrain_env.h): the ground's height under
  // (x, y), which the health check measures the torso from, and how far
  // above its reset pose the robot starts so that no part of it starts in
  // the ground at (x, y). Flat ground: both 0.
  virtual double ground_height(double /*x*/, double /*y*/) const { return 0.0; }
  virtual double spawn_lift(double /*x*/, double /*y*/) const { return 0.0; }
  // The observation this class writes, before any extra entries.
  int base_observation_size() const;
  // Entries a derived env appends to the observation (after those above);
  // it declares the total size with set_observation_space.
  virtual void write_extra_observation(float* /*out*/) const {}
  // The qpos entry holding the root's height (a free joint's z, or a planar root's slide).
  int root_z_index() const { return spec_.root_has_y ? 2 : 1; }
  double root_x() const { return qpos()[0]; }
  double root_y() const { return spec_.root_has_y ? qpos()[1] : 0.0; }

 private:
  void init(const Options& options);
  void write_observation(float* obs) const;
  double contact_cost_sum() const;

  LocomotionSpec spec_;
  bool contact_forces_in_obs_ = false;
  bool com_in_obs_ = false;
  LocomotionReward reward_;
  std::string reward_description_;
  LocomotionState state_;
};

}  // namespace metarl
