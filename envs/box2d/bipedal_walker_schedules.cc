// BipedalWalker's nonstationary variants: dynamics schedules and a task
// family over its WalkerPhysics.
//
// The project's schedules of physical numbers (model_field_scale.cc) edit a
// MuJoCo model and refuse any other env. The walker has no model to edit: its
// physics is a handful of numbers (WalkerPhysics) from which every reset
// builds a new b2World. So these schedules are the smallest extension that
// fits the same two-phase protocol: `restore` copies a field back from the
// env's reference physics, `modify` multiplies it (or, for the obstacle
// rate, sets it) for the chain position; the env's next world is built from
// the result. They compose as the MuJoCo ones do (two on one field multiply),
// take "{key}" for a task's value, and use the same ramp:
//   f(e) = from + (to − from)·min(e, episodes − 1)/(episodes − 1).
// They change nothing within an episode (no `steps`): a world's physics is
// fixed when it is built, which is also what lets a checkpoint rebuild it
// from the episode's start alone.
//
//   WalkerFrictionScale   the terrain's friction (FRICTION = 2.5)
//   WalkerGravityScale    gravity (0, −10)
//   WalkerMotorScale      the torque limit of the joints named in `joints`
//                         (hip_0 knee_0 hip_1 knee_1, or *); the torque cost
//                         stays on the action, as Gymnasium's
//   WalkerLegScale        the length of the leg `segments` (upper, lower),
//                         both legs; the walker starts as high as its legs
//   WalkerObstacleRate    the chance that an obstacle follows a grass run:
//                         0 → 1 turns the normal course into the hardcore one
//                         over a chain (the difficulty rising); the time
//                         limit stays the env's (hardcore=true: 2000)
//
// BipedalWalkerLegs (task family): each task is a walker with its own leg
// lengths, upper_leg and lower_leg factors ~ U[low, high], installed as the
// task's WalkerLegScale schedules.
// BipedalWalkerObstacles (task family): the difficulty rising over a chain;
// each task's obstacle rate climbs from 0 to its own final_rate ~ U[low,
// high] over `episodes` (a WalkerObstacleRate schedule), so the pace of the
// change is what adaptation has to follow.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "envs/box2d/bipedal_walker.h"
#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/core/schedule_ramp.h"
#include "envs/core/task.h"

namespace metarl {
namespace {

enum class WalkerField { kFriction, kGravity, kMotor, kLegLength, kObstacleRate };

const char* const kJointNames[BipedalWalkerEnv::kActions] = {"hip_0", "knee_0", "hip_1", "knee_1"};

class WalkerSchedule : public DynamicsSchedule {
 public:
  WalkerSchedule(WalkerField field, std::string name, const Options& options)
      : field_(field), name_(std::move(name)) {
    from_ = options.get_string(name_, "from");
    to_ = options.get_string(name_, "to");
    episodes_ = options.get_int(name_, "episodes");
    std::ostringstream out;
    out << name_ << "(";
    if (field_ == WalkerField::kMotor) {
      std::istringstream names(options.get_string(name_, "joints"));
      std::string joint;
      while (names >> joint) {
        if (joint == "*") {
          joints_.assign(BipedalWalkerEnv::kActions, true);
          continue;
        }
        const auto* found = std::find(std::begin(kJointNames), std::end(kJointNames), joint);
        if (found == std::end(kJointNames))
          throw_env_error(name_, ": joints: no joint '", joint, "' (hip_0 knee_0 hip_1 knee_1 or *)");
        joints_.resize(BipedalWalkerEnv::kActions);
        joints_[size_t(found - std::begin(kJointNames))] = true;
      }
      if (joints_.empty()) throw_env_error(name_, ": joints is empty (hip_0 knee_0 hip_1 knee_1 or *)");
      out << "joints=" << options.get_string(name_, "joints") << ", ";
    }
    if (field_ == WalkerField::kLegLength) {
      std::istringstream names(options.get_string(name_, "segments"));
      std::string segment;
      while (names >> segment) {
        if (segment == "upper") upper_ = true;
        else if (segment == "lower") lower_ = true;
        else throw_env_error(name_, ": segments: no segment '", segment, "' (upper, lower)");
      }
      if (!upper_ && !lower_) throw_env_error(name_, ": segments is empty (upper, lower)");
      out << "segments=" << options.get_string(name_, "segments") << ", ";
    }
    // Numbers without task keys are checked now, not at the first reset.
    for (const auto& [text, option] : {std::pair{from_, "from"}, std::pair{to_, "to"}})
      if (text.find('{') == std::string::npos) check_value(parse_schedule_number(text, name_, option), option);
    out << "from=" << from_ << ", to=" << to_ << ", episodes=" << episodes_ << ")";
    description_ = out.str();
  }

  std::string name() const override { return name_; }
  std::string describe() const override { return description_; }

  std::string refusal(const Env& env) const override {
    if (dynamic_cast<const BipedalWalkerEnv*>(&env)) return "";
    return name_ + ": needs a BipedalWalker env; " + env.name() + " is not one";
  }

  void restore(Env& env) const override {
    BipedalWalkerEnv& walker = env_as<BipedalWalkerEnv>(env, describe());
    WalkerPhysics& p = walker.physics();
    const WalkerPhysics& ref = walker.reference_physics();
    switch (field_) {
      case WalkerField::kFriction: p.friction_scale = ref.friction_scale; break;
      case WalkerField::kGravity: p.gravity_scale = ref.gravity_scale; break;
      case WalkerField::kMotor: p.motor_scale = ref.motor_scale; break;
      case WalkerField::kLegLength:
        p.upper_leg_scale = ref.upper_leg_scale;
        p.lower_leg_scale = ref.lower_leg_scale;
        break;
      case WalkerField::kObstacleRate: p.obstacle_rate = ref.obstacle_rate; break;
    }
  }

  void modify(Env& env, const ScheduleContext& context) const override {
    WalkerPhysics& p = env_as<BipedalWalkerEnv>(env, describe()).physics();
    const double f = value(context.task, context.episode_index);
    switch (field_) {
      case WalkerField::kFriction: p.friction_scale *= f; break;
      case WalkerField::kGravity: p.gravity_scale *= f; break;
      case WalkerField::kMotor:
        for (size_t j = 0; j < joints_.size(); ++j)
          if (joints_[j]) p.motor_scale[j] *= f;
        break;
      case WalkerField::kLegLength:
        if (upper_) p.upper_leg_scale *= f;
        if (lower_) p.lower_leg_scale *= f;
        break;
      case WalkerField::kObstacleRate: p.obstacle_rate = f; break;  // a probability: set, not scaled
    }
  }

  // The ramp's value at `episode` of the chain.
  double value(const Task* task, int episode) const {
    const double from =
        check_value(parse_schedule_number(substitute_task_keys(from_, task, describe()), describe(), "from"), "from");
    const double to =
        check_value(parse_schedule_number(substitute_task_keys(to_, task, describe()), describe(), "to"), "to");
    return ramp(from, to, episode, episodes_);
  }

 private:
  // Legs need a positive length and friction, gravity and motors a
  // non-negative factor; a rate is a probability.
  double check_value(double v, const char* option) const {
    switch (field_) {
      case WalkerField::kLegLength:
        if (!(v > 0)) throw_env_error(describe_or_name(), ": ", option, " must be positive (a leg's length factor), got ", v);
        break;
      case WalkerField::kObstacleRate:
        if (!(v >= 0 && v <= 1)) throw_env_error(describe_or_name(), ": ", option, " must be in [0, 1], got ", v);
        break;
      default:
        if (!(v >= 0)) throw_env_error(describe_or_name(), ": ", option, " must be >= 0, got ", v);
    }
    return v;
  }
  const std::string& describe_or_name() const { return description_.empty() ? name_ : description_; }

  WalkerField field_;
  std::string name_, description_;
  std::string from_, to_;
  int episodes_ = 1;
  std::vector<bool> joints_;         // kMotor: which joints
  bool upper_ = false, lower_ = false;  // kLegLength: which segments
};

OptionSpecs walker_schedule_options(WalkerField field) {
  OptionSpecs options;
  if (field == WalkerField::kMotor)
    options.push_back(string_option("joints", "*", "the joints scaled: hip_0 knee_0 hip_1 knee_1 (spaces) or *"));
  if (field == WalkerField::kLegLength)
    options.push_back(string_option("segments", "upper lower", "the leg segments scaled: upper, lower or both"));
  const bool rate = field == WalkerField::kObstacleRate;
  const char* what = rate ? "rate" : "factor";
  options.push_back(string_option("from", rate ? "0" : "1",
                                  std::string("the ") + what + " at the first episode (a number or \"{key}\")"));
  options.push_back(string_option("to", rate ? "1" : field == WalkerField::kMotor ? "0" : "1",
                                  std::string("the ") + what + " from the last episode on (a number or \"{key}\")"));
  options.push_back(int_option("episodes", 7, "episodes from `from` to `to`").at_least(1));
  return options;
}

struct WalkerScheduleSpec {
  WalkerField field;
  const char* name;
  const char* description;
};

const WalkerScheduleSpec kWalkerSchedules[] = {
    {WalkerField::kFriction, "WalkerFrictionScale",
     "BipedalWalker: the terrain's friction scaled from `from` to `to` across the episodes"},
    {WalkerField::kGravity, "WalkerGravityScale", "BipedalWalker: gravity scaled from `from` to `to` across the episodes"},
    {WalkerField::kMotor, "WalkerMotorScale",
     "BipedalWalker: the torque limit of `joints` scaled from `from` to `to` across the episodes"},
    {WalkerField::kLegLength, "WalkerLegScale",
     "BipedalWalker: the length of the leg `segments` scaled from `from` to `to` across the episodes"},
    {WalkerField::kObstacleRate, "WalkerObstacleRate",
     "BipedalWalker: the chance an obstacle follows a grass run, from `from` to `to` across the episodes "
     "(0: normal course, 1: hardcore)"},
};

struct RegisterWalkerSchedules {
  RegisterWalkerSchedules() {
    for (const WalkerScheduleSpec& spec : kWalkerSchedules)
      schedule_registry().add({spec.name, spec.description, walker_schedule_options(spec.field), {},
                               [spec](const Options& options) {
                                 return std::unique_ptr<DynamicsSchedule>(
                                     new WalkerSchedule(spec.field, spec.name, options));
                               }});
  }
} const kRegisterWalkerSchedules;

// Walkers of different leg lengths: a task is (upper_leg, lower_leg), factors
// of Gymnasium's LEG_H drawn independently ~ U[low, high].
class BipedalWalkerLegsFamily : public TaskFamily {
 public:
  explicit BipedalWalkerLegsFamily(const Options& options) : TaskFamily("BipedalWalkerLegs", "BipedalWalker") {
    low_ = options.get_double(name(), "low");
    high_ = options.get_double(name(), "high");
    if (low_ > high_) throw_env_error(name(), ": low ", low_, " exceeds high ", high_);
    std::vector<std::shared_ptr<const DynamicsSchedule>> parts;
    for (const char* segment : {"upper", "lower"}) {
      const std::string key = std::string("{") + segment + "_leg}";
      parts.push_back(make_schedule(
          "WalkerLegScale", Options{{"segments", segment}, {"from", key}, {"to", key}, {"episodes", "1"}}));
    }
    legs_ = std::make_shared<CompositeSchedule>(std::move(parts));
  }

  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) {
      const double upper = rng.uniform(low_, high_);
      const double lower = rng.uniform(low_, high_);
      tasks.push_back(make_task({{"upper_leg", upper}, {"lower_leg", lower}}));
    }
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    env_as<BipedalWalkerEnv>(env, name());
    task.get("upper_leg");  // a task without them is an error now, not at the first reset
    task.get("lower_leg");
    env.set_task_schedule(legs_);
  }

 private:
  double low_, high_;
  std::shared_ptr<const DynamicsSchedule> legs_;
};

const Registration<TaskFamily> kRegisterLegs(
    task_family_registry(), "BipedalWalkerLegs",
    "BipedalWalker with each task's leg lengths: upper and lower segment factors ~ U[low, high]",
    {double_option("low", 0.75, "the smallest leg-length factor (<= high)").positive(),
     double_option("high", 1.25, "the largest leg-length factor").positive()},
    [](const Options& o) { return std::make_unique<BipedalWalkerLegsFamily>(o); });

// Rising difficulty: a task is the final obstacle rate its chain climbs to.
class BipedalWalkerObstaclesFamily : public TaskFamily {
 public:
  explicit BipedalWalkerObstaclesFamily(const Options& options)
      : TaskFamily("BipedalWalkerObstacles", "BipedalWalker") {
    low_ = options.get_double(name(), "low");
    high_ = options.get_double(name(), "high");
    if (!(0 <= low_ && low_ <= high_ && high_ <= 1))
      throw_env_error(name(), ": needs 0 <= low <= high <= 1 (rates), got low ", low_, ", high ", high_);
    rising_ = make_schedule("WalkerObstacleRate", Options{{"from", "0"},
                                                          {"to", "{final_rate}"},
                                                          {"episodes", std::to_string(options.get_int(name(), "episodes"))}});
  }

  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(make_task({{"final_rate", rng.uniform(low_, high_)}}));
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    env_as<BipedalWalkerEnv>(env, name());
    task.get("final_rate");  // a task without it is an error now, not at the first reset
    env.set_task_schedule(rising_);
  }

 private:
  double low_, high_;
  std::shared_ptr<const DynamicsSchedule> rising_;
};

const Registration<TaskFamily> kRegisterObstacles(
    task_family_registry(), "BipedalWalkerObstacles",
    "BipedalWalker whose obstacle rate rises from 0 to the task's final_rate ~ U[low, high] over `episodes`",
    {double_option("low", 0.5, "the smallest final obstacle rate"),
     double_option("high", 1.0, "the largest final obstacle rate (1: the hardcore course)"),
     int_option("episodes", 7, "episodes from rate 0 to the final rate").at_least(1)},
    [](const Options& o) { return std::make_unique<BipedalWalkerObstaclesFamily>(o); });

}  // namespace
}  // namespace metarl
