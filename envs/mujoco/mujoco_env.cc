#include "envs/mujoco/mujoco_env.h"

#include <algorithm>
#include <atomic>
#include <cstring>
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

namespace {

// Compiled models by where they came from (a path, or "xml:" and the text
// of a model assembled in memory): each is parsed and compiled once.
std::mutex model_cache_mutex;
std::map<std::string, std::shared_ptr<const mjModel>> model_cache;

std::shared_ptr<const mjModel> share_model(mjModel* model) {
  return std::shared_ptr<const mjModel>(model, [](const mjModel* m) { mj_deleteModel(const_cast<mjModel*>(m)); });
}

[[noreturn]] void throw_load_error(const std::string& env_name, const std::string& what, const char* error) {
  std::string message = error;
  for (char& c : message)
    if (c == '\n') c = ' ';  // keep the error on one line
  throw_env_error(env_name, ": cannot load ", what, ": ", message);
}

}  // namespace

std::shared_ptr<const mjModel> load_reference_model(const std::string& env_name, const std::string& path) {
  std::lock_guard<std::mutex> lock(model_cache_mutex);
  if (auto it = model_cache.find(path); it != model_cache.end()) return it->second;

  if (!std::ifstream(path).good()) throw_env_error(env_name, ": MJCF file '", path, "' not found or unreadable");
  char error[1024] = "";
  mjModel* model = mj_loadXML(path.c_str(), nullptr, error, sizeof error);
  if (!model) throw_load_error(env_name, "MJCF '" + path + "'", error);
  return model_cache.emplace(path, share_model(model)).first->second;
}

std::shared_ptr<const mjModel> load_reference_model_from_xml(const std::string& env_name, const std::string& xml) {
  const std::string key = "xml:" + xml;
  std::lock_guard<std::mutex> lock(model_cache_mutex);
  if (auto it = model_cache.find(key); it != model_cache.end()) return it->second;

  // mj_loadXML reads from a virtual file system; mjVFS is large (megabytes), so not on the stack.
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  const char* file = "assembled.xml";
  if (mj_makeEmptyFileVFS(vfs.get(), file, int(xml.size())) != 0)
    throw_env_error(env_name, ": cannot hold the assembled MJCF (", xml.size(), " bytes) in MuJoCo's VFS");
  std::memcpy(vfs->filedata[mj_findFileVFS(vfs.get(), file)], xml.data(), xml.size());
  char error[1024] = "";
  mjModel* model = mj_loadXML(file, vfs.get(), error, sizeof error);
  mj_deleteVFS(vfs.get());
  if (!model) throw_load_error(env_name, "its assembled MJCF", error);
  return model_cache.emplace(key, share_model(model)).first->second;
}

std::optional<MujocoStepping> mujoco_stepping(const Env& env) {
  const auto* mujoco = dynamic_cast<const MujocoEnv*>(&env);
  if (!mujoco) return std::nullopt;
  return MujocoStepping{mujoco->shared_reference_model(), mujoco->frame_skip(), mujoco->max_episode_steps(),
                        mujoco->physics_episode_end()};
}

namespace {

mjtNum* number_array(mjModel* m, ModelArray array) {
  switch (array) {
    case ModelArray::kActuatorGear: return m->actuator_gear;
    case ModelArray::kGeomFriction: return m->geom_friction;
    case ModelArray::kGravity: return m->opt.gravity;
    case ModelArray::kBodyMass: return m->body_mass;
    case ModelArray::kBodyInertia: return m->body_inertia;
    case ModelArray::kDofDamping: return m->dof_damping;
    case ModelArray::kGeomSize: return m->geom_size;
    case ModelArray::kGeomPos: return m->geom_pos;
    case ModelArray::kGeomRbound: return m->geom_rbound;
    case ModelArray::kGeomSameframe: return nullptr;  // bytes
  }
  return nullptr;
}

}  // namespace

mjtNum model_number(const mjModel* m, ModelArray array, int index) {
  if (array == ModelArray::kGeomSameframe) return m->geom_sameframe[index];
  return number_array(const_cast<mjModel*>(m), array)[index];
}

void set_model_number(mjModel* m, ModelArray array, int index, mjtNum value) {
  if (array == ModelArray::kGeomSameframe)
    m->geom_sameframe[index] = static_cast<mjtByte>(value);
  else
    number_array(m, array)[index] = value;
}

// One thread's physics for one model file: a model copy holding the edits of
// the env it serves, and an mjData holding that env's state.
struct PhysicsWorkspace {
  explicit PhysicsWorkspace(std::shared_ptr<const mjModel> ref)
      : reference(std::move(ref)), model(mj_copyModel(nullptr, reference.get())), data(mj_makeData(model)) {
    if (!model || !data) throw_env_error("MuJoCo: out of memory for a thread's physics workspace");
  }
  ~PhysicsWorkspace() {
    mj_deleteData(data);
    mj_deleteModel(model);
  }
  PhysicsWorkspace(const PhysicsWorkspace&) = delete;
  PhysicsWorkspace& operator=(const PhysicsWorkspace&) = delete;

  // Makes the model the reference with `edits`.
  void apply(const std::vector<ModelEdit>& edits) {
    for (const ModelEdit& e : applied)
      set_model_number(model, e.array, e.index, model_number(reference.get(), e.array, e.index));
    for (const ModelEdit& e : edits) set_model_number(model, e.array, e.index, e.value);
    applied = edits;
  }

  // Makes the model's heightfield data `hfields` (nullptr: the reference's).
  // Envs with the same terrain share one buffer, so a thread stepping them
  // in turn copies nothing.
  void apply_hfields(const std::vector<std::shared_ptr<const std::vector<float>>>& hfields) {
    if (loaded_hfields.empty()) loaded_hfields.resize(size_t(model->nhfield));
    for (int h = 0; h < model->nhfield; ++h) {
      const auto& wanted = hfields.empty() ? nullptr : hfields[size_t(h)];
      if (loaded_hfields[size_t(h)] == wanted) continue;
      const int n = model->hfield_nrow[h] * model->hfield_ncol[h];
      const float* from = wanted ? wanted->data() : reference->hfield_data + reference->hfield_adr[h];
      std::copy(from, from + n, model->hfield_data + model->hfield_adr[h]);
      loaded_hfields[size_t(h)] = wanted;
    }
  }

  std::shared_ptr<const mjModel> reference;
  mjModel* model;
  mjData* data;
  std::vector<ModelEdit> applied;
  // The env-owned elevation data each heightfield holds (nullptr: the
  // reference's), kept alive so that its address is never reused for other data.
  std::vector<std::shared_ptr<const std::vector<float>>> loaded_hfields;
  // The env (and version of its edits and state) that model and data hold; 0: none.
  uint64_t owner = 0, owner_version = 0;
};

namespace {

PhysicsWorkspace& workspace_for(const std::shared_ptr<const mjModel>& reference) {
  // Usually one model file per process: a short list beats a map, and the
  // last one used is checked first (this runs several times per env step).
  thread_local std::vector<std::unique_ptr<PhysicsWorkspace>> workspaces;
  thread_local PhysicsWorkspace* last = nullptr;
  if (last && last->reference == reference) return *last;
  for (auto& w : workspaces)
    if (w->reference == reference) return *(last = w.get());
  workspaces.push_back(std::make_unique<PhysicsWorkspace>(reference));
  return *(last = workspaces.back().get());
}

uint64_t new_env_id() {
  static std::atomic<uint64_t> next{1};
  return next++;
}

// The mjData arrays that mj_step reads before recomputing everything else:
// positions, velocities, actuator activations, controls, the solver's warm
// start and the applied forces. Everything else in mjData is derived from
// them (and the model) by mj_step or mj_forward.
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

// state = {time, the state arrays} <-> data (qpos first: MujocoEnv::qpos relies on it).
void copy_state_to_data(const std::vector<mjtNum>& state, const mjModel* m, mjData* d) {
  const mjtNum* from = state.data();
  d->time = *from++;
  for_each_state_array(m, d, [&](mjtNum* array, int n) {
    std::copy(from, from + n, array);
    from += n;
  });
}

void copy_data_to_state(const mjModel* m, mjData* d, std::vector<mjtNum>& state) {
  mjtNum* to = state.data();
  *to++ = d->time;
  for_each_state_array(m, d, [&](const mjtNum* array, int n) { to = std::copy(array, array + n, to); });
}

size_t state_size(const mjModel* m, mjData* d) {
  size_t size = 1;  // time
  for_each_state_array(m, d, [&](mjtNum*, int n) { size += size_t(n); });
  return size;
}

}  // namespace

std::string asset_path(const std::string& model_path) {
  return model_path.empty() || model_path[0] == '/' ? model_path : assets_dir() + "/" + model_path;
}

MujocoEnv::MujocoEnv(const std::string& name, const MujocoSettings& settings, int expected_nq, int expected_nv,
                     int expected_nu, std::vector<std::string> info_names)
    : MujocoEnv(name, settings, load_reference_model(name, asset_path(settings.model_path)),
                {AgentSpaces{Box(), Box({expected_nu}, -1.0, 1.0)}}, std::move(info_names)) {
  model_path_ = asset_path(settings.model_path);
  const mjModel* ref = reference_.get();
  if (ref->nq != expected_nq || ref->nv != expected_nv || ref->nu != expected_nu)
    throw_env_error(name, ": MJCF '", model_path_, "' has nq=", ref->nq, " nv=", ref->nv, " nu=", ref->nu,
                    ", expected nq=", expected_nq, " nv=", expected_nv, " nu=", expected_nu);
}

MujocoEnv::MujocoEnv(const std::string& name, const MujocoSettings& settings, std::shared_ptr<const mjModel> reference,
                     std::vector<AgentSpaces> agents, std::vector<std::string> info_names)
    : Env(name, std::move(agents), std::move(info_names), settings.max_episode_steps),
      settings_(settings),
      model_path_(settings.model_path),
      reference_(std::move(reference)),
      id_(new_env_id()) {
  // The state of a fresh mjData (mj_makeData resets it): what an env with
  // its own data started from before its first reset.
  PhysicsWorkspace& w = workspace_for(reference_);
  w.apply(edits_);
  w.apply_hfields(hfields_);
  state_.resize(state_size(w.model, w.data));
  mj_resetData(w.model, w.data);
  store_state(w);
}

MujocoEnv::~MujocoEnv() = default;

PhysicsWorkspace& MujocoEnv::bind(bool derived) const {
  PhysicsWorkspace& w = workspace_for(reference_);
  if (w.owner == id_ && w.owner_version == version_) return w;
  w.owner = 0;  // holds nobody's consistent physics until this is done
  w.apply(edits_);
  w.apply_hfields(hfields_);
  copy_state_to_data(state_, w.model, w.data);
  if (derived) {
    mj_forward(w.model, w.data);
    // mj_forward also writes to the state: it renormalises the quaternions
    // in qpos (not bit-idempotent) and replaces qacc_warmstart with the
    // acceleration it solved for. The env's state must stay what it was.
    copy_state_to_data(state_, w.model, w.data);
    w.owner = id_;
    w.owner_version = version_;
  }
  return w;
}

void MujocoEnv::store_state(PhysicsWorkspace& w) {
  copy_data_to_state(w.model, w.data, state_);
  w.owner = id_;
  w.owner_version = ++version_;
}

const mjModel* MujocoEnv::model() const { return bind(true).model; }
const mjData* MujocoEnv::data() const { return bind(true).data; }
mjData* MujocoEnv::data_mut() { return bind(true).data; }

mjtNum MujocoEnv::model_value(ModelArray array, int index) const {
  for (const ModelEdit& e : edits_)
    if (e.array == array && e.index == index) return e.value;
  return model_number(reference_.get(), array, index);
}

void MujocoEnv::set_model_value(ModelArray array, int index, mjtNum value) {
  const mjtNum reference = model_number(reference_.get(), array, index);
  // Bitwise: a changed sign of zero is a change.
  const bool is_reference = std::memcmp(&value, &reference, sizeof value) == 0;
  auto it = std::find_if(edits_.begin(), edits_.end(),
                         [&](const ModelEdit& e) { return e.array == array && e.index == index; });
  if (it != edits_.end()) {
    if (std::memcmp(&it->value, &value, sizeof value) == 0) return;
    if (is_reference)
      edits_.erase(it);
    else
      it->value = value;
  } else {
    if (is_reference) return;
    edits_.push_back({array, index, value});
  }
  ++version_;
}

void MujocoEnv::set_hfield_data(int hfield, std::shared_ptr<const std::vector<float>> data) {
  const mjModel* ref = reference_.get();
  if (hfield < 0 || hfield >= ref->nhfield)
    throw_env_error(name(), ": no heightfield ", hfield, " (the model has ", ref->nhfield, ")");
  if (data && data->size() != size_t(ref->hfield_nrow[hfield]) * size_t(ref->hfield_ncol[hfield]))
    throw_env_error(name(), ": heightfield ", hfield, " takes ", ref->hfield_nrow[hfield], " x ",
                    ref->hfield_ncol[hfield], " values, not ", data->size());
  if (hfields_.empty()) hfields_.resize(size_t(ref->nhfield));
  if (hfields_[size_t(hfield)] == data) return;
  hfields_[size_t(hfield)] = std::move(data);
  ++version_;
}

const float* MujocoEnv::hfield_data(int hfield) const {
  const mjModel* ref = reference_.get();
  if (hfield < 0 || hfield >= ref->nhfield)
    throw_env_error(name(), ": no heightfield ", hfield, " (the model has ", ref->nhfield, ")");
  if (!hfields_.empty() && hfields_[size_t(hfield)]) return hfields_[size_t(hfield)]->data();
  return ref->hfield_data + ref->hfield_adr[hfield];
}

void MujocoEnv::simulate(const float* action) {
  PhysicsWorkspace& w = bind(false);  // mj_step recomputes every derived quantity first
  for (int j = 0; j < w.model->nu; ++j) w.data->ctrl[j] = action[j];
  for (int k = 0; k < settings_.frame_skip; ++k) mj_step(w.model, w.data);
  store_state(w);
}

void MujocoEnv::update_positions() {
  PhysicsWorkspace& w = bind(true);
  mj_kinematics(w.model, w.data);
  mj_comPos(w.model, w.data);
  store_state(w);
}

void MujocoEnv::set_state(const double* qpos, const double* qvel) {
  PhysicsWorkspace& w = bind(false);
  std::copy(qpos, qpos + w.model->nq, w.data->qpos);
  std::copy(qvel, qvel + w.model->nv, w.data->qvel);
  mj_forward(w.model, w.data);
  store_state(w);
}

void MujocoEnv::save_dynamic_state(std::string& out) const {
  append_bytes(out, state_.data(), state_.size() * sizeof(mjtNum));
}

void MujocoEnv::load_dynamic_state(const std::string& in, size_t& offset) {
  read_bytes(in, offset, state_.data(), state_.size() * sizeof(mjtNum), name());
  ++version_;
}

void MujocoEnv::reset_physics(Rng& rng) {
  PhysicsWorkspace& w = bind(false);  // mj_resetData overwrites the state; the edits count
  const mjModel* m = w.model;
  mjData* d = w.data;
  mj_resetData(m, d);
  const double s = settings_.reset_noise_scale;
  for (int i = 0; i < m->nq; ++i) d->qpos[i] = m->qpos0[i] + rng.uniform(-s, s);
  for (int i = 0; i < m->nv; ++i) d->qvel[i] = s * rng.normal();
  mj_forward(m, d);
  store_state(w);
}

}  // namespace metarl
