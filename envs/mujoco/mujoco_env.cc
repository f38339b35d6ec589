#include "envs/mujoco/mujoco_env.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

#include "envs/core/bytes.h"
#include "envs/core/error.h"

#ifndef METARL_ASSETS_DIR
#error "METARL_ASSETS_DIR must be defined by the build"
#endif

namespace metarl {
namespace {

// MuJoCo prints warnings (e.g. an unstable simulation) to stdout and appends
// them to MUJOCO_LOG.TXT in the working directory. Send them to stderr
// instead, so stdout stays clean JSON lines and no stray files appear.
void warning_to_stderr(const char* message) { std::fprintf(stderr, "metarl: MuJoCo warning: %s\n", message); }

const bool kWarningHandlerInstalled = [] {
  mju_user_warning = warning_to_stderr;
  return true;
}();

}  // namespace

std::string assets_dir() {
  if (const char* dir = std::getenv("METARL_ASSETS_DIR"); dir && *dir) return dir;
  return METARL_ASSETS_DIR;
}

void MujocoSettings::read(const std::string& env_name, const Options& options) {
  frame_skip = options.get_int(env_name, "frame_skip");
  reset_noise_scale = options.get_double(env_name, "reset_noise_scale");
  max_episode_steps = options.get_int(env_name, "max_episode_steps");
  model_path = options.get_string(env_name, "model_path");
}

OptionSpecs mujoco_options(const std::string& asset) {
  return {
      int_option("frame_skip", 5, "physics steps per control step").positive(),
      double_option("reset_noise_scale", 0.1, "reset: qpos += U(-s, s), qvel += s N(0, 1)").at_least(0),
      int_option("max_episode_steps", 1000, "time limit (truncation)").positive(),
      string_option("model_path", asset, "MJCF file, absolute or relative to the assets directory"),
  };
}

std::shared_ptr<const mjModel> load_reference_model(const std::string& env_name, const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const mjModel>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(path); it != cache.end()) return it->second;

  if (!std::ifstream(path).good()) throw_env_error(env_name, ": MJCF file '", path, "' not found or unreadable");
  char error[1024] = "";
  mjModel* model = mj_loadXML(path.c_str(), nullptr, error, sizeof error);
  if (!model) {
    std::string message = error;
    for (char& c : message)
      if (c == '\n') c = ' ';  // keep the error on one line
    throw_env_error(env_name, ": cannot load MJCF '", path, "': ", message);
  }
  std::shared_ptr<const mjModel> shared(model, [](const mjModel* m) { mj_deleteModel(const_cast<mjModel*>(m)); });
  cache.emplace(path, shared);
  return shared;
}

MujocoEnv::MujocoEnv(const std::string& name, const MujocoSettings& settings, int expected_nq, int expected_nv,
                     int expected_nu, std::vector<std::string> info_names)
    : Env(name, Box(), Box({expected_nu}, -1.0, 1.0), std::move(info_names),
          settings.max_episode_steps),
      settings_(settings) {
  model_path_ = settings.model_path.empty() || settings.model_path[0] == '/'
                    ? settings.model_path
                    : assets_dir() + "/" + settings.model_path;
  reference_ = load_reference_model(name, model_path_);
  const mjModel* ref = reference_.get();
  if (ref->nq != expected_nq || ref->nv != expected_nv || ref->nu != expected_nu)
    throw_env_error(name, ": MJCF '", model_path_, "' has nq=", ref->nq, " nv=", ref->nv, " nu=", ref->nu,
                    ", expected nq=", expected_nq, " nv=", expected_nv, " nu=", expected_nu);
  model_ = mj_copyModel(nullptr, ref);
  data_ = mj_makeData(model_);
  if (!model_ || !data_) throw_env_error(name, ": out of memory copying model '", model_path_, "'");
}

MujocoEnv::~MujocoEnv() {
  if (data_) mj_deleteData(data_);
  if (model_) mj_deleteModel(model_);
}

void MujocoEnv::simulate(const float* action) {
  for (int j = 0; j < model_->nu; ++j) data_->ctrl[j] = action[j];
  for (int k = 0; k < settings_.frame_skip; ++k) mj_step(model_, data_);
}

void MujocoEnv::set_state(const double* qpos, const double* qvel) {
  std::copy(qpos, qpos + model_->nq, data_->qpos);
  std::copy(qvel, qvel + model_->nv, data_->qvel);
  mj_forward(model_, data_);
}

namespace {

// The mjData arrays that mj_step reads before recomputing everything else:
// positions, velocities, actuator activations, controls, the solver's warm
// start and the applied forces. (The whole mjData buffer would be megabytes,
// mostly constraint workspace.)
template <typename Visit>
void for_each_state_array(const mjModel* m, mjData* d, Visit visit) {
  visit(d->qpos, m->nq);
  visit(d->qvel, m->nv);
  visit(d->act, m->na);
  visit(d->ctrl, m->nu);
  visit(d->qacc_warmstart, m->nv);
  visit(d->qfrc_applied, m->nv);
  visit(d->xfrc_applied, 6 * m->nbody);
  visit(d->mocap_pos, 3 * m->nmocap);
  visit(d->mocap_quat, 4 * m->nmocap);
  visit(d->userdata, m->nuserdata);
}

}  // namespace

void MujocoEnv::save_dynamic_state(std::string& out) const {
  append_bytes(out, &data_->time, sizeof data_->time);
  for_each_state_array(model_, data_, [&](const mjtNum* array, int n) { append_bytes(out, array, n * sizeof(mjtNum)); });
}

void MujocoEnv::load_dynamic_state(const std::string& in, size_t& offset) {
  const size_t start = offset;
  auto read_state = [&] {
    offset = start;
    read_bytes(in, offset, &data_->time, sizeof data_->time, name());
    for_each_state_array(model_, data_,
                         [&](mjtNum* array, int n) { read_bytes(in, offset, array, n * sizeof(mjtNum), name()); });
  };
  read_state();
  // Derived quantities (body positions, contacts), so that data() is
  // consistent before the next step.
  mj_forward(model_, data_);
  // mj_forward also writes to the state: it renormalises the quaternions in
  // qpos (not bit-idempotent) and replaces qacc_warmstart with the
  // acceleration it solved for, where the constraint solver of the next
  // mj_step would start. Either makes a resumed run drift from the
  // uninterrupted one by rounding: the next step must start from the saved bytes.
  read_state();
}

void MujocoEnv::reset_physics(Rng& rng) {
  mj_resetData(model_, data_);
  const double s = settings_.reset_noise_scale;
  for (int i = 0; i < model_->nq; ++i) data_->qpos[i] = model_->qpos0[i] + rng.uniform(-s, s);
  for (int i = 0; i < model_->nv; ++i) data_->qvel[i] = s * rng.normal();
  mj_forward(model_, data_);
}

}  // namespace metarl
