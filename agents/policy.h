// Functional Gaussian policies.
//
// A policy holds its own parameters (the meta-parameters θ, leaf tensors that
// require gradients) but is evaluated with any parameter list of the same
// layout: `step(obs, ..., params)`. MAML evaluates adapted parameters this
// way and differentiates through the update that produced them.
//
// The action distribution is a diagonal Gaussian with a state-independent,
// learned log standard deviation (the last parameter of every policy).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/distributions.h"
#include "agents/params.h"

namespace metarl {

enum class Activation { kTanh, kRelu };
Activation parse_activation(const std::string& name);  // "tanh" | "relu"
std::string to_string(Activation activation);
torch::Tensor activate(const torch::Tensor& x, Activation activation);

// Recurrent state carried between acting steps; undefined tensors for
// feed-forward policies.
struct PolicyState {
  torch::Tensor h, c;  // [N, hidden]
};

// A batch's env columns regrouped by parameter group: x [T, G*B, ...] (group
// g owns columns [g*B, (g+1)*B)) -> [G, T*B, ...]; from_group_rows undoes it.
torch::Tensor to_group_rows(const torch::Tensor& x, int64_t groups);
torch::Tensor from_group_rows(const torch::Tensor& x, int64_t steps);

class Policy {
 public:
  virtual ~Policy() = default;

  Params& parameters() { return params_; }
  const Params& parameters() const { return params_; }
  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }
  virtual bool recurrent() const { return false; }
  virtual std::string describe() const = 0;

  // Zero state for `batch` envs (undefined for feed-forward policies).
  virtual PolicyState initial_state(int64_t /*batch*/) const { return {}; }

  // One acting step for N envs. obs [N, obs_dim]; episode_start [N] (1 where
  // obs is the first of an episode: recurrent state is reset there). Updates
  // `state` for recurrent policies.
  virtual DiagGaussian step(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                            const Params& params) const = 0;

  // One acting step for G groups of envs, each group with its own parameters
  // (MAML's adapted policies, one per task). obs [G*B, obs_dim]: group g is
  // rows [g*B, (g+1)*B). `stacked` comes from stack_params. The default
  // evaluates group by group; GaussianMlpPolicy does all groups in one call.
  virtual DiagGaussian step_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                                    const Params& stacked, int64_t groups) const;

  // evaluate() for G groups of env columns, each with its own parameters:
  // obs [T, G*B, obs_dim], group g is columns [g*B, (g+1)*B). The default
  // evaluates group by group; GaussianMlpPolicy does all groups at once.
  virtual DiagGaussian evaluate_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start,
                                        const PolicyState& initial, const Params& stacked, int64_t groups) const;

  // A whole batch laid out [T, N, obs_dim] -> distributions [T, N, act_dim].
  // Recurrent policies unroll from `initial` (the state before t = 0).
  virtual DiagGaussian evaluate(const torch::Tensor& obs, const torch::Tensor& episode_start,
                                const PolicyState& initial, const Params& params) const = 0;

 protected:
  Policy(int obs_dim, int act_dim) : obs_dim_(obs_dim), act_dim_(act_dim) {}
  Params params_;

 private:
  int obs_dim_, act_dim_;
};

struct MlpPolicyConfig {
  std::vector<int64_t> hidden = {64, 64};
  Activation activation = Activation::kTanh;
  double init_std = 1.0;          // initial standard deviation of the actions
  double output_gain = 0.01;      // orthogonal-init gain of the mean layer (small: near-zero initial means)
};

// mean = MLP(obs); params = [W1, b1, ..., Wk, bk, W_out, b_out, log_std].
class GaussianMlpPolicy : public Policy {
 public:
  // Initialises its parameters from torch's global generator (seed it first).
  GaussianMlpPolicy(int obs_dim, int act_dim, const MlpPolicyConfig& config);
  std::string describe() const override;
  DiagGaussian step(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                    const Params& params) const override;
  DiagGaussian evaluate(const torch::Tensor& obs, const torch::Tensor& episode_start, const PolicyState& initial,
                        const Params& params) const override;
  DiagGaussian forward(const torch::Tensor& obs, const Params& params) const;
  // obs [G, R, obs_dim] with stacked parameters -> mean [G, R, act_dim], log_std [G, 1, act_dim].
  DiagGaussian forward_stacked(const torch::Tensor& obs, const Params& stacked) const;
  // All groups at once with batched matrix products.
  DiagGaussian evaluate_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start,
                                const PolicyState& initial, const Params& stacked, int64_t groups) const override;
  DiagGaussian step_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                            const Params& stacked, int64_t groups) const override;
  const MlpPolicyConfig& config() const { return config_; }

 private:
  MlpPolicyConfig config_;
};

struct LstmPolicyConfig {
  int64_t embedding = 64;
  int64_t hidden = 64;
  double init_std = 1.0;
  double output_gain = 0.01;
  int64_t bptt = 10;  // gradients flow back through at most this many steps
};

// embedding = tanh(W_e obs + b_e); (h, c) = LSTM(embedding, h, c); mean = W_o h + b_o.
// params = [W_e, b_e, W_ih, W_hh, b_lstm, W_o, b_o, log_std]. The state is
// reset to zero at every episode start.
class LstmPolicy : public Policy {
 public:
  LstmPolicy(int obs_dim, int act_dim, const LstmPolicyConfig& config);
  bool recurrent() const override { return true; }
  std::string describe() const override;
  PolicyState initial_state(int64_t batch) const override;
  DiagGaussian step(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                    const Params& params) const override;
  DiagGaussian evaluate(const torch::Tensor& obs, const torch::Tensor& episode_start, const PolicyState& initial,
                        const Params& params) const override;
  // All groups at once: every cell step is one batched product per layer.
  DiagGaussian step_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                            const Params& stacked, int64_t groups) const override;
  DiagGaussian evaluate_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start,
                                const PolicyState& initial, const Params& stacked, int64_t groups) const override;

 private:
  // tanh(W_e obs + b_e) W_ih^T + b_lstm for every step of obs [T, ..., obs_dim]
  // (plain parameters) or [T, G, B, obs_dim] (stacked).
  torch::Tensor input_gates(const torch::Tensor& obs, const Params& params) const;
  // W_o h + b_o for h [T, ..., hidden] (plain) or [T, G, B, hidden] (stacked).
  torch::Tensor output_means(const torch::Tensor& h, const Params& params) const;
  // One cell step: (h, c) times `keep` (undefined: no episode starts), then
  // the LSTM update with the step's input gates. Plain [N, ...] or grouped
  // [G, B, ...] alike.
  static void recur(const torch::Tensor& gates_from_input, const torch::Tensor& keep, torch::Tensor& h,
                    torch::Tensor& c, const torch::Tensor& w_hh);
  // recur() over all steps of obs [T, ...] from (h, c), back-propagation
  // truncated every bptt steps: the means [T, ...].
  torch::Tensor unroll(const torch::Tensor& obs, const torch::Tensor& episode_start, torch::Tensor h, torch::Tensor c,
                       const Params& params) const;
  LstmPolicyConfig config_;
};

// Parameters of G policies stacked along a new leading dimension: tensor i of
// the result is [G, ...shape of tensor i].
Params stack_params(const std::vector<Params>& per_group);

// Functional MLP: hidden layers with `activation`, linear output. `params`
// holds [W1, b1, ..., Wk, bk] starting at `offset`; `layers` = number of
// linear layers. Shared by policies and value functions.
torch::Tensor mlp_forward(torch::Tensor x, const Params& params, size_t offset, size_t layers,
                          Activation activation);
// Appends orthogonally initialised weights (gain sqrt(2) for hidden layers,
// `output_gain` for the last) and zero biases for the given layer sizes.
void append_mlp_params(Params& params, const std::vector<int64_t>& sizes, double output_gain);

}  // namespace metarl
