// MAML-RL meta-training on a task family, and test-time adaptation.
//
// Every meta-iteration samples tasks_per_batch tasks; the VectorEnv holds
// tasks_per_batch × episodes_per_task envs, env i running task i / K, so all
// tasks of the meta-batch are sampled together. Inner step k samples one
// episode per env with each task's current parameters (one batched policy
// call per step), fits the linear baseline per task and adapts; the
// validation episodes are sampled with the adapted parameters; the outer
// step (TRPO or PPO) follows meta_loss's gradient.
//
// With `pretrain` the same loop trains the multi-task baseline instead: no
// adaptation, the outer step on the step-0 episodes of all tasks.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "agents/adam.h"
#include "agents/communicator.h"
#include "agents/linear_baseline.h"
#include "agents/trainer.h"
#include "agents/trpo.h"
#include "envs/core/task.h"
#include "meta/adapted_value.h"
#include "meta/maml.h"
#include "meta/opponent_chains.h"
#include "meta/test_time_adaptation.h"

namespace metarl {

struct MamlConfig {
  int64_t tasks_per_batch = 40;
  int64_t episodes_per_task = 20;
  InnerLoopConfig inner;
  OuterConfig outer;
  std::string outer_optimizer = "trpo";  // trpo | ppo
  TrpoConfig trpo;
  // Fraction of each task's episodes the TRPO metric (Fisher-vector products
  // in the conjugate-gradient solve) is estimated from; the line search
  // always uses the full batch.
  double metric_subsample = 1.0;
  // false: the metric is the adapted policies' Fisher matrix F applied as if
  // θ_S moved with θ (J ≈ I, the first-order metric) instead of Jᵀ F J: a
  // third of the cost per product; the line search still checks the exact KL.
  // Measured worse (docs/PERFORMANCE.md): with dice TRPO rejects its steps.
  bool metric_through_adaptation = true;
  double ppo_learning_rate = 3e-4;
  double ppo_adam_epsilon = 1e-8;  // of the PPO outer step's Adam (and PPO-tracking's)
  int64_t ppo_epochs = 5;  // passes over the meta-batch per meta-iteration (outer.clip_range clips them)
  // Adam steps per epoch, each on a minibatch of whole tasks (a fresh random
  // partition every epoch; 1: full batch). Each minibatch is adapted and
  // differentiated on its own, so the outer step costs about the same in
  // total and makes `minibatches` times as many updates of θ per sample.
  int64_t ppo_minibatches = 1;
  // Meta-learn one step size per inner step (PPO outer only), as log α so it
  // stays positive and Adam's steps are relative to its size.
  bool learn_step_sizes = false;
  // Adam's learning rate for those log α (and the value network's): 0 means
  // ppo_learning_rate, in one Adam group with θ. Adam moves log α by about
  // its learning rate per step, so 3e-4 changes α by ~0.03 % per epoch; the
  // paper's Adam on α itself (lr 3e-4 from α = 0.001) moves it by up to 30 %.
  double step_size_learning_rate = 0;
  // How often the learned step sizes move: "minibatch" (with θ, at every
  // Adam step of the outer loop) or "iteration" (once per meta-iteration,
  // their own Adam on the gradient averaged over all its epochs and
  // minibatches: a per-task gradient with little signal then averages out
  // instead of driving a random walk of Adam's steps).
  std::string step_size_updates = "minibatch";
  // > 0: before the first inner steps of a run, every step size is scaled
  // by one factor so that the inner steps on the first episodes move the
  // policy by this KL (nats per step, as the inner_kl metric): where the
  // inner step visibly changes the policy and the meta-gradient can tell
  // what its size does. 0: the step sizes start as configured.
  double initial_inner_kl = 0;
  // > 0: the PPO outer step clips every element of θ's meta-gradient (and
  // the adapted value network's) to ±this, as Al-Shedivat et al. clip their
  // meta-gradients at 0.1. The step sizes' gradients are always clipped at
  // ±0.1. 0: θ's gradient unclipped.
  double theta_gradient_clip = 0;
  double gamma = 0.99;
  double gae_lambda = 1.0;
  // Train the multi-task baseline instead: no adaptation during training (the
  // inner settings are kept for test-time adaptation).
  bool pretrain = false;
  // Consecutive tasks of a chain (continual adaptation, Al-Shedivat et al.
  // 2018). 0: every sampling round of an iteration runs the same task. n > 0:
  // a task is a chain of n episodes whose physics change from one to the
  // next (through the task's or the experiment's schedule); inner round s
  // samples at chain position p + s and the validation episodes at p + S
  // (S inner steps), p drawn per task uniformly from 0 .. n - 1 - S. The
  // meta-objective becomes: adapt on T_i, act well on T_{i+1}.
  int64_t chain_length = 0;
  // false (MAML): inner step k adapts on new episodes sampled with θ_k (at
  // chain position p + k on chains). true (continual adaptation, Al-Shedivat
  // et al.): all inner steps adapt on the same episodes, sampled with θ (at
  // position p), every step through the weighted inner loss (dice, lvc or
  // first_order: InnerLoopConfig::off_policy) that test-time chain
  // adaptation (chain_returns) takes too; the validation episodes follow at
  // p + 1.
  bool shared_inner_episodes = false;
  // With shared_inner_episodes: consecutive pairs per task and iteration,
  // rolled out along its chain as test-time adaptation rolls out. Pair 0
  // adapts θ on θ's episodes at p; pair j > 0 adapts θ (afresh) on the
  // episodes that pair j − 1's adapted policy acted at p + j (the outer
  // episodes of pair j − 1), importance-weighted against that policy, as at
  // test time; each pair's outer objective is on the next position's
  // episodes of its adapted policy, and the outer loss is the pairs' mean.
  // 1: the pair of Al-Shedivat et al.'s training (θ's episodes only).
  int64_t chain_pairs = 1;
  // With chain_pairs > 1: the inner steps on episodes an adapted policy
  // acted (pairs j > 0; at test time, once a chain's history holds such
  // episodes) take step sizes of their own, learned on those pairs and
  // starting where the others start: the size learned on θ's episodes may
  // not suit another policy's (on the sanity chain they ended 20-25 %
  // smaller and changed little; docs/RESULTS.md, issue 19).
  bool off_policy_step_sizes = false;
  // Score-term baseline: "task_regression" (TaskReturnBaseline on the task
  // parameters) or "leave_one_out" (the other tasks' mean).
  std::string score_baseline = "task_regression";
  // Where the advantages' baseline comes from: "linear", the feature
  // baseline refit on each task's episodes (MAML's), or "adapted_mlp", a
  // value network meta-learned with the policy and adapted by the inner
  // steps alongside it (continual adaptation's, meta/adapted_value.h; PPO
  // outer step only). Its inner step sizes start at value_step_size and are
  // learned with the policy's when learn_step_sizes.
  std::string value_function = "linear";
  std::vector<int64_t> value_hidden = {64, 64};
  double value_step_size = 0.001;
  double value_coef = 0.5;  // weight of the adapted value's loss in the outer loss
  // Competitive meta-training (Al-Shedivat et al. 2018 §5.3) in a two-agent
  // match env: a task is an opponent that changes from one round to the
  // next, drawn from the learner's own past versions (meta/opponent_chains.h),
  // instead of a task family's; needs shared inner episodes (the rounds are
  // the chain, so no chain_length). The score baselines regress on the
  // task's first version. With pretrain: the same self-play without
  // adaptation (the outer step on round 0's matches), the no-adaptation
  // learner of the same machinery.
  bool self_play = false;
  OpponentChainsConfig opponents;
};

// Advantages of one task's episodes: the linear feature baseline fitted to
// their discounted returns, GAE(gamma, lambda), episode ends terminal (MAML's
// convention for fixed-horizon episodes).
torch::Tensor task_advantages(const EpisodeBatch& episodes, double gamma, double lambda);
// task_advantages for each task's columns of a meta-batch ([T, tasks * K]).
torch::Tensor all_task_advantages(const EpisodeBatch& episodes, int64_t tasks, double gamma, double lambda);
// [tasks] mean return of the episodes that ran in each task's envs (per_task envs each).
torch::Tensor task_mean_returns(const EpisodeBatch& episodes, int64_t tasks, int64_t per_task);

// Test-time adaptation on fresh tasks by the plain inner step (adapt_step,
// advantages from the linear baseline per task), the adaptation of MAML and
// of the other meta-learners whose inner step is MAML's (Reptile): the tasks
// run in chunks of tasks_per_batch, each task in episodes_per_task envs
// (`env` holds tasks_per_batch × episodes_per_task), the last chunk filled up
// with repeats that are not reported. alphas: [steps] step sizes, the last
// one kept past them. Result: [task][step], the mean return after 0 ..
// `steps` steps; AdaptationDiverged on non-finite parameters.
struct InnerStepAdaptation {
  VectorEnv& env;
  Sampler& sampler;
  const TaskFamily& family;
  const Policy& policy;
  int64_t tasks_per_batch, episodes_per_task;
  double gamma, gae_lambda;
  bool normalize_advantages;
};
std::vector<std::vector<double>> inner_step_adaptation_returns(const InnerStepAdaptation& setup,
                                                               const std::vector<Task>& tasks, int64_t steps,
                                                               const torch::Tensor& alphas);

class MamlTrainer : public IterativeTrainer, public TaskAdapter, public ChainAdapter, public EpisodeAdapter {
 public:
  // `family` is null exactly when config.self_play. With several
  // `processes` (agents/communicator.h) every process draws the same tasks
  // and runs its share of them (`env` holds that share's envs, seeded as
  // one process would seed them); the TRPO outer step sums the shares.
  MamlTrainer(VectorEnv& env, std::unique_ptr<TaskFamily> family, std::unique_ptr<Policy> policy,
              const MamlConfig& config, uint64_t seed, const Communicator& processes = single_process());

  Metrics run_iteration() override;
  int64_t iteration() const override { return iteration_; }
  int64_t env_steps() const override { return env_steps_; }
  Policy& policy() override { return *policy_; }
  void save_checkpoint(const std::string& path) const override;
  void load_checkpoint(const std::string& path) override;

  // Only the policy parameters and step sizes of a checkpoint (what
  // test-time adaptation needs; works across checkpoint format changes of
  // the training state).
  void load_parameters(const std::string& path);
  void load_for_adaptation(const std::string& path) override { load_parameters(path); }
  std::vector<std::string> records_for_adaptation() const override;

  const MamlConfig& config() const { return config_; }
  // Throws std::logic_error for a self-play run (it has none: its tasks are opponents).
  const TaskFamily& family() const override;
  // Self-play's opponents (null otherwise).
  const OpponentChains* opponents() const { return opponents_.get(); }
  // α of each inner step, values only.
  torch::Tensor step_sizes() const { return alphas_of(step_sizes_, false); }
  // The same for steps on episodes an adapted policy acted (step_sizes()
  // unless off_policy_step_sizes).
  torch::Tensor off_policy_step_sizes() const {
    return config_.off_policy_step_sizes ? alphas_of(off_policy_step_sizes_, false) : step_sizes();
  }

  // Test-time adaptation: for each task, the mean return of episodes_per_task
  // episodes after 0, 1, ..., steps policy-gradient steps (the same inner
  // step as in training, new episodes at every step). Tasks are run in
  // chunks of tasks_per_batch. Result: [task][step].
  // step_size > 0 replaces the trained step sizes at every step (a test-time
  // sweep, e.g. for the pretrained baseline, which was not trained for any).
  std::vector<std::vector<double>> adaptation_returns(const std::vector<Task>& tasks, int64_t steps,
                                                      double step_size = 0) override;

  // θ (and the value network) adapted by the inner steps on `episodes`
  // (`tasks` tasks side by side, acted by any policy: episodes.log_probs) as
  // continual adaptation adapts, in training on θ's episodes and at test time
  // before each episode: the policy's parameters, stacked per task.
  // acted_by_adapted: some of the episodes were acted by an adapted policy
  // (off_policy_step_sizes then take the step). step_size > 0 replaces the
  // trained step sizes.
  Params adapt_on(const EpisodeBatch& episodes, int64_t tasks, bool acted_by_adapted, double step_size = 0) const;
  // EpisodeAdapter: adapt_on for one task, unstacked.
  Params adapted_parameters(const EpisodeBatch& episodes, bool acted_by_adapted) const override;

  // Continual adaptation at test time (Al-Shedivat et al. 2018) along chains:
  // each chain (a task whose physics change from episode to episode, e.g.
  // legs weakening) runs `episodes` consecutive episodes in its own env.
  // kFromTheta: the first episode acts with θ; before each later one the
  // policy is θ adapted by the inner steps (learned step sizes included) on
  // that chain's last `history` episodes, importance-weighted against the
  // policies that acted them (adapt_on: training's inner loss, weights and
  // clip). kNone acts with θ throughout. kTracking keeps
  // running PPO (the run's PPO learning rate, epochs and clip range, each
  // chain its own Adam state) from the current parameters on the chain's
  // last `history` episodes: the PPO-tracking baseline. Chains are run
  // num_envs at a time. Result: [chain][episode] returns.
  // step_size > 0 replaces the policy's trained step sizes in kFromTheta (a
  // test-time sweep, as in adaptation_returns; the value network keeps its own).
  // kThetaEpisodes (a diagnostic, not a deployable protocol): before each
  // later episode the policy is θ adapted exactly as in training, on
  // `history` episodes that θ itself runs at the current chain position
  // (not reported), each step's objective the training's.
  enum class ChainAdaptation { kNone, kFromTheta, kTracking, kThetaEpisodes };
  // Reseeds the envs and the sampler's action noise: evaluations started
  // from the same seed see the same randomness until their policies differ.
  void reseed(uint64_t seed) override;
  std::vector<std::vector<double>> chain_returns(const std::vector<Task>& chains, int64_t episodes, int64_t history,
                                                 ChainAdaptation how, double step_size = 0);
  // ChainAdapter: kFromTheta is its own adaptation; kNone (":no_adaptation"),
  // kTracking (":tracking") and, asked for, kThetaEpisodes
  // (":theta_episodes") the baselines.
  bool adapts_by_steps() const override { return true; }
  std::vector<std::string> chain_baselines(bool theta_episodes) const override;
  std::vector<std::vector<double>> chain_curve(const std::vector<Task>& chains, int64_t episodes, int64_t history,
                                               const std::string& protocol, double step_size) override;

 private:
  // The policy and the step sizes from a checkpoint archive.
  void read_parameters(torch::serialize::InputArchive& archive);
  // Samples one episode per env, each task group acting with its parameters
  // (stacked); with several processes, kept in step with the others.
  EpisodeBatch sample(const Params& stacked);
  // The mean return of the episodes of every process.
  double mean_episode_return(const EpisodeBatch& episodes) const;
  // [tasks_per_batch]: every process's [its tasks] values in task order.
  torch::Tensor every_task(const torch::Tensor& mine) const;
  void assign_tasks(const std::vector<Task>& tasks);
  // Holds every env of task t at chain position positions[t] (-1: unpinned).
  void pin_chain_positions(const std::vector<int>& positions);
  // α of a step-size leaf (step_sizes_ or value_step_sizes_), through the
  // log-parametrisation's graph when learned and `graph`.
  torch::Tensor alphas_of(const torch::Tensor& leaf, bool graph) const;
  // Sets a step-size leaf from a checkpoint's α (log α when learned).
  void load_step_sizes(torch::Tensor& leaf, const torch::Tensor& alphas, const std::string& name) const;
  // The inner steps [first, last) on one round of `episodes` (`tasks` tasks
  // side by side), from the stacked policy parameters `policy` and value
  // networks `value`, each step's advantages from the value network as
  // adapted so far (the linear baseline's once). Training (on θ's own
  // episodes) and test-time adaptation (on the episodes its adapted
  // policies acted) both take their steps here, so the step learned is the
  // step taken. check_finite: throw AdaptationDiverged on non-finite parameters.
  struct InnerRound {
    Params policy, value;                   // after the last step
    std::vector<InnerBatch> batches;        // one per step
    std::vector<ValueBatch> value_batches;  // one per step (adapted_mlp)
    std::vector<Params> path;               // the policy after each step
  };
  InnerRound take_inner_steps(const EpisodeBatch& episodes, int64_t tasks, Params policy, Params value,
                              const torch::Tensor& alphas, const torch::Tensor& value_alphas, int64_t first,
                              int64_t last, const InnerObjective& objective, bool check_finite) const;
  // initial_inner_kl: scales the policy's step sizes on the run's first
  // episodes (θ's, `theta` stacked per task).
  void calibrate_step_sizes(const EpisodeBatch& episodes, int64_t tasks, const Params& theta, const Params& value,
                            const InnerObjective& objective);
  // Sampling rounds before the last validation episodes: one per inner
  // step, or one per chain pair (shared_inner_episodes); 0 when pretraining.
  int64_t training_rounds() const;
  // Advantages of one round of episodes (task t in its envs' columns) from
  // the linear baseline, or from the stacked adapted value networks `value`
  // (then `value_batch` receives the round's value targets).
  torch::Tensor round_advantages(const EpisodeBatch& episodes, int64_t tasks, const Params& value,
                                 ValueBatch* value_batch) const;
  // The running scale of discounted returns that the value network's outputs are in.
  double return_scale() const;
  void update_return_scale(const EpisodeBatch& episodes);
  // The outer value loss: θ's value parameters adapted through the inner
  // rounds' targets (differentiably), evaluated on the validation round's;
  // the rounds hold the columns of `tasks` tasks.
  torch::Tensor outer_value_loss(const std::vector<ValueBatch>& inner, const ValueBatch& validation,
                                 int64_t tasks) const;

  VectorEnv& env_;
  const Communicator& processes_;
  // This process's tasks of each meta-batch: [first_task_, first_task_ + local_tasks_).
  int64_t first_task_ = 0, local_tasks_ = 0;
  std::unique_ptr<TaskFamily> family_;
  std::unique_ptr<Policy> policy_;
  MamlConfig config_;
  std::unique_ptr<OpponentChains> opponents_;  // self_play only
  int64_t horizon_;
  Rng task_rng_;
  std::unique_ptr<Sampler> sampler_;
  // [inner steps]: α, or log α when learn_step_sizes (the trained leaf).
  // Learned on α itself, Adam moved it by about its learning rate per epoch
  // (3e-4) whatever the gradient, against α = 0.001: the Bug's continual
  // run's sizes went negative (docs/RESULTS.md, issue 5).
  torch::Tensor step_sizes_;
  std::unique_ptr<MlpValueFunction> value_;  // value_function adapted_mlp only
  torch::Tensor value_step_sizes_;           // the same for the value network
  torch::Tensor off_policy_step_sizes_;      // the same for off-policy steps (off_policy_step_sizes)
  RunningNormalizer return_stats_{1};        // discounted returns seen so far
  TaskReturnBaseline task_baseline_;
  std::unique_ptr<AdamOptimizer> ppo_optimizer_;
  std::unique_ptr<AdamOptimizer> step_size_optimizer_;  // step_size_updates "iteration" only
  int64_t iteration_ = 0;
  int64_t env_steps_ = 0;
};

}  // namespace metarl
