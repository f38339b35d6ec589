#include "agents/policy.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace metarl {

Activation parse_activation(const std::string& name) {
  if (name == "tanh") return Activation::kTanh;
  if (name == "relu") return Activation::kRelu;
  throw std::invalid_argument("unknown activation '" + name + "' (known: tanh, relu)");
}

std::string to_string(Activation activation) { return activation == Activation::kTanh ? "tanh" : "relu"; }

torch::Tensor activate(const torch::Tensor& x, Activation activation) {
  return activation == Activation::kTanh ? torch::tanh(x) : torch::relu(x);
}

torch::Tensor mlp_forward(torch::Tensor x, const Params& params, size_t offset, size_t layers,
                          Activation activation) {
  for (size_t l = 0; l < layers; ++l) {
    x = torch::nn::functional::linear(x, params[offset + 2 * l], params[offset + 2 * l + 1]);
    if (l + 1 < layers) x = activate(x, activation);
  }
  return x;
}

void append_mlp_params(Params& params, const std::vector<int64_t>& sizes, double output_gain) {
  torch::NoGradGuard no_grad;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    auto weight = torch::empty({sizes[l + 1], sizes[l]});
    const bool last = l + 2 == sizes.size();
    torch::nn::init::orthogonal_(weight, last ? output_gain : std::sqrt(2.0));
    params.push_back(weight.requires_grad_(true));
    params.push_back(torch::zeros({sizes[l + 1]}).requires_grad_(true));
  }
}

Params stack_params(const std::vector<Params>& per_group) {
  TORCH_CHECK(!per_group.empty(), "stack_params: no groups");
  Params stacked;
  for (size_t i = 0; i < per_group[0].size(); ++i) {
    std::vector<torch::Tensor> parts;
    for (const auto& params : per_group) parts.push_back(params.at(i));
    stacked.push_back(torch::stack(parts));
  }
  return stacked;
}

torch::Tensor to_group_rows(const torch::Tensor& x, int64_t groups) {
  const int64_t steps = x.size(0), n = x.size(1);
  TORCH_CHECK(x.dim() >= 2 && groups > 0 && n % groups == 0, "to_group_rows: ", shape_of(x), " does not split into ",
              groups, " groups of columns");
  std::vector<int64_t> split = {steps, groups, n / groups}, order = {1, 0, 2}, rows = {groups, steps * (n / groups)};
  for (int64_t d = 2; d < x.dim(); ++d) {
    split.push_back(x.size(d));
    order.push_back(d + 1);
    rows.push_back(x.size(d));
  }
  return x.reshape(split).permute(order).reshape(rows);
}

torch::Tensor from_group_rows(const torch::Tensor& x, int64_t steps) {
  // [G, T*B] is [G, T, B] with the first two swapped back: the same regrouping.
  return to_group_rows(x, steps);
}

DiagGaussian Policy::step_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                                  const Params& stacked, int64_t groups) const {
  const int64_t n = obs.size(0);
  TORCH_CHECK(groups > 0 && n % groups == 0, "step_grouped: ", n, " envs do not split into ", groups, " groups");
  const int64_t b = n / groups;
  std::vector<torch::Tensor> means, log_stds, hs, cs;
  for (int64_t g = 0; g < groups; ++g) {
    Params params;
    for (const auto& t : stacked) params.push_back(t[g]);
    PolicyState part;
    if (state.h.defined()) part = {state.h.narrow(0, g * b, b), state.c.narrow(0, g * b, b)};
    const DiagGaussian d = step(obs.narrow(0, g * b, b), episode_start.narrow(0, g * b, b), part, params);
    means.push_back(d.mean);
    log_stds.push_back(d.log_std.expand_as(d.mean));
    if (part.h.defined()) {
      hs.push_back(part.h);
      cs.push_back(part.c);
    }
  }
  if (!hs.empty()) state = {torch::cat(hs), torch::cat(cs)};
  return {torch::cat(means), torch::cat(log_stds)};
}

DiagGaussian Policy::evaluate_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start,
                                      const PolicyState& initial, const Params& stacked, int64_t groups) const {
  const int64_t n = obs.size(1);
  TORCH_CHECK(groups > 0 && n % groups == 0, "evaluate_grouped: ", n, " envs do not split into ", groups, " groups");
  const int64_t b = n / groups;
  std::vector<torch::Tensor> means, log_stds;
  for (int64_t g = 0; g < groups; ++g) {
    Params params;
    for (const auto& t : stacked) params.push_back(t[g]);
    PolicyState part;
    if (initial.h.defined()) part = {initial.h.narrow(0, g * b, b), initial.c.narrow(0, g * b, b)};
    const auto starts = episode_start.defined() ? episode_start.narrow(1, g * b, b) : episode_start;
    const DiagGaussian d = evaluate(obs.narrow(1, g * b, b), starts, part, params);
    means.push_back(d.mean);
    log_stds.push_back(d.log_std.expand_as(d.mean));
  }
  return {torch::cat(means, 1), torch::cat(log_stds, 1)};
}

namespace {

torch::Tensor log_std_param(int act_dim, double init_std) {
  if (!(init_std > 0)) throw std::invalid_argument("policy init_std must be positive");
  return torch::full({act_dim}, std::log(init_std)).requires_grad_(true);
}

void check_params(const Params& params, const Params& own, const char* who) {
  if (params.size() != own.size())
    throw std::invalid_argument(std::string(who) + ": got " + std::to_string(params.size()) + " parameter tensors, expected " +
                                std::to_string(own.size()));
}

}  // namespace

// ---------------------------------------------------------------- MLP policy

GaussianMlpPolicy::GaussianMlpPolicy(int obs_dim, int act_dim, const MlpPolicyConfig& config)
    : Policy(obs_dim, act_dim), config_(config) {
  std::vector<int64_t> sizes = {obs_dim};
  sizes.insert(sizes.end(), config.hidden.begin(), config.hidden.end());
  sizes.push_back(act_dim);
  append_mlp_params(params_, sizes, config.output_gain);
  params_.push_back(log_std_param(act_dim, config.init_std));
}

std::string GaussianMlpPolicy::describe() const {
  std::ostringstream out;
  out << "GaussianMlpPolicy(" << obs_dim() << " -> ";
  for (auto h : config_.hidden) out << h << " " << to_string(config_.activation) << " -> ";
  out << act_dim() << ", init_std " << config_.init_std << ")";
  return out.str();
}

DiagGaussian GaussianMlpPolicy::forward(const torch::Tensor& obs, const Params& params) const {
  check_params(params, params_, "GaussianMlpPolicy");
  const size_t layers = config_.hidden.size() + 1;
  return {mlp_forward(obs, params, 0, layers, config_.activation), params.back()};
}

DiagGaussian GaussianMlpPolicy::forward_stacked(const torch::Tensor& obs, const Params& stacked) const {
  check_params(stacked, params_, "GaussianMlpPolicy");
  torch::Tensor x = obs;
  const size_t layers = config_.hidden.size() + 1;
  for (size_t l = 0; l < layers; ++l) {
    // x [G, R, in] · W^T [G, in, out] + b [G, 1, out]
    x = torch::baddbmm(stacked[2 * l + 1].unsqueeze(1), x, stacked[2 * l].transpose(1, 2));
    if (l + 1 < layers) x = activate(x, config_.activation);
  }
  return {x, stacked.back().unsqueeze(1)};
}

DiagGaussian GaussianMlpPolicy::step_grouped(const torch::Tensor& obs, const torch::Tensor&, PolicyState&,
                                             const Params& stacked, int64_t groups) const {
  const int64_t n = obs.size(0);
  TORCH_CHECK(groups > 0 && n % groups == 0, "step_grouped: ", n, " envs do not split into ", groups, " groups");
  const DiagGaussian d = forward_stacked(obs.reshape({groups, n / groups, obs.size(1)}), stacked);
  return {d.mean.reshape({n, -1}), d.log_std.expand_as(d.mean).reshape({n, -1})};
}

DiagGaussian GaussianMlpPolicy::evaluate_grouped(const torch::Tensor& obs, const torch::Tensor&, const PolicyState&,
                                                 const Params& stacked, int64_t groups) const {
  // [T, G*B, D] -> [G, T*B, D], batched over groups, and back.
  const int64_t steps = obs.size(0), n = obs.size(1);
  TORCH_CHECK(groups > 0 && n % groups == 0, "evaluate_grouped: ", n, " envs do not split into ", groups, " groups");
  const DiagGaussian d = forward_stacked(to_group_rows(obs, groups), stacked);
  return {from_group_rows(d.mean, steps), from_group_rows(d.log_std.expand_as(d.mean), steps)};
}

DiagGaussian GaussianMlpPolicy::step(const torch::Tensor& obs, const torch::Tensor&, PolicyState&,
                                     const Params& params) const {
  return forward(obs, params);
}

DiagGaussian GaussianMlpPolicy::evaluate(const torch::Tensor& obs, const torch::Tensor&, const PolicyState&,
                                         const Params& params) const {
  return forward(obs, params);
}

// --------------------------------------------------------------- LSTM policy

LstmPolicy::LstmPolicy(int obs_dim, int act_dim, const LstmPolicyConfig& config)
    : Policy(obs_dim, act_dim), config_(config) {
  if (config.bptt < 1) throw std::invalid_argument("LstmPolicy: bptt must be >= 1");
  const int64_t e = config.embedding, h = config.hidden;
  append_mlp_params(params_, {obs_dim, e}, std::sqrt(2.0));  // W_e, b_e
  torch::NoGradGuard no_grad;
  auto w_ih = torch::empty({4 * h, e});
  auto w_hh = torch::empty({4 * h, h});
  torch::nn::init::orthogonal_(w_ih, 1.0);
  torch::nn::init::orthogonal_(w_hh, 1.0);
  auto bias = torch::zeros({4 * h});
  bias.narrow(0, h, h).fill_(1.0);  // forget-gate bias 1: remember by default
  params_.push_back(w_ih.requires_grad_(true));
  params_.push_back(w_hh.requires_grad_(true));
  params_.push_back(bias.requires_grad_(true));
  append_mlp_params(params_, {h, act_dim}, config.output_gain);  // W_o, b_o
  params_.push_back(log_std_param(act_dim, config.init_std));
}

std::string LstmPolicy::describe() const {
  std::ostringstream out;
  out << "LstmPolicy(" << obs_dim() << " -> embedding " << config_.embedding << " tanh -> LSTM " << config_.hidden
      << " -> " << act_dim() << ", bptt " << config_.bptt << ")";
  return out.str();
}

PolicyState LstmPolicy::initial_state(int64_t batch) const {
  return {torch::zeros({batch, config_.hidden}), torch::zeros({batch, config_.hidden})};
}

namespace {

// x W^T + b over a sequence: plain parameters (x [T, ..., in], W [out, in])
// or stacked ones (x [T, G, B, in], W [G, out, in], b [G, out]: each group
// its own, its T·B rows in one product).
torch::Tensor linear_over_time(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  if (w.dim() == 2) return torch::nn::functional::linear(x, w, b);
  const int64_t steps = x.size(0), groups = x.size(1), batch = x.size(2);
  const auto flat = x.transpose(0, 1).reshape({groups, steps * batch, x.size(3)});
  return torch::baddbmm(b.unsqueeze(1), flat, w.transpose(1, 2)).reshape({groups, steps, batch, -1}).transpose(0, 1);
}

}  // namespace

torch::Tensor LstmPolicy::input_gates(const torch::Tensor& obs, const Params& params) const {
  return linear_over_time(torch::tanh(linear_over_time(obs, params[0], params[1])), params[2], params[4]);
}

torch::Tensor LstmPolicy::output_means(const torch::Tensor& h, const Params& params) const {
  return linear_over_time(h, params[5], params[6]);
}

void LstmPolicy::recur(const torch::Tensor& gates_from_input, const torch::Tensor& keep, torch::Tensor& h,
                       torch::Tensor& c, const torch::Tensor& w_hh) {
  if (keep.defined()) {
    h = h * keep;
    c = c * keep;
  }
  // gates = input part + h W_hh^T in one fused product.
  const auto gates = w_hh.dim() == 2 ? torch::addmm(gates_from_input, h, w_hh.t())
                                     : torch::baddbmm(gates_from_input, h, w_hh.transpose(1, 2));
  // One sigmoid over all four blocks (the cell block's is unused) instead of three.
  const auto sig = torch::sigmoid(gates).chunk(4, -1);  // input, forget, cell, output
  const auto candidate = torch::tanh(gates.narrow(-1, 2 * h.size(-1), h.size(-1)));
  c = sig[1] * c + sig[0] * candidate;
  h = sig[3] * torch::tanh(c);
}

namespace {

// 1 - episode_start as a multiplier of the state ([..., 1]), or an undefined
// tensor when no episode starts (saves the two products).
torch::Tensor keep_mask(const torch::Tensor& episode_start, const torch::Tensor& like) {
  if (!episode_start.any().item<bool>()) return {};
  return (1.0 - episode_start.to(like.scalar_type())).unsqueeze(-1);
}

}  // namespace

DiagGaussian LstmPolicy::step(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                              const Params& params) const {
  check_params(params, params_, "LstmPolicy");
  if (!state.h.defined()) state = initial_state(obs.size(0));
  recur(input_gates(obs, params), keep_mask(episode_start, state.h), state.h, state.c, params[3]);
  return {output_means(state.h, params), params[7]};
}

DiagGaussian LstmPolicy::step_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start, PolicyState& state,
                                      const Params& stacked, int64_t groups) const {
  check_params(stacked, params_, "LstmPolicy");
  const int64_t n = obs.size(0), b = n / groups;
  TORCH_CHECK(groups > 0 && n % groups == 0, "step_grouped: ", n, " envs do not split into ", groups, " groups");
  if (!state.h.defined()) state = initial_state(n);
  auto h = state.h.reshape({groups, b, -1}), c = state.c.reshape({groups, b, -1});
  // [G, B, in] is a one-step sequence [1, G, B, in] for input_gates.
  const auto gates = input_gates(obs.reshape({1, groups, b, -1}), stacked)[0];
  recur(gates, keep_mask(episode_start.reshape({groups, b}), h), h, c, stacked[3]);
  const auto mean = output_means(h.unsqueeze(0), stacked)[0];
  state = {h.reshape({n, -1}), c.reshape({n, -1})};
  const auto log_std = stacked[7].unsqueeze(1).expand({groups, b, act_dim()});
  return {mean.reshape({n, -1}), log_std.reshape({n, -1})};
}

torch::Tensor LstmPolicy::unroll(const torch::Tensor& obs, const torch::Tensor& episode_start, torch::Tensor h,
                                 torch::Tensor c, const Params& params) const {
  // Everything but the recurrence is computed for all steps at once: the
  // loop body is what must be sequential (h W_hh and the gate arithmetic),
  // which matters because per-step operator overhead dominates at this
  // batch size, and three times over in second-order meta-gradients.
  // unbind, not [t]: indexing would give every step its own backward node
  // that scatters into a zero tensor of the whole sequence (quadratic in T).
  const auto gates_per_step = input_gates(obs, params).contiguous().unbind(0);
  const auto steps = obs.size(0);
  const auto starts_any = episode_start.reshape({steps, -1}).any(1);
  const auto any_start = starts_any.accessor<bool, 1>();
  const auto keep = (1.0 - episode_start.to(h.scalar_type())).unsqueeze(-1);
  std::vector<torch::Tensor> hs;
  hs.reserve(steps);
  for (int64_t t = 0; t < steps; ++t) {
    if (t > 0 && t % config_.bptt == 0) {  // truncated back-propagation through time
      h = h.detach();
      c = c.detach();
    }
    recur(gates_per_step[t], any_start[t] ? keep[t] : torch::Tensor(), h, c, params[3]);
    hs.push_back(h);
  }
  return output_means(torch::stack(hs), params);
}

DiagGaussian LstmPolicy::evaluate_grouped(const torch::Tensor& obs, const torch::Tensor& episode_start,
                                          const PolicyState& initial, const Params& stacked, int64_t groups) const {
  check_params(stacked, params_, "LstmPolicy");
  const int64_t steps = obs.size(0), n = obs.size(1), b = n / groups;
  TORCH_CHECK(groups > 0 && n % groups == 0, "evaluate_grouped: ", n, " envs do not split into ", groups, " groups");
  const PolicyState state = initial.h.defined() ? initial : initial_state(n);
  // [T, G*B, ...] -> [T, G, B, ...]: each step's cell batched over the groups.
  const auto mean = unroll(obs.reshape({steps, groups, b, obs.size(2)}), episode_start.reshape({steps, groups, b}),
                           state.h.reshape({groups, b, -1}), state.c.reshape({groups, b, -1}), stacked)
                        .reshape({steps, n, -1});
  const auto log_std = stacked[7].unsqueeze(1).expand({groups, b, act_dim()}).reshape({1, n, -1});
  return {mean, log_std.expand_as(mean)};
}

DiagGaussian LstmPolicy::evaluate(const torch::Tensor& obs, const torch::Tensor& episode_start,
                                  const PolicyState& initial, const Params& params) const {
  check_params(params, params_, "LstmPolicy");
  const PolicyState state = initial.h.defined() ? initial : initial_state(obs.size(1));
  return {unroll(obs, episode_start, state.h, state.c, params), params[7]};
}

}  // namespace metarl
