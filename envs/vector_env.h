// N environments stepped together by a fixed pool of TBB worker threads.
//
// Results are written straight into contiguous batch buffers, one per field,
// with one row per (env, agent) pair, env after env and an env's agents
// together ([rows, obs_dim] floats for observations, [rows] for rewards...),
// so a learner can wrap them as tensors without copying. row_envs() and
// row_agents() say whose each row is. A one-agent env has one row per env;
// envs with agents of different sizes pad each row to the widest agent's
// (Env's row layout).
//
// Each env owns its physics (its own mjModel copy and mjData), its Rng seeded
// from (seed, env index), its task and its schedule. Nothing is shared between
// envs while they step, so the results are bit-identical for a given seed
// whatever the number of threads.
//
// Auto-reset, per env: when env i's episode ends at a step, the last
// observation of each of its rows r goes to final_observations()[r], the
// row's return and the episode's length to episode_returns()[r] and
// episode_lengths()[r], and observations()[r] already holds the first
// observation of its next episode. rewards/terminated/truncated describe the
// step that ended the episode (terminated/truncated are the env's, repeated
// on each of its rows).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tbb/task_arena.h>

#include "envs/core/env.h"
#include "envs/core/options.h"

namespace metarl {

class TaskFamily;

class VectorEnv {
 public:
  // Takes ownership of envs that must share agents, observation and action sizes.
  VectorEnv(std::vector<std::unique_ptr<Env>> envs, int num_threads);
  // num_envs copies of registered env `env_name`.
  VectorEnv(const std::string& env_name, int num_envs, int num_threads, const Options& env_options = {});

  int num_envs() const { return static_cast<int>(envs_.size()); }
  int num_agents() const { return num_agents_; }  // per env
  int num_rows() const { return num_envs() * num_agents_; }
  int num_threads() const { return num_threads_; }
  // Row widths (for one-agent envs the env's observation and action sizes).
  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }
  int info_dim() const { return static_cast<int>(info_names().size()); }
  const std::vector<std::string>& info_names() const { return envs_.front()->info_names(); }
  const Box& observation_space(int agent = 0) const { return envs_.front()->observation_space(agent); }
  const Box& action_space(int agent = 0) const { return envs_.front()->action_space(agent); }
  // For each row, its env and its agent within that env.
  const std::vector<int64_t>& row_envs() const { return row_envs_; }
  const std::vector<int64_t>& row_agents() const { return row_agents_; }
  // The rows of agent `agent` of every env, in env order.
  std::vector<int64_t> rows_of_agent(int agent) const;
  Env& env(int i) { return *envs_.at(i); }
  const Env& env(int i) const { return *envs_.at(i); }

  // Env i draws from Rng(derive_seed(seed, first_index + i)): a process
  // holding envs [first_index, ...) of a run spread over several seeds them
  // as one process holding them all would.
  void seed(uint64_t seed, int64_t first_index = 0);
  void set_task(int i, const TaskFamily& family, const Task& task);
  // tasks.size() must equal num_envs().
  void set_tasks(const TaskFamily& family, const std::vector<Task>& tasks);
  void set_schedule(std::shared_ptr<const DynamicsSchedule> schedule);
  // Every env held at one position of its chain (Env::pin_episode_index); -1 unpins.
  void pin_episode_index(int index);

  // Resets every env and fills observations().
  void reset();
  // actions: [num_rows, act_dim] floats. The whole batch is checked before any
  // env moves, so a bad action leaves every env as it was.
  void step(const float* actions);
  void step(const std::vector<float>& actions);

  // Batch buffers, valid until the next reset/step.
  const float* observations() const { return observations_.data(); }
  const float* rewards() const { return rewards_.data(); }
  const uint8_t* terminated() const { return terminated_.data(); }
  const uint8_t* truncated() const { return truncated_.data(); }
  const float* infos() const { return infos_.data(); }
  const float* final_observations() const { return final_observations_.data(); }
  const float* episode_returns() const { return episode_returns_.data(); }
  const int32_t* episode_lengths() const { return episode_lengths_.data(); }
  bool done(int row) const { return terminated_[row] || truncated_[row]; }

  // Checkpoints: every env's state plus the batch buffers, as bytes. Load
  // into a VectorEnv built the same way (same env, count, options, tasks and
  // schedules applied); stepping then continues bit-exactly.
  std::string save_state() const;
  void load_state(const std::string& state);

  // Total env steps taken since construction.
  int64_t total_steps() const { return total_steps_; }

  // Called with (env index, the env) whenever an env's state changes: after
  // each reset, and after each step before an auto-reset (so an episode's
  // last state is seen, then the next episode's first). For recorders
  // (replays). It runs on the worker threads, for different envs at once:
  // it may touch only what belongs to the env it is given. Empty: none.
  using StateObserver = std::function<void(int, const Env&)>;
  void set_state_observer(StateObserver observer) { state_observer_ = std::move(observer); }

 private:
  void step_one(int i, const float* action);

  std::vector<std::unique_ptr<Env>> envs_;
  StateObserver state_observer_;
  int num_threads_;
  int num_agents_ = 1;
  int obs_dim_ = 0;
  int act_dim_ = 0;
  tbb::task_arena arena_;

  std::vector<float> observations_;
  std::vector<float> rewards_;
  std::vector<uint8_t> terminated_;
  std::vector<uint8_t> truncated_;
  std::vector<float> infos_;
  std::vector<float> final_observations_;
  std::vector<float> episode_returns_;
  std::vector<int32_t> episode_lengths_;
  std::vector<double> running_returns_;  // return of the episode in progress
  std::vector<double> step_rewards_;     // the last step's rewards, as the envs computed them
  std::vector<int64_t> row_envs_, row_agents_;
  int64_t total_steps_ = 0;
  bool was_reset_ = false;
};

}  // namespace metarl
