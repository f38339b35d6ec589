#include "agents/gae.h"

#include <string>
#include <utility>
#include <vector>

#include "agents/params.h"

namespace metarl {
namespace {

// Every input must be a defined [T, N] tensor with the shape of the first one.
void check_shapes(const char* function, const std::vector<std::pair<const char*, const torch::Tensor*>>& inputs) {
  const auto& [first_name, first] = inputs.front();
  TORCH_CHECK(first->defined() && first->dim() == 2, function, ": ", first_name, " must be [T, N], got ",
              shape_of(*first));
  for (const auto& [name, tensor] : inputs) {
    TORCH_CHECK(tensor->defined() && tensor->sizes() == first->sizes(), function, ": ", name, " has shape ",
                shape_of(*tensor), " but ", first_name, " has shape ", shape_of(*first),
                "; all inputs must be [T, N]");
  }
}

void check_discount(const char* function, const char* name, double value) {
  TORCH_CHECK(value >= 0.0 && value <= 1.0, function, ": ", name, " must be in [0, 1], got ", value);
}

// out[t] = x[t] + c[t] * out[t + 1] for t = T-1 .. 0, with out[T] = 0, independently
// for every column. x and c are contiguous CPU [T, N] tensors of one floating type.
template <typename scalar_t>
void reverse_scan(const torch::Tensor& x, const torch::Tensor& c, torch::Tensor& out) {
  const int64_t steps = x.size(0), n = x.size(1);
  const scalar_t* xp = x.data_ptr<scalar_t>();
  const scalar_t* cp = c.data_ptr<scalar_t>();
  scalar_t* op = out.data_ptr<scalar_t>();
  for (int64_t t = steps - 1; t >= 0; --t) {
    const int64_t row = t * n;
    if (t == steps - 1) {
      for (int64_t i = 0; i < n; ++i) op[row + i] = xp[row + i];
    } else {
      const int64_t next = row + n;
      for (int64_t i = 0; i < n; ++i) op[row + i] = xp[row + i] + cp[row + i] * op[next + i];
    }
  }
}

// The recursion shared by GAE and the discounted returns. The per-step
// quantities are computed with whole-tensor operations; only the backward pass
// over T is sequential, one row of N envs at a time, on raw CPU memory (a
// tensor operation per step would cost more than the arithmetic).
torch::Tensor discounted_scan(const torch::Tensor& x, const torch::Tensor& c, const torch::Device& device) {
  const auto xs = x.to(torch::kCPU).contiguous();
  const auto cs = c.to(torch::kCPU).contiguous();
  auto out = torch::empty_like(xs);
  if (xs.numel() > 0) {
    if (xs.scalar_type() == torch::kDouble) {
      reverse_scan<double>(xs, cs, out);
    } else {
      reverse_scan<float>(xs, cs, out);
    }
  }
  return out.to(device);
}

// Rewards and values decide the working type (float32 unless one of them is float64).
torch::ScalarType working_type(const char* function, std::initializer_list<const torch::Tensor*> tensors) {
  torch::ScalarType type = torch::kFloat;
  for (const auto* t : tensors) {
    TORCH_CHECK(t->is_floating_point(), function, ": expected floating-point rewards and values, got ",
                t->scalar_type());
    if (t->scalar_type() == torch::kDouble) type = torch::kDouble;
  }
  return type;
}

}  // namespace

torch::Tensor gae_advantages(const torch::Tensor& rewards, const torch::Tensor& values,
                             const torch::Tensor& next_values, const torch::Tensor& terminated,
                             const torch::Tensor& episode_end, const torch::Tensor& masks, double gamma,
                             double lambda) {
  constexpr const char* kName = "gae_advantages";
  check_shapes(kName, {{"rewards", &rewards},
                       {"values", &values},
                       {"next_values", &next_values},
                       {"terminated", &terminated},
                       {"episode_end", &episode_end},
                       {"masks", &masks}});
  check_discount(kName, "gamma", gamma);
  check_discount(kName, "lambda", lambda);
  const auto type = working_type(kName, {&rewards, &values, &next_values});

  torch::NoGradGuard no_grad;
  // The flags may also come as bool or uint8 (as VectorEnv reports them).
  const auto as_work = [type](const torch::Tensor& t) { return t.detach().to(type); };
  const auto mask = as_work(masks);
  const auto not_terminal = 1.0 - as_work(terminated);
  const auto continues = 1.0 - as_work(episode_end);

  const auto delta = as_work(rewards) + gamma * not_terminal * as_work(next_values) - as_work(values);
  // Masking both terms makes padding steps 0 and keeps them out of the
  // recursion of the steps before them.
  return discounted_scan(delta * mask, (gamma * lambda) * continues * mask, rewards.device());
}

torch::Tensor discounted_returns(const torch::Tensor& rewards, const torch::Tensor& episode_end,
                                 const torch::Tensor& masks, double gamma) {
  constexpr const char* kName = "discounted_returns";
  check_shapes(kName, {{"rewards", &rewards}, {"episode_end", &episode_end}, {"masks", &masks}});
  check_discount(kName, "gamma", gamma);
  const auto type = working_type(kName, {&rewards});

  torch::NoGradGuard no_grad;
  const auto as_work = [type](const torch::Tensor& t) { return t.detach().to(type); };
  const auto mask = as_work(masks);
  return discounted_scan(as_work(rewards) * mask, gamma * (1.0 - as_work(episode_end)) * mask, rewards.device());
}

}  // namespace metarl
