// Base of every MuJoCo environment.
//
// The MJCF file is parsed and compiled once per path (a process-wide cache of
// reference models). An env owns no mjModel or mjData: it keeps its physics
// state (the arrays mj_step starts from, a few hundred bytes) and the numbers
// its dynamics schedules changed in the model ("edits"). Each thread keeps one
// model copy and one mjData per reference model (its workspace) and loads an
// env's edits and state into them to step it. Stepping is bit-identical to an
// env with its own model and data, but hundreds of envs no longer spread the
// per-step working set (an mjData is ~0.7 MB, a model copy ~15 KB) across
// hundreds of megabytes: 800 envs run at the rate of 40.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

#include "envs/core/env.h"
#include "envs/core/options.h"

namespace metarl {

// Directory holding the project's MJCF models: $METARL_ASSETS_DIR if set,
// else the source tree's assets/ folder.
std::string assets_dir();

// A model file as an env's options name it: absolute, or relative to assets_dir().
std::string asset_path(const std::string& model_path);

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

// The model numbers dynamics schedules may change. All are mjtNum arrays
// except kGeomSameframe (mjtByte: 0 computes a geom's frame from geom_pos and
// geom_quat, 1 / 2 copy its body's frame / inertial frame), read and written
// as the number 0, 1 or 2.
enum class ModelArray {
  kActuatorGear,
  kGeomFriction,
  kGravity,
  kBodyMass,
  kBodyInertia,
  kDofDamping,
  kGeomSize,       // ngeom x 3
  kGeomPos,        // ngeom x 3, in the body's frame
  kGeomRbound,     // ngeom: bounding-sphere radius (the broad phase's)
  kGeomSameframe,  // ngeom
};
// Element `index` of one of those arrays of `m`.
mjtNum model_number(const mjModel* m, ModelArray array, int index);
void set_model_number(mjModel* m, ModelArray array, int index, mjtNum value);

// One changed model number: set_model_number(m, array, index, value).
struct ModelEdit {
  ModelArray array;
  int index;
  mjtNum value;
};

struct PhysicsWorkspace;

class MujocoEnv : public Env {
 public:
  ~MujocoEnv() override;

  // The model and data this env's physics runs on: the calling thread's
  // workspace, holding this env's edits and state (with every derived
  // quantity). They stay this env's until the thread uses another env of the
  // same model file: read what you need before touching another env, and
  // never compare two envs through these pointers (model_value compares safely).
  const mjModel* model() const;
  const mjData* data() const;
  // The model as loaded from the file, shared by all envs of that file. Never
  // changes: sizes, names and ids are read here.
  const mjModel* reference_model() const { return reference_.get(); }
  const std::shared_ptr<const mjModel>& shared_reference_model() const { return reference_; }
  int frame_skip() const { return settings_.frame_skip; }
  double reset_noise_scale() const { return settings_.reset_noise_scale; }
  // Seconds of simulated time per control step (schedules never change the timestep).
  double dt() const { return settings_.frame_skip * reference_->opt.timestep; }
  // The model file, or a description of a model assembled in memory.
  const std::string& model_path() const { return model_path_; }
  // The physics state's nq positions, read without touching the workspace
  // (binding it outside a step costs an mj_forward).
  const mjtNum* qpos() const { return state_.data() + 1; }

  // A model number as this env's physics uses it (edited or the reference's).
  mjtNum model_value(ModelArray array, int index) const;
  // Changes a model number for this env only (dynamics schedules call this).
  // Setting the reference's value removes the edit.
  void set_model_value(ModelArray array, int index, mjtNum value);
  const std::vector<ModelEdit>& model_edits() const { return edits_; }

  // Heightfields. An env may replace the elevation data of any heightfield
  // of its model (terrain tasks and schedules): `data` holds nrow x ncol
  // values in [0, 1] (row-major, rows along +y, columns along +x), scaled
  // by the size the MJCF declares, shared between envs with the same
  // terrain; nullptr restores the reference's. Only the data changes, never
  // the declared size, which the broad phase relies on.
  void set_hfield_data(int hfield, std::shared_ptr<const std::vector<float>> data);
  // This env's elevation data of `hfield` (the reference's when not replaced).
  const float* hfield_data(int hfield) const;

  // The rule ending this env's episodes before its time limit, as a
  // function of the physics alone (MujocoStepping::episode_ended); empty
  // when the raw loop should ignore it.
  virtual std::function<bool(const mjData*)> physics_episode_end() const { return {}; }

  // Puts the physics in a given state (nq positions, nv velocities) and
  // recomputes derived quantities. For tests and scripted starts; the next
  // step's velocity is measured from this state.
  void set_state(const double* qpos, const double* qvel);

 protected:
  // Loads (or fetches from the cache) the model and checks its sizes. The
  // derived class sets the observation space once the model is known.
  MujocoEnv(const std::string& name, const MujocoSettings& settings, int expected_nq, int expected_nv,
            int expected_nu, std::vector<std::string> info_names);
  // An env on a model compiled by the caller (a scene assembled in memory,
  // load_reference_model_from_xml), with its agents' spaces; settings'
  // model_path describes where the model came from.
  MujocoEnv(const std::string& name, const MujocoSettings& settings, std::shared_ptr<const mjModel> reference,
            std::vector<AgentSpaces> agents, std::vector<std::string> info_names);

  // Writes the action into ctrl and advances frame_skip physics steps.
  void simulate(const float* action);
  // mj_resetData, then qpos += U(-s, s), qvel += s * N(0, 1), then mj_forward.
  void reset_physics(Rng& rng);

  // mj_kinematics and mj_comPos on the current state: mj_step leaves
  // position-dependent quantities (subtree_com) at the positions before its
  // last integration. mj_kinematics also renormalises qpos's quaternions in
  // place, and that is state: the env keeps them renormalised, as the next
  // step would have found them in an mjData of its own.
  void update_positions();

  // For computing derived quantities after a step (mj_rnePostConstraint):
  // whatever is written here must not be physics state, which lives in the
  // env and is only changed by simulate, reset_physics, set_state and
  // update_positions (mj_kinematics writes qpos, so it goes through the latter).
  mjData* data_mut();

  // Physics state: simulation time and the arrays mj_step starts from (qpos,
  // qvel, act, ctrl, warm-start accelerations, applied forces), so that
  // stepping continues bit-exactly.
  void save_dynamic_state(std::string& out) const override;
  void load_dynamic_state(const std::string& in, size_t& offset) override;

 private:
  // The calling thread's workspace for this env's model file, holding this
  // env's edits and state; `derived` also brings the derived quantities up to
  // date (mj_forward), which a caller about to step does not need.
  PhysicsWorkspace& bind(bool derived) const;
  // Takes the workspace's state as this env's after it changed the physics.
  void store_state(PhysicsWorkspace& workspace);

  MujocoSettings settings_;
  std::string model_path_;
  std::shared_ptr<const mjModel> reference_;
  std::vector<ModelEdit> edits_;
  // Per heightfield of the model: this env's elevation data, or nullptr for the reference's.
  std::vector<std::shared_ptr<const std::vector<float>>> hfields_;
  // time, then the state arrays in the order of the checkpoint format.
  std::vector<mjtNum> state_;
  // Which env, and which version of its edits and state, a workspace holds.
  uint64_t id_;
  uint64_t version_ = 0;
};

// What a bare mj_step loop needs to simulate as a MuJoCo env does (`metarl
// bench` compares envs with one).
struct MujocoStepping {
  std::shared_ptr<const mjModel> model;  // the env's reference model
  int frame_skip = 0;
  int episode_steps = 0;  // the env's time limit
  // For envs whose episodes end on a rule the raw loop should follow too
  // (a sumo match ends when a robot is out, and restarts from a drop): true
  // when the state in `data` ends the episode. Empty: only the time limit.
  std::function<bool(const mjData*)> episode_ended;
};
// `env`'s stepping, or nothing when it has no MuJoCo model.
std::optional<MujocoStepping> mujoco_stepping(const Env& env);

// The compiled model for `path`, loading and caching it on first use. Throws
// an EnvError naming `env_name` and the file when it is missing or malformed.
std::shared_ptr<const mjModel> load_reference_model(const std::string& env_name, const std::string& path);
// The same for a model's MJCF text (a scene assembled in memory, without
// file references), cached by that text.
std::shared_ptr<const mjModel> load_reference_model_from_xml(const std::string& env_name, const std::string& xml);

}  // namespace metarl
