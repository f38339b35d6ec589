// The environment interfaces.
//
// Env has two faces:
//  * an allocation-free one, reset_into(obs) / step_into(action, obs, info), that writes
//    straight into caller-owned slots (VectorEnv passes its batch buffers);
//  * a convenience one returning vectors, for tests and small scripts.
// Both go through the same checks: an action of the wrong size, NaN or infinite
// throws an EnvError naming the env, before any state changes.
//
// The base class owns what every env shares: its Rng (seeded per env), the
// time limit, the current task and the dynamics schedule applied at each reset.
//
// Players are rows. An env has one or more agents (a sumo match is one env
// with two), each with its own spaces and reward; they share the env's
// episodes, task, schedules and outcome. Buffers hold one row per agent:
// agent a's observation starts at obs + a * obs_row_size(), its action at
// actions + a * act_row_size(), its info at info + a * info_names().size(),
// where a row is as wide as the widest agent's (the rest of a narrower
// agent's row is zero on output and ignored on input). A one-agent env's
// rows are exactly its observation and action.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "envs/core/error.h"
#include "envs/core/rng.h"
#include "envs/core/space.h"
#include "envs/core/task.h"

namespace metarl {

class DynamicsSchedule;

// Rewards are written per agent (step_into's `rewards`); these flags are the env's.
struct StepResult {
  bool terminated = false;  // the MDP reached a terminal state (fell, reached the goal)
  bool truncated = false;   // the time limit cut the episode
};

struct Transition {
  std::vector<float> observation;  // one row per agent
  double reward = 0.0;             // the first agent's (a one-agent env's only one)
  std::vector<double> rewards;     // every agent's
  bool terminated = false;
  bool truncated = false;
  std::vector<float> info;  // per agent, one value per info_names() entry
};

// One agent's spaces.
struct AgentSpaces {
  Box observation;
  Box action;
};

class Env {
 public:
  virtual ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  const std::string& name() const { return name_; }
  int num_agents() const { return static_cast<int>(agents_.size()); }
  const Box& observation_space(int agent = 0) const { return agents_.at(size_t(agent)).observation; }
  const Box& action_space(int agent = 0) const { return agents_.at(size_t(agent)).action; }
  int obs_dim(int agent = 0) const { return observation_space(agent).size(); }
  int act_dim(int agent = 0) const { return action_space(agent).size(); }
  // Width of an agent's row in observation and action buffers (the widest agent's size).
  int obs_row_size() const { return obs_row_size_; }
  int act_row_size() const { return act_row_size_; }
  // Named scalars written by every step for every agent (physical quantities, reward terms).
  const std::vector<std::string>& info_names() const { return info_names_; }
  int max_episode_steps() const { return max_episode_steps_; }

  void seed(uint64_t seed) { rng_.reseed(seed); }
  Rng& rng() { return rng_; }

  // The task set by TaskFamily::apply, or nullptr before any.
  const Task* task() const { return has_task_ ? &task_ : nullptr; }
  // Records `task` and restarts the chain: the next reset is episode 0.
  void begin_task(const Task& task);
  // Two schedules act on an env, composed (both restore, then both modify):
  // the experiment's (set_schedule) and the current task's (installed by its
  // task family, e.g. the crippling of the task's legs; TaskFamily::apply
  // removes the previous task's). Each is applied at the
  // start of every episode, and before every step if it changes within one;
  // nullptr removes it. A schedule this env cannot take (one of MuJoCo model
  // numbers on an env without a MuJoCo model) is refused here, naming both.
  void set_schedule(std::shared_ptr<const DynamicsSchedule> schedule);
  void set_task_schedule(std::shared_ptr<const DynamicsSchedule> schedule);
  const DynamicsSchedule* schedule() const { return schedule_.get(); }
  const DynamicsSchedule* task_schedule() const { return task_schedule_.get(); }
  // Index of the current episode within the chain (0 for the first), -1 before the first reset.
  int episode_index() const { return episode_index_; }
  // Holds the chain at one position: every following reset starts an episode
  // with this index (the schedules' physics of that position), until
  // unpinned with -1, after which episodes count on from it. Samplers use it
  // to collect several episodes of one task T_i of a chain.
  void pin_episode_index(int index);
  int pinned_episode_index() const { return pinned_episode_index_; }
  int elapsed_steps() const { return elapsed_steps_; }

  // --- Allocation-free API (buffers hold one row per agent, see above) ---
  void reset_into(float* obs);
  // Throws if any agent's action value is NaN or infinite.
  void check_action(const float* actions) const;
  // Writes each agent's observation, reward (rewards[a]) and info.
  StepResult step_into(const float* actions, float* obs, double* rewards, float* info) {
    check_action(actions);
    return step_unchecked(actions, obs, rewards, info);
  }
  // For callers that already ran check_action (VectorEnv checks the whole batch first).
  StepResult step_unchecked(const float* actions, float* obs, double* rewards, float* info);

  // --- Checkpoints ---
  // Appends everything needed to continue this env bit-exactly (generator,
  // counters, physics) to `out`; load_state reads it back from `in` at
  // `offset` (advanced past it). The task and schedule are not saved: apply
  // them first, then load the state (which redoes the schedules' changes for
  // the restored position in the chain). When a schedule draws, the state
  // also holds the episode's seed for it (and only then).
  void save_state(std::string& out) const;
  void load_state(const std::string& in, size_t& offset);

  // --- Convenience API (observations and actions: num_agents() rows) ---
  std::vector<float> reset();
  std::vector<float> reset(uint64_t seed) {
    this->seed(seed);
    return reset();
  }
  Transition step(const std::vector<float>& actions);

 protected:
  // A one-agent env.
  Env(std::string name, Box observation_space, Box action_space, std::vector<std::string> info_names,
      int max_episode_steps);
  Env(std::string name, std::vector<AgentSpaces> agents, std::vector<std::string> info_names, int max_episode_steps);

  // For envs whose observation size is known only once their model is loaded.
  void set_observation_space(Box space, int agent = 0);

  // Puts the env in a fresh initial state drawn from `rng` and writes every agent's observation.
  virtual void reset_state(Rng& rng, float* obs) = 0;
  // Advances one control step. Writes every agent's observation, reward and
  // info, and sets terminated; the base sets truncated.
  virtual StepResult advance(const float* actions, float* obs, double* rewards, float* info) = 0;
  // The env-specific part of save_state/load_state (physics state).
  virtual void save_dynamic_state(std::string& out) const = 0;
  virtual void load_dynamic_state(const std::string& in, size_t& offset) = 0;

 private:
  void update_row_sizes();
  // Zeroes the part of each agent's row beyond its own observation.
  void pad_observation_rows(float* obs) const;

  std::string name_;
  std::vector<AgentSpaces> agents_;
  int obs_row_size_ = 0;
  int act_row_size_ = 0;
  bool agents_differ_in_size_ = false;
  std::vector<std::string> info_names_;
  int max_episode_steps_;

  Rng rng_;
  Task task_;
  bool has_task_ = false;
  // Both schedules, restored and then modified for (task, episode, step).
  void apply_schedules(int step);
  bool schedules_change_within_episode() const;
  bool schedules_draw() const;

  std::shared_ptr<const DynamicsSchedule> schedule_;
  std::shared_ptr<const DynamicsSchedule> task_schedule_;
  int episode_index_ = -1;
  int pinned_episode_index_ = -1;
  int elapsed_steps_ = 0;
  // Seeds the generator the schedules draw from in this episode. Drawn from
  // rng_ at each reset only when one of them draws: an env without drawing
  // schedules draws from rng_ exactly what its reset_state and advance do.
  uint64_t episode_seed_ = 0;
};

// Casts `env` to the concrete type a component needs, or throws naming both.
template <typename EnvType>
EnvType& env_as(Env& env, const std::string& who) {
  auto* typed = dynamic_cast<EnvType*>(&env);
  if (!typed) throw_env_error(who, ": cannot be used with env ", env.name());
  return *typed;
}

}  // namespace metarl
