// Base of every MuJoCo environment.
//
// The MJCF file is parsed and compiled once per path (a process-wide cache of
// reference models); each env then owns a private mjModel copy and its own
// mjData, so dynamics schedules can change one env's physics without touching
// another's, and envs can step on different threads without sharing anything.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

#include "envs/core/env.h"
#include "envs/core/options.h"

namespace metarl {

// Directory holding the project's MJCF models: $METARL_ASSETS_DIR if set,
// else the source tree's assets/ folder.
std::string assets_dir();

// Where an env's model comes from and how it is stepped.
struct MujocoSettings {
  std::string model_path;      // absolute, or relative to assets_dir()
  int frame_skip = 0;          // physics steps per control step
  double reset_noise_scale = 0;
  int max_episode_steps = 0;
  // Reads frame_skip, reset_noise_scale, max_episode_steps and model_path
  // from options resolved against mujoco_options().
  void read(const std::string& env_name, const Options& options);
};

// The options MujocoSettings reads, with their defaults (the model file's is `asset`).
OptionSpecs mujoco_options(const std::string& asset);

class MujocoEnv : public Env {
 public:
  ~MujocoEnv() override;

  // This env's own model: schedules write here.
  mjModel* model() { return model_; }
  const mjModel* model() const { return model_; }
  // The model as loaded from the file, shared by all envs of that file. Never changes.
  const mjModel* reference_model() const { return reference_.get(); }
  const mjData* data() const { return data_; }
  int frame_skip() const { return settings_.frame_skip; }
  // Seconds of simulated time per control step.
  double dt() const { return settings_.frame_skip * model_->opt.timestep; }
  const std::string& model_path() const { return model_path_; }

  // Puts the physics in a given state (nq positions, nv velocities) and
  // recomputes derived quantities. For tests and scripted starts; the next
  // step's velocity is measured from this state.
  void set_state(const double* qpos, const double* qvel);

 protected:
  // Loads (or fetches from the cache) the model and checks its sizes. The
  // derived class sets the observation space once the model is known.
  MujocoEnv(const std::string& name, const MujocoSettings& settings, int expected_nq, int expected_nv,
            int expected_nu, std::vector<std::string> info_names);

  // Writes the action into ctrl and advances frame_skip physics steps.
  void simulate(const float* action);
  // mj_resetData, then qpos += U(-s, s), qvel += s * N(0, 1), then mj_forward.
  void reset_physics(Rng& rng);

  mjData* data_mut() { return data_; }

  // Physics state: simulation time and the arrays mj_step starts from (qpos,
  // qvel, act, ctrl, warm-start accelerations, applied forces), so that
  // stepping continues bit-exactly.
  void save_dynamic_state(std::string& out) const override;
  void load_dynamic_state(const std::string& in, size_t& offset) override;

 private:
  MujocoSettings settings_;
  std::string model_path_;
  std::shared_ptr<const mjModel> reference_;
  mjModel* model_ = nullptr;
  mjData* data_ = nullptr;
};

// The compiled model for `path`, loading and caching it on first use. Throws
// an EnvError naming `env_name` and the file when it is missing or malformed.
std::shared_ptr<const mjModel> load_reference_model(const std::string& env_name, const std::string& path);

}  // namespace metarl
