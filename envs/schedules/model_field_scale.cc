// Schedules that scale numbers of a MuJoCo env's model (its edits) along a chain of
// episodes (or along the steps of each episode): motors that weaken (the
// crippling of continual adaptation), friction that drifts, gravity, body
// masses, joint damping, geom sizes (a body's shape: leg length, torso size).
// One class, one registration per field.
//
// Options shared by all (a factor f multiplies the reference value; the
// defaults are in field_options below):
//   <targets>  the objects whose field is scaled: space-separated names,
//              indices or glob patterns over names (fnmatch(3) without flags:
//              '*' also matches '/', so "ant1/*" is every object of agent
//              ant1 and "*/ankle_*_geom" every agent's ankles); a lone '*' is
//              every object, named or not. A name, index or pattern that
//              selects nothing is an error naming the schedule, the env and
//              the target. "{key}" is replaced by the task's value of `key`
//              first (so a task can pick, e.g., which legs are crippled:
//              actuator="hip_{leg_a} ankle_{leg_a}"). Gravity has no targets.
//   from, to (default per field), episodes: across the chain,
//              f(e) = from + (to - from) * min(e, episodes - 1) / (episodes - 1);
//   steps: when positive, f ramps from `from` to `to` over the first
//              `steps` steps of every episode instead (re-applied each step).
//   from / to may also be "{key}": the task's value.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fnmatch.h>
#include <memory>
#include <sstream>
#include <vector>

#include "envs/core/registry.h"
#include "envs/core/schedule_ramp.h"
#include "envs/core/task.h"
#include "envs/mujoco/mujoco_schedule.h"

namespace metarl {
namespace {

enum class Field { kActuatorGear, kGeomFriction, kGravity, kBodyMass, kJointDamping, kGeomSize };

struct FieldSpec {
  Field field;
  const char* schedule;       // registered name
  const char* target_option;  // option naming the objects ("" for gravity)
  mjtObj object;
  const char* default_to;  // as text, as a given `to` is
  const char* targets_help;
  const char* description;
};

// One scaled number: which array of mjModel, and the index in it.
struct Slot {
  ModelArray array;
  int index;
};

int count_of(const mjModel* m, mjtObj object) {
  switch (object) {
    case mjOBJ_ACTUATOR: return m->nu;
    case mjOBJ_GEOM: return m->ngeom;
    case mjOBJ_BODY: return m->nbody;
    case mjOBJ_JOINT: return m->njnt;
    default: return 0;
  }
}

int dofs_of_joint(const mjModel* m, int joint) {
  switch (m->jnt_type[joint]) {
    case mjJNT_FREE: return 6;
    case mjJNT_BALL: return 3;
    default: return 1;
  }
}

// The numbers one object's field consists of.
void append_slots(const mjModel* m, Field field, int id, std::vector<Slot>& out) {
  switch (field) {
    case Field::kActuatorGear:  // only the first gear entry acts on a hinge or slide
      out.push_back({ModelArray::kActuatorGear, 6 * id});
      break;
    case Field::kGeomFriction:  // sliding, torsional, rolling
      for (int k = 0; k < 3; ++k) out.push_back({ModelArray::kGeomFriction, 3 * id + k});
      break;
    case Field::kGravity:
      for (int k = 0; k < 3; ++k) out.push_back({ModelArray::kGravity, k});
      break;
    case Field::kBodyMass:  // mass and inertia together: the body's density scales
      out.push_back({ModelArray::kBodyMass, id});
      for (int k = 0; k < 3; ++k) out.push_back({ModelArray::kBodyInertia, 3 * id + k});
      break;
    case Field::kJointDamping:
      for (int k = 0; k < dofs_of_joint(m, id); ++k) out.push_back({ModelArray::kDofDamping, m->jnt_dofadr[id] + k});
      break;
    case Field::kGeomSize:  // what GeomSizeScale writes (restored together; scaled by scale_geom)
      for (int k = 0; k < 3; ++k) out.push_back({ModelArray::kGeomSize, 3 * id + k});
      for (int k = 0; k < 3; ++k) out.push_back({ModelArray::kGeomPos, 3 * id + k});
      out.push_back({ModelArray::kGeomRbound, id});
      out.push_back({ModelArray::kGeomSameframe, id});
      break;
  }
}

bool is_pattern(const std::string& target) { return target.find_first_of("*?[") != std::string::npos; }

// MuJoCo 2.2.2's bounding-sphere radius of a primitive geom of these sizes,
// as its compiler computes it (mjCGeom::GetRBound). The broad phase (body
// AABBs in mj_broadphase) and the mid phase (the sphere and plane filters of
// mj_collideGeoms) read only geom_rbound + geom_margin around geom_xpos:
// 2.2.2 keeps no body-level or per-geom box derived from sizes, so a geom
// whose rbound is recomputed here collides exactly as one compiled at this
// size. Recomputing (rather than scaling rbound by the largest factor) keeps
// the bound as tight as MuJoCo's: a capsule whose length doubles gets
// radius + 2 * half-length, not 2 * (radius + half-length).
mjtNum primitive_rbound(int type, const mjtNum* size) {
  switch (type) {
    case mjGEOM_SPHERE: return size[0];
    case mjGEOM_CAPSULE: return size[0] + size[1];
    case mjGEOM_CYLINDER: return std::sqrt(size[0] * size[0] + size[1] * size[1]);
    case mjGEOM_ELLIPSOID: return std::max(std::max(size[0], size[1]), size[2]);
    case mjGEOM_BOX: return std::sqrt(size[0] * size[0] + size[1] * size[1] + size[2] * size[2]);
    default: return 0;  // a plane: 0, MuJoCo's "unbounded"
  }
}

// Which of a geom's own axes (x, y, z of its frame) size entry `dim` spans:
// a sphere's radius all three, a capsule's or cylinder's radius x and y and
// its half-length z, a box's or ellipsoid's entry k axis k, a plane's half
// sizes x and y (its third entry is the grid spacing of its drawing).
void axes_of_size(int type, int dim, bool axes[3]) {
  axes[0] = axes[1] = axes[2] = false;
  switch (type) {
    case mjGEOM_SPHERE:
      if (dim == 0) axes[0] = axes[1] = axes[2] = true;
      break;
    case mjGEOM_CAPSULE:
    case mjGEOM_CYLINDER:
      if (dim == 0) axes[0] = axes[1] = true;
      if (dim == 1) axes[2] = true;
      break;
    case mjGEOM_PLANE:
      if (dim < 2) axes[dim] = true;
      break;
    default:  // box, ellipsoid
      axes[dim] = true;
  }
}

const char* geom_type_name(int type) {
  switch (type) {
    case mjGEOM_MESH: return "mesh";
    case mjGEOM_HFIELD: return "height field";
    default: return "geom";
  }
}

class ModelFieldScale : public MujocoSchedule {
 public:
  ModelFieldScale(const FieldSpec& spec, const Options& options) : spec_(spec) {
    if (*spec.target_option) {
      targets_ = options.get_string(spec.schedule, spec.target_option);
      if (targets_.empty())
        throw_env_error(spec.schedule, ": option '", spec.target_option, "' (names, indices or *) is required");
    }
    from_ = options.get_string(spec.schedule, "from");
    to_ = options.get_string(spec.schedule, "to");
    episodes_ = options.get_int(spec.schedule, "episodes");
    steps_ = options.get_int(spec.schedule, "steps");
    if (spec.field == Field::kGeomSize) {
      const std::string dims = options.get_string(spec.schedule, "dims");
      for (char c : dims) {
        if (c == ' ') continue;
        if (c < '0' || c > '2')
          throw_env_error(spec.schedule, ": dims '", dims, "' must list size entries 0, 1 or 2 (e.g. \"1\" or \"0 1 2\")");
        dims_[c - '0'] = true;
      }
      if (!dims_[0] && !dims_[1] && !dims_[2]) throw_env_error(spec.schedule, ": dims is empty");
      about_centre_ = options.get_string(spec.schedule, "about") == "centre";
    }
    // Numbers without task keys are checked now, not at the first reset.
    if (from_.find('{') == std::string::npos) parse_schedule_number(from_, spec.schedule, "from");
    if (to_.find('{') == std::string::npos) parse_schedule_number(to_, spec.schedule, "to");
    std::ostringstream out;
    out << spec.schedule << "(";
    if (!targets_.empty()) out << spec.target_option << "=" << targets_ << ", ";
    if (spec.field == Field::kGeomSize) {
      out << "dims=";
      const char* separator = "";
      for (int k = 0; k < 3; ++k)
        if (dims_[k]) out << separator << k, separator = " ";
      out << ", ";
      if (about_centre_) out << "about=centre, ";
    }
    out << "from=" << from_ << ", to=" << to_ << ", ";
    if (steps_ > 0)
      out << "steps=" << steps_;
    else
      out << "episodes=" << episodes_;
    description_ = out.str() + ")";
  }

  std::string name() const override { return spec_.schedule; }

  // Built once: it is the context of every error message, on every apply.
  std::string describe() const override { return description_; }

  bool changes_within_episode() const override { return steps_ > 0; }

  void restore_model(MujocoEnv& mujoco) const override {
    // Restoring needs the objects, which may depend on the task: restore
    // this field's numbers of every object. Those without an edit already
    // are the reference's, so only the env's edits of them are put back
    // (the same result as walking every object's numbers, at the cost of
    // the edits: a GeomSizeScale with `steps` restores before every step).
    const mjModel* ref = mujoco.reference_model();
    std::vector<Slot> edited;
    for (const ModelEdit& e : mujoco.model_edits())
      if (is_own_number(e.array, e.index)) edited.push_back({e.array, e.index});
    for (const Slot& s : edited) mujoco.set_model_value(s.array, s.index, model_number(ref, s.array, s.index));
  }

  // Whether number `index` of `array` is one of the numbers append_slots
  // gives for some object of this field.
  bool is_own_number(ModelArray array, int index) const {
    switch (spec_.field) {
      case Field::kActuatorGear: return array == ModelArray::kActuatorGear && index % 6 == 0;
      case Field::kGeomFriction: return array == ModelArray::kGeomFriction;
      case Field::kGravity: return array == ModelArray::kGravity;
      case Field::kBodyMass: return array == ModelArray::kBodyMass || array == ModelArray::kBodyInertia;
      case Field::kJointDamping: return array == ModelArray::kDofDamping;
      case Field::kGeomSize:
        return array == ModelArray::kGeomSize || array == ModelArray::kGeomPos || array == ModelArray::kGeomRbound ||
               array == ModelArray::kGeomSameframe;
    }
    return false;
  }

  void modify_model(MujocoEnv& mujoco, const ScheduleContext& context) const override {
    const double f = factor(context.task, context.episode_index, context.step);
    if (spec_.field == Field::kGeomSize) {
      const std::vector<int> geoms = ids(mujoco, context.task);
      if (!(f > 0))
        throw_env_error(describe(), ": env ", mujoco.name(), ": the factor of a geom's size must be positive, not ", f);
      if (f != 1)
        for (int id : geoms) scale_geom(mujoco, id, f);
      return;
    }
    std::vector<Slot> slots;
    if (spec_.field == Field::kGravity)  // no targets: the one gravity vector
      append_slots(mujoco.reference_model(), spec_.field, 0, slots);
    else
      for (int id : ids(mujoco, context.task)) append_slots(mujoco.reference_model(), spec_.field, id, slots);
    for (const Slot& s : slots)
      mujoco.set_model_value(s.array, s.index, mujoco.model_value(s.array, s.index) * f);
  }

  double factor(const Task* task, int episode, int step) const {
    const double from = parse_schedule_number(substitute_task_keys(from_, task, describe()), describe(), "from");
    const double to = parse_schedule_number(substitute_task_keys(to_, task, describe()), describe(), "to");
    return steps_ > 0 ? ramp(from, to, step, steps_) : ramp(from, to, episode, episodes_);
  }

 private:
  // The objects the targets select, each once, in id order.
  std::vector<int> ids(const MujocoEnv& env, const Task* task) const {
    const mjModel* m = env.reference_model();
    std::vector<int> out;
    std::istringstream names(substitute_task_keys(targets_, task, describe()));
    std::string target;
    const int count = count_of(m, spec_.object);
    while (names >> target) {
      if (target == "*") {
        for (int id = 0; id < count; ++id) out.push_back(id);
        continue;
      }
      if (is_pattern(target)) {
        const size_t before = out.size();
        for (int id = 0; id < count; ++id) {
          const char* name = mj_id2name(m, spec_.object, id);
          if (name && fnmatch(target.c_str(), name, 0) == 0) out.push_back(id);
        }
        if (out.size() == before)
          throw_env_error(describe(), ": env ", env.name(), " has no ", spec_.target_option, " matching '", target,
                          "' (it has ", count, ")");
        continue;
      }
      char* end = nullptr;
      const long index = std::strtol(target.c_str(), &end, 10);
      const int id = *end == '\0' ? static_cast<int>(index) : mj_name2id(m, spec_.object, target.c_str());
      if (id < 0 || id >= count)
        throw_env_error(describe(), ": env ", env.name(), " has no ", spec_.target_option, " '", target, "' (it has ",
                        count, ")");
      out.push_back(id);
    }
    // An object named twice is scaled once.
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (spec_.field == Field::kGeomSize)
      for (int id : out) check_scalable(env, id);
    return out;
  }

  // Sizes of meshes and height fields do not scale their shapes, and the
  // ellipsoid fluid model's coefficients are computed from the sizes by the
  // compiler: such a geom is refused rather than half changed.
  void check_scalable(const MujocoEnv& env, int id) const {
    const mjModel* m = env.reference_model();
    const char* name = mj_id2name(m, mjOBJ_GEOM, id);
    const std::string geom = name ? "'" + std::string(name) + "'" : "number " + std::to_string(id);
    const int type = m->geom_type[id];
    if (type == mjGEOM_MESH || type == mjGEOM_HFIELD)
      throw_env_error(describe(), ": env ", env.name(), ": geom ", geom, " is a ", geom_type_name(type),
                      ", whose shape its size does not scale");
    if (m->geom_fluid[mjNFLUID * id] > 0)
      throw_env_error(describe(), ": env ", env.name(), ": geom ", geom,
                      " has the ellipsoid fluid model, whose coefficients its size does not scale");
  }

  // Scales geom `id` by f about its body's origin along the geom's own axes
  // that the chosen size entries span: p -> R S R^T p for every point p of
  // the geom in its body's frame (R: the geom's orientation, S: f on those
  // axes, 1 on the others). So the chosen sizes are multiplied by f and the
  // geom's position becomes R S R^T geom_pos: a capsule drawn from its
  // body's origin (pos along its axis) whose half-length is scaled keeps
  // that end there and grows outward; a sphere at the origin just grows.
  // Neither mass nor inertia changes (BodyMassScale changes those).
  // Scaled about its centre (about=centre), the geom keeps its position.
  void scale_geom(MujocoEnv& env, int id, double f) const {
    const mjModel* ref = env.reference_model();
    const int type = ref->geom_type[id];
    bool scaled[3] = {false, false, false};
    for (int dim = 0; dim < 3; ++dim) {
      if (!dims_[dim]) continue;
      const int k = 3 * id + dim;
      env.set_model_value(ModelArray::kGeomSize, k, env.model_value(ModelArray::kGeomSize, k) * f);
      bool axes[3];
      axes_of_size(type, dim, axes);
      for (int a = 0; a < 3; ++a) scaled[a] = scaled[a] || axes[a];
    }
    mjtNum pos[3];
    for (int a = 0; a < 3; ++a) pos[a] = env.model_value(ModelArray::kGeomPos, 3 * id + a);
    if (!about_centre_ && scaled[0] && scaled[1] && scaled[2]) {
      for (int a = 0; a < 3; ++a) pos[a] *= f;  // S = f I: exact
    } else if (!about_centre_ && (scaled[0] || scaled[1] || scaled[2])) {
      mjtNum rot[9], local[3];  // rot: the geom's axes as columns (geom_quat is never edited)
      mju_quat2Mat(rot, ref->geom_quat + 4 * id);
      mju_mulMatTVec(local, rot, pos, 3, 3);
      for (int a = 0; a < 3; ++a)
        if (scaled[a]) local[a] *= f;
      mju_mulMatVec(pos, rot, local, 3, 3);
    }
    bool moved = false;
    for (int a = 0; a < 3; ++a) {
      env.set_model_value(ModelArray::kGeomPos, 3 * id + a, pos[a]);
      moved = moved || pos[a] != ref->geom_pos[3 * id + a];
    }
    // geom_sameframe 2 copies the body's inertial frame (the compiler's
    // shortcut when the geom sat there) and 1 the body's frame: a moved geom
    // computes its frame from geom_pos and geom_quat instead.
    env.set_model_value(ModelArray::kGeomSameframe, id, moved ? 0 : ref->geom_sameframe[id]);
    mjtNum size[3];
    for (int k = 0; k < 3; ++k) size[k] = env.model_value(ModelArray::kGeomSize, 3 * id + k);
    // From the sizes as they now are (another GeomSizeScale may have scaled
    // other entries before this one): exact for any composition.
    env.set_model_value(ModelArray::kGeomRbound, id, primitive_rbound(type, size));
  }

  FieldSpec spec_;
  std::string targets_, from_, to_, description_;
  bool dims_[3] = {false, false, false};  // GeomSizeScale: the size entries scaled
  bool about_centre_ = false;             // GeomSizeScale: about the geom's centre, not its body's origin
  int episodes_, steps_;
};

const FieldSpec kFields[] = {
    {Field::kActuatorGear, "ActuatorGearScale", "actuator", mjOBJ_ACTUATOR, "0", "the motors scaled",
     "motors' gear (strength) scaled from `from` to `to` across the episodes (or steps)"},
    {Field::kGeomFriction, "FrictionScale", "geom", mjOBJ_GEOM, "1", "the geoms scaled",
     "geoms' friction coefficients scaled from `from` to `to` across the episodes (or steps)"},
    {Field::kGravity, "GravityScale", "", mjOBJ_UNKNOWN, "1", "",
     "gravity scaled from `from` to `to` across the episodes (or steps)"},
    {Field::kBodyMass, "BodyMassScale", "body", mjOBJ_BODY, "1", "the bodies scaled",
     "bodies' mass and inertia scaled from `from` to `to` across the episodes (or steps)"},
    {Field::kJointDamping, "JointDampingScale", "joint", mjOBJ_JOINT, "1", "the joints scaled",
     "joints' damping scaled from `from` to `to` across the episodes (or steps)"},
    {Field::kGeomSize, "GeomSizeScale", "geom", mjOBJ_GEOM, "1", "the geoms scaled",
     "geoms' size entries `dims` (e.g. a capsule's half-length: leg length; a sphere's radius: torso size) and "
     "position scaled about their body's origin (or, about=centre, their own centre) from `from` to `to` across "
     "the episodes (or steps); collision "
     "bounds follow, mass and inertia do not (BodyMassScale changes those)"},
};

OptionSpecs field_options(const FieldSpec& spec) {
  OptionSpecs options;
  if (*spec.target_option)
    options.push_back(required_string_option(
        spec.target_option,
        std::string(spec.targets_help) + ": names, indices, globs (ant1/*) or *; \"{key}\": the task's value"));
  if (spec.field == Field::kGeomSize) {
    options.push_back(string_option("dims", "0 1 2",
                                    "the size entries scaled (digits 0-2, e.g. \"1\": a capsule's half-length only)"));
    options.push_back(string_option("about", "body",
                                    "scale about the body's origin (the geom's position scales too) or the geom's "
                                    "centre (it stays where it is)")
                          .one_of({"body", "centre"}));
  }
  options.push_back(string_option("from", "1", "the factor at the first episode (a number or \"{key}\")"));
  options.push_back(string_option("to", spec.default_to, "the factor from the last episode on (a number or \"{key}\")"));
  options.push_back(int_option("episodes", 7, "episodes from `from` to `to`").at_least(1));
  options.push_back(int_option("steps", 0, "when positive: ramp over each episode's first steps instead").at_least(0));
  return options;
}

struct RegisterFields {
  RegisterFields() {
    for (const FieldSpec& spec : kFields)
      schedule_registry().add({spec.schedule, spec.description, field_options(spec), {}, [spec](const Options& options) {
                                 return std::unique_ptr<DynamicsSchedule>(new ModelFieldScale(spec, options));
                               }});
  }
} const kRegisterFields;

}  // namespace
}  // namespace metarl
