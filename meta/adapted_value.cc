#include "meta/adapted_value.h"

#include "agents/gae.h"
#include "meta/maml.h"

namespace metarl {

ValueBatch select_columns(const ValueBatch& batch, const std::vector<int64_t>& columns) {
  const torch::Tensor index = torch::tensor(columns, torch::kLong);
  return {batch.observations.index_select(1, index), batch.targets.index_select(1, index),
          batch.masks.index_select(1, index)};
}

ValueAdvantages value_advantages(const MlpValueFunction& value, const Params& stacked, const EpisodeBatch& episodes,
                                 int64_t tasks, double scale, double gamma, double lambda) {
  torch::NoGradGuard no_grad;
  const auto values = value.forward_grouped(episodes.observations, stacked, tasks) * scale;
  const auto next_values = value.forward_grouped(episodes.next_observations, stacked, tasks) * scale;
  const auto advantages = gae_advantages(episodes.rewards, values, next_values, episodes.terminated,
                                         episodes.episode_end, episodes.masks, gamma, lambda);
  return {advantages, {episodes.observations, ((advantages + values) / scale) * episodes.masks, episodes.masks}};
}

torch::Tensor value_losses(const MlpValueFunction& value, const ValueBatch& batch, const Params& stacked, int64_t tasks) {
  const auto error = value.forward_grouped(batch.observations, stacked, tasks) - batch.targets;
  return task_means(error * error, batch.masks, tasks);
}

Params adapt_value_step(const MlpValueFunction& value, const Params& stacked, const ValueBatch& batch,
                        const torch::Tensor& step_size, int64_t tasks, bool create_graph) {
  return gradient_step([&](const Params& params) { return value_losses(value, batch, params, tasks).sum(); }, stacked,
                       step_size, create_graph);
}

}  // namespace metarl
