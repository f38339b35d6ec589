// The value network of continual adaptation (Al-Shedivat et al. 2018): meta-
// learned with the policy and adapted with it. At every inner step each task
// fits its own copy ψ_k of the value parameters to the returns of its
// episodes, ψ_{k+1} = ψ_k − β_k ∇ L_V(ψ_k), and the policy's advantages on
// the episodes of step k come from V_{ψ_k}. The outer loss adds the value
// loss of the adapted ψ_S on the next task's episodes, differentiated through
// the inner value steps (and the learned β_k).
//
// Values are in units of a return scale (the running standard deviation of
// discounted returns, kept by the trainer), so the regression's gradients
// stay of order one whatever the rewards' magnitude.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "agents/params.h"
#include "agents/sampler.h"
#include "agents/value_function.h"

namespace metarl {

// One round of episodes, as the value network needs it.
struct ValueBatch {
  torch::Tensor observations;  // [T, tasks * K, obs_dim]
  torch::Tensor targets;       // [T, tasks * K] λ-returns in return-scale units (constants)
  torch::Tensor masks;         // [T, tasks * K]
};

// The columns `columns` of a round, in that order (a minibatch of tasks:
// task_columns() of maml.h).
ValueBatch select_columns(const ValueBatch& batch, const std::vector<int64_t>& columns);

// GAE(γ, λ) advantages of a round of episodes from the value networks
// `stacked` (one per task, [tasks, ...]), and the λ-returns they imply as
// the value targets (divided by `scale`). Truncated episodes bootstrap from
// the value of their last observation; terminated ones do not. No gradient.
struct ValueAdvantages {
  torch::Tensor advantages;  // [T, N], in reward units
  ValueBatch batch;
};
ValueAdvantages value_advantages(const MlpValueFunction& value, const Params& stacked, const EpisodeBatch& episodes,
                                 int64_t tasks, double scale, double gamma, double lambda);

// Per-task mean squared error [tasks] of the stacked value networks on `batch`.
torch::Tensor value_losses(const MlpValueFunction& value, const ValueBatch& batch, const Params& stacked, int64_t tasks);

// ψ − β ∇ L_V(ψ) for every task (stacked in, stacked out). With create_graph
// the result stays differentiable with respect to the input and β.
Params adapt_value_step(const MlpValueFunction& value, const Params& stacked, const ValueBatch& batch,
                        const torch::Tensor& step_size, int64_t tasks, bool create_graph);

}  // namespace metarl
