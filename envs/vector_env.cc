#include "envs/vector_env.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include "envs/core/bytes.h"
#include "envs/core/error.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"

namespace metarl {
namespace {

std::vector<std::unique_ptr<Env>> make_envs(const std::string& name, int n, const Options& options) {
  if (n <= 0) throw_env_error("VectorEnv(", name, "): num_envs must be positive, got ", n);
  std::vector<std::unique_ptr<Env>> envs;
  envs.reserve(n);
  for (int i = 0; i < n; ++i) envs.push_back(make_env(name, options));
  return envs;
}

}  // namespace

VectorEnv::VectorEnv(const std::string& env_name, int num_envs, int num_threads, const Options& env_options)
    : VectorEnv(make_envs(env_name, num_envs, env_options), num_threads) {}

VectorEnv::VectorEnv(std::vector<std::unique_ptr<Env>> envs, int num_threads)
    : envs_(std::move(envs)), num_threads_(num_threads) {
  if (envs_.empty()) throw_env_error("VectorEnv: needs at least one env");
  if (num_threads_ <= 0) throw_env_error("VectorEnv: num_threads must be positive, got ", num_threads_);
  const Env& first = *envs_[0];
  num_agents_ = first.num_agents();
  obs_dim_ = first.obs_row_size();
  act_dim_ = first.act_row_size();
  for (const auto& e : envs_) {
    bool same = e->num_agents() == num_agents_ && e->info_names() == first.info_names();
    for (int a = 0; same && a < num_agents_; ++a)
      same = e->obs_dim(a) == first.obs_dim(a) && e->act_dim(a) == first.act_dim(a);
    if (!same) throw_env_error("VectorEnv: env ", e->name(), " does not match the shapes of ", first.name());
  }
  arena_.initialize(num_threads_);
  const size_t rows = size_t(num_rows());
  observations_.assign(rows * obs_dim_, 0.f);
  final_observations_.assign(rows * obs_dim_, 0.f);
  rewards_.assign(rows, 0.f);
  terminated_.assign(rows, 0);
  truncated_.assign(rows, 0);
  infos_.assign(rows * info_dim(), 0.f);
  episode_returns_.assign(rows, 0.f);
  episode_lengths_.assign(rows, 0);
  running_returns_.assign(rows, 0.0);
  step_rewards_.assign(rows, 0.0);
  for (int i = 0; i < num_envs(); ++i)
    for (int a = 0; a < num_agents_; ++a) {
      row_envs_.push_back(i);
      row_agents_.push_back(a);
    }
  seed(0);
}

std::vector<int64_t> VectorEnv::rows_of_agent(int agent) const {
  if (agent < 0 || agent >= num_agents_)
    throw_env_error("VectorEnv(", envs_[0]->name(), "): no agent ", agent, " (the env has ", num_agents_, ")");
  std::vector<int64_t> rows;
  for (int i = 0; i < num_envs(); ++i) rows.push_back(int64_t(i) * num_agents_ + agent);
  return rows;
}

void VectorEnv::seed(uint64_t seed, int64_t first_index) {
  for (size_t i = 0; i < envs_.size(); ++i) envs_[i]->seed(derive_seed(seed, uint64_t(first_index) + i));
}

void VectorEnv::set_task(int i, const TaskFamily& family, const Task& task) { family.apply(env(i), task); }

void VectorEnv::set_tasks(const TaskFamily& family, const std::vector<Task>& tasks) {
  if (static_cast<int>(tasks.size()) != num_envs())
    throw_env_error("VectorEnv(", envs_[0]->name(), "): ", tasks.size(), " tasks for ", num_envs(), " envs");
  for (int i = 0; i < num_envs(); ++i) family.apply(*envs_[i], tasks[i]);
}

void VectorEnv::set_schedule(std::shared_ptr<const DynamicsSchedule> schedule) {
  for (auto& e : envs_) e->set_schedule(schedule);
}

void VectorEnv::pin_episode_index(int index) {
  for (auto& e : envs_) e->pin_episode_index(index);
}

void VectorEnv::reset() {
  arena_.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<int>(0, num_envs()),
        [&](const tbb::blocked_range<int>& range) {
          for (int i = range.begin(); i < range.end(); ++i) {
            envs_[i]->reset_into(&observations_[size_t(i) * num_agents_ * obs_dim_]);
            if (state_observer_) state_observer_(i, *envs_[i]);
          }
        },
        tbb::static_partitioner());
  });
  std::fill(rewards_.begin(), rewards_.end(), 0.f);
  std::fill(terminated_.begin(), terminated_.end(), 0);
  std::fill(truncated_.begin(), truncated_.end(), 0);
  std::fill(running_returns_.begin(), running_returns_.end(), 0.0);
  was_reset_ = true;
}

void VectorEnv::step(const std::vector<float>& actions) {
  if (actions.size() != size_t(num_rows()) * act_dim_)
    throw_env_error("VectorEnv(", envs_[0]->name(), "): got ", actions.size(), " action values, expected ",
                    num_rows(), num_agents_ == 1 ? " envs x " : " rows x ", act_dim_);
  step(actions.data());
}

void VectorEnv::step(const float* actions) {
  if (!was_reset_) throw_env_error("VectorEnv(", envs_[0]->name(), "): step() called before reset()");
  for (int i = 0; i < num_envs(); ++i) {
    try {
      envs_[i]->check_action(actions + size_t(i) * num_agents_ * act_dim_);
    } catch (const EnvError& e) {
      throw_env_error("env ", i, " of ", num_envs(), ": ", e.what());
    }
  }
  arena_.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<int>(0, num_envs()),
        [&](const tbb::blocked_range<int>& range) {
          for (int i = range.begin(); i < range.end(); ++i) step_one(i, actions + size_t(i) * num_agents_ * act_dim_);
        },
        tbb::static_partitioner());
  });
  total_steps_ += num_envs();
}

namespace {

template <typename T>
void append_vector(std::string& out, const std::vector<T>& v) {
  append_bytes(out, v.data(), v.size() * sizeof(T));
}

template <typename T>
void read_vector(const std::string& in, size_t& offset, std::vector<T>& v) {
  read_bytes(in, offset, v.data(), v.size() * sizeof(T), "VectorEnv");
}

constexpr uint32_t kStateMagic = 0x4d52564e;  // "MRVN"

}  // namespace

std::string VectorEnv::save_state() const {
  std::string out;
  // Rows, not envs: a one-agent VectorEnv's state is what it always was.
  const uint32_t header[] = {kStateMagic, uint32_t(num_rows()), uint32_t(obs_dim_), uint32_t(act_dim_)};
  append_bytes(out, header, sizeof header);
  append_bytes(out, &total_steps_, sizeof total_steps_);
  const uint8_t reset = was_reset_;
  append_bytes(out, &reset, 1);
  for (const auto& e : envs_) e->save_state(out);
  append_vector(out, observations_);
  append_vector(out, rewards_);
  append_vector(out, terminated_);
  append_vector(out, truncated_);
  append_vector(out, infos_);
  append_vector(out, final_observations_);
  append_vector(out, episode_returns_);
  append_vector(out, episode_lengths_);
  append_vector(out, running_returns_);
  return out;
}

void VectorEnv::load_state(const std::string& state) {
  size_t offset = 0;
  uint32_t header[4];
  read_bytes(state, offset, header, sizeof header, "VectorEnv");
  if (header[0] != kStateMagic || header[1] != uint32_t(num_rows()) || header[2] != uint32_t(obs_dim_) ||
      header[3] != uint32_t(act_dim_))
    throw_env_error("VectorEnv(", envs_[0]->name(), "): checkpoint state is for ", header[1],
                    num_agents_ == 1 ? " envs" : " rows", " of shape ", header[2], " -> ", header[3], ", not ",
                    num_rows(), " of ", obs_dim_, " -> ", act_dim_);
  read_bytes(state, offset, &total_steps_, sizeof total_steps_, "VectorEnv");
  uint8_t reset = 0;
  read_bytes(state, offset, &reset, 1, "VectorEnv");
  was_reset_ = reset;
  for (auto& e : envs_) e->load_state(state, offset);
  read_vector(state, offset, observations_);
  read_vector(state, offset, rewards_);
  read_vector(state, offset, terminated_);
  read_vector(state, offset, truncated_);
  read_vector(state, offset, infos_);
  read_vector(state, offset, final_observations_);
  read_vector(state, offset, episode_returns_);
  read_vector(state, offset, episode_lengths_);
  read_vector(state, offset, running_returns_);
  if (offset != state.size()) throw_env_error("VectorEnv(", envs_[0]->name(), "): checkpoint state has trailing bytes");
}

void VectorEnv::step_one(int i, const float* actions) {
  Env& e = *envs_[i];
  const size_t first_row = size_t(i) * num_agents_;
  float* obs = &observations_[first_row * obs_dim_];
  const StepResult r = e.step_unchecked(actions, obs, &step_rewards_[first_row], &infos_[first_row * info_dim()]);
  const bool ended = r.terminated || r.truncated;
  for (size_t row = first_row; row < first_row + num_agents_; ++row) {
    rewards_[row] = static_cast<float>(step_rewards_[row]);
    terminated_[row] = r.terminated;
    truncated_[row] = r.truncated;
    running_returns_[row] += step_rewards_[row];
    if (ended) {
      episode_returns_[row] = static_cast<float>(running_returns_[row]);
      episode_lengths_[row] = e.elapsed_steps();
      running_returns_[row] = 0.0;
    }
  }
  if (state_observer_) state_observer_(i, e);
  if (ended) {
    const size_t values = size_t(num_agents_) * obs_dim_;
    std::copy(obs, obs + values, &final_observations_[first_row * obs_dim_]);
    e.reset_into(obs);
    if (state_observer_) state_observer_(i, e);
  }
}

}  // namespace metarl
