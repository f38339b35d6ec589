#include "agents/trpo_learner.h"

#include "agents/vpg.h"

namespace metarl {

Metrics TrpoLearner::update(const EpisodeBatch& batch, const torch::Tensor& advantages, const torch::Tensor&) {
  const auto adv = normalize_advantages_ ? standardize(advantages, batch.masks) : advantages;
  const auto& masks = batch.masks;
  DiagGaussian old_dist;
  {
    torch::NoGradGuard no_grad;
    old_dist = policy_.evaluate(batch.observations, batch.episode_starts, batch.initial_state, policy_.parameters())
                   .detached();
  }
  const auto old_log_probs = old_dist.log_prob(batch.actions);
  auto surrogate = [&](const Params& p) {
    return -masked_mean(torch::exp(batch_log_probs(policy_, batch, p) - old_log_probs) * adv, masks);
  };
  // KL(old || new) with the old policy detached: zero gradient at the current
  // parameters but the Fisher information as Hessian (a KL of the policy with
  // itself, undetached, would give a zero Hessian-vector product).
  auto mean_kl = [&](const Params& p) {
    const auto dist = policy_.evaluate(batch.observations, batch.episode_starts, batch.initial_state, p);
    return masked_mean(old_dist.kl(dist), masks);
  };
  const TrpoStats stats = trpo_step(policy_.parameters(), surrogate, mean_kl, config_);
  return {{"policy_loss", stats.accepted ? stats.loss_after : stats.loss_before},
          {"surrogate_improvement", stats.loss_before - (stats.accepted ? stats.loss_after : stats.loss_before)},
          {"kl", stats.kl_after},
          {"backtracks", double(stats.backtracks)},
          {"step_accepted", stats.accepted ? 1.0 : 0.0}};
}

}  // namespace metarl
