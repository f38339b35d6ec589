// RoboSumo (Al-Shedivat et al. 2018): two robots on a platform, each trying
// to push the other off. One env, two agents (seat 0 and seat 1), on the
// scene of sumo_scene.h. The rules are envs/core/match.h's; RoboSumo's
// numbers are in ANCHORS §3.
//
// Per agent (seat k, the other o):
//   observation  own qpos (7 + hinges), own qvel (6 + hinges),
//                |clip(cfrc_ext, ±100)| of each own body (6 each),
//                o's qpos[:7], |clip(cfrc_ext, ±100)| of o's torso (6);
//                Ant 120, Bug 164, Spider 208. The ring arena appends its
//                radius and both torsos' distances to its edge (+3).
//   loses        torso z < 0.29 (fell off the platform), or pushed out:
//                max(|x|, |y|) >= 2.1 on the tatami, ‖xy‖ >= radius on the ring
//   shaping      reward_ctrl = -0.1‖a‖², reward_push = -10 exp(-‖o's xy‖),
//                reward_move = 0.1 max(0, v_xy · unit(o's xy - own xy)),
//                each times the dense weight
// Contact forces are those of the step just taken: mj_rnePostConstraint runs
// after mj_step (cfrc_ext is not filled otherwise, the original's bug).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "envs/core/match.h"
#include "envs/core/options.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/sumo/sumo_scene.h"

namespace metarl {

class SumoEnv : public MujocoEnv, public MatchEnv {
 public:
  static constexpr double kFallZ = 0.29;
  static constexpr double kTatamiOut = 2.1;
  static constexpr double kStartRadius = 1.15;
  static constexpr double kStartZ = 1.25;
  static constexpr double kForceClip = 100;

  // The options of a sumo env whose seats default to `robot`.
  static OptionSpecs option_specs(const std::string& robot);
  // Observation size of a robot with `legs` legs (the ring adds 3, the clock 1).
  static int observation_size(int legs, SumoArena arena, bool observe_time = false);

  SumoEnv(const std::string& name, const Options& options);

  void set_dense_weight(double weight) override;
  double dense_weight() const override { return dense_weight_; }

  const SumoSceneSpec& scene() const { return spec_; }
  const SumoSeat& seat(int k) const { return seats_[size_t(k)]; }
  // The platform's radius this episode (ring), or 0 (tatami).
  double ring_radius() const { return ring_radius_; }
  // Why seat k loses in the current state (kNone: it does not).
  LossReason loss_reason(int k) const;

  double force_scale() const { return force_scale_; }
  // Which entries of seat k's observation are contact forces (scaled by
  // force_scale): a player trained at another scale is met with those
  // entries rescaled (experiments/players.h). write_observation's layout.
  std::vector<bool> force_entries(int k) const;

  // A robot out or fallen, read from raw physics (the bench's raw loop).
  std::function<bool(const mjData*)> physics_episode_end() const override;

  // Puts seat k's torso at (x, y, z) with heading `yaw`, keeping every other
  // coordinate, at rest (tests and scripted starts).
  void place(int k, double x, double y, double z, double yaw);

 protected:
  void reset_state(Rng& rng, float* obs) override;
  StepResult advance(const float* actions, float* obs, double* rewards, float* info) override;
  void save_dynamic_state(std::string& out) const override;
  void load_dynamic_state(const std::string& in, size_t& offset) override;

 private:
  // Fills cfrc_ext for the current state and writes both observations;
  // `steps` into the episode.
  void observe(float* obs, int steps);
  void write_observation(int k, const mjData* d, int steps, float* obs) const;
  void set_ring_radius(double radius);
  double torso(int k, int axis) const { return qpos()[seats_[size_t(k)].qpos_begin + axis]; }

  SumoSceneSpec spec_;
  std::array<SumoSeat, 2> seats_;
  double ring_radius_min_ = 0, ring_radius_max_ = 0;
  double ring_radius_ = 0;
  double dense_weight_ = 1;
  bool observe_time_ = false;
  double force_scale_ = 1;
  std::vector<float> ctrl_;  // both seats' actions, in actuator order
  int platform_geom_ = -1;
};

}  // namespace metarl
