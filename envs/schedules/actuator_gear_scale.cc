// Scales one actuator's gear linearly across the episodes of a chain: a
// motor that weakens (or recovers) episode after episode. The building block
// of the crippling schedules of continual adaptation.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/mujoco/mujoco_env.h"

namespace metarl {
namespace {

class ActuatorGearScale : public DynamicsSchedule {
 public:
  // Options: actuator (index or name, required), from (1.0), to (0.0),
  // episodes (7): factor(e) = from + (to - from) * min(e, episodes-1) / (episodes-1).
  explicit ActuatorGearScale(const Options& options) {
    actuator_ = options.get_string(name(), "actuator", "");
    if (actuator_.empty()) throw_env_error(name(), ": option 'actuator' (index or name) is required");
    from_ = options.get_double(name(), "from", 1.0);
    to_ = options.get_double(name(), "to", 0.0);
    episodes_ = options.get_int(name(), "episodes", 7);
    if (episodes_ < 1) throw_env_error(name(), ": episodes must be >= 1, got ", episodes_);
  }

  std::string name() const override { return "ActuatorGearScale"; }

  std::string describe() const override {
    std::ostringstream out;
    out << name() << "(actuator=" << actuator_ << ", from=" << from_ << ", to=" << to_ << ", episodes=" << episodes_
        << ")";
    return out.str();
  }

  double factor(int episode) const {
    if (episodes_ == 1) return to_;
    const double t = double(std::min(std::max(episode, 0), episodes_ - 1)) / (episodes_ - 1);
    return from_ + (to_ - from_) * t;
  }

  void apply(Env& env, const Task* /*task*/, int episode_index) const override {
    auto& mujoco = env_as<MujocoEnv>(env, describe());
    const int id = resolve(mujoco);
    // Only the first gear entry acts on a hinge/slide joint.
    mujoco.model()->actuator_gear[6 * id] = mujoco.reference_model()->actuator_gear[6 * id] * factor(episode_index);
  }

 private:
  int resolve(const MujocoEnv& env) const {
    const mjModel* m = env.reference_model();
    char* end = nullptr;
    const long index = std::strtol(actuator_.c_str(), &end, 10);
    const int id = *end == '\0' ? static_cast<int>(index) : mj_name2id(m, mjOBJ_ACTUATOR, actuator_.c_str());
    if (id < 0 || id >= m->nu)
      throw_env_error(describe(), ": env ", env.name(), " has no actuator '", actuator_, "' (it has ", m->nu, ")");
    return id;
  }

  std::string actuator_;
  double from_, to_;
  int episodes_;
};

const Registration<DynamicsSchedule> kRegister(
    schedule_registry(), "ActuatorGearScale",
    "one actuator's gear scaled linearly from 'from' to 'to' over 'episodes' episodes of a chain",
    [](const Options& o) { return std::make_unique<ActuatorGearScale>(o); });

}  // namespace
}  // namespace metarl
