// MAML-RL: adaptation by policy-gradient steps, and the meta-objective whose
// gradient is the exact meta-gradient.
//
// For task i, adaptation walks θ_0 = θ, θ_{k+1} = θ_k − α_k ∇L_in(θ_k; τ_k),
// where the training episodes τ_k were sampled with θ_k and
// L_in = −mean_t log π(a_t|s_t) A_t. The meta-objective is the expected
// return J(θ_S) of the adapted policy over the distribution of the training
// episodes, so its gradient has two parts:
//   ∇_θ J(θ_S)   through the inner updates (second order: ∇²L_in), and
//   J(θ_S) ∇_θ Σ_k log π_{θ_k}(τ_k)   — the training episodes' own dependence
//   on θ, the score-function term that DiCE's magic box captures and that the
//   original MAML code dropped.
// meta_loss() builds a scalar whose value is the outer surrogate and whose
// gradient is that estimate (with a baseline on the score term).
//
// All tasks of a meta-batch are processed together: the episodes of task i
// are the env columns [i K, (i+1) K) of one batch, and the per-task
// parameters are stacked along a leading task dimension (stack_params), so
// the inner gradients of all tasks come from one backward pass.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/params.h"
#include "agents/policy.h"
#include "agents/sampler.h"

namespace metarl {

enum class MetaGradient {
  // Second order through the inner steps, plus the score-function term
  // J(θ_S) ∇ log π(τ_train): unbiased for the gradient of E_τ[J(θ_S(τ))],
  // but that term (a return times the score of K·H steps) is very noisy.
  kExact,
  // Second order through an inner loss in Loaded-DiCE form (Farquhar et al.
  // 2019) with importance weights: mean_t (w(ℓ_{≤t}) − w(ℓ_{<t})) A_t, ℓ the
  // log-likelihood ratio of the actions up to (before) t to the sampling
  // policy and w(x) = x + x²/2 (e^x − 1 to second order, all that the
  // meta-gradient differentiates). At the sampling parameters it has the
  // plain surrogate's gradient, and its
  // Hessian is the unbiased estimate of the expected return's Hessian,
  // score-function outer products included (causal, with the baseline inside
  // A). No outer score term: the gradient of MAML's objective J(θ + α∇J(θ))
  // as Finn et al. write it, biased only by the O(α²) correlation of the
  // inner gradient and Hessian estimates of one batch. Away from the
  // sampling parameters the weights make the adapted parameters, and so the
  // meta-loss's value, follow the same estimator: the meta-gradient is the
  // gradient of the value a TRPO line search checks (tested by finite
  // differences).
  kDice,
  // As kDice with per-step weights w(ℓ_t) only (ProMP's low-variance
  // curvature estimator, Rothfuss et al. 2019): the Hessian keeps
  // ∇log π_t ∇log π_tᵀ A_t and drops the cross terms with earlier steps —
  // biased, much less noisy over long episodes.
  kLvc,
  kNoScore,     // second order through the plain surrogate only (the original MAML code's estimator)
  kFirstOrder,  // inner gradients treated as constants (FOMAML)
};
MetaGradient parse_meta_gradient(const std::string& name);  // exact | dice | lvc | no_score | first_order

// The inner loss one inner step follows: the plain policy-gradient surrogate,
// or the weighted forms of kDice / kLvc above, whose log-likelihood ratios ℓ
// are taken against the policy that acted the episodes (episodes.log_probs).
// At the acting parameters (ℓ = 0) all three give the same step. Away from
// them (the later steps on shared episodes in training; every step at test
// time, where θ steps on episodes its adapted policies acted) the weights
// correct for the sampling policy to first order: the lvc step is
// −mean_t (1 + ℓ_t) ∇log π(a_t|s_t) A_t. clip > 0 keeps that factor, the
// slope of every weight, within [1 − clip, 1 + clip] (beyond, the weight
// continues linearly): a truncated importance weight that cannot change sign
// or grow without bound, with the unclipped weight's first and second
// derivatives at ℓ = 0.
struct InnerObjective {
  enum Kind { kPlain, kDice, kLvc };
  InnerObjective(Kind kind = kPlain, double clip = 0) : kind(kind), clip(clip) {}
  Kind kind;
  double clip;
};

// The episodes of one inner step, all tasks side by side: [T, tasks * K].
struct InnerBatch {
  EpisodeBatch episodes;
  torch::Tensor advantages;  // [T, tasks * K]
};

struct MetaBatch {
  int64_t tasks = 0;
  std::vector<InnerBatch> inner;  // one per inner step, task i sampled with its θ_k
  EpisodeBatch validation;        // sampled with each task's θ_S
  torch::Tensor validation_advantages;
  // [tasks] mean return per validation episode of each task: the estimate of
  // J(θ_S) that weights the score-function term.
  torch::Tensor validation_returns;
  // Optional [tasks] baselines for the score term. They must not depend on
  // this meta-batch's training episodes (e.g. a regression of past returns on
  // the task's parameters); undefined: the leave-one-out mean of the other
  // tasks' validation returns.
  torch::Tensor score_baselines;
};

// The env columns of tasks `tasks` (in their order), each task's first
// `keep` of its `per_task` columns (keep < 0: all of them).
std::vector<int64_t> task_columns(const std::vector<int64_t>& tasks, int64_t per_task, int64_t keep = -1);

// The tasks `tasks` of a meta-batch (indices into [0, batch.tasks), in that
// order): their columns of every inner batch and of the validation episodes,
// with their advantages, validation returns and score baselines. A minibatch
// of whole tasks for the outer step; meta_loss is a mean over tasks, so the
// losses of equal-sized minibatches that partition the tasks average to the
// full batch's (except kExact's leave-one-out baselines, which then come
// from the minibatch's other tasks).
MetaBatch select_tasks(const MetaBatch& batch, const std::vector<int64_t>& tasks);

struct InnerLoopConfig {
  int64_t steps = 1;
  double step_size = 0.1;            // α for every step, unless step_sizes is given
  bool normalize_advantages = true;  // standardise A within each task's inner batch
  MetaGradient meta_gradient = MetaGradient::kExact;
  // Steps may learn from episodes another policy acted (continual
  // adaptation: the inner steps share θ's episodes in training, and at test
  // time θ steps on episodes of its adapted policies): every step follows
  // the importance-weighted loss, kDice's for dice, kLvc's for every other
  // estimator (first_order takes its steps without differentiating them).
  bool off_policy = false;
  double clip = 0;  // InnerObjective::clip of the weighted losses
};

// The inner loss every step of `config` follows: the estimator's (kDice,
// kLvc or kPlain), the weighted one for every estimator when off_policy.
InnerObjective inner_objective(const InnerLoopConfig& config);

struct OuterConfig {
  bool normalize_advantages = true;  // standardise validation advantages per task
  bool importance_weights = true;    // ratio π_new / π_sampling (TRPO/PPO surrogates); false: plain log π · A
  double clip_range = 0.0;           // > 0: PPO's clipped objective min(r A, clip(r, 1 ± ε) A)
};

// Per-task masked mean of x [T, tasks * K] -> [tasks].
torch::Tensor task_means(const torch::Tensor& x, const torch::Tensor& masks, int64_t tasks);

// How far the inner steps move the policy where they learned: KL(π_θ ‖
// π_adapted) per step, averaged over each task's valid steps of `episodes`
// (its tasks side by side) and then over tasks, in nats. `theta` and
// `adapted` are stacked (one parameter set per task).
double inner_kl(const Policy& policy, const Params& theta, const Params& adapted, const EpisodeBatch& episodes,
                int64_t tasks);
// θ repeated for every task: tensor i becomes [tasks, ...], still differentiable in θ.
Params replicate(const Params& theta, int64_t tasks);

// Per-task inner losses [tasks]: −mean over task i's valid steps of log π_{θ_i}(a|s) A,
// or the weighted forms of kDice / kLvc above: at the sampling parameters 0
// in value, the same gradient.
torch::Tensor inner_losses(const Policy& policy, const InnerBatch& batch, const Params& stacked, int64_t tasks,
                           bool normalize, InnerObjective objective = InnerObjective::kPlain);

// Per-task PPO clipped surrogate losses [tasks]: −mean over task i's valid
// steps of min(ρ A, clip(ρ, 1 ± clip_range) A), ρ against the policy that
// acted (episodes.log_probs), advantages standardised per task. PPO-tracking
// (keep running PPO at test time) minimises it.
torch::Tensor clipped_task_losses(const Policy& policy, const InnerBatch& batch, const Params& stacked, int64_t tasks,
                                  double clip_range);

// θ_i − step_size ∇L_in,i(θ_i) for every task (stacked in, stacked out). With
// create_graph the result stays differentiable with respect to the input
// (and step_size, when it requires grad); without it the gradient is a
// constant (first order). Works under NoGradGuard too.
Params adapt_step(const Policy& policy, const Params& stacked, const InnerBatch& batch, const torch::Tensor& step_size,
                  int64_t tasks, bool normalize, bool create_graph,
                  InnerObjective objective = InnerObjective::kPlain);

// stacked − step_size ∇ summed_loss(stacked): one gradient step of every
// task's parameters at once (summed_loss adds per-task losses that each
// depend only on their task's slice). With create_graph the result stays
// differentiable with respect to the input and step_size; without it the
// gradient is a constant. Works under NoGradGuard too.
Params gradient_step(const std::function<torch::Tensor(const Params&)>& summed_loss, const Params& stacked,
                     const torch::Tensor& step_size, bool create_graph);

// θ_S of every task from θ through all inner batches. step_sizes: [steps]
// tensor (may require grad: learned step sizes), or undefined to use
// config.step_size.
Params adapt(const Policy& policy, const Params& theta, const MetaBatch& batch, const InnerLoopConfig& config,
             const torch::Tensor& step_sizes = {});

// Mean over tasks of the outer loss of each task, as a value to minimise:
//   −w_i [ mean_t ratio_t A_t + (R_i − b_i) / H · (□(Σ_k log π_{θ_k}(τ_k)) − 1) ]
// ratio is π_{θ_S}(a)/π_sampling(a) on the validation episodes; □(x) − 1 is 0
// in value with gradient ∇x (score term, kExact only); b_i is
// batch.score_baselines[i], or the mean validation return of the other tasks
// (leave-one-out); either keeps the term unbiased; H = validation steps per episode; w_i = 1/std(A_i) when
// advantages are normalised, else 1.
//
// `adapted`, when given, holds θ_S already computed from `theta` (a TRPO line
// search evaluates the loss and the KL at the same candidate).
torch::Tensor meta_loss(const Policy& policy, const Params& theta, const MetaBatch& batch,
                        const InnerLoopConfig& inner, const OuterConfig& outer, const torch::Tensor& step_sizes = {},
                        const Params* adapted = nullptr);

// The adapted validation distributions at `theta`, detached (TRPO's "old" policy).
DiagGaussian adapted_distribution(const Policy& policy, const Params& theta, const MetaBatch& batch,
                                  const InnerLoopConfig& inner, const torch::Tensor& step_sizes = {});

// Mean over tasks of KL(π_old_i || π_new_i) on each task's validation
// observations, π_new adapted from `theta`.
torch::Tensor meta_kl(const Policy& policy, const Params& theta, const MetaBatch& batch, const DiagGaussian& old,
                      const InnerLoopConfig& inner, const torch::Tensor& step_sizes = {},
                      const Params* adapted = nullptr);

// v -> (H + damping I) v with H the Hessian of meta_kl at θ = theta (where the
// old policies are the ones adapted from theta), as a function of θ through
// the adaptation map θ_S(θ) at the fixed training episodes (the KL a line
// search evaluates; for kDice too, whose magic boxes change second
// derivatives but not this map). There ∇KL = 0, so
// H = (1/tasks) Σ_i J_iᵀ F_i J_i: J_i = ∂θ_S,i/∂θ (each inner step contributes
// I − α_k ∇²L_in, a Hessian-vector product of the inner loss) and F_i the
// Fisher matrix of the adapted policy on task i's validation observations.
// Second-order graphs only, instead of back-propagating twice through a graph
// that already holds the inner gradients (third order); for a GaussianMlpPolicy
// with the plain inner loss (or first order), no graphs at all: the products
// written out by hand (agents/mlp_curvature.h), which rely on `old` being the
// policies adapted from theta.
//
// `subsample` in (0, 1] estimates the products from that fraction of each
// task's episodes (the first ceil(subsample K) of its envs; episodes of a
// task are exchangeable): TRPO's usual cheaper metric. The inner steps'
// parameters are still those of the full batch: `adapted_path`, when given,
// holds them (θ_1 … θ_S of every task, stacked, as the sampler adapted them
// from `theta`), which saves recomputing the adaptation.
std::function<torch::Tensor(const torch::Tensor&)> meta_fisher_vector_product(
    const Policy& policy, const Params& theta, const MetaBatch& batch, const DiagGaussian& old,
    const InnerLoopConfig& inner, double damping, const torch::Tensor& step_sizes = {}, double subsample = 1.0,
    const std::vector<Params>* adapted_path = nullptr);

// Baselines for the score term from the task's parameters: ridge regression
// of past validation returns on [p, p², |p|, 1] of the task parameters p,
// fitted only on earlier meta-batches (so independent of the current
// training episodes). Before `min_history` returns are known it has none.
class TaskReturnBaseline {
 public:
  explicit TaskReturnBaseline(size_t capacity = 1000, size_t min_history = 40) : capacity_(capacity), min_history_(min_history) {}
  bool ready() const { return returns_.size() >= min_history_; }
  // [tasks] predicted returns; call ready() first.
  torch::Tensor predict(const std::vector<std::vector<double>>& task_params) const;
  void add(const std::vector<std::vector<double>>& task_params, const torch::Tensor& returns);
  // For checkpoints: [features (n x d), returns (n)].
  std::vector<torch::Tensor> state() const;
  void load_state(const std::vector<torch::Tensor>& state);

 private:
  static std::vector<double> features(const std::vector<double>& p);
  size_t capacity_, min_history_;
  std::vector<std::vector<double>> features_;
  std::vector<double> returns_;
};

// □(x) = exp(x − ⊥x): one in value, gradient □(x)∇x. The magic box of DiCE.
inline torch::Tensor magic_box(const torch::Tensor& x) { return torch::exp(x - x.detach()); }
// □(x) − 1: zero in value, gradient ∇x.
inline torch::Tensor magic_box_minus_one(const torch::Tensor& x) { return magic_box(x) - 1.0; }

// Cumulative sum of x [T, N] along time, restarting at every episode start
// (episode_starts [T, N] is 1 at the first step of an episode).
torch::Tensor cumsum_within_episodes(const torch::Tensor& x, const torch::Tensor& episode_starts);

}  // namespace metarl
