#include "envs/mujoco/locomotion_tasks.h"

#include "envs/core/error.h"

namespace metarl {

LocomotionSpec learning_to_adapt_cheetah_spec(std::string name) {
  LocomotionSpec spec = half_cheetah_spec();
  spec.name = std::move(name);
  spec.ctrl_cost_weight = kRllabCheetahCtrlCost;
  return spec;
}

OptionSpecs learning_to_adapt_cheetah_options(const LocomotionSpec& spec) {
  return with_default(with_default(locomotion_options(spec), "com_in_obs", "true"), "max_episode_steps", "200");
}

TargetVelocityFamily::TargetVelocityFamily(std::string name, std::string env_name, const Options& options,
                                           RewardFor reward_for)
    : TaskFamily(std::move(name), std::move(env_name)), reward_for_(std::move(reward_for)) {
  low_ = options.get_double(this->name(), "low");
  high_ = options.get_double(this->name(), "high");
  if (low_ > high_) throw_env_error(this->name(), ": low ", low_, " exceeds high ", high_);
}

OptionSpecs TargetVelocityFamily::options(double default_low, double default_high) {
  return {double_option("low", default_low, "lowest target velocity (<= high)"),
          double_option("high", default_high, "highest target velocity")};
}

std::vector<Task> TargetVelocityFamily::sample(int n, Rng& rng) const {
  std::vector<Task> tasks;
  for (int i = 0; i < n; ++i) tasks.push_back(make_task({{"velocity", rng.uniform(low_, high_)}}));
  return tasks;
}

void TargetVelocityFamily::configure(Env& env, const Task& task) const {
  env_as<LocomotionEnv>(env, name()).set_reward(task.to_string(), reward_for_(task.get("velocity")));
}

VelocityDriftFamily::VelocityDriftFamily(std::string name, std::string env_name, const Options& options,
                                         RewardFor reward_for)
    : TaskFamily(std::move(name), std::move(env_name)), walk_(this->name(), options), reward_for_(std::move(reward_for)) {
  low_ = options.get_double(this->name(), "low");
  high_ = options.get_double(this->name(), "high");
  step_ = options.get_double(this->name(), "step");
  if (low_ > high_) throw_env_error(this->name(), ": low ", low_, " exceeds high ", high_);
  if (!(step_ >= 0 && step_ <= high_ - low_))
    throw_env_error(this->name(), ": step must lie in [0, high - low], got ", step_);
}

OptionSpecs VelocityDriftFamily::options(double default_low, double default_high, double default_step) {
  OptionSpecs options = {double_option("low", default_low, "lowest target velocity (<= high)"),
                         double_option("high", default_high, "highest target velocity"),
                         double_option("step", default_step, "the target's move per episode, in [0, high - low]")};
  for (auto& spec : ChainWalk::options()) options.push_back(spec);
  return options;
}

std::vector<Task> VelocityDriftFamily::sample(int n, Rng& rng) const {
  std::vector<Task> tasks;
  for (int i = 0; i < n; ++i) {
    const double start = rng.uniform(low_, high_);
    tasks.push_back(make_task({{"velocity", start}, {"walk", walk_.sample(rng)}}));
  }
  return tasks;
}

std::vector<double> VelocityDriftFamily::targets(const Task& task) const {
  std::vector<double> out = {task.get("velocity")};
  Rng steps = ChainWalk::steps_of(task);
  while (int(out.size()) < walk_.episodes()) {
    double next = out.back() + (steps.uniform() < 0.5 ? -step_ : step_);
    if (next > high_) next = 2 * high_ - next;  // reflected: step <= high - low keeps it inside
    if (next < low_) next = 2 * low_ - next;
    out.push_back(next);
  }
  return out;
}

void VelocityDriftFamily::configure(Env& env, const Task& task) const {
  env_as<LocomotionEnv>(env, name()).set_reward(task.to_string(), reward_for_(env, targets(task)));
}

DirectionFamily::DirectionFamily(std::string name, std::string env_name, RewardFor reward_for)
    : TaskFamily(std::move(name), std::move(env_name)), reward_for_(std::move(reward_for)) {}

std::vector<Task> DirectionFamily::sample(int n, Rng& rng) const {
  std::vector<Task> tasks;
  for (int i = 0; i < n; ++i) tasks.push_back(make_task({{"direction", rng.uniform() < 0.5 ? -1.0 : 1.0}}));
  return tasks;
}

void DirectionFamily::configure(Env& env, const Task& task) const {
  const double direction = task.get("direction");
  if (direction != 1.0 && direction != -1.0)
    throw_env_error(name(), ": direction must be +1 or -1 in ", task.to_string());
  env_as<LocomotionEnv>(env, name()).set_reward(task.to_string(), reward_for_(direction));
}

}  // namespace metarl
