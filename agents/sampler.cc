#include "agents/sampler.h"

#include <algorithm>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "agents/stopwatch.h"

namespace metarl {
namespace {

// The per-step work of a rollout is small tensors (one row per env): LibTorch's
// intra-op threads cost more in synchronisation than they save there (the
// batched policy call of HalfCheetahVel's 800 envs took 3x as long on two
// threads as on one), so sampling runs on one; the learner keeps them all.
class OneIntraOpThread {
 public:
  OneIntraOpThread() : saved_(at::get_num_threads()) {
    if (saved_ != 1) at::set_num_threads(1);
  }
  ~OneIntraOpThread() {
    if (saved_ != 1) at::set_num_threads(saved_);
  }
  OneIntraOpThread(const OneIntraOpThread&) = delete;
  OneIntraOpThread& operator=(const OneIntraOpThread&) = delete;

 private:
  int saved_;
};

torch::Tensor view_floats(const float* data, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(data), shape, torch::kFloat32);
}

torch::Tensor view_flags(const uint8_t* data, int64_t n) {
  return torch::from_blob(const_cast<uint8_t*>(data), {n}, torch::kUInt8).to(torch::kFloat32);
}

// The agent whose spaces `rows` share (throws naming `who` when rows are out
// of range or belong to agents of different sizes).
int agent_of_rows(const VectorEnv& env, const std::vector<int64_t>& rows, const std::string& who) {
  TORCH_CHECK(!rows.empty(), who, ": acts for no rows");
  const int64_t first = rows.front();
  TORCH_CHECK(first >= 0 && first < env.num_rows(), who, ": row ", first, " of ", env.num_rows());
  const int agent = int(env.row_agents()[size_t(first)]);
  for (const int64_t row : rows) {
    TORCH_CHECK(row >= 0 && row < env.num_rows(), who, ": row ", row, " of ", env.num_rows());
    const int other = int(env.row_agents()[size_t(row)]);
    TORCH_CHECK(env.observation_space(other).size() == env.observation_space(agent).size() &&
                    env.action_space(other).size() == env.action_space(agent).size(),
                who, ": rows ", first, " and ", row, " belong to agents of different sizes");
  }
  return agent;
}

torch::Tensor float_tensor(const std::vector<double>& values) {
  return torch::tensor(values, torch::kFloat64).to(torch::kFloat32);
}

// An RL² player's input: `obs` [B, d] followed by the previous rewards and
// the episode-start flags [B] (kTrialInputs columns).
torch::Tensor with_trial_inputs(const torch::Tensor& obs, const torch::Tensor& previous_rewards,
                                const torch::Tensor& starts) {
  return torch::cat({obs, previous_rewards.unsqueeze(-1), starts.unsqueeze(-1)}, -1);
}

}  // namespace

Sampler::Sampler(VectorEnv& env, const Policy& policy, uint64_t seed, RunningNormalizer* normalizer,
                 bool update_normalizer, std::vector<int64_t> learner_rows, bool trial_inputs)
    : env_(env),
      policy_(policy),
      normalizer_(normalizer),
      update_normalizer_(update_normalizer),
      generator_(at::make_generator<at::CPUGeneratorImpl>(seed)),
      learner_rows_(learner_rows.empty() ? env.rows_of_agent(0) : std::move(learner_rows)),
      learner_trial_inputs_(trial_inputs) {
  const int agent = agent_of_rows(env, learner_rows_, "Sampler: the learner");
  const int obs_dim = env.observation_space(agent).size(), act_dim = env.action_space(agent).size();
  const int extra = trial_inputs ? kTrialInputs : 0;
  TORCH_CHECK(policy.obs_dim() == obs_dim + extra && policy.act_dim() == act_dim, "Sampler: policy is ",
              policy.obs_dim(), " -> ", policy.act_dim(), " but env ", env.env(0).name(), " is ", obs_dim, " -> ",
              act_dim, trial_inputs ? " (plus the RL² inputs)" : "");
  TORCH_CHECK(!trial_inputs || policy.recurrent(), "Sampler: an RL² learner needs a recurrent policy");
  const Box& space = env.action_space(agent);
  action_low_ = float_tensor(space.low());
  action_high_ = float_tensor(space.high());
  std::vector<bool> seen(size_t(env.num_rows()), false);
  for (const int64_t row : learner_rows_) {
    TORCH_CHECK(!seen[size_t(row)], "Sampler: the learner's row ", row, " is listed twice");
    seen[size_t(row)] = true;
  }
  learner_index_ = torch::tensor(learner_rows_, torch::kLong);
  learner_plays_every_row_ = int64_t(learner_rows_.size()) == env.num_rows() && obs_dim == env.obs_dim() &&
                             act_dim == env.act_dim();
  for (size_t j = 0; learner_plays_every_row_ && j < learner_rows_.size(); ++j)
    learner_plays_every_row_ = learner_rows_[j] == int64_t(j);
}

void Sampler::set_opponents(std::vector<Actor> opponents) {
  std::vector<int> played(size_t(env_.num_rows()), 0);
  for (const int64_t row : learner_rows_) ++played[size_t(row)];
  std::vector<Opponent> prepared;
  for (size_t k = 0; k < opponents.size(); ++k) {
    const std::string who = "Sampler: opponent " + std::to_string(k);
    Actor& actor = opponents[k];
    TORCH_CHECK(actor.policy, who, " has no policy");
    const int agent = agent_of_rows(env_, actor.rows, who);
    Opponent o;
    o.obs_dim = env_.observation_space(agent).size();
    o.act_dim = env_.action_space(agent).size();
    const int extra = actor.trial_inputs ? kTrialInputs : 0;
    TORCH_CHECK(actor.policy->obs_dim() == o.obs_dim + extra && actor.policy->act_dim() == o.act_dim, who,
                ": policy is ", actor.policy->obs_dim(), " -> ", actor.policy->act_dim(), " but its agent is ",
                o.obs_dim, " -> ", o.act_dim, actor.trial_inputs ? " (plus the RL² inputs)" : "");
    for (const int64_t row : actor.rows) ++played[size_t(row)];
    o.rows = torch::tensor(actor.rows, torch::kLong);
    o.action_low = float_tensor(env_.action_space(agent).low());
    o.action_high = float_tensor(env_.action_space(agent).high());
    o.state = actor.policy->initial_state(int64_t(actor.rows.size()));
    o.actor = std::move(actor);
    prepared.push_back(std::move(o));
  }
  for (size_t row = 0; row < played.size(); ++row)
    TORCH_CHECK(played[row] == 1, "Sampler: row ", row, played[row] == 0 ? " has no actor" : " has several actors");
  opponents_ = std::move(prepared);
}

torch::Tensor Sampler::policy_input(const torch::Tensor& raw) const {
  return normalizer_ ? normalizer_->normalize(raw) : raw;
}

torch::Tensor Sampler::learner_part(const torch::Tensor& all_rows) const {
  return learner_plays_every_row_ ? all_rows : all_rows.index_select(0, learner_index_);
}

void Sampler::act_opponents(torch::Tensor& actions) {
  using torch::indexing::Slice;
  for (Opponent& o : opponents_) {
    auto raw = raw_obs_.index_select(0, o.rows).narrow(1, 0, o.obs_dim);
    if (o.actor.trial_inputs)
      raw = with_trial_inputs(raw, previous_rewards_.index_select(0, o.rows), episode_starts_.index_select(0, o.rows));
    const auto obs = o.actor.normalizer ? o.actor.normalizer->normalize(raw) : raw;
    const DiagGaussian dist =
        o.actor.policy->step(obs, episode_starts_.index_select(0, o.rows), o.state, o.actor.params);
    const auto sampled = dist.sample(generator_);
    const auto clipped = torch::max(torch::min(sampled, o.action_high), o.action_low);
    actions.index_put_({o.rows, Slice(0, o.act_dim)}, clipped);
    if (o.actor.record) {
      o.observations.push_back(obs);
      o.actions.push_back(sampled);
      o.log_probs.push_back(dist.log_prob(sampled));
    }
  }
}

const EpisodeBatch& Sampler::opponent_batch(size_t k) const {
  TORCH_CHECK(k < opponents_.size(), "Sampler: no opponent ", k, " (", opponents_.size(), " set)");
  TORCH_CHECK(opponents_[k].actor.record, "Sampler: opponent ", k, " was not set to record");
  return opponents_[k].batch;
}

void Sampler::assemble_opponent_batches(int64_t steps, const torch::Tensor& rewards, const torch::Tensor& terminated,
                                        const torch::Tensor& truncated, const torch::Tensor& episode_starts,
                                        const torch::Tensor& timesteps, const torch::Tensor& infos,
                                        const torch::Tensor& raw_next, const torch::Tensor& masks) {
  for (Opponent& o : opponents_) {
    if (!o.actor.record) continue;
    const auto rows = [&](const torch::Tensor& all) { return all.narrow(0, 0, steps).index_select(1, o.rows); };
    EpisodeBatch b;
    b.observations = torch::stack(o.observations).narrow(0, 0, steps);
    auto next = rows(raw_next).narrow(2, 0, o.obs_dim);
    if (o.actor.trial_inputs) next = with_trial_inputs(next, rows(rewards), torch::zeros_like(rows(rewards)));
    b.next_observations = o.actor.normalizer ? o.actor.normalizer->normalize(next) : next;
    b.actions = torch::stack(o.actions).narrow(0, 0, steps);
    b.log_probs = torch::stack(o.log_probs).narrow(0, 0, steps);
    b.rewards = rows(rewards);
    b.terminated = rows(terminated);
    b.truncated = rows(truncated);
    b.episode_end = torch::clamp_max(b.terminated + b.truncated, 1.0);
    b.episode_starts = rows(episode_starts);
    b.timesteps = rows(timesteps);
    b.infos = rows(infos);
    b.masks = rows(masks);
    b.info_names = env_.info_names();
    if (o.actor.policy->recurrent()) b.initial_state = o.actor.policy->initial_state(o.rows.size(0));
    // Its episodes that ended inside the batch: returns from its rewards
    // (read through accessors: one scalar read per step and row would cost
    // more than the rollout's policy calls).
    const auto masks = b.masks.contiguous(), rewards_f = b.rewards.contiguous(), ends = b.episode_end.contiguous(),
               steps_in = b.timesteps.contiguous();
    const auto m = masks.accessor<float, 2>(), r = rewards_f.accessor<float, 2>(), e = ends.accessor<float, 2>(),
               ts = steps_in.accessor<float, 2>();
    for (int64_t j = 0; j < b.num_envs(); ++j) {
      double running = 0;
      for (int64_t t = 0; t < b.horizon(); ++t) {
        if (m[t][j] == 0) continue;
        running += double(r[t][j]);
        if (e[t][j] > 0) {
          b.episode_returns.push_back(running);
          b.episode_lengths.push_back(int64_t(ts[t][j]) + 1);
          b.episode_envs.push_back(j);
          running = 0;
        }
      }
    }
    o.observations.clear();
    o.actions.clear();
    o.log_probs.clear();
    o.batch = std::move(b);
  }
}

void Sampler::begin_fresh_episodes(bool keep_learner_memory) {
  const auto start = Clock::now();
  env_.reset();
  times_.env_seconds += seconds_since(start);
  const int64_t rows = env_.num_rows();
  raw_obs_ = view_floats(env_.observations(), {rows, env_.obs_dim()}).clone();
  episode_starts_ = torch::ones({rows});
  timesteps_ = torch::zeros({rows});
  running_returns_ = torch::zeros({rows}, torch::kFloat64);
  previous_rewards_ = torch::zeros({rows});
  if (keep_learner_memory) {
    policy_state_ = {trial_memory_.state.h.clone(), trial_memory_.state.c.clone()};
    previous_rewards_.index_copy_(0, learner_index_, trial_memory_.previous_rewards);
  } else {
    policy_state_ = policy_.initial_state(int64_t(learner_rows_.size()));
  }
  for (Opponent& o : opponents_) o.state = o.actor.policy->initial_state(o.rows.size(0));
  started_ = true;
}

EpisodeBatch Sampler::collect(int64_t steps, const Params& params) {
  if (!started_) begin_fresh_episodes();
  return run(steps, params, {}, 0, /*single_episode=*/false);
}

EpisodeBatch Sampler::collect_episodes(int64_t horizon, const Params& params, bool continue_trial) {
  TORCH_CHECK(!continue_trial || learner_trial_inputs_, "Sampler: only an RL² learner (trial inputs) continues a trial");
  TORCH_CHECK(!continue_trial || trial_open_, "Sampler: no trial to continue (no episodes collected or memory set)");
  begin_fresh_episodes(continue_trial);
  EpisodeBatch batch = run(horizon, params, {}, 0, /*single_episode=*/true, continue_trial);
  started_ = false;  // the envs are mid-way through second episodes: start afresh next time
  if (learner_trial_inputs_) {
    trial_memory_ = {{policy_state_.h.clone(), policy_state_.c.clone()}, learner_part(previous_rewards_).clone()};
    trial_open_ = true;
  }
  return batch;
}

bool Sampler::uses_trial_inputs() const {
  return learner_trial_inputs_ ||
         std::any_of(opponents_.begin(), opponents_.end(), [](const Opponent& o) { return o.actor.trial_inputs; });
}

void Sampler::update_previous_rewards(const torch::Tensor& rewards, const torch::Tensor& ended,
                                      const torch::Tensor& acting, bool keeps_learner_memory) {
  // This step's reward where the row's env was still in its episode (it
  // stays the episode's last through the masked steps after it).
  previous_rewards_ = torch::where(acting > 0, rewards, previous_rewards_);
  // Where an episode ended, 0 for every player whose memory restarts there.
  const auto learner_kept = keeps_learner_memory ? learner_part(previous_rewards_).clone() : torch::Tensor();
  previous_rewards_ = previous_rewards_ * (1.0 - ended);
  if (keeps_learner_memory) previous_rewards_.index_copy_(0, learner_index_, learner_kept);
}

const TrialMemory& Sampler::trial_memory() const {
  TORCH_CHECK(learner_trial_inputs_ && trial_open_, "Sampler: no RL² memory (trial inputs and episodes collected)");
  return trial_memory_;
}

void Sampler::set_trial_memory(TrialMemory memory) {
  const int64_t n = int64_t(learner_rows_.size());
  TORCH_CHECK(learner_trial_inputs_, "Sampler: only an RL² learner (trial inputs) has a memory to set");
  TORCH_CHECK(memory.state.h.defined() && memory.state.h.size(0) == n && memory.state.c.sizes() == memory.state.h.sizes() &&
                  memory.previous_rewards.dim() == 1 && memory.previous_rewards.size(0) == n,
              "Sampler: a memory for another number of envs than the learner's ", n);
  trial_memory_ = std::move(memory);
  trial_open_ = true;
}

EpisodeBatch Sampler::collect_episodes_grouped(int64_t horizon, const Params& stacked, int64_t groups) {
  const int64_t n = int64_t(learner_rows_.size());
  TORCH_CHECK(groups > 0 && n % groups == 0, "Sampler: ", n, " envs do not split into ", groups, " groups");
  begin_fresh_episodes();
  EpisodeBatch batch = run(horizon, {}, stacked, groups, /*single_episode=*/true);
  started_ = false;
  return batch;
}

EpisodeBatch EpisodeBatch::select_envs(int64_t begin, int64_t count) const {
  std::vector<int64_t> envs(static_cast<size_t>(count));
  for (int64_t j = 0; j < count; ++j) envs[size_t(j)] = begin + j;
  return select_envs(envs);
}

EpisodeBatch EpisodeBatch::select_envs(const std::vector<int64_t>& envs) const {
  const int64_t n = num_envs();
  std::vector<int64_t> column_of(size_t(n), -1);  // each env's column in the result, -1: dropped
  for (size_t j = 0; j < envs.size(); ++j) {
    TORCH_CHECK(envs[j] >= 0 && envs[j] < n, "select_envs: env ", envs[j], " of a batch of ", n);
    TORCH_CHECK(column_of[size_t(envs[j])] < 0, "select_envs: env ", envs[j], " selected twice");
    column_of[size_t(envs[j])] = int64_t(j);
  }
  const torch::Tensor index = torch::tensor(envs, torch::kLong);
  EpisodeBatch b;
  const auto from = step_tensors();
  const auto to = b.step_tensors();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i]->defined()) *to[i] = from[i]->index_select(1, index);
  b.info_names = info_names;
  if (initial_state.h.defined())
    b.initial_state = {initial_state.h.index_select(0, index), initial_state.c.index_select(0, index)};
  // The kept episodes in their original order.
  for (size_t k = 0; k < episode_envs.size(); ++k) {
    const int64_t column = column_of[size_t(episode_envs[k])];
    if (column < 0) continue;
    b.episode_returns.push_back(episode_returns[k]);
    b.episode_lengths.push_back(episode_lengths[k]);
    b.episode_envs.push_back(column);
  }
  return b;
}

EpisodeBatch interleave_envs(const std::vector<EpisodeBatch>& batches) {
  TORCH_CHECK(!batches.empty(), "interleave_envs: no batches");
  const auto& first = batches.front();
  const int64_t rounds = int64_t(batches.size()), n = first.num_envs(), horizon = first.horizon();
  for (const auto& b : batches)
    TORCH_CHECK(b.num_envs() == n && b.horizon() == horizon, "interleave_envs: a batch of ", b.horizon(), " x ",
                b.num_envs(), " among batches of ", horizon, " x ", n, " (steps x envs)");
  EpisodeBatch out;
  const auto to = out.step_tensors();
  for (size_t f = 0; f < to.size(); ++f) {
    std::vector<torch::Tensor> parts;
    for (const auto& b : batches) parts.push_back(*b.step_tensors()[f]);
    // [T, N, B, ...] -> [T, N * B, ...]: env-major, round-minor.
    const auto stacked = torch::stack(parts, 2);
    auto shape = stacked.sizes().vec();
    shape.erase(shape.begin() + 2);
    shape[1] = n * rounds;
    *to[f] = stacked.reshape(shape);
  }
  out.info_names = first.info_names;
  if (first.initial_state.h.defined()) {
    std::vector<torch::Tensor> hs, cs;
    for (const auto& b : batches) hs.push_back(b.initial_state.h), cs.push_back(b.initial_state.c);
    out.initial_state = {torch::stack(hs, 1).reshape({n * rounds, -1}), torch::stack(cs, 1).reshape({n * rounds, -1})};
  }
  for (int64_t r = 0; r < rounds; ++r) {
    const auto& b = batches[size_t(r)];
    for (size_t k = 0; k < b.episode_envs.size(); ++k) {
      out.episode_returns.push_back(b.episode_returns[k]);
      out.episode_lengths.push_back(b.episode_lengths[k]);
      out.episode_envs.push_back(b.episode_envs[k] * rounds + r);
    }
  }
  return out;
}

EpisodeBatch concatenate_in_time(const std::vector<EpisodeBatch>& batches) {
  TORCH_CHECK(!batches.empty(), "concatenate_in_time: no batches");
  const auto& first = batches.front();
  if (batches.size() == 1) return first;
  for (const auto& b : batches)
    TORCH_CHECK(b.num_envs() == first.num_envs(), "concatenate_in_time: a batch of ", b.num_envs(),
                " envs among batches of ", first.num_envs());
  EpisodeBatch out;
  const auto to = out.step_tensors();
  for (size_t f = 0; f < to.size(); ++f) {
    if (!first.step_tensors()[f]->defined()) continue;
    std::vector<torch::Tensor> parts;
    for (const auto& b : batches) parts.push_back(*b.step_tensors()[f]);
    *to[f] = torch::cat(parts, 0);
  }
  out.info_names = first.info_names;
  out.initial_state = first.initial_state;
  for (const auto& b : batches) {
    out.episode_returns.insert(out.episode_returns.end(), b.episode_returns.begin(), b.episode_returns.end());
    out.episode_lengths.insert(out.episode_lengths.end(), b.episode_lengths.begin(), b.episode_lengths.end());
    out.episode_envs.insert(out.episode_envs.end(), b.episode_envs.begin(), b.episode_envs.end());
  }
  return out;
}

EpisodeBatch compact_in_time(const EpisodeBatch& batch) {
  const int64_t steps = batch.horizon();
  // Sorting each column by (masked, t): the keys are distinct, so the order is unique.
  const auto t = torch::arange(steps, torch::kLong).unsqueeze(1).expand({steps, batch.num_envs()});
  const auto order = std::get<1>((batch.masks <= 0).to(torch::kLong).mul(steps).add(t).sort(0));
  EpisodeBatch out = batch;
  for (torch::Tensor* field : out.step_tensors()) {
    if (!field->defined()) continue;
    auto index = order;
    while (index.dim() < field->dim()) index = index.unsqueeze(-1);
    *field = field->gather(0, index.expand_as(*field));
  }
  return out;
}

EpisodeBatch pad_in_time(const EpisodeBatch& batch, int64_t horizon) {
  TORCH_CHECK(horizon >= batch.horizon(), "pad_in_time: a batch of ", batch.horizon(), " steps cannot shrink to ",
              horizon);
  if (horizon == batch.horizon()) return batch;
  EpisodeBatch out = batch;
  for (torch::Tensor* field : out.step_tensors()) {
    if (!field->defined()) continue;
    auto shape = field->sizes().vec();
    shape[0] = horizon - batch.horizon();
    *field = torch::cat({*field, torch::zeros(shape, field->options())}, 0);
  }
  return out;
}

EpisodeBatch Sampler::run(int64_t steps, const Params& params, const Params& stacked, int64_t groups,
                          bool single_episode, bool continue_trial) {
  TORCH_CHECK(steps > 0, "Sampler: steps must be positive, got ", steps);
  const int64_t rows = env_.num_rows(), n = int64_t(learner_rows_.size());
  // set_opponents checked that the learner and the opponents play each row once.
  TORCH_CHECK(n == rows || !opponents_.empty(), "Sampler: the learner plays ", n, " of ", rows,
              " rows and no opponents play the others");
  torch::NoGradGuard no_grad;
  const OneIntraOpThread one_thread;
  const int64_t obs_dim = policy_.obs_dim(), act_dim = policy_.act_dim(), info_dim = env_.info_dim();
  const int64_t row_obs = env_.obs_dim(), row_act = env_.act_dim();
  // The learner's agent's observations among the rows' (narrower than a row
  // when agents differ in size), without the RL² inputs.
  const int64_t agent_obs = obs_dim - (learner_trial_inputs_ ? kTrialInputs : 0);
  const auto learner_obs = [&](const torch::Tensor& all) {
    const auto part = learner_part(all);
    return agent_obs == row_obs ? part : part.narrow(1, 0, agent_obs);
  };
  // An RL² learner in fixed episodes keeps its memory: its state restarts
  // only at a fresh trial's first step and stands still through the steps
  // masked after an env's episode, its previous reward stays that episode's
  // last, so the next collect can continue from there.
  const bool keeps_memory = learner_trial_inputs_ && single_episode;
  const bool trial_inputs_in_use = uses_trial_inputs();

  EpisodeBatch b;
  b.observations = torch::zeros({steps, n, obs_dim});
  b.next_observations = torch::zeros({steps, n, obs_dim});
  b.actions = torch::zeros({steps, n, act_dim});
  b.log_probs = torch::zeros({steps, n});
  b.rewards = torch::zeros({steps, n});
  b.terminated = torch::zeros({steps, n});
  b.truncated = torch::zeros({steps, n});
  b.episode_starts = torch::zeros({steps, n});
  b.masks = torch::zeros({steps, n});
  b.timesteps = torch::zeros({steps, n});
  b.infos = torch::zeros({steps, n, info_dim});
  b.info_names = env_.info_names();
  if (policy_.recurrent()) b.initial_state = {policy_state_.h.clone(), policy_state_.c.clone()};
  torch::Tensor raw_batch = torch::zeros({steps, n, obs_dim});  // for the normaliser update
  torch::Tensor raw_next_batch = torch::zeros({steps, n, obs_dim});

  // single_episode: which envs are still in their episode (1) or have ended
  // it (0: their later steps are masked), and the learner's columns of them.
  // Envs where the learner has no row count too: opponents play them.
  const int64_t num_envs = env_.num_envs();
  torch::Tensor env_active = torch::ones({num_envs});
  torch::Tensor active = torch::ones({n});
  std::vector<int64_t> first_row(size_t(num_envs), -1), learner_envs;
  for (size_t r = 0; r < env_.row_envs().size(); ++r)
    if (first_row[size_t(env_.row_envs()[r])] < 0) first_row[size_t(env_.row_envs()[r])] = int64_t(r);
  for (const int64_t row : learner_rows_) learner_envs.push_back(env_.row_envs()[size_t(row)]);
  const auto env_first_row = torch::tensor(first_row, torch::kLong);
  const auto learner_env = torch::tensor(learner_envs, torch::kLong);
  const auto row_env = torch::tensor(env_.row_envs(), torch::kLong);
  int64_t used_steps = steps;
  // Opponents that record their own batch: every row's step tensors.
  const bool recording =
      std::any_of(opponents_.begin(), opponents_.end(), [](const Opponent& o) { return o.actor.record; });
  std::vector<torch::Tensor> all_rewards, all_terminated, all_truncated, all_starts, all_timesteps, all_infos,
      all_next, all_masks;
  if (recording)
    for (Opponent& o : opponents_) o.observations.clear(), o.actions.clear(), o.log_probs.clear();
  for (int64_t t = 0; t < steps; ++t) {
    auto start = Clock::now();
    torch::Tensor raw_obs = learner_obs(raw_obs_);
    if (learner_trial_inputs_)
      raw_obs = with_trial_inputs(raw_obs, learner_part(previous_rewards_), learner_part(episode_starts_));
    const auto obs = policy_input(raw_obs);
    const auto episode_starts = !keeps_memory ? learner_part(episode_starts_)
                                : t == 0 && !continue_trial ? torch::ones({n}) : torch::zeros({n});
    times_.other_seconds += seconds_since(start);

    start = Clock::now();
    PolicyState before;  // with keeps_memory: shallow, a step assigns new tensors
    if (keeps_memory) before = policy_state_;
    const DiagGaussian dist = groups > 0 ? policy_.step_grouped(obs, episode_starts, policy_state_, stacked, groups)
                                         : policy_.step(obs, episode_starts, policy_state_, params);
    if (keeps_memory) {
      const auto acting = active.unsqueeze(-1) > 0;
      policy_state_ = {torch::where(acting, policy_state_.h, before.h), torch::where(acting, policy_state_.c, before.c)};
    }
    const auto actions =
        noise_rows_ > 0 ? dist.sample_rows(generator_, noise_rows_, first_noise_row_) : dist.sample(generator_);
    const auto log_probs = dist.log_prob(actions);
    const auto clipped = torch::max(torch::min(actions, action_high_), action_low_).contiguous();
    torch::Tensor env_actions = clipped;
    if (!learner_plays_every_row_) {
      env_actions = torch::zeros({rows, row_act});
      env_actions.index_put_({learner_index_, torch::indexing::Slice(0, act_dim)}, clipped);
      act_opponents(env_actions);
    }
    times_.policy_seconds += seconds_since(start);

    start = Clock::now();
    env_.step(env_actions.data_ptr<float>());
    times_.env_seconds += seconds_since(start);

    start = Clock::now();
    const auto terminated_rows = view_flags(env_.terminated(), rows);
    const auto truncated_rows = view_flags(env_.truncated(), rows);
    const auto ended_rows = torch::clamp_max(terminated_rows + truncated_rows, 1.0);
    const auto new_raw_rows = view_floats(env_.observations(), {rows, row_obs}).clone();
    const auto rewards_rows = view_floats(env_.rewards(), {rows});
    const auto terminated = learner_part(terminated_rows);
    const auto truncated = learner_part(truncated_rows);
    const auto ended = learner_part(ended_rows);
    const auto new_raw = learner_obs(new_raw_rows);
    const auto final_raw = learner_obs(view_floats(env_.final_observations(), {rows, row_obs}));
    const auto rewards = learner_part(rewards_rows);
    auto raw_next = torch::where(ended.unsqueeze(-1) > 0, final_raw, new_raw);
    if (learner_trial_inputs_) raw_next = with_trial_inputs(raw_next, rewards, torch::zeros({n}));

    b.observations[t] = obs;
    b.next_observations[t] = policy_input(raw_next);
    b.actions[t] = actions;
    b.log_probs[t] = log_probs;
    b.rewards[t] = rewards;
    b.terminated[t] = terminated;
    b.truncated[t] = truncated;
    b.episode_starts[t] = episode_starts;
    b.masks[t] = active;
    b.timesteps[t] = learner_part(timesteps_);
    b.infos[t] = learner_part(view_floats(env_.infos(), {rows, info_dim}));
    raw_batch[t] = raw_obs;
    raw_next_batch[t] = raw_next;
    if (recording) {
      all_rewards.push_back(rewards_rows.clone());
      all_terminated.push_back(terminated_rows.clone());
      all_truncated.push_back(truncated_rows.clone());
      all_starts.push_back(episode_starts_.clone());
      all_timesteps.push_back(timesteps_.clone());
      all_infos.push_back(view_floats(env_.infos(), {rows, info_dim}).clone());
      all_next.push_back(torch::where(ended_rows.unsqueeze(-1) > 0,
                                      view_floats(env_.final_observations(), {rows, row_obs}), new_raw_rows));
      all_masks.push_back(env_active.index_select(0, row_env));
    }

    running_returns_ += rewards_rows.to(torch::kFloat64);
    const auto* ended_ptr = ended.data_ptr<float>();
    const auto* active_ptr = active.data_ptr<float>();
    for (int64_t j = 0; j < n; ++j) {
      if (ended_ptr[j] > 0 && active_ptr[j] > 0) {
        const int64_t row = learner_rows_[size_t(j)];
        b.episode_returns.push_back(running_returns_[row].item<double>());
        b.episode_lengths.push_back(static_cast<int64_t>(timesteps_[row].item<float>()) + 1);
        b.episode_envs.push_back(j);
      }
    }
    running_returns_ *= (1.0 - ended_rows).to(torch::kFloat64);
    if (trial_inputs_in_use)
      update_previous_rewards(rewards_rows, ended_rows, env_active.index_select(0, row_env), keeps_memory);
    timesteps_ = (timesteps_ + 1.0) * (1.0 - ended_rows);
    episode_starts_ = ended_rows;
    raw_obs_ = new_raw_rows;
    if (single_episode) {
      env_active = env_active * (1.0 - ended_rows.index_select(0, env_first_row));
      active = env_active.index_select(0, learner_env);
      if (env_active.sum().item<float>() == 0) {
        used_steps = t + 1;
        times_.other_seconds += seconds_since(start);
        break;
      }
    }
    times_.other_seconds += seconds_since(start);
  }

  if (used_steps < steps) {
    for (torch::Tensor* field : b.step_tensors())
      if (field->defined()) *field = field->narrow(0, 0, used_steps).contiguous();  // episode_end comes below
    raw_batch = raw_batch.narrow(0, 0, used_steps);
  }
  b.episode_end = torch::clamp_max(b.terminated + b.truncated, 1.0);
  if (recording)
    assemble_opponent_batches(used_steps, torch::stack(all_rewards), torch::stack(all_terminated),
                              torch::stack(all_truncated), torch::stack(all_starts), torch::stack(all_timesteps),
                              torch::stack(all_infos), torch::stack(all_next), torch::stack(all_masks));
  if (normalizer_ && update_normalizer_)
    normalizer_->update(raw_batch.reshape({-1, obs_dim}), b.masks.reshape({-1}), *processes_);
  return b;
}

void Sampler::share_batch(const Communicator& processes, int64_t drawn_rows, int64_t first_row) {
  TORCH_CHECK(first_row >= 0 && first_row + int64_t(learner_rows_.size()) <= drawn_rows, "Sampler: rows [", first_row,
              ", ", first_row + int64_t(learner_rows_.size()), ") of a shared draw of ", drawn_rows);
  TORCH_CHECK(opponents_.empty() && !learner_trial_inputs_, "Sampler: shared noise is for one-agent learners only");
  noise_rows_ = drawn_rows;
  first_noise_row_ = first_row;
  processes_ = &processes;
}

void Sampler::skip_noise(int64_t steps) {
  const int64_t rows = noise_rows_ > 0 ? noise_rows_ : int64_t(learner_rows_.size());
  const int64_t act_dim = action_low_.numel();
  for (int64_t t = 0; t < steps; ++t) at::normal(0.0, 1.0, {rows, act_dim}, generator_);
}

std::vector<torch::Tensor> Sampler::state() const {
  std::vector<torch::Tensor> s = {generator_.get_state(), torch::tensor({started_ ? 1 : 0})};
  if (started_) {
    s.push_back(raw_obs_);
    s.push_back(episode_starts_);
    s.push_back(timesteps_);
    s.push_back(running_returns_);
    if (uses_trial_inputs()) s.push_back(previous_rewards_);
    if (policy_.recurrent()) {
      s.push_back(policy_state_.h);
      s.push_back(policy_state_.c);
    }
    for (const Opponent& o : opponents_)
      if (o.actor.policy->recurrent()) {
        s.push_back(o.state.h);
        s.push_back(o.state.c);
      }
  }
  return s;
}

void Sampler::load_state(const std::vector<torch::Tensor>& s) {
  TORCH_CHECK(s.size() >= 2, "Sampler: checkpoint state is incomplete");
  generator_.set_state(s[0]);
  started_ = s[1].item<int64_t>() != 0;
  if (!started_) return;
  TORCH_CHECK(s.size() >= 6, "Sampler: checkpoint state is incomplete");
  raw_obs_ = s[2].clone();
  episode_starts_ = s[3].clone();
  timesteps_ = s[4].clone();
  running_returns_ = s[5].clone();
  size_t next = 6;
  if (uses_trial_inputs()) {
    TORCH_CHECK(s.size() > next, "Sampler: checkpoint lacks the RL² players' previous rewards");
    previous_rewards_ = s[next++].clone();
  }
  const auto recurrent_state = [&](const char* whose) -> PolicyState {
    TORCH_CHECK(s.size() >= next + 2, "Sampler: checkpoint lacks the recurrent state of ", whose);
    next += 2;
    return {s[next - 2].clone(), s[next - 1].clone()};
  };
  if (policy_.recurrent()) policy_state_ = recurrent_state("the learner");
  for (Opponent& o : opponents_)
    if (o.actor.policy->recurrent()) o.state = recurrent_state("an opponent");
  TORCH_CHECK(next == s.size(), "Sampler: checkpoint state has ", s.size() - next,
              " tensors too many (were other opponents set when it was saved?)");
}

}  // namespace metarl
