// Schedules that scale numbers of a MuJoCo env's model (its edits) along a chain of
// episodes (or along the steps of each episode): motors that weaken (the
// crippling of continual adaptation), friction that drifts, gravity, body
// masses, joint damping. One class, one registration per field.
//
// Options shared by all (a factor f multiplies the reference value; the
// defaults are in field_options below):
//   <targets>  the objects whose field is scaled: space-separated names or
//              indices, '*' for all; "{key}" is replaced by the task's value
//              of `key` (so a task can pick, e.g., which legs are crippled:
//              actuator="hip_{leg_a} ankle_{leg_a}"). Gravity has no targets.
//   from, to (default per field), episodes: across the chain,
//              f(e) = from + (to - from) * min(e, episodes - 1) / (episodes - 1);
//   steps: when positive, f ramps from `from` to `to` over the first
//              `steps` steps of every episode instead (re-applied each step).
//   from / to may also be "{key}": the task's value.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <vector>

#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/mujoco/mujoco_schedule.h"

namespace metarl {
namespace {

enum class Field { kActuatorGear, kGeomFriction, kGravity, kBodyMass, kJointDamping };

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
  }
}

// `text` with every "{key}" replaced by the task's value of key (integers
// printed without a decimal point, so that "hip_{leg}" names hip_3).
std::string substitute(const std::string& text, const Task* task, const std::string& who) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find('{', pos);
    if (open == std::string::npos) break;
    const size_t close = text.find('}', open);
    if (close == std::string::npos) throw_env_error(who, ": unclosed '{' in '", text, "'");
    const std::string key = text.substr(open + 1, close - open - 1);
    if (!task) throw_env_error(who, ": '", text, "' needs the task's '", key, "' but the env has no task");
    const double value = task->get(key);
    std::ostringstream v;
    if (value == std::floor(value) && std::abs(value) < 1e9)
      v << static_cast<long long>(value);
    else
      v.precision(17), v << value;
    out += text.substr(pos, open - pos) + v.str();
    pos = close + 1;
  }
  return out + text.substr(pos);
}

double parse_number(const std::string& text, const std::string& who, const char* key) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value))
    throw_env_error(who, ": ", key, " '", text, "' is not a finite number");
  return value;
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
    // Numbers without task keys are checked now, not at the first reset.
    if (from_.find('{') == std::string::npos) parse_number(from_, spec.schedule, "from");
    if (to_.find('{') == std::string::npos) parse_number(to_, spec.schedule, "to");
    std::ostringstream out;
    out << spec.schedule << "(";
    if (!targets_.empty()) out << spec.target_option << "=" << targets_ << ", ";
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
    // every object of this kind (cheap, and exact).
    const mjModel* ref = mujoco.reference_model();
    for (const Slot& s : all_slots(ref))
      mujoco.set_model_value(s.array, s.index, model_array(ref, s.array)[s.index]);
  }

  void modify_model(MujocoEnv& mujoco, const ScheduleContext& context) const override {
    const double f = factor(context.task, context.episode_index, context.step);
    for (const Slot& s : slots(mujoco, context.task))
      mujoco.set_model_value(s.array, s.index, mujoco.model_value(s.array, s.index) * f);
  }

  double factor(const Task* task, int episode, int step) const {
    const double from = parse_number(substitute(from_, task, describe()), describe(), "from");
    const double to = parse_number(substitute(to_, task, describe()), describe(), "to");
    const int length = steps_ > 0 ? steps_ : episodes_;
    const int position = steps_ > 0 ? step : episode;
    if (length == 1) return to;
    const double t = double(std::min(std::max(position, 0), length - 1)) / (length - 1);
    return from + (to - from) * t;
  }

 private:
  std::vector<Slot> all_slots(const mjModel* m) const {
    std::vector<Slot> out;
    if (spec_.field == Field::kGravity) {
      append_slots(m, spec_.field, 0, out);
      return out;
    }
    for (int id = 0; id < count_of(m, spec_.object); ++id) append_slots(m, spec_.field, id, out);
    return out;
  }

  std::vector<Slot> slots(const MujocoEnv& env, const Task* task) const {
    const mjModel* m = env.reference_model();
    if (spec_.field == Field::kGravity) return all_slots(m);
    std::vector<int> ids;
    std::istringstream names(substitute(targets_, task, describe()));
    std::string target;
    const int count = count_of(m, spec_.object);
    while (names >> target) {
      if (target == "*") {
        for (int id = 0; id < count; ++id) ids.push_back(id);
        continue;
      }
      char* end = nullptr;
      const long index = std::strtol(target.c_str(), &end, 10);
      const int id = *end == '\0' ? static_cast<int>(index) : mj_name2id(m, spec_.object, target.c_str());
      if (id < 0 || id >= count)
        throw_env_error(describe(), ": env ", env.name(), " has no ", spec_.target_option, " '", target, "' (it has ",
                        count, ")");
      ids.push_back(id);
    }
    // An object named twice is scaled once.
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<Slot> out;
    for (int id : ids) append_slots(m, spec_.field, id, out);
    return out;
  }

  FieldSpec spec_;
  std::string targets_, from_, to_, description_;
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
};

OptionSpecs field_options(const FieldSpec& spec) {
  OptionSpecs options;
  if (*spec.target_option)
    options.push_back(required_string_option(
        spec.target_option, std::string(spec.targets_help) + ": names, indices or *; \"{key}\": the task's value"));
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
